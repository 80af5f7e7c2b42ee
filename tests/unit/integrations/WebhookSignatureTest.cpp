// Standard Webhooks signatures: the published test vector (so a receiver's stock library accepts
// what we send), round trips, every kind of tampering, the timestamp window, several signatures
// and several secrets (rotation), malformed secrets, and generated secrets.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "a6/core/Error.h"
#include "a6/integrations/webhooks/Signature.h"

namespace a6::integrations::webhooks {
namespace {

// The vector of the Standard Webhooks / Svix reference libraries' tests (e.g. the PHP library's
// testSignFunctionWorks); checked independently with `openssl dgst -sha256 -mac HMAC`.
const std::string kVectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kVectorId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const std::int64_t kVectorTimestamp = 1614265330;
const std::string kVectorBody = R"({"test": 2432232314})";
const std::string kVectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

const std::int64_t kNow = 1700000000;

TEST(WebhookSignature, ReproducesThePublishedTestVector) {
  EXPECT_EQ(sign(kVectorSecret, kVectorId, kVectorTimestamp, kVectorBody), kVectorSignature);
  EXPECT_EQ(verify({kVectorSecret}, kVectorId, "1614265330", kVectorSignature, kVectorBody, kVectorTimestamp),
            VerifyProblem::None);
}

TEST(WebhookSignature, SignedHeadersCarryIdTimestampAndSignature) {
  SignedHeaders h = signedHeaders(kVectorSecret, kVectorId, kVectorTimestamp, kVectorBody);
  EXPECT_EQ(h.id, kVectorId);
  EXPECT_EQ(h.timestamp, "1614265330");
  EXPECT_EQ(h.signature, kVectorSignature);
  EXPECT_STREQ(kIdHeader, "webhook-id");
  EXPECT_STREQ(kTimestampHeader, "webhook-timestamp");
  EXPECT_STREQ(kSignatureHeader, "webhook-signature");
}

TEST(WebhookSignature, RoundTripWithAGeneratedSecret) {
  std::string secret = generateSecret();
  std::string body = R"({"type":"authorisation.issued","data":{"id":"01J"}})";
  SignedHeaders h = signedHeaders(secret, "msg_1", kNow, body);
  EXPECT_EQ(verify({secret}, h.id, h.timestamp, h.signature, body, kNow), VerifyProblem::None);
  // An empty body is signed too.
  SignedHeaders empty = signedHeaders(secret, "msg_2", kNow, "");
  EXPECT_EQ(verify({secret}, empty.id, empty.timestamp, empty.signature, "", kNow), VerifyProblem::None);
}

TEST(WebhookSignature, TamperingIsRefused) {
  SignedHeaders h = signedHeaders(kVectorSecret, "msg_1", kNow, "{\"a\":1}");
  EXPECT_EQ(verify({kVectorSecret}, h.id, h.timestamp, h.signature, "{\"a\":2}", kNow),
            VerifyProblem::NoMatchingSignature);
  EXPECT_EQ(verify({kVectorSecret}, h.id, h.timestamp, h.signature, "{\"a\":1} ", kNow),
            VerifyProblem::NoMatchingSignature);
  EXPECT_EQ(verify({kVectorSecret}, "msg_2", h.timestamp, h.signature, "{\"a\":1}", kNow),
            VerifyProblem::NoMatchingSignature);
  EXPECT_EQ(verify({kVectorSecret}, h.id, std::to_string(kNow + 1), h.signature, "{\"a\":1}", kNow),
            VerifyProblem::NoMatchingSignature);
  // Moving the delimiter between id and body changes the signed text: "msg_1." + "x.{" is not the same.
  EXPECT_EQ(verify({kVectorSecret}, "msg_1.1", h.timestamp, h.signature, "{\"a\":1}", kNow),
            VerifyProblem::NoMatchingSignature);
  // A flipped character in the signature itself.
  std::string bad = h.signature;
  bad[5] = bad[5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify({kVectorSecret}, h.id, h.timestamp, bad, "{\"a\":1}", kNow), VerifyProblem::NoMatchingSignature);
  // The right signature under another scheme's label, or bare, is not accepted.
  std::string bare = h.signature.substr(3);
  EXPECT_EQ(verify({kVectorSecret}, h.id, h.timestamp, bare, "{\"a\":1}", kNow), VerifyProblem::NoMatchingSignature);
  EXPECT_EQ(verify({kVectorSecret}, h.id, h.timestamp, "v1a," + bare, "{\"a\":1}", kNow),
            VerifyProblem::NoMatchingSignature);
  // Another secret.
  EXPECT_EQ(verify({generateSecret()}, h.id, h.timestamp, h.signature, "{\"a\":1}", kNow),
            VerifyProblem::NoMatchingSignature);
  EXPECT_EQ(verify({}, h.id, h.timestamp, h.signature, "{\"a\":1}", kNow), VerifyProblem::NoMatchingSignature);
}

TEST(WebhookSignature, StaleAndFutureTimestampsAreRefused) {
  const std::string body = "{}";
  auto at = [&](std::int64_t sent, std::int64_t now, std::int64_t tolerance = 300) {
    SignedHeaders h = signedHeaders(kVectorSecret, "msg_1", sent, body);
    return verify({kVectorSecret}, h.id, h.timestamp, h.signature, body, now, tolerance);
  };
  EXPECT_EQ(at(kNow - 300, kNow), VerifyProblem::None);  // the edges are inside
  EXPECT_EQ(at(kNow + 300, kNow), VerifyProblem::None);
  EXPECT_EQ(at(kNow - 301, kNow), VerifyProblem::Stale);
  EXPECT_EQ(at(kNow + 301, kNow), VerifyProblem::Stale);
  EXPECT_EQ(at(kNow - 3600, kNow), VerifyProblem::Stale);
  EXPECT_EQ(at(kNow - 3600, kNow, 7200), VerifyProblem::None);
  EXPECT_EQ(at(kNow - 1, kNow, 0), VerifyProblem::Stale);
  // A stale delivery is reported as stale even with a perfect signature: the timestamp is checked first.
  EXPECT_EQ(verify({kVectorSecret}, kVectorId, "1614265330", kVectorSignature, kVectorBody, kNow),
            VerifyProblem::Stale);
}

TEST(WebhookSignature, MissingHeadersAndBadTimestamps) {
  SignedHeaders h = signedHeaders(kVectorSecret, "msg_1", kNow, "{}");
  EXPECT_EQ(verify({kVectorSecret}, "", h.timestamp, h.signature, "{}", kNow), VerifyProblem::MissingHeader);
  EXPECT_EQ(verify({kVectorSecret}, h.id, "", h.signature, "{}", kNow), VerifyProblem::MissingHeader);
  EXPECT_EQ(verify({kVectorSecret}, h.id, h.timestamp, "", "{}", kNow), VerifyProblem::MissingHeader);
  for (std::string ts : {"abc", "1700000000.5", "-1700000000", " 1700000000", "1700000000 ", "+1700000000",
                         "0x6553f100", "99999999999999999999999"}) {
    EXPECT_EQ(verify({kVectorSecret}, h.id, ts, h.signature, "{}", kNow), VerifyProblem::BadTimestamp) << ts;
  }
}

TEST(WebhookSignature, AnyOfSeveralSignaturesMayMatch) {
  const std::string body = "{\"x\":true}";
  std::string good = sign(kVectorSecret, "msg_1", kNow, body);
  std::string other = sign(generateSecret(), "msg_1", kNow, body);
  const std::string ts = std::to_string(kNow);
  EXPECT_EQ(verify({kVectorSecret}, "msg_1", ts, other + " " + good, body, kNow), VerifyProblem::None);
  EXPECT_EQ(verify({kVectorSecret}, "msg_1", ts, good + " " + other, body, kNow), VerifyProblem::None);
  EXPECT_EQ(verify({kVectorSecret}, "msg_1", ts, "v2,abc " + good, body, kNow), VerifyProblem::None);
  EXPECT_EQ(verify({kVectorSecret}, "msg_1", ts, "v1a,xyz  " + good, body, kNow), VerifyProblem::None);
  EXPECT_EQ(verify({kVectorSecret}, "msg_1", ts, other + " v2,abc", body, kNow), VerifyProblem::NoMatchingSignature);
}

TEST(WebhookSignature, AnyOfSeveralSecretsMayMatchForRotation) {
  const std::string oldSecret = generateSecret();
  const std::string newSecret = generateSecret();
  const std::string body = "{}";
  SignedHeaders byOld = signedHeaders(oldSecret, "msg_1", kNow, body);
  SignedHeaders byNew = signedHeaders(newSecret, "msg_1", kNow, body);
  EXPECT_EQ(verify({newSecret, oldSecret}, "msg_1", byOld.timestamp, byOld.signature, body, kNow), VerifyProblem::None);
  EXPECT_EQ(verify({newSecret, oldSecret}, "msg_1", byNew.timestamp, byNew.signature, body, kNow), VerifyProblem::None);
  // During rotation the sender signs with both; a receiver that knows only one accepts.
  std::string both = byNew.signature + " " + byOld.signature;
  EXPECT_EQ(verify({oldSecret}, "msg_1", byNew.timestamp, both, body, kNow), VerifyProblem::None);
  EXPECT_EQ(verify({newSecret}, "msg_1", byNew.timestamp, both, body, kNow), VerifyProblem::None);
  // After rotation, the retired secret's signatures are refused.
  EXPECT_EQ(verify({newSecret}, "msg_1", byOld.timestamp, byOld.signature, body, kNow),
            VerifyProblem::NoMatchingSignature);
}

TEST(WebhookSignature, MalformedSecretsAreRefused) {
  const std::vector<std::string> bad = {
      "",
      "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",          // no prefix
      "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",     // another prefix
      "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",    // the prefix is lowercase
      "whsec_",                                    // no key
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",     // not a multiple of 4
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS!",    // not base64
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La LaSw",   // a space inside
      " whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",   // a space before
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n",  // a line break after
      "whsec_MfKQ9r8GKYqrTwjU=D8ILPZIo2LaLaSw",    // padding in the middle
      "whsec_" + std::string(42, 'A') + "B=",      // 32 bytes, but not canonical: stray bits before '='
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La",        // 21 bytes: too short
      "whsec_" + std::string(88, 'A'),             // 66 bytes: too long
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw====",
  };
  for (const std::string& secret : bad) {
    try {
      decodeSecret(secret);
      ADD_FAILURE() << "accepted: " << secret;
    } catch (const a6::Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Invalid) << secret;
      if (secret.size() > 12) {
        EXPECT_EQ(std::string(e.what()).find(secret.substr(6)), std::string::npos) << "the message repeats the secret";
      }
    }
    EXPECT_THROW(sign(secret, "msg_1", kNow, "{}"), a6::Error) << secret;
  }
  // A malformed secret in the verifier's list is a configuration error, not a refused delivery.
  EXPECT_THROW(verify({"whsec_nope"}, "msg_1", std::to_string(kNow), "v1,abc", "{}", kNow), a6::Error);
  // The bounds are inclusive: 24 and 64 bytes.
  EXPECT_EQ(decodeSecret(kVectorSecret).size(), 24u);
  EXPECT_EQ(decodeSecret("whsec_" + std::string(84, 'A') + "AA==").size(), 64u);
  EXPECT_EQ(decodeSecret("whsec_" + std::string(43, 'A') + "=").size(), 32u);
  EXPECT_THROW(decodeSecret("whsec_" + std::string(84, 'A') + "AAA="), a6::Error);  // 65 bytes
}

TEST(WebhookSignature, GeneratedSecretsAreWellFormedAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string secret = generateSecret();
    ASSERT_EQ(secret.rfind("whsec_", 0), 0u) << secret;
    EXPECT_EQ(secret.size(), 6u + 44u) << secret;  // base64 of 32 bytes: 44 characters with one '='
    EXPECT_EQ(secret.back(), '=');
    EXPECT_EQ(decodeSecret(secret).size(), 32u);
    EXPECT_TRUE(seen.insert(secret).second) << "repeated: " << secret;
  }
}

TEST(WebhookSignature, ProblemsReadAsSentences) {
  for (VerifyProblem p : {VerifyProblem::None, VerifyProblem::MissingHeader, VerifyProblem::BadTimestamp,
                          VerifyProblem::Stale, VerifyProblem::NoMatchingSignature}) {
    std::string text = toString(p);
    ASSERT_FALSE(text.empty());
    EXPECT_TRUE(std::isupper(static_cast<unsigned char>(text.front()))) << text;
    EXPECT_EQ(text.back(), '.') << text;
  }
  EXPECT_NE(std::string(toString(VerifyProblem::Stale)), toString(VerifyProblem::NoMatchingSignature));
}

}  // namespace
}  // namespace a6::integrations::webhooks
