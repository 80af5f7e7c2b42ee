// Owning handles for the OpenSSL objects of a6_signing, so that no code path frees by hand, and the
// text of OpenSSL's error queue for messages.
#pragma once

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

namespace a6::signing::ossl {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};

template <typename T, void (*Free)(T*)>
using Ptr = std::unique_ptr<T, Deleter<T, Free>>;

inline void freeX509Stack(STACK_OF(X509) * s) { sk_X509_pop_free(s, X509_free); }
inline void freeBareX509Stack(STACK_OF(X509) * s) { sk_X509_free(s); }
inline void freeAttributeStack(STACK_OF(X509_ATTRIBUTE) * s) { sk_X509_ATTRIBUTE_free(s); }
inline void freeOpenSslBytes(unsigned char* p) { OPENSSL_free(p); }

using Bio = Ptr<BIO, BIO_free_all>;
using PKey = Ptr<EVP_PKEY, EVP_PKEY_free>;
using PKeyCtx = Ptr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtx = Ptr<EVP_MD_CTX, EVP_MD_CTX_free>;
using Cert = Ptr<X509, X509_free>;
using CertStack = Ptr<STACK_OF(X509), freeX509Stack>;
// A stack that does not own its certificates.
using BareCertStack = Ptr<STACK_OF(X509), freeBareX509Stack>;
using AttributeStack = Ptr<STACK_OF(X509_ATTRIBUTE), freeAttributeStack>;
using Store = Ptr<X509_STORE, X509_STORE_free>;
using StoreCtx = Ptr<X509_STORE_CTX, X509_STORE_CTX_free>;
using Pkcs12 = Ptr<PKCS12, PKCS12_free>;
using Cms = Ptr<CMS_ContentInfo, CMS_ContentInfo_free>;
using Pkcs7 = Ptr<PKCS7, PKCS7_free>;
using TsReq = Ptr<TS_REQ, TS_REQ_free>;
using TsResp = Ptr<TS_RESP, TS_RESP_free>;
using TsMsgImprint = Ptr<TS_MSG_IMPRINT, TS_MSG_IMPRINT_free>;
using TstInfo = Ptr<TS_TST_INFO, TS_TST_INFO_free>;
using Algor = Ptr<X509_ALGOR, X509_ALGOR_free>;
using Integer = Ptr<ASN1_INTEGER, ASN1_INTEGER_free>;
using Bignum = Ptr<BIGNUM, BN_free>;
using Bytes = Ptr<unsigned char, freeOpenSslBytes>;

// Drains OpenSSL's thread-local error queue into one line (empty when there is nothing).
inline std::string errors() {
  std::string out;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

// Empties the queue so that a later errors() reports only what follows.
inline void clearErrors() { ERR_clear_error(); }

}  // namespace a6::signing::ossl
