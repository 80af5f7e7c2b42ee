// The portal's sign-in (POST /api/v1/session) and the password hashing behind it; the queue
// (GET /api/v1/queue); the portal's pages and their headers.
#include <Poco/JSON/Array.h>

#include "ServerFixture.h"
#include "a6/service/app/Passwords.h"

namespace a6::test {
namespace {

TEST(PasswordHashTest, HashesAreSaltedEncodedAndVerified) {
  std::string a = service::hashPassword("correct horse battery", 1000);
  std::string b = service::hashPassword("correct horse battery", 1000);
  EXPECT_NE(a, b) << "a random salt makes every hash different";
  EXPECT_EQ(a.rfind("pbkdf2-sha256$1000$", 0), 0u) << a;
  EXPECT_TRUE(service::verifyPassword("correct horse battery", a));
  EXPECT_FALSE(service::verifyPassword("correct horse batterz", a));
  EXPECT_FALSE(service::verifyPassword("", a));
}

TEST(PasswordHashTest, DefaultIsAtLeast210000Iterations) {
  std::string h = service::hashPassword("a long enough password");
  auto first = h.find('$');
  auto second = h.find('$', first + 1);
  EXPECT_GE(std::stoi(h.substr(first + 1, second - first - 1)), 210000);
  EXPECT_TRUE(service::verifyPassword("a long enough password", h));
}

TEST(PasswordHashTest, MalformedHashesNeverMatch) {
  for (const std::string bad : {"", "plain", "pbkdf2-sha256$abc$AAAA$AAAA", "pbkdf2-sha256$1$AAAA$AAAA",
                                "md5$1000$AAAA$AAAA", "pbkdf2-sha256$1000$$", "pbkdf2-sha256$99999999999$AA$AA"}) {
    EXPECT_FALSE(service::verifyPassword("x", bad)) << bad;
  }
}

TEST(PasswordHashTest, NewPasswordsFollowTheRules) {
  EXPECT_THROW(service::checkNewPassword("short"), Error);
  EXPECT_THROW(service::checkNewPassword(std::string(2000, 'x')), Error);
  EXPECT_THROW(service::checkNewPassword("with\na newline"), Error);
  EXPECT_NO_THROW(service::checkNewPassword("ten chars!"));
}

class SessionApiTest : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    service::setUserPassword(*store_, "GHA", "ada", "ada's good password", "test", clock_);
    service::setUserPassword(*store_, "GHA", "rita", "rita's good password", "test", clock_);
  }

  HttpResult signIn(const std::string& user, const std::string& password) {
    Poco::JSON::Object body;
    body.set("username", user);
    body.set("password", password);
    std::ostringstream out;
    body.stringify(out);
    return client_->send("POST", "/api/v1/session", out.str(), {{"Content-Type", "application/json"}});
  }
};

TEST_F(SessionApiTest, RightPasswordGivesATokenTheApiAccepts) {
  HttpResult r = signIn("ada", "ada's good password");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  auto o = r.json();
  std::string token = o->getValue<std::string>("token");
  EXPECT_FALSE(token.empty());
  EXPECT_FALSE(o->getValue<std::string>("expires_at").empty());
  EXPECT_EQ(o->getObject("user")->getValue<std::string>("name"), "ada");
  EXPECT_EQ(o->getObject("user")->getValue<std::string>("organisation"), "Volta Cookstoves Ltd");
  HttpResult me = client_->as(token, "GET", "/api/v1/me");
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.json()->getValue<std::string>("name"), "ada");
  EXPECT_EQ(r.body.find("password"), std::string::npos);
}

TEST_F(SessionApiTest, WrongPasswordAndUnknownUserGetTheSame401) {
  HttpResult wrong = signIn("ada", "not the password");
  HttpResult unknown = signIn("nobody", "not the password");
  HttpResult noPassword = signIn("tom", "not the password");  // a user without a password
  for (const HttpResult* r : {&wrong, &unknown, &noPassword}) {
    EXPECT_EQ(r->status, 401) << r->body;
    EXPECT_EQ(r->header("Content-Type"), "application/problem+json");
    auto o = r->json();
    EXPECT_EQ(o->getValue<std::string>("type"), "urn:a6auth:problem:unauthenticated");
    EXPECT_EQ(o->getValue<std::string>("detail"), "the user name or the password is not right");
  }
}

TEST_F(SessionApiTest, BadBodiesAreRefused) {
  HttpResult missing = client_->send("POST", "/api/v1/session", R"({"username":"ada"})",
                                     {{"Content-Type", "application/json"}});
  EXPECT_EQ(missing.status, 422) << missing.body;
  EXPECT_NE(missing.body.find("\"path\":\"password\""), std::string::npos) << missing.body;
  HttpResult extra = client_->send("POST", "/api/v1/session", R"({"username":"ada","password":"x","remember":true})",
                                   {{"Content-Type", "application/json"}});
  EXPECT_EQ(extra.status, 422) << extra.body;
  HttpResult form = client_->send("POST", "/api/v1/session", "username=ada&password=x",
                                  {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(form.status, 415) << form.body;
  HttpResult big = client_->send("POST", "/api/v1/session",
                                 R"({"username":"ada","password":")" + std::string(20000, 'x') + R"("})",
                                 {{"Content-Type", "application/json"}});
  EXPECT_EQ(big.status, 413) << big.body;
}

TEST_F(SessionApiTest, RepeatedFailuresAreThrottledPerUserName) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(signIn("ada", "guess " + std::to_string(i)).status, 401);
  // Now even the right password is refused, without looking at it, until the lockout ends.
  HttpResult locked = signIn("ada", "ada's good password");
  EXPECT_EQ(locked.status, 429) << locked.body;
  EXPECT_EQ(locked.header("Content-Type"), "application/problem+json");
  EXPECT_FALSE(locked.header("Retry-After").empty());
  EXPECT_EQ(signIn("ADA", "ada's good password").status, 429) << "names are throttled case-insensitively";
  // Another user is not affected.
  EXPECT_EQ(signIn("rita", "rita's good password").status, 200);
  clock_.advance(std::chrono::minutes(16));
  EXPECT_EQ(signIn("ada", "ada's good password").status, 200);
}

TEST_F(SessionApiTest, ASuccessClearsTheCount) {
  for (int i = 0; i < 4; ++i) EXPECT_EQ(signIn("ada", "guess").status, 401);
  EXPECT_EQ(signIn("ada", "ada's good password").status, 200);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(signIn("ada", "guess").status, 401);
  EXPECT_EQ(signIn("ada", "ada's good password").status, 200);
}

TEST_F(SessionApiTest, PasswordIsNeverOnTheRecord) {
  std::string all;
  store_->forEachEvent([&](const service::StoredEvent& e) { all += e.type + " " + e.payloadJson + "\n"; });
  EXPECT_NE(all.find("password_set"), std::string::npos);
  EXPECT_EQ(all.find("good password"), std::string::npos);
  EXPECT_EQ(all.find("pbkdf2"), std::string::npos);
  auto ada = store_->findUser("ada");
  ASSERT_TRUE(ada && ada->passwordHash);
  EXPECT_EQ(ada->passwordHash->rfind("pbkdf2-sha256$", 0), 0u);
}

TEST_F(SessionApiTest, QueueListsWhatWaitsForTheCallerWithItsDeadline) {
  auto created = createSample();
  std::string id = created->getValue<std::string>("id");
  HttpResult submitted = as("ada", "POST", "/api/v1/requests/" + id + "/events", R"({"event":"submit"})",
                            {{"If-Match", "\"" + std::to_string(created->getValue<int>("version")) + "\""}});
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  HttpResult rita = as("rita", "GET", "/api/v1/queue");
  ASSERT_EQ(rita.status, 200) << rita.body;
  auto items = rita.json()->getArray("items");
  ASSERT_EQ(items->size(), 1u) << rita.body;
  auto item = items->getObject(0);
  EXPECT_EQ(item->getValue<std::string>("id"), id);
  EXPECT_EQ(item->getValue<std::string>("stage"), "screening");
  EXPECT_FALSE(item->isNull("due_at")) << "screening has a 10-day SLA";
  EXPECT_FALSE(item->getValue<bool>("overdue"));
  // A technical-committee member has nothing to do yet, and the applicant only could withdraw.
  EXPECT_EQ(as("tom", "GET", "/api/v1/queue").json()->getArray("items")->size(), 0u);
  EXPECT_EQ(as("ada", "GET", "/api/v1/queue").json()->getArray("items")->size(), 0u);
  clock_.advance(std::chrono::hours(24 * 11));
  auto later = as("rita", "GET", "/api/v1/queue").json()->getArray("items")->getObject(0);
  EXPECT_TRUE(later->getValue<bool>("overdue"));
  EXPECT_EQ(as("reg", "GET", "/api/v1/queue").status, 403);
  EXPECT_EQ(client_->send("GET", "/api/v1/queue").status, 401);
}

TEST_F(SessionApiTest, PortalPagesComeWithStrictHeaders) {
  for (const std::string path : {"/", "/verify", "/assets/app.js", "/assets/style.css"}) {
    HttpResult r = client_->send("GET", path);
    ASSERT_EQ(r.status, 200) << path;
    std::string csp = r.header("Content-Security-Policy");
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << path;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << path;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << path;
    EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
    EXPECT_EQ(r.header("Cache-Control"), "no-cache");
    EXPECT_FALSE(r.header("ETag").empty());
    EXPECT_EQ(client_->send("GET", path, "", {{"If-None-Match", r.header("ETag")}}).status, 304) << path;
  }
  EXPECT_EQ(client_->send("GET", "/").header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(client_->send("GET", "/assets/app.js").header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(client_->send("GET", "/assets/nothing.js").status, 404);
  EXPECT_EQ(client_->send("GET", "/assets/..%2Findex.html").status, 404);
  std::string html = client_->send("GET", "/").body;
  EXPECT_EQ(html.find("<script>"), std::string::npos) << "no inline scripts";
  EXPECT_EQ(html.find("http://"), std::string::npos) << "nothing from elsewhere";
  EXPECT_EQ(html.find("https://"), std::string::npos) << "nothing from elsewhere";
}

}  // namespace
}  // namespace a6::test
