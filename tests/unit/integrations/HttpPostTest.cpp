// httpPost and checkDestination against real servers on loopback: Poco HTTP servers, TLS ones on
// a SecureServerSocket, with a test PKI made by the openssl command line (a CA, a certificate for
// localhost, one for another name, a self-signed one, and a client certificate for mutual TLS).
// The destination policy is checked without any network: refused addresses never get a
// connection attempt.
#include <Poco/Net/AcceptCertificateHandler.h>
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
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "TestSupport.h"
#include "a6/integrations/HttpPost.h"

namespace a6::integrations {
namespace {

using Poco::Net::Context;
using namespace std::chrono_literals;

// ---- the test PKI, made once for the whole suite

class Pki {
 public:
  Pki() {
    const std::string script =
        "set -e; cd '" + dir_.path() +
        "'\n"
        "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out \"$1\"; }\n"
        "key ca.key\n"
        "openssl req -x509 -new -key ca.key -days 2 -subj '/CN=a6auth delivery test CA' -out ca.crt "
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign\n"
        "issue() {\n"
        "  key \"$1.key\"\n"
        "  openssl req -new -key \"$1.key\" -subj \"$2\" -out \"$1.csr\"\n"
        "  printf '%b' \"$3\" > \"$1.ext\"\n"
        "  openssl x509 -req -in \"$1.csr\" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out \"$1.crt\" "
        "-extfile \"$1.ext\"\n"
        "}\n"
        "issue server /CN=localhost "
        "'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\\nextendedKeyUsage=serverAuth\\n'\n"
        "issue other /CN=other.example.org 'subjectAltName=DNS:other.example.org\\nextendedKeyUsage=serverAuth\\n'\n"
        "issue client '/CN=a6auth delivery client' 'extendedKeyUsage=clientAuth\\n'\n"
        "openssl pkey -in client.key -aes256 -passout pass:never-asked -out client-encrypted.key\n"
        "key rogue.key\n"
        "openssl req -x509 -new -key rogue.key -days 2 -subj /CN=localhost -out rogue.crt "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    test::writeFile(dir_.file("make-pki.sh"), script);
    const std::string command = "bash '" + dir_.file("make-pki.sh") + "' > '" + dir_.file("make-pki.log") + "' 2>&1";
    ok_ = std::system(command.c_str()) == 0;
    if (!ok_) log_ = test::readFile(dir_.file("make-pki.log"));
  }
  std::string file(const std::string& name) const { return dir_.file(name); }
  bool ok() const { return ok_; }
  const std::string& log() const { return log_; }

 private:
  test::TempDir dir_;
  bool ok_ = false;
  std::string log_;
};

// ---- a receiver: a Poco HTTP(S) server that records what it got and answers by path

struct Received {
  std::string method;
  std::string uri;
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

struct ReceiverState {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Received> requests;
  bool stopping = false;
  std::string redirectTo;
};

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(std::shared_ptr<ReceiverState> state) : state_(std::move(state)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    Received r;
    r.method = request.getMethod();
    r.uri = request.getURI();
    for (const auto& [name, value] : request) r.headers[Poco::toLower(name)] = value;
    std::ostringstream body;
    Poco::StreamCopier::copyStream(request.stream(), body);
    r.body = body.str();
    std::string redirectTo;
    {
      std::lock_guard lock(state_->mutex);
      state_->requests.push_back(r);
      redirectTo = state_->redirectTo;
    }
    state_->changed.notify_all();

    const std::string path = r.uri.substr(0, r.uri.find('?'));
    if (path == "/hang") {
      // Holds the answer back until the receiver stops (bounded, so a broken test cannot hang).
      std::unique_lock lock(state_->mutex);
      state_->changed.wait_for(lock, 10s, [&] { return state_->stopping; });
      return;
    }
    if (path == "/fail") {
      response.setStatus(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
      response.setContentType("text/plain");
      response.send() << "boom";
      return;
    }
    if (path == "/redirect") {
      response.setStatus(Poco::Net::HTTPResponse::HTTP_FOUND);
      response.set("Location", redirectTo);
      response.setContentLength(0);
      response.send();
      return;
    }
    if (path == "/big" || path == "/big-chunked") {
      const std::string big(100000, 'x');
      response.setContentType("application/octet-stream");
      if (path == "/big") {
        response.setContentLength64(static_cast<Poco::Int64>(big.size()));
      } else {
        response.setChunkedTransferEncoding(true);
      }
      response.send() << big;
      return;
    }
    response.setContentType("text/plain");
    response.send() << "hello";
  }

 private:
  std::shared_ptr<ReceiverState> state_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(std::shared_ptr<ReceiverState> state) : state_(std::move(state)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new Handler(state_);
  }

 private:
  std::shared_ptr<ReceiverState> state_;
};

class Receiver {
 public:
  // Plain HTTP without a context, HTTPS with one.
  explicit Receiver(Context::Ptr tls = nullptr, const std::string& host = "127.0.0.1")
      : state_(std::make_shared<ReceiverState>()) {
    Poco::Net::SocketAddress address(host, 0);
    Poco::Net::ServerSocket socket =
        tls ? Poco::Net::SecureServerSocket(address, 64, tls) : Poco::Net::ServerSocket(address, 64);
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(false);
    params->setMaxThreads(8);
    params->setTimeout(Poco::Timespan(10, 0));
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(state_), socket, params);
    server_->start();
  }
  ~Receiver() {
    {
      std::lock_guard lock(state_->mutex);
      state_->stopping = true;
    }
    state_->changed.notify_all();
    server_->stopAll(true);
  }
  int port() const { return port_; }
  std::string url(const std::string& scheme, const std::string& host, const std::string& path) const {
    return scheme + "://" + host + ":" + std::to_string(port_) + path;
  }
  std::vector<Received> requests() const {
    std::lock_guard lock(state_->mutex);
    return state_->requests;
  }
  void redirectTo(const std::string& url) {
    std::lock_guard lock(state_->mutex);
    state_->redirectTo = url;
  }

 private:
  std::shared_ptr<ReceiverState> state_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

// ---- the fixture

class HttpPostTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Poco::Net::initializeSSL();
    pki_ = new Pki();
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
    Poco::Net::uninitializeSSL();
  }
  void SetUp() override { ASSERT_TRUE(pki_->ok()) << "the test PKI could not be made:\n" << pki_->log(); }

  // A server context presenting `name`.crt; with a CA, it requires a client certificate.
  static Context::Ptr serverContext(const std::string& name, bool requireClientCert = false) {
    Context::Ptr context = new Context(Context::TLS_SERVER_USE, pki_->file(name + ".key"), pki_->file(name + ".crt"),
                                       requireClientCert ? pki_->file("ca.crt") : "",
                                       requireClientCert ? Context::VERIFY_STRICT : Context::VERIFY_NONE);
    // Poco would also match the client certificate's name against the client's address.
    context->enableExtendedCertificateVerification(false);
    return context;
  }

  // Options for tests on loopback: the test CA trusted, private addresses allowed.
  static HttpPostOptions loopbackOptions() {
    HttpPostOptions options;
    options.tls.caFile = pki_->file("ca.crt");
    options.policy.allowPrivateAddresses = true;
    options.connectTimeout = 2000ms;
    options.readTimeout = 5000ms;
    return options;
  }

  static HttpPostRequest post(const std::string& url) {
    HttpPostRequest request;
    request.url = url;
    request.contentType = "application/json";
    request.body = R"({"event":"authorisation.issued"})";
    return request;
  }

  // Runs httpPost expecting a DeliveryFailure; returns it (message, permanence).
  static DeliveryFailure failureOf(const HttpPostRequest& request, const HttpPostOptions& options) {
    try {
      HttpPostResult result = httpPost(request, options);
      ADD_FAILURE() << "no failure; status " << result.status;
    } catch (const DeliveryFailure& e) {
      return e;
    }
    return DeliveryFailure("(none)", false);
  }

  static DeliveryFailure refusalOf(const std::string& url, const DestinationPolicy& policy = {}) {
    try {
      checkDestination(url, policy);
      ADD_FAILURE() << "accepted: " << url;
    } catch (const DeliveryFailure& e) {
      return e;
    }
    return DeliveryFailure("(none)", false);
  }

  static Pki* pki_;
};

Pki* HttpPostTest::pki_ = nullptr;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// ---- HTTPS

TEST_F(HttpPostTest, HttpsPostArrivesWithHeadersAndTheAnswerComesBack) {
  Receiver receiver(serverContext("server"));
  HttpPostRequest request = post(receiver.url("https", "localhost", "/ok?x=1&y=%2F"));
  request.headers = {{"webhook-id", "msg_1"}, {"X-A6-Test", "yes"}, {"X-Repeated", "a"}, {"X-Repeated", "b"}};

  HttpPostResult result = httpPost(request, loopbackOptions());

  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "hello");
  EXPECT_FALSE(result.truncated);
  EXPECT_EQ(result.contentType, "text/plain");
  EXPECT_EQ(result.location, "");
  std::vector<Received> got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "POST");
  EXPECT_EQ(got[0].uri, "/ok?x=1&y=%2F");  // the request target exactly as in the URL
  EXPECT_EQ(got[0].body, request.body);
  EXPECT_EQ(got[0].header("content-type"), "application/json");
  EXPECT_EQ(got[0].header("content-length"), std::to_string(request.body.size()));
  EXPECT_EQ(got[0].header("host"), "localhost:" + std::to_string(receiver.port()));
  EXPECT_EQ(got[0].header("webhook-id"), "msg_1");
  EXPECT_EQ(got[0].header("x-a6-test"), "yes");
}

TEST_F(HttpPostTest, HttpsToAnIpLiteralVerifiesTheAddressInTheCertificate) {
  Receiver receiver(serverContext("server"));  // its certificate names IP:127.0.0.1 too
  HttpPostResult result = httpPost(post(receiver.url("https", "127.0.0.1", "/ok")), loopbackOptions());
  EXPECT_EQ(result.status, 200);
  std::vector<Received> got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header("host"), "127.0.0.1:" + std::to_string(receiver.port()));
}

TEST_F(HttpPostTest, AnUntrustedServerCertificateFails) {
  Receiver receiver(serverContext("rogue"));  // self-signed, for the right names
  HttpPostRequest request = post(receiver.url("https", "localhost", "/ok"));
  request.headers = {{"Authorization", "Bearer s3cret-token"}};
  DeliveryFailure failure = failureOf(request, loopbackOptions());
  EXPECT_FALSE(failure.permanent());
  EXPECT_TRUE(contains(failure.what(), "TLS handshake with localhost:" + std::to_string(receiver.port())))
      << failure.what();
  EXPECT_TRUE(contains(failure.what(), "certificate")) << failure.what();
  EXPECT_FALSE(contains(failure.what(), "s3cret-token")) << failure.what();
  EXPECT_FALSE(contains(failure.what(), "authorisation.issued")) << failure.what();
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(HttpPostTest, TheSystemStoreDoesNotTrustTheTestCa) {
  Receiver receiver(serverContext("server"));
  HttpPostOptions options = loopbackOptions();
  options.tls.caFile.clear();  // system CAs
  DeliveryFailure failure = failureOf(post(receiver.url("https", "localhost", "/ok")), options);
  EXPECT_FALSE(failure.permanent());
  EXPECT_TRUE(contains(failure.what(), "certificate")) << failure.what();
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(HttpPostTest, ACertificateForAnotherHostNameFails) {
  Receiver receiver(serverContext("other"));  // trusted CA, but for other.example.org
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    DeliveryFailure failure = failureOf(post(receiver.url("https", host, "/ok")), loopbackOptions());
    EXPECT_FALSE(failure.permanent());
    EXPECT_TRUE(contains(failure.what(), "mismatch")) << failure.what();
  }
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(HttpPostTest, UntrustedCertificateFailsEvenWithAnAcceptAllHandlerInstalled) {
  // Someone in the process installs Poco's accept-anything handler for client verification errors.
  Context::Ptr anyContext = new Context(Context::TLS_CLIENT_USE, "", Context::VERIFY_RELAXED);
  Poco::Net::SSLManager::instance().initializeClient(
      Poco::Net::SSLManager::PrivateKeyPassphraseHandlerPtr(),
      Poco::Net::SSLManager::InvalidCertificateHandlerPtr(new Poco::Net::AcceptCertificateHandler(false)), anyContext);
  Receiver receiver(serverContext("rogue"));

  // Control: a plain Poco client with Poco's verification callback now takes the rogue certificate.
  {
    Context::Ptr pocoContext = new Context(Context::TLS_CLIENT_USE, pki_->file("ca.crt"), Context::VERIFY_RELAXED);
    Poco::Net::HTTPSClientSession session("localhost", static_cast<Poco::UInt16>(receiver.port()), pocoContext);
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/control", Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentLength(0);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response);
    EXPECT_EQ(response.getStatus(), Poco::Net::HTTPResponse::HTTP_OK);
  }

  DeliveryFailure failure = failureOf(post(receiver.url("https", "localhost", "/ok")), loopbackOptions());
  EXPECT_FALSE(failure.permanent());
  EXPECT_TRUE(contains(failure.what(), "certificate")) << failure.what();
  std::vector<Received> got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);  // only the control request
  EXPECT_EQ(got[0].uri, "/control");

  // Put the process back as other tests expect it: invalid certificates refused.
  Poco::Net::SSLManager::instance().initializeClient(
      Poco::Net::SSLManager::PrivateKeyPassphraseHandlerPtr(),
      Poco::Net::SSLManager::InvalidCertificateHandlerPtr(new Poco::Net::RejectCertificateHandler(false)), anyContext);
}

TEST_F(HttpPostTest, MutualTlsRefusedWithoutAClientCertificateAndAcceptedWithOne) {
  Receiver receiver(serverContext("server", true));
  const std::string url = receiver.url("https", "localhost", "/ok");

  DeliveryFailure failure = failureOf(post(url), loopbackOptions());
  EXPECT_FALSE(failure.permanent());
  EXPECT_TRUE(receiver.requests().empty());

  HttpPostOptions options = loopbackOptions();
  options.tls.clientCertFile = pki_->file("client.crt");
  options.tls.clientKeyFile = pki_->file("client.key");
  HttpPostResult result = httpPost(post(url), options);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "hello");
  EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST_F(HttpPostTest, AnEncryptedClientKeyFailsWithoutAskingForAPassphrase) {
  Receiver receiver(serverContext("server", true));
  HttpPostOptions options = loopbackOptions();
  options.tls.clientCertFile = pki_->file("client.crt");
  options.tls.clientKeyFile = pki_->file("client-encrypted.key");
  DeliveryFailure failure = failureOf(post(receiver.url("https", "localhost", "/ok")), options);
  EXPECT_TRUE(contains(failure.what(), "unencrypted")) << failure.what();

  options.tls.clientKeyFile.clear();  // a certificate without its key
  failure = failureOf(post(receiver.url("https", "localhost", "/ok")), options);
  EXPECT_TRUE(contains(failure.what(), "clientKeyFile")) << failure.what();
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(HttpPostTest, AMissingCaFileIsReported) {
  Receiver receiver(serverContext("server"));
  HttpPostOptions options = loopbackOptions();
  options.tls.caFile = pki_->file("no-such-ca.crt");
  DeliveryFailure failure = failureOf(post(receiver.url("https", "localhost", "/ok")), options);
  EXPECT_TRUE(contains(failure.what(), "no-such-ca.crt")) << failure.what();
  EXPECT_TRUE(receiver.requests().empty());
}

// ---- answers

TEST_F(HttpPostTest, AServerErrorIsAResult) {
  Receiver receiver(serverContext("server"));
  HttpPostResult result = httpPost(post(receiver.url("https", "localhost", "/fail")), loopbackOptions());
  EXPECT_EQ(result.status, 500);
  EXPECT_EQ(result.body, "boom");
}

TEST_F(HttpPostTest, ARedirectIsReturnedAndNotFollowed) {
  Receiver target(serverContext("server"));
  Receiver receiver(serverContext("server"));
  const std::string targetUrl = target.url("https", "localhost", "/ok");
  receiver.redirectTo(targetUrl);

  HttpPostResult result = httpPost(post(receiver.url("https", "localhost", "/redirect")), loopbackOptions());

  EXPECT_EQ(result.status, 302);
  EXPECT_EQ(result.location, targetUrl);
  EXPECT_EQ(receiver.requests().size(), 1u);
  EXPECT_TRUE(target.requests().empty());
}

TEST_F(HttpPostTest, TheAnswerIsReadUpToTheLimit) {
  Receiver receiver(serverContext("server"));
  HttpPostOptions options = loopbackOptions();
  options.maxResponseBytes = 1000;
  for (const std::string path : {"/big", "/big-chunked"}) {
    HttpPostResult result = httpPost(post(receiver.url("https", "localhost", path)), options);
    EXPECT_EQ(result.status, 200) << path;
    EXPECT_EQ(result.body, std::string(1000, 'x')) << path;
    EXPECT_TRUE(result.truncated) << path;
  }
  // An answer exactly as long as the limit is complete.
  options.maxResponseBytes = 5;
  HttpPostResult exact = httpPost(post(receiver.url("https", "localhost", "/ok")), options);
  EXPECT_EQ(exact.body, "hello");
  EXPECT_FALSE(exact.truncated);
  options.maxResponseBytes = 4;
  HttpPostResult shorter = httpPost(post(receiver.url("https", "localhost", "/ok")), options);
  EXPECT_EQ(shorter.body, "hell");
  EXPECT_TRUE(shorter.truncated);
}

TEST_F(HttpPostTest, AServerThatDoesNotAnswerTimesOut) {
  Receiver receiver(serverContext("server"));
  HttpPostOptions options = loopbackOptions();
  options.readTimeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  DeliveryFailure failure = failureOf(post(receiver.url("https", "localhost", "/hang")), options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(failure.permanent());
  EXPECT_TRUE(contains(failure.what(), "timed out after 300 ms")) << failure.what();
  EXPECT_TRUE(contains(failure.what(), "localhost:" + std::to_string(receiver.port()))) << failure.what();
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 5s);
  EXPECT_EQ(receiver.requests().size(), 1u);  // the request did arrive
}

TEST_F(HttpPostTest, AServerThatNeverCompletesTheHandshakeTimesOutUnderTheConnectTimeout) {
  // A listening socket that never accepts: the kernel completes the TCP connection, nobody answers
  // the ClientHello.
  Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
  const int port = silent.address().port();
  HttpPostOptions options = loopbackOptions();
  options.connectTimeout = 300ms;
  options.readTimeout = 10000ms;
  const auto start = std::chrono::steady_clock::now();
  DeliveryFailure failure = failureOf(post("https://localhost:" + std::to_string(port) + "/ok"), options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(failure.permanent());
  EXPECT_EQ(std::string(failure.what()),
            "TLS handshake with localhost:" + std::to_string(port) + " timed out after 300 ms");
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 5s);
}

TEST_F(HttpPostTest, HttpsToAnIpv6Literal) {
  try {
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("::1", 0), 64, serverContext("server"));
  } catch (const Poco::Exception& e) {
    GTEST_SKIP() << "no IPv6 loopback here: " << e.displayText();
  }
  Receiver receiver(serverContext("server"), "::1");  // its certificate names IP:::1
  HttpPostResult result = httpPost(post(receiver.url("https", "[::1]", "/ok")), loopbackOptions());
  EXPECT_EQ(result.status, 200);
  std::vector<Received> got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header("host"), "[::1]:" + std::to_string(receiver.port()));
}

// ---- plain HTTP (development only)

TEST_F(HttpPostTest, PlainHttpWorksWhenHttpsIsNotRequired) {
  Receiver receiver;
  HttpPostOptions options = loopbackOptions();
  options.policy.requireHttps = false;
  HttpPostRequest request = post(receiver.url("http", "localhost", "/ok"));
  request.headers = {{"X-A6-Test", "plain"}};
  HttpPostResult result = httpPost(request, options);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "hello");
  std::vector<Received> got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header("host"), "localhost:" + std::to_string(receiver.port()));
  EXPECT_EQ(got[0].header("x-a6-test"), "plain");
  EXPECT_EQ(got[0].body, request.body);
}

TEST_F(HttpPostTest, PlainHttpIsRefusedWhenHttpsIsRequired) {
  Receiver receiver;
  DeliveryFailure failure = failureOf(post(receiver.url("http", "localhost", "/ok")), loopbackOptions());
  EXPECT_TRUE(failure.permanent());
  EXPECT_TRUE(contains(failure.what(), "https")) << failure.what();
  EXPECT_TRUE(receiver.requests().empty());
}

TEST_F(HttpPostTest, ARefusedConnectionIsTransient) {
  int port = 0;
  {
    Poco::Net::ServerSocket closed(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = closed.address().port();
  }  // closed again: nothing listens there now
  HttpPostOptions options = loopbackOptions();
  options.policy.requireHttps = false;
  DeliveryFailure failure = failureOf(post("http://127.0.0.1:" + std::to_string(port) + "/ok"), options);
  EXPECT_FALSE(failure.permanent());
  EXPECT_EQ(std::string(failure.what()), "connection to 127.0.0.1:" + std::to_string(port) + " was refused");
}

// ---- the destination policy

TEST_F(HttpPostTest, LoopbackIsRefusedBeforeAnyConnection) {
  Receiver receiver;
  Receiver secureReceiver(serverContext("server"));
  HttpPostOptions options = loopbackOptions();
  options.policy.allowPrivateAddresses = false;
  options.policy.requireHttps = false;
  for (const std::string& url : {receiver.url("http", "127.0.0.1", "/ok"), receiver.url("http", "localhost", "/ok"),
                                 secureReceiver.url("https", "localhost", "/ok")}) {
    DeliveryFailure failure = failureOf(post(url), options);
    EXPECT_TRUE(failure.permanent()) << url;
    EXPECT_TRUE(contains(failure.what(), "loopback")) << failure.what();
    EXPECT_TRUE(contains(failure.what(), "allowPrivateAddresses")) << failure.what();
  }
  EXPECT_TRUE(receiver.requests().empty());
  EXPECT_TRUE(secureReceiver.requests().empty());
}

TEST_F(HttpPostTest, PrivateLoopbackLinkLocalAndOtherSpecialAddressesAreRefused) {
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"https://127.0.0.1/hook", "loopback"},
      {"https://127.10.20.30/hook", "loopback"},
      {"https://localhost/hook", "loopback"},
      {"https://127.1/hook", "loopback"},  // numeric forms the resolver understands
      {"https://2130706433/hook", "loopback"},
      {"https://0x7f000001/hook", "loopback"},
      {"https://LOCALHOST:8443/hook", "loopback"},
      {"https://[::1]/hook", "loopback"},
      {"https://[::ffff:127.0.0.1]/hook", "loopback"},
      {"https://[64:ff9b::7f00:1]/hook", "loopback"},  // NAT64 of 127.0.0.1
      {"https://10.0.0.1/hook", "private"},
      {"https://172.16.5.4/hook", "private"},
      {"https://172.31.255.255/hook", "private"},
      {"https://192.168.1.1/hook", "private"},
      {"https://[::ffff:192.168.1.1]/hook", "private"},
      {"https://[fc00::1]/hook", "private"},
      {"https://[fd12:3456::1]/hook", "private"},
      {"https://169.254.169.254/latest/meta-data", "link-local"},
      {"https://[fe80::1]/hook", "link-local"},
      {"https://100.64.0.1/hook", "CGNAT"},
      {"https://100.127.255.254/hook", "CGNAT"},
      {"https://0.0.0.0/hook", "unspecified"},
      {"https://[::]/hook", "unspecified"},
      {"https://224.0.0.1/hook", "multicast"},
      {"https://[ff02::1]/hook", "multicast"},
      {"https://255.255.255.255/hook", "broadcast"},
  };
  for (const auto& [url, kind] : refused) {
    const auto start = std::chrono::steady_clock::now();
    DeliveryFailure failure = refusalOf(url);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << url;
    EXPECT_TRUE(failure.permanent()) << url;
    EXPECT_TRUE(contains(failure.what(), kind)) << url << ": " << failure.what();
    EXPECT_TRUE(contains(failure.what(), "allowPrivateAddresses")) << failure.what();
  }
  EXPECT_EQ(std::string(refusalOf("https://127.0.0.1/hook").what()),
            "destination 127.0.0.1 is a loopback address; loopback, private and link-local destinations are refused "
            "(set allowPrivateAddresses to allow)");
  EXPECT_TRUE(contains(refusalOf("https://localhost/hook").what(), "destination localhost resolves to "));

  // The same addresses pass when the policy allows them.
  DestinationPolicy allow;
  allow.allowPrivateAddresses = true;
  for (const auto& [url, kind] : refused) EXPECT_NO_THROW(checkDestination(url, allow)) << url;
}

TEST_F(HttpPostTest, PublicAddressesPass) {
  for (const std::string url :
       {"https://93.184.216.34/hook", "https://93.184.216.34:8443/a/b?c=d", "https://172.32.0.1/hook",
        "https://172.15.255.255/hook", "https://100.128.0.1/hook", "https://100.63.255.255/hook",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook", "https://[::ffff:93.184.216.34]/hook"}) {
    EXPECT_NO_THROW(checkDestination(url, {})) << url;
  }
}

TEST_F(HttpPostTest, SchemesCredentialsAndMalformedUrlsAreRefused) {
  DeliveryFailure http = refusalOf("http://93.184.216.34/hook");
  EXPECT_TRUE(http.permanent());
  EXPECT_TRUE(contains(http.what(), "requireHttps")) << http.what();
  DestinationPolicy development;
  development.requireHttps = false;
  EXPECT_NO_THROW(checkDestination("http://93.184.216.34/hook", development));

  DeliveryFailure credentials = refusalOf("https://user:pa55word@93.184.216.34/hook");
  EXPECT_TRUE(credentials.permanent());
  EXPECT_TRUE(contains(credentials.what(), "credentials")) << credentials.what();
  EXPECT_FALSE(contains(credentials.what(), "pa55word")) << credentials.what();
  EXPECT_TRUE(refusalOf("https://user@93.184.216.34/hook").permanent());
  EXPECT_TRUE(refusalOf("https://@93.184.216.34/hook").permanent());

  for (const std::string url :
       {"", "not a url", "93.184.216.34/hook", "ftp://93.184.216.34/hook", "file:///etc/passwd", "https:///hook",
        "https://exa mple.org/hook", "https://93.184.216.34/ho\r\nX-Injected: 1", "https://93.184.216.34:0/hook",
        "https://93.184.216.34:99999/hook", "https://[::1/hook"}) {
    DeliveryFailure failure = refusalOf(url);
    EXPECT_TRUE(failure.permanent()) << url << ": " << failure.what();
  }

  // httpPost refuses the same way, without connecting.
  DeliveryFailure viaPost = failureOf(post("https://user:pa55word@127.0.0.1:1/hook"), loopbackOptions());
  EXPECT_TRUE(viaPost.permanent());
  EXPECT_FALSE(contains(viaPost.what(), "pa55word"));
}

TEST_F(HttpPostTest, AnUnresolvableNameIsRefusedByTheCheckAndTransientForAPost) {
  DeliveryFailure check = refusalOf("https://no-such-host.invalid/hook");
  EXPECT_TRUE(check.permanent());
  EXPECT_TRUE(contains(check.what(), "no-such-host.invalid could not be resolved")) << check.what();
  DeliveryFailure viaPost = failureOf(post("https://no-such-host.invalid/hook"), loopbackOptions());
  EXPECT_FALSE(viaPost.permanent());
}

TEST_F(HttpPostTest, HeadersThatWouldBreakTheRequestAreRefused) {
  Receiver receiver(serverContext("server"));
  const std::vector<std::pair<std::string, std::string>> bad = {{"X-Evil", "a\r\nX-Injected: 1"},
                                                                {"X-Evil\r\nX-Injected", "1"},
                                                                {"", "x"},
                                                                {"Bad Name", "x"},
                                                                {"Host", "elsewhere.example"},
                                                                {"Content-Length", "0"},
                                                                {"transfer-encoding", "chunked"}};
  for (const auto& header : bad) {
    HttpPostRequest request = post(receiver.url("https", "localhost", "/ok"));
    request.headers = {header};
    DeliveryFailure failure = failureOf(request, loopbackOptions());
    EXPECT_TRUE(failure.permanent()) << header.first;
    EXPECT_FALSE(contains(failure.what(), header.second)) << failure.what();
  }
  EXPECT_TRUE(receiver.requests().empty());
}

}  // namespace
}  // namespace a6::integrations
