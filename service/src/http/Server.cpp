#include "a6/service/http/Server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <thread>

#include "a6/core/Error.h"
#include "a6/service/app/Logging.h"
#include "a6/service/http/Problem.h"
#include "a6/signing/Digest.h"
#include "http/Routes.h"

namespace a6::service {
namespace {

class Adapter final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Adapter(HttpServer& server) : server_(server) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
    server_.handle(req, resp);
  }

 private:
  HttpServer& server_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(HttpServer& server) : server_(server) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Adapter(server_);
  }

 private:
  HttpServer& server_;
};

bool saneRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool saneIdempotencyKey(const std::string& key) {
  if (key.empty() || key.size() > 255) return false;
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

Response replay(const IdempotencyRecord& rec, const std::string& fingerprint) {
  if (rec.fingerprint != fingerprint) {
    throw Error(ErrorCode::IdempotencyMismatch,
                "this Idempotency-Key was used for a different request; use a new key for a new request");
  }
  Response r = Response::json(rec.status, rec.responseBody);
  if (!rec.location.empty()) r.headers.emplace_back("Location", rec.location);
  if (!rec.etag.empty()) r.headers.emplace_back("ETag", rec.etag);
  r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

// Reads and drops an unread request body of a bounded size, so that a client still sending it
// receives our answer (a 401 or 413) instead of a reset connection. Past the bound, the
// connection is closed instead.
bool drain(Poco::Net::HTTPServerRequest& req) {
  constexpr long long kDrainLimit = 64ll << 20;
  if (!req.hasContentLength() || req.getContentLength64() > kDrainLimit) return false;
  try {
    std::istream& in = req.stream();
    char buf[16384];
    long long total = 0;
    while (in && total <= kDrainLimit) {
      in.read(buf, sizeof buf);
      if (in.gcount() <= 0) break;
      total += in.gcount();
    }
    return total <= kDrainLimit;
  } catch (const Poco::Exception&) {
    return false;
  }
}

}  // namespace

HttpServer::HttpServer(const Config& config, Store& store, const Clock& clock, IdGenerator& ids,
                       WorkflowService& workflows, LetterService* letters)
    : config_(config),
      store_(store),
      clock_(clock),
      ids_(ids),
      tokens_(config.auth, clock),
      auth_(tokens_, store),
      services_{config, store, clock, ids, metrics_, workflows, letters, stopping_} {
  registerOpsRoutes(router_, services_);
  registerRequestRoutes(router_, services_);
  registerWorkflowRoutes(router_, services_);
  registerLetterRoutes(router_, services_);
  registerReportRoutes(router_, services_);
  registerOutboxRoutes(router_, services_);
  registerWebhookRoutes(router_, services_);
  registerWebRoutes(router_, services_);
}

HttpServer::~HttpServer() {
  if (server_) stop(std::chrono::milliseconds(0));
}

void HttpServer::start() {
  Poco::Net::ServerSocket socket(
      Poco::Net::SocketAddress(config_.http.host, static_cast<Poco::UInt16>(config_.http.port)));
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(config_.http.maxThreads);
  params->setMaxQueued(config_.http.maxQueued);
  params->setKeepAlive(true);
  params->setTimeout(Poco::Timespan(30, 0));
  params->setServerName("a6auth");
  pool_ = std::make_unique<Poco::ThreadPool>(2, config_.http.maxThreads + 2);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *pool_, socket, params);
  server_->start();
}

int HttpServer::port() const { return server_ ? server_->port() : 0; }

bool HttpServer::stop(std::chrono::milliseconds timeout) {
  if (!server_) return true;
  stopping_ = true;
  // Closes the listening socket and idle keep-alive connections; requests being handled finish.
  server_->stopAll(false);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (inFlight_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  bool drained = inFlight_.load() == 0;
  pool_->joinAll();
  server_.reset();
  return drained;
}

void HttpServer::handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) {
  auto started = std::chrono::steady_clock::now();
  ++inFlight_;
  metrics_.inFlight(1);
  std::string requestId = req.get("X-Request-Id", "");
  if (!saneRequestId(requestId)) requestId = ids_.next("rid");
  std::string path;
  std::string routeName = "unmatched";
  std::string user;
  Response r;
  bool bodyDone = req.getContentLength64() <= 0 && !req.getChunkedTransferEncoding();
  std::unique_ptr<Exchange> ex;
  try {
    try {
      path = Poco::URI(req.getURI()).getPath();
    } catch (const Poco::Exception&) {
      throw Error(ErrorCode::Malformed, "the request target is not a valid URI");
    }
    Router::Match match = router_.match(req.getMethod(), path);
    if (match.route) routeName = match.route->pattern;
    ex = std::make_unique<Exchange>(req, path, match.route ? match.route->bodyLimit : 0);
    ex->requestId = requestId;
    ex->params = match.params;
    if (!match.route) {
      if (match.pathKnown) {
        r = problem(ErrorCode::MethodNotAllowed, req.getMethod() + " is not allowed on " + path, path);
        std::string allow;
        for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
        r.headers.emplace_back("Allow", allow);
      } else {
        r = problem(ErrorCode::NotFound, "no such resource: " + path, path);
      }
    } else {
      r = dispatch(*ex, match);
    }
  } catch (const Error& e) {
    if (e.code() == ErrorCode::Store) metrics_.recordStoreError();
    if (httpStatus(e.code()) >= 500) {
      logEvent(Poco::Logger::get("a6auth.http"), Poco::Message::PRIO_ERROR, e.what(),
               {{"request_id", requestId}, {"code", toString(e.code())}});
    }
    r = problem(e, path);
  } catch (const Poco::Exception& e) {
    logEvent(Poco::Logger::get("a6auth.http"), Poco::Message::PRIO_ERROR, e.displayText(), {{"request_id", requestId}});
    r = problem(ErrorCode::Internal, "internal error", path);
  } catch (const std::exception& e) {
    logEvent(Poco::Logger::get("a6auth.http"), Poco::Message::PRIO_ERROR, e.what(), {{"request_id", requestId}});
    r = problem(ErrorCode::Internal, "internal error", path);
  }
  if (ex) {
    if (ex->principal) user = ex->principal->name;
    bodyDone = bodyDone || ex->bodyComplete();
  }
  if (!bodyDone) bodyDone = drain(req);

  try {
    resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
    resp.setContentType(r.contentType);
    for (const auto& [k, v] : r.headers) resp.add(k, v);
    resp.set("X-Request-Id", requestId);
    resp.set("X-Content-Type-Options", "nosniff");
    if (path.rfind("/api/", 0) == 0) resp.set("Cache-Control", "no-store");
    // An unread body would be taken for the next request on this connection: close it instead.
    if (!bodyDone) resp.setKeepAlive(false);
    resp.setContentLength64(static_cast<Poco::Int64>(r.body.size()));
    if (req.getMethod() == "HEAD") {
      resp.send();
    } else {
      resp.sendBuffer(r.body.data(), r.body.size());
    }
  } catch (const Poco::Exception& e) {
    logEvent(Poco::Logger::get("a6auth.http"), Poco::Message::PRIO_WARNING, "could not send the response",
             {{"request_id", requestId}, {"error", e.displayText()}});
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.recordRequest(routeName, req.getMethod(), r.status, seconds);
  logEvent(Poco::Logger::get("a6auth.access"),
           r.status >= 500 ? Poco::Message::PRIO_ERROR : Poco::Message::PRIO_INFORMATION, "request",
           {{"request_id", requestId},
            {"method", req.getMethod()},
            {"route", routeName},
            {"path", path},
            {"status", std::to_string(r.status)},
            {"duration_ms", std::to_string(static_cast<long long>(seconds * 1000))},
            {"user", user}});
  metrics_.inFlight(-1);
  --inFlight_;
}

Response HttpServer::dispatch(Exchange& ex, const Router::Match& match) {
  const Route& route = *match.route;
  if (route.authenticated) ex.principal = auth_.authenticate(ex.header("Authorization"));
  if (route.read) return route.read(ex);
  return runWrite(route, ex);
}

Response HttpServer::runWrite(const Route& route, Exchange& ex) {
  std::string key = ex.header("Idempotency-Key");
  bool idempotent = ex.request().has("Idempotency-Key");
  std::string fingerprint;
  const std::string& principal = ex.who().name;
  if (idempotent) {
    if (!saneIdempotencyKey(key)) {
      throw Error(ErrorCode::Malformed, "Idempotency-Key must be 1 to 255 visible ASCII characters");
    }
    // The whole target (query included) and the content type are part of what "the same
    // request" means: ?name=a.pdf and ?name=b.pdf with one body are different uploads.
    fingerprint = signing::sha256Hex(ex.method() + "\n" + ex.request().getURI() + "\n" + ex.header("Content-Type") +
                                     "\n" + ex.bodySha256());
    if (auto rec = store_.findIdempotency(principal, key)) return replay(*rec, fingerprint);
  }
  WriteResult w = route.write(ex);
  if (idempotent) {
    IdempotencyRecord rec;
    rec.principal = principal;
    rec.key = key;
    rec.fingerprint = fingerprint;
    rec.status = w.response.status;
    rec.responseBody = w.response.body;
    rec.location = w.response.header("Location");
    rec.etag = w.response.header("ETag");
    rec.createdAt = formatTimestamp(clock_.now());
    w.commit.idempotency = rec;
  }
  if (w.commit.events.empty()) return w.response;  // nothing changed, nothing to record
  try {
    store_.commit(w.commit);
  } catch (const IdempotencyKeyTaken&) {
    // A concurrent request with the same key won the race; answer as it did.
    if (auto rec = store_.findIdempotency(principal, key)) return replay(*rec, fingerprint);
    throw;
  } catch (const VersionConflict& e) {
    if (ex.request().has("If-Match")) {
      throw Error(ErrorCode::PreconditionFailed, "the request changed while you were writing (now at version " +
                                                     std::to_string(e.actual()) + "); read it again and retry");
    }
    throw;
  }
  return w.response;
}

}  // namespace a6::service
