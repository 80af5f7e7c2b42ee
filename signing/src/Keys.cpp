// Loads PKCS#12 signing identities and PEM trust anchors, and checks certificate chains.
#include "a6/signing/Keys.h"

#include <cstdint>
#include <fstream>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "OpenSsl.h"
#include "a6/core/Error.h"
#include "a6/signing/Digest.h"

namespace a6::signing {

namespace {

// PKCS#12 files and anchor lists are small; refuse anything that could only be a mistake.
constexpr std::size_t kMaxKeyFileBytes = 1u << 20;

std::string readSmallFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Config, std::string(what) + " " + path + ": cannot open the file");
  std::string bytes;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    bytes.append(buf, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > kMaxKeyFileBytes) {
      throw Error(ErrorCode::Config, std::string(what) + " " + path + ": larger than 1 MiB, not a key file");
    }
  }
  if (in.bad()) throw Error(ErrorCode::Config, std::string(what) + " " + path + ": cannot read the file");
  return bytes;
}

std::string nameToString(X509_NAME* name) {
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

std::string certificateSubject(X509* cert) { return cert ? nameToString(X509_get_subject_name(cert)) : std::string(); }

std::string certificateCommonName(X509* cert) {
  if (!cert) return {};
  X509_NAME* name = X509_get_subject_name(cert);
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return certificateSubject(cert);
  ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0) return certificateSubject(cert);
  ossl::Bytes owned(utf8);
  return std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
}

std::string certificateSha256(X509* cert) {
  if (!cert) return {};
  Sha256Digest md{};
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md.data(), &len) != 1 || len != md.size()) return {};
  return toHex(md);
}

// ---------------------------------------------------------------------------------------------
// SigningIdentity

struct SigningIdentity::Impl {
  ossl::PKey key;
  ossl::Cert cert;
  ossl::CertStack chain;
  KeyType type = KeyType::Rsa;
  std::string subject;
  std::string commonName;
  std::string sha256;
  std::vector<std::string> chainDer;
};

SigningIdentity::SigningIdentity(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

SigningIdentity SigningIdentity::fromPkcs12File(const std::string& path, const std::string& passphrase) {
  return fromPkcs12(readSmallFile(path, "PKCS#12 file"), passphrase, path);
}

SigningIdentity SigningIdentity::fromPkcs12(std::string_view der, const std::string& passphrase,
                                            const std::string& sourceName) {
  auto fail = [&](const std::string& why) {
    return Error(ErrorCode::Config, "PKCS#12 file " + sourceName + ": " + why);
  };
  ossl::clearErrors();
  ossl::Bio in(BIO_new_mem_buf(der.data(), static_cast<int>(der.size())));
  if (!in) throw fail("out of memory");
  ossl::Pkcs12 p12(d2i_PKCS12_bio(in.get(), nullptr));
  if (!p12) throw fail("not a PKCS#12 file (" + ossl::errors() + ")");

  // An empty passphrase may have been encoded as "no password" or as an empty string.
  const char* pass = passphrase.c_str();
  if (PKCS12_mac_present(p12.get())) {
    if (PKCS12_verify_mac(p12.get(), pass, static_cast<int>(passphrase.size())) != 1) {
      if (passphrase.empty() && PKCS12_verify_mac(p12.get(), nullptr, 0) == 1) {
        pass = nullptr;
      } else {
        ossl::clearErrors();
        throw fail("wrong passphrase (the integrity check failed)");
      }
    }
  }

  EVP_PKEY* rawKey = nullptr;
  X509* rawCert = nullptr;
  STACK_OF(X509)* rawCa = nullptr;
  if (PKCS12_parse(p12.get(), pass, &rawKey, &rawCert, &rawCa) != 1) {
    throw fail(
        "cannot decrypt the contents: wrong passphrase or an algorithm OpenSSL 3 no longer loads "
        "by default, such as RC2 (" +
        ossl::errors() + ")");
  }
  auto impl = std::make_shared<Impl>();
  impl->key.reset(rawKey);
  impl->cert.reset(rawCert);
  impl->chain.reset(rawCa ? rawCa : sk_X509_new_null());
  if (!impl->key) throw fail("holds no private key");
  if (!impl->cert) throw fail("holds no certificate for its private key");
  if (X509_check_private_key(impl->cert.get(), impl->key.get()) != 1) {
    ossl::clearErrors();
    throw fail("the certificate does not belong to the private key");
  }
  switch (EVP_PKEY_get_base_id(impl->key.get())) {
    case EVP_PKEY_RSA:
      impl->type = KeyType::Rsa;
      break;
    case EVP_PKEY_EC:
      impl->type = KeyType::Ec;
      break;
    default:
      throw fail(std::string("unsupported key type ") + OBJ_nid2sn(EVP_PKEY_get_base_id(impl->key.get())) +
                 " (RSA and ECDSA keys are supported)");
  }

  impl->subject = certificateSubject(impl->cert.get());
  impl->commonName = signing::certificateCommonName(impl->cert.get());
  impl->sha256 = signing::certificateSha256(impl->cert.get());
  auto toDer = [](X509* c) {
    unsigned char* buf = nullptr;
    int len = i2d_X509(c, &buf);
    if (len <= 0) return std::string();
    ossl::Bytes owned(buf);
    return std::string(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
  };
  impl->chainDer.push_back(toDer(impl->cert.get()));
  for (int i = 0; i < sk_X509_num(impl->chain.get()); ++i)
    impl->chainDer.push_back(toDer(sk_X509_value(impl->chain.get(), i)));
  return SigningIdentity(std::move(impl));
}

EVP_PKEY* SigningIdentity::privateKey() const { return impl_->key.get(); }
X509* SigningIdentity::certificate() const { return impl_->cert.get(); }
STACK_OF(X509) * SigningIdentity::chain() const { return impl_->chain.get(); }
const std::vector<std::string>& SigningIdentity::certificateChainDer() const { return impl_->chainDer; }
KeyType SigningIdentity::keyType() const { return impl_->type; }
std::string SigningIdentity::subjectName() const { return impl_->subject; }
std::string SigningIdentity::commonName() const { return impl_->commonName; }
std::string SigningIdentity::certificateSha256() const { return impl_->sha256; }
std::size_t SigningIdentity::maxSignatureSize() const {
  return static_cast<std::size_t>(EVP_PKEY_get_size(impl_->key.get()));
}

// ---------------------------------------------------------------------------------------------
// TrustStore

struct TrustStore::Impl {
  ossl::Store store;
  std::size_t count = 0;
};

TrustStore::TrustStore(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

TrustStore::TrustStore() {
  auto impl = std::make_shared<Impl>();
  impl->store.reset(X509_STORE_new());
  if (!impl->store) throw Error(ErrorCode::Internal, "cannot create an X509 store");
  impl_ = std::move(impl);
}

namespace {

std::size_t addPemCertificates(X509_STORE* store, std::string_view pem, const std::string& sourceName) {
  ossl::clearErrors();
  ossl::Bio in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!in) throw Error(ErrorCode::Internal, "out of memory");
  std::size_t added = 0;
  while (X509* raw = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)) {
    ossl::Cert cert(raw);
    if (X509_STORE_add_cert(store, cert.get()) != 1) {
      // The same anchor listed twice is harmless.
      unsigned long err = ERR_peek_last_error();
      if (ERR_GET_REASON(err) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
        throw Error(ErrorCode::Config, "trust anchor file " + sourceName + ": " + ossl::errors());
      }
    }
    ++added;
  }
  // Reading stops with "no start line" at the end of the text; anything else is a broken PEM block.
  unsigned long err = ERR_peek_last_error();
  if (err != 0 && !(ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)) {
    throw Error(ErrorCode::Config,
                "trust anchor file " + sourceName + ": broken PEM certificate (" + ossl::errors() + ")");
  }
  ossl::clearErrors();
  if (added == 0) throw Error(ErrorCode::Config, "trust anchor file " + sourceName + ": holds no PEM certificate");
  return added;
}

}  // namespace

TrustStore TrustStore::fromPemFiles(const std::vector<std::string>& paths) {
  auto impl = std::make_shared<Impl>();
  impl->store.reset(X509_STORE_new());
  if (!impl->store) throw Error(ErrorCode::Internal, "cannot create an X509 store");
  for (const auto& path : paths) {
    impl->count += addPemCertificates(impl->store.get(), readSmallFile(path, "trust anchor file"), path);
  }
  return TrustStore(std::move(impl));
}

TrustStore TrustStore::fromPem(std::string_view pem, const std::string& sourceName) {
  auto impl = std::make_shared<Impl>();
  impl->store.reset(X509_STORE_new());
  if (!impl->store) throw Error(ErrorCode::Internal, "cannot create an X509 store");
  impl->count = addPemCertificates(impl->store.get(), pem, sourceName);
  return TrustStore(std::move(impl));
}

std::size_t TrustStore::size() const { return impl_->count; }

ChainCheck TrustStore::verify(X509* leaf, STACK_OF(X509) * untrusted, std::optional<std::time_t> at) const {
  ChainCheck out;
  if (!leaf) {
    out.problem = "no signer certificate";
    return out;
  }
  if (impl_->count == 0) {
    out.problem = "no trust anchors are configured";
    return out;
  }
  ossl::StoreCtx ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), impl_->store.get(), leaf, untrusted) != 1) {
    out.problem = "cannot start chain verification: " + ossl::errors();
    return out;
  }
  // An anchor need not be self-signed: a ministry may trust its issuing CA only.
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_PARTIAL_CHAIN);
  if (at) X509_STORE_CTX_set_time(ctx.get(), 0, *at);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    out.problem = std::string("certificate chain not trusted: ") + X509_verify_cert_error_string(err);
    ossl::clearErrors();
    return out;
  }
  std::uint32_t usage = X509_get_key_usage(leaf);
  if (usage != UINT32_MAX && (usage & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
    out.problem = "the signer certificate's key usage does not allow signatures";
    return out;
  }
  out.trusted = true;
  return out;
}

}  // namespace a6::signing
