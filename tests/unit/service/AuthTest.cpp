#include "a6/service/http/Auth.h"

#include <gtest/gtest.h>

#include "a6/core/Error.h"

namespace a6::service {
namespace {

using namespace std::chrono;

AuthConfig config() {
  AuthConfig c;
  c.jwtSecret = "unit-test-secret-unit-test-secret-0123";
  c.tokenTtl = hours(1);
  c.clockSkew = seconds(30);
  return c;
}

std::string refusal(const TokenService& t, const std::string& token) {
  try {
    t.verify(token);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unauthenticated);
    return e.what();
  }
  return "";
}

TEST(AuthTest, IssuedTokensVerifyUntilTheyExpire) {
  ManualClock clock(sys_days{2026y / January / 10});
  TokenService tokens(config(), clock);
  std::string t = tokens.issue("ada");
  EXPECT_EQ(tokens.verify(t), "ada");
  clock.advance(minutes(59));
  EXPECT_EQ(tokens.verify(t), "ada");
  clock.advance(minutes(2));  // 61 min: past the hour and the 30 s of skew
  EXPECT_NE(refusal(tokens, t).find("expired"), std::string::npos);
}

TEST(AuthTest, NotBeforeIsChecked) {
  ManualClock future(sys_days{2026y / January / 10} + hours(2));
  ManualClock now(sys_days{2026y / January / 10});
  std::string t = TokenService(config(), future).issue("ada");
  EXPECT_NE(refusal(TokenService(config(), now), t).find("not valid yet"), std::string::npos);
}

TEST(AuthTest, OtherKeysOtherIssuersAndGarbageAreRefused) {
  ManualClock clock(sys_days{2026y / January / 10});
  AuthConfig other = config();
  other.jwtSecret = "a-completely-different-secret-value-42";
  EXPECT_NE(refusal(TokenService(config(), clock), TokenService(other, clock).issue("ada")).find("signature"),
            std::string::npos);
  AuthConfig issuer = config();
  issuer.jwtIssuer = "someone-else";
  EXPECT_NE(refusal(TokenService(config(), clock), TokenService(issuer, clock).issue("ada")).find("issued"),
            std::string::npos);
  EXPECT_FALSE(refusal(TokenService(config(), clock), "abc.def.ghi").empty());
  EXPECT_FALSE(refusal(TokenService(config(), clock), "").empty());
}

TEST(AuthTest, ApiKeySecretsAreLongRandomAndHashed) {
  std::string a = newApiKeySecret(), b = newApiKeySecret();
  EXPECT_EQ(a.rfind("a6k_", 0), 0u);
  EXPECT_EQ(a.size(), 4u + 43u);
  EXPECT_NE(a, b);
  EXPECT_EQ(apiKeyHash(a).size(), 64u);
  EXPECT_NE(apiKeyHash(a), apiKeyHash(b));
}

}  // namespace
}  // namespace a6::service
