// Bad input gets a clear 4xx with problem+json and changes nothing: malformed JSON, wrong
// content types, oversize bodies, deep nesting, invalid UTF-8, unknown routes and methods,
// missing, forged and expired tokens.
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include "ServerFixture.h"

namespace a6::test {
namespace {

class BadInputTest : public ServerFixture {
 protected:
  void expectProblem(const HttpResult& r, int status, const std::string& type) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << r.body;
    auto p = r.json();
    EXPECT_EQ(p->getValue<std::string>("type"), "urn:a6auth:problem:" + type) << r.body;
    EXPECT_EQ(p->getValue<int>("status"), status);
    EXPECT_FALSE(p->getValue<std::string>("detail").empty());
  }
};

TEST_F(BadInputTest, MalformedJsonIs400AndWritesNothing) {
  std::int64_t before = eventCount();
  expectProblem(as("ada", "POST", "/api/v1/requests", R"({"activity": {"title": "x",)"), 400, "malformed");
  expectProblem(as("ada", "POST", "/api/v1/requests", "[1, 2]"), 400, "malformed");
  expectProblem(as("ada", "POST", "/api/v1/requests", "", {{"Content-Type", "application/json"}}), 400, "malformed");
  EXPECT_EQ(eventCount(), before);
}

TEST_F(BadInputTest, WrongContentTypeIs415) {
  expectProblem(
      as("ada", "POST", "/api/v1/requests", "title=x", {{"Content-Type", "application/x-www-form-urlencoded"}}), 415,
      "unsupported-media-type");
}

TEST_F(BadInputTest, OversizeBodyIs413BeforeItIsRead) {
  std::int64_t before = eventCount();
  std::string huge = R"({"activity": {"description": ")" + std::string(2 << 20, 'a') + R"("}})";
  expectProblem(as("ada", "POST", "/api/v1/requests", huge), 413, "too-large");
  EXPECT_EQ(eventCount(), before);
}

TEST_F(BadInputTest, DeepNestingIs400) {
  std::string deep = R"({"activity": {"title": )" + std::string(200, '[') + std::string(200, ']') + "}}";
  expectProblem(as("ada", "POST", "/api/v1/requests", deep), 400, "malformed");
}

TEST_F(BadInputTest, InvalidUtf8Is400) {
  expectProblem(as("ada", "POST", "/api/v1/requests", "{\"activity\": {\"title\": \"caf\xC3\x28\"}}"), 400,
                "malformed");
  expectProblem(as("ada", "POST", "/api/v1/requests", "{\"activity\": {\"title\": \"\xED\xA0\x80\"}}"), 400,
                "malformed");
}

TEST_F(BadInputTest, UnknownRoutesAre404AndWrongMethods405WithAllow) {
  expectProblem(as("ada", "GET", "/api/v1/nothing-here"), 404, "not-found");
  expectProblem(client_->send("GET", "/no/such/page"), 404, "not-found");
  HttpResult r = as("ada", "DELETE", "/api/v1/requests");
  expectProblem(r, 405, "method-not-allowed");
  EXPECT_NE(r.header("Allow").find("POST"), std::string::npos);
  EXPECT_NE(r.header("Allow").find("GET"), std::string::npos);
  expectProblem(as("ada", "GET", "/api/v1/requests/req_01NOTAREALID0000000000000"), 404, "not-found");
}

TEST_F(BadInputTest, MissingForgedAndExpiredTokensAre401) {
  HttpResult none = client_->send("GET", "/api/v1/requests");
  expectProblem(none, 401, "unauthenticated");
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer realm=\"a6auth\"");
  expectProblem(client_->send("GET", "/api/v1/requests", "", {{"Authorization", "Basic YWRhOmFkYQ=="}}), 401,
                "unauthenticated");
  expectProblem(client_->as("not.a.jwt", "GET", "/api/v1/requests"), 401, "unauthenticated");

  // Signed with another key.
  Poco::JWT::Token forged;
  forged.setSubject("admin");
  forged.setIssuer("a6auth");
  forged.setExpiration(Poco::Timestamp() + Poco::Timespan(3600, 0));
  Poco::JWT::Signer other("another-secret-another-secret-another-secret");
  expectProblem(client_->as(other.sign(forged, "HS256"), "GET", "/api/v1/requests"), 401, "unauthenticated");

  // Issued by this service, but long expired.
  ManualClock past(clock_.now() - std::chrono::hours(48));
  service::TokenService oldTokens(config_->auth, past);
  HttpResult expired = client_->as(oldTokens.issue("ada", std::chrono::seconds(3600)), "GET", "/api/v1/requests");
  expectProblem(expired, 401, "unauthenticated");
  EXPECT_NE(expired.body.find("expired"), std::string::npos);

  // Valid token for a user that does not exist.
  expectProblem(client_->as(server_->tokens().issue("ghost"), "GET", "/api/v1/requests"), 401, "unauthenticated");
  // A token without an expiry is refused, even with a good signature.
  Poco::JWT::Token noExp;
  noExp.setSubject("ada");
  noExp.setIssuer("a6auth");
  Poco::JWT::Signer ours(config_->auth.jwtSecret);
  expectProblem(client_->as(ours.sign(noExp, "HS256"), "GET", "/api/v1/requests"), 401, "unauthenticated");
}

TEST_F(BadInputTest, WritesWithBadTokensChangeNothing) {
  std::int64_t before = eventCount();
  expectProblem(
      client_->send("POST", "/api/v1/requests", dataFile("request-valid.json"), {{"Content-Type", "application/json"}}),
      401, "unauthenticated");
  EXPECT_EQ(eventCount(), before);
}

TEST_F(BadInputTest, MalformedIdempotencyKeyAndIfMatchAre400) {
  auto created = createSample();
  std::string id = created->getValue<std::string>("id");
  expectProblem(as("ada", "POST", "/api/v1/requests", dataFile("request-valid.json"),
                   {{"Idempotency-Key", std::string(300, 'k')}}),
                400, "malformed");
  expectProblem(
      as("ada", "PATCH", "/api/v1/requests/" + id, R"({"activity": {"title": "x"}})", {{"If-Match", "yesterday"}}), 400,
      "malformed");
}

TEST_F(BadInputTest, OperationsEndpointsAnswerWithoutAuthentication) {
  EXPECT_EQ(client_->send("GET", "/healthz").status, 200);
  EXPECT_EQ(client_->send("GET", "/readyz").status, 200);
  HttpResult api = client_->send("GET", "/openapi.yaml");
  EXPECT_EQ(api.status, 200);
  EXPECT_NE(api.body.find("/api/v1/requests"), std::string::npos);
  as("ada", "GET", "/api/v1/requests");
  client_->send("GET", "/api/v1/requests");
  HttpResult m = client_->send("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.header("Content-Type").find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find(R"(a6auth_http_requests_total{route="/api/v1/requests",method="GET",status="200"} 1)"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find(R"(a6auth_http_requests_total{route="/api/v1/requests",method="GET",status="401"} 1)"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("a6auth_http_request_duration_seconds_bucket{route=\"/api/v1/requests\",le=\"+Inf\"} 2"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("a6auth_store_errors_total 0"), std::string::npos);
}

TEST_F(BadInputTest, OpenApiDescribesEveryRouteAndMethod) {
  std::string yaml = client_->send("GET", "/openapi.yaml").body;
  ASSERT_FALSE(yaml.empty());
  for (const auto& route : server_->routes()) {
    std::string key = "\n  " + route.pattern + ":\n";
    auto start = yaml.find(key);
    ASSERT_NE(start, std::string::npos) << route.pattern << " is not a path in docs/openapi.yaml";
    auto end = yaml.find("\n  /", start + key.size());
    std::string block = yaml.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string method = Poco::toLower(route.method);
    EXPECT_NE(block.find("\n    " + method + ":"), std::string::npos)
        << route.method << " " << route.pattern << " is not described";
  }
}

}  // namespace
}  // namespace a6::test
