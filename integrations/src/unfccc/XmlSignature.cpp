// XMLDSig for UNFCCC messages with xmlsec1's OpenSSL backend. xmlsec and libxml2 are initialised
// once per process; every xmlsec object lives in an owning handle. xmlsec's error messages are
// captured per thread (never printed) and become the problem text. Verification sets the key
// itself from a trusted certificate, so xmlsec never looks a key up from the document's KeyInfo.
#include "a6/integrations/unfccc/XmlSignature.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
// xmlsec.h first: the other xmlsec headers use its types without including it.
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/openssl/x509.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include <climits>
#include <memory>
#include <utility>
#include <vector>

#include "a6/core/Error.h"
#include "a6/signing/Keys.h"
#include "unfccc/LibXml.h"

namespace a6::integrations::unfccc {
namespace {

using xml::bad;
using xml::good;

// --- ownership -----------------------------------------------------------------------------------

template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, xml::Deleter<T, Free>>;

inline void freeCertStack(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }

using Bio = Owned<BIO, BIO_free_all>;
using PKey = Owned<EVP_PKEY, EVP_PKEY_free>;
using Cert = Owned<X509, X509_free>;
using Key = Owned<xmlSecKey, xmlSecKeyDestroy>;
using KeyData = Owned<xmlSecKeyData, xmlSecKeyDataDestroy>;
using DSigCtx = Owned<xmlSecDSigCtx, xmlSecDSigCtxDestroy>;

// --- xmlsec errors, per thread -------------------------------------------------------------------

thread_local std::string* tCapturedError = nullptr;
constexpr std::size_t kMaxCapturedError = 500;

void captureXmlSecError(const char*, int, const char* func, const char*, const char* errorSubject, int reason,
                        const char* msg) {
  // The first report is the cause; the ones after it are each caller giving up in turn.
  if (tCapturedError == nullptr || !tCapturedError->empty()) return;
  std::string entry;
  for (xmlSecSize i = 0; xmlSecErrorsGetMsg(i) != nullptr; ++i) {
    if (xmlSecErrorsGetCode(i) == reason) {
      entry = xmlSecErrorsGetMsg(i);
      break;
    }
  }
  if (errorSubject != nullptr && *errorSubject != '\0') {
    entry += std::string(entry.empty() ? "" : " ") + "(" + errorSubject + ")";
  }
  if (msg != nullptr) entry += std::string(entry.empty() ? "" : ": ") + msg;
  if (entry.empty() && func != nullptr) entry = func;
  while (!entry.empty() && (entry.back() == ' ' || entry.back() == ':')) entry.pop_back();
  *tCapturedError = entry.substr(0, kMaxCapturedError);
}

// Captures the first error xmlsec reports on this thread while the object lives, and leaves OpenSSL's
// error queue empty so that later OpenSSL users on the thread do not see our leftovers.
class XmlSecErrors {
 public:
  XmlSecErrors() : previous_(tCapturedError) { tCapturedError = &text_; }
  ~XmlSecErrors() {
    tCapturedError = previous_;
    ERR_clear_error();
  }
  XmlSecErrors(const XmlSecErrors&) = delete;
  XmlSecErrors& operator=(const XmlSecErrors&) = delete;
  std::string take() { return std::exchange(text_, std::string()); }

 private:
  std::string text_;
  std::string* previous_;
};

// --- initialisation ------------------------------------------------------------------------------

// Once per process; a failure throws and the next call tries again. Nothing is shut down: the
// libraries live as long as the process. We never set libxml2's entity or DTD defaults that
// xmlsec's examples recommend: references are URI="" only, so no ID attributes are needed.
void initialiseXmlSec() {
  static const bool kReady = [] {
    xml::initialiseLibXml();
    if (xmlSecInit() < 0) throw Error(ErrorCode::Internal, "xmlsec: initialisation failed");
    if (xmlSecCheckVersion() != 1) {
      throw Error(ErrorCode::Internal, "xmlsec: the loaded library is not ABI compatible with the headers");
    }
    if (xmlSecOpenSSLAppInit(nullptr) < 0) throw Error(ErrorCode::Internal, "xmlsec: OpenSSL initialisation failed");
    if (xmlSecOpenSSLInit() < 0) throw Error(ErrorCode::Internal, "xmlsec: OpenSSL backend initialisation failed");
    // Last: the OpenSSL backend installs its own (printing) callback while it initialises.
    xmlSecErrorsSetCallback(captureXmlSecError);
    return true;
  }();
  (void)kReady;
}

// --- keys ----------------------------------------------------------------------------------------

// Refuses to prompt: an encrypted PEM key without a passphrase is an error, not a terminal read.
int noPassphrase(char*, int, int, void*) { return 0; }

std::vector<Cert> readCertificates(const std::string& pem) {
  std::vector<Cert> out;
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return out;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr)) out.emplace_back(cert);
  ERR_clear_error();  // the loop ends on "no start line"
  return out;
}

// An xmlsec key holding `pkey` (a new reference) and, for KeyInfo, the signer certificate first
// and then the chain.
Key signingKey(EVP_PKEY* pkey, X509* cert, STACK_OF(X509) * chain) {
  if (EVP_PKEY_up_ref(pkey) != 1) throw Error(ErrorCode::Internal, "OpenSSL: cannot reference the key");
  PKey keyRef(pkey);
  KeyData value(xmlSecOpenSSLEvpKeyAdopt(keyRef.get()));
  if (!value) throw Error(ErrorCode::Internal, "xmlsec: cannot take the private key");
  (void)keyRef.release();  // the key data owns it now
  Key key(xmlSecKeyCreate());
  if (!key || xmlSecKeySetValue(key.get(), value.get()) < 0) {
    throw Error(ErrorCode::Internal, "xmlsec: cannot create the signing key");
  }
  (void)value.release();
  xmlSecKeyDataPtr x509 = xmlSecKeyEnsureData(key.get(), xmlSecOpenSSLKeyDataX509Id);
  if (x509 == nullptr) throw Error(ErrorCode::Internal, "xmlsec: cannot attach certificates to the key");
  auto adopt = [&](X509* c, bool keyCert) {
    Cert copy(X509_dup(c));
    if (!copy) throw Error(ErrorCode::Internal, "OpenSSL: cannot copy a certificate");
    int rc = keyCert ? xmlSecOpenSSLKeyDataX509AdoptKeyCert(x509, copy.get())
                     : xmlSecOpenSSLKeyDataX509AdoptCert(x509, copy.get());
    if (rc < 0) throw Error(ErrorCode::Internal, "xmlsec: cannot attach a certificate to the key");
    (void)copy.release();
  };
  adopt(cert, true);
  // xmlsec 1.2 writes KeyInfo from the certificate list only; the key certificate alone would
  // leave an empty X509Certificate.
  adopt(cert, false);
  if (chain != nullptr) {
    for (int i = 0; i < sk_X509_num(chain); ++i) {
      X509* c = sk_X509_value(chain, i);
      if (X509_cmp(c, cert) != 0) adopt(c, false);
    }
  }
  return key;
}

// The public key of a trusted certificate as an xmlsec key, or null when xmlsec cannot use it.
Key verificationKey(X509* cert) {
  PKey pub(X509_get_pubkey(cert));
  if (!pub) return nullptr;
  KeyData value(xmlSecOpenSSLEvpKeyAdopt(pub.get()));
  if (!value) return nullptr;
  (void)pub.release();
  Key key(xmlSecKeyCreate());
  if (!key || xmlSecKeySetValue(key.get(), value.get()) < 0) return nullptr;
  (void)value.release();
  return key;
}

std::vector<xmlNode*> signaturesOf(const xmlNode* root) {
  std::vector<xmlNode*> out;
  for (xmlNode* n : xml::elementChildren(root)) {
    if (xml::isElement(n, good(xmlSecDSigNs), good(xmlSecNodeSignature))) out.push_back(n);
  }
  return out;
}

std::string serialise(xmlDoc* doc) {
  xmlChar* memory = nullptr;
  int size = 0;
  // Not formatted: the signature covers the whitespace of the document as it is.
  xmlDocDumpMemoryEnc(doc, &memory, &size, "UTF-8");
  xml::Chars owned(memory);
  if (!owned || size <= 0) throw Error(ErrorCode::Internal, "libxml2: cannot serialise the signed message");
  return std::string(good(owned.get()), static_cast<std::size_t>(size));
}

std::string signWith(const std::string& text, EVP_PKEY* pkey, X509* cert, STACK_OF(X509) * chain) {
  initialiseXmlSec();
  XmlSecErrors errors;
  xmlSecTransformId method = nullptr;
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
      method = xmlSecOpenSSLTransformRsaSha256Id;
      break;
    case EVP_PKEY_EC:
      method = xmlSecOpenSSLTransformEcdsaSha256Id;
      break;
    default:
      throw Error(ErrorCode::Config, "XML signing supports RSA and EC keys only");
  }

  SafeParseOptions options;
  options.maxBytes = static_cast<std::size_t>(INT_MAX);
  SafeParseResult parsed = parseXmlSafely(text, options);
  if (!parsed) {
    throw Error(ErrorCode::Internal,
                "cannot sign: line " + std::to_string(parsed.problem.line) + ": " + parsed.problem.message);
  }
  xmlDoc* doc = parsed.document.get();
  xmlNode* root = xmlDocGetRootElement(doc);
  if (!signaturesOf(root).empty()) throw Error(ErrorCode::Internal, "cannot sign: the message is already signed");

  xml::Node signature(xmlSecTmplSignatureCreate(doc, xmlSecTransformExclC14NId, method, nullptr));
  if (!signature) throw Error(ErrorCode::Internal, "xmlsec: cannot create the signature template");
  xmlNode* signatureNode = signature.get();
  if (xmlAddChild(root, signatureNode) == nullptr) {
    throw Error(ErrorCode::Internal, "libxml2: cannot add the signature to the message");
  }
  (void)signature.release();  // the document owns it now
  xmlNode* reference =
      xmlSecTmplSignatureAddReference(signatureNode, xmlSecOpenSSLTransformSha256Id, nullptr, bad(""), nullptr);
  if (reference == nullptr || xmlSecTmplReferenceAddTransform(reference, xmlSecTransformEnvelopedId) == nullptr ||
      xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NId) == nullptr) {
    throw Error(ErrorCode::Internal, "xmlsec: cannot create the signature reference");
  }
  xmlNode* keyInfo = xmlSecTmplSignatureEnsureKeyInfo(signatureNode, nullptr);
  xmlNode* x509Data = keyInfo ? xmlSecTmplKeyInfoAddX509Data(keyInfo) : nullptr;
  if (x509Data == nullptr || xmlSecTmplX509DataAddCertificate(x509Data) == nullptr) {
    throw Error(ErrorCode::Internal, "xmlsec: cannot create the KeyInfo template");
  }

  DSigCtx ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) throw Error(ErrorCode::Internal, "xmlsec: cannot create a signature context");
  ctx->signKey = signingKey(pkey, cert, chain).release();  // the context destroys it
  if (xmlSecDSigCtxSign(ctx.get(), signatureNode) < 0) {
    throw Error(ErrorCode::Internal, "xmlsec: signing failed: " + errors.take());
  }
  return serialise(doc);
}

enum class Outcome { Valid, DigestMismatch, SignatureMismatch, Error };

struct Attempt {
  Outcome outcome = Outcome::Error;
  std::string detail;
};

Attempt verifyWith(xmlNode* signatureNode, X509* cert) {
  XmlSecErrors errors;
  Key key = verificationKey(cert);
  if (!key) return {Outcome::Error, "the trusted certificate's key type cannot be used for XML signatures"};
  DSigCtx ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) throw Error(ErrorCode::Internal, "xmlsec: cannot create a signature context");
  ctx->signKey = key.release();  // the context destroys it; KeyInfo is then never consulted
  // Only the whole document may be referenced (nothing fetched, no ID lookups), and only the
  // algorithms a6auth signs with are accepted.
  ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
  ctx->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
  if (xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformEnvelopedId) < 0 ||
      xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformExclC14NId) < 0 ||
      xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecOpenSSLTransformSha256Id) < 0 ||
      xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecTransformExclC14NId) < 0 ||
      xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecOpenSSLTransformRsaSha256Id) < 0 ||
      xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecOpenSSLTransformEcdsaSha256Id) < 0) {
    throw Error(ErrorCode::Internal, "xmlsec: cannot restrict the accepted algorithms");
  }
  int rc = xmlSecDSigCtxVerify(ctx.get(), signatureNode);
  // Both: xmlsec returns 0 for a signature that it processed and found bad; only the status says.
  if (rc == 0 && ctx->status == xmlSecDSigStatusSucceeded) return {Outcome::Valid, ""};
  if (rc < 0) return {Outcome::Error, errors.take()};
  for (xmlSecSize i = 0; i < xmlSecPtrListGetSize(&ctx->signedInfoReferences); ++i) {
    auto* ref = static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, i));
    if (ref != nullptr && ref->status != xmlSecDSigStatusSucceeded) return {Outcome::DigestMismatch, ""};
  }
  return {Outcome::SignatureMismatch, ""};
}

VerifyResult notValid(std::string problem) { return {false, "", std::move(problem)}; }

}  // namespace

std::string signXml(const std::string& xml, const signing::SigningIdentity& identity) {
  return signWith(xml, identity.privateKey(), identity.certificate(), identity.chain());
}

std::string signXml(const std::string& xml, const std::string& privateKeyPem, const std::string& certificatePem) {
  initialiseXmlSec();
  Bio keyBio(BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size())));
  PKey key(keyBio ? PEM_read_bio_PrivateKey(keyBio.get(), nullptr, noPassphrase, nullptr) : nullptr);
  ERR_clear_error();
  if (!key) throw Error(ErrorCode::Config, "the XML signing key is not an unencrypted PEM private key");
  std::vector<Cert> certs = readCertificates(certificatePem);
  if (certs.empty()) throw Error(ErrorCode::Config, "the XML signing certificate is not a PEM certificate");
  if (X509_check_private_key(certs.front().get(), key.get()) != 1) {
    ERR_clear_error();
    throw Error(ErrorCode::Config, "the XML signing key does not belong to the certificate");
  }
  Owned<STACK_OF(X509), freeCertStack> chain(sk_X509_new_null());
  if (!chain) throw Error(ErrorCode::Internal, "OpenSSL: cannot allocate a certificate list");
  for (std::size_t i = 1; i < certs.size(); ++i) {
    if (sk_X509_push(chain.get(), certs[i].get()) <= 0) throw Error(ErrorCode::Internal, "OpenSSL: out of memory");
    (void)certs[i].release();
  }
  return signWith(xml, key.get(), certs.front().get(), chain.get());
}

VerifyResult verifyXml(const std::string& xml, const std::vector<std::string>& trustedCertPems, std::size_t maxBytes) {
  initialiseXmlSec();
  std::vector<Cert> trusted;
  for (const auto& pem : trustedCertPems) {
    for (auto& cert : readCertificates(pem)) trusted.push_back(std::move(cert));
  }
  if (trusted.empty()) return notValid("no trusted certificate is configured for XML signatures");

  SafeParseOptions options;
  options.maxBytes = maxBytes;
  SafeParseResult parsed = parseXmlSafely(xml, options);
  if (!parsed) {
    std::string where = parsed.problem.line > 0 ? "line " + std::to_string(parsed.problem.line) + ": " : "";
    return notValid("the document is not accepted: " + where + parsed.problem.message);
  }
  xmlNode* root = xmlDocGetRootElement(parsed.document.get());
  std::vector<xmlNode*> signatures = signaturesOf(root);
  if (signatures.empty()) {
    return notValid("the document is not signed: no ds:Signature is a child of the root element");
  }
  if (signatures.size() > 1) return notValid("the document carries more than one signature");

  bool digestMismatch = false;
  bool signatureMismatch = false;
  std::string detail;
  for (const Cert& cert : trusted) {
    Attempt attempt = verifyWith(signatures.front(), cert.get());
    switch (attempt.outcome) {
      case Outcome::Valid:
        return {true, signing::certificateSubject(cert.get()), ""};
      case Outcome::DigestMismatch:
        digestMismatch = true;
        break;
      case Outcome::SignatureMismatch:
        signatureMismatch = true;
        break;
      case Outcome::Error:
        if (detail.empty()) detail = attempt.detail;
        break;
    }
  }
  if (digestMismatch)
    return notValid("the signed content does not match its digest: the document was changed after signing");
  if (signatureMismatch) return notValid("the signature was not made with the key of a trusted certificate");
  return notValid("the signature cannot be verified with a trusted certificate" +
                  (detail.empty() ? std::string() : ": " + detail));
}

}  // namespace a6::integrations::unfccc
