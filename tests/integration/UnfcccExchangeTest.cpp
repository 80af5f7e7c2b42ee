// The UNFCCC exchange end to end: a6auth's real HTTP server and outbox against the peer
// simulator (a6-unfccc-sim) running as its own process over verified TLS. Deliveries run on the
// test's thread (OutboxWorker::runOnce) and retries are made due by moving the manual clock, so
// that outages, timeouts and lost answers are exact, not timed. The inbound endpoint is fed by the
// simulator (signed findings) and by hand-made hostile documents. What a6auth sent is checked
// with the xmllint and xmlsec1 command lines.
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "WorkflowFixture.h"
#include "a6/integrations/unfccc/Messages.h"
#include "a6/integrations/unfccc/XmlSignature.h"

namespace a6::test {
namespace {

namespace un = a6::integrations::unfccc;

std::string sh(const std::string& command) {
  const int rc = std::system((command + " > /dev/null 2>&1").c_str());
  return rc == 0 ? "ok" : "failed";
}

class UnfcccExchangeTest : public WorkflowFixture {
 protected:
  static void SetUpTestSuite() { Poco::Net::initializeSSL(); }
  static void TearDownTestSuite() { Poco::Net::uninitializeSSL(); }

  // Before the config is read: the PKI of the peer and the simulator itself.
  // With mutual TLS the simulator asks for a client certificate issued by the test CA.
  virtual bool mutualTls() { return false; }
  std::string mutualTlsConfig() {
    return mutualTls() ? "unfccc.client_cert = " + dir_.file("client.crt") +
                             "\nunfccc.client_key = " + dir_.file("client.key") + "\n"
                       : "";
  }

  std::string extraConfig() override {
    std::string letters = makeTestLetterConfig(dir_);
    const std::string d = dir_.path();
    makeServerCertificate(dir_, "peer");
    makeServerCertificate(dir_, "client");
    const std::string script =
        "set -e; cd '" + d +
        "'; "
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=UNFCCC test signer' -keyout unfccc.key "
        "-out unfccc.crt 2>/dev/null; "
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=Impostor' -keyout other.key -out other.crt "
        "2>/dev/null";
    writeFile(dir_.file("peer-pki.sh"), script + "\n");
    if (std::system(("bash '" + dir_.file("peer-pki.sh") + "'").c_str()) != 0) {
      throw std::runtime_error("peer PKI failed");
    }
    std::vector<std::string> args{"--listen",   "127.0.0.1:0",           "--port-file",    dir_.file("sim.port"),
                                  "--tls-cert", dir_.file("peer.crt"),   "--tls-key",      dir_.file("peer.key"),
                                  "--sign-key", dir_.file("unfccc.key"), "--sign-cert",    dir_.file("unfccc.crt"),
                                  "--trust",    dir_.file("signer.crt"), "--hang-seconds", "4"};
    if (mutualTls()) args.insert(args.end(), {"--client-ca", dir_.file("ca.crt")});
    sim_ = std::make_unique<Process>(A6_SIM_BIN, args, dir_.file("sim.log"));
    for (int i = 0; i < 500 && simPort_ == 0; ++i) {
      std::string text = readFileOrEmpty(dir_.file("sim.port"));
      if (!text.empty() && text.back() == '\n') simPort_ = std::stoi(text);
      if (simPort_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (simPort_ == 0)
      throw std::runtime_error("the simulator did not start: " + readFileOrEmpty(dir_.file("sim.log")));
    return letters + "unfccc.url = https://127.0.0.1:" + std::to_string(simPort_) +
           "/unfccc/notifications\n"
           "unfccc.ca_file = " +
           d + "/ca.crt\nunfccc.certificate = " + d +
           "/unfccc.crt\n"
           "unfccc.read_timeout_ms = 1000\n"
           "unfccc.connect_timeout_ms = 1000\n"
           "unfccc.inbound_bytes = 65536\n"
           "outbox.retry.initial_ms = 1000\n"
           "outbox.retry.max_ms = 600000\n"
           "outbox.retry.max_attempts = 12\n" +
           mutualTlsConfig();
  }

  void TearDown() override {
    WorkflowFixture::TearDown();
    if (sim_) {
      sim_->signal(SIGTERM);
      sim_->wait();
    }
  }

  static std::string readFileOrEmpty(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // The simulator's admin endpoints, over TLS verified against the test CA.
  std::pair<int, std::string> simCall(const std::string& method, const std::string& path,
                                      const std::string& body = "") {
    Poco::Net::Context::Params params;
    params.caLocation = dir_.file("ca.crt");
    params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    if (mutualTls()) {
      params.certificateFile = dir_.file("client.crt");
      params.privateKeyFile = dir_.file("client.key");
    }
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    Poco::Net::HTTPSClientSession session("127.0.0.1", static_cast<Poco::UInt16>(simPort_), context);
    session.setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!body.empty()) {
      request.setContentType("application/json");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::string answer;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), answer);
    return {static_cast<int>(response.getStatus()), answer};
  }

  void simMode(const std::string& mode) {
    auto [status, body] = simCall("POST", "/admin/mode", R"({"mode": ")" + mode + R"("})");
    ASSERT_EQ(status, 200) << body;
  }

  Object::Ptr simReceived() {
    auto [status, body] = simCall("GET", "/admin/received");
    EXPECT_EQ(status, 200) << body;
    return Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
  }

  // (message id, version) of what the simulator accepted, in arrival order.
  std::vector<std::pair<std::string, int>> simMessages() {
    auto list = simReceived()->getArray("received");
    std::vector<std::pair<std::string, int>> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto o = list->getObject(static_cast<unsigned>(i));
      out.emplace_back(o->getValue<std::string>("message_id"), o->getValue<int>("version"));
    }
    return out;
  }

  int deliver() { return deliveries_->worker().runOnce("unfccc"); }

  // Every UNFCCC message about `ref`, oldest first.
  std::vector<service::OutboxMessage> messagesOf(const std::string& ref) {
    service::OutboxQuery q;
    q.ref = ref;
    auto list = store_->listOutbox(q);
    std::reverse(list.begin(), list.end());
    return list;
  }

  // A webhook subscription to unfccc.acknowledged, written to the store directly (nothing is sent
  // to it here: the tests look at what is queued).
  service::WebhookSubscription subscribeToAcknowledgements() {
    service::WebhookSubscription w;
    w.id = "whk_01JZZZZZZZZZZZZZZZZZZZZZZZ";
    w.url = "https://hooks.example.org/a6";
    w.eventTypes = {"unfccc.acknowledged"};
    w.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    w.createdBy = "admin";
    w.createdAt = w.updatedAt = formatTimestamp(clock_.now());
    service::Commit c;
    c.streamId = "webhook:" + w.id;
    c.party = "GHA";
    c.events.push_back({"webhook_subscribed", "admin", w.createdAt, "{}"});
    c.webhookSubscription = w;
    store_->commit(c);
    return w;
  }

  // Moves the clock past any backoff (the retry ceiling is 10 minutes).
  void afterBackoff() { clock_.advance(std::chrono::seconds(601)); }

  std::unique_ptr<Process> sim_;
  int simPort_ = 0;
};

TEST_F(UnfcccExchangeTest, IssuedAuthorisationIsDeliveredSignedAndAcknowledged) {
  std::string id = draft();
  std::string ref = authorise(id);
  auto queued = messagesOf(ref);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].status, "pending");
  EXPECT_EQ(queued[0].destination, "unfccc");
  // Nothing became a pending effect: the UNFCCC effect went to the outbox in the decision's commit.
  for (const auto& e : store_->effects(id)) EXPECT_NE(e.kind, "unfccc");

  EXPECT_EQ(deliver(), 1);
  auto sent = store_->findOutbox(queued[0].id);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->status, "delivered");
  EXPECT_EQ(sent->outcome.value_or(""), "accepted");
  EXPECT_EQ(sent->lastHttpStatus.value_or(0), 200);
  EXPECT_EQ(simMessages(), (std::vector<std::pair<std::string, int>>{{queued[0].id, 1}}));

  // The authorisation shows what the UNFCCC side said.
  auto a = as("rita", "GET", "/api/v1/authorisations/" + ref).json();
  auto n = a->getObject("unfccc")->getArray("notifications");
  ASSERT_EQ(n->size(), 1u);
  EXPECT_EQ(n->getObject(0)->getValue<std::string>("status"), "delivered");
  EXPECT_EQ(n->getObject(0)->getValue<std::string>("outcome"), "accepted");
  EXPECT_EQ(n->getObject(0)->getObject("outcome_detail")->getValue<std::string>("status"), "accepted");

  // The operators' view has the exact bytes sent; independent tools accept them.
  auto view = as("admin", "GET", "/api/v1/outbox/" + queued[0].id);
  ASSERT_EQ(view.status, 200) << view.body;
  const std::string xml = view.json()->getValue<std::string>("payload");
  EXPECT_EQ(xml, sent->payload);
  EXPECT_NE(xml.find("<MessageID>" + queued[0].id + "</MessageID>"), std::string::npos);
  EXPECT_NE(xml.find("<AuthorizationID>" + ref + "</AuthorizationID>"), std::string::npos);
  EXPECT_EQ(view.json()->getArray("attempt_log")->size(), 1u);
  writeFile(dir_.file("sent.xml"), xml);
  const std::string schema = std::string(A6_SOURCE_DIR) + "/integrations/unfccc/schemas/authorisation-notification.xsd";
  EXPECT_EQ(sh("xmllint --noout --nonet --schema " + schema + " " + dir_.file("sent.xml")), "ok");
  EXPECT_EQ(sh("xmlsec1 --verify --trusted-pem " + dir_.file("ca.crt") + " " + dir_.file("sent.xml")), "ok");
  // A changed quantity keeps the schema but breaks the signature; a broken CA id breaks both.
  std::string tampered = xml;
  auto at = tampered.find("<AuthorizedQuantity unit=\"tCO2e\">1500000<");
  ASSERT_NE(at, std::string::npos);
  tampered.replace(at + std::string("<AuthorizedQuantity unit=\"tCO2e\">").size(), 7, "9500000");
  writeFile(dir_.file("tampered.xml"), tampered);
  EXPECT_EQ(sh("xmlsec1 --verify --trusted-pem " + dir_.file("ca.crt") + " " + dir_.file("tampered.xml")), "failed");
  std::string invalid = xml;
  auto ca = invalid.find("<CooperativeApproachID>CA");
  ASSERT_NE(ca, std::string::npos);
  invalid.replace(ca + std::string("<CooperativeApproachID>").size(), 6, "CA42");
  writeFile(dir_.file("invalid.xml"), invalid);
  EXPECT_EQ(sh("xmllint --noout --nonet --schema " + schema + " " + dir_.file("invalid.xml")), "failed");
  EXPECT_EQ(sh("xmlsec1 --verify --trusted-pem " + dir_.file("ca.crt") + " " + dir_.file("invalid.xml")), "failed");

  // Applicants do not see the outbox.
  EXPECT_EQ(as("ada", "GET", "/api/v1/outbox").status, 403);
  EXPECT_EQ(as("ada", "GET", "/api/v1/outbox/" + queued[0].id).status, 403);
}

// An acknowledgement queues the unfccc.acknowledged webhooks in the attempt's transaction
// (WebhookTest covers their delivery).
TEST_F(UnfcccExchangeTest, AcknowledgementQueuesTheUnfcccAcknowledgedWebhook) {
  service::WebhookSubscription w = subscribeToAcknowledgements();

  std::string id = draft();
  std::string ref = authorise(id);
  EXPECT_EQ(deliver(), 1);
  service::OutboxQuery q;
  q.destination = "webhook:" + w.id;
  auto queued = store_->listOutbox(q);
  ASSERT_EQ(queued.size(), 1u);
  auto body = Poco::JSON::Parser().parse(queued[0].payload).extract<Object::Ptr>();
  EXPECT_EQ(body->getValue<std::string>("type"), "unfccc.acknowledged");
  auto data = body->getObject("data");
  EXPECT_EQ(data->getValue<std::string>("outcome"), "accepted");
  EXPECT_EQ(data->getValue<std::string>("authorisation_ref"), ref);
  EXPECT_EQ(data->getValue<std::string>("request_id"), id);
  EXPECT_EQ(data->getValue<std::string>("message_id"), messagesOf(ref).front().id);
}

TEST_F(UnfcccExchangeTest, PeerDownThenBackDeliversOnceAndSurvivesARestart) {
  simMode("fail503");
  std::string ref = authorise(draft());
  const std::string msg = messagesOf(ref).at(0).id;
  EXPECT_EQ(deliver(), 1);
  auto m = store_->findOutbox(msg);
  EXPECT_EQ(m->status, "pending");
  EXPECT_EQ(m->attempts, 1);
  EXPECT_EQ(m->lastHttpStatus.value_or(0), 503);
  EXPECT_NE(m->lastError.value_or("").find("503"), std::string::npos);
  // Backoff: not due again at once.
  EXPECT_EQ(deliver(), 0);
  afterBackoff();
  EXPECT_EQ(deliver(), 1);  // still down
  EXPECT_EQ(store_->findOutbox(msg)->attempts, 2);

  // a6auth stops and starts again (as at a process restart): the message is still there.
  stop();
  start();
  simMode("accept");
  afterBackoff();
  EXPECT_EQ(deliver(), 1);
  m = store_->findOutbox(msg);
  EXPECT_EQ(m->status, "delivered");
  EXPECT_EQ(m->outcome.value_or(""), "accepted");
  EXPECT_EQ(simMessages().size(), 1u);
  EXPECT_EQ(simReceived()->getValue<int>("duplicates"), 0);
  EXPECT_EQ(store_->outboxAttempts(msg).size(), 3u);
  EXPECT_EQ(deliver(), 0);  // nothing more to send
}

TEST_F(UnfcccExchangeTest, PeerHangingPastTheTimeoutIsRetried) {
  simMode("hang");
  std::string ref = authorise(draft());
  const std::string msg = messagesOf(ref).at(0).id;
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(deliver(), 1);
  // The read timeout (1 s) ended the attempt, not the peer's 4 s hang.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(3500));
  auto m = store_->findOutbox(msg);
  EXPECT_EQ(m->status, "pending");
  EXPECT_NE(m->lastError.value_or("").find("time"), std::string::npos) << m->lastError.value_or("");
  simMode("accept");
  afterBackoff();
  EXPECT_EQ(deliver(), 1);
  EXPECT_EQ(store_->findOutbox(msg)->status, "delivered");
  EXPECT_EQ(simMessages().size(), 1u);
}

TEST_F(UnfcccExchangeTest, AcceptedButAnswerLostIsSentAgainAndCountedOnce) {
  simMode("lose-answer");
  std::string ref = authorise(draft());
  const std::string msg = messagesOf(ref).at(0).id;
  EXPECT_EQ(deliver(), 1);
  EXPECT_EQ(store_->findOutbox(msg)->status, "pending");
  EXPECT_EQ(simMessages().size(), 1u);  // the peer has it, a6auth does not know
  simMode("accept");
  afterBackoff();
  EXPECT_EQ(deliver(), 1);
  auto m = store_->findOutbox(msg);
  EXPECT_EQ(m->status, "delivered");
  EXPECT_EQ(m->outcome.value_or(""), "accepted");
  // The same id again: the peer dropped the duplicate and answered its first acknowledgement.
  EXPECT_EQ(simMessages().size(), 1u);
  EXPECT_EQ(simReceived()->getValue<int>("duplicates"), 1);
}

TEST_F(UnfcccExchangeTest, AmendmentIsDeliveredAfterItsOriginal) {
  simMode("fail503");
  std::string id = draft();
  std::string ref = authorise(id);
  EXPECT_EQ(deliver(), 1);  // version 1 fails and waits for its backoff
  HttpResult open = as("ada", "POST", "/api/v1/authorisations/" + ref + "/amendments",
                       R"({"changes": {"authorisation": {"authorized_quantity": 1200000}}, "comment": "Smaller"})");
  ASSERT_EQ(open.status, 201) << open.body;
  expectFire("rita", id, "accept");
  expectFire("amina", id, "approve");
  auto both = messagesOf(ref);
  ASSERT_EQ(both.size(), 2u);
  // Version 2 is due now, version 1 is not: version 2 still waits behind it.
  simMode("accept");
  EXPECT_EQ(deliver(), 0);
  EXPECT_EQ(store_->findOutbox(both[1].id)->status, "pending");
  afterBackoff();
  EXPECT_EQ(deliver(), 2);
  EXPECT_EQ(simMessages(), (std::vector<std::pair<std::string, int>>{{both[0].id, 1}, {both[1].id, 2}}));
  auto kinds = simReceived()->getArray("received");
  EXPECT_EQ(kinds->getObject(1)->getValue<std::string>("kind"), "amended");
}

TEST_F(UnfcccExchangeTest, DeadLetteredMessageIsListedAndRetriedByHand) {
  simMode("fail503");
  std::string ref = authorise(draft());
  const std::string msg = messagesOf(ref).at(0).id;
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(deliver(), 1) << "attempt " << i + 1;
    afterBackoff();
  }
  auto m = store_->findOutbox(msg);
  EXPECT_EQ(m->status, "dead");
  EXPECT_EQ(deliver(), 0);

  auto dead = as("audrey", "GET", "/api/v1/outbox?status=dead");
  ASSERT_EQ(dead.status, 200) << dead.body;
  auto items = dead.json()->getArray("items");
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ(items->getObject(0)->getValue<std::string>("id"), msg);
  EXPECT_NE(items->getObject(0)->getValue<std::string>("last_error").find("gave up after 12 attempts"),
            std::string::npos);
  EXPECT_EQ(as("admin", "GET", "/api/v1/outbox?status=lost").status, 422);
  // Operators alert on it.
  EXPECT_NE(
      client_->send("GET", "/metrics").body.find("a6auth_outbox_messages{destination=\"unfccc\",status=\"dead\"} 1"),
      std::string::npos);

  // Only an administrator retries, and only a dead message.
  EXPECT_EQ(as("audrey", "POST", "/api/v1/outbox/" + msg + "/retry").status, 403);
  EXPECT_EQ(as("admin", "POST", "/api/v1/outbox/msg_nothing/retry").status, 404);
  simMode("accept");
  auto retried = as("admin", "POST", "/api/v1/outbox/" + msg + "/retry");
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(retried.json()->getValue<std::string>("status"), "pending");
  EXPECT_EQ(as("admin", "POST", "/api/v1/outbox/" + msg + "/retry").status, 409);
  EXPECT_EQ(deliver(), 1);
  EXPECT_EQ(store_->findOutbox(msg)->status, "delivered");
  EXPECT_EQ(store_->outboxAttempts(msg).size(), 13u);
  EXPECT_EQ(simMessages().size(), 1u);
}

TEST_F(UnfcccExchangeTest, RejectionIsRecordedAsTheOutcome) {
  auto [status, body] = simCall("POST", "/admin/mode", R"({"mode": "reject", "reject_code": "CA-UNKNOWN"})");
  ASSERT_EQ(status, 200) << body;
  std::string ref = authorise(draft());
  EXPECT_EQ(deliver(), 1);
  auto m = messagesOf(ref).at(0);
  EXPECT_EQ(m.status, "delivered");
  EXPECT_EQ(m.outcome.value_or(""), "rejected");
  EXPECT_NE(m.outcomeDetail.value_or("").find("CA-UNKNOWN"), std::string::npos);
}

TEST_F(UnfcccExchangeTest, FindingFromThePeerIsStoredShownAndRaisesTheDefinitionsEffects) {
  std::string id = draft();
  std::string ref = authorise(id);
  EXPECT_EQ(deliver(), 1);
  const std::string msg = messagesOf(ref).at(0).id;
  const std::string target = "http://127.0.0.1:" + std::to_string(server_->port()) + "/api/v1/unfccc/inbound";
  const std::string finding = R"({"target": ")" + target + R"(", "refers_to_message_id": ")" + msg +
                              R"(", "text": "The authorised quantity exceeds the activity's estimate.",)"
                              R"( "severity": "warning", "code": "QTY-CHECK", "finding_id": "F-1"})";
  auto [status, body] = simCall("POST", "/admin/findings", finding);
  ASSERT_EQ(status, 200) << body;
  auto answer = Poco::JSON::Parser().parse(body).extract<Object::Ptr>();
  EXPECT_EQ(answer->getValue<int>("status"), 202) << answer->getValue<std::string>("body");

  auto a = as("rita", "GET", "/api/v1/authorisations/" + ref).json();
  auto findings = a->getObject("unfccc")->getArray("findings");
  ASSERT_EQ(findings->size(), 1u);
  auto f = findings->getObject(0);
  EXPECT_EQ(f->getValue<std::string>("finding_id"), "F-1");
  EXPECT_EQ(f->getValue<std::string>("severity"), "warning");
  EXPECT_EQ(f->getValue<std::string>("code"), "QTY-CHECK");
  EXPECT_EQ(f->getValue<int>("version"), 1);
  EXPECT_TRUE(has(historyTypes(id), "unfccc_finding_received"));
  // <on-finding> of article6-2-standard: email the carbon markets office and a webhook. With no
  // mail server configured here the email waits as a pending effect; with no subscription taking
  // unfccc.finding_received the webhook is done (WebhookTest covers subscribed ones).
  EXPECT_TRUE(has(effects(id, "email"), "finding-received"));
  EXPECT_TRUE(effects(id, "webhook").empty());

  // A new message about the same finding (now resolved) is another row.
  auto [resolved, resolvedBody] = simCall(
      "POST", "/admin/findings",
      R"({"target": ")" + target + R"(", "refers_to_message_id": ")" + msg +
          R"(", "text": "Explained by the Party.", "status": "resolved", "severity": "info", "finding_id": "F-1"})");
  ASSERT_EQ(resolved, 200) << resolvedBody;
  EXPECT_EQ(store_->findingsOf(ref).size(), 2u);
  EXPECT_EQ(store_->findingsOf(ref).back().status, "resolved");

  // One message delivered twice is recorded once.
  un::Finding again;
  again.messageId = "fnd-twice";
  again.findingId = "F-2";
  again.sender = "UNFCCC CARP";
  again.createdAt = "2026-11-25T10:00:00Z";
  again.party = "GHA";
  again.action = un::ActionReference{ref, 1};
  again.text = "Second look.";
  const std::string xml =
      un::signXml(un::buildFinding(again), readFile(dir_.file("unfccc.key")), readFile(dir_.file("unfccc.crt")));
  auto first = client_->send("POST", "/api/v1/unfccc/inbound", xml, {{"Content-Type", "application/xml"}});
  EXPECT_EQ(first.status, 202) << first.body;
  const std::size_t eventsAfterFirst = historyTypes(id).size();
  auto second = client_->send("POST", "/api/v1/unfccc/inbound", xml, {{"Content-Type", "application/xml"}});
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_TRUE(second.json()->getValue<bool>("duplicate"));
  EXPECT_EQ(historyTypes(id).size(), eventsAfterFirst);
  EXPECT_EQ(store_->findingsOf(ref).size(), 3u);
}

TEST_F(UnfcccExchangeTest, LaterAcknowledgementUpdatesTheDeliveryState) {
  service::WebhookSubscription w = subscribeToAcknowledgements();
  simMode("lose-answer");
  std::string ref = authorise(draft());
  const std::string msg = messagesOf(ref).at(0).id;
  EXPECT_EQ(deliver(), 1);
  ASSERT_EQ(store_->findOutbox(msg)->status, "pending");
  // The peer's acknowledgement comes by the inbound endpoint instead.
  un::Acknowledgement ack;
  ack.acknowledgementId = "ack-later-1";
  ack.refersToMessageId = msg;
  ack.sender = "UNFCCC CARP";
  ack.createdAt = "2026-11-25T10:00:00Z";
  ack.status = un::AckStatus::Accepted;
  const std::string signedAck =
      un::signXml(un::buildAcknowledgement(ack), readFile(dir_.file("unfccc.key")), readFile(dir_.file("unfccc.crt")));
  auto r = client_->send("POST", "/api/v1/unfccc/inbound", signedAck, {{"Content-Type", "application/xml"}});
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.json()->getValue<std::string>("kind"), "acknowledgement");
  auto m = store_->findOutbox(msg);
  EXPECT_EQ(m->status, "delivered");
  EXPECT_EQ(m->outcome.value_or(""), "accepted");
  EXPECT_EQ(deliver(), 0);  // delivered: not sent again
  // Subscribers hear of it as they would of an answer to the POST.
  service::OutboxQuery q;
  q.destination = "webhook:" + w.id;
  auto queued = store_->listOutbox(q);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_NE(queued[0].payload.find("\"unfccc.acknowledged\""), std::string::npos);
  EXPECT_NE(queued[0].payload.find("ack-later-1"), std::string::npos);
  auto dup = client_->send("POST", "/api/v1/unfccc/inbound", signedAck, {{"Content-Type", "application/xml"}});
  EXPECT_EQ(dup.status, 200) << dup.body;
  EXPECT_TRUE(dup.json()->getValue<bool>("duplicate"));
}

TEST_F(UnfcccExchangeTest, HostileOrUnsignedInboundIsRefusedAndChangesNothing) {
  std::string id = draft();
  std::string ref = authorise(id);
  EXPECT_EQ(deliver(), 1);
  const std::string msg = messagesOf(ref).at(0).id;
  const std::int64_t eventsBefore = eventCount();
  writeFile(dir_.file("secret.txt"), "TOP-SECRET-CONTENT");

  un::Finding f;
  f.messageId = "fnd-msg-1";
  f.findingId = "F-9";
  f.sender = "UNFCCC CARP";
  f.createdAt = "2026-11-25T10:00:00Z";
  f.party = "GHA";
  f.action = un::ActionReference{ref, 1};
  f.text = "Check the dates.";
  const std::string unsignedFinding = un::buildFinding(f);
  const std::string signedByOther =
      un::signXml(unsignedFinding, readFile(dir_.file("other.key")), readFile(dir_.file("other.crt")));
  std::string broken =
      un::signXml(unsignedFinding, readFile(dir_.file("unfccc.key")), readFile(dir_.file("unfccc.crt")));
  broken.replace(broken.find("Check the dates."), 16, "Check the DATES.");
  const std::string laughs =
      "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
      "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><ConsistencyFinding "
      "xmlns=\"urn:a6auth:unfccc:consistency-finding:1\">&lol2;</ConsistencyFinding>";
  const std::string xxe = "<?xml version=\"1.0\"?><!DOCTYPE f [<!ENTITY x SYSTEM \"file://" + dir_.file("secret.txt") +
                          "\">]><ConsistencyFinding xmlns=\"urn:a6auth:unfccc:consistency-finding:1\">&x;"
                          "</ConsistencyFinding>";
  std::string wrongNs = unsignedFinding;
  wrongNs.replace(wrongNs.find("urn:a6auth:unfccc:consistency-finding:1"), 39, "urn:example:not-ours:1");

  struct Case {
    std::string name;
    std::string body;
    int status;
  };
  const std::vector<Case> cases = {
      {"not XML", "this is not xml <", 400},  {"billion laughs", laughs, 400},
      {"external entity", xxe, 400},          {"wrong namespace", wrongNs, 422},
      {"no signature", unsignedFinding, 401}, {"signed by another key", signedByOther, 401},
      {"changed after signing", broken, 401}, {"huge body", "<a>" + std::string(70000, 'x') + "</a>", 413},
  };
  for (const auto& c : cases) {
    auto r = client_->send("POST", "/api/v1/unfccc/inbound", c.body, {{"Content-Type", "application/xml"}});
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << c.name;
    EXPECT_EQ(r.body.find("TOP-SECRET"), std::string::npos) << c.name;
  }
  auto json = client_->send("POST", "/api/v1/unfccc/inbound", "{}", {{"Content-Type", "application/json"}});
  EXPECT_EQ(json.status, 415);
  EXPECT_TRUE(store_->findingsOf(ref).empty());
  EXPECT_EQ(eventCount(), eventsBefore);
  EXPECT_EQ(store_->findOutbox(msg)->outcome.value_or(""), "accepted")
      << store_->findOutbox(msg)->lastError.value_or("");
}

// The real `a6auth serve` with its own outbox threads and the system clock, killed with SIGKILL
// while a notification is in flight (the peer hangs), then started again: the message's lease
// runs out and it is delivered, once.
TEST_F(UnfcccExchangeTest, KilledInTheMiddleOfAnAttemptTheRestartedProcessDeliversOnce) {
  simMode("hang");
  stop();  // the in-process server gives way to the real process on the same database
  const std::string config = config_->file;
  ::setenv("A6AUTH_OUTBOX_POLL_MS", "50", 1);
  ::setenv("A6AUTH_OUTBOX_LEASE_S", "5", 1);
  ::setenv("A6AUTH_UNFCCC_READ_TIMEOUT_MS", "20000", 1);
  auto unset = [] {
    ::unsetenv("A6AUTH_OUTBOX_POLL_MS");
    ::unsetenv("A6AUTH_OUTBOX_LEASE_S");
    ::unsetenv("A6AUTH_UNFCCC_READ_TIMEOUT_MS");
  };
  auto token = [&](const std::string& user) {
    RunResult r = runA6auth({"token", "issue", user, "--config", config});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return r.out.substr(0, r.out.find_last_not_of("\n") + 1);
  };
  std::string ref;
  {
    auto server = std::make_unique<ServerProcess>(dir_, config);
    HttpClient http = server->client();
    HttpResult created = http.as(token("ada"), "POST", "/api/v1/requests", dataFile("request-valid.json"));
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = created.json()->getValue<std::string>("id");
    auto fireAs = [&](const std::string& user, const std::string& body) {
      const std::string t = token(user);
      const std::string etag = http.as(t, "GET", "/api/v1/requests/" + id).header("ETag");
      const bool patch = body.rfind("{\"authorisation\"", 0) == 0;
      HttpResult r = http.as(t, patch ? "PATCH" : "POST", "/api/v1/requests/" + id + (patch ? "" : "/events"), body,
                             {{"If-Match", etag}});
      ASSERT_EQ(r.status, 200) << user << ": " << r.body;
    };
    fireAs("ada", R"({"authorisation": {"authorized_quantity": 1500000}})");
    for (const auto& [user, event] : std::vector<std::pair<std::string, std::string>>{
             {"ada", "submit"}, {"rita", "accept"}, {"tom", "endorse"}, {"tess", "endorse"}, {"amina", "approve"}}) {
      fireAs(user, R"({"event": ")" + event + R"("})");
    }
    ref = http.as(token("ada"), "GET", "/api/v1/requests/" + id).json()->getValue<std::string>("authorisation_ref");
    // A worker takes the message within a poll (50 ms) and waits on the hanging peer (4 s).
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    server->process().signal(SIGKILL);
    EXPECT_EQ(server->process().wait(), 128 + SIGKILL);
  }
  simMode("accept");
  {
    ServerProcess again(dir_, config);
    HttpClient http = again.client();
    const std::string admin = token("admin");
    std::string status;
    for (int i = 0; i < 300 && status != "delivered"; ++i) {
      auto list = http.as(admin, "GET", "/api/v1/outbox?ref=" + ref).json()->getArray("items");
      status = list->size() == 1 ? list->getObject(0)->getValue<std::string>("status") : "";
      if (status != "delivered") std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(status, "delivered") << again.log();
    auto m = http.as(admin, "GET", "/api/v1/outbox?ref=" + ref).json()->getArray("items")->getObject(0);
    EXPECT_EQ(m->getValue<std::string>("outcome"), "accepted");
    again.process().signal(SIGTERM);
    EXPECT_EQ(again.process().wait(), 0);
  }
  unset();
  // The attempt in flight at the kill reached the peer (which hung, then answered a dead socket);
  // it was never recorded there, and the one after the restart was, once.
  EXPECT_NE(readFileOrEmpty(dir_.file("sim.log")).find("mode=hang"), std::string::npos);
  auto received = simMessages();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(simReceived()->getValue<int>("duplicates"), 0);
  RunResult audit = runA6auth({"audit", "verify", "--config", config});
  EXPECT_EQ(audit.exitCode, 0) << audit.out << audit.err;
}

class UnfcccMutualTlsTest : public UnfcccExchangeTest {
 protected:
  bool mutualTls() override { return true; }
};

TEST_F(UnfcccMutualTlsTest, NotificationGoesOverMutualTls) {
  std::string ref = authorise(draft());
  EXPECT_EQ(deliver(), 1);
  auto m = messagesOf(ref).at(0);
  EXPECT_EQ(m.status, "delivered") << m.lastError.value_or("");
  EXPECT_EQ(m.outcome.value_or(""), "accepted");
  // The peer refuses a client without a certificate: the same peer, asked without one.
  Poco::Net::Context::Params params;
  params.caLocation = dir_.file("ca.crt");
  params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  Poco::Net::HTTPSClientSession session("127.0.0.1", static_cast<Poco::UInt16>(simPort_), context);
  session.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest request("GET", "/admin/received", Poco::Net::HTTPMessage::HTTP_1_1);
  EXPECT_ANY_THROW({
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response);
  });
}

// Down for more than an hour (every attempt refused, the clock moving 10 minutes at a time), then
// back: delivered once, still in order, nothing dead-lettered.
TEST_F(UnfcccExchangeTest, PeerDownForMoreThanAnHourThenBack) {
  simMode("fail503");
  std::string ref = authorise(draft());
  const std::string msg = messagesOf(ref).at(0).id;
  const auto start = clock_.now();
  int attempts = 0;
  while (clock_.now() - start < std::chrono::minutes(70)) {
    attempts += deliver();
    afterBackoff();
  }
  EXPECT_GE(attempts, 7);
  auto m = store_->findOutbox(msg);
  EXPECT_EQ(m->status, "pending");
  EXPECT_EQ(m->lastHttpStatus.value_or(0), 503);
  simMode("accept");
  EXPECT_EQ(deliver(), 1);
  EXPECT_EQ(store_->findOutbox(msg)->status, "delivered");
  EXPECT_EQ(simMessages().size(), 1u);
}

}  // namespace
}  // namespace a6::test
