// Shared by the signing tests: a test PKI made with the openssl CLI (a CA, an RSA-3072 and an ECDSA
// P-256 signer in passphrase-protected PKCS#12 files, a TSA certificate, an NSS database trusting
// the CA), an input PDF made with PoDoFo, a loopback RFC 3161 server backed by `openssl ts -reply`,
// and runners for the independent checkers (pdfsig, qpdf, mutool).
#pragma once

#include <podofo/podofo.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>

#include "a6/core/Clock.h"

namespace a6::signing::test {

namespace fs = std::filesystem;

inline constexpr const char* kPassphrase = "correct horse battery staple";
inline constexpr const char* kFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
inline constexpr const char* kRsaSignerName = "Ama Mensah";
inline constexpr const char* kEcSignerName = "Chloé Ferreira";
inline constexpr const char* kThirdSignerName = "Kofi Boateng";

struct CommandResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command and captures what it prints.
inline CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  int status = ::pclose(pipe);
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline void runOrThrow(const std::string& command) {
  CommandResult r = run(command);
  if (r.exitCode != 0)
    throw std::runtime_error("command failed (" + std::to_string(r.exitCode) + "): " + command + "\n" + r.output);
}

inline std::string quote(const fs::path& p) { return "'" + p.string() + "'"; }

inline std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void writeFile(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

// A directory of this process, removed at exit.
inline const fs::path& scratchDir() {
  struct Dir {
    fs::path path;
    Dir() {
      path = fs::temp_directory_path() / ("a6-signing-test-" + std::to_string(::getpid()));
      fs::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      if (!std::getenv("A6_KEEP_TEST_FILES")) fs::remove_all(path, ec);
    }
  };
  static Dir dir;
  return dir.path;
}

inline fs::path scratchFile(const std::string& name) {
  static std::atomic<int> counter{0};
  return scratchDir() / (std::to_string(++counter) + "-" + name);
}

struct TestPki {
  fs::path dir;
  fs::path caCert, otherCaCert, rsaCert, ecCert, rsaP12, ecP12, thirdP12, tsaCert, tsaKey;
  fs::path nssDir;  // trusts the test CA
  // Also holds the RSA signer's key, for pdfsig -add-signature (poppler 22.12 often fails to sign
  // with ECDSA: "unable update signature", when the signature comes out longer than its estimate).
  fs::path nssSignerDir;
  std::string nssSignerNick;
};

// Keys take seconds to generate and every test runs in its own process (gtest_discover_tests), so
// the PKI is made once per machine and version of this file, in a directory that appears atomically.
inline const TestPki& testPki() {
  static const TestPki pki = [] {
    TestPki p;
    p.dir = fs::temp_directory_path() / ("a6-signing-test-pki-v4-uid" + std::to_string(::getuid()));
    auto fill = [](TestPki& t) {
      t.caCert = t.dir / "ca.crt";
      t.otherCaCert = t.dir / "other-ca.crt";
      t.rsaCert = t.dir / "rsa.crt";
      t.ecCert = t.dir / "ec.crt";
      t.rsaP12 = t.dir / "rsa.p12";
      t.ecP12 = t.dir / "ec.p12";
      t.thirdP12 = t.dir / "third.p12";
      t.tsaCert = t.dir / "tsa.crt";
      t.tsaKey = t.dir / "tsa.key";
      t.nssDir = t.dir / "nss";
      t.nssSignerDir = t.dir / "nss-signer";
      t.nssSignerNick = std::string(kRsaSignerName) + " - a6auth tests";
    };
    fill(p);
    if (fs::exists(p.dir / "complete")) return p;

    fs::path tmp = p.dir.string() + ".tmp-" + std::to_string(::getpid());
    fs::remove_all(tmp);
    fs::create_directories(tmp / "nss");
    fs::create_directories(tmp / "nss-signer");
    const std::string d = quote(tmp);
    writeFile(tmp / "pass.txt", kPassphrase);
    writeFile(tmp / "signer.ext",
              "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"
              "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
    writeFile(tmp / "tsa.ext",
              "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
              "extendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n");
    const std::string ca =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -sha256 "
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign ";
    runOrThrow("cd " + d + " && " + ca +
               "-keyout ca.key -out ca.crt -subj '/C=GH/O=a6auth tests/CN=a6auth Test Root CA'");
    runOrThrow("cd " + d + " && " + ca +
               "-keyout other-ca.key -out other-ca.crt -subj '/C=GH/O=Somebody else/CN=Unrelated Root CA'");
    auto issue = [&](const std::string& name, const std::string& keyopts, const std::string& subject,
                     const std::string& ext) {
      runOrThrow("cd " + d + " && openssl req -utf8 -new " + keyopts + " -nodes -keyout " + name + ".key -out " + name +
                 ".csr -subj '" + subject + "'");
      runOrThrow("cd " + d + " && openssl x509 -req -in " + name +
                 ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 " + "-sha256 -extfile " + ext + " -out " +
                 name + ".crt");
    };
    issue("rsa", "-newkey rsa:3072", std::string("/C=GH/O=Ministry of Environment/CN=") + kRsaSignerName, "signer.ext");
    issue("ec", "-newkey ec -pkeyopt ec_paramgen_curve:P-256",
          std::string("/C=GH/O=Ministry of Finance/CN=") + kEcSignerName, "signer.ext");
    issue("third", "-newkey rsa:2048", std::string("/C=GH/O=Office of the President/CN=") + kThirdSignerName,
          "signer.ext");
    issue("tsa", "-newkey ec -pkeyopt ec_paramgen_curve:P-256", "/C=GH/O=a6auth tests/CN=a6auth Test TSA", "tsa.ext");
    for (const char* name : {"rsa", "ec", "third"}) {
      runOrThrow("cd " + d + " && openssl pkcs12 -export -inkey " + name + ".key -in " + name +
                 ".crt -certfile ca.crt -passout file:pass.txt -out " + name + ".p12");
    }
    runOrThrow("certutil -N --empty-password -d sql:" + quote(tmp / "nss"));
    runOrThrow("certutil -A -n 'a6auth test CA' -t 'CT,C,C' -i " + quote(tmp / "ca.crt") +
               " -d sql:" + quote(tmp / "nss"));
    runOrThrow("certutil -N --empty-password -d sql:" + quote(tmp / "nss-signer"));
    runOrThrow("pk12util -i " + quote(tmp / "rsa.p12") + " -d sql:" + quote(tmp / "nss-signer") + " -w " +
               quote(tmp / "pass.txt") + " -K ''");
    writeFile(tmp / "complete", "");
    std::error_code ec;
    fs::rename(tmp, p.dir, ec);
    // Another process got there first: its PKI is as good as ours.
    if (ec) fs::remove_all(tmp, ec);
    if (!fs::exists(p.dir / "complete")) throw std::runtime_error("test PKI not created in " + p.dir.string());
    return p;
  }();
  return pki;
}

// A one-page PDF 1.7 written by PoDoFo, with each line of `lines` drawn in DejaVu Sans.
inline std::string makeTestPdf(const std::vector<std::string>& lines) {
  using namespace PoDoFo;
  PdfMemDocument doc;
  PdfPage* page = doc.CreatePage(PdfPage::CreateStandardPageSize(ePdfPageSize_A4));
  PdfFont* font = doc.CreateFontSubset("DejaVuSans", false, false, false,
                                       PdfEncodingFactory::GlobalIdentityEncodingInstance(), kFont);
  if (!font) throw std::runtime_error("font not loaded");
  PdfPainter painter;
  painter.SetPage(page);
  font->SetFontSize(14);
  painter.SetFont(font);
  double y = 780;
  for (const auto& line : lines) {
    painter.DrawText(72, y, PdfString(reinterpret_cast<const pdf_utf8*>(line.c_str())));
    y -= 22;
  }
  painter.FinishPage();
  doc.GetInfo()->SetTitle(PdfString("Letter of Authorisation"));
  doc.SetPdfVersion(ePdfVersion_1_7);
  PdfRefCountedBuffer buffer;
  PdfOutputDevice device(&buffer);
  doc.Write(&device);
  return std::string(buffer.GetBuffer(), device.GetLength());
}

inline std::string makeTestPdf() {
  return makeTestPdf(
      {"Letter of Authorisation", "Ministère de l'Environnement — Accra", "Ελληνικά · Кириллица · Ɔdɛɛ"});
}

inline a6::TimePoint nowSeconds() {
  return std::chrono::floor<std::chrono::seconds>(
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()));
}

// --- independent checkers -----------------------------------------------------------------------

struct PdfsigSignature {
  bool valid = false;          // "Signature Validation: Signature is Valid."
  bool trusted = false;        // "Certificate Validation: Certificate is Trusted."
  bool wholeDocument = false;  // "Total document signed"
  std::string signerName;
  std::string type;
};

struct PdfsigReport {
  std::string output;
  std::vector<PdfsigSignature> signatures;
};

// pdfsig exits 0 even when a digest does not match: its printed lines are what counts.
inline PdfsigReport pdfsig(const fs::path& file, bool withTrustedCa) {
  // No -no-ocsp: with it poppler 22.12 reports "Unknown issue with Certificate" for good chains. The
  // test certificates name no OCSP responder, so nothing goes to the network.
  std::string cmd = "pdfsig ";
  if (withTrustedCa) cmd += "-nssdir sql:" + quote(testPki().nssDir) + " ";
  PdfsigReport report;
  report.output = run(cmd + quote(file)).output;
  std::istringstream in(report.output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Signature #", 0) == 0) {
      report.signatures.emplace_back();
      continue;
    }
    if (report.signatures.empty()) continue;
    auto& s = report.signatures.back();
    auto value = [&](const std::string& key) -> std::optional<std::string> {
      std::size_t pos = line.find(key);
      if (pos == std::string::npos) return std::nullopt;
      return line.substr(pos + key.size());
    };
    if (auto v = value("Signature Validation: ")) s.valid = *v == "Signature is Valid.";
    if (auto v = value("Certificate Validation: ")) s.trusted = *v == "Certificate is Trusted.";
    if (auto v = value("Signer Certificate Common Name: ")) s.signerName = *v;
    if (auto v = value("Signature Type: ")) s.type = *v;
    if (line.find("- Total document signed") != std::string::npos) s.wholeDocument = true;
  }
  return report;
}

// --- a loopback RFC 3161 time-stamp authority ---------------------------------------------------

// Answers each POSTed TimeStampReq with `openssl ts -reply`, signed by the test TSA certificate.
class TestTsa {
 public:
  TestTsa() : dir_(scratchFile("tsa")) {
    const TestPki& pki = testPki();
    fs::create_directories(dir_);
    writeFile(dir_ / "serial", "01\n");
    writeFile(dir_ / "tsa.cnf",
              "[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\n"
              "serial = " +
                  (dir_ / "serial").string() +
                  "\n"
                  "crypto_device = builtin\n"
                  "signer_cert = " +
                  pki.tsaCert.string() +
                  "\n"
                  "certs = " +
                  pki.caCert.string() +
                  "\n"
                  "signer_key = " +
                  pki.tsaKey.string() +
                  "\n"
                  "signer_digest = sha256\n"
                  "default_policy = 1.3.6.1.4.1.99999.1\n"
                  "digests = sha256, sha384, sha512\n"
                  "accuracy = secs:1\nordering = yes\ntsa_name = yes\n"
                  "ess_cert_id_chain = no\ness_cert_id_alg = sha256\n");
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(2);
    server_ = std::make_unique<Poco::Net::HTTPServer>(
        new Factory(this), Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", 0)), params);
    server_->start();
  }
  ~TestTsa() { server_->stopAll(true); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()) + "/tsa"; }
  int requests() const { return requests_.load(); }
  // The next answers are HTTP 500 (to test failures).
  void failWith500(bool fail) { fail_ = fail; }
  // The next answers repeat the first token given (a replay, for another message imprint).
  void replayFirstAnswer(bool replay) { replay_ = replay; }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(TestTsa* tsa) : tsa_(tsa) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
      std::string query;
      Poco::StreamCopier::copyToString(request.stream(), query);
      if (tsa_->fail_) {
        response.setStatus(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
        response.send() << "no";
        return;
      }
      std::string reply;
      {
        std::lock_guard<std::mutex> lock(tsa_->mutex_);
        ++tsa_->requests_;
        if (tsa_->replay_ && !tsa_->firstAnswer_.empty()) reply = tsa_->firstAnswer_;
        fs::path q = tsa_->dir_ / "query.tsq";
        fs::path r = tsa_->dir_ / "reply.tsr";
        writeFile(q, query);
        CommandResult res = run("openssl ts -reply -config " + quote(tsa_->dir_ / "tsa.cnf") + " -queryfile " +
                                quote(q) + " -out " + quote(r));
        if (reply.empty() && res.exitCode == 0) reply = readFile(r);
        if (tsa_->firstAnswer_.empty()) tsa_->firstAnswer_ = reply;
      }
      if (reply.empty()) {
        response.setStatus(Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR);
        response.send() << "openssl ts failed";
        return;
      }
      response.setContentType("application/timestamp-reply");
      response.setContentLength(static_cast<std::streamsize>(reply.size()));
      response.send().write(reply.data(), static_cast<std::streamsize>(reply.size()));
    }

   private:
    TestTsa* tsa_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(TestTsa* tsa) : tsa_(tsa) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(tsa_);
    }

   private:
    TestTsa* tsa_;
  };

  fs::path dir_;
  std::mutex mutex_;
  std::atomic<int> requests_{0};
  std::atomic<bool> fail_{false};
  std::atomic<bool> replay_{false};
  std::string firstAnswer_;  // guarded by mutex_
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

}  // namespace a6::signing::test
