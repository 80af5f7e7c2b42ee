#include "a6/service/http/Http.h"

#include <gtest/gtest.h>

namespace a6::service {

TEST(HttpTest, Utf8ValidationAcceptsWellFormedText) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("Côte d’Ivoire, 中文, 𝄞"));
}

TEST(HttpTest, Utf8ValidationRefusesMalformedOverlongSurrogatesAndTooHigh) {
  EXPECT_FALSE(isValidUtf8("\xC3\x28"));          // bad continuation
  EXPECT_FALSE(isValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xE0\x80\xAF"));      // overlong, 3 bytes
  EXPECT_FALSE(isValidUtf8("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(isValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(isValidUtf8("\xFF"));
}

TEST(HttpTest, NestingDepthCountsArraysAndObjectsButNotStrings) {
  EXPECT_EQ(jsonNestingDepth("{}"), 1);
  EXPECT_EQ(jsonNestingDepth(R"({"a": [1, {"b": []}]})"), 4);
  EXPECT_EQ(jsonNestingDepth(R"({"a": "[[[[{{{{"})"), 1);
  EXPECT_EQ(jsonNestingDepth(R"({"a": "\"[[["})"), 1);
  EXPECT_EQ(jsonNestingDepth("42"), 0);
}

}  // namespace a6::service

#include "a6/service/http/Problem.h"

namespace a6::service {

TEST(ProblemTest, ClientErrorsCarryTheirFieldErrors) {
  Response r = problem(Error(ErrorCode::Invalid, "2 field(s)", {{"activity.title", "required", "is required"}}), "/x");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("\"activity.title\""), std::string::npos);
  EXPECT_NE(r.body.find("2 field(s)"), std::string::npos);
}

// Regression: a 500 once carried the internal error's field list (schema lines of a generated
// message) to the client. Server errors say nothing of their insides.
TEST(ProblemTest, ServerErrorsRevealNoDetail) {
  Response r = problem(Error(ErrorCode::Internal, "schema.xsd line 99: ActionID 'ft_1' refused",
                             {{"Actions/Action/ActionID", "schema", "line 99: pattern"}}),
                       "/api/v1/reports/aef");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("ActionID"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("errors"), std::string::npos) << r.body;
}

}  // namespace a6::service
