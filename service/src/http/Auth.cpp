#include "a6/service/http/Auth.h"

#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/OpenSSLInitializer.h>
#include <Poco/JWT/JWTException.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/Timestamp.h>
#include <openssl/rand.h>

#include <sstream>

#include "a6/core/Error.h"
#include "a6/signing/Digest.h"

namespace a6::service {
namespace {

Poco::Timestamp toTimestamp(TimePoint t) {
  return Poco::Timestamp(static_cast<Poco::Timestamp::TimeVal>(t.time_since_epoch().count()) * 1000);
}

[[noreturn]] void refuse(const std::string& why) { throw Error(ErrorCode::Unauthenticated, why); }

}  // namespace

TokenService::TokenService(AuthConfig config, const Clock& clock) : config_(std::move(config)), clock_(clock) {
  // Poco 1.11's digest engines initialise OpenSSL on construction and tear it down on destruction
  // through a reference count; under concurrent requests the count falls to zero and back while
  // another thread uses OpenSSL, which crashes. One initialiser held for the process keeps the
  // count above zero.
  static Poco::Crypto::OpenSSLInitializer keepOpenSslInitialised;
}

std::string TokenService::issue(const std::string& userName) const { return issue(userName, config_.tokenTtl); }

std::string TokenService::issue(const std::string& userName, std::chrono::seconds ttl) const {
  Poco::JWT::Token token;
  token.setType("JWT");
  token.setSubject(userName);
  token.setIssuer(config_.jwtIssuer);
  TimePoint now = clock_.now();
  token.setIssuedAt(toTimestamp(now));
  token.setNotBefore(toTimestamp(now));
  token.setExpiration(toTimestamp(now + ttl));
  Poco::JWT::Signer signer(config_.jwtSecret);
  return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
}

std::string TokenService::verify(const std::string& jwt) const {
  Poco::JWT::Signer signer(config_.jwtSecret);  // accepts HS256 only (its default set)
  Poco::JWT::Token token;
  try {
    token = signer.verify(jwt);
  } catch (const Poco::JWT::SignatureVerificationException&) {
    refuse("the token's signature does not verify");
  } catch (const Poco::Exception&) {
    refuse("the token is malformed");
  }
  if (token.getAlgorithm() != Poco::JWT::Signer::ALGO_HS256) refuse("the token's algorithm is not accepted");
  if (token.getIssuer() != config_.jwtIssuer) refuse("the token was not issued by this service");
  Poco::Timestamp now = toTimestamp(clock_.now());
  Poco::Timestamp::TimeDiff skew = static_cast<Poco::Timestamp::TimeDiff>(config_.clockSkew.count()) * 1000000;
  Poco::Timestamp exp = token.getExpiration();
  if (exp == Poco::Timestamp(0)) refuse("the token has no expiry");
  if (now - skew >= exp) refuse("the token has expired");
  Poco::Timestamp nbf = token.getNotBefore();
  if (nbf != Poco::Timestamp(0) && now + skew < nbf) refuse("the token is not valid yet");
  if (token.getSubject().empty()) refuse("the token names no user");
  return token.getSubject();
}

std::string newApiKeySecret() {
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) throw Error(ErrorCode::Internal, "random generator failed");
  std::ostringstream out;
  Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  enc.rdbuf()->setLineLength(0);
  enc.write(reinterpret_cast<const char*>(random), sizeof random);
  enc.close();
  return "a6k_" + out.str();
}

std::string apiKeyHash(const std::string& secret) { return signing::sha256Hex(secret); }

Authenticator::Authenticator(const TokenService& tokens, Store& store) : tokens_(tokens), store_(store) {}

Principal Authenticator::authenticate(const std::string& header) const {
  if (header.empty()) refuse("send Authorization: Bearer <token>");
  const std::string prefix = "Bearer ";
  if (header.size() <= prefix.size() || Poco::icompare(header.substr(0, prefix.size()), prefix) != 0) {
    refuse("the Authorization header must be 'Bearer <token>'");
  }
  std::string credential = Poco::trim(header.substr(prefix.size()));
  if (credential.size() > 4096) refuse("the token is too long");
  std::string userName;
  if (credential.rfind("a6k_", 0) == 0) {
    auto key = store_.findApiKeyByHash(apiKeyHash(credential));
    if (!key || key->revoked) refuse("unknown or revoked API key");
    userName = key->userName;
  } else {
    userName = tokens_.verify(credential);
  }
  auto user = store_.findUser(userName);
  if (!user || !user->active) refuse("the user is unknown or disabled");
  Principal p;
  p.name = user->name;
  p.roles.insert(user->roles.begin(), user->roles.end());
  p.organisation = user->organisation;
  return p;
}

}  // namespace a6::service
