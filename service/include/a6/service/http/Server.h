// The HTTP server: Poco's HTTPServer on a real socket, one dispatcher that authenticates,
// applies limits, runs the route, commits writes (idempotently), maps errors to problem+json,
// and records metrics and an access log line for every request.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "a6/core/Clock.h"
#include "a6/core/IdGenerator.h"
#include "a6/service/app/Config.h"
#include "a6/service/http/Auth.h"
#include "a6/service/http/Metrics.h"
#include "a6/service/http/Router.h"
#include "a6/service/store/Store.h"
#include "a6/service/workflow/WorkflowService.h"

namespace Poco::Net {
class HTTPServer;
class HTTPServerRequest;
class HTTPServerResponse;
}  // namespace Poco::Net
namespace Poco {
class ThreadPool;
}

namespace a6::service {

class LetterService;
class WebhookComposer;

// What handlers are given to work with.
struct Services {
  const Config& config;
  Store& store;
  const Clock& clock;
  IdGenerator& ids;
  Metrics& metrics;
  WorkflowService& workflows;
  LetterService* letters;  // null when this deployment issues no letters
  const std::atomic<bool>& stopping;
  WebhookComposer* webhooks = nullptr;  // for events raised outside a workflow transition
};

class HttpServer {
 public:
  HttpServer(const Config& config, Store& store, const Clock& clock, IdGenerator& ids, WorkflowService& workflows,
             LetterService* letters = nullptr);
  ~HttpServer();

  // Before start(): who composes webhook deliveries for events outside a workflow transition.
  void setWebhooks(WebhookComposer* webhooks) { services_.webhooks = webhooks; }

  void start();
  int port() const;
  // Stops accepting, lets requests in flight finish (up to `timeout`), then returns; returns
  // false when some were still running at the deadline.
  bool stop(std::chrono::milliseconds timeout);

  Metrics& metrics() { return metrics_; }
  const TokenService& tokens() const { return tokens_; }
  const std::vector<Route>& routes() const { return router_.routes(); }
  // Handles one request; public for the Poco handler adapter.
  void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

 private:
  Response dispatch(Exchange& ex, const Router::Match& match);
  Response runWrite(const Route& route, Exchange& ex);

  const Config& config_;
  Store& store_;
  const Clock& clock_;
  IdGenerator& ids_;
  Metrics metrics_;
  TokenService tokens_;
  Authenticator auth_;
  Services services_;
  Router router_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> inFlight_{0};
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace a6::service
