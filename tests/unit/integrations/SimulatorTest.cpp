// The UNFCCC peer simulator as a separate process, driven over verified HTTPS: signed
// acknowledgements, duplicates dropped by id, refusals of bad input, the fault modes, findings
// sent back to a receiver, and a clean stop on SIGTERM. The test PKI is made with the openssl
// command line per run.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/StreamCopier.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "a6/integrations/unfccc/Messages.h"
#include "a6/integrations/unfccc/XmlSignature.h"

extern char** environ;

namespace a6::integrations::unfccc {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// A CA, a server certificate for 127.0.0.1 signed by it, and the two XMLDSig identities.
class TestPki {
 public:
  TestPki() : dir_(fs::temp_directory_path() / ("a6-sim-pki-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    std::ofstream(path("ext.cnf")) << "subjectAltName=IP:127.0.0.1\n";
    run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout " + path("ca.key") + " -out " + path("ca.pem") +
        " -subj /CN=a6-test-ca");
    run("openssl req -newkey rsa:2048 -nodes -keyout " + path("server.key") + " -out " + path("server.csr") +
        " -subj /CN=127.0.0.1");
    run("openssl x509 -req -days 2 -in " + path("server.csr") + " -CA " + path("ca.pem") + " -CAkey " + path("ca.key") +
        " -CAcreateserial -out " + path("server.pem") + " -extfile " + path("ext.cnf"));
    for (const char* who : {"party", "unfccc"}) {
      run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout " + path(std::string(who) + ".key") + " -out " +
          path(std::string(who) + ".pem") + " -subj /CN=a6-test-" + who);
    }
  }
  ~TestPki() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string pem(const std::string& name) const { return readFile(dir_ / name); }
  bool ok() const { return ok_; }

 private:
  void run(const std::string& command) {
    if (std::system((command + " > /dev/null 2>&1").c_str()) != 0) ok_ = false;
  }
  fs::path dir_;
  bool ok_ = true;
};

// The simulator binary as a child process; SIGTERM and a reaped exit status when it goes.
class SimProcess {
 public:
  SimProcess(const TestPki& pki, std::vector<std::string> extra) : pki_(pki) {
    static int counter = 0;
    const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(++counter);
    portFile_ = pki.path("port-" + tag);
    logFile_ = pki.path("sim-" + tag + ".log");
    std::vector<std::string> args = {A6_SIM_BIN,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--port-file",
                                     portFile_,
                                     "--tls-cert",
                                     pki.path("server.pem"),
                                     "--tls-key",
                                     pki.path("server.key"),
                                     "--sign-key",
                                     pki.path("unfccc.key"),
                                     "--sign-cert",
                                     pki.path("unfccc.pem"),
                                     "--trust",
                                     pki.path("party.pem")};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, logFile_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    port_ = waitForPort();
  }
  ~SimProcess() {
    if (pid_ > 0) stop();
  }
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  int port() const { return port_; }
  std::string log() const { return readFile(logFile_); }

  // SIGTERM, then the exit status (-1 when it did not exit normally within the deadline).
  int stop() {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }

 private:
  int waitForPort() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return 0;
      }
      if (fs::exists(portFile_)) return std::stoi(readFile(portFile_));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }
  const TestPki& pki_;
  std::string portFile_;
  std::string logFile_;
  pid_t pid_ = -1;
  int port_ = 0;
};

struct Answer {
  int status = 0;
  std::string contentType;
  std::string body;
};

Poco::Net::Context::Ptr clientContext(const TestPki& pki) {
  Poco::Net::Context::Params params;
  params.caLocation = pki.path("ca.pem");
  params.loadDefaultCAs = false;
  params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
}

Answer call(const TestPki& pki, int port, const std::string& method, const std::string& path,
            const std::string& body = {}, const std::string& contentType = "application/xml", int timeoutSeconds = 10) {
  Poco::Net::HTTPSClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port), clientContext(pki));
  session.setTimeout(Poco::Timespan(timeoutSeconds, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (method == "POST") {
    request.setContentType(contentType);
    request.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(request) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  Answer a;
  a.status = static_cast<int>(response.getStatus());
  a.contentType = response.getContentType();
  Poco::StreamCopier::copyToString(in, a.body);
  return a;
}

Poco::JSON::Object::Ptr json(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Poco::JSON::Object::Ptr>();
}

AuthorisationNotice notice(const std::string& messageId) {
  AuthorisationNotice n;
  n.messageId = messageId;
  n.sendingParty = "GHA";
  n.createdAt = "2025-03-14T09:30:00Z";
  n.authorisation.authorisationId = "GHA-A62-2025-0007";
  n.authorisation.dateOfAuthorisation = "2025-03-12";
  n.authorisation.cooperativeApproachId = "CA0042";
  n.authorisation.metric = "GHG";
  n.authorisation.gwpValues = "AR5";
  n.authorisation.sectors = {"Energy"};
  n.authorisation.activityTypes = {"Cookstoves"};
  n.authorisation.purposes = "NDC";
  n.letter = {std::string(64, 'a'), "https://a6.example.org/letters/7.pdf"};
  return n;
}

// A receiver of findings over HTTPS, in process: keeps the last body and answers 202.
class FindingReceiver {
 public:
  explicit FindingReceiver(const TestPki& pki) {
    Poco::Net::Context::Params params;
    params.certificateFile = pki.path("server.pem");
    params.privateKeyFile = pki.path("server.key");
    params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    params.loadDefaultCAs = false;
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 16, context);
    port_ = socket.address().port();
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket, new Poco::Net::HTTPServerParams);
    server_->start();
  }
  ~FindingReceiver() { server_->stopAll(true); }
  int port() const { return port_; }
  std::string lastBody() {
    std::lock_guard lock(mutex_);
    return body_;
  }
  std::string lastContentType() {
    std::lock_guard lock(mutex_);
    return contentType_;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(FindingReceiver& owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
      std::string body;
      Poco::StreamCopier::copyToString(request.stream(), body);
      {
        std::lock_guard lock(owner_.mutex_);
        owner_.body_ = body;
        owner_.contentType_ = request.getContentType();
      }
      response.setStatus(Poco::Net::HTTPResponse::HTTP_ACCEPTED);
      response.setContentLength(0);
      response.send();
    }

   private:
    FindingReceiver& owner_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(FindingReceiver& owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(owner_);
    }

   private:
    FindingReceiver& owner_;
  };

  std::mutex mutex_;
  std::string body_;
  std::string contentType_;
  int port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

class SimulatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Poco::Net::initializeSSL();
    pki_ = new TestPki();
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
    Poco::Net::uninitializeSSL();
  }
  void SetUp() override {
    if (std::system("command -v openssl > /dev/null 2>&1") != 0 || !pki_->ok()) {
      GTEST_SKIP() << "openssl is not installed or the test PKI could not be made";
    }
  }

  std::string signedNotice(const std::string& messageId) const {
    return signXml(buildNotification(notice(messageId)), pki_->pem("party.key"), pki_->pem("party.pem"));
  }
  Answer post(const SimProcess& sim, const std::string& xml) const {
    return call(*pki_, sim.port(), "POST", "/unfccc/notifications", xml);
  }
  Answer setMode(const SimProcess& sim, const std::string& body) const {
    return call(*pki_, sim.port(), "POST", "/admin/mode", body, "application/json");
  }
  // The acknowledgement in `body`, after checking that the UNFCCC key signed it (and no other).
  Acknowledgement signedAck(const std::string& body) const {
    const VerifyResult byUnfccc = verifyXml(body, {pki_->pem("unfccc.pem")});
    EXPECT_TRUE(byUnfccc.valid) << byUnfccc.problem;
    EXPECT_FALSE(verifyXml(body, {pki_->pem("party.pem")}).valid);
    return parseAcknowledgement(body);
  }

  static TestPki* pki_;
};

TestPki* SimulatorTest::pki_ = nullptr;

TEST_F(SimulatorTest, AcceptsASignedNotificationWithASignedAcknowledgement) {
  SimProcess sim(*pki_, {});
  ASSERT_GT(sim.port(), 0) << sim.log();
  const Answer a = post(sim, signedNotice("msg-accept-1"));
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.contentType, "application/xml");
  const Acknowledgement ack = signedAck(a.body);
  EXPECT_EQ(ack.status, AckStatus::Accepted);
  EXPECT_EQ(ack.refersToMessageId, "msg-accept-1");
  EXPECT_NE(sim.log().find("POST /unfccc/notifications -> 200"), std::string::npos) << sim.log();
}

TEST_F(SimulatorTest, ADuplicateGetsTheSameAcknowledgementAndIsRecordedOnce) {
  SimProcess sim(*pki_, {});
  ASSERT_GT(sim.port(), 0) << sim.log();
  const std::string xml = signedNotice("msg-dup-1");
  const Answer first = post(sim, xml);
  const Answer second = post(sim, xml);
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(first.body, second.body);
  const Answer r = call(*pki_, sim.port(), "GET", "/admin/received");
  ASSERT_EQ(r.status, 200);
  auto o = json(r.body);
  auto list = o->getArray("received");
  ASSERT_EQ(list->size(), 1U);
  auto item = list->getObject(0);
  EXPECT_EQ(item->getValue<std::string>("message_id"), "msg-dup-1");
  EXPECT_EQ(item->getValue<std::string>("kind"), "issued");
  EXPECT_EQ(item->getValue<std::string>("authorisation_id"), "GHA-A62-2025-0007");
  EXPECT_EQ(item->getValue<int>("version"), 1);
  EXPECT_EQ(o->getValue<int>("duplicates"), 1);
}

TEST_F(SimulatorTest, RefusesATamperedNotificationAndABadDocument) {
  SimProcess sim(*pki_, {});
  ASSERT_GT(sim.port(), 0) << sim.log();
  std::string xml = signedNotice("msg-tampered-1");
  const auto at = xml.find("Cookstoves");
  ASSERT_NE(at, std::string::npos);
  xml.replace(at, 10, "Charcoal!!");
  const Answer tampered = post(sim, xml);
  ASSERT_EQ(tampered.status, 400) << tampered.body;
  const Acknowledgement ack = signedAck(tampered.body);
  EXPECT_EQ(ack.status, AckStatus::Rejected);
  EXPECT_EQ(ack.refersToMessageId, "msg-tampered-1");
  ASSERT_FALSE(ack.messages.empty());
  EXPECT_EQ(ack.messages[0].code, "SIGNATURE");

  const Answer unsignedNotice = post(sim, buildNotification(notice("msg-unsigned-1")));
  EXPECT_EQ(unsignedNotice.status, 400);
  EXPECT_EQ(signedAck(unsignedNotice.body).status, AckStatus::Rejected);

  const Answer bad = post(sim, "<Nonsense xmlns=\"urn:other\"/>");
  ASSERT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(signedAck(bad.body).status, AckStatus::Rejected);

  const Answer r = call(*pki_, sim.port(), "GET", "/admin/received");
  EXPECT_EQ(json(r.body)->getArray("received")->size(), 0U);
}

TEST_F(SimulatorTest, Fails503OnDemandAndRecoversThroughTheAdminEndpoint) {
  SimProcess sim(*pki_, {});
  ASSERT_GT(sim.port(), 0) << sim.log();
  ASSERT_EQ(setMode(sim, R"({"mode": "fail503"})").status, 200);
  const std::string xml = signedNotice("msg-outage-1");
  EXPECT_EQ(post(sim, xml).status, 503);
  EXPECT_EQ(json(call(*pki_, sim.port(), "GET", "/admin/received").body)->getArray("received")->size(), 0U);
  ASSERT_EQ(setMode(sim, R"({"mode": "accept"})").status, 200);
  const Answer a = post(sim, xml);
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(signedAck(a.body).status, AckStatus::Accepted);
  EXPECT_EQ(setMode(sim, R"({"mode": "sideways"})").status, 400);
}

TEST_F(SimulatorTest, RejectsWithTheCodeItIsGiven) {
  SimProcess sim(*pki_, {"--mode", "reject", "--reject-code", "CA-UNKNOWN"});
  ASSERT_GT(sim.port(), 0) << sim.log();
  Acknowledgement ack = signedAck(post(sim, signedNotice("msg-reject-1")).body);
  EXPECT_EQ(ack.status, AckStatus::Rejected);
  ASSERT_EQ(ack.messages.size(), 1U);
  EXPECT_EQ(ack.messages[0].code, "CA-UNKNOWN");

  ASSERT_EQ(setMode(sim, R"({"mode": "reject", "reject_code": "QUANTITY-EXCEEDED"})").status, 200);
  ack = signedAck(post(sim, signedNotice("msg-reject-2")).body);
  EXPECT_EQ(ack.refersToMessageId, "msg-reject-2");
  ASSERT_EQ(ack.messages.size(), 1U);
  EXPECT_EQ(ack.messages[0].code, "QUANTITY-EXCEEDED");
}

// Poco 1.11's TLS read waits up to twice the receive timeout (SO_RCVTIMEO, then a poll), so a
// client timeout of 1 s gives up after at most 2 s: the simulator hangs 3.
TEST_F(SimulatorTest, HangsPastTheClientTimeout) {
  SimProcess sim(*pki_, {"--mode", "hang", "--hang-seconds", "3"});
  ASSERT_GT(sim.port(), 0) << sim.log();
  EXPECT_THROW(
      call(*pki_, sim.port(), "POST", "/unfccc/notifications", signedNotice("msg-hang-1"), "application/xml", 1),
      Poco::TimeoutException);
}

TEST_F(SimulatorTest, SendsASignedFindingToTheTarget) {
  FindingReceiver receiver(*pki_);
  SimProcess sim(*pki_, {"--findings-trust-cert", pki_->path("ca.pem")});
  ASSERT_GT(sim.port(), 0) << sim.log();
  ASSERT_EQ(post(sim, signedNotice("msg-finding-1")).status, 200);
  const std::string request = R"({"target": "https://127.0.0.1:)" + std::to_string(receiver.port()) +
                              R"(/api/v1/unfccc/inbound", "refers_to_message_id": "msg-finding-1",
                                  "text": "The authorised quantity exceeds the NDC headroom.", "severity": "warning"})";
  const Answer a = call(*pki_, sim.port(), "POST", "/admin/findings", request, "application/json");
  ASSERT_EQ(a.status, 200) << a.body << sim.log();
  EXPECT_EQ(json(a.body)->getValue<int>("status"), 202);
  const std::string xml = receiver.lastBody();
  EXPECT_EQ(receiver.lastContentType(), "application/xml");
  EXPECT_TRUE(verifyXml(xml, {pki_->pem("unfccc.pem")}).valid);
  const Finding f = parseFinding(xml);
  ASSERT_TRUE(f.action.has_value());
  EXPECT_EQ(f.action->authorisationId, "GHA-A62-2025-0007");
  EXPECT_EQ(f.action->version, 1);
  EXPECT_EQ(f.party, "GHA");
  EXPECT_EQ(f.severity, FindingSeverity::Warning);
}

TEST_F(SimulatorTest, StopsCleanlyOnSigterm) {
  SimProcess sim(*pki_, {});
  ASSERT_GT(sim.port(), 0) << sim.log();
  ASSERT_EQ(post(sim, signedNotice("msg-stop-1")).status, 200);
  EXPECT_EQ(sim.stop(), 0) << sim.log();
}

}  // namespace
}  // namespace a6::integrations::unfccc
