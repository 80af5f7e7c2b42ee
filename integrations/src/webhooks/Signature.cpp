#include "a6/integrations/webhooks/Signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <string_view>

#include "a6/core/Error.h"

namespace a6::integrations::webhooks {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::string_view kVersion = "v1,";
constexpr std::size_t kMinKeyBytes = 24;
constexpr std::size_t kMaxKeyBytes = 64;
constexpr std::size_t kGeneratedKeyBytes = 32;

std::string base64Encode(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a terminating NUL
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

bool isBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Strict standard base64 with padding. EVP_DecodeBlock skips surrounding whitespace and counts
// the padding as zero bytes, so the text is checked here first and the padding taken off after.
bool base64Decode(std::string_view text, std::string& out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  if (text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    if (!isBase64Char(text[i])) return false;
  }
  std::string decoded(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0 || static_cast<std::size_t>(n) != decoded.size()) return false;
  decoded.resize(decoded.size() - padding);
  // Canonical form only: re-encoding must give the same text (no stray bits before the padding).
  if (base64Encode(reinterpret_cast<const unsigned char*>(decoded.data()), decoded.size()) != text) return false;
  out = std::move(decoded);
  return true;
}

std::string hmacBase64(const std::string& key, const std::string& id, std::string_view timestamp,
                       const std::string& body) {
  std::string content;
  content.reserve(id.size() + timestamp.size() + body.size() + 2);
  content.append(id).append(1, '.').append(timestamp).append(1, '.').append(body);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int macSize = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac.data(), &macSize)) {
    throw Error(ErrorCode::Internal, "HMAC-SHA256 failed in OpenSSL");
  }
  return base64Encode(mac.data(), macSize);
}

bool constantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;  // the length of a signature is no secret
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string generateSecret() {
  std::array<unsigned char, kGeneratedKeyBytes> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    throw Error(ErrorCode::Internal, "the random generator failed to make a webhook secret");
  }
  std::string secret = std::string(kSecretPrefix) + base64Encode(key.data(), key.size());
  OPENSSL_cleanse(key.data(), key.size());
  return secret;
}

std::string decodeSecret(const std::string& secret) {
  if (secret.compare(0, kSecretPrefix.size(), kSecretPrefix) != 0) {
    throw Error(ErrorCode::Invalid, "a webhook secret must start with \"whsec_\"");
  }
  std::string key;
  if (!base64Decode(std::string_view(secret).substr(kSecretPrefix.size()), key)) {
    throw Error(ErrorCode::Invalid, "a webhook secret must be \"whsec_\" followed by standard, padded base64");
  }
  if (key.size() < kMinKeyBytes || key.size() > kMaxKeyBytes) {
    throw Error(ErrorCode::Invalid,
                "a webhook secret must hold 24 to 64 key bytes, this one holds " + std::to_string(key.size()));
  }
  return key;
}

std::string sign(const std::string& secret, const std::string& id, std::int64_t timestamp, const std::string& body) {
  return std::string(kVersion) + hmacBase64(decodeSecret(secret), id, std::to_string(timestamp), body);
}

SignedHeaders signedHeaders(const std::string& secret, const std::string& id, std::int64_t timestamp,
                            const std::string& body) {
  return SignedHeaders{id, std::to_string(timestamp), sign(secret, id, timestamp, body)};
}

const char* toString(VerifyProblem problem) {
  switch (problem) {
    case VerifyProblem::None:
      return "The signature is valid.";
    case VerifyProblem::MissingHeader:
      return "The webhook-id, webhook-timestamp or webhook-signature header is missing or empty.";
    case VerifyProblem::BadTimestamp:
      return "The webhook-timestamp header is not a whole number of seconds since the epoch.";
    case VerifyProblem::Stale:
      return "The webhook-timestamp is too far from the current time; the delivery may be a replay.";
    case VerifyProblem::NoMatchingSignature:
      return "No signature in the webhook-signature header matches the body with any of the secrets.";
  }
  return "Unknown verification problem.";
}

VerifyProblem verify(const std::vector<std::string>& secrets, const std::string& id, const std::string& timestamp,
                     const std::string& signatureHeader, const std::string& body, std::int64_t nowSeconds,
                     std::int64_t toleranceSeconds) {
  if (id.empty() || timestamp.empty() || signatureHeader.empty()) return VerifyProblem::MissingHeader;

  // Digits only: no sign, no spaces, no fraction; the signed text is the header as received.
  std::int64_t sent = 0;
  const char* end = timestamp.data() + timestamp.size();
  if (timestamp.size() > 18 || timestamp.find_first_not_of("0123456789") != std::string::npos) {
    return VerifyProblem::BadTimestamp;
  }
  if (std::from_chars(timestamp.data(), end, sent).ptr != end) return VerifyProblem::BadTimestamp;
  // Both values are bounded (sent < 10^18), so the difference cannot overflow for sane clocks.
  std::int64_t skew = nowSeconds >= sent ? nowSeconds - sent : sent - nowSeconds;
  if (skew > toleranceSeconds) return VerifyProblem::Stale;

  std::vector<std::string> expected;
  expected.reserve(secrets.size());
  for (const std::string& secret : secrets) expected.push_back(hmacBase64(decodeSecret(secret), id, timestamp, body));

  std::string_view rest(signatureHeader);
  while (!rest.empty()) {
    std::size_t space = rest.find(' ');
    std::string_view entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (entry.substr(0, kVersion.size()) != kVersion) continue;  // another scheme, or an empty entry
    std::string_view candidate = entry.substr(kVersion.size());
    bool match = false;
    for (const std::string& want : expected) match = constantTimeEqual(candidate, want) || match;
    if (match) return VerifyProblem::None;
  }
  return VerifyProblem::NoMatchingSignature;
}

}  // namespace a6::integrations::webhooks
