// Webhooks end to end: subscriptions made over the API, deliveries sent by the real outbox to a
// real HTTP receiver on loopback that checks every Standard Webhooks signature with the
// subscription's secret, retries after a 500 made due by moving the manual clock, a subscription
// disabled after repeated failures, SSRF refused at subscription and at delivery, and the
// registry's signed inbound hook (recorded once, replays and stale or forged deliveries refused).
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <deque>
#include <mutex>

#include "WorkflowFixture.h"
#include "a6/integrations/webhooks/Signature.h"
#include "a6/service/http/RequestJson.h"

namespace a6::test {
namespace {

namespace hooks = a6::integrations::webhooks;

// A webhook receiver: records every request and answers with the scripted statuses, then 200.
class Receiver {
 public:
  struct Delivery {
    std::string path;
    std::string id;
    std::string timestamp;
    std::string signature;
    std::string contentType;
    std::string body;
  };

  // Plain HTTP, or HTTPS with the given server context.
  explicit Receiver(Poco::Net::Context::Ptr tls = nullptr) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(false);
    params->setMaxThreads(2);
    if (tls) {
      Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 64, tls);
      server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    } else {
      Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
      server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, params);
    }
    server_->start();
  }
  ~Receiver() { server_->stopAll(true); }

  int port() const { return server_->port(); }
  void answer(std::deque<int> statuses, int then = 200) {
    std::lock_guard lock(mutex_);
    script_ = std::move(statuses);
    default_ = then;
  }
  std::vector<Delivery> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  class Handler final : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(Receiver& r) : r_(r) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override {
      Delivery d;
      d.path = req.getURI();
      d.id = req.get(hooks::kIdHeader, "");
      d.timestamp = req.get(hooks::kTimestampHeader, "");
      d.signature = req.get(hooks::kSignatureHeader, "");
      d.contentType = req.getContentType();
      Poco::StreamCopier::copyToString(req.stream(), d.body);
      int status = 200;
      {
        std::lock_guard lock(r_.mutex_);
        r_.received_.push_back(d);
        if (!r_.script_.empty()) {
          status = r_.script_.front();
          r_.script_.pop_front();
        } else {
          status = r_.default_;
        }
      }
      resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
      resp.setContentType("text/plain");
      const std::string body = status == 200 ? "thanks" : "receiver says " + std::to_string(status);
      resp.sendBuffer(body.data(), body.size());
    }

   private:
    Receiver& r_;
  };
  class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(Receiver& r) : r_(r) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(r_);
    }

   private:
    Receiver& r_;
  };

  std::mutex mutex_;
  std::vector<Delivery> received_;
  std::deque<int> script_;
  int default_ = 200;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

class WebhookTest : public WorkflowFixture {
 protected:
  static void SetUpTestSuite() { Poco::Net::initializeSSL(); }
  static void TearDownTestSuite() { Poco::Net::uninitializeSSL(); }

  std::string extraConfig() override {
    registrySecret_ = hooks::generateSecret();
    writeFile(dir_.file("registry.secret"), registrySecret_ + "\n");
    const std::string letters = makeTestLetterConfig(dir_);  // first: the test CA is made here
    return letters + policyConfig() +
           "webhooks.disable_after = 3\n"
           "webhooks.timeout_ms = 2000\n"
           "outbox.retry.initial_ms = 1000\n"
           "outbox.retry.max_ms = 60000\n"
           "hooks.tolerance_s = 300\n"
           "hooks.registry.national-registry.secret_file = " +
           dir_.file("registry.secret") + "\n";
  }
  // Loopback over plain HTTP is allowed here: the receiver runs on 127.0.0.1.
  virtual std::string policyConfig() { return "webhooks.allow_http = true\nwebhooks.allow_private_addresses = true\n"; }

  struct Subscription {
    std::string id;
    std::string secret;
  };
  Subscription subscribe(const std::string& url, const std::string& types) {
    HttpResult r = as("admin", "POST", "/api/v1/webhooks",
                      R"({"url": ")" + url + R"(", "event_types": )" + types + R"(, "description": "test"})");
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {};
    auto o = r.json();
    return {o->getValue<std::string>("id"), o->getValue<std::string>("secret")};
  }
  std::string receiverUrl(const std::string& path = "/hook") {
    return "http://127.0.0.1:" + std::to_string(receiver_.port()) + path;
  }

  int deliver() { return deliveries_->worker().runOnce("webhook"); }
  std::int64_t nowSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  }
  // Every delivery the receiver saw must carry a valid signature by `secret`.
  void expectAllSigned(const std::vector<Receiver::Delivery>& got, const std::string& secret) {
    for (const auto& d : got) {
      EXPECT_EQ(hooks::verify({secret}, d.id, d.timestamp, d.signature, d.body, nowSeconds(), 300),
                hooks::VerifyProblem::None)
          << d.id << " " << d.body;
      EXPECT_EQ(d.contentType.rfind("application/json", 0), 0u) << d.contentType;
      EXPECT_EQ(d.id.rfind("msg_", 0), 0u) << d.id;
    }
  }
  static Object::Ptr parse(const std::string& body) { return Poco::JSON::Parser().parse(body).extract<Object::Ptr>(); }

  std::vector<std::string> eventTypes(const std::string& streamId) {
    std::vector<std::string> out;
    for (const auto& e : store_->events(streamId)) out.push_back(e.type);
    return out;
  }

  // A registry's signed delivery to the inbound hook: the source in the path, or (plainPath) in
  // the webhook-source header of POST /api/v1/hooks/registry.
  HttpResult registryPost(const std::string& source, const std::string& id, std::int64_t timestamp,
                          const std::string& body, const std::string& secret, bool plainPath = false) {
    auto h = hooks::signedHeaders(secret, id, timestamp, body);
    std::map<std::string, std::string> headers{{"Content-Type", "application/json"},
                                               {hooks::kIdHeader, h.id},
                                               {hooks::kTimestampHeader, h.timestamp},
                                               {hooks::kSignatureHeader, h.signature}};
    if (plainPath) headers["webhook-source"] = source;
    return client_->send("POST", plainPath ? "/api/v1/hooks/registry" : "/api/v1/hooks/registry/" + source, body,
                         headers);
  }
  static std::string transfer(const std::string& ref, const std::string& quantity = "1000") {
    return R"({"type": "first_transfer.recorded", "data": {"authorisation_ref": ")" + ref + R"(", "quantity": )" +
           quantity + R"(, "serial_first": "GHA-1", "serial_last": "GHA-1000", "date": "2026-03-01"}})";
  }

  Receiver receiver_;
  std::string registrySecret_;
};

TEST_F(WebhookTest, SubscribingShowsTheSecretOnceAndNeverAgain) {
  HttpResult r = as("admin", "POST", "/api/v1/webhooks",
                    R"({"url": ")" + receiverUrl() + R"(", "event_types": ["request.submitted", "*"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto o = r.json();
  const std::string id = o->getValue<std::string>("id");
  const std::string secret = o->getValue<std::string>("secret");
  EXPECT_EQ(id.rfind("whk_", 0), 0u);
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u);
  EXPECT_NO_THROW(hooks::decodeSecret(secret));
  EXPECT_EQ(r.header("Location"), "/api/v1/webhooks/" + id);
  EXPECT_EQ(o->getValue<std::string>("status"), "active");

  HttpResult one = as("admin", "GET", "/api/v1/webhooks/" + id);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_FALSE(one.json()->has("secret"));
  EXPECT_EQ(one.body.find(secret.substr(6)), std::string::npos);
  HttpResult list = as("audrey", "GET", "/api/v1/webhooks");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.json()->getArray("items")->size(), 1u);
  EXPECT_EQ(list.body.find(secret.substr(6)), std::string::npos);
  // The audit chain has who subscribed what, and never the secret.
  auto events = store_->events("webhook:" + id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "webhook_subscribed");
  EXPECT_EQ(events[0].actor, "admin");
  EXPECT_EQ(events[0].payloadJson.find(secret.substr(6)), std::string::npos);

  // Deleting keeps the row (and its deliveries), records who did it, and is idempotent.
  EXPECT_EQ(as("admin", "DELETE", "/api/v1/webhooks/" + id).status, 204);
  EXPECT_EQ(as("admin", "DELETE", "/api/v1/webhooks/" + id).status, 204);
  auto gone = as("admin", "GET", "/api/v1/webhooks/" + id).json();
  EXPECT_EQ(gone->getValue<std::string>("status"), "deleted");
  EXPECT_FALSE(gone->getValue<bool>("active"));
  EXPECT_EQ(eventTypes("webhook:" + id), (std::vector<std::string>{"webhook_subscribed", "webhook_deleted"}));
  EXPECT_EQ(as("admin", "GET", "/api/v1/webhooks/whk_01AAAAAAAAAAAAAAAAAAAAAAAA").status, 404);
}

TEST_F(WebhookTest, FieldErrorsHavePaths) {
  HttpResult r = as("admin", "POST", "/api/v1/webhooks",
                    R"({"url": 5, "event_types": ["request.submitted", "no.such", 3, "request.submitted"], "x": 1})");
  ASSERT_EQ(r.status, 422) << r.body;
  for (const std::string path : {"url", "event_types[1]", "event_types[2]", "event_types[3]", "x"}) {
    EXPECT_NE(r.body.find("\"" + path + "\""), std::string::npos) << path << " in " << r.body;
  }
  EXPECT_EQ(as("admin", "POST", "/api/v1/webhooks", R"({"url": ")" + receiverUrl() + R"(", "event_types": []})").status,
            422);
}

TEST_F(WebhookTest, RolesApplicantsAndAuditorsCannotManageWebhooks) {
  const std::string body = R"({"url": ")" + receiverUrl() + R"(", "event_types": ["*"]})";
  EXPECT_EQ(as("ada", "GET", "/api/v1/webhooks").status, 403);
  EXPECT_EQ(as("ada", "POST", "/api/v1/webhooks", body).status, 403);
  EXPECT_EQ(as("audrey", "POST", "/api/v1/webhooks", body).status, 403);
  EXPECT_EQ(as("rita", "GET", "/api/v1/webhooks").status, 403);
  auto s = subscribe(receiverUrl(), R"(["*"])");
  EXPECT_EQ(as("ada", "GET", "/api/v1/webhooks/" + s.id).status, 403);
  EXPECT_EQ(as("ada", "GET", "/api/v1/webhooks/" + s.id + "/deliveries").status, 403);
  EXPECT_EQ(as("audrey", "DELETE", "/api/v1/webhooks/" + s.id).status, 403);
  EXPECT_EQ(client_->send("GET", "/api/v1/webhooks").status, 401);
}

TEST_F(WebhookTest, DecisionsAndChangeRequestsAreReported) {
  auto sub = subscribe(receiverUrl(), R"(["decision.taken", "request.changes_requested"])");
  std::string id = draft();
  expectFire("ada", id, "submit");
  expectFire("rita", id, "request_changes", "Add the design document");
  EXPECT_EQ(deliver(), 2);
  std::vector<std::string> types;
  for (const auto& d : receiver_.received()) {
    auto body = parse(d.body);
    types.push_back(body->getValue<std::string>("type"));
    EXPECT_EQ(body->getObject("data")->getValue<std::string>("decision"), "request_changes");
    EXPECT_EQ(body->getObject("data")->getValue<std::string>("comment"), "Add the design document");
  }
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<std::string>{"decision.taken", "request.changes_requested"}));
  expectAllSigned(receiver_.received(), sub.secret);
}

TEST_F(WebhookTest, StandardWorkflowDeliversSignedEventsWithTheDocumentedBody) {
  auto sub = subscribe(receiverUrl("/all"), R"(["request.submitted", "stage.entered", "request.authorised"])");
  auto other = subscribe(receiverUrl("/authorised"), R"(["request.authorised"])");
  std::string id = draft();
  std::string ref = authorise(id);
  // No webhook effect is left pending: each became one delivery per subscriber in its commit.
  EXPECT_TRUE(effects(id, "webhook").empty());
  EXPECT_EQ(deliver(), 6);  // submitted, three stages entered, authorised twice
  EXPECT_EQ(deliver(), 0);

  std::vector<Receiver::Delivery> all, authorised;
  for (const auto& d : receiver_.received()) (d.path == "/all" ? all : authorised).push_back(d);
  expectAllSigned(all, sub.secret);
  expectAllSigned(authorised, other.secret);
  // A delivery signed with one subscriber's secret does not verify with another's.
  ASSERT_FALSE(authorised.empty());
  EXPECT_NE(hooks::verify({sub.secret}, authorised[0].id, authorised[0].timestamp, authorised[0].signature,
                          authorised[0].body, nowSeconds(), 300),
            hooks::VerifyProblem::None);

  std::vector<std::string> types;
  std::vector<std::string> stages;
  for (const auto& d : all) {
    auto body = parse(d.body);
    types.push_back(body->getValue<std::string>("type"));
    EXPECT_NO_THROW(parseTimestamp(body->getValue<std::string>("timestamp")));
    auto data = body->getObject("data");
    EXPECT_EQ(data->getValue<std::string>("request_id"), id);
    EXPECT_FALSE(data->getValue<std::string>("title").empty());
    auto links = data->getObject("links");
    EXPECT_EQ(links->getValue<std::string>("request"), config_->http.publicUrl + "/api/v1/requests/" + id);
    if (types.back() == "stage.entered") stages.push_back(data->getValue<std::string>("stage"));
  }
  EXPECT_EQ(types, (std::vector<std::string>{"request.submitted", "stage.entered", "stage.entered", "stage.entered",
                                             "request.authorised"}));
  EXPECT_EQ(stages, (std::vector<std::string>{"screening", "technical_review", "ministerial_approval"}));
  auto last = parse(all.back().body)->getObject("data");
  EXPECT_EQ(last->getValue<std::string>("state"), "authorised");
  EXPECT_EQ(last->getValue<std::string>("authorisation_ref"), ref);
  EXPECT_EQ(last->getValue<int>("authorisation_version"), 1);
  EXPECT_EQ(last->getValue<std::string>("decision"), "approve");
  EXPECT_EQ(last->getValue<std::string>("actor"), "amina");
  auto links = last->getObject("links");
  EXPECT_EQ(links->getValue<std::string>("authorisation"), config_->http.publicUrl + "/api/v1/authorisations/" + ref);
  EXPECT_EQ(links->getValue<std::string>("letter"),
            config_->http.publicUrl + "/api/v1/authorisations/" + ref + "/letter.pdf?version=1");
  // Both subscribers got the same body, each under its own webhook-id.
  ASSERT_EQ(authorised.size(), 1u);
  EXPECT_EQ(authorised[0].body, all.back().body);
  EXPECT_NE(authorised[0].id, all.back().id);

  // The deliveries view shows what was sent and what the receiver answered.
  auto view = as("admin", "GET", "/api/v1/webhooks/" + sub.id + "/deliveries");
  ASSERT_EQ(view.status, 200) << view.body;
  auto items = view.json()->getArray("items");
  ASSERT_EQ(items->size(), 5u);
  auto newest = items->getObject(0);
  EXPECT_EQ(newest->getValue<std::string>("id"), all.back().id);
  EXPECT_EQ(newest->getValue<std::string>("status"), "delivered");
  EXPECT_EQ(newest->getValue<std::string>("payload"), all.back().body);
  auto log = newest->getArray("attempt_log");
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(log->getObject(0)->getValue<int>("http_status"), 200);
  EXPECT_NE(log->getObject(0)->getValue<std::string>("detail").find("thanks"), std::string::npos);
}

TEST_F(WebhookTest, ReceiverAnswering500GetsTheRetryAndBothAttemptsShow) {
  auto sub = subscribe(receiverUrl(), R"(["request.submitted"])");
  receiver_.answer({500});
  std::string id = draft();
  expectFire("ada", id, "submit");
  EXPECT_EQ(deliver(), 1);
  EXPECT_EQ(deliver(), 0);  // not due before its backoff
  EXPECT_EQ(as("admin", "GET", "/api/v1/webhooks/" + sub.id).json()->getValue<int>("consecutive_failures"), 1);
  clock_.advance(std::chrono::seconds(61));
  EXPECT_EQ(deliver(), 1);

  auto got = receiver_.received();
  ASSERT_EQ(got.size(), 2u);
  expectAllSigned(got, sub.secret);
  EXPECT_EQ(got[0].id, got[1].id);  // the same message, so the receiver can drop a duplicate
  EXPECT_EQ(got[0].body, got[1].body);
  EXPECT_NE(got[0].timestamp, got[1].timestamp);  // signed afresh at each attempt

  auto view = as("admin", "GET", "/api/v1/webhooks/" + sub.id + "/deliveries").json();
  auto items = view->getArray("items");
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ(items->getObject(0)->getValue<std::string>("status"), "delivered");
  auto log = items->getObject(0)->getArray("attempt_log");
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ(log->getObject(0)->getValue<int>("http_status"), 500);
  EXPECT_FALSE(log->getObject(0)->getValue<bool>("ok"));
  EXPECT_NE(log->getObject(0)->getValue<std::string>("detail").find("500"), std::string::npos);
  EXPECT_EQ(log->getObject(1)->getValue<int>("http_status"), 200);
  EXPECT_TRUE(log->getObject(1)->getValue<bool>("ok"));
  EXPECT_EQ(view->getObject("subscription")->getValue<int>("consecutive_failures"), 0);
}

TEST_F(WebhookTest, SubscriptionThatKeepsFailingIsDisabledAndTheAdminsAreTold) {
  auto sub = subscribe(receiverUrl(), R"(["*"])");
  std::vector<std::string> told;
  deliveries_->webhooks().onDisabled([&](const std::string& id, const std::string& url, const std::string& error) {
    told.push_back(id + " " + url + " " + error);
    return std::vector<service::OutboxMessage>{};
  });
  receiver_.answer({}, 503);
  std::string id = draft();
  expectFire("ada", id, "submit");  // request.submitted and stage.entered: two deliveries
  for (int i = 0; i < 5 && as("admin", "GET", "/api/v1/webhooks/" + sub.id).json()->getValue<bool>("active"); ++i) {
    deliver();
    clock_.advance(std::chrono::seconds(61));
  }
  EXPECT_EQ(receiver_.received().size(), 3u);  // webhooks.disable_after = 3
  expectAllSigned(receiver_.received(), sub.secret);
  auto w = as("admin", "GET", "/api/v1/webhooks/" + sub.id).json();
  EXPECT_EQ(w->getValue<std::string>("status"), "disabled");
  EXPECT_FALSE(w->getValue<bool>("active"));
  EXPECT_NE(w->getValue<std::string>("disabled_reason").find("503"), std::string::npos);
  auto events = store_->events("webhook:" + sub.id);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, "webhook_disabled");
  EXPECT_EQ(events[1].actor, "system");
  EXPECT_EQ(events[1].payloadJson.find(sub.secret.substr(6)), std::string::npos);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].rfind(sub.id + " " + receiverUrl(), 0), 0u) << told[0];

  // Nothing more is sent: what waited dead-letters, and new events queue nothing for it.
  deliver();
  EXPECT_EQ(receiver_.received().size(), 3u);
  service::OutboxQuery q;
  q.destination = "webhook:" + sub.id;
  auto queued = store_->listOutbox(q);
  ASSERT_EQ(queued.size(), 2u);
  for (const auto& m : queued) {
    EXPECT_EQ(m.status, "dead");
    EXPECT_NE(m.lastError.value_or("").find("disabled"), std::string::npos) << m.lastError.value_or("");
  }
  const auto before = store_->listOutbox(q).size();
  expectFire("rita", id, "accept");
  EXPECT_EQ(store_->listOutbox(q).size(), before);
}

TEST_F(WebhookTest, RegistryHookRecordsAFirstTransferOnceAndRefusesReplaysStaleAndForged) {
  std::string id = draft();
  std::string ref = authorise(id);
  const std::string body = transfer(ref);

  // POST /api/v1/hooks/registry with the source in the webhook-source header.
  HttpResult r = registryPost("national-registry", "evt_0001", nowSeconds(), body, registrySecret_, true);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()->getValue<std::int64_t>("first_transferred_total"), 1000);
  auto a = as("rita", "GET", "/api/v1/authorisations/" + ref).json();
  auto transfers = a->getArray("first_transfers");
  ASSERT_EQ(transfers->size(), 1u);
  EXPECT_EQ(transfers->getObject(0)->getValue<std::string>("recorded_by"), "registry:national-registry");
  EXPECT_EQ(transfers->getObject(0)->getValue<std::string>("serial_first"), "GHA-1");
  EXPECT_TRUE(has(historyTypes(id), "first_transfer_recorded"));

  // The same delivery again (a replay, or the registry's own retry): refused, recorded once.
  HttpResult again = registryPost("national-registry", "evt_0001", nowSeconds(), body, registrySecret_);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_NE(again.body.find("replayed"), std::string::npos) << again.body;
  EXPECT_EQ(store_->firstTransfers(ref).size(), 1u);
  // The source named in the path or by the header: one source, one record of what it sent.
  EXPECT_EQ(registryPost("national-registry", "evt_0001", nowSeconds(), body, registrySecret_, true).status, 409);

  HttpResult stale = registryPost("national-registry", "evt_0002", nowSeconds() - 301, body, registrySecret_);
  EXPECT_EQ(stale.status, 401) << stale.body;
  EXPECT_NE(stale.body.find("stale"), std::string::npos) << stale.body;
  HttpResult future = registryPost("national-registry", "evt_0003", nowSeconds() + 301, body, registrySecret_);
  EXPECT_EQ(future.status, 401) << future.body;

  HttpResult forged = registryPost("national-registry", "evt_0004", nowSeconds(), body, hooks::generateSecret());
  EXPECT_EQ(forged.status, 401) << forged.body;
  HttpResult unknown = registryPost("other-registry", "evt_0005", nowSeconds(), body, registrySecret_);
  EXPECT_EQ(unknown.status, 401) << unknown.body;
  HttpResult unsigned_ =
      client_->send("POST", "/api/v1/hooks/registry/national-registry", body, {{"Content-Type", "application/json"}});
  EXPECT_EQ(unsigned_.status, 401) << unsigned_.body;
  // A body changed after signing does not verify.
  auto h = hooks::signedHeaders(registrySecret_, "evt_0006", nowSeconds(), body);
  HttpResult tampered = client_->send("POST", "/api/v1/hooks/registry/national-registry", transfer(ref, "999"),
                                      {{"Content-Type", "application/json"},
                                       {hooks::kIdHeader, h.id},
                                       {hooks::kTimestampHeader, h.timestamp},
                                       {hooks::kSignatureHeader, h.signature}});
  EXPECT_EQ(tampered.status, 401) << tampered.body;
  EXPECT_EQ(store_->firstTransfers(ref).size(), 1u);

  // Signed but wrong: field errors with paths; more than authorised: the strict check refuses.
  HttpResult bad =
      registryPost("national-registry", "evt_0007", nowSeconds(),
                   R"({"type": "first_transfer.recorded", "data": {"authorisation_ref": ")" + ref +
                       R"(", "quantity": "many", "serial_first": "", "serial_last": "x", "date": "2026-13-01"}})",
                   registrySecret_);
  ASSERT_EQ(bad.status, 422) << bad.body;
  for (const std::string path : {"data.quantity", "data.serial_first", "data.date"}) {
    EXPECT_NE(bad.body.find("\"" + path + "\""), std::string::npos) << path << " in " << bad.body;
  }
  HttpResult noSuch =
      registryPost("national-registry", "evt_0008", nowSeconds(), transfer("GHA-A6-2020-9999"), registrySecret_);
  EXPECT_EQ(noSuch.status, 422) << noSuch.body;
  EXPECT_NE(noSuch.body.find("data.authorisation_ref"), std::string::npos) << noSuch.body;
  HttpResult tooMuch =
      registryPost("national-registry", "evt_0009", nowSeconds(), transfer(ref, "1499001"), registrySecret_);
  EXPECT_EQ(tooMuch.status, 409) << tooMuch.body;
  // A refused delivery is not remembered: fixed, it may come again under its id.
  HttpResult fixed =
      registryPost("national-registry", "evt_0009", nowSeconds(), transfer(ref, "1499000"), registrySecret_);
  EXPECT_EQ(fixed.status, 201) << fixed.body;
  EXPECT_EQ(store_->firstTransfers(ref).size(), 2u);
}

// The same service with the production policy: no private, loopback or link-local destination.
class WebhookSsrfTest : public WebhookTest {
 protected:
  std::string policyConfig() override { return "webhooks.allow_http = true\n"; }
};

TEST_F(WebhookSsrfTest, PrivateAddressesAreRefusedAtSubscription) {
  for (const std::string url :
       {"http://127.0.0.1/", "https://127.0.0.1/", "http://localhost:8080/x", "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://192.168.1.10/", "http://0.0.0.0/"}) {
    HttpResult r = as("admin", "POST", "/api/v1/webhooks", R"({"url": ")" + url + R"(", "event_types": ["*"]})");
    EXPECT_EQ(r.status, 422) << url << ": " << r.body;
    auto errors = r.json()->getArray("errors");
    ASSERT_TRUE(errors && errors->size() == 1u) << r.body;
    EXPECT_EQ(errors->getObject(0)->getValue<std::string>("path"), "url");
    EXPECT_EQ(errors->getObject(0)->getValue<std::string>("code"), "not_allowed");
  }
  for (const std::string url : {"ftp://example.org/", "http://user:pw@example.org/", "not a url"}) {
    EXPECT_EQ(as("admin", "POST", "/api/v1/webhooks", R"({"url": ")" + url + R"(", "event_types": ["*"]})").status, 422)
        << url;
  }
  EXPECT_TRUE(store_->listWebhooks().empty());
}

TEST_F(WebhookSsrfTest, ASubscriptionThatNowResolvesToAPrivateAddressIsRefusedAtDelivery) {
  // As if its name had resolved to a public address when it was made and to loopback now: the
  // row is written directly, past the API's check.
  service::WebhookSubscription w;
  w.id = "whk_01JZZZZZZZZZZZZZZZZZZZZZZZ";
  w.url = receiverUrl();
  w.eventTypes = {"request.submitted"};
  w.secret = hooks::generateSecret();
  w.createdBy = "admin";
  w.createdAt = w.updatedAt = formatTimestamp(clock_.now());
  service::Commit c;
  c.streamId = "webhook:" + w.id;
  c.party = "GHA";
  c.events.push_back({"webhook_subscribed", "admin", w.createdAt, "{}"});
  c.webhookSubscription = w;
  store_->commit(c);

  std::string id = draft();
  expectFire("ada", id, "submit");
  EXPECT_EQ(deliver(), 1);
  EXPECT_TRUE(receiver_.received().empty());
  service::OutboxQuery q;
  q.destination = "webhook:" + w.id;
  auto sent = store_->listOutbox(q);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].status, "dead");  // a refused destination is permanent
  EXPECT_NE(sent[0].lastError.value_or("").find("127.0.0.1"), std::string::npos) << sent[0].lastError.value_or("");
}

// Production-like: https only, the receiver's certificate verified against webhooks.ca_file (the
// test CA), loopback allowed so that the receiver can run here.
class WebhookHttpsTest : public WebhookTest {
 protected:
  std::string policyConfig() override {
    const std::string d = dir_.path();
    writeFile(dir_.file("receiver.ext"), "subjectAltName=IP:127.0.0.1\n");
    const std::string script =
        "set -e; cd '" + d +
        "'; openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 "
        "-keyout receiver.key -out receiver.csr 2>/dev/null; "
        "openssl x509 -req -in receiver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out receiver.crt "
        "-extfile receiver.ext 2>/dev/null";
    if (std::system(("bash -c \"" + script + "\"").c_str()) != 0) throw std::runtime_error("receiver PKI failed");
    return "webhooks.allow_private_addresses = true\nwebhooks.ca_file = " + dir_.file("ca.crt") + "\n";
  }
};

TEST_F(WebhookHttpsTest, DeliveryOverVerifiedTlsAndPlainHttpRefused) {
  Poco::Net::Context::Ptr tls = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, dir_.file("receiver.key"),
                                                       dir_.file("receiver.crt"), "", Poco::Net::Context::VERIFY_NONE);
  Receiver secure(tls);
  HttpResult plain =
      as("admin", "POST", "/api/v1/webhooks", R"({"url": ")" + receiverUrl() + R"(", "event_types": ["*"]})");
  EXPECT_EQ(plain.status, 422) << plain.body;
  EXPECT_NE(plain.body.find("\"url\""), std::string::npos) << plain.body;

  auto sub = subscribe("https://127.0.0.1:" + std::to_string(secure.port()) + "/tls", R"(["request.submitted"])");
  std::string id = draft();
  expectFire("ada", id, "submit");
  EXPECT_EQ(deliver(), 1);
  auto got = secure.received();
  ASSERT_EQ(got.size(), 1u);
  expectAllSigned(got, sub.secret);
  EXPECT_EQ(parse(got[0].body)->getValue<std::string>("type"), "request.submitted");
  service::OutboxQuery q;
  q.destination = "webhook:" + sub.id;
  auto sent = store_->listOutbox(q);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].status, "delivered") << sent[0].lastError.value_or("");
}

}  // namespace
}  // namespace a6::test
