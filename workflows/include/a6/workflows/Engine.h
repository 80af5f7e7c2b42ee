// The workflow runtime: rebuilds a request's position by replaying its workflow events, says which
// events an actor may fire now, and turns one fired event into the events to record, the effects
// to carry out and the timers to set. The spine (Spine.h) refuses anything no definition may allow.
// Plain values in and out: the service stores what this returns.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "a6/core/Clock.h"
#include "a6/workflows/Definition.h"

namespace a6::workflows {

enum class SpineState {
  Draft,
  Submitted,
  InReview,
  ChangesRequested,
  Approved,
  Authorised,
  Rejected,
  Withdrawn,
  AmendmentInReview,
  Revoked,
  Expired,
};
const char* toString(SpineState s);  // "draft", "in_review", …
std::optional<SpineState> spineStateFromString(const std::string& s);

// One recorded workflow event. The service stores `type` as the event type and `attrs` as its
// JSON payload (string values), and gives them back in order for replay.
//
// Types the engine writes and reads:
//   submitted        {workflow, version}                      spine draft|changes_requested -> submitted
//   state_changed    {from, to}                               a spine transition
//   stage_entered    {stage, entry}                           entry = running count of stage entries
//   vote             {stage, decision, comment}               one actor's decision on a stage
//   stage_completed  {stage, decision}                        quorum reached (or timeout)
//   withdrawn        {comment}
//   amendment_opened {comment}                                spine authorised -> amendment_in_review
//   revoked          {comment}                                spine authorised|amendment_in_review -> revoked
//   sla_reminder     {stage, entry}
//   sla_breached     {stage, entry, escalate_to}
// Other types in the stream (created, edited, attachment_added, …) are ignored by replay.
struct WorkflowEvent {
  std::string type;
  std::string actor;  // user name, or "system" for timers
  std::map<std::string, std::string> attrs;
  bool operator==(const WorkflowEvent&) const = default;
};

struct RunState {
  SpineState state = SpineState::Draft;
  std::string stage;  // current stage id; "" outside in_review/approved/amendment_in_review
  int stageEntries = 0;  // count of stage_entered events so far (timers remember theirs)
  std::map<std::string, std::set<std::string>> votes;  // current stage: decision -> actors
  std::map<std::string, std::set<std::string>> actorsByStage;  // every stage ever acted on -> actors
  std::set<std::string> passedApprovals;  // approval stages passed in the current round
  std::string resumeStage;                // where the next submission continues ("" = entry)
  int authorisationVersion = 0;           // 0 until authorised; +1 per approved amendment
  std::string submittedBy;                // who submitted first
};

struct Actor {
  std::string name;
  std::set<std::string> roles;
  bool isApplicant = false;  // the request's own organisation, acting as applicant
};

// What the engine needs to know about the request's fields, for guards: the value at a field
// path as text (numbers in decimal, lists comma-joined), or nothing when absent.
using FieldLookup = std::function<std::optional<std::string>(const std::string& path)>;

struct Command {
  std::string event;  // "submit", "withdraw", "open_amendment", "revoke", or a decision event
  Actor actor;
  std::string comment;
};

// A due timer, as stored by the service; fired through Engine::fireTimer.
struct Timer {
  enum class Kind { Reminder, Breach, Timeout };
  Kind kind = Kind::Breach;
  std::string stage;
  int entry = 0;              // RunState::stageEntries when the stage was entered
  std::chrono::seconds after{0};  // from stage entry
  std::string decision;       // Timeout: the decision to take
  bool operator==(const Timer&) const = default;
};
const char* toString(Timer::Kind kind);

struct PendingEffect {
  Effect effect;
  std::string cause;  // what produced it: "decision:approve", "stage:screening", "spine:authorised"
};

struct Transition {
  std::vector<WorkflowEvent> events;  // to append, in order
  std::vector<PendingEffect> effects;
  std::vector<Timer> startTimers;     // for the stage just entered
  bool cancelTimers = false;          // the stage was left: earlier timers no longer apply
  RunState after;
};

struct Refusal {
  enum class Kind {
    UnknownEvent,     // no such event in this definition           -> 422
    NotNow,           // the event exists but not in this state/stage -> 409
    Role,             // the actor lacks the role                    -> 403
    Segregation,      // acted on a segregated stage, or is the applicant / submitter -> 403
    AlreadyDecided,   // this actor already voted on this stage      -> 409
    Guard,            // a guard on the request's fields refused     -> 409
    CommentRequired,  //                                             -> 422
  };
  Kind kind;
  std::string rule;     // which rule, e.g. "stage technical_review: quorum 2 of 3, one vote each"
  std::string message;  // a sentence for people
};
const char* toString(Refusal::Kind kind);

class Engine {
 public:
  explicit Engine(const Definition& definition);

  // Replays recorded events from a fresh draft. Throws a6::Error(Internal) naming the event if
  // the record contradicts the spine (a corrupted or foreign stream).
  RunState replay(const std::vector<WorkflowEvent>& events) const;
  // Continues a replay from `start` (a request moved to this definition by a migration).
  RunState replayFrom(RunState start, const std::vector<WorkflowEvent>& events) const;

  // The events `actor` may fire now (decisions whose role, guards, quorum and segregation allow it,
  // plus spine events such as submit and withdraw), sorted.
  std::vector<std::string> available(const RunState& state, const Actor& actor, const FieldLookup& fields) const;

  std::variant<Transition, Refusal> fire(const RunState& state, const Command& command,
                                         const FieldLookup& fields) const;

  // A due timer: the events it causes, or nothing when it no longer applies (the stage was left).
  std::optional<Transition> fireTimer(const RunState& state, const Timer& timer) const;

  const Definition& definition() const { return definition_; }

 private:
  const Definition& definition_;
};

}  // namespace a6::workflows
