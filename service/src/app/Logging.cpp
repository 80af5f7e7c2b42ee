#include "a6/service/app/Logging.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Message.h>

#include <cstdio>
#include <iostream>

#include "a6/core/Clock.h"
#include "a6/service/http/RequestJson.h"

namespace a6::service {
namespace {

const char* levelName(Poco::Message::Priority p) {
  switch (p) {
    case Poco::Message::PRIO_FATAL:
      return "fatal";
    case Poco::Message::PRIO_CRITICAL:
      return "critical";
    case Poco::Message::PRIO_ERROR:
      return "error";
    case Poco::Message::PRIO_WARNING:
      return "warning";
    case Poco::Message::PRIO_NOTICE:
      return "notice";
    case Poco::Message::PRIO_INFORMATION:
      return "info";
    case Poco::Message::PRIO_DEBUG:
      return "debug";
    case Poco::Message::PRIO_TRACE:
      return "trace";
  }
  return "info";
}

const std::string kFieldsParam = "a6.fields";

}  // namespace

void JsonLogFormatter::format(const Poco::Message& msg, std::string& text) {
  TimePoint t{std::chrono::milliseconds(msg.getTime().epochMicroseconds() / 1000)};
  text += "{\"ts\":";
  appendJsonString(text, formatTimestamp(t));
  text += ",\"level\":";
  appendJsonString(text, levelName(msg.getPriority()));
  text += ",\"logger\":";
  appendJsonString(text, msg.getSource());
  text += ",\"msg\":";
  appendJsonString(text, msg.getText());
  // Poco 1.11 cannot enumerate a message's parameters, so logEvent renders its fields into
  // one parameter that is appended here as it is.
  if (msg.has(kFieldsParam)) text += msg.get(kFieldsParam);
  text += "}";
}

void setUpLogging(const std::string& level) {
  Poco::AutoPtr<Poco::ConsoleChannel> console(new Poco::ConsoleChannel(std::cerr));
  Poco::AutoPtr<JsonLogFormatter> formatter(new JsonLogFormatter);
  Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(formatter, console));
  Poco::Logger::root().setChannel(channel);
  Poco::Logger::root().setLevel(level);
  // Loggers created before this call keep their old channel; re-point them.
  std::vector<std::string> names;
  Poco::Logger::names(names);
  for (const auto& n : names) {
    Poco::Logger::get(n).setChannel(channel);
    Poco::Logger::get(n).setLevel(level);
  }
}

void logEvent(Poco::Logger& logger, Poco::Message::Priority priority, const std::string& message,
              const std::map<std::string, std::string>& fields) {
  if (!logger.is(priority)) return;
  Poco::Message msg(logger.name(), message, priority);
  std::string rendered;
  for (const auto& [k, v] : fields) {
    rendered += ",";
    appendJsonString(rendered, k);
    rendered += ":";
    appendJsonString(rendered, v);
  }
  msg.set(kFieldsParam, rendered);
  logger.log(msg);
}

}  // namespace a6::service
