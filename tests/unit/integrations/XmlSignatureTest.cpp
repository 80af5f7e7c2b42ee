// XMLDSig of UNFCCC messages, checked against the independent xmlsec1 command line: what we sign it
// verifies; a tampered copy and a copy signed by another key it refuses; verifyXml agrees each
// time. Keys and self-signed certificates are made with the openssl command line per test run.
#include "a6/integrations/unfccc/XmlSignature.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "a6/core/Error.h"
#include "a6/integrations/unfccc/Messages.h"
#include "a6/integrations/unfccc/Schemas.h"
#include "a6/signing/Keys.h"

namespace a6::integrations::unfccc {
namespace {

namespace fs = std::filesystem;

const fs::path kExample = fs::path(A6_SOURCE_DIR) / "integrations/unfccc/examples/authorisation-notification.xml";

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

struct CommandResult {
  int exitCode = -1;
  std::string output;
};

class XmlSignatureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "a6-xmldsig-XXXXXX").string();
    dir_ = new fs::path(mkdtemp(pattern.data()));
    haveTools_ = std::system("command -v openssl > /dev/null 2>&1 && command -v xmlsec1 > /dev/null 2>&1") == 0;
    if (!haveTools_) return;
    auto make = [](const std::string& command) {
      CommandResult r = run(command);
      ASSERT_EQ(r.exitCode, 0) << command << "\n" << r.output;
    };
    make("openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout " + path("rsa.key") + " -out " + path("rsa.crt") +
         " -subj '/C=GH/O=Environmental Protection Agency/CN=Ghana Carbon Markets Office'");
    make("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -keyout " + path("ec.key") +
         " -out " + path("ec.crt") + " -subj '/C=DE/O=UNFCCC/CN=CARP Test Signer'");
    make("openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout " + path("other.key") + " -out " +
         path("other.crt") + " -subj '/C=GH/O=Somebody Else/CN=Impostor'");
    make("openssl pkcs12 -export -inkey " + path("rsa.key") + " -in " + path("rsa.crt") + " -out " + path("rsa.p12") +
         " -passout pass:test-passphrase");
  }

  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    if (!haveTools_) GTEST_SKIP() << "openssl or xmlsec1 is not installed";
    message_ = readFile(kExample);
    ASSERT_FALSE(message_.empty());
  }

  static std::string path(const std::string& name) { return (*dir_ / name).string(); }
  static std::string pem(const std::string& name) { return readFile(*dir_ / name); }

  static CommandResult run(const std::string& command) {
    static std::atomic<int> counter{0};
    fs::path out = *dir_ / ("output-" + std::to_string(counter++) + ".txt");
    int rc = std::system((command + " > '" + out.string() + "' 2>&1").c_str());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, readFile(out)};
  }

  // The independent verifier: xmlsec1 takes the key from KeyInfo and trusts it only when its
  // certificate chains to the trusted PEM.
  static CommandResult xmlsec1Verify(const std::string& xml, const std::string& trustedCert) {
    static std::atomic<int> counter{0};
    std::string file = path("to-verify-" + std::to_string(counter++) + ".xml");
    writeFile(file, xml);
    return run("xmlsec1 --verify --trusted-pem " + path(trustedCert) + " " + file);
  }

  static inline fs::path* dir_ = nullptr;
  static inline bool haveTools_ = false;
  std::string message_;
};

// One character of a field changed: 1500000 -> 1500001.
std::string tamper(std::string signedXml) {
  auto at = signedXml.find("1500000");
  EXPECT_NE(at, std::string::npos);
  signedXml[at + 6] = '1';
  return signedXml;
}

TEST_F(XmlSignatureTest, RsaSignatureIsAcceptedByXmlsec1AndByVerifyXml) {
  std::string signedXml = signXml(message_, pem("rsa.key"), pem("rsa.crt"));
  CommandResult cli = xmlsec1Verify(signedXml, "rsa.crt");
  EXPECT_EQ(cli.exitCode, 0) << cli.output;
  EXPECT_TRUE(contains(cli.output, "OK")) << cli.output;

  VerifyResult ours = verifyXml(signedXml, {pem("rsa.crt")});
  EXPECT_TRUE(ours.valid) << ours.problem;
  EXPECT_TRUE(ours.problem.empty());
  EXPECT_TRUE(contains(ours.signerSubject, "CN=Ghana Carbon Markets Office")) << ours.signerSubject;
}

TEST_F(XmlSignatureTest, TheSignatureUsesTheAgreedAlgorithmsAndCarriesTheCertificate) {
  std::string signedXml = signXml(message_, pem("rsa.key"), pem("rsa.crt"));
  EXPECT_TRUE(contains(signedXml, "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"));
  EXPECT_TRUE(
      contains(signedXml, "<SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"));
  EXPECT_TRUE(contains(signedXml, "<Reference URI=\"\">"));
  EXPECT_TRUE(contains(signedXml, "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"));
  EXPECT_TRUE(contains(signedXml, "<DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"));
  EXPECT_TRUE(contains(signedXml, "<X509Certificate>"));
  // The certificate appears once, and the signature is the root's last child.
  EXPECT_EQ(signedXml.find("<X509Certificate>"), signedXml.rfind("<X509Certificate>"));
  EXPECT_TRUE(contains(signedXml, "</Signature></AuthorizationNotification>"))
      << signedXml.substr(signedXml.size() - 200);
  // The original content is untouched: the signed document starts with the unsigned one.
  std::string body = message_.substr(message_.find("<AuthorizationNotification"));
  body = body.substr(0, body.find("</AuthorizationNotification>"));
  EXPECT_TRUE(contains(signedXml, body));
}

TEST_F(XmlSignatureTest, SignedMessagesStillValidateAndParse) {
  std::string signedXml = signXml(message_, pem("rsa.key"), pem("rsa.crt"));
  auto problems = validate(MessageKind::AuthorisationNotification, signedXml);
  EXPECT_TRUE(problems.empty()) << describe(MessageKind::AuthorisationNotification, problems.at(0));
  EXPECT_EQ(parseNotification(signedXml), parseNotification(message_));

  Acknowledgement ack;
  ack.acknowledgementId = "ack-1";
  ack.refersToMessageId = "msg_01JPB6X0Q8T3H4V2M5N7R9K1ZC";
  ack.sender = "UNFCCC CARP";
  ack.createdAt = "2025-03-14T09:30:04Z";
  ack.status = AckStatus::Accepted;
  std::string signedAck = signXml(buildAcknowledgement(ack), pem("ec.key"), pem("ec.crt"));
  EXPECT_EQ(parseAcknowledgement(signedAck), ack);
  EXPECT_TRUE(verifyXml(signedAck, {pem("ec.crt")}).valid);
}

TEST_F(XmlSignatureTest, TamperedCopyIsRefusedByBoth) {
  std::string tampered = tamper(signXml(message_, pem("rsa.key"), pem("rsa.crt")));
  CommandResult cli = xmlsec1Verify(tampered, "rsa.crt");
  EXPECT_NE(cli.exitCode, 0) << cli.output;
  EXPECT_TRUE(contains(cli.output, "FAIL")) << cli.output;

  VerifyResult ours = verifyXml(tampered, {pem("rsa.crt")});
  EXPECT_FALSE(ours.valid);
  EXPECT_TRUE(ours.signerSubject.empty());
  EXPECT_TRUE(contains(ours.problem, "changed after signing")) << ours.problem;
}

TEST_F(XmlSignatureTest, CopySignedByAnotherKeyIsRefusedByBoth) {
  std::string forged = signXml(message_, pem("other.key"), pem("other.crt"));
  CommandResult cli = xmlsec1Verify(forged, "rsa.crt");
  EXPECT_NE(cli.exitCode, 0) << cli.output;
  EXPECT_FALSE(contains(cli.output, "\nOK")) << cli.output;

  // Its KeyInfo carries a perfectly good (self-signed) certificate; it does not matter.
  VerifyResult ours = verifyXml(forged, {pem("rsa.crt")});
  EXPECT_FALSE(ours.valid);
  EXPECT_TRUE(contains(ours.problem, "not made with the key of a trusted certificate")) << ours.problem;
}

TEST_F(XmlSignatureTest, KeyInfoIsNeverTheSourceOfTrust) {
  // A valid signature whose KeyInfo certificate is swapped for another: xmlsec1 (which trusts
  // KeyInfo when it chains) refuses it; verifyXml, which takes keys only from the trusted
  // certificates, still finds the signature made by the trusted key.
  std::string signedXml = signXml(message_, pem("rsa.key"), pem("rsa.crt"));
  std::string otherSigned = signXml(message_, pem("other.key"), pem("other.crt"));
  auto certOf = [](const std::string& xml) {
    auto begin = xml.find("<X509Certificate>") + 17;
    return xml.substr(begin, xml.find("</X509Certificate>") - begin);
  };
  std::string swapped = signedXml;
  swapped.replace(swapped.find(certOf(signedXml)), certOf(signedXml).size(), certOf(otherSigned));
  EXPECT_TRUE(verifyXml(swapped, {pem("rsa.crt")}).valid);
  EXPECT_FALSE(verifyXml(swapped, {pem("other.crt")}).valid);
}

TEST_F(XmlSignatureTest, EcdsaSignatureIsAcceptedByXmlsec1AndByVerifyXml) {
  std::string signedXml = signXml(message_, pem("ec.key"), pem("ec.crt"));
  EXPECT_TRUE(contains(signedXml, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"));
  CommandResult cli = xmlsec1Verify(signedXml, "ec.crt");
  EXPECT_EQ(cli.exitCode, 0) << cli.output;
  EXPECT_TRUE(contains(cli.output, "OK")) << cli.output;
  VerifyResult ours = verifyXml(signedXml, {pem("ec.crt")});
  EXPECT_TRUE(ours.valid) << ours.problem;
  EXPECT_TRUE(contains(ours.signerSubject, "CN=CARP Test Signer")) << ours.signerSubject;

  std::string tampered = tamper(signedXml);
  EXPECT_NE(xmlsec1Verify(tampered, "ec.crt").exitCode, 0);
  EXPECT_FALSE(verifyXml(tampered, {pem("ec.crt")}).valid);
}

TEST_F(XmlSignatureTest, AnyOfSeveralTrustedCertificatesMayVerify) {
  std::string signedXml = signXml(message_, pem("rsa.key"), pem("rsa.crt"));
  VerifyResult ours = verifyXml(signedXml, {pem("ec.crt"), pem("other.crt") + pem("rsa.crt")});
  EXPECT_TRUE(ours.valid) << ours.problem;
  EXPECT_TRUE(contains(ours.signerSubject, "Ghana Carbon Markets Office"));
  // An EC certificate alone cannot verify an RSA signature.
  VerifyResult wrongType = verifyXml(signedXml, {pem("ec.crt")});
  EXPECT_FALSE(wrongType.valid);
  EXPECT_TRUE(contains(wrongType.problem, "cannot be verified with a trusted certificate")) << wrongType.problem;
}

TEST_F(XmlSignatureTest, SigningWithAPkcs12IdentityIsAcceptedByXmlsec1) {
  signing::SigningIdentity identity = signing::SigningIdentity::fromPkcs12File(path("rsa.p12"), "test-passphrase");
  std::string signedXml = signXml(message_, identity);
  CommandResult cli = xmlsec1Verify(signedXml, "rsa.crt");
  EXPECT_EQ(cli.exitCode, 0) << cli.output;
  EXPECT_TRUE(contains(cli.output, "OK")) << cli.output;
  EXPECT_TRUE(verifyXml(signedXml, {pem("rsa.crt")}).valid);
}

TEST_F(XmlSignatureTest, MissingSignatureNoTrustAndHostileInputAreProblems) {
  VerifyResult unsignedResult = verifyXml(message_, {pem("rsa.crt")});
  EXPECT_FALSE(unsignedResult.valid);
  EXPECT_TRUE(contains(unsignedResult.problem, "not signed")) << unsignedResult.problem;

  std::string signedXml = signXml(message_, pem("rsa.key"), pem("rsa.crt"));
  VerifyResult noTrust = verifyXml(signedXml, {});
  EXPECT_FALSE(noTrust.valid);
  EXPECT_TRUE(contains(noTrust.problem, "no trusted certificate")) << noTrust.problem;
  EXPECT_FALSE(verifyXml(signedXml, {"not a certificate"}).valid);

  std::string twice = signedXml;
  std::string signature = signedXml.substr(signedXml.find("<Signature"));
  signature = signature.substr(0, signature.find("</Signature>") + 12);
  twice.insert(twice.find("</AuthorizationNotification>"), signature);
  EXPECT_TRUE(contains(verifyXml(twice, {pem("rsa.crt")}).problem, "more than one signature"));

  std::string laughs = "<!DOCTYPE a [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><r>&b;</r>";
  VerifyResult hostile = verifyXml(laughs, {pem("rsa.crt")});
  EXPECT_FALSE(hostile.valid);
  EXPECT_TRUE(contains(hostile.problem, "DOCTYPE")) << hostile.problem;

  EXPECT_FALSE(verifyXml(signedXml, {pem("rsa.crt")}, 100).valid);  // over the size limit
}

TEST_F(XmlSignatureTest, AReferenceToAnythingButTheWholeDocumentIsNotFollowed) {
  // xmlsec1 itself signs a template whose Reference points at a local file; verifyXml must refuse
  // it without reading that file.
  std::random_device random;
  std::string secret = "A6-SECRET-" + std::to_string(random());
  writeFile(path("secret.txt"), secret);
  std::string tmpl =
      "<Doc xmlns=\"urn:x\"><Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>"
      "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
      "<SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
      "<Reference URI=\"file://" +
      path("secret.txt") +
      "\"><DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><DigestValue/></Reference>"
      "</SignedInfo><SignatureValue/></Signature></Doc>";
  writeFile(path("template.xml"), tmpl);
  CommandResult signedByCli = run("xmlsec1 --sign --privkey-pem " + path("rsa.key") + " --output " +
                                  path("template-signed.xml") + " " + path("template.xml"));
  ASSERT_EQ(signedByCli.exitCode, 0) << signedByCli.output;
  VerifyResult ours = verifyXml(pem("template-signed.xml"), {pem("rsa.crt")});
  EXPECT_FALSE(ours.valid);
  EXPECT_TRUE(contains(ours.problem, "invalid URI type")) << ours.problem;
  EXPECT_FALSE(contains(ours.problem, secret));
}

TEST_F(XmlSignatureTest, SigningNeverExpandsXIncludeOrEntities) {
  std::random_device random;
  std::string secret = "A6-SECRET-" + std::to_string(random());
  writeFile(path("include-secret.txt"), secret);
  std::string xinclude = "<r xmlns=\"urn:x\" xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"" +
                         path("include-secret.txt") + "\" parse=\"text\"/></r>";
  std::string signedXml = signXml(xinclude, pem("rsa.key"), pem("rsa.crt"));
  EXPECT_FALSE(contains(signedXml, secret));
  EXPECT_TRUE(contains(signedXml, "xi:include"));

  try {
    signXml("<!DOCTYPE r [<!ENTITY x SYSTEM \"file://" + path("include-secret.txt") + "\">]><r>&x;</r>", pem("rsa.key"),
            pem("rsa.crt"));
    ADD_FAILURE() << "signed a document with a DTD";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
    EXPECT_FALSE(contains(e.what(), secret));
  }
}

TEST_F(XmlSignatureTest, BadKeysAndDoubleSigningAreErrors) {
  auto code = [&](auto sign) {
    try {
      sign();
    } catch (const Error& e) {
      return e.code();
    }
    ADD_FAILURE() << "no error";
    return ErrorCode::Internal;
  };
  EXPECT_EQ(code([&] { signXml(message_, "not a key", pem("rsa.crt")); }), ErrorCode::Config);
  EXPECT_EQ(code([&] { signXml(message_, pem("rsa.key"), "not a cert"); }), ErrorCode::Config);
  EXPECT_EQ(code([&] { signXml(message_, pem("rsa.key"), pem("other.crt")); }), ErrorCode::Config);
  std::string signedXml = signXml(message_, pem("rsa.key"), pem("rsa.crt"));
  EXPECT_EQ(code([&] { signXml(signedXml, pem("rsa.key"), pem("rsa.crt")); }), ErrorCode::Internal);
  EXPECT_EQ(code([&] { signXml("<unclosed>", pem("rsa.key"), pem("rsa.crt")); }), ErrorCode::Internal);
}

TEST_F(XmlSignatureTest, SignsAndVerifiesFromManyThreads) {
  const std::string rsaKey = pem("rsa.key");
  const std::string rsaCert = pem("rsa.crt");
  const std::string ecKey = pem("ec.key");
  const std::string ecCert = pem("ec.crt");
  std::atomic<int> good{0};
  std::atomic<int> refusedTampered{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        bool rsa = (t + i) % 2 == 0;
        std::string signedXml = signXml(message_, rsa ? rsaKey : ecKey, rsa ? rsaCert : ecCert);
        if (verifyXml(signedXml, {rsaCert, ecCert}).valid) ++good;
        if (!verifyXml(tamper(signedXml), {rsaCert, ecCert}).valid) ++refusedTampered;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(good.load(), 40);
  EXPECT_EQ(refusedTampered.load(), 40);
}

}  // namespace
}  // namespace a6::integrations::unfccc
