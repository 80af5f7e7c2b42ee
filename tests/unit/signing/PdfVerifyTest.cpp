// The verifier against good files (ours and one signed by poppler's pdfsig), tampered files, and
// hostile input: not a PDF, truncated, huge, hundreds of fake signatures, garbage byte ranges.
#include "a6/signing/PdfVerify.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "SigningTestSupport.h"
#include "a6/signing/Digest.h"
#include "a6/signing/Pades.h"

namespace a6::signing {
namespace {

using namespace test;
using Clock = std::chrono::steady_clock;

const SigningIdentity& ecSigner() {
  static const SigningIdentity id = SigningIdentity::fromPkcs12File(testPki().ecP12.string(), kPassphrase);
  return id;
}

const TrustStore& trust() {
  static const TrustStore t = TrustStore::fromPemFiles({testPki().caCert.string()});
  return t;
}

SignatureAppearance appearance() {
  SignatureAppearance a;
  a.x = 320;
  a.y = 60;
  a.width = 230;
  a.height = 60;
  a.signerTitle = "Minister";
  return a;
}

struct Signed {
  std::string pdf;
  a6::TimePoint when;
};

const Signed& signedLetter() {
  static const Signed s = [] {
    SignOptions o;
    o.signingTime = nowSeconds();
    return Signed{signPdf(makeTestPdf(), ecSigner(), appearance(), o), o.signingTime};
  }();
  return s;
}

std::string rfc3339(a6::TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&secs));
  return buf;
}

// A syntactically plausible PDF around `body`, for hostile byte ranges.
std::string pdfAround(const std::string& body) {
  return "%PDF-1.7\n1 0 obj\n<<" + body + ">>\nendobj\ntrailer\n<</Root 1 0 R>>\n%%EOF\n";
}

TEST(PdfVerifyTest, ReportsSignerTimeSubFilterAndHash) {
  const Signed& s = signedLetter();
  PdfVerification v = verifyPdf(s.pdf, trust());
  EXPECT_TRUE(v.isPdf);
  EXPECT_TRUE(v.problem.empty()) << v.problem;
  EXPECT_EQ(v.sha256, sha256Hex(s.pdf));
  EXPECT_FALSE(v.modifiedAfterLastSignature);
  ASSERT_EQ(v.signatures.size(), 1u);
  const SignatureCheck& c = v.signatures[0];
  EXPECT_TRUE(c.intact) << c.problem;
  EXPECT_TRUE(c.chainTrusted) << c.problem;
  EXPECT_TRUE(c.coversWholeFile);
  EXPECT_TRUE(c.problem.empty()) << c.problem;
  EXPECT_EQ(c.signerName, kEcSignerName);
  EXPECT_EQ(c.signerCertificateSha256, ecSigner().certificateSha256());
  EXPECT_EQ(c.signingTime, rfc3339(s.when));
  EXPECT_EQ(c.subFilter, "ETSI.CAdES.detached");
  EXPECT_FALSE(c.timestampTime.has_value());
}

TEST(PdfVerifyTest, IntactButUntrustedIsDistinguishable) {
  const Signed& s = signedLetter();
  for (const TrustStore& other : {TrustStore(), TrustStore::fromPemFiles({testPki().otherCaCert.string()})}) {
    PdfVerification v = verifyPdf(s.pdf, other);
    ASSERT_EQ(v.signatures.size(), 1u);
    EXPECT_TRUE(v.signatures[0].intact) << v.signatures[0].problem;
    EXPECT_FALSE(v.signatures[0].chainTrusted);
    EXPECT_FALSE(v.signatures[0].problem.empty());
  }
}

TEST(PdfVerifyTest, VerifiesASignatureMadeByPdfsig) {
  // An independent signer: poppler's pdfsig with the RSA key in an NSS database.
  fs::path in = scratchFile("unsigned.pdf");
  fs::path out = scratchFile("pdfsig-signed.pdf");
  writeFile(in, makeTestPdf());
  CommandResult r = run("pdfsig -nssdir sql:" + quote(testPki().nssSignerDir) + " -add-signature -nick '" +
                        testPki().nssSignerNick + "' -reason 'interop' " + quote(in) + " " + quote(out));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  PdfVerification v = verifyPdf(readFile(out), trust());
  ASSERT_EQ(v.signatures.size(), 1u) << v.problem;
  EXPECT_TRUE(v.signatures[0].intact) << v.signatures[0].problem;
  EXPECT_TRUE(v.signatures[0].chainTrusted) << v.signatures[0].problem;
  EXPECT_TRUE(v.signatures[0].coversWholeFile);
  EXPECT_EQ(v.signatures[0].subFilter, "adbe.pkcs7.detached");
  EXPECT_EQ(v.signatures[0].signerName, kRsaSignerName);

  // pdfsig appending its signature to one of ours keeps ours valid for both of us.
  fs::path ours = scratchFile("ours.pdf");
  fs::path both = scratchFile("ours-then-pdfsig.pdf");
  writeFile(ours, signedLetter().pdf);
  r = run("pdfsig -nssdir sql:" + quote(testPki().nssSignerDir) + " -add-signature -nick '" + testPki().nssSignerNick +
          "' " + quote(ours) + " " + quote(both));
  ASSERT_EQ(r.exitCode, 0) << r.output;
  v = verifyPdf(readFile(both), trust());
  ASSERT_EQ(v.signatures.size(), 2u) << v.problem;
  for (const auto& s : v.signatures) EXPECT_TRUE(s.intact) << s.problem;
  EXPECT_FALSE(v.signatures[0].coversWholeFile);
  EXPECT_TRUE(v.signatures[1].coversWholeFile);
}

TEST(PdfVerifyTest, NotAPdf) {
  for (const std::string& junk : {std::string(), std::string("hello, world"), std::string(5000, '\0'),
                                  std::string("<html>%PDF-</html>").insert(0, 2000, ' ')}) {
    PdfVerification v = verifyPdf(junk, trust());
    EXPECT_FALSE(v.isPdf);
    EXPECT_NE(v.problem.find("not a PDF"), std::string::npos) << v.problem;
    EXPECT_TRUE(v.signatures.empty());
  }
}

TEST(PdfVerifyTest, UnsignedPdfHasNoSignatures) {
  PdfVerification v = verifyPdf(makeTestPdf(), trust());
  EXPECT_TRUE(v.isPdf);
  EXPECT_TRUE(v.signatures.empty());
  EXPECT_EQ(v.problem, "no signatures found");
  EXPECT_FALSE(v.modifiedAfterLastSignature);
}

TEST(PdfVerifyTest, TruncatedFilesAreReported) {
  const std::string& pdf = signedLetter().pdf;
  for (double keep : {0.2, 0.5, 0.9, 0.999}) {
    std::string cut = pdf.substr(0, static_cast<std::size_t>(static_cast<double>(pdf.size()) * keep));
    PdfVerification v = verifyPdf(cut, trust());
    EXPECT_TRUE(v.isPdf);
    EXPECT_NE(v.problem.find("truncated"), std::string::npos) << keep << ": " << v.problem;
    for (const auto& s : v.signatures) {
      EXPECT_FALSE(s.intact);
      EXPECT_FALSE(s.problem.empty());
    }
  }
}

TEST(PdfVerifyTest, HugeFileIsRefusedQuickly) {
  std::string huge = signedLetter().pdf;
  huge.resize(25u << 20, ' ');
  auto start = Clock::now();
  PdfVerification v = verifyPdf(huge, trust());
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(200));
  EXPECT_NE(v.problem.find("larger than the limit"), std::string::npos) << v.problem;
  EXPECT_TRUE(v.signatures.empty());
}

TEST(PdfVerifyTest, HundredsOfFakeSignaturesAreRefusedQuickly) {
  std::string body;
  for (int i = 0; i < 200; ++i) body += "/ByteRange [0 10 " + std::to_string(20 + i) + " 5] /Contents <00>\n";
  std::string pdf = pdfAround(body);
  auto start = Clock::now();
  PdfVerification v = verifyPdf(pdf, trust());
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(200));
  EXPECT_NE(v.problem.find("more than 32 signatures"), std::string::npos) << v.problem;
  EXPECT_TRUE(v.signatures.empty());

  // The same with the real signature in there: still refused, not partially believed.
  std::string many = signedLetter().pdf;
  many.insert(many.find("endobj"), body);
  v = verifyPdf(many, trust());
  EXPECT_NE(v.problem.find("more than 32 signatures"), std::string::npos) << v.problem;

  // Under the limit, each fake one is reported with its problem.
  std::string few;
  for (int i = 0; i < 5; ++i) few += "/ByteRange [0 10 " + std::to_string(20 + i) + " 5]\n";
  v = verifyPdf(pdfAround(few), trust());
  ASSERT_EQ(v.signatures.size(), 5u);
  for (const auto& s : v.signatures) {
    EXPECT_FALSE(s.intact);
    EXPECT_FALSE(s.problem.empty());
  }
}

TEST(PdfVerifyTest, GarbageByteRangesGiveProblemsNotCrashes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/ByteRange 12", "not followed by an array"},
      {"/ByteRange [0 10 20]", "four non-negative integers"},
      {"/ByteRange [0 10 20 30 40]", "exactly four"},
      {"/ByteRange [-1 10 20 5]", "four non-negative integers"},
      {"/ByteRange [0 a b c]", "four non-negative integers"},
      {"/ByteRange [0 99999999999999999999 20 5]", "out of range"},
      {"/ByteRange [0 18446744073709551615 1 1]", "out of range"},
      {"/ByteRange [1 10 20 5]", "does not start at the beginning"},
      {"/ByteRange [0 30 20 5]", "outside the file or its ranges overlap"},
      {"/ByteRange [0 10 20 999999]", "outside the file or its ranges overlap"},
      {"/ByteRange [0 0 20 5]", "outside the file or its ranges overlap"},
      {"/ByteRange [0 12 30 5]", "not the /Contents hex string"},
      {"/ByteRange [", "not hold four non-negative integers"},
  };
  for (const auto& [body, expected] : cases) {
    PdfVerification v = verifyPdf(pdfAround(body), trust());
    ASSERT_EQ(v.signatures.size(), 1u) << body;
    EXPECT_FALSE(v.signatures[0].intact) << body;
    EXPECT_NE(v.signatures[0].problem.find(expected), std::string::npos) << body << ": " << v.signatures[0].problem;
  }
  // A name that merely starts with ByteRange is not one.
  EXPECT_TRUE(verifyPdf(pdfAround("/ByteRanges [0 1 2 3]"), trust()).signatures.empty());
}

TEST(PdfVerifyTest, ContentsThatIsNotTheRightCmsIsReported) {
  const std::string& pdf = signedLetter().pdf;
  std::size_t open = pdf.find("/Contents<") + 9;
  std::size_t close = pdf.find('>', open);
  std::string zeros = pdf;
  std::fill(zeros.begin() + static_cast<std::ptrdiff_t>(open + 1), zeros.begin() + static_cast<std::ptrdiff_t>(close),
            '0');
  PdfVerification v = verifyPdf(zeros, trust());
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_FALSE(v.signatures[0].intact);
  EXPECT_NE(v.signatures[0].problem.find("not a CMS"), std::string::npos) << v.signatures[0].problem;

  // A valid CMS from another signing of the same letter: intact CMS, wrong bytes.
  SignOptions o;
  o.signingTime = nowSeconds() + std::chrono::seconds(7);
  std::string other = signPdf(makeTestPdf(), ecSigner(), appearance(), o);
  std::size_t otherOpen = other.find("/Contents<") + 9;
  std::string swapped = pdf;
  swapped.replace(open, close - open, other.substr(otherOpen, other.find('>', otherOpen) - otherOpen));
  ASSERT_EQ(swapped.size(), pdf.size());
  v = verifyPdf(swapped, trust());
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_FALSE(v.signatures[0].intact);
  EXPECT_NE(v.signatures[0].problem.find("does not match"), std::string::npos) << v.signatures[0].problem;
  EXPECT_EQ(v.signatures[0].signerName, kEcSignerName);  // still says who claims to have signed
}

TEST(PdfVerifyTest, SigningTimeIsReadWithItsOffsetEvenWhenTheChangeBreaksTheSignature) {
  std::string pdf = signedLetter().pdf;
  std::size_t m = pdf.find("+00'00')", pdf.find("/M(D:"));
  ASSERT_NE(m, std::string::npos);
  pdf.replace(m, 3, "+01");
  PdfVerification v = verifyPdf(pdf, trust());
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_FALSE(v.signatures[0].intact);
  EXPECT_EQ(v.signatures[0].signingTime, rfc3339(signedLetter().when - std::chrono::hours(1)));
}

TEST(PdfVerifyTest, RandomDamageNeverCrashesAndIsNeverValid) {
  const std::string& pdf = signedLetter().pdf;
  std::mt19937 rng(4);
  std::uniform_int_distribution<std::size_t> pos(0, pdf.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::size_t contentsStart = pdf.find("/Contents<") + 10;
  std::size_t contentsEnd = pdf.find('>', contentsStart);
  int brokenReported = 0;
  for (int i = 0; i < 300; ++i) {
    std::string damaged = pdf;
    std::size_t at = pos(rng);
    damaged[at] = static_cast<char>(byte(rng));
    if (i % 3 == 0) damaged.resize(pos(rng));
    if (damaged == pdf) continue;
    PdfVerification v;
    ASSERT_NO_THROW(v = verifyPdf(damaged, trust()));
    bool allIntactAndWhole = !v.signatures.empty() && v.problem.empty();
    for (const auto& s : v.signatures) allIntactAndWhole = allIntactAndWhole && s.intact && s.coversWholeFile;
    // Inside /Contents only the signed attributes and the signer's certificate are protected: the
    // zero padding and, say, the CA certificate carried along may change without changing the letter.
    bool inContents = damaged.size() == pdf.size() && at >= contentsStart && at < contentsEnd;
    if (!inContents) {
      EXPECT_FALSE(allIntactAndWhole) << "byte " << at << " changed unnoticed";
      ++brokenReported;
    }
  }
  EXPECT_GT(brokenReported, 200);
}

}  // namespace
}  // namespace a6::signing
