// The request-intake API over real HTTP: create, read, edit, attachments, list, history,
// idempotency and optimistic concurrency.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <atomic>
#include <thread>

#include "ServerFixture.h"
#include "a6/signing/Digest.h"

namespace a6::test {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

class RequestApiTest : public ServerFixture {};

TEST_F(RequestApiTest, CreateAnswers201WithLocationEtagAndTheFullRequest) {
  HttpResult r = as("ada", "POST", "/api/v1/requests", dataFile("request-valid.json"));
  ASSERT_EQ(r.status, 201) << r.body;
  auto o = r.json();
  std::string id = o->getValue<std::string>("id");
  EXPECT_EQ(id.rfind("req_", 0), 0u);
  EXPECT_EQ(r.header("Location"), "/api/v1/requests/" + id);
  EXPECT_EQ(r.header("ETag"), "\"1\"");
  EXPECT_EQ(o->getValue<int>("version"), 1);
  EXPECT_EQ(o->getValue<std::string>("state"), "draft");
  EXPECT_EQ(o->getObject("authorisation")->getValue<std::string>("cooperative_approach_id"), "CA0042");
  EXPECT_EQ(o->getObject("activity")->getValue<std::string>("host_country"), "GHA");
  EXPECT_TRUE(o->getObject("completeness")->getValue<bool>("ready_to_submit")) << r.body;
  EXPECT_EQ(o->getValue<std::string>("created_by"), "ada");

  HttpResult g = as("ada", "GET", "/api/v1/requests/" + id);
  ASSERT_EQ(g.status, 200);
  EXPECT_EQ(g.json()->getObject("applicant")->getValue<std::string>("contact_name"), "Ama Mensah");
  EXPECT_EQ(g.header("ETag"), "\"1\"");
}

TEST_F(RequestApiTest, ADraftMayBeIncompleteAndSaysWhatIsMissing) {
  HttpResult r = as("ada", "POST", "/api/v1/requests", R"({"activity": {"title": "Solar mini-grids"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  auto completeness = r.json()->getObject("completeness");
  EXPECT_FALSE(completeness->getValue<bool>("ready_to_submit"));
  bool namesCa = false;
  auto errors = completeness->getArray("errors");
  for (std::size_t i = 0; i < errors->size(); ++i) {
    if (errors->getObject(static_cast<unsigned>(i))->getValue<std::string>("path") ==
        "authorisation.cooperative_approach_id")
      namesCa = true;
  }
  EXPECT_TRUE(namesCa) << r.body;
}

TEST_F(RequestApiTest, ValidationReportsEveryErrorWithItsPathAndWritesNothing) {
  std::int64_t before = eventCount();
  HttpResult r = as("ada", "POST", "/api/v1/requests", R"({
    "activity": {"host_country": "GHA", "crediting_period": {"from": "2030-01-01", "to": "2025-01-01"}},
    "authorisation": {"cooperative_approach_id": "CA42", "purposes": "NDC", "first_transfer_definition": "Issuance",
                      "authorized_parties": ["XXX"], "vintages": {"from": 2030, "to": 2025},
                      "requested_quantity": -5}})");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
  auto p = r.json();
  EXPECT_EQ(p->getValue<std::string>("type"), "urn:a6auth:problem:validation");
  std::set<std::string> paths;
  auto errors = p->getArray("errors");
  for (std::size_t i = 0; i < errors->size(); ++i) {
    paths.insert(errors->getObject(static_cast<unsigned>(i))->getValue<std::string>("path"));
  }
  for (const char* expected : {"authorisation.cooperative_approach_id", "authorisation.first_transfer_definition",
                               "authorisation.authorized_parties[0]", "authorisation.vintages.to",
                               "activity.crediting_period.to", "authorisation.requested_quantity"}) {
    EXPECT_TRUE(paths.count(expected)) << expected << " missing in " << r.body;
  }
  EXPECT_EQ(eventCount(), before);
}

TEST_F(RequestApiTest, UnknownFieldsAndWrongTypesAreRejectedNotIgnored) {
  HttpResult r =
      as("ada", "POST", "/api/v1/requests", R"({"activity": {"title": 12, "colour": "green"}, "state": "authorised"})");
  ASSERT_EQ(r.status, 422) << r.body;
  std::string body = r.body;
  EXPECT_NE(body.find("\"activity.colour\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"state\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"activity.title\""), std::string::npos) << body;
  EXPECT_NE(body.find("unknown_field"), std::string::npos) << body;
}

TEST_F(RequestApiTest, ApplicantsCannotCreateForAnotherOrganisationOrHostParty) {
  HttpResult r = as("ada", "POST", "/api/v1/requests",
                    R"({"applicant": {"organisation": "Someone Else"}, "activity": {"host_country": "KEN"}})");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("applicant.organisation"), std::string::npos);
  EXPECT_NE(r.body.find("activity.host_country"), std::string::npos);
}

TEST_F(RequestApiTest, PatchNeedsIfMatchRefusesStaleVersionsAndBumpsTheVersion) {
  std::string id = createSample()->getValue<std::string>("id");
  std::string path = "/api/v1/requests/" + id;
  std::string patch = R"({"activity": {"title": "Cookstoves, phase 2", "region": null}})";

  HttpResult noIfMatch = as("ada", "PATCH", path, patch);
  EXPECT_EQ(noIfMatch.status, 428) << noIfMatch.body;

  HttpResult ok = as("ada", "PATCH", path, patch, {{"If-Match", "\"1\""}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("ETag"), "\"2\"");
  auto o = ok.json();
  EXPECT_EQ(o->getObject("activity")->getValue<std::string>("title"), "Cookstoves, phase 2");
  EXPECT_TRUE(o->getObject("activity")->isNull("region"));
  EXPECT_EQ(o->getObject("activity")->getValue<std::string>("methodology"), "GS TPDDTEC v3.1");

  HttpResult stale = as("ada", "PATCH", path, R"({"activity": {"title": "Other"}})", {{"If-Match", "\"1\""}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_EQ(as("ada", "GET", path).json()->getObject("activity")->getValue<std::string>("title"),
            "Cookstoves, phase 2");
}

TEST_F(RequestApiTest, PatchThatBreaksARuleChangesNothing) {
  std::string id = createSample()->getValue<std::string>("id");
  std::string path = "/api/v1/requests/" + id;
  HttpResult r = as("ada", "PATCH", path, R"({"authorisation": {"purposes": "NDC"}})", {{"If-Match", "\"1\""}});
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("authorisation.first_transfer_definition"), std::string::npos) << r.body;
  EXPECT_EQ(as("ada", "GET", path).header("ETag"), "\"1\"");
}

TEST_F(RequestApiTest, ConcurrentEditsWithTheSameVersionLetExactlyOneWin) {
  std::string id = createSample()->getValue<std::string>("id");
  std::string path = "/api/v1/requests/" + id;
  std::string t = token("ada");
  std::vector<int> statuses(6);
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      statuses[i] = client_
                        ->as(t, "PATCH", path, R"({"activity": {"region": "Region )" + std::to_string(i) + R"("}})",
                             {{"If-Match", "\"1\""}})
                        .status;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 412), 5);
  EXPECT_EQ(as("ada", "GET", path).header("ETag"), "\"2\"");
}

TEST_F(RequestApiTest, IdempotencyKeyReplaysTheFirstAnswerAndRefusesADifferentBody) {
  std::string body = dataFile("request-valid.json");
  HttpResult first = as("ada", "POST", "/api/v1/requests", body, {{"Idempotency-Key", "create-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResult again = as("ada", "POST", "/api/v1/requests", body, {{"Idempotency-Key", "create-1"}});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.header("Location"), first.header("Location"));
  EXPECT_EQ(again.header("Idempotent-Replayed"), "true");

  HttpResult other =
      as("ada", "POST", "/api/v1/requests", R"({"activity": {"title": "x"}})", {{"Idempotency-Key", "create-1"}});
  EXPECT_EQ(other.status, 422) << other.body;
  EXPECT_NE(other.body.find("idempotency-key-reused"), std::string::npos);

  auto list = as("ada", "GET", "/api/v1/requests").json()->getArray("items");
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(RequestApiTest, IdempotencyKeyCoversTheQueryString) {
  std::string id = createSample()->getValue<std::string>("id");
  std::string base = "/api/v1/requests/" + id + "/attachments?name=";
  HttpResult a =
      as("ada", "POST", base + "a.pdf", "%PDF-1.4 same", {{"Content-Type", "application/pdf"}, {"Idempotency-Key", "k"}});
  ASSERT_EQ(a.status, 201) << a.body;
  HttpResult b =
      as("ada", "POST", base + "b.pdf", "%PDF-1.4 same", {{"Content-Type", "application/pdf"}, {"Idempotency-Key", "k"}});
  EXPECT_EQ(b.status, 422) << b.body;
  EXPECT_EQ(as("ada", "GET", "/api/v1/requests/" + id).json()->getArray("attachments")->size(), 1u);
}

TEST_F(RequestApiTest, SimultaneousRetriesWithOneKeyCreateOneRequest) {
  std::string body = dataFile("request-valid.json");
  std::string t = token("ada");
  std::vector<std::string> locations(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      locations[i] = client_->as(t, "POST", "/api/v1/requests", body, {{"Idempotency-Key", "same"}}).header("Location");
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& l : locations) EXPECT_EQ(l, locations[0]);
  EXPECT_FALSE(locations[0].empty());
  EXPECT_EQ(as("ada", "GET", "/api/v1/requests").json()->getArray("items")->size(), 1u);
}

TEST_F(RequestApiTest, AttachmentsAreHashedWhileStreamedAndServedBack) {
  std::string id = createSample()->getValue<std::string>("id");
  std::string pdf = "%PDF-1.7\n" + std::string(200000, 'x') + std::string("\0\x01\x02", 3) + "\n%%EOF\n";
  HttpResult up = as("ada", "POST", "/api/v1/requests/" + id + "/attachments?name=PDD%20v2.pdf", pdf,
                     {{"Content-Type", "application/pdf"}});
  ASSERT_EQ(up.status, 201) << up.body;
  auto a = up.json();
  EXPECT_EQ(a->getValue<std::string>("sha256"), signing::sha256Hex(pdf));
  EXPECT_EQ(a->getValue<std::int64_t>("size"), static_cast<std::int64_t>(pdf.size()));
  EXPECT_EQ(a->getValue<std::string>("name"), "PDD v2.pdf");
  EXPECT_EQ(up.header("ETag"), "\"2\"");

  HttpResult down = as("rita", "GET", up.header("Location"));
  ASSERT_EQ(down.status, 200);
  EXPECT_EQ(down.body, pdf);
  EXPECT_EQ(down.header("Content-Type"), "application/pdf");

  auto req = as("ada", "GET", "/api/v1/requests/" + id).json();
  ASSERT_EQ(req->getArray("attachments")->size(), 1u);
  EXPECT_EQ(req->getArray("attachments")->getObject(0)->getValue<std::string>("sha256"), signing::sha256Hex(pdf));
}

TEST_F(RequestApiTest, AttachmentLimitsTypesAndContentAreChecked) {
  std::string id = createSample()->getValue<std::string>("id");
  std::string path = "/api/v1/requests/" + id + "/attachments?name=a.pdf";
  std::int64_t before = eventCount();
  HttpResult big = as("ada", "POST", path, "%PDF-" + std::string(1048576, 'x'), {{"Content-Type", "application/pdf"}});
  EXPECT_EQ(big.status, 413) << big.body;
  HttpResult exe = as("ada", "POST", path, "MZ\x90", {{"Content-Type", "application/x-msdownload"}});
  EXPECT_EQ(exe.status, 415) << exe.body;
  HttpResult liar = as("ada", "POST", path, "not a pdf at all", {{"Content-Type", "application/pdf"}});
  EXPECT_EQ(liar.status, 422) << liar.body;
  HttpResult noName =
      as("ada", "POST", "/api/v1/requests/" + id + "/attachments", "%PDF-1.4", {{"Content-Type", "application/pdf"}});
  EXPECT_EQ(noName.status, 422) << noName.body;
  HttpResult traversal = as("ada", "POST", "/api/v1/requests/" + id + "/attachments?name=..%2F..%2Fetc%2Fpasswd",
                            "%PDF-1.4", {{"Content-Type", "application/pdf"}});
  EXPECT_EQ(traversal.status, 422) << traversal.body;
  EXPECT_EQ(eventCount(), before);
}

TEST_F(RequestApiTest, ApplicantsSeeOnlyTheirOrganisationStaffAndAuditorsSeeAll) {
  std::string id = createSample()->getValue<std::string>("id");
  HttpResult kofi = as("kofi", "GET", "/api/v1/requests/" + id);
  EXPECT_EQ(kofi.status, 404);
  EXPECT_EQ(as("kofi", "GET", "/api/v1/requests").json()->getArray("items")->size(), 0u);
  EXPECT_EQ(as("kofi", "PATCH", "/api/v1/requests/" + id, R"({"activity": {"title": "mine"}})", {{"If-Match", "\"1\""}})
                .status,
            404);
  EXPECT_EQ(as("rita", "GET", "/api/v1/requests/" + id).status, 200);
  EXPECT_EQ(as("audrey", "GET", "/api/v1/requests").json()->getArray("items")->size(), 1u);
  EXPECT_EQ(as("audrey", "GET", "/api/v1/requests/" + id + "/history").status, 200);
  EXPECT_EQ(as("reg", "GET", "/api/v1/requests").status, 403);
}

TEST_F(RequestApiTest, AuditorsAndStaffNeverWriteRequests) {
  std::string id = createSample()->getValue<std::string>("id");
  std::int64_t before = eventCount();
  for (const char* user : {"audrey", "rita", "amina", "admin", "reg"}) {
    EXPECT_EQ(as(user, "POST", "/api/v1/requests", dataFile("request-valid.json")).status, 403) << user;
    EXPECT_EQ(
        as(user, "PATCH", "/api/v1/requests/" + id, R"({"activity": {"title": "x"}})", {{"If-Match", "\"1\""}}).status,
        403)
        << user;
    EXPECT_EQ(as(user, "POST", "/api/v1/requests/" + id + "/attachments?name=a.pdf", "%PDF-1.4",
                 {{"Content-Type", "application/pdf"}})
                  .status,
              403)
        << user;
  }
  EXPECT_EQ(eventCount(), before);
}

TEST_F(RequestApiTest, ListFiltersAndPagesWithACursor) {
  std::string body = dataFile("request-valid.json");
  for (int i = 0; i < 7; ++i) {
    std::string title = i % 2 ? "Solar lanterns " + std::to_string(i) : "Cookstoves " + std::to_string(i);
    ASSERT_EQ(as("ada", "POST", "/api/v1/requests", R"({"activity": {"title": ")" + title + R"("}})").status, 201);
  }
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    std::string path = "/api/v1/requests?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto page = as("ada", "GET", path).json();
    auto items = page->getArray("items");
    for (std::size_t i = 0; i < items->size(); ++i) {
      EXPECT_TRUE(seen.insert(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("id")).second);
    }
    cursor = page->isNull("next_cursor") ? "" : page->getValue<std::string>("next_cursor");
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(pages, 3);

  auto lanterns = as("rita", "GET", "/api/v1/requests?q=lantern").json()->getArray("items");
  EXPECT_EQ(lanterns->size(), 3u);
  EXPECT_EQ(as("rita", "GET", "/api/v1/requests?state=draft").json()->getArray("items")->size(), 7u);
  EXPECT_EQ(as("rita", "GET", "/api/v1/requests?state=authorised").json()->getArray("items")->size(), 0u);
  EXPECT_EQ(as("rita", "GET", "/api/v1/requests?state=nonsense").status, 422);
  EXPECT_EQ(as("rita", "GET", "/api/v1/requests?limit=0").status, 422);
  EXPECT_EQ(as("rita", "GET", "/api/v1/requests?colour=red").status, 422);
}

TEST_F(RequestApiTest, HistoryShowsEveryEventWithActorsTimesAndAChain) {
  std::string id = createSample()->getValue<std::string>("id");
  ASSERT_EQ(
      as("ada", "PATCH", "/api/v1/requests/" + id, R"({"activity": {"region": "Savannah"}})", {{"If-Match", "\"1\""}})
          .status,
      200);
  ASSERT_EQ(as("ada", "POST", "/api/v1/requests/" + id + "/attachments?name=map.png",
               std::string("\x89PNG\r\n\x1a\n", 8) + "data", {{"Content-Type", "image/png"}})
                .status,
            201);
  auto h = as("ada", "GET", "/api/v1/requests/" + id + "/history").json();
  auto items = h->getArray("items");
  ASSERT_EQ(items->size(), 3u);
  std::vector<std::string> types;
  std::string prev = "0000000000000000000000000000000000000000000000000000000000000000";
  for (unsigned i = 0; i < 3; ++i) {
    auto e = items->getObject(i);
    types.push_back(e->getValue<std::string>("type"));
    EXPECT_EQ(e->getValue<std::string>("actor"), "ada");
    EXPECT_EQ(e->getValue<std::string>("prev_hash"), prev);
    prev = e->getValue<std::string>("hash");
    EXPECT_EQ(e->getValue<int>("seq"), static_cast<int>(i) + 1);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"created", "edited", "attachment_added"}));
  EXPECT_EQ(items->getObject(1)
                ->getObject("data")
                ->getObject("patch")
                ->getObject("activity")
                ->getValue<std::string>("region"),
            "Savannah");
}

// Regression: Poco 1.11 tore OpenSSL down between concurrent token checks and the server crashed
// under load (found with wrk). Many threads verifying tokens at once must all be answered.
TEST_F(RequestApiTest, ManyConcurrentTokenChecksAreAllAnswered) {
  std::string id = createSample()->getValue<std::string>("id");
  std::string t = token("rita");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 150; ++k) {
        if (client_->as(t, "GET", "/api/v1/requests/" + id).status == 200) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 8 * 150);
  EXPECT_EQ(client_->send("GET", "/healthz").status, 200);
}

TEST_F(RequestApiTest, ApiKeysAuthenticateLikeTokens) {
  std::string key = service::issueApiKey(*store_, "GHA", "rita", "ci", "test", clock_, ids_);
  HttpResult r = client_->send("GET", "/api/v1/me", "", {{"Authorization", "Bearer " + key}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()->getValue<std::string>("name"), "rita");
  HttpResult wrong = client_->send("GET", "/api/v1/me", "", {{"Authorization", "Bearer " + key + "x"}});
  EXPECT_EQ(wrong.status, 401);
}

}  // namespace
}  // namespace a6::test
