// Who is calling: bearer JWTs (HS256, issued by `a6auth token issue`) and API keys (a6k_…),
// resolved against the users in the store on every request, so that a disabled user or a
// changed role takes effect at once.
#pragma once

#include <optional>
#include <string>

#include "a6/core/Clock.h"
#include "a6/service/app/Config.h"
#include "a6/service/http/Http.h"
#include "a6/service/store/Store.h"

namespace a6::service {

// The built-in roles of DESIGN.md.
inline const std::set<std::string> kBuiltInRoles = {"applicant", "reviewer", "approver",
                                                    "admin",     "auditor",  "registry"};

class TokenService {
 public:
  TokenService(AuthConfig config, const Clock& clock);
  std::string issue(const std::string& userName) const;
  std::string issue(const std::string& userName, std::chrono::seconds ttl) const;
  // The subject of a valid token. Poco 1.11's verify() checks only the signature: expiry,
  // not-before and issuer are checked here. Throws a6::Error(Unauthenticated) saying why.
  std::string verify(const std::string& token) const;

 private:
  AuthConfig config_;
  const Clock& clock_;
};

// An API key's secret: "a6k_" + 43 base64url characters (256 random bits).
std::string newApiKeySecret();
std::string apiKeyHash(const std::string& secret);

class Authenticator {
 public:
  Authenticator(const TokenService& tokens, Store& store);
  // From the Authorization header ("Bearer <jwt>" or "Bearer a6k_…"); throws Unauthenticated.
  Principal authenticate(const std::string& authorizationHeader) const;

 private:
  const TokenService& tokens_;
  Store& store_;
};

}  // namespace a6::service
