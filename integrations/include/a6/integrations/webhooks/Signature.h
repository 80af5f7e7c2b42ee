// Standard Webhooks signatures (https://www.standardwebhooks.com): what a6auth sends with every
// webhook so that a receiver's stock library can check it came from us, unaltered and recently.
// The signed content is "<webhook-id>.<webhook-timestamp>.<body>"; the signature is HMAC-SHA256
// with the secret's key bytes, written "v1,<base64>"; secrets are "whsec_<base64 of the key>".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace a6::integrations::webhooks {

inline constexpr const char* kIdHeader = "webhook-id";
inline constexpr const char* kTimestampHeader = "webhook-timestamp";
inline constexpr const char* kSignatureHeader = "webhook-signature";

// A new secret: "whsec_" + base64 of 32 random bytes from OpenSSL's CSPRNG. Throws
// a6::Error(Internal) when the generator fails.
std::string generateSecret();

// The HMAC key of a secret: the base64-decoded bytes after "whsec_". Throws a6::Error(Invalid)
// unless the secret is "whsec_" followed by canonical, padded base64 of 24 to 64 bytes. The
// message never repeats the secret.
std::string decodeSecret(const std::string& secret);

// "v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>". Throws as decodeSecret.
std::string sign(const std::string& secret, const std::string& id, std::int64_t timestamp, const std::string& body);

// The three header values of one delivery (names: kIdHeader, kTimestampHeader, kSignatureHeader).
struct SignedHeaders {
  std::string id;
  std::string timestamp;  // unix seconds, decimal
  std::string signature;  // "v1,<base64>"
};
SignedHeaders signedHeaders(const std::string& secret, const std::string& id, std::int64_t timestamp,
                            const std::string& body);

// Why a delivery was not accepted; None when it was. An expected outcome, so a value.
enum class VerifyProblem { None, MissingHeader, BadTimestamp, Stale, NoMatchingSignature };
const char* toString(VerifyProblem problem);

// Checks a received delivery. Accepts when the timestamp is within ±toleranceSeconds of
// nowSeconds and ANY "v1,…" entry of the space-separated signature header matches ANY of the
// secrets (so a secret can be rotated while both are in use). Entries of other versions are
// ignored. Signatures are compared in constant time. Throws a6::Error(Invalid) for a malformed
// secret in `secrets` (that is a configuration error, not a property of the delivery).
VerifyProblem verify(const std::vector<std::string>& secrets, const std::string& id, const std::string& timestamp,
                     const std::string& signatureHeader, const std::string& body, std::int64_t nowSeconds,
                     std::int64_t toleranceSeconds = 300);

}  // namespace a6::integrations::webhooks
