// `a6auth serve`: the service on Poco's ServerApplication. SIGTERM or SIGINT stop it
// gracefully: no new connections, requests in flight finish, then the store is closed.
#include <Poco/File.h>
#include <Poco/Util/ServerApplication.h>
#include <signal.h>

#include <csignal>

#include <fstream>
#include <iostream>

#include "a6/core/Clock.h"
#include "a6/core/Error.h"
#include "a6/core/IdGenerator.h"
#include "a6/service/outbox/Deliveries.h"
#include "a6/service/app/Logging.h"
#include "a6/service/http/Server.h"
#include "a6/service/letters/LetterService.h"
#include "a6/service/workflow/TimerWorker.h"
#include "app/Args.h"
#include "app/Commands.h"

namespace a6::service {
namespace {

class ServeApp final : public Poco::Util::ServerApplication {
 public:
  ServeApp(Config config, std::string portFile) : config_(std::move(config)), portFile_(std::move(portFile)) {}

 protected:
  int main(const std::vector<std::string>&) override {
    // Block the stop signals before any thread starts, so that every thread inherits the mask
    // and waitForTerminationRequest() is the one to receive them.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
    // A client that closes its connection while we write must not end the process: without this,
    // the write raises SIGPIPE, whose default action is to terminate.
    std::signal(SIGPIPE, SIG_IGN);

    // Poco's Application set-up installs its own console channel; ours replaces it here.
    setUpLogging(config_.logLevel);
    auto& log = Poco::Logger::get("a6auth");
    try {
      SystemClock clock;
      UlidGenerator ids(clock);
      auto store = openStore(config_);
      WorkflowService workflows(*store, clock, ids, workflowSettings(config_));
      if (!config_.workflows.dir.empty()) {
        for (const auto& d : workflows.registerDirectory(config_.workflows.dir, "system")) {
          logEvent(log, Poco::Message::PRIO_NOTICE, "workflow registered", {{"workflow", d}});
        }
      }
      std::unique_ptr<LetterService> letters;
      if (!config_.letters.templatesDir.empty()) {
        letters = std::make_unique<LetterService>(config_, *store, clock, ids);
        workflows.setLetterIssuer(letters.get());
      }
      Deliveries deliveries(config_, *store, clock, ids, workflows);
      TimerWorker timers(workflows, config_.workflows.timerPoll);
      HttpServer server(config_, *store, clock, ids, workflows, letters.get());
      server.setWebhooks(deliveries.composer().webhooks());
      server.start();
      timers.start();
      deliveries.start();
      if (!portFile_.empty()) writePortFile(server.port());
      logEvent(log, Poco::Message::PRIO_NOTICE, "listening",
               {{"address", config_.http.host + ":" + std::to_string(server.port())},
                {"party", config_.party},
                {"database", config_.store.sqlitePath}});
      waitForTerminationRequest();
      logEvent(log, Poco::Message::PRIO_NOTICE, "stopping: finishing requests in flight",
               {{"timeout_s", std::to_string(config_.http.shutdownTimeout.count())}});
      timers.stop();
      bool drained = server.stop(config_.http.shutdownTimeout);
      // After the last request: what they queued stays in the outbox for the next start.
      deliveries.stop();
      logEvent(log, drained ? Poco::Message::PRIO_NOTICE : Poco::Message::PRIO_WARNING,
               drained ? "stopped" : "stopped with requests still running at the deadline", {});
    } catch (const Error& e) {
      logEvent(log, Poco::Message::PRIO_FATAL, e.what(), {{"code", toString(e.code())}});
      bool setup = e.code() == ErrorCode::Config || e.code() == ErrorCode::Definition;
      return setup ? kExitUsage : kExitFailed;
    } catch (const Poco::Exception& e) {
      logEvent(log, Poco::Message::PRIO_FATAL, e.displayText(), {});
      return kExitFailed;
    }
    return kExitOk;
  }

 private:
  void writePortFile(int port) {
    // Written whole then renamed, so a reader never sees half a number.
    std::string tmp = portFile_ + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << port << "\n";
      if (!out) throw Error(ErrorCode::Config, "cannot write the port file " + portFile_);
    }
    Poco::File(tmp).renameTo(portFile_);
  }

  Config config_;
  std::string portFile_;
};

}  // namespace

int ServeCommand::run(const std::vector<std::string>& argv, std::ostream&, std::ostream&) {
  Args args(argv, {"config", "port-file"}, {});
  if (!args.positional().empty()) throw Error(ErrorCode::Malformed, "serve takes no positional arguments");
  Config config = configFromArgs(args.get("config"));
  ServeApp app(std::move(config), args.get("port-file").value_or(""));
  char name[] = "a6auth";
  char* appArgv[] = {name, nullptr};
  return app.run(1, appArgv);
}

}  // namespace a6::service
