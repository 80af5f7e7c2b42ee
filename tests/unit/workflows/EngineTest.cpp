// The workflow runtime against definitions built in code: the exact events each command writes, every
// refusal rule, timers, available events, replay, and a property test over random command sequences.
#include "a6/workflows/Engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "a6/core/Error.h"
#include "a6/workflows/Spine.h"

namespace a6::workflows {

void PrintTo(SpineState s, std::ostream* os);  // defined in SpineTest.cpp

void PrintTo(const WorkflowEvent& e, std::ostream* os) {
  *os << e.type << " by " << e.actor << " {";
  bool first = true;
  for (const auto& [k, v] : e.attrs) {
    *os << (first ? "" : ", ") << k << ": " << v;
    first = false;
  }
  *os << "}";
}

void PrintTo(const Timer& t, std::ostream* os) {
  *os << toString(t.kind) << " " << t.stage << "#" << t.entry << " after " << t.after.count() << "s " << t.decision;
}

namespace {

using Events = std::vector<WorkflowEvent>;
using Attrs = std::map<std::string, std::string>;

std::chrono::seconds days(int n) {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::hours(24 * n));
}

// --- definitions ------------------------------------------------------------------------------------

Effect webhookEffect(const std::string& type) {
  Effect e;
  e.kind = Effect::Kind::Webhook;
  e.eventType = type;
  return e;
}

Effect emailEffect(const std::string& to, const std::string& templateName) {
  Effect e;
  e.kind = Effect::Kind::Email;
  e.to = to;
  e.templateName = templateName;
  return e;
}

Effect letterEffect(const std::string& templateName, const std::string& signer) {
  Effect e;
  e.kind = Effect::Kind::Letter;
  e.templateName = templateName;
  e.signerRole = signer;
  return e;
}

Effect unfcccEffect(const std::string& messageType) {
  Effect e;
  e.kind = Effect::Kind::Unfccc;
  e.messageType = messageType;
  return e;
}

Decision toStage(const std::string& event, const std::string& next) {
  Decision d;
  d.event = event;
  d.next = next;
  return d;
}

Decision toOutcome(const std::string& event, Outcome outcome, bool commentRequired = false) {
  Decision d;
  d.event = event;
  d.outcome = outcome;
  d.commentRequired = commentRequired;
  return d;
}

Stage makeStage(const std::string& id, Phase phase, const std::string& role, int quorum = 1, int of = 1) {
  Stage s;
  s.id = id;
  s.phase = phase;
  s.role = role;
  s.quorum = quorum;
  s.of = of;
  return s;
}

// screening -> technical_review (2 of 3, segregated from screening) -> approval -> approved; amendments.
Definition standardDefinition() {
  Definition d;
  d.name = "test-standard";
  d.version = 3;
  d.roles = {{"reviewer", "", 0}, {"technical-committee", "", 0}, {"approver", "", 0}};

  Stage screening = makeStage("screening", Phase::Review, "reviewer", 1, 2);
  screening.decisions = {toStage("accept", "technical_review"),
                         toOutcome("request_changes", Outcome::ChangesRequested, true),
                         toOutcome("reject", Outcome::Rejected, true)};
  screening.sla = Sla{days(5), days(3), "approver", 0};
  screening.onEnter = {emailEffect("reviewer", "stage-entered")};

  Stage technical = makeStage("technical_review", Phase::Review, "technical-committee", 2, 3);
  technical.segregatedFrom = {"screening"};
  Decision endorse = toStage("endorse", "approval");
  endorse.effects = {emailEffect("applicant", "technical-opinion")};
  Decision reject = toOutcome("reject", Outcome::Rejected, true);
  reject.quorum = 1;  // one negative opinion is enough
  technical.decisions = {endorse, reject};
  technical.sla = Sla{days(10), std::nullopt, "", 0};

  Stage approval = makeStage("approval", Phase::Approval, "approver");
  approval.segregatedFrom = {"technical_review"};
  Decision approve = toOutcome("approve", Outcome::Approved);
  approve.guards = {Guard{"authorisation.authorized_quantity", Guard::Op::Le, {"5000000"}, 0}};
  approve.effects = {webhookEffect("request.approved")};
  approval.decisions = {approve, toOutcome("reject", Outcome::Rejected, true)};

  Stage amendment = makeStage("amendment_review", Phase::Amendment, "approver");
  amendment.decisions = {toOutcome("approve_amendment", Outcome::AmendmentApproved),
                         toOutcome("refuse_amendment", Outcome::Rejected, true)};

  d.stages = {screening, technical, approval, amendment};
  d.spineEffects.onSubmitted = {webhookEffect("request.submitted")};
  d.spineEffects.onAuthorised = {letterEffect("letter-of-authorisation", "approver"),
                                 unfcccEffect("authorisation-issued")};
  d.spineEffects.onRevoked = {unfcccEffect("authorisation-revoked")};
  d.spineEffects.onWithdrawn = {emailEffect("reviewer", "request-withdrawn")};
  return d;
}

// A partner Party's objection window after approval: silence is consent, an objection returns the
// request to review. No amendment phase.
Definition confirmationDefinition() {
  Definition d;
  d.name = "test-confirmation";
  d.version = 1;
  Stage screening = makeStage("screening", Phase::Review, "reviewer");
  screening.decisions = {toStage("accept", "approval"), toOutcome("reject", Outcome::Rejected, true)};
  Stage approval = makeStage("approval", Phase::Approval, "approver");
  approval.decisions = {toOutcome("approve", Outcome::Approved), toOutcome("reject", Outcome::Rejected, true)};
  Stage window = makeStage("partner_objection", Phase::Confirmation, "partner-party");
  Decision object = toStage("object", "screening");
  object.commentRequired = true;
  object.effects = {emailEffect("approver", "objection-received")};
  window.decisions = {toOutcome("no_objection", Outcome::Authorised), object};
  window.timeout = Timeout{days(30), "no_objection", 0};
  d.stages = {screening, approval, window};
  d.spineEffects.onAuthorised = {letterEffect("letter-of-authorisation", "approver")};
  return d;
}

// Change requests that resume where they were raised, two approval stages, and a fast track that
// skips the first approval (which the spine must catch).
Definition changesDefinition() {
  Definition d;
  d.name = "test-changes";
  d.version = 2;
  Stage screening = makeStage("screening", Phase::Review, "reviewer");
  screening.decisions = {toStage("accept", "technical"), toOutcome("request_changes", Outcome::ChangesRequested, true)};
  Stage technical = makeStage("technical", Phase::Review, "technical-committee");
  Decision technicalChanges = toOutcome("request_changes", Outcome::ChangesRequested, true);
  technicalChanges.resume = "technical";
  technical.decisions = {toStage("endorse", "ministry_approval"), technicalChanges,
                         toStage("fast_track", "final_approval")};
  Stage ministry = makeStage("ministry_approval", Phase::Approval, "approver");
  Decision ministryChanges = toOutcome("request_changes", Outcome::ChangesRequested, true);
  ministryChanges.resume = "ministry_approval";
  ministry.decisions = {toStage("approve", "final_approval"), ministryChanges};
  Stage final = makeStage("final_approval", Phase::Approval, "minister");
  final.decisions = {toOutcome("approve", Outcome::Approved),
                     toOutcome("request_changes", Outcome::ChangesRequested, true)};
  d.stages = {screening, technical, ministry, final};
  return d;
}

// --- actors and fields ------------------------------------------------------------------------------

const Actor kAna{"ana", {}, true};
// The same person signed in with staff roles: still the submitter.
const Actor kAnaStaff{"ana", {"reviewer", "technical-committee", "approver", "minister", "partner-party"}, false};
const Actor kRita{"rita", {"reviewer", "technical-committee"}, false};
const Actor kRavi{"ravi", {"reviewer"}, false};
const Actor kTom{"tom", {"technical-committee"}, false};
const Actor kTess{"tess", {"technical-committee"}, false};
const Actor kTheo{"theo", {"technical-committee"}, false};
const Actor kTrent{"trent", {"technical-committee", "approver"}, false};
const Actor kAlice{"alice", {"approver"}, false};
const Actor kAlbert{"albert", {"approver", "minister"}, false};
const Actor kMia{"mia", {"minister"}, false};
const Actor kPat{"pat", {"partner-party"}, false};
const Actor kNobody{"nobody", {}, false};

FieldLookup quantity(std::optional<std::string> value) {
  return [value](const std::string& path) -> std::optional<std::string> {
    if (path == "authorisation.authorized_quantity") return value;
    return std::nullopt;
  };
}

const FieldLookup kFields = quantity("1500000");

// --- helpers ----------------------------------------------------------------------------------------

WorkflowEvent ev(const std::string& type, const std::string& actor, Attrs attrs) {
  return WorkflowEvent{type, actor, std::move(attrs)};
}

// Every field of a RunState, so that two states compare equal exactly when this text does.
std::string describe(const RunState& s) {
  std::ostringstream os;
  auto sets = [&os](const std::map<std::string, std::set<std::string>>& m) {
    for (const auto& [k, v] : m) {
      os << k << "=[";
      for (const auto& a : v) os << a << ";";
      os << "] ";
    }
  };
  os << "state=" << toString(s.state) << " stage=" << s.stage << " entries=" << s.stageEntries << " votes: ";
  sets(s.votes);
  os << "actors: ";
  sets(s.actorsByStage);
  os << "passed=[";
  for (const auto& p : s.passedApprovals) os << p << ";";
  os << "] resume=" << s.resumeStage << " version=" << s.authorisationVersion << " submittedBy=" << s.submittedBy;
  return os.str();
}

std::string describe(const Effect& e) {
  switch (e.kind) {
    case Effect::Kind::Letter:
      return "letter " + e.templateName + " signed by " + e.signerRole;
    case Effect::Kind::Unfccc:
      return "unfccc " + e.messageType;
    case Effect::Kind::Email:
      return "email " + e.templateName + " to " + e.to;
    case Effect::Kind::Webhook:
      return "webhook " + e.eventType;
  }
  return "?";
}

std::vector<std::string> effectsOf(const Transition& t) {
  std::vector<std::string> out;
  for (const PendingEffect& p : t.effects) out.push_back(p.cause + ": " + describe(p.effect));
  return out;
}

// Drives one request through an engine, keeping its stream and checking after every step that
// replaying the stream gives exactly the state the engine returned.
class Request {
 public:
  explicit Request(const Definition& definition) : engine_(definition) {}

  Transition fire(const std::string& event, const Actor& actor, const std::string& comment = "ok",
                  const FieldLookup& fields = kFields) {
    auto result = engine_.fire(state_, Command{event, actor, comment}, fields);
    if (const Refusal* refusal = std::get_if<Refusal>(&result)) {
      ADD_FAILURE() << event << " by " << actor.name << " refused: " << toString(refusal->kind) << " [" << refusal->rule
                    << "] " << refusal->message;
      return Transition{{}, {}, {}, false, state_};
    }
    Transition t = std::get<Transition>(std::move(result));
    record(t);
    return t;
  }

  Refusal refuse(const std::string& event, const Actor& actor, const std::string& comment = "ok",
                 const FieldLookup& fields = kFields) {
    auto result = engine_.fire(state_, Command{event, actor, comment}, fields);
    if (const Refusal* refusal = std::get_if<Refusal>(&result)) return *refusal;
    ADD_FAILURE() << event << " by " << actor.name << " was accepted";
    return Refusal{Refusal::Kind::UnknownEvent, "", ""};
  }

  std::optional<Transition> timer(const Timer& timer) {
    std::optional<Transition> t = engine_.fireTimer(state_, timer);
    if (t) record(*t);
    return t;
  }

  std::vector<std::string> available(const Actor& actor, const FieldLookup& fields = kFields) const {
    return engine_.available(state_, actor, fields);
  }

  const RunState& state() const { return state_; }
  const Events& stream() const { return stream_; }
  const Engine& engine() const { return engine_; }

 private:
  void record(const Transition& t) {
    stream_.insert(stream_.end(), t.events.begin(), t.events.end());
    state_ = t.after;
    EXPECT_EQ(describe(engine_.replay(stream_)), describe(state_))
        << "replay differs after " << stream_.size() << " events";
  }

  Engine engine_;
  RunState state_;
  Events stream_;
};

void toTechnical(Request& run) {
  run.fire("submit", kAna, "");
  run.fire("accept", kRita, "complete");
}

void toApproval(Request& run) {
  toTechnical(run);
  run.fire("endorse", kTom, "sound");
  run.fire("endorse", kTess, "agreed");
}

void toAuthorised(Request& run) {
  toApproval(run);
  run.fire("approve", kAlice, "approved");
}

// --- the standard definition ------------------------------------------------------------------------

TEST(EngineTest, NamesAndParsesSpineStates) {
  for (SpineState s : {SpineState::Draft, SpineState::Submitted, SpineState::InReview, SpineState::ChangesRequested,
                       SpineState::Approved, SpineState::Authorised, SpineState::Rejected, SpineState::Withdrawn,
                       SpineState::AmendmentInReview, SpineState::Revoked, SpineState::Expired}) {
    EXPECT_EQ(spineStateFromString(toString(s)), s);
  }
  EXPECT_STREQ(toString(SpineState::AmendmentInReview), "amendment_in_review");
  EXPECT_STREQ(toString(SpineState::ChangesRequested), "changes_requested");
  EXPECT_EQ(spineStateFromString("nonsense"), std::nullopt);
  EXPECT_STREQ(toString(Timer::Kind::Timeout), "timeout");
  EXPECT_STREQ(toString(Refusal::Kind::AlreadyDecided), "already_decided");
}

TEST(EngineTest, HappyPathWritesExactlyTheseEvents) {
  const Definition d = standardDefinition();
  Request run(d);

  Transition t = run.fire("submit", kAna, "");
  EXPECT_EQ(t.events, (Events{
                          ev("submitted", "ana", {{"workflow", "test-standard"}, {"version", "3"}}),
                          ev("state_changed", "ana", {{"from", "draft"}, {"to", "submitted"}}),
                          ev("state_changed", "ana", {{"from", "submitted"}, {"to", "in_review"}}),
                          ev("stage_entered", "ana", {{"stage", "screening"}, {"entry", "1"}}),
                      }));
  EXPECT_EQ(effectsOf(t), (std::vector<std::string>{"spine:submitted: webhook request.submitted",
                                                    "stage:screening: email stage-entered to reviewer"}));
  EXPECT_EQ(t.startTimers, (std::vector<Timer>{{Timer::Kind::Reminder, "screening", 1, days(3), ""},
                                               {Timer::Kind::Breach, "screening", 1, days(5), ""}}));
  EXPECT_FALSE(t.cancelTimers);
  EXPECT_EQ(t.after.state, SpineState::InReview);
  EXPECT_EQ(t.after.stage, "screening");
  EXPECT_EQ(t.after.stageEntries, 1);
  EXPECT_EQ(t.after.submittedBy, "ana");

  t = run.fire("accept", kRita, "complete");
  EXPECT_EQ(t.events, (Events{
                          ev("vote", "rita", {{"stage", "screening"}, {"decision", "accept"}, {"comment", "complete"}}),
                          ev("stage_completed", "rita", {{"stage", "screening"}, {"decision", "accept"}}),
                          ev("stage_entered", "rita", {{"stage", "technical_review"}, {"entry", "2"}}),
                      }));
  EXPECT_TRUE(t.cancelTimers);
  EXPECT_EQ(t.startTimers, (std::vector<Timer>{{Timer::Kind::Breach, "technical_review", 2, days(10), ""}}));

  t = run.fire("endorse", kTom, "sound");
  EXPECT_EQ(
      t.events,
      (Events{ev("vote", "tom", {{"stage", "technical_review"}, {"decision", "endorse"}, {"comment", "sound"}})}));
  EXPECT_FALSE(t.cancelTimers);
  EXPECT_TRUE(t.startTimers.empty());
  EXPECT_TRUE(t.effects.empty());

  t = run.fire("endorse", kTess, "agreed");
  EXPECT_EQ(t.events,
            (Events{
                ev("vote", "tess", {{"stage", "technical_review"}, {"decision", "endorse"}, {"comment", "agreed"}}),
                ev("stage_completed", "tess", {{"stage", "technical_review"}, {"decision", "endorse"}}),
                ev("stage_entered", "tess", {{"stage", "approval"}, {"entry", "3"}}),
            }));
  EXPECT_EQ(effectsOf(t), (std::vector<std::string>{"decision:endorse: email technical-opinion to applicant"}));
  EXPECT_TRUE(t.startTimers.empty());

  t = run.fire("approve", kAlice, "approved");
  EXPECT_EQ(t.events,
            (Events{
                ev("vote", "alice", {{"stage", "approval"}, {"decision", "approve"}, {"comment", "approved"}}),
                ev("stage_completed", "alice", {{"stage", "approval"}, {"decision", "approve"}}),
                ev("state_changed", "alice", {{"from", "in_review"}, {"to", "approved"}}),
                ev("state_changed", "alice", {{"from", "approved"}, {"to", "authorised"}}),
            }));
  EXPECT_EQ(effectsOf(t),
            (std::vector<std::string>{"decision:approve: webhook request.approved",
                                      "spine:authorised: letter letter-of-authorisation signed by approver",
                                      "spine:authorised: unfccc authorisation-issued"}));
  EXPECT_TRUE(t.cancelTimers);
  EXPECT_EQ(t.after.state, SpineState::Authorised);
  EXPECT_EQ(t.after.stage, "");
  EXPECT_EQ(t.after.authorisationVersion, 1);
  EXPECT_EQ(t.after.passedApprovals, (std::set<std::string>{"approval"}));
  EXPECT_EQ(t.after.actorsByStage.at("technical_review"), (std::set<std::string>{"tess", "tom"}));
}

TEST(EngineTest, QuorumNeedsDistinctVotes) {
  const Definition d = standardDefinition();
  Request run(d);
  toTechnical(run);
  run.fire("endorse", kTom, "sound");
  EXPECT_EQ(run.state().stage, "technical_review");
  EXPECT_EQ(run.state().votes.at("endorse"), (std::set<std::string>{"tom"}));

  const std::size_t before = run.stream().size();
  Refusal r = run.refuse("endorse", kTom, "again");
  EXPECT_EQ(r.kind, Refusal::Kind::AlreadyDecided);
  EXPECT_NE(r.rule.find("quorum 2 of 3"), std::string::npos) << r.rule;
  // One vote per person per stage entry, whatever the decision.
  EXPECT_EQ(run.refuse("reject", kTom, "changed my mind").kind, Refusal::Kind::AlreadyDecided);
  EXPECT_EQ(run.stream().size(), before);

  Transition t = run.fire("endorse", kTheo, "fine");
  EXPECT_EQ(t.events.back().type, "stage_entered");
  EXPECT_EQ(run.state().stage, "approval");
}

TEST(EngineTest, DecisionQuorumOverridesTheStage) {
  const Definition d = standardDefinition();
  Request run(d);
  toTechnical(run);
  run.fire("endorse", kTom, "sound");
  Transition t = run.fire("reject", kTheo, "unsound baseline");
  EXPECT_EQ(t.events.back(), ev("state_changed", "theo", {{"from", "in_review"}, {"to", "rejected"}}));
  EXPECT_EQ(run.state().state, SpineState::Rejected);
  EXPECT_EQ(run.state().stage, "");
}

TEST(EngineTest, SegregatedStagesRefuseEarlierActors) {
  const Definition d = standardDefinition();
  Request run(d);
  toTechnical(run);  // rita screened
  Refusal r = run.refuse("endorse", kRita);
  EXPECT_EQ(r.kind, Refusal::Kind::Segregation);
  EXPECT_NE(r.rule.find("screening"), std::string::npos) << r.rule;

  run.fire("endorse", kTrent, "sound");
  run.fire("endorse", kTess, "agreed");
  r = run.refuse("approve", kTrent);
  EXPECT_EQ(r.kind, Refusal::Kind::Segregation);
  EXPECT_NE(r.rule.find("technical_review"), std::string::npos) << r.rule;
}

TEST(EngineTest, TheApplicantOrSubmitterNeverDecides) {
  const Definition d = standardDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  Actor applicantWithRole = kAna;
  applicantWithRole.roles = {"reviewer"};
  Refusal r = run.refuse("accept", applicantWithRole);
  EXPECT_EQ(r.kind, Refusal::Kind::Segregation);
  EXPECT_EQ(r.rule, "the applicant never decides");
  r = run.refuse("accept", kAnaStaff);
  EXPECT_EQ(r.kind, Refusal::Kind::Segregation);
  EXPECT_EQ(r.rule, "the applicant never decides");
}

TEST(EngineTest, WrongRoleIsRefused) {
  const Definition d = standardDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  Refusal r = run.refuse("accept", kAlice);
  EXPECT_EQ(r.kind, Refusal::Kind::Role);
  EXPECT_NE(r.rule.find("reviewer"), std::string::npos) << r.rule;
  EXPECT_EQ(run.refuse("accept", kNobody).kind, Refusal::Kind::Role);
  EXPECT_EQ(run.refuse("submit", kRita).kind, Refusal::Kind::NotNow);  // already submitted
}

TEST(EngineTest, OnlyTheApplicantSubmits) {
  const Definition d = standardDefinition();
  Request run(d);
  EXPECT_EQ(run.refuse("submit", kRita).kind, Refusal::Kind::Role);
  EXPECT_EQ(run.refuse("submit", kAnaStaff).kind, Refusal::Kind::Role);
}

TEST(EngineTest, DecisionsOutsideTheCurrentStageAreNotNow) {
  const Definition d = standardDefinition();
  Request run(d);
  EXPECT_EQ(run.refuse("accept", kRita).kind, Refusal::Kind::NotNow);  // draft
  run.fire("submit", kAna, "");
  EXPECT_EQ(run.refuse("endorse", kTom).kind, Refusal::Kind::NotNow);  // not this stage's decision
  EXPECT_EQ(run.refuse("approve_amendment", kAlice).kind, Refusal::Kind::NotNow);
  Refusal r = run.refuse("dance", kRita);
  EXPECT_EQ(r.kind, Refusal::Kind::UnknownEvent);
  EXPECT_NE(r.message.find("dance"), std::string::npos);
}

TEST(EngineTest, GuardRefusalNamesFieldOperatorExpectedAndActual) {
  const Definition d = standardDefinition();
  Request run(d);
  toApproval(run);
  Refusal r = run.refuse("approve", kAlice, "ok", quantity("6000000"));
  EXPECT_EQ(r.kind, Refusal::Kind::Guard);
  for (const char* part : {"authorisation.authorized_quantity", "le", "5000000", "6000000"}) {
    EXPECT_NE(r.message.find(part), std::string::npos) << part << " missing in: " << r.message;
  }
  r = run.refuse("approve", kAlice, "ok", quantity(std::nullopt));
  EXPECT_EQ(r.kind, Refusal::Kind::Guard);
  EXPECT_NE(r.message.find("absent"), std::string::npos) << r.message;
  EXPECT_EQ(run.refuse("approve", kAlice, "ok", FieldLookup{}).kind, Refusal::Kind::Guard);
  // Numbers compare as numbers: "900000" < "5000000" although not as text.
  run.fire("approve", kAlice, "ok", quantity("900000"));
  EXPECT_EQ(run.state().state, SpineState::Authorised);
}

TEST(EngineTest, GuardOperators) {
  auto outcome = [](Guard::Op op, std::vector<std::string> values, std::optional<std::string> actual) {
    Definition d;
    d.name = "guards";
    Stage s = makeStage("check", Phase::Approval, "approver");
    Decision approve = toOutcome("approve", Outcome::Approved);
    approve.guards = {Guard{"f", op, std::move(values), 0}};
    s.decisions = {approve};
    d.stages = {s};
    Engine engine(d);
    RunState state = engine.replay({ev("state_changed", "x", {{"from", "draft"}, {"to", "submitted"}}),
                                    ev("state_changed", "x", {{"from", "submitted"}, {"to", "in_review"}}),
                                    ev("stage_entered", "x", {{"stage", "check"}, {"entry", "1"}})});
    FieldLookup fields = [actual](const std::string&) { return actual; };
    return std::holds_alternative<Transition>(engine.fire(state, Command{"approve", kAlice, ""}, fields));
  };
  using Op = Guard::Op;
  EXPECT_TRUE(outcome(Op::Eq, {"GS"}, "GS"));
  EXPECT_FALSE(outcome(Op::Eq, {"GS"}, "VCS"));
  EXPECT_FALSE(outcome(Op::Eq, {"GS"}, std::nullopt));
  EXPECT_TRUE(outcome(Op::Ne, {"GS"}, "VCS"));
  EXPECT_FALSE(outcome(Op::Ne, {"GS"}, "GS"));
  EXPECT_TRUE(outcome(Op::Lt, {"10"}, "9"));
  EXPECT_FALSE(outcome(Op::Lt, {"10"}, "10"));
  EXPECT_TRUE(outcome(Op::Le, {"10"}, "10"));
  EXPECT_TRUE(outcome(Op::Gt, {"2.5"}, "10"));
  EXPECT_TRUE(outcome(Op::Ge, {"2030-12-31"}, "2031-01-01"));  // ISO dates compare as text
  EXPECT_FALSE(outcome(Op::Ge, {"2030-12-31"}, "2030-06-30"));
  EXPECT_FALSE(outcome(Op::Gt, {"10"}, std::nullopt));
  EXPECT_TRUE(outcome(Op::Present, {}, ""));
  EXPECT_FALSE(outcome(Op::Present, {}, std::nullopt));
  EXPECT_TRUE(outcome(Op::Absent, {}, std::nullopt));
  EXPECT_FALSE(outcome(Op::Absent, {}, "x"));
  EXPECT_TRUE(outcome(Op::In, {"CHE", "SWE"}, "SWE"));
  EXPECT_TRUE(outcome(Op::In, {"CHE", "SWE"}, "CHE,SWE"));  // list fields arrive comma-joined
  EXPECT_FALSE(outcome(Op::In, {"CHE", "SWE"}, "CHE,JPN"));
  EXPECT_FALSE(outcome(Op::In, {"CHE"}, std::nullopt));
  EXPECT_TRUE(outcome(Op::NotIn, {"CHE"}, "SWE"));
  EXPECT_FALSE(outcome(Op::NotIn, {"CHE"}, "SWE, CHE"));
}

TEST(EngineTest, CommentRequired) {
  const Definition d = standardDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  EXPECT_EQ(run.refuse("reject", kRita, "").kind, Refusal::Kind::CommentRequired);
  EXPECT_EQ(run.refuse("reject", kRita, "   ").kind, Refusal::Kind::CommentRequired);
  run.fire("reject", kRita, "incomplete file");
  EXPECT_EQ(run.state().state, SpineState::Rejected);
}

TEST(EngineTest, WithdrawByTheApplicant) {
  const Definition d = standardDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  EXPECT_EQ(run.refuse("withdraw", kRita).kind, Refusal::Kind::Role);
  Transition t = run.fire("withdraw", kAna, "no longer pursued");
  EXPECT_EQ(t.events, (Events{ev("withdrawn", "ana", {{"comment", "no longer pursued"}}),
                              ev("state_changed", "ana", {{"from", "in_review"}, {"to", "withdrawn"}})}));
  EXPECT_TRUE(t.cancelTimers);
  EXPECT_EQ(effectsOf(t), (std::vector<std::string>{"spine:withdrawn: email request-withdrawn to reviewer"}));
  EXPECT_EQ(t.after.stage, "");
  for (const char* event : {"submit", "withdraw", "accept", "open_amendment", "revoke"}) {
    EXPECT_EQ(run.refuse(event, kAna).kind, Refusal::Kind::NotNow) << event;
    EXPECT_EQ(run.refuse(event, kRita).kind, Refusal::Kind::NotNow) << event;
  }
}

TEST(EngineTest, WithdrawFromDraftCancelsNoTimers) {
  const Definition d = standardDefinition();
  Request run(d);
  Transition t = run.fire("withdraw", kAna, "");
  EXPECT_FALSE(t.cancelTimers);
  EXPECT_EQ(run.state().state, SpineState::Withdrawn);
}

TEST(EngineTest, NoWithdrawalAfterAuthorisation) {
  const Definition d = standardDefinition();
  Request run(d);
  toAuthorised(run);
  EXPECT_EQ(run.refuse("withdraw", kAna).kind, Refusal::Kind::NotNow);
}

TEST(EngineTest, AmendmentApprovedGivesVersionTwo) {
  const Definition d = standardDefinition();
  Request run(d);
  toAuthorised(run);
  EXPECT_EQ(run.refuse("open_amendment", kRita).kind, Refusal::Kind::Role);
  Transition t = run.fire("open_amendment", kAna, "raise the quantity");
  EXPECT_EQ(t.events, (Events{
                          ev("amendment_opened", "ana", {{"comment", "raise the quantity"}}),
                          ev("state_changed", "ana", {{"from", "authorised"}, {"to", "amendment_in_review"}}),
                          ev("stage_entered", "ana", {{"stage", "amendment_review"}, {"entry", "4"}}),
                      }));
  EXPECT_TRUE(t.after.passedApprovals.empty());
  EXPECT_EQ(run.refuse("open_amendment", kAna).kind, Refusal::Kind::NotNow);  // one at a time
  t = run.fire("approve_amendment", kAlice, "fine");
  EXPECT_EQ(t.events.back(), ev("state_changed", "alice", {{"from", "amendment_in_review"}, {"to", "authorised"}}));
  EXPECT_EQ(effectsOf(t),
            (std::vector<std::string>{"spine:authorised: letter letter-of-authorisation signed by approver",
                                      "spine:authorised: unfccc authorisation-issued"}));
  EXPECT_EQ(run.state().state, SpineState::Authorised);
  EXPECT_EQ(run.state().authorisationVersion, 2);
  // An approver may open the next one.
  run.fire("open_amendment", kAlice, "correct a name");
  run.fire("approve_amendment", kAlbert, "fine");
  EXPECT_EQ(run.state().authorisationVersion, 3);
}

TEST(EngineTest, AmendmentRefusedKeepsTheAuthorisation) {
  const Definition d = standardDefinition();
  Request run(d);
  toAuthorised(run);
  run.fire("open_amendment", kAna, "raise the quantity");
  EXPECT_EQ(run.refuse("refuse_amendment", kAlice, "").kind, Refusal::Kind::CommentRequired);
  Transition t = run.fire("refuse_amendment", kAlice, "not justified");
  EXPECT_EQ(t.events.back(), ev("state_changed", "alice", {{"from", "amendment_in_review"}, {"to", "authorised"}}));
  EXPECT_TRUE(t.effects.empty());
  EXPECT_EQ(run.state().state, SpineState::Authorised);
  EXPECT_EQ(run.state().authorisationVersion, 1);
}

TEST(EngineTest, AmendmentNeedsAnAuthorisationAndAPhase) {
  const Definition d = standardDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  EXPECT_EQ(run.refuse("open_amendment", kAna).kind, Refusal::Kind::NotNow);

  const Definition c = confirmationDefinition();
  Request other(c);
  other.fire("submit", kAna, "");
  other.fire("accept", kRita);
  other.fire("approve", kAlice);
  other.fire("no_objection", kPat);
  Refusal r = other.refuse("open_amendment", kAna);
  EXPECT_EQ(r.kind, Refusal::Kind::NotNow);
  EXPECT_NE(r.message.find("no amendment phase"), std::string::npos) << r.message;
}

TEST(EngineTest, RevokeNeedsAnApproverAndAReasonAndIsFinal) {
  const Definition d = standardDefinition();
  Request run(d);
  toAuthorised(run);
  EXPECT_EQ(run.refuse("revoke", kRita, "fraud").kind, Refusal::Kind::Role);
  EXPECT_EQ(run.refuse("revoke", kAna, "fraud").kind, Refusal::Kind::Role);
  EXPECT_EQ(run.refuse("revoke", kAlice, "").kind, Refusal::Kind::CommentRequired);
  Transition t = run.fire("revoke", kAlice, "double claiming");
  EXPECT_EQ(t.events, (Events{ev("revoked", "alice", {{"comment", "double claiming"}}),
                              ev("state_changed", "alice", {{"from", "authorised"}, {"to", "revoked"}})}));
  EXPECT_FALSE(t.cancelTimers);
  EXPECT_EQ(effectsOf(t), (std::vector<std::string>{"spine:revoked: unfccc authorisation-revoked"}));
  for (const char* event : {"submit", "withdraw", "open_amendment", "revoke", "accept", "endorse", "approve", "reject",
                            "approve_amendment", "refuse_amendment", "request_changes"}) {
    for (const Actor* actor : {&kAna, &kAlice, &kRita, &kTom, &kAlbert}) {
      EXPECT_EQ(run.refuse(event, *actor, "please").kind, Refusal::Kind::NotNow) << event << " by " << actor->name;
    }
  }
  EXPECT_EQ(run.state().state, SpineState::Revoked);
}

TEST(EngineTest, RevokeDuringAnAmendmentCancelsItsTimers) {
  const Definition d = standardDefinition();
  Request run(d);
  toAuthorised(run);
  run.fire("open_amendment", kAna, "");
  Transition t = run.fire("revoke", kAlbert, "conditions breached");
  EXPECT_TRUE(t.cancelTimers);
  EXPECT_EQ(t.events.back(), ev("state_changed", "albert", {{"from", "amendment_in_review"}, {"to", "revoked"}}));
  EXPECT_EQ(t.after.stage, "");
}

// --- timers -----------------------------------------------------------------------------------------

TEST(EngineTest, SlaReminderAndBreach) {
  const Definition d = standardDefinition();
  Request run(d);
  Transition submitted = run.fire("submit", kAna, "");
  ASSERT_EQ(submitted.startTimers.size(), 2u);

  std::optional<Transition> t = run.timer(submitted.startTimers[0]);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->events, (Events{ev("sla_reminder", "system", {{"stage", "screening"}, {"entry", "1"}})}));
  EXPECT_EQ(effectsOf(*t), (std::vector<std::string>{"timer:reminder: email sla-reminder to reviewer"}));
  EXPECT_FALSE(t->cancelTimers);
  EXPECT_EQ(run.state().stage, "screening");

  t = run.timer(submitted.startTimers[1]);
  ASSERT_TRUE(t);
  EXPECT_EQ(
      t->events,
      (Events{ev("sla_breached", "system", {{"stage", "screening"}, {"entry", "1"}, {"escalate_to", "approver"}})}));
  EXPECT_EQ(effectsOf(*t), (std::vector<std::string>{"timer:breach: email sla-breach to approver",
                                                     "timer:breach: webhook sla.breached"}));

  // Without escalateTo the stage's own role hears of it.
  Transition accepted = run.fire("accept", kRita, "");
  t = run.timer(accepted.startTimers.at(0));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->events.at(0).attrs.at("escalate_to"), "technical-committee");
}

TEST(EngineTest, StaleTimersDoNothing) {
  const Definition d = standardDefinition();
  Request run(d);
  Transition submitted = run.fire("submit", kAna, "");
  run.fire("accept", kRita, "");
  for (const Timer& timer : submitted.startTimers) EXPECT_FALSE(run.timer(timer)) << toString(timer.kind);
  // The current stage but another entry of it.
  EXPECT_FALSE(run.timer(Timer{Timer::Kind::Breach, "technical_review", 7, days(10), ""}));
}

TEST(EngineTest, ConfirmationWindowSilenceIsConsent) {
  const Definition d = confirmationDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  run.fire("accept", kRita);
  Transition t = run.fire("approve", kAlice, "yes");
  EXPECT_EQ(t.events, (Events{
                          ev("vote", "alice", {{"stage", "approval"}, {"decision", "approve"}, {"comment", "yes"}}),
                          ev("stage_completed", "alice", {{"stage", "approval"}, {"decision", "approve"}}),
                          ev("state_changed", "alice", {{"from", "in_review"}, {"to", "approved"}}),
                          ev("stage_entered", "alice", {{"stage", "partner_objection"}, {"entry", "3"}}),
                      }));
  EXPECT_EQ(t.startTimers,
            (std::vector<Timer>{{Timer::Kind::Timeout, "partner_objection", 3, days(30), "no_objection"}}));
  EXPECT_EQ(run.state().state, SpineState::Approved);
  EXPECT_EQ(run.state().authorisationVersion, 0);
  EXPECT_EQ(run.available(kPat), (std::vector<std::string>{"no_objection", "object"}));
  EXPECT_EQ(run.available(kAna), (std::vector<std::string>{"withdraw"}));

  std::optional<Transition> timeout = run.timer(t.startTimers.at(0));
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->events,
            (Events{ev("stage_completed", "system",
                       {{"stage", "partner_objection"}, {"decision", "no_objection"}, {"by", "timeout"}}),
                    ev("state_changed", "system", {{"from", "approved"}, {"to", "authorised"}})}));
  EXPECT_EQ(effectsOf(*timeout),
            (std::vector<std::string>{"spine:authorised: letter letter-of-authorisation signed by approver"}));
  EXPECT_TRUE(timeout->cancelTimers);
  EXPECT_EQ(run.state().state, SpineState::Authorised);
  EXPECT_EQ(run.state().authorisationVersion, 1);
  EXPECT_EQ(run.state().stage, "");
}

TEST(EngineTest, ConfirmationWindowObjectionReturnsToReview) {
  const Definition d = confirmationDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  run.fire("accept", kRita);
  Transition approved = run.fire("approve", kAlice, "yes");
  EXPECT_EQ(run.refuse("object", kPat, "").kind, Refusal::Kind::CommentRequired);
  Transition t = run.fire("object", kPat, "corresponding adjustment unclear");
  EXPECT_EQ(
      t.events,
      (Events{
          ev("vote", "pat",
             {{"stage", "partner_objection"}, {"decision", "object"}, {"comment", "corresponding adjustment unclear"}}),
          ev("stage_completed", "pat", {{"stage", "partner_objection"}, {"decision", "object"}}),
          ev("state_changed", "pat", {{"from", "approved"}, {"to", "in_review"}}),
          ev("stage_entered", "pat", {{"stage", "screening"}, {"entry", "4"}}),
      }));
  EXPECT_EQ(effectsOf(t), (std::vector<std::string>{"decision:object: email objection-received to approver"}));
  EXPECT_TRUE(t.cancelTimers);
  EXPECT_EQ(run.state().state, SpineState::InReview);
  EXPECT_TRUE(run.state().passedApprovals.empty());     // a new round: approval again
  EXPECT_FALSE(run.timer(approved.startTimers.at(0)));  // the old window is gone

  run.fire("accept", kRita);
  run.fire("approve", kAlice, "yes, with clarified adjustment");
  run.fire("no_objection", kPat);
  EXPECT_EQ(run.state().state, SpineState::Authorised);
  EXPECT_EQ(run.state().authorisationVersion, 1);
}

TEST(EngineTest, WithdrawDuringTheConfirmationWindow) {
  const Definition d = confirmationDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  run.fire("accept", kRita);
  run.fire("approve", kAlice);
  Transition t = run.fire("withdraw", kAna, "");
  EXPECT_TRUE(t.cancelTimers);
  EXPECT_EQ(t.events.back(), ev("state_changed", "ana", {{"from", "approved"}, {"to", "withdrawn"}}));
}

// --- changes requested ------------------------------------------------------------------------------

TEST(EngineTest, ChangesRequestedThenResubmitResumesAtResume) {
  const Definition d = changesDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  run.fire("accept", kRita);
  EXPECT_EQ(run.refuse("request_changes", kTom, "").kind, Refusal::Kind::CommentRequired);
  Transition t = run.fire("request_changes", kTom, "baseline missing");
  EXPECT_EQ(
      t.events,
      (Events{
          ev("vote", "tom", {{"stage", "technical"}, {"decision", "request_changes"}, {"comment", "baseline missing"}}),
          ev("stage_completed", "tom", {{"stage", "technical"}, {"decision", "request_changes"}}),
          ev("state_changed", "tom", {{"from", "in_review"}, {"to", "changes_requested"}}),
      }));
  EXPECT_EQ(run.state().state, SpineState::ChangesRequested);
  EXPECT_EQ(run.state().stage, "");
  EXPECT_EQ(run.state().resumeStage, "technical");
  EXPECT_TRUE(Spine::editable(run.state().state));
  EXPECT_EQ(run.available(kAna), (std::vector<std::string>{"submit", "withdraw"}));

  t = run.fire("submit", kAna, "baseline added");
  EXPECT_EQ(t.events, (Events{
                          ev("submitted", "ana", {{"workflow", "test-changes"}, {"version", "2"}}),
                          ev("state_changed", "ana", {{"from", "changes_requested"}, {"to", "submitted"}}),
                          ev("state_changed", "ana", {{"from", "submitted"}, {"to", "in_review"}}),
                          ev("stage_entered", "ana", {{"stage", "technical"}, {"entry", "3"}}),
                      }));
  EXPECT_EQ(run.state().stage, "technical");
  EXPECT_EQ(run.state().resumeStage, "");
  EXPECT_FALSE(Spine::editable(run.state().state));
  // A new round: the same reviewer may decide again.
  run.fire("endorse", kTom);
  EXPECT_EQ(run.state().stage, "ministry_approval");
}

TEST(EngineTest, ResubmissionWithoutResumeStartsAtTheEntryAndANewRound) {
  const Definition d = changesDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  run.fire("accept", kRita);
  run.fire("endorse", kTom);
  run.fire("approve", kAlice);
  EXPECT_EQ(run.state().passedApprovals, (std::set<std::string>{"ministry_approval"}));
  run.fire("request_changes", kMia, "start over");
  EXPECT_EQ(run.state().resumeStage, "");
  run.fire("submit", kAna, "");
  EXPECT_EQ(run.state().stage, "screening");
  EXPECT_TRUE(run.state().passedApprovals.empty());
  EXPECT_TRUE(run.state().votes.empty());
  EXPECT_EQ(run.state().submittedBy, "ana");
}

TEST(EngineTest, ApprovalStagesCannotBeSkipped) {
  const Definition d = changesDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  run.fire("accept", kRita);
  run.fire("fast_track", kTom);
  EXPECT_EQ(run.state().stage, "final_approval");
  const std::size_t before = run.stream().size();
  Refusal r = run.refuse("approve", kMia);
  EXPECT_EQ(r.kind, Refusal::Kind::NotNow);
  EXPECT_EQ(r.rule, "spine: every approval stage must be passed");
  EXPECT_EQ(run.stream().size(), before);
  EXPECT_EQ(run.available(kMia), (std::vector<std::string>{"request_changes"}));
}

// --- available --------------------------------------------------------------------------------------

TEST(EngineTest, AvailableListsExactlyTheAllowedEvents) {
  using Names = std::vector<std::string>;
  const Definition d = standardDefinition();
  Request run(d);
  EXPECT_EQ(run.available(kAna), (Names{"submit", "withdraw"}));
  EXPECT_EQ(run.available(kRita), Names{});

  run.fire("submit", kAna, "");
  EXPECT_EQ(run.available(kRita), (Names{"accept", "reject", "request_changes"}));
  EXPECT_EQ(run.available(kAna), (Names{"withdraw"}));
  EXPECT_EQ(run.available(kAnaStaff), Names{});
  EXPECT_EQ(run.available(kAlice), Names{});

  run.fire("accept", kRita);
  run.fire("endorse", kTom);
  EXPECT_EQ(run.available(kTom), Names{});
  EXPECT_EQ(run.available(kTess), (Names{"endorse", "reject"}));
  EXPECT_EQ(run.available(kRita), Names{});  // screened: segregated

  run.fire("endorse", kTess);
  EXPECT_EQ(run.available(kAlice, quantity("6000000")), (Names{"reject"}));
  EXPECT_EQ(run.available(kAlice), (Names{"approve", "reject"}));
  EXPECT_EQ(run.available(kTess), Names{});

  run.fire("approve", kAlice);
  EXPECT_EQ(run.available(kAna), (Names{"open_amendment"}));
  EXPECT_EQ(run.available(kAlice), (Names{"open_amendment", "revoke"}));
  EXPECT_EQ(run.available(kRita), Names{});

  run.fire("open_amendment", kAna, "");
  EXPECT_EQ(run.available(kAlice), (Names{"approve_amendment", "refuse_amendment", "revoke"}));
  EXPECT_EQ(run.available(kAna), Names{});

  run.fire("revoke", kAlice, "fraud");
  for (const Actor* a : {&kAna, &kAlice, &kRita, &kAlbert}) EXPECT_EQ(run.available(*a), Names{}) << a->name;
}

// --- replay -----------------------------------------------------------------------------------------

TEST(EngineTest, ReplayIgnoresOtherEventTypes) {
  const Definition d = standardDefinition();
  Request run(d);
  toTechnical(run);
  Events stream = run.stream();
  stream.insert(stream.begin(), ev("created", "ana", {{"title", "Cookstoves"}}));
  stream.insert(stream.begin() + 1, ev("edited", "ana", {}));
  stream.push_back(ev("attachment_added", "ana", {{"name", "PDD.pdf"}}));
  EXPECT_EQ(describe(run.engine().replay(stream)), describe(run.state()));
}

TEST(EngineTest, ReplayRefusesAStreamTheSpineRefuses) {
  const Definition d = standardDefinition();
  const Engine engine(d);
  try {
    engine.replay({ev("created", "ana", {}), ev("state_changed", "ana", {{"from", "draft"}, {"to", "authorised"}})});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
    EXPECT_NE(std::string(e.what()).find("index 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("state_changed"), std::string::npos) << e.what();
  }
  // in_review -> approved without every approval stage passed.
  EXPECT_THROW(engine.replay({ev("state_changed", "a", {{"from", "draft"}, {"to", "submitted"}}),
                              ev("state_changed", "a", {{"from", "submitted"}, {"to", "in_review"}}),
                              ev("state_changed", "a", {{"from", "in_review"}, {"to", "approved"}})}),
               Error);
  // A move recorded from a state the request is not in.
  EXPECT_THROW(engine.replay({ev("state_changed", "a", {{"from", "authorised"}, {"to", "revoked"}})}), Error);
}

TEST(EngineTest, ReplayRefusesVotesOnAStageThatIsNotCurrent) {
  const Definition d = standardDefinition();
  Request run(d);
  run.fire("submit", kAna, "");
  Events stream = run.stream();
  stream.push_back(ev("vote", "tom", {{"stage", "technical_review"}, {"decision", "endorse"}, {"comment", ""}}));
  try {
    run.engine().replay(stream);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
    EXPECT_NE(std::string(e.what()).find("index 4 (vote)"), std::string::npos) << e.what();
  }
  stream.back() = ev("stage_completed", "tom", {{"stage", "approval"}, {"decision", "approve"}});
  EXPECT_THROW(run.engine().replay(stream), Error);
}

// --- property test ----------------------------------------------------------------------------------

struct PropertyCase {
  const char* label;
  Definition (*make)();
};

const std::vector<const Actor*> kPool = {&kAna,   &kAnaStaff, &kRita,   &kRavi, &kTom, &kTess,  &kTheo,
                                         &kTrent, &kAlice,    &kAlbert, &kMia,  &kPat, &kNobody};

// What the property test remembers of the stream so far, to check rules the RunState does not show.
struct Watch {
  std::set<std::string> roundCompleted;                     // stages completed since the round began
  std::map<std::string, std::set<std::string>> entryVotes;  // current stage entry: decision -> voters
  std::string entryStage;
};

// Checks one newly written event; returns what is wrong, or "".
std::string checkEvent(const Definition& d, Watch& w, const WorkflowEvent& e, const std::string& submittedBy) {
  const auto attr = [&e](const char* k) {
    auto it = e.attrs.find(k);
    return it == e.attrs.end() ? std::string() : it->second;
  };
  if (e.type == "submitted" || e.type == "amendment_opened") w.roundCompleted.clear();
  if (e.type == "stage_entered") {
    w.entryVotes.clear();
    w.entryStage = attr("stage");
  }
  if (e.type == "vote") {
    if (e.actor == kAna.name || e.actor == submittedBy) return "a vote by the applicant/submitter " + e.actor;
    if (attr("stage") != w.entryStage) return "a vote on " + attr("stage") + " while " + w.entryStage + " is current";
    w.entryVotes[attr("decision")].insert(e.actor);
  }
  if (e.type == "stage_completed") {
    w.roundCompleted.insert(attr("stage"));
    if (attr("by") != "timeout") {
      const Stage* stage = d.stage(attr("stage"));
      if (stage == nullptr) return "unknown stage completed";
      int k = stage->quorum;
      for (const Decision& dec : stage->decisions) {
        if (dec.event == attr("decision")) k = dec.quorum.value_or(stage->quorum);
      }
      const std::size_t voters = w.entryVotes[attr("decision")].size();
      if (voters < static_cast<std::size_t>(k)) {
        return "stage " + stage->id + " completed with " + std::to_string(voters) + " of " + std::to_string(k) +
               " votes";
      }
    }
  }
  if (e.type == "state_changed") {
    const std::optional<SpineState> from = spineStateFromString(attr("from"));
    const std::optional<SpineState> to = spineStateFromString(attr("to"));
    if (!from || !to) return "state_changed names no spine state";
    bool lawful = false;
    for (int i = 0; i <= static_cast<int>(SpineEvent::Expire) && !lawful; ++i) {
      Spine spine(*from);
      lawful = spine.process(static_cast<SpineEvent>(i), true) && spine.current() == *to;
    }
    if (!lawful) return "no spine move " + attr("from") + " -> " + attr("to");
    if (*from == SpineState::Approved && *to == SpineState::InReview) w.roundCompleted.clear();
    if (*from == SpineState::Approved && *to == SpineState::Authorised) {
      for (const Stage* s : d.stagesIn(Phase::Approval)) {
        if (!w.roundCompleted.contains(s->id)) return "authorised without completing approval stage " + s->id;
      }
    }
  }
  return "";
}

TEST(EnginePropertyTest, RandomSequencesKeepTheRules) {
  constexpr std::uint32_t kSeed = 20250131;
  constexpr int kSequences = 300;
  constexpr int kMaxSteps = 60;
  const std::vector<PropertyCase> cases = {
      {"standard", standardDefinition}, {"confirmation", confirmationDefinition}, {"changes", changesDefinition}};
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const Definition d = cases[c].make();
    const Engine engine(d);
    std::set<std::string> names = {"submit", "withdraw", "open_amendment", "revoke", "dance"};
    for (const Stage& s : d.stages) {
      for (const Decision& dec : s.decisions) names.insert(dec.event);
    }
    const std::vector<std::string> eventNames(names.begin(), names.end());
    std::map<SpineState, int> reached;
    bool failed = false;

    for (int sequence = 0; sequence < kSequences && !failed; ++sequence) {
      const std::uint32_t seed = kSeed + static_cast<std::uint32_t>(1000 * c + sequence);
      std::mt19937 rng(seed);
      auto pick = [&rng](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
      auto percent = [&rng]() { return std::uniform_int_distribution<int>(0, 99)(rng); };
      const std::vector<std::optional<std::string>> quantities = {"1500000", "6000000", std::nullopt};
      const FieldLookup fields = quantity(quantities[pick(quantities.size())]);

      RunState state;
      Events stream;
      std::vector<Timer> timers;
      Watch watch;
      std::vector<std::string> log;
      const int steps = 1 + static_cast<int>(pick(kMaxSteps));
      auto fail = [&](const std::string& what) {
        std::ostringstream os;
        os << cases[c].label << ": seed " << seed << " (base " << kSeed << ", sequence " << sequence << "), step "
           << log.size() << ": " << what << "\nsequence:\n";
        for (const std::string& line : log) os << "  " << line << "\n";
        os << "state: " << describe(state);
        ADD_FAILURE() << os.str();
        failed = true;
      };

      for (int step = 0; step < steps && !failed; ++step) {
        std::optional<Transition> transition;
        try {
          if (!timers.empty() && percent() < 12) {
            const Timer timer = timers[pick(timers.size())];
            transition = engine.fireTimer(state, timer);
            log.push_back(std::string("timer ") + toString(timer.kind) + " " + timer.stage + "#" +
                          std::to_string(timer.entry) + (transition ? " -> fired" : " -> stale"));
          } else {
            const Actor* chosen = kPool[pick(kPool.size())];
            std::string event;
            bool offered = false;
            // Mostly follow what available() offers someone, so that sequences get deep enough to
            // matter; endings (withdraw, reject, revoke) are taken less often than they are offered.
            if (percent() < 70) {
              std::vector<std::pair<const Actor*, std::string>> offers;
              for (const Actor* a : kPool) {
                for (const std::string& e : engine.available(state, *a, fields)) {
                  const bool ending = e == "withdraw" || e == "reject" || e == "revoke";
                  if (!ending || percent() < 15) offers.emplace_back(a, e);
                }
              }
              if (!offers.empty()) {
                std::tie(chosen, event) = offers[pick(offers.size())];
                offered = true;
              }
            }
            const Actor& actor = *chosen;
            if (event.empty()) event = eventNames[pick(eventNames.size())];
            const std::string comment = percent() < 20 ? "" : "because";
            auto result = engine.fire(state, Command{event, actor, comment}, fields);
            if (const Refusal* r = std::get_if<Refusal>(&result)) {
              log.push_back(actor.name + (actor.isApplicant ? "(applicant) " : " ") + event + " '" + comment +
                            "' -> refused " + toString(r->kind) + " [" + r->rule + "]");
              if (offered && !comment.empty()) fail("available() offered " + event + " but fire refused it");
            } else {
              transition = std::get<Transition>(std::move(result));
              log.push_back(actor.name + (actor.isApplicant ? "(applicant) " : " ") + event + " '" + comment + "' -> " +
                            std::to_string(transition->events.size()) + " events");
            }
          }
          if (!transition) continue;
          for (const WorkflowEvent& e : transition->events) {
            const std::string problem = checkEvent(d, watch, e, state.submittedBy);
            if (!problem.empty()) {
              fail(problem);
              break;
            }
          }
          stream.insert(stream.end(), transition->events.begin(), transition->events.end());
          timers.insert(timers.end(), transition->startTimers.begin(), transition->startTimers.end());
          state = transition->after;
          reached[state.state] += 1;
          const RunState replayed = engine.replay(stream);
          if (describe(replayed) != describe(state)) {
            fail("replay differs:\n  replay " + describe(replayed) + "\n  after  " + describe(state));
          }
          if (spineStateFromString(toString(state.state)) != state.state) fail("not a spine state");
          const bool staged = state.state == SpineState::InReview || state.state == SpineState::Approved ||
                              state.state == SpineState::AmendmentInReview;
          if (staged == state.stage.empty()) fail("stage '" + state.stage + "' does not fit the spine state");
          if ((state.state == SpineState::Authorised) != (state.authorisationVersion > 0) &&
              state.state != SpineState::AmendmentInReview && state.state != SpineState::Revoked &&
              state.state != SpineState::Expired) {
            fail("authorisation version " + std::to_string(state.authorisationVersion) + " while " +
                 toString(state.state));
          }
        } catch (const std::exception& e) {
          fail(std::string("threw: ") + e.what());
        }
      }
    }
    std::string coverage = cases[c].label;
    for (const auto& [s, n] : reached) coverage += std::string(" ") + toString(s) + "=" + std::to_string(n);
    // The random walks must reach the interesting places, or the test proves little.
    EXPECT_GT(reached[SpineState::Authorised], 0) << coverage;
    EXPECT_GT(reached[SpineState::Rejected] + reached[SpineState::Withdrawn], 0) << coverage;
    if (d.amendmentEntryStage() != nullptr) {
      EXPECT_GT(reached[SpineState::AmendmentInReview], 0) << coverage;
      EXPECT_GT(reached[SpineState::Revoked], 0) << coverage;
    }
    if (!d.stagesIn(Phase::Confirmation).empty()) {
      EXPECT_GT(reached[SpineState::Approved], 0) << coverage;
    }
    const bool asksForChanges = std::any_of(d.stages.begin(), d.stages.end(), [](const Stage& s) {
      return std::any_of(s.decisions.begin(), s.decisions.end(),
                         [](const Decision& dec) { return dec.outcome == Outcome::ChangesRequested; });
    });
    if (asksForChanges) {
      EXPECT_GT(reached[SpineState::ChangesRequested], 0) << coverage;
    }
  }
}

}  // namespace
}  // namespace a6::workflows
