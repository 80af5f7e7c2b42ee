// The definitions shipped in workflows/definitions/: each loads against the real request field
// list, says what procedure it models, has the stages, roles and outcomes it promises, and draws.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "a6/workflows/DefinitionLoader.h"
#include "a6/workflows/Graph.h"

namespace a6::workflows {
namespace {

using namespace std::chrono;

// The leaf paths of the request JSON, as the service passes them.
const LoadOptions kRequestFields{{
    "applicant.organisation",
    "applicant.contact_name",
    "applicant.contact_email",
    "activity.title",
    "activity.description",
    "activity.host_country",
    "activity.region",
    "activity.sector",
    "activity.activity_type",
    "activity.standard",
    "activity.methodology",
    "activity.design_document_ref",
    "activity.crediting_period.from",
    "activity.crediting_period.to",
    "authorisation.cooperative_approach_id",
    "authorisation.requested_quantity",
    "authorisation.authorized_quantity",
    "authorisation.metric",
    "authorisation.gwp_values",
    "authorisation.non_ghg_metric",
    "authorisation.non_ghg_unit",
    "authorisation.purposes",
    "authorisation.oimp_authorized",
    "authorisation.first_transfer_definition",
    "authorisation.authorized_parties",
    "authorisation.authorized_entities",
    "authorisation.timeframe.mitigation_from",
    "authorisation.timeframe.mitigation_to",
    "authorisation.timeframe.use_from",
    "authorisation.timeframe.use_to",
    "authorisation.vintages.from",
    "authorisation.vintages.to",
    "authorisation.underlying_unit_registry",
    "authorisation.terms_and_conditions",
    "authorisation.additional_information",
}};

const char* const kShipped[] = {"article6-2-standard", "no-objection-then-authorisation", "bilateral-mutual",
                                "article6-4-dna"};

std::string pathOf(const std::string& name) {
  return std::string(A6_SOURCE_DIR) + "/workflows/definitions/" + name + ".xml";
}

Definition load(const std::string& name) { return loadDefinitionFile(pathOf(name), kRequestFields); }

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const Decision* decisionOf(const Stage* s, const std::string& event) {
  if (!s) return nullptr;
  for (const auto& d : s->decisions) {
    if (d.event == event) return &d;
  }
  return nullptr;
}

bool hasEffect(const std::vector<Effect>& effects, Effect::Kind kind, const std::string& name,
               const std::string& extra = "") {
  return std::any_of(effects.begin(), effects.end(), [&](const Effect& e) {
    if (e.kind != kind) return false;
    switch (kind) {
      case Effect::Kind::Letter:
        return e.templateName == name && (extra.empty() || e.signerRole == extra);
      case Effect::Kind::Unfccc:
        return e.messageType == name;
      case Effect::Kind::Email:
        return e.templateName == name && (extra.empty() || e.to == extra);
      case Effect::Kind::Webhook:
        return e.eventType == name;
    }
    return false;
  });
}

bool hasRole(const Definition& d, const std::string& id) {
  return std::any_of(d.roles.begin(), d.roles.end(), [&](const Role& r) { return r.id == id; });
}

std::vector<std::string> stageIds(const Definition& d, Phase phase) {
  std::vector<std::string> ids;
  for (const Stage* s : d.stagesIn(phase)) ids.push_back(s->id);
  return ids;
}

// Every amendment route ends in a new version of the authorisation.
void expectAmendmentPhase(const Definition& d) {
  auto stages = d.stagesIn(Phase::Amendment);
  ASSERT_FALSE(stages.empty()) << d.name;
  bool approves = false;
  for (const Stage* s : stages) {
    for (const auto& dec : s->decisions) approves = approves || dec.outcome == Outcome::AmendmentApproved;
  }
  EXPECT_TRUE(approves) << d.name;
}

TEST(ShippedDefinitionsTest, EachLoadsAndSaysWhatItModels) {
  for (const char* name : kShipped) {
    SCOPED_TRACE(name);
    auto problems = checkDefinitionFile(pathOf(name), kRequestFields);
    for (const auto& p : problems) ADD_FAILURE() << p.file << ":" << p.line << ": " << p.reason;
    Definition d = load(name);
    EXPECT_EQ(d.name, name);
    EXPECT_EQ(d.version, 1);
    EXPECT_FALSE(d.title.empty());
    EXPECT_FALSE(d.description.empty());
    EXPECT_EQ(d.sha256.size(), 64u);
    // The file opens (after the XML declaration) with a comment on the real procedure it models.
    std::string text = readText(pathOf(name));
    auto afterDeclaration = text.rfind("<?xml", 0) == 0 ? text.find("?>") + 2 : 0;
    auto firstTag = text.find('<', afterDeclaration);
    EXPECT_EQ(text.compare(firstTag, 4, "<!--"), 0);
  }
}

TEST(ShippedDefinitionsTest, EachGraphMentionsEveryStage) {
  for (const char* name : kShipped) {
    SCOPED_TRACE(name);
    Definition d = load(name);
    std::string dot = toDot(d, d.entryStage()->id);
    for (const auto& s : d.stages) {
      EXPECT_NE(dot.find("\"" + s.id + "\" [label=\"" + s.id + "\\n"), std::string::npos) << s.id;
    }
    EXPECT_NE(dot.find("filled"), std::string::npos);
  }
}

TEST(ShippedDefinitionsTest, Article62Standard) {
  Definition d = load("article6-2-standard");
  for (const char* role : {"cmo-officer", "technical-committee", "minister"}) EXPECT_TRUE(hasRole(d, role)) << role;
  EXPECT_EQ(stageIds(d, Phase::Review), (std::vector<std::string>{"screening", "technical_review"}));
  EXPECT_EQ(stageIds(d, Phase::Approval), (std::vector<std::string>{"ministerial_approval"}));
  EXPECT_TRUE(d.stagesIn(Phase::Confirmation).empty());
  EXPECT_EQ(stageIds(d, Phase::Amendment), (std::vector<std::string>{"amendment_screening", "amendment_approval"}));

  EXPECT_TRUE(hasEffect(d.spineEffects.onSubmitted, Effect::Kind::Email, "request-received", "applicant"));
  EXPECT_TRUE(hasEffect(d.spineEffects.onSubmitted, Effect::Kind::Webhook, "request.submitted"));
  EXPECT_TRUE(hasEffect(d.spineEffects.onRevoked, Effect::Kind::Letter, "revocation", "minister"));
  EXPECT_TRUE(hasEffect(d.spineEffects.onRevoked, Effect::Kind::Unfccc, "authorisation-revoked"));
  EXPECT_TRUE(hasEffect(d.spineEffects.onRevoked, Effect::Kind::Webhook, "authorisation.revoked"));
  for (const auto& s : d.stages) {
    EXPECT_TRUE(hasEffect(s.onEnter, Effect::Kind::Email, "stage-assigned", s.role)) << s.id;
    EXPECT_TRUE(hasEffect(s.onEnter, Effect::Kind::Webhook, "stage.entered")) << s.id;
  }

  const Stage* screening = d.stage("screening");
  ASSERT_NE(screening, nullptr);
  EXPECT_EQ(screening->role, "cmo-officer");
  ASSERT_TRUE(screening->sla);
  EXPECT_EQ(screening->sla->due, days(10));
  EXPECT_EQ(screening->sla->reminder, days(7));
  EXPECT_EQ(screening->sla->escalateTo, "minister");
  ASSERT_NE(decisionOf(screening, "accept"), nullptr);
  EXPECT_EQ(decisionOf(screening, "accept")->next, "technical_review");
  const Decision* changes = decisionOf(screening, "request_changes");
  ASSERT_NE(changes, nullptr);
  EXPECT_EQ(changes->outcome, Outcome::ChangesRequested);
  EXPECT_TRUE(changes->commentRequired);
  const Decision* reject = decisionOf(screening, "reject");
  ASSERT_NE(reject, nullptr);
  EXPECT_EQ(reject->outcome, Outcome::Rejected);
  EXPECT_TRUE(reject->commentRequired);
  EXPECT_TRUE(hasEffect(reject->effects, Effect::Kind::Letter, "rejection", "minister"));
  EXPECT_TRUE(hasEffect(reject->effects, Effect::Kind::Email, "decision", "applicant"));

  const Stage* technical = d.stage("technical_review");
  ASSERT_NE(technical, nullptr);
  EXPECT_EQ(technical->role, "technical-committee");
  EXPECT_EQ(technical->quorum, 2);
  EXPECT_EQ(technical->of, 3);
  EXPECT_EQ(technical->segregatedFrom, (std::vector<std::string>{"screening"}));
  ASSERT_TRUE(technical->sla);
  EXPECT_EQ(technical->sla->due, days(20));
  ASSERT_NE(decisionOf(technical, "endorse"), nullptr);
  EXPECT_EQ(decisionOf(technical, "endorse")->next, "ministerial_approval");
  const Decision* technicalChanges = decisionOf(technical, "request_changes");
  ASSERT_NE(technicalChanges, nullptr);
  EXPECT_EQ(technicalChanges->outcome, Outcome::ChangesRequested);
  EXPECT_EQ(technicalChanges->quorum, 1);
  EXPECT_TRUE(technicalChanges->commentRequired);

  const Stage* minister = d.stage("ministerial_approval");
  ASSERT_NE(minister, nullptr);
  EXPECT_EQ(minister->role, "minister");
  const Decision* approve = decisionOf(minister, "approve");
  ASSERT_NE(approve, nullptr);
  EXPECT_EQ(approve->outcome, Outcome::Approved);
  ASSERT_EQ(approve->guards.size(), 1u);
  EXPECT_EQ(approve->guards[0].field, "authorisation.cooperative_approach_id");
  EXPECT_EQ(approve->guards[0].op, Guard::Op::Present);
  EXPECT_TRUE(hasEffect(approve->effects, Effect::Kind::Letter, "letter-of-authorisation", "minister"));
  EXPECT_TRUE(hasEffect(approve->effects, Effect::Kind::Unfccc, "authorisation-issued"));
  EXPECT_TRUE(hasEffect(approve->effects, Effect::Kind::Webhook, "request.authorised"));
  EXPECT_TRUE(hasEffect(approve->effects, Effect::Kind::Email, "decision", "applicant"));
  ASSERT_NE(decisionOf(minister, "reject"), nullptr);
  EXPECT_EQ(decisionOf(minister, "reject")->outcome, Outcome::Rejected);
  EXPECT_TRUE(decisionOf(minister, "reject")->commentRequired);

  const Stage* amendmentScreening = d.stage("amendment_screening");
  ASSERT_NE(amendmentScreening, nullptr);
  EXPECT_EQ(amendmentScreening->role, "cmo-officer");
  EXPECT_EQ(decisionOf(amendmentScreening, "accept")->next, "amendment_approval");
  EXPECT_EQ(decisionOf(amendmentScreening, "reject")->outcome, Outcome::Rejected);
  const Stage* amendmentApproval = d.stage("amendment_approval");
  ASSERT_NE(amendmentApproval, nullptr);
  EXPECT_EQ(amendmentApproval->role, "minister");
  const Decision* amend = decisionOf(amendmentApproval, "approve");
  ASSERT_NE(amend, nullptr);
  EXPECT_EQ(amend->outcome, Outcome::AmendmentApproved);
  EXPECT_TRUE(hasEffect(amend->effects, Effect::Kind::Letter, "amendment", "minister"));
  EXPECT_TRUE(hasEffect(amend->effects, Effect::Kind::Unfccc, "authorisation-amended"));
  EXPECT_TRUE(hasEffect(amend->effects, Effect::Kind::Webhook, "authorisation.amended"));
  EXPECT_EQ(decisionOf(amendmentApproval, "reject")->outcome, Outcome::Rejected);
}

TEST(ShippedDefinitionsTest, NoObjectionThenAuthorisation) {
  Definition d = load("no-objection-then-authorisation");
  EXPECT_EQ(stageIds(d, Phase::Review),
            (std::vector<std::string>{"idea_note_review", "design_review", "validation_check"}));
  EXPECT_EQ(stageIds(d, Phase::Approval), (std::vector<std::string>{"authorisation_decision"}));

  const Stage* idea = d.stage("idea_note_review");
  ASSERT_NE(idea, nullptr);
  EXPECT_EQ(idea->role, "cmo-officer");
  const Decision* noObjection = decisionOf(idea, "issue_no_objection");
  ASSERT_NE(noObjection, nullptr);
  EXPECT_EQ(noObjection->outcome, Outcome::ChangesRequested);
  EXPECT_EQ(noObjection->resume, "design_review");
  EXPECT_TRUE(hasEffect(noObjection->effects, Effect::Kind::Letter, "letter-of-no-objection"));
  EXPECT_EQ(decisionOf(idea, "reject")->outcome, Outcome::Rejected);

  const Stage* design = d.stage("design_review");
  ASSERT_NE(design, nullptr);
  EXPECT_EQ(design->role, "technical-committee");
  EXPECT_EQ(design->quorum, 2);
  EXPECT_EQ(design->of, 3);

  const Stage* validation = d.stage("validation_check");
  ASSERT_NE(validation, nullptr);
  EXPECT_EQ(validation->role, "cmo-officer");
  EXPECT_EQ(validation->segregatedFrom, (std::vector<std::string>{"design_review"}));

  const Stage* decision = d.stage("authorisation_decision");
  ASSERT_NE(decision, nullptr);
  EXPECT_EQ(decision->role, "minister");
  const Decision* approve = decisionOf(decision, "approve");
  ASSERT_NE(approve, nullptr);
  EXPECT_EQ(approve->outcome, Outcome::Approved);
  EXPECT_TRUE(hasEffect(approve->effects, Effect::Kind::Letter, "letter-of-authorisation", "minister"));
  EXPECT_TRUE(hasEffect(approve->effects, Effect::Kind::Unfccc, "authorisation-issued"));

  // Two letters on one request: the no-objection letter, then the authorisation.
  int letters = 0;
  for (const auto& s : d.stages) {
    if (s.phase == Phase::Amendment) continue;
    for (const auto& dec : s.decisions) {
      letters += static_cast<int>(std::count_if(dec.effects.begin(), dec.effects.end(),
                                                [](const Effect& e) { return e.kind == Effect::Kind::Letter; }));
    }
  }
  EXPECT_EQ(letters, 2);
  expectAmendmentPhase(d);
}

TEST(ShippedDefinitionsTest, BilateralMutual) {
  Definition d = load("bilateral-mutual");
  EXPECT_TRUE(hasRole(d, "partner-liaison"));
  EXPECT_EQ(stageIds(d, Phase::Review), (std::vector<std::string>{"screening", "technical_review"}));
  EXPECT_EQ(stageIds(d, Phase::Approval), (std::vector<std::string>{"national_approval"}));
  EXPECT_EQ(stageIds(d, Phase::Confirmation), (std::vector<std::string>{"partner_objection_window"}));

  const Stage* national = d.stage("national_approval");
  ASSERT_NE(national, nullptr);
  EXPECT_EQ(national->role, "minister");
  const Decision* approve = decisionOf(national, "approve");
  ASSERT_NE(approve, nullptr);
  EXPECT_EQ(approve->outcome, Outcome::Approved);
  EXPECT_TRUE(hasEffect(approve->effects, Effect::Kind::Webhook, "request.approved"));
  EXPECT_TRUE(hasEffect(approve->effects, Effect::Kind::Email, "partner-notice", "partner-liaison"));

  const Stage* window = d.stage("partner_objection_window");
  ASSERT_NE(window, nullptr);
  EXPECT_EQ(window->role, "partner-liaison");
  ASSERT_TRUE(window->timeout);
  EXPECT_EQ(window->timeout->after, days(30));
  EXPECT_EQ(window->timeout->decision, "consent");
  const Decision* consent = decisionOf(window, "consent");
  ASSERT_NE(consent, nullptr);
  EXPECT_EQ(consent->outcome, Outcome::Authorised);
  EXPECT_TRUE(hasEffect(consent->effects, Effect::Kind::Letter, "letter-of-authorisation"));
  EXPECT_TRUE(hasEffect(consent->effects, Effect::Kind::Unfccc, "authorisation-issued"));
  const Decision* object = decisionOf(window, "object");
  ASSERT_NE(object, nullptr);
  EXPECT_EQ(object->next, "technical_review");
  EXPECT_TRUE(object->commentRequired);

  std::string dot = toDot(d);
  EXPECT_NE(dot.find("timeout P30D"), std::string::npos);
  expectAmendmentPhase(d);
}

TEST(ShippedDefinitionsTest, Article64Dna) {
  Definition d = load("article6-4-dna");
  EXPECT_TRUE(hasRole(d, "dna-officer"));
  EXPECT_TRUE(hasRole(d, "dna-director"));
  const Stage* review = d.stage("dna_review");
  ASSERT_NE(review, nullptr);
  EXPECT_EQ(review->phase, Phase::Review);
  EXPECT_EQ(review->role, "dna-officer");
  EXPECT_EQ(decisionOf(review, "accept")->next, "dna_approval");

  const Stage* approval = d.stage("dna_approval");
  ASSERT_NE(approval, nullptr);
  EXPECT_EQ(approval->phase, Phase::Approval);
  EXPECT_EQ(approval->role, "dna-director");
  const Decision* approve = decisionOf(approval, "approve");
  ASSERT_NE(approve, nullptr);
  EXPECT_EQ(approve->outcome, Outcome::Approved);
  EXPECT_TRUE(hasEffect(approve->effects, Effect::Kind::Letter, "letter-of-approval"));
  EXPECT_TRUE(hasEffect(approve->effects, Effect::Kind::Unfccc, "a64-authorisation"));
  ASSERT_NE(decisionOf(approval, "request_changes"), nullptr);
  EXPECT_EQ(decisionOf(approval, "request_changes")->outcome, Outcome::ChangesRequested);
  ASSERT_NE(decisionOf(approval, "reject"), nullptr);
  EXPECT_EQ(decisionOf(approval, "reject")->outcome, Outcome::Rejected);
  expectAmendmentPhase(d);
}

}  // namespace
}  // namespace a6::workflows
