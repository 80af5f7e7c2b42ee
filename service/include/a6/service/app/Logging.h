// Structured logs: one JSON object per line on stderr, with a time, level, logger, message and
// any fields the caller adds. Secrets and request bodies are never passed here.
#pragma once

#include <Poco/Formatter.h>
#include <Poco/Logger.h>

#include <map>
#include <string>

namespace a6::service {

class JsonLogFormatter final : public Poco::Formatter {
 public:
  void format(const Poco::Message& msg, std::string& text) override;
};

// Routes the root logger through JsonLogFormatter to stderr at `level`.
void setUpLogging(const std::string& level);

// Logs `message` with extra string fields (kept as message parameters of the Poco::Message).
void logEvent(Poco::Logger& logger, Poco::Message::Priority priority, const std::string& message,
              const std::map<std::string, std::string>& fields);

}  // namespace a6::service
