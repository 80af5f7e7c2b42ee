// PAdES signing, checked by independent tools (poppler's pdfsig with an NSS database trusting the
// test CA, qpdf --check, mutool sign -v, pdftotext) as well as by our verifier and by reading the
// CMS back with OpenSSL.
#include "a6/signing/Pades.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include <openssl/cms.h>
#include <openssl/x509.h>

#include "SigningTestSupport.h"
#include "a6/core/Error.h"
#include "a6/signing/PdfVerify.h"

namespace a6::signing {
namespace {

using namespace test;

SignatureAppearance appearance(double y = 60) {
  SignatureAppearance a;
  a.page = 0;
  a.x = 320;
  a.y = y;
  a.width = 230;
  a.height = 72;
  a.signerTitle = "Director, Climate Change Directorate";
  a.reason = "Letter of Authorisation";
  a.location = "Accra";
  return a;
}

SignOptions options() {
  SignOptions o;
  o.signingTime = nowSeconds();
  return o;
}

const SigningIdentity& rsaSigner() {
  static const SigningIdentity id = SigningIdentity::fromPkcs12File(testPki().rsaP12.string(), kPassphrase);
  return id;
}

const SigningIdentity& ecSigner() {
  static const SigningIdentity id = SigningIdentity::fromPkcs12File(testPki().ecP12.string(), kPassphrase);
  return id;
}

const TrustStore& trust() {
  static const TrustStore t = TrustStore::fromPemFiles({testPki().caCert.string()});
  return t;
}

fs::path save(const std::string& pdf, const std::string& name) {
  fs::path f = scratchFile(name);
  writeFile(f, pdf);
  return f;
}

// What `mutool sign -v` says about each signature.
struct MutoolSignature {
  bool digestOk = true;      // no "Digest error:" line
  bool unchanged = false;    // "The document is unchanged since signing."
  bool editedAfter = false;  // "The signature is valid but there have been edits since signing."
};

std::vector<MutoolSignature> mutoolVerify(const fs::path& file) {
  std::vector<MutoolSignature> out;
  std::istringstream in(run("mutool sign -v " + quote(file)).output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Verifying signature", 0) == 0) {
      out.emplace_back();
    } else if (!out.empty()) {
      if (line.find("Digest error:") != std::string::npos) out.back().digestOk = false;
      if (line.find("unchanged since signing") != std::string::npos) out.back().unchanged = true;
      if (line.find("edits since signing") != std::string::npos) out.back().editedAfter = true;
    }
  }
  return out;
}

bool qpdfCheckPasses(const fs::path& file, std::string* output = nullptr) {
  CommandResult r = run("qpdf --check " + quote(file));
  if (output) *output = r.output;
  return r.exitCode == 0 && r.output.find("No syntax or stream encoding errors found") != std::string::npos;
}

// The n-th signature's CMS, found the plain way (independent of the verifier under test).
struct CmsDeleter {
  void operator()(CMS_ContentInfo* c) const { CMS_ContentInfo_free(c); }
};
std::unique_ptr<CMS_ContentInfo, CmsDeleter> cmsOf(const std::string& pdf, int n) {
  std::size_t pos = 0;
  for (int i = 0; i <= n; ++i) {
    pos = pdf.find("/ByteRange", pos + 1);
    if (pos == std::string::npos) return nullptr;
  }
  std::size_t a = 0, b = 0, c = 0, d = 0;
  if (std::sscanf(pdf.c_str() + pdf.find('[', pos), "[%zu %zu %zu %zu", &a, &b, &c, &d) != 4) return nullptr;
  std::string der;
  for (std::size_t i = b + 1; i + 1 < c - 1; i += 2)
    der.push_back(static_cast<char>(std::stoi(pdf.substr(i, 2), nullptr, 16)));
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return std::unique_ptr<CMS_ContentInfo, CmsDeleter>(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
}

std::time_t parseUtc(const std::string& rfc3339) {
  std::tm tm{};
  std::sscanf(rfc3339.c_str(), "%d-%d-%dT%d:%d:%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
              &tm.tm_sec);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

CMS_SignerInfo* onlySigner(CMS_ContentInfo* cms) { return sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0); }

void expectValidEverywhere(const std::string& pdf, const std::string& name, std::size_t signatures) {
  fs::path f = save(pdf, name);
  PdfsigReport report = pdfsig(f, true);
  ASSERT_EQ(report.signatures.size(), signatures) << report.output;
  for (const auto& s : report.signatures) {
    EXPECT_TRUE(s.valid) << report.output;
    EXPECT_TRUE(s.trusted) << report.output;
    EXPECT_EQ(s.type, "ETSI.CAdES.detached") << report.output;
  }
  EXPECT_TRUE(report.signatures.back().wholeDocument) << report.output;
  std::string qpdfOutput;
  EXPECT_TRUE(qpdfCheckPasses(f, &qpdfOutput)) << qpdfOutput;
  std::vector<MutoolSignature> mutool = mutoolVerify(f);
  ASSERT_EQ(mutool.size(), signatures);
  for (const auto& m : mutool) EXPECT_TRUE(m.digestOk);
  EXPECT_TRUE(mutool.back().unchanged);

  PdfVerification v = verifyPdf(pdf, trust());
  ASSERT_EQ(v.signatures.size(), signatures) << v.problem;
  for (const auto& s : v.signatures) {
    EXPECT_TRUE(s.intact) << s.problem;
    EXPECT_TRUE(s.chainTrusted) << s.problem;
  }
  EXPECT_TRUE(v.signatures.back().coversWholeFile);
  EXPECT_FALSE(v.modifiedAfterLastSignature);
  EXPECT_TRUE(v.problem.empty()) << v.problem;
}

TEST(PadesTest, RsaSignatureIsValidForPdfsigQpdfMutoolAndUs) {
  std::string pdf = signPdf(makeTestPdf(), rsaSigner(), appearance(), options());
  expectValidEverywhere(pdf, "rsa.pdf", 1);
  PdfVerification v = verifyPdf(pdf, trust());
  EXPECT_EQ(v.signatures[0].signerName, kRsaSignerName);
  EXPECT_EQ(v.signatures[0].signerCertificateSha256, rsaSigner().certificateSha256());
}

TEST(PadesTest, EcdsaSignatureIsValidForPdfsigQpdfMutoolAndUs) {
  std::string pdf = signPdf(makeTestPdf(), ecSigner(), appearance(), options());
  expectValidEverywhere(pdf, "ec.pdf", 1);
  PdfsigReport report = pdfsig(save(pdf, "ec-name.pdf"), true);
  EXPECT_EQ(report.signatures[0].signerName, kEcSignerName);
}

TEST(PadesTest, SignatureIsPadesBaselineB) {
  SignOptions o = options();
  std::string pdf = signPdf(makeTestPdf(), rsaSigner(), appearance(), o);
  EXPECT_EQ(pdf.rfind("%PDF-1.7", 0), 0u);
  EXPECT_NE(pdf.find("/ESIC<</BaseVersion/1.7/ExtensionLevel 2>>"), std::string::npos);
  EXPECT_NE(pdf.find("/SubFilter/ETSI.CAdES.detached"), std::string::npos);
  EXPECT_NE(pdf.find("/M(" + pdfDate(o.signingTime) + ")"), std::string::npos);

  auto cms = cmsOf(pdf, 0);
  ASSERT_TRUE(cms);
  EXPECT_EQ(OBJ_obj2nid(CMS_get0_type(cms.get())), NID_pkcs7_signed);
  EXPECT_TRUE(CMS_is_detached(cms.get()));
  CMS_SignerInfo* si = onlySigner(cms.get());
  ASSERT_NE(si, nullptr);
  // PAdES baseline forbids the CMS signing-time; the time lives in /M.
  EXPECT_LT(CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1), 0);
  EXPECT_GE(CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2, -1), 0);
  EXPECT_GE(CMS_signed_get_attr_by_NID(si, NID_pkcs9_messageDigest, -1), 0);
  EXPECT_GE(CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType, -1), 0);
  X509_ALGOR* digest = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, nullptr);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, digest);
  EXPECT_EQ(OBJ_obj2nid(oid), NID_sha256);
  EXPECT_LT(CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1), 0);
  // No placeholder is left behind, and the reservation stays modest (16 KB in the file).
  EXPECT_EQ(pdf.find("0000000000 0000000000"), std::string::npos);
  // 16 KB of /Contents and about 10 KB for the signature block with its font subset.
  EXPECT_LT(pdf.size(), makeTestPdf().size() + 30000);
}

TEST(PadesTest, VisibleSignatureBlockShowsSignerTitleAndTime) {
  SignOptions o = options();
  std::string pdf = signPdf(makeTestPdf(), ecSigner(), appearance(), o);
  fs::path f = save(pdf, "appearance.pdf");
  std::string text = run("pdftotext -enc UTF-8 " + quote(f) + " -").output;
  EXPECT_NE(text.find(std::string("Digitally signed by ") + kEcSignerName), std::string::npos) << text;
  EXPECT_NE(text.find("Director, Climate Change Directorate"), std::string::npos) << text;
  std::time_t t = std::chrono::system_clock::to_time_t(o.signingTime);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  EXPECT_NE(text.find(when), std::string::npos) << text;
  EXPECT_NE(text.find("Ελληνικά"), std::string::npos) << text;
  // Subset, not whole-font, embedding: DejaVu Sans alone is over 700 KB.
  EXPECT_LT(pdf.size(), 80000u);
  // A picture for people to look at: in $A6_TEST_OUTPUT_DIR, else under the temporary directory.
  const char* outputDir = std::getenv("A6_TEST_OUTPUT_DIR");
  fs::path out = (outputDir ? fs::path(outputDir) : fs::temp_directory_path() / "a6auth-test-output") / "signing";
  fs::create_directories(out);
  EXPECT_EQ(run("pdftoppm -r 80 -png -singlefile " + quote(f) + " " + quote(out / "signed-letter")).exitCode, 0);
  EXPECT_TRUE(fs::exists(out / "signed-letter.png"));
}

TEST(PadesTest, InvisibleSignatureIsValidToo) {
  SignatureAppearance a;  // zero size
  std::string pdf = signPdf(makeTestPdf(), rsaSigner(), a, options());
  expectValidEverywhere(pdf, "invisible.pdf", 1);
  EXPECT_EQ(pdf.find("Digitally signed by"), std::string::npos);
}

TEST(PadesTest, SecondSignatoryByIncrementalUpdateKeepsBothValid) {
  std::string first = signPdf(makeTestPdf(), rsaSigner(), appearance(60), options());
  std::string second = signPdf(first, ecSigner(), appearance(140), options());
  ASSERT_GT(second.size(), first.size());
  EXPECT_EQ(second.compare(0, first.size(), first), 0) << "earlier bytes must not change";
  expectValidEverywhere(second, "two-signatories.pdf", 2);

  PdfsigReport report = pdfsig(save(second, "two-signatories-order.pdf"), true);
  EXPECT_FALSE(report.signatures[0].wholeDocument);
  EXPECT_EQ(report.signatures[0].signerName, kRsaSignerName);
  EXPECT_EQ(report.signatures[1].signerName, kEcSignerName);
  std::vector<MutoolSignature> mutool = mutoolVerify(save(second, "two-signatories-mutool.pdf"));
  EXPECT_TRUE(mutool[0].editedAfter);

  PdfVerification v = verifyPdf(second, trust());
  EXPECT_FALSE(v.signatures[0].coversWholeFile);
  EXPECT_TRUE(v.signatures[1].coversWholeFile);
  EXPECT_EQ(v.signatures[0].signerName, kRsaSignerName);
  EXPECT_EQ(v.signatures[1].signerName, kEcSignerName);

  // A third signatory, to show that increments stack. A different person: poppler 22.12 reports
  // "Unknown issue with Certificate" for a certificate it meets a second time in one file (it reads
  // a stale NSS error code after a successful chain check; fixed in later poppler releases).
  SigningIdentity thirdSigner = SigningIdentity::fromPkcs12File(testPki().thirdP12.string(), kPassphrase);
  std::string third = signPdf(second, thirdSigner, appearance(220), options());
  expectValidEverywhere(third, "three-signatories.pdf", 3);
}

TEST(PadesTest, ChangedByteIsReportedByPdfsigMutoolAndUs) {
  std::string pdf = signPdf(makeTestPdf(), rsaSigner(), appearance(), options());
  // A digit of /M: inside the signed range, and the file still parses.
  std::size_t m = pdf.find("/M(D:");
  ASSERT_NE(m, std::string::npos);
  pdf[m + 5] = pdf[m + 5] == '1' ? '2' : '1';
  fs::path f = save(pdf, "changed.pdf");
  PdfsigReport report = pdfsig(f, true);
  ASSERT_EQ(report.signatures.size(), 1u) << report.output;
  EXPECT_FALSE(report.signatures[0].valid) << report.output;
  EXPECT_NE(report.output.find("Digest Mismatch"), std::string::npos) << report.output;
  std::vector<MutoolSignature> mutool = mutoolVerify(f);
  ASSERT_EQ(mutool.size(), 1u);
  EXPECT_FALSE(mutool[0].digestOk);

  PdfVerification v = verifyPdf(pdf, trust());
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_FALSE(v.signatures[0].intact);
  EXPECT_NE(v.signatures[0].problem.find("does not match"), std::string::npos) << v.signatures[0].problem;
}

TEST(PadesTest, UpdateAppendedAfterSigningIsReportedByPdfsigMutoolAndUs) {
  std::string signedPdf = signPdf(makeTestPdf(), rsaSigner(), appearance(), options());
  // Someone edits the signed letter with another tool, as an incremental update.
  std::string edited;
  {
    using namespace PoDoFo;
    PdfMemDocument doc;
    doc.LoadFromBuffer(signedPdf.data(), static_cast<long>(signedPdf.size()), true);
    doc.GetInfo()->SetTitle(PdfString("Letter of Authorisation (amended quietly)"));
    PdfRefCountedBuffer buffer;
    PdfOutputDevice device(&buffer);
    doc.WriteUpdate(&device, true);
    edited.assign(buffer.GetBuffer(), device.GetLength());
  }
  ASSERT_GT(edited.size(), signedPdf.size());
  fs::path f = save(edited, "appended.pdf");
  PdfsigReport report = pdfsig(f, true);
  ASSERT_EQ(report.signatures.size(), 1u) << report.output;
  EXPECT_FALSE(report.signatures[0].wholeDocument) << report.output;
  EXPECT_NE(report.output.find("Not total document signed"), std::string::npos) << report.output;
  std::vector<MutoolSignature> mutool = mutoolVerify(f);
  ASSERT_EQ(mutool.size(), 1u);
  EXPECT_TRUE(mutool[0].editedAfter);

  PdfVerification v = verifyPdf(edited, trust());
  ASSERT_EQ(v.signatures.size(), 1u);
  EXPECT_TRUE(v.signatures[0].intact);  // what was signed is still intact…
  EXPECT_FALSE(v.signatures[0].coversWholeFile);
  EXPECT_TRUE(v.modifiedAfterLastSignature);  // …but bytes were added after it
  EXPECT_NE(v.problem.find("added after"), std::string::npos) << v.problem;
}

TEST(PadesTest, TimestampedSignatureIsBaselineT) {
  TestTsa tsa;
  SignOptions o = options();
  o.tsaUrl = tsa.url();
  std::string pdf = signPdf(makeTestPdf(), ecSigner(), appearance(), o);
  EXPECT_EQ(tsa.requests(), 1);
  expectValidEverywhere(pdf, "timestamped.pdf", 1);

  auto cms = cmsOf(pdf, 0);
  ASSERT_TRUE(cms);
  EXPECT_GE(CMS_unsigned_get_attr_by_NID(onlySigner(cms.get()), NID_id_smime_aa_timeStampToken, -1), 0);
  PdfVerification v = verifyPdf(pdf, trust());
  ASSERT_EQ(v.signatures.size(), 1u);
  ASSERT_TRUE(v.signatures[0].timestampTime.has_value()) << v.signatures[0].problem;
  // The TSA's clock is this machine's: the token time is the signing time, give or take.
  auto tokenTime = std::chrono::system_clock::from_time_t(parseUtc(*v.signatures[0].timestampTime));
  EXPECT_LT(std::chrono::abs(tokenTime - o.signingTime), std::chrono::minutes(2)) << *v.signatures[0].timestampTime;

  // The time is reported whoever the TSA is, but an unknown TSA is named as a problem.
  PdfVerification untrusted = verifyPdf(pdf, TrustStore::fromPemFiles({testPki().otherCaCert.string()}));
  ASSERT_EQ(untrusted.signatures.size(), 1u);
  EXPECT_EQ(untrusted.signatures[0].timestampTime, v.signatures[0].timestampTime);
  EXPECT_NE(untrusted.signatures[0].problem.find("time-stamp authority"), std::string::npos)
      << untrusted.signatures[0].problem;

  // A second, time-stamped signatory on top keeps everything valid.
  std::string second = signPdf(pdf, rsaSigner(), appearance(140), o);
  EXPECT_EQ(tsa.requests(), 2);
  expectValidEverywhere(second, "timestamped-two.pdf", 2);
}

TEST(PadesTest, FailingOrReplayingTimeStampAuthorityIsAnError) {
  TestTsa tsa;
  tsa.failWith500(true);
  SignOptions o = options();
  o.tsaUrl = tsa.url();
  try {
    signPdf(makeTestPdf(), rsaSigner(), appearance(), o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
    EXPECT_NE(std::string(e.what()).find("500"), std::string::npos) << e.what();
  }
  // A token for other data (here: an earlier answer replayed) is refused.
  tsa.failWith500(false);
  tsa.replayFirstAnswer(true);
  o.tsaUrl = tsa.url();
  signPdf(makeTestPdf(), rsaSigner(), appearance(), o);
  try {
    signPdf(makeTestPdf(), rsaSigner(), appearance(), o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
    EXPECT_NE(std::string(e.what()).find("covers other data"), std::string::npos) << e.what();
  }
  o.tsaUrl = "ftp://127.0.0.1/tsa";
  try {
    signPdf(makeTestPdf(), rsaSigner(), appearance(), o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Config);
  }
}

TEST(PadesTest, RefusesWhatItCannotSign) {
  auto code = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::Internal;
  };
  EXPECT_EQ(code([] { signPdf("hello, world", rsaSigner(), appearance(), options()); }), ErrorCode::Invalid);
  EXPECT_EQ(code([] { signPdf("%PDF-1.7\n garbage garbage", rsaSigner(), appearance(), options()); }),
            ErrorCode::Invalid);
  SignatureAppearance badPage = appearance();
  badPage.page = 3;
  EXPECT_EQ(code([&] { signPdf(makeTestPdf(), rsaSigner(), badPage, options()); }), ErrorCode::Invalid);
  SignatureAppearance badFont = appearance();
  badFont.fontPath = "/nonexistent/font.ttf";
  EXPECT_EQ(code([&] { signPdf(makeTestPdf(), rsaSigner(), badFont, options()); }), ErrorCode::Config);
}

TEST(PadesTest, UnsignedInputWithXrefStreamIsRewrittenButSignedOneIsRefused) {
  fs::path plain = save(makeTestPdf(), "plain.pdf");
  fs::path streamed = scratchFile("streamed.pdf");
  ASSERT_EQ(run("qpdf --object-streams=generate " + quote(plain) + " " + quote(streamed)).exitCode, 0);
  std::string pdf = signPdf(readFile(streamed), rsaSigner(), appearance(), options());
  expectValidEverywhere(pdf, "from-streamed.pdf", 1);

  fs::path signedFile = save(pdf, "signed-then-streamed-in.pdf");
  fs::path signedStreamed = scratchFile("signed-then-streamed.pdf");
  ASSERT_EQ(run("qpdf --object-streams=generate " + quote(signedFile) + " " + quote(signedStreamed)).exitCode, 0);
  try {
    signPdf(readFile(signedStreamed), ecSigner(), appearance(140), options());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_NE(std::string(e.what()).find("cross-reference"), std::string::npos) << e.what();
  }
}

TEST(PadesTest, OneIdentitySignsFromManyThreads) {
  const std::string input = makeTestPdf();
  std::vector<std::string> outputs(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < 8; i += 2) {
        outputs[i] = signPdf(input, i % 4 < 2 ? rsaSigner() : ecSigner(), appearance(), options());
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& pdf : outputs) {
    PdfVerification v = verifyPdf(pdf, trust());
    ASSERT_EQ(v.signatures.size(), 1u);
    EXPECT_TRUE(v.signatures[0].intact) << v.signatures[0].problem;
  }
  // Not a benchmark (that is tests/bench); a figure in the log to notice regressions by eye.
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) signPdf(input, rsaSigner(), appearance(), options());
  auto perSignature = (std::chrono::steady_clock::now() - start) / 20;
  std::cout << "signPdf, one-page letter, RSA-3072: "
            << std::chrono::duration_cast<std::chrono::microseconds>(perSignature).count() << " µs\n";
}

}  // namespace
}  // namespace a6::signing
