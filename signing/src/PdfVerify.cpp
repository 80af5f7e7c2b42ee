// Signature verification over raw PDF bytes. A scan for /ByteRange arrays finds the signature
// dictionaries (a6auth never writes them into object streams); each range is checked to start at 0,
// stay inside the file, and leave exactly the hex /Contents string uncovered, before OpenSSL checks
// the CMS: first its integrity alone, then the signer's chain, so that "intact but untrusted" shows.
#include "a6/signing/PdfVerify.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "OpenSsl.h"
#include "a6/signing/Digest.h"
#include "a6/signing/Timestamp.h"

namespace a6::signing {

namespace {

constexpr std::string_view kByteRangeKey = "/ByteRange";
// A /ByteRange array is four integers; anything longer than this is not one.
constexpr std::size_t kMaxArrayText = 160;
// How far around the signed gap the rest of the signature dictionary (/M, /SubFilter) is looked for.
constexpr std::size_t kDictWindow = 4096;
// A CMS with a time stamp and full chains stays far below this; bigger /Contents are refused.
constexpr std::size_t kMaxContentsHex = 2u << 20;
// Occurrences of /ByteRange examined at most, counting broken ones and repeats.
constexpr int kScanFactor = 4;

bool isPdfWhitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\0'; }
bool isPdfDelimiter(char c) {
  return isPdfWhitespace(c) || c == '[' || c == ']' || c == '(' || c == ')' || c == '<' || c == '>' || c == '/' ||
         c == '{' || c == '}' || c == '%';
}
bool isHexDigit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  return (std::tolower(static_cast<unsigned char>(c)) - 'a') + 10;
}

struct Candidate {
  std::size_t keyPos = 0;
  std::array<std::size_t, 4> range{};
  std::string problem;  // set when the array could not be read or is not sound
};

// Reads "[a b c d]" after the /ByteRange key at keyPos. Returns false with a problem when the text
// there is not four non-negative integers.
bool parseByteRange(std::string_view pdf, std::size_t keyPos, Candidate& out) {
  std::size_t pos = keyPos + kByteRangeKey.size();
  const std::size_t end = std::min(pdf.size(), pos + kMaxArrayText);
  while (pos < end && isPdfWhitespace(pdf[pos])) ++pos;
  if (pos >= end || pdf[pos] != '[') {
    out.problem = "/ByteRange is not followed by an array";
    return false;
  }
  ++pos;
  for (std::size_t i = 0; i < 4; ++i) {
    while (pos < end && isPdfWhitespace(pdf[pos])) ++pos;
    std::size_t digits = 0;
    std::size_t value = 0;
    while (pos < end && std::isdigit(static_cast<unsigned char>(pdf[pos]))) {
      if (++digits > 12) {
        out.problem = "/ByteRange holds a number out of range";
        return false;
      }
      value = value * 10 + static_cast<std::size_t>(pdf[pos] - '0');
      ++pos;
    }
    if (digits == 0) {
      out.problem = "/ByteRange does not hold four non-negative integers";
      return false;
    }
    out.range[i] = value;
  }
  while (pos < end && isPdfWhitespace(pdf[pos])) ++pos;
  if (pos >= end || pdf[pos] != ']') {
    out.problem = "/ByteRange does not hold exactly four integers";
    return false;
  }
  return true;
}

// Checks that the ranges start at 0, lie within the file, do not overlap and leave exactly one hex
// string uncovered.
bool rangesSound(std::string_view pdf, Candidate& c) {
  const auto [a, b, s, d] = c.range;
  if (a != 0) {
    c.problem = "the signed range does not start at the beginning of the file";
    return false;
  }
  if (b == 0 || s <= b || s > pdf.size() || d > pdf.size() - s) {
    c.problem = "/ByteRange points outside the file or its ranges overlap";
    return false;
  }
  const std::size_t gap = s - b;
  if (gap < 2 || pdf[b] != '<' || pdf[s - 1] != '>') {
    c.problem = "the unsigned gap of /ByteRange is not the /Contents hex string";
    return false;
  }
  if (gap - 2 > kMaxContentsHex || (gap - 2) % 2 != 0) {
    c.problem = "the /Contents hex string has an unusable length";
    return false;
  }
  for (std::size_t i = b + 1; i < s - 1; ++i) {
    if (!isHexDigit(pdf[i])) {
      c.problem = "the unsigned gap of /ByteRange holds more than the /Contents hex string";
      return false;
    }
  }
  // The key must itself be covered by the signature, or it could have been changed.
  if (c.keyPos >= b && c.keyPos < s) {
    c.problem = "/ByteRange lies inside its own unsigned gap";
    return false;
  }
  return true;
}

// --- the rest of the signature dictionary -----------------------------------------------------

// The text of the signature dictionary around the gap and the key: before both (cut at the enclosing
// "obj"), between them, and after both (cut at "endobj").
std::array<std::string_view, 3> dictionaryWindows(std::string_view pdf, const Candidate& c) {
  const std::size_t keyEnd = c.keyPos + kByteRangeKey.size();
  const std::size_t first = std::min(c.keyPos, c.range[1]);
  const std::size_t last = std::max(keyEnd, c.range[2]);
  const std::size_t from = first > kDictWindow ? first - kDictWindow : 0;
  std::string_view before = pdf.substr(from, first - from);
  if (std::size_t obj = before.rfind("obj"); obj != std::string_view::npos) before = before.substr(obj);
  std::string_view between =
      c.keyPos < c.range[1] ? pdf.substr(keyEnd, c.range[1] - keyEnd) : pdf.substr(c.range[2], c.keyPos - c.range[2]);
  between = between.substr(0, kDictWindow);
  std::string_view after = pdf.substr(last, std::min(kDictWindow, pdf.size() - last));
  if (std::size_t endobj = after.find("endobj"); endobj != std::string_view::npos) after = after.substr(0, endobj);
  return {before, between, after};
}

// Finds `/Key` followed by a delimiter in the windows and returns where its value starts.
std::optional<std::string_view> valueAfterKey(const std::array<std::string_view, 3>& windows, std::string_view key) {
  for (std::string_view w : windows) {
    std::size_t pos = 0;
    while ((pos = w.find(key, pos)) != std::string_view::npos) {
      std::size_t after = pos + key.size();
      if (after < w.size() && isPdfDelimiter(w[after]) && w[after] != '%') {
        while (after < w.size() && isPdfWhitespace(w[after])) ++after;
        return w.substr(after);
      }
      pos = after;
    }
  }
  return std::nullopt;
}

std::string readPdfString(std::string_view v) {
  std::string out;
  if (v.empty()) return out;
  if (v[0] == '(') {
    for (std::size_t i = 1; i < v.size() && i < 128; ++i) {
      if (v[i] == ')') return out;
      if (v[i] == '\\' && i + 1 < v.size()) ++i;
      out.push_back(v[i]);
    }
    return {};
  }
  if (v[0] == '<') {
    std::string hex;
    for (std::size_t i = 1; i < v.size() && i < 256; ++i) {
      if (v[i] == '>') {
        if (hex.size() % 2) hex.push_back('0');
        for (std::size_t j = 0; j + 1 < hex.size(); j += 2) {
          out.push_back(static_cast<char>(hexValue(hex[j]) * 16 + hexValue(hex[j + 1])));
        }
        return out;
      }
      if (isHexDigit(v[i])) hex.push_back(v[i]);
    }
  }
  return {};
}

std::string readPdfName(std::string_view v) {
  if (v.empty() || v[0] != '/') return {};
  std::size_t end = 1;
  while (end < v.size() && end < 128 && !isPdfDelimiter(v[end])) ++end;
  return std::string(v.substr(1, end - 1));
}

// "D:20250131120000+01'00'" -> "2025-01-31T11:00:00Z"; returns the input when it does not parse.
std::string pdfDateToRfc3339(const std::string& raw) {
  std::string_view s(raw);
  if (s.substr(0, 2) == "D:") s.remove_prefix(2);
  auto number = [&](std::size_t at, std::size_t len, int fallback) -> int {
    if (s.size() < at + len) return fallback;
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  std::tm tm{};
  int year = number(0, 4, -1), month = number(4, 2, 1), day = number(6, 2, 1);
  int hour = number(8, 2, 0), minute = number(10, 2, 0), second = number(12, 2, 0);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60) {
    return raw;
  }
  long offset = 0;
  if (s.size() > 14) {
    char sign = s[14];
    if (sign == '+' || sign == '-') {
      std::string tz(s.substr(15));
      tz.erase(std::remove(tz.begin(), tz.end(), '\''), tz.end());
      int oh = tz.size() >= 2 ? (tz[0] - '0') * 10 + (tz[1] - '0') : 0;
      int om = tz.size() >= 4 ? (tz[2] - '0') * 10 + (tz[3] - '0') : 0;
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return raw;
      offset = (sign == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    } else if (sign != 'Z') {
      return raw;
    }
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t t = timegm(&tm) - offset;
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::optional<std::time_t> rfc3339ToTime(const std::string& s) {
  std::tm tm{};
  if (s.size() != 20 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return timegm(&tm);
}

void appendProblem(std::string& problem, const std::string& more) {
  if (more.empty()) return;
  if (!problem.empty()) problem += "; ";
  problem += more;
}

// --- the CMS ----------------------------------------------------------------------------------

std::string_view view(const ASN1_STRING* s) {
  return std::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                          static_cast<std::size_t>(ASN1_STRING_length(s)));
}

void verifyCms(std::string_view pdf, const Candidate& c, const TrustStore& trust, SignatureCheck& check) {
  const auto [a, b, s, d] = c.range;
  std::string der;
  der.reserve((s - b - 2) / 2);
  for (std::size_t i = b + 1; i + 1 < s - 1; i += 2) {
    der.push_back(static_cast<char>(hexValue(pdf[i]) * 16 + hexValue(pdf[i + 1])));
  }
  ossl::clearErrors();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  // d2i reads one DER element; the zero padding after it is ignored.
  ossl::Cms cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) {
    check.problem = "/Contents is not a CMS structure";
    ossl::clearErrors();
    return;
  }
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed) {
    check.problem = "/Contents is not CMS SignedData";
    return;
  }
  STACK_OF(CMS_SignerInfo)* infos = CMS_get0_SignerInfos(cms.get());
  if (sk_CMS_SignerInfo_num(infos) != 1) {
    check.problem = "the CMS does not hold exactly one signer";
    return;
  }
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(infos, 0);
  // Makes the signer's certificate known to `si` even when the signature turns out broken.
  CMS_set1_signers_certs(cms.get(), nullptr, 0);
  ossl::clearErrors();
  X509* signer = nullptr;
  X509_ALGOR* digestAlg = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, &signer, &digestAlg, nullptr);
  if (signer) {
    check.signerName = certificateCommonName(signer);
    check.signerCertificateSha256 = certificateSha256(signer);
  }
  const ASN1_OBJECT* digestOid = nullptr;
  if (digestAlg) X509_ALGOR_get0(&digestOid, nullptr, nullptr, digestAlg);
  const int digestNid = digestOid ? OBJ_obj2nid(digestOid) : NID_undef;
  if (digestNid != NID_sha256 && digestNid != NID_sha384 && digestNid != NID_sha512) {
    check.problem = std::string("the signature uses the digest ") +
                    (digestNid == NID_undef ? "?" : OBJ_nid2sn(digestNid)) + ", which is not accepted";
    return;
  }

  std::string content;
  content.reserve(b + d);
  content.append(pdf.substr(0, b));
  content.append(pdf.substr(s, d));
  ossl::Bio contentBio(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
  // Integrity first, without judging the certificate; the chain is checked separately below.
  if (!contentBio ||
      CMS_verify(cms.get(), nullptr, nullptr, contentBio.get(), nullptr, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
    std::string why = ossl::errors();
    check.problem =
        "the signature does not match the signed bytes (" + (why.empty() ? std::string("unknown") : why) + ")";
    return;
  }
  check.intact = true;

  std::optional<std::time_t> at;
  int tsIdx = CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken, -1);
  if (tsIdx >= 0) {
    X509_ATTRIBUTE* attr = CMS_unsigned_get_attr(si, tsIdx);
    ASN1_TYPE* value = attr ? X509_ATTRIBUTE_get0_type(attr, 0) : nullptr;
    if (value && value->type == V_ASN1_SEQUENCE) {
      const ASN1_OCTET_STRING* sig = CMS_SignerInfo_get0_signature(si);
      TimestampTokenInfo ts = inspectTimestampToken(view(value->value.sequence), view(sig), &trust);
      if (ts.imprintMatches && ts.signatureIntact) check.timestampTime = ts.time;
      // A trusted token proves the signature existed then, so the chain is judged at that time (a
      // certificate that expired since still counts); an untrusted one proves nothing.
      if (ts.imprintMatches && ts.signatureIntact && ts.tsaTrusted) at = rfc3339ToTime(ts.time);
      appendProblem(check.problem, ts.problem);
    } else {
      appendProblem(check.problem, "the time-stamp attribute is malformed");
    }
  }

  ossl::CertStack certs(CMS_get1_certs(cms.get()));
  ChainCheck chain = trust.verify(signer, certs.get(), at);
  check.chainTrusted = chain.trusted;
  appendProblem(check.problem, chain.problem);
  ossl::clearErrors();
}

}  // namespace

PdfVerification verifyPdf(const std::string& pdf, const TrustStore& trust, const VerifyLimits& limits) {
  PdfVerification result;
  std::string_view bytes(pdf);
  result.isPdf = bytes.substr(0, std::min<std::size_t>(1024, bytes.size())).find("%PDF-") != std::string_view::npos;
  if (pdf.size() > limits.maxBytes) {
    result.problem = "the file is larger than the limit of " + std::to_string(limits.maxBytes) + " bytes";
    return result;
  }
  if (!result.isPdf) {
    result.problem = "not a PDF (no %PDF- header)";
    return result;
  }
  result.sha256 = sha256Hex(bytes);
  std::string_view tail = bytes.substr(bytes.size() > 1024 ? bytes.size() - 1024 : 0);
  const bool hasEof = tail.find("%%EOF") != std::string_view::npos;

  std::vector<Candidate> candidates;
  int seen = 0;
  std::size_t pos = 0;
  while ((pos = bytes.find(kByteRangeKey, pos)) != std::string_view::npos) {
    std::size_t next = pos + kByteRangeKey.size();
    // "/ByteRangeX" is another name.
    if (next < bytes.size() && !isPdfDelimiter(bytes[next])) {
      pos = next;
      continue;
    }
    if (++seen > kScanFactor * limits.maxSignatures) {
      result.problem = "more than " + std::to_string(limits.maxSignatures) + " signatures; the file was not verified";
      result.signatures.clear();
      return result;
    }
    Candidate c;
    c.keyPos = pos;
    if (parseByteRange(bytes, pos, c)) rangesSound(bytes, c);
    // An update may repeat a signature dictionary unchanged; it is the same signature.
    bool repeat = c.problem.empty() && std::any_of(candidates.begin(), candidates.end(), [&](const Candidate& o) {
                    return o.problem.empty() && o.range == c.range;
                  });
    if (!repeat) candidates.push_back(std::move(c));
    if (static_cast<int>(candidates.size()) > limits.maxSignatures) {
      result.problem = "more than " + std::to_string(limits.maxSignatures) + " signatures; the file was not verified";
      result.signatures.clear();
      return result;
    }
    pos = next;
  }

  std::size_t lastEnd = 0;
  for (const Candidate& c : candidates) {
    SignatureCheck check;
    if (!c.problem.empty()) {
      check.problem = c.problem;
      result.signatures.push_back(std::move(check));
      continue;
    }
    const std::size_t end = c.range[2] + c.range[3];
    lastEnd = std::max(lastEnd, end);
    check.coversWholeFile = end == bytes.size();
    auto windows = dictionaryWindows(bytes, c);
    if (auto m = valueAfterKey(windows, "/M")) check.signingTime = pdfDateToRfc3339(readPdfString(*m));
    if (auto sf = valueAfterKey(windows, "/SubFilter")) check.subFilter = readPdfName(*sf);
    verifyCms(bytes, c, trust, check);
    result.signatures.push_back(std::move(check));
  }
  if (!result.signatures.empty()) result.modifiedAfterLastSignature = lastEnd > 0 && lastEnd < bytes.size();
  if (candidates.empty()) {
    result.problem =
        hasEof ? "no signatures found" : "no signatures found, and the file is truncated (no %%EOF at its end)";
  } else if (!hasEof) {
    result.problem = "the file is truncated (no %%EOF at its end)";
  } else if (result.modifiedAfterLastSignature) {
    result.problem = "bytes were added after the last signature";
  }
  return result;
}

}  // namespace a6::signing
