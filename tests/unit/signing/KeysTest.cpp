// Signing identities from PKCS#12 files and trust anchors from PEM files, against a PKI made by the
// openssl CLI.
#include "a6/signing/Keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include <openssl/x509.h>

#include "SigningTestSupport.h"
#include "a6/core/Error.h"

namespace a6::signing {
namespace {

using namespace test;

// The certificate fingerprint as the openssl CLI prints it, in our lower-case hex form.
std::string cliSha256(const fs::path& cert) {
  CommandResult r = run("openssl x509 -noout -fingerprint -sha256 -in " + quote(cert));
  std::string hex = r.output.substr(r.output.find('=') + 1);
  std::string out;
  for (char c : hex) {
    if (std::isxdigit(static_cast<unsigned char>(c)))
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

ErrorCode codeOf(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no a6::Error thrown";
  return ErrorCode::Internal;
}

TEST(KeysTest, LoadsRsaIdentityWithChain) {
  const TestPki& pki = testPki();
  SigningIdentity id = SigningIdentity::fromPkcs12File(pki.rsaP12.string(), kPassphrase);
  EXPECT_EQ(id.keyType(), KeyType::Rsa);
  EXPECT_EQ(id.commonName(), kRsaSignerName);
  EXPECT_NE(id.subjectName().find("O=Ministry of Environment"), std::string::npos) << id.subjectName();
  EXPECT_EQ(id.certificateSha256(), cliSha256(pki.rsaCert));
  ASSERT_EQ(sk_X509_num(id.chain()), 1);
  EXPECT_EQ(certificateCommonName(sk_X509_value(id.chain(), 0)), "a6auth Test Root CA");
  EXPECT_EQ(id.certificateChainDer().size(), 2u);
  EXPECT_EQ(id.maxSignatureSize(), 384u);  // RSA-3072
}

TEST(KeysTest, LoadsEcdsaIdentityWithUnicodeName) {
  const TestPki& pki = testPki();
  SigningIdentity id = SigningIdentity::fromPkcs12File(pki.ecP12.string(), kPassphrase);
  EXPECT_EQ(id.keyType(), KeyType::Ec);
  EXPECT_EQ(id.commonName(), kEcSignerName);
  EXPECT_EQ(id.certificateSha256(), cliSha256(pki.ecCert));
}

TEST(KeysTest, WrongPassphraseIsAConfigErrorNamingTheFile) {
  const TestPki& pki = testPki();
  std::string message;
  EXPECT_EQ(codeOf([&] { SigningIdentity::fromPkcs12File(pki.rsaP12.string(), "wrong"); }, &message),
            ErrorCode::Config);
  EXPECT_NE(message.find(pki.rsaP12.string()), std::string::npos) << message;
  EXPECT_NE(message.find("passphrase"), std::string::npos) << message;
  EXPECT_EQ(codeOf([&] { SigningIdentity::fromPkcs12File(pki.ecP12.string(), ""); }), ErrorCode::Config);
}

TEST(KeysTest, MissingOrBrokenFileIsAConfigErrorNamingTheFile) {
  std::string message;
  EXPECT_EQ(codeOf([&] { SigningIdentity::fromPkcs12File("/nonexistent/key.p12", kPassphrase); }, &message),
            ErrorCode::Config);
  EXPECT_NE(message.find("/nonexistent/key.p12"), std::string::npos) << message;

  fs::path junk = scratchFile("junk.p12");
  writeFile(junk, "this is not DER at all");
  EXPECT_EQ(codeOf([&] { SigningIdentity::fromPkcs12File(junk.string(), kPassphrase); }, &message), ErrorCode::Config);
  EXPECT_NE(message.find(junk.string()), std::string::npos) << message;
}

TEST(KeysTest, CopiesShareOneKeyAndWorkFromManyThreads) {
  SigningIdentity id = SigningIdentity::fromPkcs12File(testPki().ecP12.string(), kPassphrase);
  SigningIdentity copy = id;
  EXPECT_EQ(copy.privateKey(), id.privateKey());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (copy.commonName() == kEcSignerName && copy.certificateSha256().size() == 64) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
}

TEST(KeysTest, TrustStoreTrustsCertificatesOfItsAnchorsOnly) {
  const TestPki& pki = testPki();
  TrustStore trust = TrustStore::fromPemFiles({pki.caCert.string()});
  EXPECT_EQ(trust.size(), 1u);
  SigningIdentity rsa = SigningIdentity::fromPkcs12File(pki.rsaP12.string(), kPassphrase);
  ChainCheck good = trust.verify(rsa.certificate(), nullptr);
  EXPECT_TRUE(good.trusted) << good.problem;
  EXPECT_TRUE(good.problem.empty());

  TrustStore other = TrustStore::fromPemFiles({pki.otherCaCert.string()});
  ChainCheck bad = other.verify(rsa.certificate(), nullptr);
  EXPECT_FALSE(bad.trusted);
  EXPECT_NE(bad.problem.find("not trusted"), std::string::npos) << bad.problem;

  ChainCheck none = TrustStore().verify(rsa.certificate(), nullptr);
  EXPECT_FALSE(none.trusted);
  EXPECT_NE(none.problem.find("no trust anchors"), std::string::npos) << none.problem;
}

TEST(KeysTest, TrustStoreJudgesValidityAtTheGivenTime) {
  const TestPki& pki = testPki();
  TrustStore trust = TrustStore::fromPemFiles({pki.caCert.string(), pki.otherCaCert.string()});
  EXPECT_EQ(trust.size(), 2u);
  SigningIdentity ec = SigningIdentity::fromPkcs12File(pki.ecP12.string(), kPassphrase);
  std::time_t in50Years = std::time(nullptr) + 50L * 365 * 24 * 3600;
  ChainCheck late = trust.verify(ec.certificate(), nullptr, in50Years);
  EXPECT_FALSE(late.trusted);
  EXPECT_NE(late.problem.find("expired"), std::string::npos) << late.problem;
}

TEST(KeysTest, TrustStoreRefusesMissingAndEmptyFiles) {
  std::string message;
  EXPECT_EQ(codeOf([&] { TrustStore::fromPemFiles({"/nonexistent/anchors.pem"}); }, &message), ErrorCode::Config);
  EXPECT_NE(message.find("/nonexistent/anchors.pem"), std::string::npos);
  fs::path empty = scratchFile("empty.pem");
  writeFile(empty, "# no certificates here\n");
  EXPECT_EQ(codeOf([&] { TrustStore::fromPemFiles({empty.string()}); }, &message), ErrorCode::Config);
  EXPECT_NE(message.find("no PEM certificate"), std::string::npos) << message;
}

}  // namespace
}  // namespace a6::signing
