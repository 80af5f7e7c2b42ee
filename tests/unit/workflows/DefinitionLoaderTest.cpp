// The definition loader: what it reads into the model, and each problem it reports with the line
// of the element concerned. Lines are found by a marker in the inline XML so that they stay exact.
#include "a6/workflows/DefinitionLoader.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "a6/core/Error.h"
#include "a6/signing/Digest.h"

namespace a6::workflows {
namespace {

using namespace std::chrono;

const LoadOptions kOptions{{"authorisation.authorized_quantity", "authorisation.cooperative_approach_id",
                            "authorisation.purposes", "authorisation.vintages.from", "activity.host_country"}};

// Two roles, then `body` (spine effects and phases).
std::string workflow(const std::string& body) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<workflow xmlns="urn:a6auth:workflow:1" name="test-flow" version="3">
  <title>Test   flow</title>
  <roles>
    <role id="officer">Officer</role>
    <role id="minister">Minister</role>
  </roles>
)" + body +
         "</workflow>\n";
}

const std::string kApproval = R"(  <approval>
    <stage id="decide" role="minister">
      <decision event="approve" outcome="approved"/>
      <decision event="reject" outcome="rejected"/>
    </stage>
  </approval>
)";

// The 1-based line of the `occurrence`th line containing `needle`.
int lineOf(const std::string& text, const std::string& needle, int occurrence = 1) {
  int line = 1;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.substr(start, end - start).find(needle) != std::string::npos && --occurrence == 0) return line;
    start = end + 1;
    ++line;
  }
  ADD_FAILURE() << "marker not found: " << needle;
  return -1;
}

std::string listProblems(const std::vector<DefinitionProblem>& problems) {
  std::string out;
  for (const auto& p : problems) out += p.file + ":" + std::to_string(p.line) + ": " + p.reason + "\n";
  return out;
}

std::vector<DefinitionProblem> check(const std::string& xml) { return checkDefinitionText(xml, "test.xml", kOptions); }

// Exactly one problem, at `line`, whose reason contains `reason`.
void expectOnly(const std::string& xml, int line, const std::string& reason) {
  auto problems = check(xml);
  ASSERT_EQ(problems.size(), 1u) << listProblems(problems);
  EXPECT_EQ(problems[0].file, "test.xml");
  EXPECT_EQ(problems[0].line, line) << problems[0].reason;
  EXPECT_NE(problems[0].reason.find(reason), std::string::npos) << problems[0].reason;
}

// Some problem at `line` whose reason contains `reason`.
void expectHas(const std::vector<DefinitionProblem>& problems, int line, const std::string& reason) {
  for (const auto& p : problems) {
    if (p.line == line && p.reason.find(reason) != std::string::npos) return;
  }
  ADD_FAILURE() << "no problem at line " << line << " containing '" << reason << "' in:\n" << listProblems(problems);
}

// --- what is read ----------------------------------------------------------------------------

TEST(DefinitionLoaderTest, LoadsAMinimalDefinition) {
  const std::string xml = workflow(kApproval);
  Definition d = loadDefinitionText(xml, "minimal.xml", kOptions);
  EXPECT_EQ(d.name, "test-flow");
  EXPECT_EQ(d.version, 3);
  EXPECT_EQ(d.title, "Test flow");
  EXPECT_EQ(d.sourceFile, "minimal.xml");
  EXPECT_EQ(d.sha256, signing::sha256Hex(xml));
  ASSERT_EQ(d.roles.size(), 2u);
  EXPECT_EQ(d.roles[1].id, "minister");
  EXPECT_EQ(d.roles[1].description, "Minister");
  EXPECT_EQ(d.roles[1].line, lineOf(xml, "role id=\"minister\""));
  ASSERT_EQ(d.stages.size(), 1u);
  const Stage& s = d.stages[0];
  EXPECT_EQ(s.id, "decide");
  EXPECT_EQ(s.phase, Phase::Approval);
  EXPECT_EQ(s.quorum, 1);
  EXPECT_EQ(s.of, 1);
  EXPECT_EQ(s.line, lineOf(xml, "<stage id=\"decide\""));
  ASSERT_EQ(s.decisions.size(), 2u);
  EXPECT_EQ(s.decisions[0].outcome, Outcome::Approved);
  EXPECT_FALSE(s.decisions[0].commentRequired);
  EXPECT_FALSE(s.decisions[0].quorum.has_value());
  EXPECT_EQ(d.entryStage(), &d.stages[0]);
  EXPECT_EQ(d.amendmentEntryStage(), nullptr);
}

TEST(DefinitionLoaderTest, ReadsEveryElementIntoTheModel) {
  const std::string xml = workflow(R"(  <on-submitted>
    <email to="applicant" template="request-received"/>
    <webhook type="request.submitted"/>
  </on-submitted>
  <on-authorised><webhook type="request.authorised"/></on-authorised>
  <on-revoked><letter template="revocation" signer="minister"/></on-revoked>
  <on-withdrawn><unfccc message="withdrawn-note"/></on-withdrawn>
  <review>
    <stage id="screen" role="officer" quorum="2" of="3">
      <sla due="P10D" reminder="P7D" escalate-to="minister"/>
      <on-enter><email to="officer" template="stage-assigned"/></on-enter>
      <decision event="accept" next="decide" quorum="1" comment="required">
        <guard field="authorisation.purposes" op="in"><value>NDC</value><value>NDC and OIMP</value></guard>
        <guard field="authorisation.authorized_quantity" op="le" value="1000000"/>
        <webhook type="screened"/>
      </decision>
      <decision event="send_back" outcome="changes_requested" resume="decide"/>
    </stage>
  </review>
  <approval>
    <stage id="decide" role="minister">
      <segregation from="screen"/>
      <decision event="approve" outcome="approved">
        <letter template="letter-of-authorisation" signer="minister"/>
        <unfccc message="authorisation-issued"/>
      </decision>
    </stage>
  </approval>
  <confirmation>
    <stage id="wait" role="minister">
      <timeout after="P30D" decision="consent"/>
      <decision event="consent" outcome="authorised"/>
    </stage>
  </confirmation>
  <amendment>
    <stage id="amend" role="minister">
      <decision event="approve" outcome="amendment_approved"/>
    </stage>
  </amendment>
)");
  Definition d = loadDefinitionText(xml, "full.xml", kOptions);

  ASSERT_EQ(d.spineEffects.onSubmitted.size(), 2u);
  EXPECT_EQ(d.spineEffects.onSubmitted[0].kind, Effect::Kind::Email);
  EXPECT_EQ(d.spineEffects.onSubmitted[0].to, "applicant");
  EXPECT_EQ(d.spineEffects.onSubmitted[0].templateName, "request-received");
  EXPECT_EQ(d.spineEffects.onSubmitted[0].line, lineOf(xml, "request-received"));
  EXPECT_EQ(d.spineEffects.onSubmitted[1].eventType, "request.submitted");
  ASSERT_EQ(d.spineEffects.onAuthorised.size(), 1u);
  ASSERT_EQ(d.spineEffects.onRevoked.size(), 1u);
  EXPECT_EQ(d.spineEffects.onRevoked[0].signerRole, "minister");
  ASSERT_EQ(d.spineEffects.onWithdrawn.size(), 1u);
  EXPECT_EQ(d.spineEffects.onWithdrawn[0].messageType, "withdrawn-note");

  ASSERT_EQ(d.stages.size(), 4u);
  const Stage& screen = d.stages[0];
  EXPECT_EQ(screen.phase, Phase::Review);
  EXPECT_EQ(screen.quorum, 2);
  EXPECT_EQ(screen.of, 3);
  ASSERT_TRUE(screen.sla);
  EXPECT_EQ(screen.sla->due, days(10));
  EXPECT_EQ(screen.sla->reminder, days(7));
  EXPECT_EQ(screen.sla->escalateTo, "minister");
  EXPECT_EQ(screen.sla->line, lineOf(xml, "<sla"));
  ASSERT_EQ(screen.onEnter.size(), 1u);
  EXPECT_EQ(screen.onEnter[0].to, "officer");
  const Decision& accept = screen.decisions[0];
  EXPECT_EQ(accept.next, "decide");
  EXPECT_EQ(accept.outcome, Outcome::None);
  EXPECT_EQ(accept.quorum, 1);
  EXPECT_TRUE(accept.commentRequired);
  ASSERT_EQ(accept.guards.size(), 2u);
  EXPECT_EQ(accept.guards[0].op, Guard::Op::In);
  EXPECT_EQ(accept.guards[0].values, (std::vector<std::string>{"NDC", "NDC and OIMP"}));
  EXPECT_EQ(accept.guards[1].op, Guard::Op::Le);
  EXPECT_EQ(accept.guards[1].values, (std::vector<std::string>{"1000000"}));
  EXPECT_EQ(accept.guards[1].line, lineOf(xml, "op=\"le\""));
  ASSERT_EQ(accept.effects.size(), 1u);
  EXPECT_EQ(accept.effects[0].kind, Effect::Kind::Webhook);
  EXPECT_EQ(screen.decisions[1].outcome, Outcome::ChangesRequested);
  EXPECT_EQ(screen.decisions[1].resume, "decide");

  const Stage& decide = d.stages[1];
  EXPECT_EQ(decide.phase, Phase::Approval);
  EXPECT_EQ(decide.segregatedFrom, (std::vector<std::string>{"screen"}));
  ASSERT_EQ(decide.decisions[0].effects.size(), 2u);
  EXPECT_EQ(decide.decisions[0].effects[0].kind, Effect::Kind::Letter);
  EXPECT_EQ(decide.decisions[0].effects[0].templateName, "letter-of-authorisation");
  EXPECT_EQ(decide.decisions[0].effects[1].kind, Effect::Kind::Unfccc);
  EXPECT_EQ(decide.decisions[0].effects[1].messageType, "authorisation-issued");

  const Stage& wait = d.stages[2];
  EXPECT_EQ(wait.phase, Phase::Confirmation);
  ASSERT_TRUE(wait.timeout);
  EXPECT_EQ(wait.timeout->after, days(30));
  EXPECT_EQ(wait.timeout->decision, "consent");
  EXPECT_EQ(d.stages[3].phase, Phase::Amendment);

  EXPECT_EQ(d.entryStage()->id, "screen");
  EXPECT_EQ(d.amendmentEntryStage()->id, "amend");
  EXPECT_EQ(d.stagesIn(Phase::Confirmation).size(), 1u);
  EXPECT_EQ(d.stage("wait"), &d.stages[2]);
  EXPECT_EQ(d.stage("nope"), nullptr);
}

TEST(DefinitionLoaderTest, ModelNamesMatchTheXml) {
  EXPECT_STREQ(toString(Phase::Confirmation), "confirmation");
  EXPECT_STREQ(toString(Guard::Op::NotIn), "not-in");
  EXPECT_STREQ(toString(Guard::Op::Ge), "ge");
  EXPECT_STREQ(toString(Effect::Kind::Unfccc), "unfccc");
  EXPECT_STREQ(toString(Outcome::ChangesRequested), "changes_requested");
  EXPECT_STREQ(toString(Outcome::AmendmentApproved), "amendment_approved");
}

TEST(DefinitionLoaderTest, EmbeddedSchemaIsTheWorkflowXsd) {
  const std::string& xsd = workflowSchemaXsd();
  EXPECT_NE(xsd.find("targetNamespace=\"urn:a6auth:workflow:1\""), std::string::npos);
  EXPECT_NE(xsd.find("elementFormDefault=\"qualified\""), std::string::npos);
  EXPECT_EQ(xsd.find(")a6text"), std::string::npos);
}

// --- duplicates and unknown names --------------------------------------------------------------

TEST(DefinitionLoaderTest, DuplicateRoleId) {
  std::string xml = workflow(kApproval);
  xml.replace(xml.find("  </roles>"), 0, "    <role id=\"officer\">Again</role>\n");
  expectOnly(xml, lineOf(xml, "Again"), "role 'officer' is declared twice");
}

TEST(DefinitionLoaderTest, DuplicateStageId) {
  const std::string xml = workflow(R"(  <review>
    <stage id="decide" role="officer">
      <decision event="go" next="decide"/>
    </stage>
  </review>
)" + kApproval);
  auto problems = check(xml);
  expectHas(problems, lineOf(xml, "<stage id=\"decide\"", 2), "stage id 'decide' is used twice");
}

TEST(DefinitionLoaderTest, DuplicateDecisionEvent) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <decision event="approve" outcome="approved"/>
      <decision event="approve" outcome="rejected"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "outcome=\"rejected\""), "decision 'approve': the event appears twice");
}

TEST(DefinitionLoaderTest, UnknownStageRole) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="president">
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "<stage"), "unknown role 'president'");
}

TEST(DefinitionLoaderTest, UnknownEscalationRole) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <sla due="P5D" escalate-to="cabinet"/>
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "<sla"), "SLA escalates to unknown role 'cabinet'");
}

TEST(DefinitionLoaderTest, UnknownLetterSigner) {
  const std::string xml = workflow(R"(  <on-revoked>
    <letter template="revocation" signer="king"/>
  </on-revoked>
)" + kApproval);
  expectOnly(xml, lineOf(xml, "<letter"), "unknown signer role 'king'");
}

TEST(DefinitionLoaderTest, UnknownEmailRecipientButApplicantIsKnown) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <on-enter><email to="applicant" template="a"/></on-enter>
      <decision event="approve" outcome="approved">
        <email to="press-office" template="b"/>
      </decision>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "press-office"), "unknown recipient role 'press-office'");
}

TEST(DefinitionLoaderTest, ApplicantIsAReservedRoleId) {
  std::string xml = workflow(kApproval);
  xml.replace(xml.find("  </roles>"), 0, "    <role id=\"applicant\">Developer</role>\n");
  expectOnly(xml, lineOf(xml, "Developer"), "reserved");
}

TEST(DefinitionLoaderTest, UnknownNextStage) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <decision event="approve" outcome="approved"/>
      <decision event="escalate" next="cabinet_room"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "cabinet_room"), "next names unknown stage 'cabinet_room'");
}

TEST(DefinitionLoaderTest, UnknownResumeStage) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <decision event="approve" outcome="approved"/>
      <decision event="send_back" outcome="changes_requested" resume="nowhere"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "resume="), "resume names unknown stage 'nowhere'");
}

TEST(DefinitionLoaderTest, UnknownSegregationStage) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <segregation from="ghost"/>
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "<segregation"), "segregation from unknown stage 'ghost'");
}

TEST(DefinitionLoaderTest, SegregationFromItself) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <segregation from="decide"/>
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "<segregation"), "segregated from itself");
}

TEST(DefinitionLoaderTest, TimeoutDecisionNotInItsStage) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <timeout after="P30D" decision="consent"/>
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "<timeout"), "timeout decision 'consent' is not a decision of this stage");
}

TEST(DefinitionLoaderTest, DecisionNeedsExactlyOneOfNextAndOutcome) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <decision event="approve" outcome="approved"/>
      <decision event="both" outcome="rejected" next="decide"/>
      <decision event="neither"/>
    </stage>
  </approval>
)");
  auto problems = check(xml);
  ASSERT_EQ(problems.size(), 2u) << listProblems(problems);
  expectHas(problems, lineOf(xml, "event=\"both\""), "either next or outcome, not both");
  expectHas(problems, lineOf(xml, "event=\"neither\""), "needs next (a stage) or outcome");
}

TEST(DefinitionLoaderTest, SpineEventNamesAreReserved) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <decision event="approve" outcome="approved"/>
      <decision event="withdraw" outcome="rejected"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "event=\"withdraw\""), "'withdraw' is an event of the spine itself");
}

// --- quorum -----------------------------------------------------------------------------------

TEST(DefinitionLoaderTest, StageQuorumMoreThanOf) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister" quorum="3" of="2">
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "<stage"), "quorum 3 is more than of 2");
}

TEST(DefinitionLoaderTest, DecisionQuorumMoreThanStageOf) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister" quorum="2" of="3">
      <decision event="approve" outcome="approved" quorum="4"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "quorum=\"4\""), "decision 'approve': quorum 4 is more than the stage's of 3");
}

TEST(DefinitionLoaderTest, QuorumBelowOne) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister" quorum="0">
      <decision event="approve" outcome="approved"/>
      <decision event="reject" outcome="rejected" quorum="-1"/>
    </stage>
  </approval>
)");
  auto problems = check(xml);
  ASSERT_EQ(problems.size(), 2u) << listProblems(problems);
  expectHas(problems, lineOf(xml, "<stage"), "stage 'decide': quorum must be at least 1");
  expectHas(problems, lineOf(xml, "quorum=\"-1\""), "decision 'reject': quorum must be at least 1");
}

TEST(DefinitionLoaderTest, QuorumOutOfIntRange) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister" quorum="99999999999">
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "<stage"), "not a whole number in range");
}

// --- phases -----------------------------------------------------------------------------------

TEST(DefinitionLoaderTest, ApprovedOnlyInApprovalPhase) {
  const std::string xml = workflow(R"(  <review>
    <stage id="screen" role="officer">
      <decision event="wave_through" outcome="approved"/>
      <decision event="accept" next="decide"/>
    </stage>
  </review>
)" + kApproval);
  expectOnly(xml, lineOf(xml, "wave_through"), "outcome approved is only allowed in the approval phase");
}

TEST(DefinitionLoaderTest, AuthorisedOnlyInConfirmationPhase) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <decision event="approve" outcome="approved"/>
      <decision event="authorise" outcome="authorised"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "event=\"authorise\""), "outcome authorised is only allowed in the confirmation phase");
}

TEST(DefinitionLoaderTest, AmendmentApprovedOnlyInAmendmentPhase) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <decision event="approve" outcome="approved"/>
      <decision event="amend" outcome="amendment_approved"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "event=\"amend\""), "outcome amendment_approved is only allowed in the amendment phase");
}

TEST(DefinitionLoaderTest, ChangesRequestedNotInAmendmentOrConfirmation) {
  const std::string xml = workflow(kApproval + R"(  <confirmation>
    <stage id="wait" role="minister">
      <decision event="consent" outcome="authorised"/>
      <decision event="ask" outcome="changes_requested"/>
    </stage>
  </confirmation>
  <amendment>
    <stage id="amend" role="minister">
      <decision event="approve" outcome="amendment_approved"/>
      <decision event="ask" outcome="changes_requested"/>
    </stage>
  </amendment>
)");
  auto problems = check(xml);
  ASSERT_EQ(problems.size(), 2u) << listProblems(problems);
  expectHas(problems, lineOf(xml, "event=\"ask\"", 1), "not in the confirmation phase");
  expectHas(problems, lineOf(xml, "event=\"ask\"", 2), "not in the amendment phase");
}

TEST(DefinitionLoaderTest, NextMayNotCrossPhasesWrongly) {
  const std::string xml = workflow(R"(  <review>
    <stage id="screen" role="officer">
      <decision event="accept" next="decide"/>
      <decision event="skip_ahead" next="wait"/>
    </stage>
  </review>
)" + kApproval + R"(  <confirmation>
    <stage id="wait" role="minister">
      <decision event="consent" outcome="authorised"/>
      <decision event="object" next="screen"/>
      <decision event="into_amendment" next="amend"/>
    </stage>
  </confirmation>
  <amendment>
    <stage id="amend" role="minister">
      <decision event="approve" outcome="amendment_approved"/>
      <decision event="back_to_review" next="screen"/>
    </stage>
  </amendment>
)");
  auto problems = check(xml);
  ASSERT_EQ(problems.size(), 3u) << listProblems(problems);
  expectHas(problems, lineOf(xml, "skip_ahead"), "a review stage may only go to review or approval stages");
  expectHas(problems, lineOf(xml, "into_amendment"),
            "a confirmation stage may only go to confirmation, review or approval stages");
  expectHas(problems, lineOf(xml, "back_to_review"), "an amendment stage may only go to amendment stages");
}

TEST(DefinitionLoaderTest, ResumeOnlyWithChangesRequestedAndToReviewOrApproval) {
  const std::string xml = workflow(kApproval + R"(  <amendment>
    <stage id="amend" role="minister">
      <decision event="approve" outcome="amendment_approved"/>
      <decision event="refuse" outcome="rejected" resume="decide"/>
    </stage>
  </amendment>
)");
  expectOnly(xml, lineOf(xml, "event=\"refuse\""), "resume is only allowed with outcome changes_requested");

  const std::string toAmendment = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <decision event="approve" outcome="approved"/>
      <decision event="send_back" outcome="changes_requested" resume="amend"/>
    </stage>
  </approval>
  <amendment>
    <stage id="amend" role="minister">
      <decision event="approve" outcome="amendment_approved"/>
    </stage>
  </amendment>
)");
  expectOnly(toAmendment, lineOf(toAmendment, "send_back"), "resume must name a review or approval stage");
}

// --- the graph as a whole -----------------------------------------------------------------------

TEST(DefinitionLoaderTest, UnreachableStage) {
  const std::string xml = workflow(R"(  <review>
    <stage id="screen" role="officer">
      <decision event="accept" next="decide"/>
    </stage>
    <stage id="orphan" role="officer">
      <decision event="accept" next="decide"/>
    </stage>
  </review>
)" + kApproval + R"(  <amendment>
    <stage id="amend" role="minister">
      <decision event="approve" outcome="amendment_approved"/>
    </stage>
    <stage id="amend_orphan" role="minister">
      <decision event="approve" outcome="amendment_approved"/>
    </stage>
  </amendment>
)");
  auto problems = check(xml);
  ASSERT_EQ(problems.size(), 2u) << listProblems(problems);
  expectHas(problems, lineOf(xml, "<stage id=\"orphan\""),
            "stage 'orphan' cannot be reached from the entry stage 'screen'");
  expectHas(problems, lineOf(xml, "<stage id=\"amend_orphan\""),
            "stage 'amend_orphan' cannot be reached from the first amendment stage 'amend'");
}

TEST(DefinitionLoaderTest, ResumeAndApprovalEdgesMakeStagesReachable) {
  const std::string xml = workflow(R"(  <review>
    <stage id="idea" role="officer">
      <decision event="no_objection" outcome="changes_requested" resume="design"/>
    </stage>
    <stage id="design" role="officer">
      <decision event="accept" next="decide"/>
    </stage>
  </review>
)" + kApproval + R"(  <confirmation>
    <stage id="wait" role="minister">
      <decision event="consent" outcome="authorised"/>
    </stage>
  </confirmation>
)");
  EXPECT_TRUE(check(xml).empty()) << listProblems(check(xml));
}

TEST(DefinitionLoaderTest, CycleWithNoExit) {
  const std::string xml = workflow(R"(  <review>
    <stage id="ping" role="officer">
      <decision event="to_pong" next="pong"/>
    </stage>
    <stage id="pong" role="officer">
      <decision event="to_ping" next="ping"/>
    </stage>
  </review>
)" + kApproval);
  auto problems = check(xml);
  ASSERT_EQ(problems.size(), 3u) << listProblems(problems);
  expectHas(problems, lineOf(xml, "<stage id=\"ping\""), "stage 'ping' is in a cycle with no exit");
  expectHas(problems, lineOf(xml, "<stage id=\"pong\""), "stage 'pong' is in a cycle with no exit");
  expectHas(problems, lineOf(xml, "<stage id=\"decide\""), "cannot be reached");
}

TEST(DefinitionLoaderTest, ACycleWithAnExitIsFine) {
  const std::string xml = workflow(R"(  <review>
    <stage id="ping" role="officer">
      <decision event="to_pong" next="pong"/>
    </stage>
    <stage id="pong" role="officer">
      <decision event="to_ping" next="ping"/>
      <decision event="done" next="decide"/>
    </stage>
  </review>
)" + kApproval);
  EXPECT_TRUE(check(xml).empty()) << listProblems(check(xml));
}

TEST(DefinitionLoaderTest, NothingLeadsToApproved) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <decision event="reject" outcome="rejected"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "<approval>"), "nothing leads to approved");
}

TEST(DefinitionLoaderTest, NothingLeadsToAuthorisedOrAmendmentApproved) {
  const std::string xml = workflow(kApproval + R"(  <confirmation>
    <stage id="wait" role="minister">
      <decision event="object" outcome="rejected"/>
    </stage>
  </confirmation>
  <amendment>
    <stage id="amend" role="minister">
      <decision event="refuse" outcome="rejected"/>
    </stage>
  </amendment>
)");
  auto problems = check(xml);
  ASSERT_EQ(problems.size(), 2u) << listProblems(problems);
  expectHas(problems, lineOf(xml, "<confirmation>"), "nothing leads to authorised");
  expectHas(problems, lineOf(xml, "<amendment>"), "nothing leads to amendment_approved");
}

// --- guards -----------------------------------------------------------------------------------

std::string withGuard(const std::string& guard) {
  return workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <decision event="approve" outcome="approved">
        )" + guard +
                  R"(
      </decision>
    </stage>
  </approval>
)");
}

TEST(DefinitionLoaderTest, GuardOnUnknownField) {
  const std::string xml = withGuard(R"(<guard field="authorisation.colour" op="present"/>)");
  expectOnly(xml, lineOf(xml, "<guard"), "guard names unknown request field 'authorisation.colour'");
}

TEST(DefinitionLoaderTest, OrderingGuardNeedsANumberOrADate) {
  const std::string xml = withGuard(R"(<guard field="authorisation.authorized_quantity" op="gt" value="lots"/>)");
  expectOnly(xml, lineOf(xml, "<guard"), "value 'lots' is neither a number nor an ISO date");
  const std::string badDate = withGuard(R"(<guard field="authorisation.vintages.from" op="ge" value="2025-02-30"/>)");
  expectOnly(badDate, lineOf(badDate, "<guard"), "neither a number nor an ISO date");
  for (const char* good : {"1500000", "-3", "0.25", "2025-01-01"}) {
    const std::string xml2 =
        withGuard(std::string(R"(<guard field="authorisation.authorized_quantity" op="lt" value=")") + good + "\"/>");
    EXPECT_TRUE(check(xml2).empty()) << good << "\n" << listProblems(check(xml2));
  }
  const std::string eqText = withGuard(R"(<guard field="activity.host_country" op="eq" value="GHA"/>)");
  EXPECT_TRUE(check(eqText).empty()) << listProblems(check(eqText));
}

TEST(DefinitionLoaderTest, InGuardNeedsValues) {
  const std::string xml = withGuard(R"(<guard field="authorisation.purposes" op="not-in"/>)");
  expectOnly(xml, lineOf(xml, "<guard"), "needs at least one <value>");
}

TEST(DefinitionLoaderTest, PresenceGuardTakesNoValue) {
  const std::string xml = withGuard(R"(<guard field="authorisation.purposes" op="present" value="NDC"/>)");
  expectOnly(xml, lineOf(xml, "<guard"), "(present): takes no value");
  const std::string listed = withGuard(R"(<guard field="authorisation.purposes" op="absent"><value>x</value></guard>)");
  expectOnly(listed, lineOf(listed, "<guard"), "(absent): takes no value");
}

TEST(DefinitionLoaderTest, ComparisonGuardNeedsOneValueAttribute) {
  const std::string xml = withGuard(R"(<guard field="authorisation.purposes" op="eq"/>)");
  expectOnly(xml, lineOf(xml, "<guard"), "needs a value attribute");
}

// --- durations --------------------------------------------------------------------------------

TEST(DefinitionLoaderTest, SlaDurationRefused) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <sla due="P1M"/>
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "<sla"), "SLA due: duration 'P1M': years and months are not allowed");
}

TEST(DefinitionLoaderTest, TimeoutDurationRefused) {
  const std::string xml = workflow(kApproval + R"(  <confirmation>
    <stage id="wait" role="minister">
      <timeout after="P1Y" decision="consent"/>
      <decision event="consent" outcome="authorised"/>
    </stage>
  </confirmation>
)");
  expectOnly(xml, lineOf(xml, "<timeout"), "timeout after: duration 'P1Y'");
}

TEST(DefinitionLoaderTest, ReminderMustBeShorterThanDue) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister">
      <sla due="P7D" reminder="P1W"/>
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "<sla"), "reminder P1W must be shorter than due P7D");
}

// --- all at once, and the exception --------------------------------------------------------------

TEST(DefinitionLoaderTest, ReportsAllProblemsAtOnceInLineOrder) {
  const std::string xml = workflow(R"(  <review>
    <stage id="screen" role="clerk" quorum="2" of="1">
      <sla due="P1M"/>
      <decision event="accept" next="decide"/>
      <decision event="accept" outcome="rejected"/>
    </stage>
  </review>
  <approval>
    <stage id="decide" role="minister">
      <decision event="approve" outcome="approved">
        <guard field="unknown.field" op="present"/>
      </decision>
      <decision event="send_back" outcome="changes_requested" resume="ghost"/>
    </stage>
  </approval>
)");
  auto problems = check(xml);
  ASSERT_EQ(problems.size(), 6u) << listProblems(problems);
  expectHas(problems, lineOf(xml, "<stage id=\"screen\""), "unknown role 'clerk'");
  expectHas(problems, lineOf(xml, "<stage id=\"screen\""), "quorum 2 is more than of 1");
  expectHas(problems, lineOf(xml, "<sla"), "P1M");
  expectHas(problems, lineOf(xml, "outcome=\"rejected\""), "appears twice");
  expectHas(problems, lineOf(xml, "<guard"), "unknown request field 'unknown.field'");
  expectHas(problems, lineOf(xml, "resume=\"ghost\""), "resume names unknown stage 'ghost'");
  EXPECT_TRUE(
      std::is_sorted(problems.begin(), problems.end(), [](const auto& a, const auto& b) { return a.line < b.line; }));

  try {
    loadDefinitionText(xml, "test.xml", kOptions);
    FAIL() << "expected a DefinitionError";
  } catch (const SourceError& e) {
    EXPECT_EQ(e.code(), ErrorCode::Definition);
    EXPECT_EQ(e.file(), "test.xml");
    EXPECT_EQ(e.line(), problems[0].line);
    EXPECT_EQ(e.reason(), problems[0].reason);
    const std::string what = e.what();
    for (const auto& p : problems) {
      EXPECT_NE(what.find("test.xml:" + std::to_string(p.line) + ": " + p.reason), std::string::npos) << what;
    }
    EXPECT_EQ(std::count(what.begin(), what.end(), '\n'), 5);
    auto* definitionError = dynamic_cast<const DefinitionError*>(&e);
    ASSERT_NE(definitionError, nullptr);
    EXPECT_EQ(definitionError->problems(), problems);
  }
}

// --- XML level --------------------------------------------------------------------------------

TEST(DefinitionLoaderTest, MalformedXmlGivesItsLine) {
  const std::string xml =
      "<workflow xmlns=\"urn:a6auth:workflow:1\" name=\"x\" version=\"1\">\n"
      "  <title>T</title>\n"
      "  <roles><role id=\"a\">A</role></roles>\n"
      "  <approval>\n"
      "  </approvel>\n"
      "</workflow>\n";
  auto problems = check(xml);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems[0].line, 5) << problems[0].reason;
  EXPECT_NE(problems[0].reason.find("malformed XML"), std::string::npos) << problems[0].reason;
  EXPECT_THROW(loadDefinitionText(xml, "test.xml", kOptions), SourceError);
}

TEST(DefinitionLoaderTest, EmptyTextIsMalformed) {
  auto problems = check("");
  ASSERT_EQ(problems.size(), 1u) << listProblems(problems);
  EXPECT_NE(problems[0].reason.find("malformed XML"), std::string::npos) << problems[0].reason;
}

TEST(DefinitionLoaderTest, WrongNamespaceIsRefused) {
  std::string xml = workflow(kApproval);
  xml.replace(xml.find("urn:a6auth:workflow:1"), std::string("urn:a6auth:workflow:1").size(), "urn:example:other");
  expectOnly(xml, lineOf(xml, "<workflow"), "root element must be <workflow> in the namespace urn:a6auth:workflow:1");
  const std::string noNamespace = "<workflow name=\"x\" version=\"1\"/>";
  expectOnly(noNamespace, 1, "root element must be <workflow>");
}

TEST(DefinitionLoaderTest, SchemaViolationGivesItsLine) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="minister" colour="blue">
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  auto problems = check(xml);
  ASSERT_EQ(problems.size(), 1u) << listProblems(problems);
  EXPECT_EQ(problems[0].line, lineOf(xml, "colour"));
  EXPECT_NE(problems[0].reason.find("schema:"), std::string::npos) << problems[0].reason;
  EXPECT_NE(problems[0].reason.find("colour"), std::string::npos) << problems[0].reason;
  // Names are shown without the namespace in braces.
  EXPECT_EQ(problems[0].reason.find("{urn:"), std::string::npos) << problems[0].reason;

  const std::string badId = workflow(R"(  <approval>
    <stage id="Decide Now" role="minister">
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  auto badIdProblems = check(badId);
  ASSERT_FALSE(badIdProblems.empty());
  expectHas(badIdProblems, lineOf(badId, "Decide Now"), "schema:");

  const std::string noApproval = workflow("");
  auto missing = check(noApproval);
  ASSERT_FALSE(missing.empty());
  EXPECT_NE(missing[0].reason.find("schema:"), std::string::npos) << missing[0].reason;
}

TEST(DefinitionLoaderTest, RefusesBillionLaughs) {
  const std::string xml = R"(<?xml version="1.0"?>
<!DOCTYPE workflow [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<workflow xmlns="urn:a6auth:workflow:1" name="x" version="1"><title>&lol9;</title></workflow>
)";
  auto started = steady_clock::now();
  auto problems = check(xml);
  EXPECT_LT(steady_clock::now() - started, seconds(5));
  ASSERT_EQ(problems.size(), 1u) << listProblems(problems);
  EXPECT_EQ(problems[0].line, 2);
  EXPECT_NE(problems[0].reason.find("DTD"), std::string::npos) << problems[0].reason;
  EXPECT_THROW(loadDefinitionText(xml, "test.xml", kOptions), SourceError);
}

TEST(DefinitionLoaderTest, RefusesExternalEntitiesWithoutReadingThem) {
  const std::string xml = R"(<?xml version="1.0"?>
<!DOCTYPE workflow [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<workflow xmlns="urn:a6auth:workflow:1" name="x" version="1"><title>&xxe;</title></workflow>
)";
  auto problems = check(xml);
  ASSERT_EQ(problems.size(), 1u) << listProblems(problems);
  EXPECT_NE(problems[0].reason.find("DTD"), std::string::npos) << problems[0].reason;
  EXPECT_EQ(problems[0].reason.find("root:"), std::string::npos) << problems[0].reason;

  const std::string externalSubset = R"(<?xml version="1.0"?>
<!DOCTYPE workflow SYSTEM "file:///etc/passwd">
<workflow xmlns="urn:a6auth:workflow:1" name="x" version="1"/>
)";
  auto external = check(externalSubset);
  ASSERT_EQ(external.size(), 1u) << listProblems(external);
  EXPECT_NE(external[0].reason.find("DTD"), std::string::npos) << external[0].reason;
  EXPECT_EQ(external[0].reason.find("root:"), std::string::npos);
}

TEST(DefinitionLoaderTest, RefusesEntityReferencesWithoutADtd) {
  const std::string xml = workflow(R"(  <approval>
    <stage id="decide" role="&who;">
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)");
  expectOnly(xml, lineOf(xml, "&who;"), "entity reference &who; is not allowed");
  // The predefined entities and character references are plain text, not entity references.
  std::string fine = workflow(kApproval);
  fine.replace(fine.find("Test   flow"), 11, "Fees &amp; approvals &#x2014; &lt;2025&gt;");
  EXPECT_EQ(loadDefinitionText(fine, "test.xml", kOptions).title, "Fees & approvals \u2014 <2025>");
}

TEST(DefinitionLoaderTest, RefusesTextOverOneMebibyte) {
  std::string xml = workflow(kApproval);
  xml.insert(xml.find("<title>"), std::string(kMaxDefinitionBytes, ' '));
  expectOnly(xml, 0, "at most 1048576 (1 MiB)");
}

TEST(DefinitionLoaderTest, VersionOutOfRange) {
  std::string xml = workflow(kApproval);
  xml.replace(xml.find("version=\"3\""), 11, "version=\"12345678901\"");
  expectOnly(xml, lineOf(xml, "<workflow"), "version must be a whole number");
}

// --- files ------------------------------------------------------------------------------------

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("a6-definition-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".xml");
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(DefinitionLoaderTest, LoadsFromAFile) {
  const std::string xml = workflow(kApproval);
  TempFile file(xml);
  Definition d = loadDefinitionFile(file.path(), kOptions);
  EXPECT_EQ(d.sourceFile, file.path());
  EXPECT_EQ(d.sha256, signing::sha256Hex(xml));
  EXPECT_TRUE(checkDefinitionFile(file.path(), kOptions).empty());
}

TEST(DefinitionLoaderTest, ProblemsInAFileNameTheFile) {
  TempFile file(workflow(R"(  <approval>
    <stage id="decide" role="nobody">
      <decision event="approve" outcome="approved"/>
    </stage>
  </approval>
)"));
  auto problems = checkDefinitionFile(file.path(), kOptions);
  ASSERT_EQ(problems.size(), 1u) << listProblems(problems);
  EXPECT_EQ(problems[0].file, file.path());
}

TEST(DefinitionLoaderTest, UnreadableFileIsOneProblemAtLineZero) {
  const std::string path = "/nonexistent/a6auth/definition.xml";
  auto problems = checkDefinitionFile(path, kOptions);
  ASSERT_EQ(problems.size(), 1u) << listProblems(problems);
  EXPECT_EQ(problems[0].file, path);
  EXPECT_EQ(problems[0].line, 0);
  EXPECT_NE(problems[0].reason.find("cannot read the file"), std::string::npos) << problems[0].reason;
  EXPECT_THROW(loadDefinitionFile(path, kOptions), SourceError);

  auto directory = checkDefinitionFile(std::filesystem::temp_directory_path().string(), kOptions);
  ASSERT_EQ(directory.size(), 1u);
  EXPECT_EQ(directory[0].line, 0);
}

TEST(DefinitionLoaderTest, OversizedFileIsRefused) {
  std::string xml = workflow(kApproval);
  xml.insert(xml.find("<title>"), std::string(kMaxDefinitionBytes + 10, ' '));
  TempFile file(xml);
  auto problems = checkDefinitionFile(file.path(), kOptions);
  ASSERT_EQ(problems.size(), 1u) << listProblems(problems);
  EXPECT_EQ(problems[0].line, 0);
  EXPECT_NE(problems[0].reason.find("1 MiB"), std::string::npos) << problems[0].reason;
}

// The schema is compiled once and shared; parsing keeps its state per call.
TEST(DefinitionLoaderTest, LoadsConcurrently) {
  const std::string good = workflow(kApproval);
  const std::string bad = withGuard(R"(<guard field="nope" op="present"/>)");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        if (check(good).size() != 0) ++failures;
        if (check(bad).size() != 1) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace a6::workflows
