// The workflow runtime. `fire` and `fireTimer` plan the events one command causes; every RunState,
// the `after` of a transition as much as a replayed stream, comes from applying recorded events with
// one function (`apply`), so what is stored and what was computed can never drift apart.
#include "a6/workflows/Engine.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

#include "a6/core/Error.h"
#include "a6/workflows/Spine.h"

namespace a6::workflows {

namespace {

constexpr const char* kSystemActor = "system";
constexpr const char* kApproverRole = "approver";
constexpr const char* kReminderTemplate = "sla-reminder";
constexpr const char* kEscalationTemplate = "sla-breach";
constexpr const char* kBreachWebhook = "sla.breached";

constexpr SpineState kAllStates[] = {
    SpineState::Draft,
    SpineState::Submitted,
    SpineState::InReview,
    SpineState::ChangesRequested,
    SpineState::Approved,
    SpineState::Authorised,
    SpineState::Rejected,
    SpineState::Withdrawn,
    SpineState::AmendmentInReview,
    SpineState::Revoked,
    SpineState::Expired,
};

// The commands the spine itself answers to, whatever the definition.
constexpr const char* kSpineCommands[] = {"submit", "withdraw", "open_amendment", "revoke"};

// Only these spine states have a current configured stage.
bool hasStage(SpineState s) {
  return s == SpineState::InReview || s == SpineState::Approved || s == SpineState::AmendmentInReview;
}

bool blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

std::string attrOf(const WorkflowEvent& e, const std::string& key) {
  auto it = e.attrs.find(key);
  return it == e.attrs.end() ? std::string() : it->second;
}

const Decision* findDecision(const Stage& stage, const std::string& event) {
  for (const Decision& d : stage.decisions) {
    if (d.event == event) return &d;
  }
  return nullptr;
}

bool allApprovalsPassed(const Definition& definition, const std::set<std::string>& passed) {
  for (const Stage* s : definition.stagesIn(Phase::Approval)) {
    if (!passed.contains(s->id)) return false;
  }
  return true;
}

// What one event hands to the next within a batch: a recorded amendment_in_review -> authorised move
// means "new version" or "refused" depending on the decision just completed.
struct ApplyContext {
  std::optional<Outcome> lastOutcome;
};

// Names the spine event behind a recorded from -> to move. The Spine alone decides whether the move
// is lawful; this only says which question to ask it.
std::optional<SpineEvent> spineEventFor(SpineState from, SpineState to, const ApplyContext& context) {
  switch (to) {
    case SpineState::Draft:
      return std::nullopt;
    case SpineState::Submitted:
      return SpineEvent::Submit;
    case SpineState::InReview:
      return from == SpineState::Approved ? SpineEvent::ReturnToReview : SpineEvent::StartReview;
    case SpineState::ChangesRequested:
      return SpineEvent::RequestChanges;
    case SpineState::Approved:
      return SpineEvent::Approve;
    case SpineState::Authorised:
      if (from == SpineState::AmendmentInReview) {
        return context.lastOutcome == Outcome::AmendmentApproved ? SpineEvent::ApproveAmendment
                                                                 : SpineEvent::RefuseAmendment;
      }
      return SpineEvent::Authorise;
    case SpineState::Rejected:
      return SpineEvent::Reject;
    case SpineState::Withdrawn:
      return SpineEvent::Withdraw;
    case SpineState::AmendmentInReview:
      return SpineEvent::OpenAmendment;
    case SpineState::Revoked:
      return SpineEvent::Revoke;
    case SpineState::Expired:
      return SpineEvent::Expire;
  }
  return std::nullopt;
}

bool spineAccepts(const Definition& definition, const RunState& state, const ApplyContext& context, SpineState to) {
  const std::optional<SpineEvent> event = spineEventFor(state.state, to, context);
  if (!event) return false;
  Spine spine(state.state);
  return spine.process(*event, allApprovalsPassed(definition, state.passedApprovals)) && spine.current() == to;
}

[[noreturn]] void corrupt(std::size_t position, const WorkflowEvent& e, const std::string& why) {
  throw Error(ErrorCode::Internal, "workflow event at index " + std::to_string(position) + " (" + e.type + "): " + why);
}

const Stage& currentStage(const Definition& definition, const RunState& state, std::size_t position,
                          const WorkflowEvent& e) {
  const std::string id = attrOf(e, "stage");
  if (id.empty() || id != state.stage) {
    corrupt(position, e,
            "stage '" + id + "' is not the current stage" + (state.stage.empty() ? "" : " ('" + state.stage + "')"));
  }
  const Stage* stage = definition.stage(id);
  if (stage == nullptr) corrupt(position, e, "stage '" + id + "' is not in workflow " + definition.name);
  return *stage;
}

const Decision& recordedDecision(const Stage& stage, std::size_t position, const WorkflowEvent& e) {
  const std::string event = attrOf(e, "decision");
  const Decision* decision = findDecision(stage, event);
  if (decision == nullptr) corrupt(position, e, "stage " + stage.id + " has no decision '" + event + "'");
  return *decision;
}

// The one place a recorded event changes a RunState. Types it does not know change nothing.
void apply(const Definition& definition, RunState& s, ApplyContext& context, const WorkflowEvent& e,
           std::size_t position) {
  if (e.type == "submitted") {
    // A new round: approvals and votes of an earlier round do not carry over.
    s.passedApprovals.clear();
    s.votes.clear();
    s.resumeStage.clear();
    if (s.submittedBy.empty()) s.submittedBy = e.actor;
  } else if (e.type == "state_changed") {
    const std::optional<SpineState> from = spineStateFromString(attrOf(e, "from"));
    const std::optional<SpineState> to = spineStateFromString(attrOf(e, "to"));
    if (!from || !to) corrupt(position, e, "unknown spine state");
    if (*from != s.state) {
      corrupt(position, e,
              std::string("records a move from ") + toString(*from) + " but the request is " + toString(s.state));
    }
    if (!spineAccepts(definition, s, context, *to)) {
      corrupt(position, e, std::string("the spine refuses ") + toString(*from) + " -> " + toString(*to));
    }
    if (*to == SpineState::Authorised) {
      if (*from == SpineState::Approved) {
        s.authorisationVersion = 1;
      } else if (context.lastOutcome == Outcome::AmendmentApproved) {
        s.authorisationVersion += 1;
      }
    }
    // An objection in the confirmation window: the approvals must be given again.
    if (*from == SpineState::Approved && *to == SpineState::InReview) s.passedApprovals.clear();
    s.state = *to;
    if (!hasStage(*to)) {
      s.stage.clear();
      s.votes.clear();
    }
    context.lastOutcome.reset();
  } else if (e.type == "stage_entered") {
    const std::string id = attrOf(e, "stage");
    if (!hasStage(s.state)) {
      corrupt(position, e, std::string("no stage can be entered while the request is ") + toString(s.state));
    }
    if (definition.stage(id) == nullptr)
      corrupt(position, e, "stage '" + id + "' is not in workflow " + definition.name);
    s.stage = id;
    s.stageEntries += 1;
    s.votes.clear();
  } else if (e.type == "vote") {
    const Stage& stage = currentStage(definition, s, position, e);
    const Decision& decision = recordedDecision(stage, position, e);
    s.votes[decision.event].insert(e.actor);
    s.actorsByStage[stage.id].insert(e.actor);
  } else if (e.type == "stage_completed") {
    const Stage& stage = currentStage(definition, s, position, e);
    const Decision& decision = recordedDecision(stage, position, e);
    if (stage.phase == Phase::Approval &&
        (decision.outcome == Outcome::None || decision.outcome == Outcome::Approved)) {
      s.passedApprovals.insert(stage.id);
    }
    if (decision.outcome == Outcome::ChangesRequested) s.resumeStage = decision.resume;
    s.votes.clear();
    s.stage.clear();
    context.lastOutcome = decision.outcome;
  } else if (e.type == "amendment_opened") {
    s.passedApprovals.clear();
    s.votes.clear();
  }
  // withdrawn, revoked, sla_reminder, sla_breached: the state_changed that follows (or nothing) carries
  // their effect on the state.
}

Refusal refuse(Refusal::Kind kind, std::string rule, std::string message) {
  return Refusal{kind, std::move(rule), std::move(message)};
}

Refusal notNow(const RunState& state, const std::string& event) {
  return refuse(Refusal::Kind::NotNow, std::string("spine: ") + toString(state.state),
                "'" + event + "' cannot be fired while the request is " + toString(state.state) + ".");
}

// Builds one transition: every event is applied as it is written, so later steps see the state the
// stream will have, and `after` is exactly what replay will compute.
class Planner {
 public:
  Planner(const Definition& definition, const RunState& start, std::string actor)
      : definition_(definition), state_(start), actor_(std::move(actor)) {}

  const RunState& state() const { return state_; }

  void emit(std::string type, std::map<std::string, std::string> attrs) {
    WorkflowEvent e{std::move(type), actor_, std::move(attrs)};
    apply(definition_, state_, context_, e, out_.events.size());
    out_.events.push_back(std::move(e));
  }

  void addEffects(const std::vector<Effect>& effects, const std::string& cause) {
    for (const Effect& effect : effects) out_.effects.push_back(PendingEffect{effect, cause});
  }

  void cancelTimers() { out_.cancelTimers = true; }

  // Asks the spine first, so that a refused move leaves nothing written.
  std::optional<Refusal> move(SpineState to) {
    if (!spineAccepts(definition_, state_, context_, to)) {
      if (to == SpineState::Approved) {
        return refuse(Refusal::Kind::NotNow, "spine: every approval stage must be passed",
                      "The request cannot be approved before every approval stage has been passed.");
      }
      return refuse(Refusal::Kind::NotNow,
                    std::string("spine: ") + toString(state_.state) + " -> " + toString(to) + " is not a lawful move",
                    std::string("The request cannot go from ") + toString(state_.state) + " to " + toString(to) + ".");
    }
    emit("state_changed", {{"from", toString(state_.state)}, {"to", toString(to)}});
    return std::nullopt;
  }

  void enter(const Stage& stage) {
    const int entry = state_.stageEntries + 1;
    emit("stage_entered", {{"stage", stage.id}, {"entry", std::to_string(entry)}});
    addEffects(stage.onEnter, "stage:" + stage.id);
    out_.startTimers.clear();
    if (stage.sla) {
      if (stage.sla->reminder) {
        out_.startTimers.push_back(Timer{Timer::Kind::Reminder, stage.id, entry, *stage.sla->reminder, ""});
      }
      out_.startTimers.push_back(Timer{Timer::Kind::Breach, stage.id, entry, stage.sla->due, ""});
    }
    if (stage.timeout) {
      out_.startTimers.push_back(
          Timer{Timer::Kind::Timeout, stage.id, entry, stage.timeout->after, stage.timeout->decision});
    }
  }

  // Quorum reached (or the timeout decided): leave the stage and go where the decision leads.
  std::optional<Refusal> complete(const Stage& stage, const Decision& decision, bool byTimeout) {
    std::map<std::string, std::string> attrs{{"stage", stage.id}, {"decision", decision.event}};
    if (byTimeout) attrs["by"] = "timeout";
    emit("stage_completed", std::move(attrs));
    addEffects(decision.effects, "decision:" + decision.event);
    cancelTimers();
    switch (decision.outcome) {
      case Outcome::None: {
        const Stage* next = definition_.stage(decision.next);
        if (next == nullptr) {
          throw Error(ErrorCode::Internal, "workflow " + definition_.name + ": decision " + decision.event +
                                               " of stage " + stage.id + " leads to unknown stage '" + decision.next +
                                               "'");
        }
        const bool objection =
            stage.phase == Phase::Confirmation && (next->phase == Phase::Review || next->phase == Phase::Approval);
        if (objection) {
          if (auto refusal = move(SpineState::InReview)) return refusal;
        }
        enter(*next);
        return std::nullopt;
      }
      case Outcome::Approved: {
        if (auto refusal = move(SpineState::Approved)) return refusal;
        const std::vector<const Stage*> confirmation = definition_.stagesIn(Phase::Confirmation);
        if (!confirmation.empty()) {
          enter(*confirmation.front());
          return std::nullopt;
        }
        return authorise();
      }
      case Outcome::Authorised:
        return authorise();
      case Outcome::ChangesRequested:
        return move(SpineState::ChangesRequested);
      case Outcome::Rejected:
        // In the amendment phase a refusal keeps the authorisation as it was.
        return move(state_.state == SpineState::AmendmentInReview ? SpineState::Authorised : SpineState::Rejected);
      case Outcome::AmendmentApproved:
        return authorise();
    }
    return std::nullopt;
  }

  Transition finish() && {
    out_.after = std::move(state_);
    return std::move(out_);
  }

 private:
  std::optional<Refusal> authorise() {
    if (auto refusal = move(SpineState::Authorised)) return refusal;
    addEffects(definition_.spineEffects.onAuthorised, "spine:authorised");
    return std::nullopt;
  }

  const Definition& definition_;
  RunState state_;
  ApplyContext context_;
  std::string actor_;
  Transition out_;
};

bool isKnownEvent(const Definition& definition, const std::string& event) {
  for (const char* command : kSpineCommands) {
    if (event == command) return true;
  }
  for (const Stage& stage : definition.stages) {
    if (findDecision(stage, event) != nullptr) return true;
  }
  return false;
}

// --- guards ---------------------------------------------------------------------------------------

std::optional<double> asNumber(const std::string& text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Numbers compare as numbers; anything else (ISO dates included) as text.
int compareValues(const std::string& a, const std::string& b) {
  const std::optional<double> x = asNumber(a);
  const std::optional<double> y = asNumber(b);
  if (x && y) return *x < *y ? -1 : (*x > *y ? 1 : 0);
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string trim(const std::string& text) {
  std::size_t b = 0;
  std::size_t e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b])) != 0) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1])) != 0) --e;
  return text.substr(b, e - b);
}

// List fields arrive comma-joined; in / not-in look at each item.
std::vector<std::string> items(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    out.push_back(trim(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

bool holds(const Guard& guard, const std::optional<std::string>& actual) {
  const std::string expected = guard.values.empty() ? std::string() : guard.values.front();
  auto listed = [&](const std::string& item) {
    return std::find(guard.values.begin(), guard.values.end(), item) != guard.values.end();
  };
  switch (guard.op) {
    case Guard::Op::Eq:
      return actual && *actual == expected;
    case Guard::Op::Ne:
      return !actual || *actual != expected;
    case Guard::Op::Lt:
      return actual && compareValues(*actual, expected) < 0;
    case Guard::Op::Le:
      return actual && compareValues(*actual, expected) <= 0;
    case Guard::Op::Gt:
      return actual && compareValues(*actual, expected) > 0;
    case Guard::Op::Ge:
      return actual && compareValues(*actual, expected) >= 0;
    case Guard::Op::Present:
      return actual.has_value();
    case Guard::Op::Absent:
      return !actual.has_value();
    case Guard::Op::In: {
      if (!actual) return false;
      const std::vector<std::string> all = items(*actual);
      return std::all_of(all.begin(), all.end(), listed);
    }
    case Guard::Op::NotIn: {
      if (!actual) return true;
      const std::vector<std::string> all = items(*actual);
      return std::none_of(all.begin(), all.end(), listed);
    }
  }
  return false;
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

std::optional<Refusal> checkGuards(const Stage& stage, const Decision& decision, const FieldLookup& fields) {
  for (const Guard& guard : decision.guards) {
    const std::optional<std::string> actual = fields ? fields(guard.field) : std::nullopt;
    if (holds(guard, actual)) continue;
    std::string condition = guard.field + " " + toString(guard.op);
    if (!guard.values.empty()) condition += " " + joined(guard.values);
    return refuse(Refusal::Kind::Guard, "stage " + stage.id + ": guard " + condition,
                  "'" + decision.event + "' needs " + condition + ", but " + guard.field + " is " +
                      (actual ? "'" + *actual + "'" : std::string("absent")) + ".");
  }
  return std::nullopt;
}

// --- commands -------------------------------------------------------------------------------------

std::variant<Transition, Refusal> submit(const Definition& definition, const RunState& state, const Command& command) {
  if (state.state != SpineState::Draft && state.state != SpineState::ChangesRequested) {
    return notNow(state, command.event);
  }
  if (!command.actor.isApplicant) {
    return refuse(Refusal::Kind::Role, "submit: the applicant", "Only the applicant submits a request.");
  }
  const Stage* target = state.resumeStage.empty() ? definition.entryStage() : definition.stage(state.resumeStage);
  if (target == nullptr) {
    throw Error(ErrorCode::Internal,
                "workflow " + definition.name + ": no stage to start at ('" + state.resumeStage + "')");
  }
  Planner plan(definition, state, command.actor.name);
  plan.emit("submitted", {{"workflow", definition.name}, {"version", std::to_string(definition.version)}});
  if (auto refusal = plan.move(SpineState::Submitted)) return *refusal;
  if (auto refusal = plan.move(SpineState::InReview)) return *refusal;
  plan.addEffects(definition.spineEffects.onSubmitted, "spine:submitted");
  plan.enter(*target);
  return std::move(plan).finish();
}

std::variant<Transition, Refusal> withdraw(const Definition& definition, const RunState& state,
                                           const Command& command) {
  const SpineState s = state.state;
  if (s != SpineState::Draft && s != SpineState::Submitted && s != SpineState::InReview &&
      s != SpineState::ChangesRequested && s != SpineState::Approved) {
    return notNow(state, command.event);
  }
  if (!command.actor.isApplicant) {
    return refuse(Refusal::Kind::Role, "withdraw: the applicant", "Only the applicant withdraws a request.");
  }
  const bool hadStage = !state.stage.empty();
  Planner plan(definition, state, command.actor.name);
  plan.emit("withdrawn", {{"comment", command.comment}});
  if (auto refusal = plan.move(SpineState::Withdrawn)) return *refusal;
  if (hadStage) plan.cancelTimers();
  plan.addEffects(definition.spineEffects.onWithdrawn, "spine:withdrawn");
  return std::move(plan).finish();
}

std::variant<Transition, Refusal> openAmendment(const Definition& definition, const RunState& state,
                                                const Command& command) {
  if (state.state != SpineState::Authorised) return notNow(state, command.event);
  const Stage* first = definition.amendmentEntryStage();
  if (first == nullptr) {
    return refuse(Refusal::Kind::NotNow, "spine: this workflow has no amendment phase",
                  "This workflow has no amendment phase.");
  }
  if (!command.actor.isApplicant && !command.actor.roles.contains(kApproverRole)) {
    return refuse(Refusal::Kind::Role, std::string("open_amendment: the applicant or role ") + kApproverRole,
                  "Only the applicant or an approver opens an amendment.");
  }
  Planner plan(definition, state, command.actor.name);
  plan.emit("amendment_opened", {{"comment", command.comment}});
  if (auto refusal = plan.move(SpineState::AmendmentInReview)) return *refusal;
  plan.enter(*first);
  return std::move(plan).finish();
}

std::variant<Transition, Refusal> revoke(const Definition& definition, const RunState& state, const Command& command) {
  if (state.state != SpineState::Authorised && state.state != SpineState::AmendmentInReview) {
    return notNow(state, command.event);
  }
  if (!command.actor.roles.contains(kApproverRole)) {
    return refuse(Refusal::Kind::Role, std::string("revoke: role ") + kApproverRole,
                  "Only an approver revokes an authorisation.");
  }
  if (blank(command.comment)) {
    return refuse(Refusal::Kind::CommentRequired, "revoke: a reason is required",
                  "A revocation needs a comment giving the reason.");
  }
  const bool hadStage = !state.stage.empty();
  Planner plan(definition, state, command.actor.name);
  plan.emit("revoked", {{"comment", command.comment}});
  if (auto refusal = plan.move(SpineState::Revoked)) return *refusal;
  if (hadStage) plan.cancelTimers();
  plan.addEffects(definition.spineEffects.onRevoked, "spine:revoked");
  return std::move(plan).finish();
}

std::variant<Transition, Refusal> decide(const Definition& definition, const RunState& state, const Command& command,
                                         const FieldLookup& fields) {
  const Stage* stage = hasStage(state.state) ? definition.stage(state.stage) : nullptr;
  const Decision* decision = stage != nullptr ? findDecision(*stage, command.event) : nullptr;
  if (decision == nullptr) {
    if (stage == nullptr) return notNow(state, command.event);
    return refuse(Refusal::Kind::NotNow, "stage " + stage->id + ": no decision '" + command.event + "'",
                  "'" + command.event + "' is not a decision of stage " + stage->id + ".");
  }
  const Actor& actor = command.actor;
  if (actor.isApplicant || (!state.submittedBy.empty() && actor.name == state.submittedBy)) {
    return refuse(Refusal::Kind::Segregation, "the applicant never decides",
                  "The applicant or submitter of a request never decides on it.");
  }
  if (!actor.roles.contains(stage->role)) {
    return refuse(Refusal::Kind::Role, "stage " + stage->id + ": role " + stage->role,
                  "Deciding on stage " + stage->id + " needs the role " + stage->role + ".");
  }
  for (const std::string& other : stage->segregatedFrom) {
    auto acted = state.actorsByStage.find(other);
    if (acted != state.actorsByStage.end() && acted->second.contains(actor.name)) {
      return refuse(Refusal::Kind::Segregation, "stage " + stage->id + ": segregated from " + other,
                    "Whoever acted on stage " + other + " may not act on stage " + stage->id + ".");
    }
  }
  const int needed = std::max(1, decision->quorum.value_or(stage->quorum));
  for (const auto& [event, actors] : state.votes) {
    if (actors.contains(actor.name)) {
      return refuse(Refusal::Kind::AlreadyDecided,
                    "stage " + stage->id + ": quorum " + std::to_string(needed) + " of " + std::to_string(stage->of) +
                        ", one vote each",
                    "You have already decided on stage " + stage->id + " ('" + event + "').");
    }
  }
  if (auto refusal = checkGuards(*stage, *decision, fields)) return *refusal;
  if (decision->commentRequired && blank(command.comment)) {
    return refuse(Refusal::Kind::CommentRequired, "stage " + stage->id + ": '" + decision->event + "' needs a comment",
                  "'" + decision->event + "' needs a comment.");
  }

  Planner plan(definition, state, actor.name);
  plan.emit("vote", {{"stage", stage->id}, {"decision", decision->event}, {"comment", command.comment}});
  auto votes = plan.state().votes.find(decision->event);
  const std::size_t count = votes == plan.state().votes.end() ? 0 : votes->second.size();
  if (count >= static_cast<std::size_t>(needed)) {
    if (auto refusal = plan.complete(*stage, *decision, false)) return *refusal;
  }
  return std::move(plan).finish();
}

}  // namespace

const char* toString(SpineState s) {
  switch (s) {
    case SpineState::Draft:
      return "draft";
    case SpineState::Submitted:
      return "submitted";
    case SpineState::InReview:
      return "in_review";
    case SpineState::ChangesRequested:
      return "changes_requested";
    case SpineState::Approved:
      return "approved";
    case SpineState::Authorised:
      return "authorised";
    case SpineState::Rejected:
      return "rejected";
    case SpineState::Withdrawn:
      return "withdrawn";
    case SpineState::AmendmentInReview:
      return "amendment_in_review";
    case SpineState::Revoked:
      return "revoked";
    case SpineState::Expired:
      return "expired";
  }
  return "unknown";
}

std::optional<SpineState> spineStateFromString(const std::string& s) {
  for (SpineState state : kAllStates) {
    if (s == toString(state)) return state;
  }
  return std::nullopt;
}

const char* toString(Timer::Kind kind) {
  switch (kind) {
    case Timer::Kind::Reminder:
      return "reminder";
    case Timer::Kind::Breach:
      return "breach";
    case Timer::Kind::Timeout:
      return "timeout";
  }
  return "unknown";
}

const char* toString(Refusal::Kind kind) {
  switch (kind) {
    case Refusal::Kind::UnknownEvent:
      return "unknown_event";
    case Refusal::Kind::NotNow:
      return "not_now";
    case Refusal::Kind::Role:
      return "role";
    case Refusal::Kind::Segregation:
      return "segregation";
    case Refusal::Kind::AlreadyDecided:
      return "already_decided";
    case Refusal::Kind::Guard:
      return "guard";
    case Refusal::Kind::CommentRequired:
      return "comment_required";
  }
  return "unknown";
}

Engine::Engine(const Definition& definition) : definition_(definition) {}

RunState Engine::replay(const std::vector<WorkflowEvent>& events) const { return replayFrom(RunState{}, events); }

RunState Engine::replayFrom(RunState state, const std::vector<WorkflowEvent>& events) const {
  ApplyContext context;
  for (std::size_t i = 0; i < events.size(); ++i) apply(definition_, state, context, events[i], i);
  return state;
}

std::vector<std::string> Engine::available(const RunState& state, const Actor& actor, const FieldLookup& fields) const {
  std::set<std::string> candidates(std::begin(kSpineCommands), std::end(kSpineCommands));
  if (hasStage(state.state)) {
    if (const Stage* stage = definition_.stage(state.stage)) {
      for (const Decision& d : stage->decisions) candidates.insert(d.event);
    }
  }
  std::vector<std::string> out;
  for (const std::string& event : candidates) {
    // A placeholder comment: whether a comment is needed is the caller's to ask, not a reason to hide.
    const Command probe{event, actor, "(comment)"};
    if (std::holds_alternative<Transition>(fire(state, probe, fields))) out.push_back(event);
  }
  return out;
}

std::variant<Transition, Refusal> Engine::fire(const RunState& state, const Command& command,
                                               const FieldLookup& fields) const {
  const std::string& event = command.event;
  if (!isKnownEvent(definition_, event)) {
    return refuse(Refusal::Kind::UnknownEvent,
                  "workflow " + definition_.name + " v" + std::to_string(definition_.version),
                  "There is no event '" + event + "' in workflow " + definition_.name + ".");
  }
  if (Spine::terminal(state.state)) return notNow(state, event);
  if (event == "submit") return submit(definition_, state, command);
  if (event == "withdraw") return withdraw(definition_, state, command);
  if (event == "open_amendment") return openAmendment(definition_, state, command);
  if (event == "revoke") return revoke(definition_, state, command);
  return decide(definition_, state, command, fields);
}

std::optional<Transition> Engine::fireTimer(const RunState& state, const Timer& timer) const {
  if (!hasStage(state.state) || state.stage != timer.stage || state.stageEntries != timer.entry) return std::nullopt;
  const Stage* stage = definition_.stage(timer.stage);
  if (stage == nullptr) return std::nullopt;
  Planner plan(definition_, state, kSystemActor);
  const std::string entry = std::to_string(timer.entry);
  switch (timer.kind) {
    case Timer::Kind::Reminder: {
      if (!stage->sla) return std::nullopt;
      plan.emit("sla_reminder", {{"stage", stage->id}, {"entry", entry}});
      Effect email;
      email.kind = Effect::Kind::Email;
      email.to = stage->role;
      email.templateName = kReminderTemplate;
      plan.addEffects({email}, "timer:reminder");
      break;
    }
    case Timer::Kind::Breach: {
      if (!stage->sla) return std::nullopt;
      const std::string escalateTo = stage->sla->escalateTo.empty() ? stage->role : stage->sla->escalateTo;
      plan.emit("sla_breached", {{"stage", stage->id}, {"entry", entry}, {"escalate_to", escalateTo}});
      Effect email;
      email.kind = Effect::Kind::Email;
      email.to = escalateTo;
      email.templateName = kEscalationTemplate;
      Effect webhook;
      webhook.kind = Effect::Kind::Webhook;
      webhook.eventType = kBreachWebhook;
      plan.addEffects({email, webhook}, "timer:breach");
      break;
    }
    case Timer::Kind::Timeout: {
      const std::string name = timer.decision.empty() && stage->timeout ? stage->timeout->decision : timer.decision;
      const Decision* decision = findDecision(*stage, name);
      if (decision == nullptr) return std::nullopt;
      // Silence is consent: the system takes the decision without role, quorum or guards. Should
      // the spine refuse where it leads, the timer no longer applies.
      if (plan.complete(*stage, *decision, true)) return std::nullopt;
      break;
    }
  }
  return std::move(plan).finish();
}

}  // namespace a6::workflows
