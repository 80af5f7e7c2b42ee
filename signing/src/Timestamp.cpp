// RFC 3161 client (OpenSSL's TS API for the ASN.1, Poco for HTTP) and the token checks that both the
// client and the PDF verifier rely on.
#include "a6/signing/Timestamp.h"

#include <cstring>
#include <ctime>
#include <istream>
#include <optional>
#include <sstream>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>
#include <openssl/rand.h>

#include "OpenSsl.h"
#include "a6/core/Error.h"
#include "a6/signing/Digest.h"
#include "a6/signing/Keys.h"

namespace a6::signing {

namespace {

// A token with a certificate chain is a few kilobytes; anything much larger is not a TSA answer.
constexpr std::size_t kMaxResponseBytes = 256u << 10;

std::string formatAsn1Time(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return {};
  char buf[32];
  if (std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) return {};
  return buf;
}

std::string der(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

// Checks the TSA's CMS signature over the TSTInfo and, given anchors, whether the TSA is trusted:
// its chain at the token's time and its timeStamping extended key usage.
bool tokenSignatureIntact(std::string_view tokenDer, const TrustStore* trust, std::optional<std::time_t> at,
                          TimestampTokenInfo& info) {
  const auto* p = reinterpret_cast<const unsigned char*>(tokenDer.data());
  ossl::Cms cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(tokenDer.size())));
  if (!cms) {
    info.problem = "time-stamp token is not CMS: " + ossl::errors();
    return false;
  }
  if (CMS_verify(cms.get(), nullptr, nullptr, nullptr, nullptr, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
    info.problem = "time-stamp token signature does not verify: " + ossl::errors();
    return false;
  }
  ossl::BareCertStack signers(CMS_get0_signers(cms.get()));
  X509* tsa = signers && sk_X509_num(signers.get()) > 0 ? sk_X509_value(signers.get(), 0) : nullptr;
  info.tsaName = certificateCommonName(tsa);
  if (trust) {
    ossl::CertStack certs(CMS_get1_certs(cms.get()));
    ChainCheck chain = trust->verify(tsa, certs.get(), at);
    if (!chain.trusted) {
      info.problem = "time-stamp authority: " + chain.problem;
    } else if (X509_check_purpose(tsa, X509_PURPOSE_TIMESTAMP_SIGN, 0) != 1) {
      info.problem = "time-stamp authority certificate is not for time stamping";
    } else {
      info.tsaTrusted = true;
    }
  }
  return true;
}

}  // namespace

TimestampTokenInfo inspectTimestampToken(std::string_view tokenDer, std::string_view data, const TrustStore* trust) {
  TimestampTokenInfo info;
  ossl::clearErrors();
  const auto* p = reinterpret_cast<const unsigned char*>(tokenDer.data());
  ossl::Pkcs7 token(d2i_PKCS7(nullptr, &p, static_cast<long>(tokenDer.size())));
  if (!token) {
    info.problem = "time-stamp token cannot be parsed";
    ossl::clearErrors();
    return info;
  }
  ossl::TstInfo tst(PKCS7_to_TS_TST_INFO(token.get()));
  if (!tst) {
    info.problem = "time-stamp token holds no TSTInfo";
    ossl::clearErrors();
    return info;
  }
  info.time = formatAsn1Time(TS_TST_INFO_get_time(tst.get()));

  TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(tst.get());
  const ASN1_OBJECT* algOid = nullptr;
  X509_ALGOR_get0(&algOid, nullptr, nullptr, TS_MSG_IMPRINT_get_algo(imprint));
  const EVP_MD* md = algOid ? EVP_get_digestbyobj(algOid) : nullptr;
  int nid = md ? EVP_MD_get_type(md) : NID_undef;
  if (nid != NID_sha256 && nid != NID_sha384 && nid != NID_sha512) {
    info.problem = "time-stamp token uses an unsupported or weak digest";
    return info;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digestLen = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &digestLen, md, nullptr) != 1) {
    info.problem = "cannot compute the time-stamped digest";
    ossl::clearErrors();
    return info;
  }
  std::string imprinted = der(TS_MSG_IMPRINT_get_msg(imprint));
  info.imprintMatches = imprinted.size() == digestLen && std::memcmp(imprinted.data(), digest, digestLen) == 0;
  if (!info.imprintMatches) {
    info.problem = "time-stamp token covers other data than this signature";
    return info;
  }
  std::optional<std::time_t> at;
  std::tm tm{};
  if (ASN1_TIME_to_tm(TS_TST_INFO_get_time(tst.get()), &tm) == 1) at = timegm(&tm);
  info.signatureIntact = tokenSignatureIntact(tokenDer, trust, at, info);
  ossl::clearErrors();
  return info;
}

std::string requestTimestampToken(const std::string& url, std::string_view data, std::chrono::seconds timeout) {
  auto fail = [&](const std::string& why) {
    return Error(ErrorCode::Internal, "time-stamp authority " + url + ": " + why);
  };
  Poco::URI uri;
  try {
    uri = Poco::URI(url);
  } catch (const Poco::Exception& e) {
    throw Error(ErrorCode::Config, "time-stamp authority URL " + url + ": " + e.displayText());
  }
  // Tokens are signed, so RFC 3161 over plain HTTP is the norm; TLS would need NetSSL here.
  if (uri.getScheme() != "http" || uri.getHost().empty()) {
    throw Error(ErrorCode::Config, "time-stamp authority URL " + url + ": only http:// URLs are supported");
  }

  ossl::clearErrors();
  Sha256Digest digest = sha256(data);
  ossl::TsReq req(TS_REQ_new());
  ossl::TsMsgImprint imprint(TS_MSG_IMPRINT_new());
  ossl::Algor alg(X509_ALGOR_new());
  unsigned char nonceBytes[8];
  if (!req || !imprint || !alg || RAND_bytes(nonceBytes, sizeof nonceBytes) != 1) throw fail("out of memory");
  nonceBytes[0] &= 0x7f;  // keep the INTEGER positive
  ossl::Bignum nonceBn(BN_bin2bn(nonceBytes, sizeof nonceBytes, nullptr));
  ossl::Integer nonce(nonceBn ? BN_to_ASN1_INTEGER(nonceBn.get(), nullptr) : nullptr);
  if (!nonce || X509_ALGOR_set0(alg.get(), OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nullptr) != 1 ||
      TS_MSG_IMPRINT_set_algo(imprint.get(), alg.get()) != 1 ||
      TS_MSG_IMPRINT_set_msg(imprint.get(), digest.data(), static_cast<int>(digest.size())) != 1 ||
      TS_REQ_set_version(req.get(), 1) != 1 || TS_REQ_set_msg_imprint(req.get(), imprint.get()) != 1 ||
      TS_REQ_set_nonce(req.get(), nonce.get()) != 1 || TS_REQ_set_cert_req(req.get(), 1) != 1) {
    throw fail("cannot build the request: " + ossl::errors());
  }
  unsigned char* reqDer = nullptr;
  int reqLen = i2d_TS_REQ(req.get(), &reqDer);
  if (reqLen <= 0) throw fail("cannot encode the request: " + ossl::errors());
  ossl::Bytes reqOwned(reqDer);
  std::string body(reinterpret_cast<const char*>(reqDer), static_cast<std::size_t>(reqLen));

  std::string reply;
  try {
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout.count()), 0));
    std::string path = uri.getPathAndQuery();
    if (path.empty()) path = "/";
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/timestamp-query");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
      throw fail("HTTP status " + std::to_string(static_cast<int>(response.getStatus())) + " " + response.getReason());
    }
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      reply.append(buf, static_cast<std::size_t>(in.gcount()));
      if (reply.size() > kMaxResponseBytes) throw fail("response larger than 256 KiB");
    }
  } catch (const Poco::Exception& e) {
    throw fail(e.displayText());
  }

  const auto* p = reinterpret_cast<const unsigned char*>(reply.data());
  ossl::TsResp resp(d2i_TS_RESP(nullptr, &p, static_cast<long>(reply.size())));
  if (!resp) throw fail("the response is not an RFC 3161 TimeStampResp");
  TS_STATUS_INFO* status = TS_RESP_get_status_info(resp.get());
  long statusCode = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(status));
  // 0 granted, 1 grantedWithMods; anything else carries no token.
  if (statusCode != 0 && statusCode != 1) {
    std::string text;
    const STACK_OF(ASN1_UTF8STRING)* texts = TS_STATUS_INFO_get0_text(status);
    for (int i = 0; texts && i < sk_ASN1_UTF8STRING_num(texts); ++i)
      text += " " + der(sk_ASN1_UTF8STRING_value(texts, i));
    throw fail("request refused with status " + std::to_string(statusCode) + text);
  }
  PKCS7* token = TS_RESP_get_token(resp.get());
  TS_TST_INFO* tst = TS_RESP_get_tst_info(resp.get());
  if (!token || !tst) throw fail("granted response without a token");
  unsigned char* tokenDer = nullptr;
  int tokenLen = i2d_PKCS7(token, &tokenDer);
  if (tokenLen <= 0) throw fail("cannot encode the token: " + ossl::errors());
  ossl::Bytes tokenOwned(tokenDer);
  std::string out(reinterpret_cast<const char*>(tokenDer), static_cast<std::size_t>(tokenLen));

  // Whether the TSA is trusted is the verifier's question; here the token must be for this request.
  TimestampTokenInfo info = inspectTimestampToken(out, data);
  if (!info.imprintMatches || !info.signatureIntact) throw fail(info.problem);
  const ASN1_INTEGER* answeredNonce = TS_TST_INFO_get_nonce(tst);
  if (!answeredNonce || ASN1_INTEGER_cmp(answeredNonce, nonce.get()) != 0) {
    throw fail("the token's nonce does not match the request (a replayed answer?)");
  }
  return out;
}

}  // namespace a6::signing
