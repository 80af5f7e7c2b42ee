// Signing keys and trust anchors: a private key with its certificate chain from a PKCS#12 file, and
// the certificates a verifier trusts. Both are immutable once loaded and safe to share across threads.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/types.h>

// STACK_OF(X509) names this struct; declared here so that the header needs no <openssl/x509.h>.
struct stack_st_X509;

namespace a6::signing {

enum class KeyType { Rsa, Ec };

// A private key, its certificate and the certificates between it and a trust anchor.
// Copies share the same loaded key; every method is const and may be called from any thread.
class SigningIdentity {
 public:
  // Throws a6::Error(ErrorCode::Config) naming the file when it is missing, unreadable, not
  // PKCS#12, the passphrase is wrong, or it holds no key, no matching certificate or an
  // unsupported key type (RSA and EC are supported).
  static SigningIdentity fromPkcs12File(const std::string& path, const std::string& passphrase);
  // The same from bytes already in memory; sourceName appears in error messages.
  static SigningIdentity fromPkcs12(std::string_view der, const std::string& passphrase, const std::string& sourceName);

  EVP_PKEY* privateKey() const;
  X509* certificate() const;
  // The other certificates of the PKCS#12 file (intermediates, perhaps the root), signer excluded.
  // The stack and the certificates stay owned by the identity.
  STACK_OF(X509) * chain() const;
  // DER of the signer certificate followed by the rest of the chain.
  const std::vector<std::string>& certificateChainDer() const;

  KeyType keyType() const;
  // RFC 2253 form, e.g. "CN=Ada Minister,O=Ministry of Environment,C=GH".
  std::string subjectName() const;
  // The subject's commonName, or the whole subject when it has none.
  std::string commonName() const;
  // Lower-case hex SHA-256 of the certificate's DER.
  std::string certificateSha256() const;
  // An upper bound of the signature size in bytes (the placeholder in a PDF is sized from it).
  std::size_t maxSignatureSize() const;

 private:
  struct Impl;
  explicit SigningIdentity(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

// The outcome of building a chain from a certificate to one of the anchors.
struct ChainCheck {
  bool trusted = false;
  std::string problem;  // empty when trusted
};

// Trusted anchor certificates. An empty store trusts nothing. Copies share the same anchors.
class TrustStore {
 public:
  TrustStore();
  // Each file holds one or more PEM certificates. Throws a6::Error(ErrorCode::Config) naming the
  // file when it is missing or holds no certificate.
  static TrustStore fromPemFiles(const std::vector<std::string>& paths);
  // PEM text already in memory; sourceName appears in error messages.
  static TrustStore fromPem(std::string_view pem, const std::string& sourceName);

  std::size_t size() const;
  // Builds a chain from leaf to an anchor, using untrusted (may be null) for intermediates, and
  // checks validity periods at `at` (the current time when empty). The leaf must allow digital
  // signatures when it has a key usage extension.
  ChainCheck verify(X509* leaf, STACK_OF(X509) * untrusted, std::optional<std::time_t> at = std::nullopt) const;

 private:
  struct Impl;
  explicit TrustStore(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

// Helpers shared by the signer and the verifier.
std::string certificateCommonName(X509* cert);
std::string certificateSubject(X509* cert);
std::string certificateSha256(X509* cert);

}  // namespace a6::signing
