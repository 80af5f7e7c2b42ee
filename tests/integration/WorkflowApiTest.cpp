// The shipped workflows driven end to end over HTTP: events, quorum, segregation of duties,
// guards, SLA timers on a manual clock, restart mid-review, concurrent decisions, amendments
// (with the first-transfer check), revocation and migration of running requests.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <fstream>
#include <thread>

#include "WorkflowFixture.h"

namespace a6::test {
namespace {

using WorkflowApiTest = WorkflowFixture;

using Poco::JSON::Object;

TEST_F(WorkflowApiTest, StandardWorkflowFromDraftToAuthorisedWithLetterAndUnfcccEffects) {
  std::string id = draft();
  EXPECT_EQ(available("ada", id), (std::vector<std::string>{"submit", "withdraw"}));
  EXPECT_TRUE(available("rita", id).empty());
  expectFire("ada", id, "submit");
  auto o = get(id);
  EXPECT_EQ(o->getValue<std::string>("state"), "in_review");
  EXPECT_EQ(o->getValue<std::string>("stage"), "screening");
  EXPECT_EQ(o->getObject("workflow")->getValue<std::string>("name"), "article6-2-standard");
  EXPECT_EQ(o->getObject("workflow")->getValue<int>("version"), 1);
  EXPECT_TRUE(has(available("rita", id), "accept"));
  EXPECT_TRUE(available("tom", id).empty());  // tom is not on screening

  expectFire("rita", id, "accept");
  EXPECT_EQ(stage(id), "technical_review");
  // Segregation of duties: rita screened, so she may not sit on the technical review.
  HttpResult rita = fire("rita", id, "endorse");
  EXPECT_EQ(rita.status, 403) << rita.body;
  EXPECT_NE(rita.body.find("screening"), std::string::npos) << rita.body;
  EXPECT_FALSE(has(available("rita", id), "endorse"));

  expectFire("tom", id, "endorse");
  EXPECT_EQ(stage(id), "technical_review");  // 1 of 2
  HttpResult twice = fire("tom", id, "endorse");
  EXPECT_EQ(twice.status, 409) << twice.body;
  expectFire("tess", id, "endorse");
  EXPECT_EQ(stage(id), "ministerial_approval");

  expectFire("amina", id, "approve");
  o = get(id);
  EXPECT_EQ(o->getValue<std::string>("state"), "authorised");
  std::string ref = o->getValue<std::string>("authorisation_ref");
  EXPECT_EQ(ref.rfind("GHA-A6-", 0), 0u) << ref;

  auto a = as("ada", "GET", "/api/v1/authorisations/" + ref).json();
  EXPECT_EQ(a->getValue<int>("current_version"), 1);
  EXPECT_EQ(a->getValue<std::string>("status"), "active");
  EXPECT_EQ(a->getArray("versions")->size(), 1u);
  EXPECT_TRUE(has(effects(id, "letter"), "letter-of-authorisation"));
  EXPECT_TRUE(has(effects(id, "unfccc"), "authorisation-issued"));
  // Webhook effects with no subscriber taking them are done, not pending (see WebhookTest).
  EXPECT_TRUE(effects(id, "webhook").empty());
  auto types = historyTypes(id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "vote"), 4);  // accept, endorse, endorse, approve
  EXPECT_TRUE(has(types, "authorisation_recorded"));
}

TEST_F(WorkflowApiTest, RefusalsSayWhichRuleAndWriteNothing) {
  std::string id = draft();
  std::int64_t before = eventCount();
  EXPECT_EQ(fire("rita", id, "submit").status, 403);           // only the applicant submits
  EXPECT_EQ(fire("rita", id, "accept").status, 409);           // not in review yet
  EXPECT_EQ(fire("ada", id, "teleport").status, 422);          // no such event
  HttpResult stale = as("ada", "POST", "/api/v1/requests/" + id + "/events", R"({"event": "submit"})",
                        {{"If-Match", "\"1\""}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  HttpResult noIfMatch = as("ada", "POST", "/api/v1/requests/" + id + "/events", R"({"event": "submit"})");
  EXPECT_EQ(noIfMatch.status, 428);
  HttpResult unknownField = as("ada", "POST", "/api/v1/requests/" + id + "/events",
                               R"({"event": "submit", "priority": "high"})", {{"If-Match", etag(id)}});
  EXPECT_EQ(unknownField.status, 422);
  EXPECT_EQ(eventCount(), before);

  expectFire("ada", id, "submit");
  before = eventCount();
  HttpResult applicant = fire("ada", id, "accept");
  EXPECT_EQ(applicant.status, 403) << applicant.body;
  HttpResult noComment = fire("rita", id, "reject");
  EXPECT_EQ(noComment.status, 422) << noComment.body;
  EXPECT_NE(noComment.body.find("\"comment\""), std::string::npos);
  HttpResult wrongRole = fire("amina", id, "accept");
  EXPECT_EQ(wrongRole.status, 403) << wrongRole.body;
  EXPECT_EQ(eventCount(), before);
  EXPECT_EQ(fire("ada", id, "submit").status, 409);  // already submitted
}

TEST_F(WorkflowApiTest, SubmittingAnIncompleteRequestListsWhatIsMissing) {
  std::string id = as("ada", "POST", "/api/v1/requests", R"({"activity": {"title": "Half done"}})")
                       .json()
                       ->getValue<std::string>("id");
  HttpResult r = fire("ada", id, "submit");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("authorisation.cooperative_approach_id"), std::string::npos);
  EXPECT_NE(r.body.find("applicant.contact_email"), std::string::npos);
  EXPECT_EQ(state(id), "draft");
}

TEST_F(WorkflowApiTest, ChangesRequestedAllowsEditsAndResubmissionStartsANewRound) {
  std::string id = draft();
  expectFire("ada", id, "submit");
  HttpResult edit = as("ada", "PATCH", "/api/v1/requests/" + id, R"({"activity": {"region": "x"}})",
                       {{"If-Match", etag(id)}});
  EXPECT_EQ(edit.status, 409) << edit.body;  // no edits while in review
  expectFire("rita", id, "request_changes", "Please attach the validation report");
  EXPECT_EQ(state(id), "changes_requested");
  EXPECT_EQ(as("ada", "PATCH", "/api/v1/requests/" + id, R"({"activity": {"region": "Upper East"}})",
               {{"If-Match", etag(id)}})
                .status,
            200);
  expectFire("ada", id, "submit");
  EXPECT_EQ(state(id), "in_review");
  EXPECT_EQ(stage(id), "screening");
}

TEST_F(WorkflowApiTest, NoObjectionThenAuthorisationIssuesTwoLettersOnOneRequest) {
  std::string id = draft();
  expectFire("ada", id, "submit", "", R"({"workflow": "no-objection-then-authorisation"})");
  EXPECT_EQ(stage(id), "idea_note_review");
  expectFire("rita", id, "issue_no_objection", "No objection to the idea note");
  EXPECT_EQ(state(id), "changes_requested");
  EXPECT_TRUE(has(effects(id, "letter"), "letter-of-no-objection"));
  EXPECT_FALSE(has(effects(id, "letter"), "letter-of-authorisation"));
  expectFire("ada", id, "submit");
  EXPECT_EQ(stage(id), "design_review");
  // Walk on with whoever may act, until authorised.
  for (int step = 0; step < 12 && state(id) != "authorised"; ++step) {
    bool moved = false;
    for (const char* user : {"tom", "tess", "theo", "rita", "amina"}) {
      auto events = available(user, id);
      if (events.empty()) continue;
      std::string pick = events.front();
      for (const auto& e : events) {
        if (e.find("approve") != std::string::npos || e.find("endorse") != std::string::npos ||
            e.find("accept") != std::string::npos || e.find("confirm") != std::string::npos ||
            e.find("valid") != std::string::npos)
          pick = e;
      }
      if (pick == "reject" || pick == "request_changes" || pick == "withdraw") continue;
      if (fire(user, id, pick, "ok").status == 200) {
        moved = true;
        break;
      }
    }
    ASSERT_TRUE(moved) << "stuck at stage " << stage(id);
  }
  EXPECT_EQ(state(id), "authorised");
  auto letters = effects(id, "letter");
  EXPECT_TRUE(has(letters, "letter-of-no-objection"));
  EXPECT_TRUE(has(letters, "letter-of-authorisation"));
}

TEST_F(WorkflowApiTest, BilateralWindowSilenceIsConsentAfterThirtyDays) {
  std::string id = draft();
  expectFire("ada", id, "submit", "", R"({"workflow": "bilateral-mutual"})");
  expectFire("rita", id, "accept");
  expectFire("tom", id, "endorse");
  expectFire("tess", id, "endorse");
  expectFire("amina", id, "approve");
  EXPECT_EQ(state(id), "approved");
  EXPECT_EQ(stage(id), "partner_objection_window");
  clock_.advance(std::chrono::hours(24 * 29));
  timers_->runOnce();
  EXPECT_EQ(state(id), "approved");
  clock_.advance(std::chrono::hours(24) + std::chrono::minutes(1));
  EXPECT_GE(timers_->runOnce(), 1);
  EXPECT_EQ(state(id), "authorised");
  EXPECT_TRUE(has(effects(id, "letter"), "letter-of-authorisation"));
  auto types = historyTypes(id);
  EXPECT_TRUE(has(types, "stage_completed"));
}

TEST_F(WorkflowApiTest, BilateralObjectionReturnsToReview) {
  std::string id = draft();
  expectFire("ada", id, "submit", "", R"({"workflow": "bilateral-mutual"})");
  expectFire("rita", id, "accept");
  expectFire("tom", id, "endorse");
  expectFire("tess", id, "endorse");
  expectFire("amina", id, "approve");
  expectFire("pat", id, "object", "The crediting period overlaps our NDC accounting");
  EXPECT_EQ(state(id), "in_review");
  EXPECT_EQ(stage(id), "technical_review");
  // The window's timer no longer applies.
  clock_.advance(std::chrono::hours(24 * 31));
  timers_->runOnce();
  EXPECT_EQ(state(id), "in_review");
}

TEST_F(WorkflowApiTest, Article64DnaApprovalIssuesTheLetterOfApproval) {
  std::string id = draft();
  expectFire("ada", id, "submit", "", R"({"workflow": "article6-4-dna"})");
  for (int step = 0; step < 8 && state(id) != "authorised"; ++step) {
    bool moved = false;
    for (const char* user : {"rita", "amina"}) {
      for (const auto& e : available(user, id)) {
        if (e == "reject" || e == "request_changes" || e == "withdraw") continue;
        if (fire(user, id, e, "ok").status == 200) {
          moved = true;
          break;
        }
      }
      if (moved) break;
    }
    ASSERT_TRUE(moved) << "stuck at stage " << stage(id);
  }
  EXPECT_EQ(state(id), "authorised");
  EXPECT_TRUE(has(effects(id, "letter"), "letter-of-approval"));
  EXPECT_TRUE(has(effects(id, "unfccc"), "a64-authorisation"));
}

TEST_F(WorkflowApiTest, SlaReminderThenEscalationOnAManualClock) {
  std::string id = draft();
  expectFire("ada", id, "submit");
  EXPECT_EQ(store_->pendingTimers(id).size(), 2u);  // screening: reminder and breach
  clock_.advance(std::chrono::hours(24 * 7) + std::chrono::minutes(1));
  EXPECT_EQ(timers_->runOnce(), 1);
  EXPECT_TRUE(has(historyTypes(id), "sla_reminder"));
  EXPECT_FALSE(has(historyTypes(id), "sla_breached"));
  EXPECT_TRUE(has(effects(id, "email"), "sla-reminder"));
  clock_.advance(std::chrono::hours(24 * 3));
  EXPECT_EQ(timers_->runOnce(), 1);
  EXPECT_TRUE(has(historyTypes(id), "sla_breached"));
  EXPECT_TRUE(has(effects(id, "email"), "sla-breach"));
  EXPECT_TRUE(effects(id, "webhook").empty());  // sla.breached: no subscriber here
  EXPECT_EQ(timers_->runOnce(), 0);  // fired once, never again
  // Leaving the stage cancels what is left of its timers.
  expectFire("rita", id, "accept");
  for (const auto& t : store_->pendingTimers(id)) EXPECT_EQ(t.stage, "technical_review");
}

TEST_F(WorkflowApiTest, ARestartMidReviewResumesExactlyWhereItWas) {
  std::string id = draft();
  expectFire("ada", id, "submit");
  expectFire("rita", id, "accept");
  expectFire("tom", id, "endorse");
  stop();
  start();
  EXPECT_EQ(stage(id), "technical_review");
  EXPECT_EQ(fire("tom", id, "endorse").status, 409);  // his vote survived the restart
  // Timers survive too: the technical review's SLA (P20D) is still pending, and fires after a
  // restart that comes once it is due.
  EXPECT_EQ(store_->pendingTimers(id).size(), 1u);
  clock_.advance(std::chrono::hours(24 * 21));
  stop();
  start();
  EXPECT_EQ(timers_->runOnce(), 1);
  EXPECT_TRUE(has(historyTypes(id), "sla_breached"));
  expectFire("tess", id, "endorse");
  EXPECT_EQ(stage(id), "ministerial_approval");
  EXPECT_EQ(state(id), "in_review");
}

TEST_F(WorkflowApiTest, TwoReviewersDecidingAtOnceAreSerialisedAndCountedOnce) {
  std::string id = draft();
  expectFire("ada", id, "submit");
  expectFire("rita", id, "accept");
  std::string tag = etag(id);
  std::string tTom = token("tom"), tTess = token("tess");
  int sTom = 0, sTess = 0;
  std::thread a([&] {
    sTom = client_->as(tTom, "POST", "/api/v1/requests/" + id + "/events", R"({"event": "endorse"})", {{"If-Match", tag}})
               .status;
  });
  std::thread b([&] {
    sTess =
        client_->as(tTess, "POST", "/api/v1/requests/" + id + "/events", R"({"event": "endorse"})", {{"If-Match", tag}})
            .status;
  });
  a.join();
  b.join();
  EXPECT_EQ(std::min(sTom, sTess), 200);
  EXPECT_EQ(std::max(sTom, sTess), 412);
  EXPECT_EQ(stage(id), "technical_review");  // one vote counted, not two
  auto types = historyTypes(id);
  EXPECT_EQ(std::count(types.begin(), types.end(), "vote"), 2);  // rita's accept and one endorse
  expectFire(sTom == 200 ? "tess" : "tom", id, "endorse");
  EXPECT_EQ(stage(id), "ministerial_approval");
}

TEST_F(WorkflowApiTest, AmendmentMakesVersionTwoAndKeepsVersionOne) {
  std::string id = draft();
  std::string ref = authorise(id);
  HttpResult open = as("ada", "POST", "/api/v1/authorisations/" + ref + "/amendments",
                       R"({"changes": {"authorisation": {"authorized_quantity": 1200000}}, "comment": "Smaller scope"})");
  ASSERT_EQ(open.status, 201) << open.body;
  EXPECT_EQ(state(id), "amendment_in_review");
  EXPECT_EQ(as("ada", "GET", "/api/v1/authorisations/" + ref).json()->getValue<std::string>("status"),
            "amendment_in_review");
  expectFire("rita", id, "accept");
  expectFire("amina", id, "approve");
  EXPECT_EQ(state(id), "authorised");
  auto a = as("ada", "GET", "/api/v1/authorisations/" + ref).json();
  EXPECT_EQ(a->getValue<int>("current_version"), 2);
  auto versions = a->getArray("versions");
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_TRUE(versions->getObject(0)->getObject("fields")->getObject("authorisation")->getValue<std::int64_t>(
                  "authorized_quantity") == 1500000);
  EXPECT_TRUE(versions->getObject(1)->getObject("fields")->getObject("authorisation")->getValue<std::int64_t>(
                  "authorized_quantity") == 1200000);
  EXPECT_EQ(versions->getObject(1)->getArray("changes")->getElement<std::string>(0), "authorisation.authorized_quantity");
  EXPECT_TRUE(has(effects(id, "letter"), "amendment"));
  EXPECT_TRUE(has(effects(id, "unfccc"), "authorisation-amended"));
}

TEST_F(WorkflowApiTest, NoAmendmentBeforeAuthorisation) {
  std::string id = draft();
  expectFire("ada", id, "submit");
  // There is no authorisation to amend: no reference exists, and the event alone is refused.
  HttpResult viaEvents = fire("ada", id, "open_amendment");
  EXPECT_EQ(viaEvents.status, 422) << viaEvents.body;
  EXPECT_NE(viaEvents.body.find("/amendments"), std::string::npos);
  EXPECT_TRUE(get(id)->isNull("authorisation_ref"));
  EXPECT_EQ(as("ada", "POST", "/api/v1/authorisations/GHA-A6-2026-9999/amendments",
               R"({"changes": {"authorisation": {"authorized_quantity": 1}}})")
                .status,
            404);
  EXPECT_EQ(state(id), "in_review");
}

TEST_F(WorkflowApiTest, AnAmendmentMayNotCutBelowWhatWasFirstTransferred) {
  std::string id = draft();
  std::string ref = authorise(id);
  HttpResult t = as("reg", "POST", "/api/v1/authorisations/" + ref + "/first-transfers",
                    R"({"quantity": 1000000, "serial_first": "CA0042-GHA01-GHA-1-2025",
                        "serial_last": "CA0042-GHA01-GHA-1000000-2025", "date": "2026-03-01"})");
  ASSERT_EQ(t.status, 201) << t.body;
  EXPECT_EQ(as("ada", "POST", "/api/v1/authorisations/" + ref + "/first-transfers",
               R"({"quantity": 1, "serial_first": "a", "serial_last": "b", "date": "2026-03-01"})")
                .status,
            403);
  std::int64_t before = eventCount();
  HttpResult cut = as("ada", "POST", "/api/v1/authorisations/" + ref + "/amendments",
                      R"({"changes": {"authorisation": {"authorized_quantity": 900000}}})");
  EXPECT_EQ(cut.status, 409) << cut.body;
  EXPECT_NE(cut.body.find("first-transferred"), std::string::npos) << cut.body;
  EXPECT_EQ(eventCount(), before);
  EXPECT_EQ(state(id), "authorised");
  HttpResult ok = as("ada", "POST", "/api/v1/authorisations/" + ref + "/amendments",
                     R"({"changes": {"authorisation": {"authorized_quantity": 1000000}}})");
  EXPECT_EQ(ok.status, 201) << ok.body;
  // More transfers than authorised are refused too.
  HttpResult over = as("reg", "POST", "/api/v1/authorisations/" + ref + "/first-transfers",
                       R"({"quantity": 600000, "serial_first": "x", "serial_last": "y", "date": "2026-04-01"})");
  EXPECT_EQ(over.status, 409) << over.body;
}

TEST_F(WorkflowApiTest, RevocationNeedsAnApproverAndAReasonAndIsFinal) {
  std::string id = draft();
  std::string ref = authorise(id);
  std::string path = "/api/v1/authorisations/" + ref + "/revocation";
  EXPECT_EQ(as("ada", "POST", path, R"({"reason": "I changed my mind"})").status, 403);
  EXPECT_EQ(as("amina", "POST", path, R"({"reason": ""})").status, 422);
  HttpResult r = as("amina", "POST", path, R"({"reason": "The entity lost its accreditation"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(state(id), "revoked");
  EXPECT_EQ(as("ada", "GET", "/api/v1/authorisations/" + ref).json()->getValue<std::string>("status"), "revoked");
  EXPECT_TRUE(has(effects(id, "letter"), "revocation"));
  EXPECT_EQ(as("amina", "POST", path, R"({"reason": "again"})").status, 409);
  EXPECT_EQ(as("ada", "POST", "/api/v1/authorisations/" + ref + "/amendments",
               R"({"changes": {"authorisation": {"authorized_quantity": 1}}})")
                .status,
            409);
  EXPECT_TRUE(available("amina", id).empty());
  EXPECT_TRUE(available("ada", id).empty());
}

TEST_F(WorkflowApiTest, WorkflowsAreListedWithVersionsHashesAndGraphs) {
  auto list = as("ada", "GET", "/api/v1/workflows").json()->getArray("items");
  std::set<std::string> names;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto w = list->getObject(static_cast<unsigned>(i));
    names.insert(w->getValue<std::string>("name"));
    EXPECT_EQ(w->getValue<std::string>("sha256").size(), 64u);
  }
  EXPECT_EQ(names, (std::set<std::string>{"article6-2-standard", "article6-4-dna", "bilateral-mutual",
                                          "no-objection-then-authorisation"}));
  auto one = as("ada", "GET", "/api/v1/workflows/article6-2-standard/1").json();
  EXPECT_EQ(one->getArray("stages")->size(), 5u);
  EXPECT_NE(one->getValue<std::string>("dot").find("digraph"), std::string::npos);
  EXPECT_EQ(as("ada", "GET", "/api/v1/workflows/article6-2-standard/9").status, 404);
}

TEST_F(WorkflowApiTest, MigrationMovesRunningRequestsWhoseStageExistsAndReportsTheRest) {
  std::string atScreening = draft();
  expectFire("ada", atScreening, "submit");
  std::string atTechnical = draft();
  expectFire("ada", atTechnical, "submit");
  expectFire("rita", atTechnical, "accept");
  expectFire("tom", atTechnical, "endorse");

  // Version 2 renames the technical review.
  std::string v1 = readFile(std::string(A6_SOURCE_DIR) + "/workflows/definitions/article6-2-standard.xml");
  std::string v2 = v1;
  auto replaceAll = [](std::string& s, const std::string& a, const std::string& b) {
    for (auto p = s.find(a); p != std::string::npos; p = s.find(a, p + b.size())) s.replace(p, a.size(), b);
  };
  replaceAll(v2, "version=\"1\"", "version=\"2\"");
  replaceAll(v2, "technical_review", "expert_review");
  TempDir v2dir;
  writeFile(v2dir.file("article6-2-standard-v2.xml"), v2);
  workflows_->registerDirectory(v2dir.path(), "test");

  auto dry = workflows_->migrate("article6-2-standard", 2, {}, "test", true);
  EXPECT_EQ(dry.moved.size(), 1u);  // screening exists in v2
  EXPECT_EQ(dry.kept.size(), 1u);   // technical_review does not
  EXPECT_NE(dry.kept[0].find("technical_review"), std::string::npos);
  EXPECT_EQ(get(atScreening)->getObject("workflow")->getValue<int>("version"), 1);  // a dry run writes nothing

  auto report = workflows_->migrate("article6-2-standard", 2, {{"technical_review", "expert_review"}}, "test", false);
  EXPECT_EQ(report.moved.size(), 2u);
  EXPECT_EQ(get(atTechnical)->getObject("workflow")->getValue<int>("version"), 2);
  EXPECT_EQ(stage(atTechnical), "expert_review");
  // Tom's vote before the migration still counts.
  EXPECT_EQ(fire("tom", atTechnical, "endorse").status, 409);
  expectFire("tess", atTechnical, "endorse");
  EXPECT_EQ(stage(atTechnical), "ministerial_approval");
  expectFire("rita", atScreening, "accept");
  EXPECT_EQ(stage(atScreening), "expert_review");
}

}  // namespace
}  // namespace a6::test
