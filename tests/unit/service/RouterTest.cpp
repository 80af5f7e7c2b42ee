#include "a6/service/http/Router.h"

#include <gtest/gtest.h>

namespace a6::service {

namespace {
Route read(const std::string& method, const std::string& pattern) {
  return {method, pattern, true, 0, [](Exchange&) { return Response{}; }, {}};
}
}  // namespace

TEST(RouterTest, MatchesLiteralAndParameterSegments) {
  Router r;
  r.add(read("GET", "/api/v1/requests"));
  r.add(read("GET", "/api/v1/requests/{id}"));
  r.add(read("GET", "/api/v1/requests/{id}/attachments/{att}"));
  auto m = r.match("GET", "/api/v1/requests/req_1/attachments/att_2");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/v1/requests/{id}/attachments/{att}");
  EXPECT_EQ(m.params.at("id"), "req_1");
  EXPECT_EQ(m.params.at("att"), "att_2");
  EXPECT_EQ(r.match("GET", "/api/v1/requests").route->pattern, "/api/v1/requests");
}

TEST(RouterTest, KnownPathWithOtherMethodListsAllowedMethods) {
  Router r;
  r.add(read("GET", "/api/v1/requests"));
  r.add(read("POST", "/api/v1/requests"));
  auto m = r.match("DELETE", "/api/v1/requests");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.pathKnown);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "POST"}));
}

TEST(RouterTest, UnknownEmptyAndTrailingSegmentsDoNotMatch) {
  Router r;
  r.add(read("GET", "/api/v1/requests/{id}"));
  EXPECT_FALSE(r.match("GET", "/api/v1/requests/").pathKnown);
  EXPECT_FALSE(r.match("GET", "/api/v1/requests//").pathKnown);
  EXPECT_FALSE(r.match("GET", "/api/v1/requests/a/b").pathKnown);
  EXPECT_FALSE(r.match("GET", "api/v1/requests/a").pathKnown);
  EXPECT_FALSE(r.match("GET", "").pathKnown);
}

}  // namespace a6::service
