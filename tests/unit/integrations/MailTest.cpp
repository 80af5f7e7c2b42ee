// Email: the MIME built for a message (encoded words, line lengths, headers, injection refused) and
// SMTP delivery to a real server on loopback (tests/support/smtp_server.py, aiosmtpd) with
// STARTTLS, a test PKI made with the openssl command line, AUTH, and the server's refusals mapped
// to permanent or transient failures. Received messages are parsed by Python's email package, an
// independent MIME parser.
#include "a6/integrations/email/Mail.h"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
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
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "TestSupport.h"
#include "a6/core/Error.h"
#include "a6/signing/Digest.h"

extern char** environ;

namespace a6::integrations::email {
namespace {

namespace fs = std::filesystem;

const std::string kUser = "a6-mailer";
const std::string kPassword = "Pa55-w0rd:not-in-logs";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool run(const std::string& command) { return std::system((command + " > /dev/null 2>&1").c_str()) == 0; }

// A trusted CA with a server certificate for 127.0.0.1, a certificate from the same CA for another
// host name, and one from a CA nobody trusts.
class TestPki {
 public:
  explicit TestPki(const std::string& dir) : dir_(dir) {
    auto p = [&](const std::string& n) { return dir_ + "/" + n; };
    std::ofstream(p("ip.cnf")) << "subjectAltName=IP:127.0.0.1\n";
    std::ofstream(p("dns.cnf")) << "subjectAltName=DNS:mail.example.org\n";
    for (const char* ca : {"ca", "rogue-ca"}) {
      ok_ &= run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout " + p(std::string(ca) + ".key") + " -out " +
                 p(std::string(ca) + ".pem") + " -subj /CN=a6-test-" + ca);
    }
    issue("server", "ca", "ip.cnf");
    issue("other-host", "ca", "dns.cnf");
    issue("untrusted", "rogue-ca", "ip.cnf");
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  bool ok() const { return ok_; }

 private:
  void issue(const std::string& name, const std::string& ca, const std::string& ext) {
    ok_ &= run("openssl req -newkey rsa:2048 -nodes -keyout " + path(name + ".key") + " -out " + path(name + ".csr") +
               " -subj /CN=" + name);
    ok_ &= run("openssl x509 -req -days 2 -in " + path(name + ".csr") + " -CA " + path(ca + ".pem") + " -CAkey " +
               path(ca + ".key") + " -CAcreateserial -out " + path(name + ".pem") + " -extfile " + path(ext));
  }
  std::string dir_;
  bool ok_ = true;
};

// smtp_server.py as a child process: started with its arguments, stopped with SIGTERM.
class SmtpServer {
 public:
  SmtpServer(const std::string& dir, const std::string& tag, std::vector<std::string> extra) {
    outDir_ = dir + "/mail-" + tag;
    const std::string portFile = dir + "/port-" + tag;
    const std::string log = dir + "/smtp-" + tag + ".log";
    std::vector<std::string> args = {A6_PYTHON3, A6_SMTP_SERVER, "--port-file", portFile, "--out-dir", outDir_};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      if (fs::exists(portFile)) {
        port_ = std::stoi(slurp(portFile));
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (port_ == 0) log_ = slurp(log);
  }
  ~SmtpServer() {
    if (pid_ > 0) stop();
  }
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  int port() const { return port_; }
  const std::string& startLog() const { return log_; }

  // SIGTERM; the exit code, or -1 when it had to be killed.
  int stop() {
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
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

  // How many messages were accepted so far (each is <n>.eml and <n>.json).
  int received() const {
    int n = 0;
    while (fs::exists(outDir_ + "/" + std::to_string(n + 1) + ".json")) ++n;
    return n;
  }
  std::string eml(int n) const { return outDir_ + "/" + std::to_string(n) + ".eml"; }
  Poco::JSON::Object::Ptr envelope(int n) const {
    return Poco::JSON::Parser()
        .parse(slurp(outDir_ + "/" + std::to_string(n) + ".json"))
        .extract<Poco::JSON::Object::Ptr>();
  }
  // The message as Python's email package reads it.
  Poco::JSON::Object::Ptr parsed(int n) const {
    const std::string out = eml(n) + ".parsed.json";
    if (std::system((std::string(A6_PYTHON3) + " " + A6_SMTP_SERVER + " --parse " + eml(n) + " > " + out).c_str()) !=
        0) {
      return nullptr;
    }
    return Poco::JSON::Parser().parse(slurp(out)).extract<Poco::JSON::Object::Ptr>();
  }

 private:
  std::string outDir_;
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

std::string pdfBytes() {
  std::string bytes = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  for (int i = 0; i < 6000; ++i) bytes += static_cast<char>((i * 7 + i / 256) & 0xFF);
  bytes += std::string("\0\0\r\n.\r\n\xFF\xFE", 9);
  bytes += "%%EOF\n";
  return bytes;
}

std::string lf(std::string s) {
  for (size_t at = s.find("\r\n"); at != std::string::npos; at = s.find("\r\n", at)) s.erase(at, 1);
  return s;
}

class MailTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new a6::test::TempDir();
    pki_ = new TestPki(dir_->path());
    server_ = new SmtpServer(dir_->path(), "main",
                             {"--cert", pki_->path("server.pem"), "--key", pki_->path("server.key"), "--user", kUser,
                              "--password", kPassword, "--reject-rcpt", "rejected@example.org"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete pki_;
    delete dir_;
    server_ = nullptr;
    pki_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(pki_->ok()) << "the openssl command line failed";
    ASSERT_NE(server_->port(), 0) << "smtp_server.py did not start:\n" << server_->startLog();
  }

  static SmtpSettings settings(int port) {
    SmtpSettings s;
    s.host = "127.0.0.1";
    s.port = port;
    s.username = kUser;
    s.password = kPassword;
    s.caFile = pki_->path("ca.pem");
    s.fromAddress = "noreply@a6.example.org";
    s.fromName = "Ministère de l'Environnement — Article 6";  // one encoded word (see Mail.cpp)
    s.heloName = "a6auth.example.org";
    s.timeout = std::chrono::milliseconds(10000);
    return s;
  }

  static MailMessage message() {
    MailMessage m;
    m.to = {"amelie.durand@example.org", "suivi@example.net"};
    m.subject =
        "Décision sur votre demande req_01J9Z : autorisée — référence A6-TST-2026/0001 (version 2), lettre signée "
        "jointe";
    m.textBody =
        "Bonjour Amélie Durand,\n\nUne décision a été prise : « Autorisée ».\n.ligne qui commence par un point\n"
        "From the start of a line\nUne très longue ligne " +
        std::string(150, 'x') +
        " = fin, espace en fin de ligne \n"
        "Cordialement,\nMinistère de l'Environnement\n";
    m.htmlBody =
        "<!DOCTYPE html>\n<html lang=\"fr\"><body><p>Bonjour Amélie Durand,</p><p>Décision : <b>Autorisée</b> &amp; "
        "signée.</p></body></html>\n";
    m.attachments.push_back(
        {"Lettre-d'autorisation-A6-TST-2026-0001-version-2-signée.pdf", "application/pdf", pdfBytes()});
    m.messageId = "<eff_01J9ZQ3K7R8M2N4P6T0V5W1X3Y@a6auth>";
    m.language = "fr";
    return m;
  }

  static DeliveryFailure failure(const SmtpSettings& s, const MailMessage& m) {
    try {
      sendMail(s, m);
    } catch (const DeliveryFailure& e) {
      ::testing::Test::RecordProperty("reason", e.what());  // in --gtest_output=xml, for reading
      return e;
    }
    ADD_FAILURE() << "sendMail succeeded";
    return DeliveryFailure("", false);
  }

  static int freePort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    const int port = socket.address().port();
    socket.close();
    return port;
  }

  static a6::test::TempDir* dir_;
  static TestPki* pki_;
  static SmtpServer* server_;
};

a6::test::TempDir* MailTest::dir_ = nullptr;
TestPki* MailTest::pki_ = nullptr;
SmtpServer* MailTest::server_ = nullptr;

TEST_F(MailTest, FrenchMessageWithTwoRecipientsBothAlternativesAndAPdfArrivesIntact) {
  const int before = server_->received();
  const MailMessage m = message();
  sendMail(settings(server_->port()), m);
  ASSERT_EQ(server_->received(), before + 1);
  const int n = before + 1;

  Poco::JSON::Object::Ptr envelope = server_->envelope(n);
  EXPECT_EQ(envelope->getValue<std::string>("mail_from"), "noreply@a6.example.org");
  Poco::JSON::Array::Ptr rcpt = envelope->getArray("rcpt_tos");
  ASSERT_EQ(rcpt->size(), 2u);
  EXPECT_EQ(rcpt->getElement<std::string>(0), "amelie.durand@example.org");
  EXPECT_EQ(rcpt->getElement<std::string>(1), "suivi@example.net");
  EXPECT_TRUE(envelope->getValue<bool>("tls"));
  EXPECT_EQ(envelope->getValue<std::string>("auth_user"), kUser);

  Poco::JSON::Object::Ptr mail = server_->parsed(n);
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->getValue<std::string>("subject"), m.subject);
  EXPECT_EQ(mail->getValue<std::string>("from_name"), "Ministère de l'Environnement — Article 6");
  EXPECT_EQ(mail->getValue<std::string>("from_address"), "noreply@a6.example.org");
  Poco::JSON::Array::Ptr to = mail->getArray("to");
  ASSERT_EQ(to->size(), 2u);
  EXPECT_EQ(to->getElement<std::string>(0), "amelie.durand@example.org");
  EXPECT_EQ(to->getElement<std::string>(1), "suivi@example.net");
  EXPECT_EQ(mail->getValue<std::string>("message_id"), m.messageId);
  EXPECT_EQ(mail->getValue<std::string>("content_language"), "fr");
  EXPECT_EQ(mail->getValue<std::string>("auto_submitted"), "auto-generated");
  EXPECT_EQ(mail->getValue<std::string>("content_type"), "multipart/mixed");
  EXPECT_EQ(lf(mail->getValue<std::string>("text")), m.textBody);
  EXPECT_EQ(lf(mail->getValue<std::string>("html")), m.htmlBody);
  Poco::JSON::Array::Ptr attachments = mail->getArray("attachments");
  ASSERT_EQ(attachments->size(), 1u);
  Poco::JSON::Object::Ptr pdf = attachments->getObject(0);
  EXPECT_EQ(pdf->getValue<std::string>("filename"), m.attachments[0].filename);
  EXPECT_EQ(pdf->getValue<std::string>("content_type"), "application/pdf");
  EXPECT_EQ(pdf->getValue<size_t>("size"), m.attachments[0].bytes.size());
  EXPECT_EQ(pdf->getValue<std::string>("sha256"), a6::signing::sha256Hex(m.attachments[0].bytes));
  EXPECT_EQ(mail->getArray("defects")->size(), 0u) << slurp(server_->eml(n));
  EXPECT_LE(mail->getValue<int>("max_line_length"), 78);
}

TEST_F(MailTest, TextOnlyMessageWithoutAttachments) {
  const int before = server_->received();
  MailMessage m;
  m.to = {"office@example.org"};
  m.subject = "Plain ASCII subject";
  m.textBody = "Hello.\n";
  m.messageId = "<eff_plain@a6auth>";
  sendMail(settings(server_->port()), m);
  ASSERT_EQ(server_->received(), before + 1);
  Poco::JSON::Object::Ptr mail = server_->parsed(before + 1);
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->getValue<std::string>("subject"), "Plain ASCII subject");
  EXPECT_EQ(lf(mail->getValue<std::string>("text")), "Hello.\n");
  EXPECT_TRUE(mail->isNull("html"));
  EXPECT_EQ(mail->getArray("attachments")->size(), 0u);
  EXPECT_TRUE(mail->isNull("content_language"));
}

TEST_F(MailTest, WrongPasswordIsPermanentAndTheReasonHasNoPassword) {
  const int before = server_->received();
  SmtpSettings s = settings(server_->port());
  s.password = "Wr0ng-secret-do-not-log";
  const DeliveryFailure e = failure(s, message());
  EXPECT_TRUE(e.permanent()) << e.what();
  const std::string reason = e.what();
  EXPECT_NE(reason.find("535"), std::string::npos) << reason;
  EXPECT_EQ(reason.find(s.password), std::string::npos) << reason;
  EXPECT_EQ(reason.find("V3Iwbmctc2VjcmV0LWRvLW5vdC1sb2c"), std::string::npos) << reason;  // base64 of it
  EXPECT_EQ(server_->received(), before);
}

TEST_F(MailTest, UnknownUserIsPermanentToo) {
  SmtpSettings s = settings(server_->port());
  s.username = "someone-else";
  const DeliveryFailure e = failure(s, message());
  EXPECT_TRUE(e.permanent()) << e.what();
  EXPECT_EQ(std::string(e.what()).find(kPassword), std::string::npos);
}

TEST_F(MailTest, UntrustedServerCertificateIsTransientAndNothingIsDelivered) {
  SmtpServer rogue(dir_->path(), "rogue",
                   {"--cert", pki_->path("untrusted.pem"), "--key", pki_->path("untrusted.key"), "--user", kUser,
                    "--password", kPassword});
  ASSERT_NE(rogue.port(), 0) << rogue.startLog();
  const DeliveryFailure e = failure(settings(rogue.port()), message());
  EXPECT_FALSE(e.permanent()) << e.what();
  EXPECT_NE(std::string(e.what()).find("TLS"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find(kPassword), std::string::npos);
  EXPECT_EQ(rogue.received(), 0);
  EXPECT_EQ(rogue.stop(), 0);
}

TEST_F(MailTest, CertificateForAnotherHostNameIsRefusedEvenOnLoopback) {
  SmtpServer other(dir_->path(), "other-host",
                   {"--cert", pki_->path("other-host.pem"), "--key", pki_->path("other-host.key"), "--user", kUser,
                    "--password", kPassword});
  ASSERT_NE(other.port(), 0) << other.startLog();
  const DeliveryFailure e = failure(settings(other.port()), message());
  EXPECT_FALSE(e.permanent()) << e.what();
  EXPECT_EQ(other.received(), 0);
}

TEST_F(MailTest, SystemCasDoNotTrustTheTestCa) {
  SmtpSettings s = settings(server_->port());
  s.caFile.clear();
  const int before = server_->received();
  const DeliveryFailure e = failure(s, message());
  EXPECT_FALSE(e.permanent()) << e.what();
  EXPECT_EQ(server_->received(), before);
}

TEST_F(MailTest, RefusedRecipientIsPermanentAndNothingIsDelivered) {
  const int before = server_->received();
  MailMessage m = message();
  m.to = {"amelie.durand@example.org", "rejected@example.org"};
  const DeliveryFailure e = failure(settings(server_->port()), m);
  EXPECT_TRUE(e.permanent()) << e.what();
  EXPECT_NE(std::string(e.what()).find("550"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("rejected@example.org"), std::string::npos) << e.what();
  EXPECT_EQ(server_->received(), before);
}

TEST_F(MailTest, TemporaryFailureAfterDataIsTransientAndARetrySucceeds) {
  SmtpServer flaky(dir_->path(), "flaky",
                   {"--cert", pki_->path("server.pem"), "--key", pki_->path("server.key"), "--user", kUser,
                    "--password", kPassword, "--fail-first", "1"});
  ASSERT_NE(flaky.port(), 0) << flaky.startLog();
  const DeliveryFailure e = failure(settings(flaky.port()), message());
  EXPECT_FALSE(e.permanent()) << e.what();
  EXPECT_NE(std::string(e.what()).find("451"), std::string::npos) << e.what();
  EXPECT_EQ(flaky.received(), 0);

  sendMail(settings(flaky.port()), message());  // the outbox's retry: same Message-ID
  ASSERT_EQ(flaky.received(), 1);
  Poco::JSON::Object::Ptr mail = flaky.parsed(1);
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->getValue<std::string>("message_id"), message().messageId);
}

TEST_F(MailTest, AuthLoginWhenPlainIsNotOffered) {
  SmtpServer loginOnly(dir_->path(), "login-only",
                       {"--cert", pki_->path("server.pem"), "--key", pki_->path("server.key"), "--user", kUser,
                        "--password", kPassword, "--exclude-auth", "PLAIN"});
  ASSERT_NE(loginOnly.port(), 0) << loginOnly.startLog();
  sendMail(settings(loginOnly.port()), message());
  ASSERT_EQ(loginOnly.received(), 1);
  EXPECT_EQ(loginOnly.envelope(1)->getValue<std::string>("auth_user"), kUser);

  SmtpSettings wrong = settings(loginOnly.port());
  wrong.password = "Wr0ng-secret-do-not-log";
  const DeliveryFailure e = failure(wrong, message());
  EXPECT_TRUE(e.permanent()) << e.what();
  EXPECT_EQ(std::string(e.what()).find(wrong.password), std::string::npos);
  EXPECT_EQ(std::string(e.what()).find("V3Iwbmctc2VjcmV0LWRvLW5vdC1sb2c"), std::string::npos);
}

TEST_F(MailTest, SilentServerTimesOutAsTransient) {
  // Listens (the kernel completes the connection) but never greets.
  Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
  SmtpSettings s = settings(silent.address().port());
  s.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  const DeliveryFailure e = failure(s, message());
  EXPECT_FALSE(e.permanent()) << e.what();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3)) << "no second wait for QUIT";
}

TEST_F(MailTest, ConnectionRefusedIsTransient) {
  const DeliveryFailure e = failure(settings(freePort()), message());
  EXPECT_FALSE(e.permanent()) << e.what();
}

TEST_F(MailTest, UnresolvableHostIsTransient) {
  SmtpSettings s = settings(25);
  s.host = "no-such-host.invalid";
  const DeliveryFailure e = failure(s, message());
  EXPECT_FALSE(e.permanent()) << e.what();
}

TEST_F(MailTest, PlainSmtpOnlyWhenChosenAndNeverWithCredentials) {
  SmtpServer plain(dir_->path(), "plain", {});
  ASSERT_NE(plain.port(), 0) << plain.startLog();

  // STARTTLS required (the default) and not offered: permanent, nothing sent.
  SmtpSettings s = settings(plain.port());
  s.username.clear();
  s.password.clear();
  DeliveryFailure e = failure(s, message());
  EXPECT_TRUE(e.permanent()) << e.what();
  EXPECT_NE(std::string(e.what()).find("STARTTLS"), std::string::npos) << e.what();

  // Credentials over plain text: refused by the client.
  SmtpSettings withPassword = settings(plain.port());
  withPassword.security = SmtpSettings::Security::None;
  e = failure(withPassword, message());
  EXPECT_TRUE(e.permanent()) << e.what();
  EXPECT_EQ(std::string(e.what()).find(kPassword), std::string::npos);
  EXPECT_EQ(plain.received(), 0);

  s.security = SmtpSettings::Security::None;
  sendMail(s, message());
  ASSERT_EQ(plain.received(), 1);
  EXPECT_FALSE(plain.envelope(1)->getValue<bool>("tls"));
  EXPECT_EQ(plain.stop(), 0);
}

TEST_F(MailTest, HeaderInjectionIsRefusedBeforeConnecting) {
  const int before = server_->received();
  const SmtpSettings s = settings(server_->port());
  std::vector<MailMessage> bad;
  bad.push_back(message());
  bad.back().subject = "Hello\r\nBcc: victim@example.org";
  bad.push_back(message());
  bad.back().subject = "Hello\nBcc: victim@example.org";
  bad.push_back(message());
  bad.back().to = {"a@example.org>\r\nRCPT TO:<victim@example.org"};
  bad.push_back(message());
  bad.back().to = {"not an address"};
  bad.push_back(message());
  bad.back().to = {};
  bad.push_back(message());
  bad.back().messageId = "<x@y>\r\nBcc: victim@example.org";
  bad.push_back(message());
  bad.back().language = "fr\r\nBcc: victim@example.org";
  bad.push_back(message());
  bad.back().attachments[0].filename = "a.pdf\"\r\nContent-Type: text/html";
  bad.push_back(message());
  bad.back().attachments[0].contentType = "application/pdf\r\nX-Evil: 1";
  for (const MailMessage& m : bad) {
    SCOPED_TRACE(m.subject + " / " + (m.to.empty() ? "" : m.to[0]));
    try {
      buildMime(s, m, "Tue, 25 Nov 2026 10:00:00 +0000");
      ADD_FAILURE() << "buildMime accepted it";
    } catch (const a6::Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Invalid);
    }
    EXPECT_TRUE(failure(s, m).permanent());
  }
  SmtpSettings badName = s;
  badName.fromName = "Ministry\r\nBcc: victim@example.org";
  EXPECT_THROW(buildMime(badName, message(), "Tue, 25 Nov 2026 10:00:00 +0000"), a6::Error);
  SmtpSettings badFrom = s;
  badFrom.fromAddress = "noreply@a6.example.org\r\nRCPT TO:<victim@example.org>";
  const DeliveryFailure e = failure(badFrom, message());
  EXPECT_TRUE(e.permanent());
  EXPECT_EQ(std::string(e.what()).find_first_of("\r\n"), std::string::npos) << "the reason is one line";
  EXPECT_EQ(server_->received(), before);
}

TEST_F(MailTest, ServerStopsCleanlyOnSigterm) {
  SmtpServer extra(dir_->path(), "sigterm", {});
  ASSERT_NE(extra.port(), 0) << extra.startLog();
  EXPECT_EQ(extra.stop(), 0);
}

// buildMime on its own ----------------------------------------------------------------------------

std::string decodeBase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in);
  std::string out;
  char c;
  while (decoder.get(c)) out += c;
  return out;
}

// The header `name` unfolded, or "" when absent.
std::string header(const std::string& mime, const std::string& name) {
  const size_t end = mime.find("\r\n\r\n");
  const std::string head = "\r\n" + mime.substr(0, end);
  const size_t at = head.find("\r\n" + name + ": ");
  if (at == std::string::npos) return {};
  std::string value;
  size_t pos = at + 2 + name.size() + 2;
  for (;;) {
    const size_t eol = head.find("\r\n", pos);
    value += head.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (eol == std::string::npos || eol + 2 >= head.size() || (head[eol + 2] != ' ' && head[eol + 2] != '\t')) break;
    pos = eol + 2;
  }
  return value;
}

std::string decodeWords(const std::string& value) {
  std::string out;
  size_t pos = 0;
  while ((pos = value.find("=?utf-8?B?", pos)) != std::string::npos) {
    const size_t end = value.find("?=", pos + 10);
    out += decodeBase64(value.substr(pos + 10, end - pos - 10));
    pos = end + 2;
  }
  return out;
}

TEST(BuildMimeTest, NonAsciiSubjectAndNameAreEncodedWordsAndLinesStayShort) {
  SmtpSettings s;
  s.fromAddress = "noreply@a6.example.org";
  s.fromName = "Autoridad Nacional Designada — Ministerio de Medio Ambiente y Energía";
  MailMessage m;
  m.to = {"a@example.org", "b@example.org", "a-rather-long-address-for-folding@reviewers.example.org"};
  m.subject = "Decisión sobre su solicitud req_01J9Z: autorizada — año 2026, señal ✓, 排出量 and a long tail to fold";
  m.textBody = "Hola\n";
  m.htmlBody = "<p>Hola</p>";
  m.attachments.push_back({"carta.pdf", "application/pdf", std::string(10000, '\xAB')});
  m.messageId = "<eff_01@a6auth>";
  m.language = "es";
  const std::string mime = buildMime(s, m, "Tue, 25 Nov 2026 10:00:00 +0000");

  const std::string subject = header(mime, "Subject");
  EXPECT_EQ(subject.rfind("=?utf-8?B?", 0), 0u) << subject;
  EXPECT_EQ(decodeWords(subject), m.subject);
  EXPECT_EQ(decodeWords(header(mime, "From")), s.fromName);
  EXPECT_NE(header(mime, "From").find("<noreply@a6.example.org>"), std::string::npos);
  EXPECT_EQ(header(mime, "Message-ID"), "<eff_01@a6auth>");
  EXPECT_EQ(header(mime, "MIME-Version"), "1.0");
  EXPECT_EQ(header(mime, "Date"), "Tue, 25 Nov 2026 10:00:00 +0000");
  EXPECT_EQ(header(mime, "Content-Language"), "es");
  EXPECT_NE(header(mime, "To").find("a-rather-long-address-for-folding@reviewers.example.org"), std::string::npos);

  // Every line within 78 characters, every base64 line within 76, CRLF only.
  std::istringstream lines(mime);
  std::string line;
  int base64Lines = 0;
  while (std::getline(lines, line)) {
    ASSERT_FALSE(line.empty() || line.back() != '\r') << "a line not ending in CRLF";
    line.pop_back();
    EXPECT_LE(line.size(), 78u) << line;
    const size_t word = line.find("=?utf-8?B?");
    if (word != std::string::npos) {
      EXPECT_LE(line.find("?=", word + 10) + 2 - word, 75u) << line;
    }
    if (line.size() == 76 &&
        line.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
            std::string::npos) {
      ++base64Lines;
    }
  }
  EXPECT_GT(base64Lines, 100);
  EXPECT_NE(mime.find("Content-Transfer-Encoding: base64"), std::string::npos);
  EXPECT_NE(mime.find("multipart/alternative"), std::string::npos);
  EXPECT_NE(mime.find("Content-Type: text/plain; charset=utf-8"), std::string::npos);
  EXPECT_NE(mime.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
}

TEST(BuildMimeTest, AsciiSubjectStaysReadableAndAMissingMessageIdIsMade) {
  SmtpSettings s;
  s.fromAddress = "noreply@a6.example.org";
  MailMessage m;
  m.to = {"a@example.org"};
  m.subject = "Request req_01 received";
  m.textBody = "x";
  const std::string mime = buildMime(s, m, "Tue, 25 Nov 2026 10:00:00 +0000");
  EXPECT_EQ(header(mime, "Subject"), "Request req_01 received");
  EXPECT_EQ(header(mime, "From"), "<noreply@a6.example.org>");
  const std::string id = header(mime, "Message-ID");
  EXPECT_EQ(id.front(), '<');
  EXPECT_NE(id.find("@a6.example.org>"), std::string::npos) << id;

  // Text that looks like an encoded word is encoded, so that it reads back as written.
  m.subject = "=?utf-8?B?SGk=?=";
  EXPECT_EQ(decodeWords(header(buildMime(s, m, "d"), "Subject")), m.subject);
}

TEST(BuildMimeTest, QuotedPrintableBodyHasShortLinesAndNoBareDotsOrFrom) {
  SmtpSettings s;
  s.fromAddress = "noreply@a6.example.org";
  MailMessage m;
  m.to = {"a@example.org"};
  m.textBody = ".\nFrom me\n" + std::string(300, '\xC3') + "\n";  // not UTF-8: refused
  EXPECT_THROW(buildMime(s, m, "d"), a6::Error);
  m.textBody = ".\nFrom me\n" + std::string(200, 'a') + "=\nfin \n";
  const std::string mime = buildMime(s, m, "d");
  EXPECT_NE(mime.find("\r\n=2E\r\n=46rom me\r\n"), std::string::npos);
  EXPECT_NE(mime.find("=3D"), std::string::npos);
  EXPECT_NE(mime.find("fin=20\r\n"), std::string::npos);
}

TEST(BuildMimeTest, PlausibleAddresses) {
  for (const char* good :
       {"a@example.org", "first.last+tag@sub.example.co.uk", "o'brien@example.ie", "x_y-z@a-b.example"}) {
    EXPECT_TRUE(plausibleAddress(good)) << good;
  }
  for (const char* bad : {"", "a", "@example.org", "a@", "a@localhost", "a@@example.org", "a b@example.org",
                          ".a@example.org", "a..b@example.org", "a@-example.org", "a@example..org", "\"q\"@example.org",
                          "a@[127.0.0.1]", "é@example.org", "a@exämple.org", "a@example.org\r\n", "<a@example.org>"}) {
    EXPECT_FALSE(plausibleAddress(bad)) << bad;
  }
}

TEST(BuildMimeTest, DateFormat) {
  EXPECT_EQ(formatMailDate(a6::parseTimestamp("2026-11-25T10:00:05.123Z")), "Wed, 25 Nov 2026 10:00:05 +0000");
  EXPECT_EQ(formatMailDate(a6::parseTimestamp("2027-01-03T00:00:00.000Z")), "Sun, 03 Jan 2027 00:00:00 +0000");
}

}  // namespace
}  // namespace a6::integrations::email
