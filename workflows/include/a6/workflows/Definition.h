// A workflow definition as plain values: what a country configures inside the fixed spine
// (see Spine.h). Loaded from XML (DefinitionLoader.h) and checked at load, never at run time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace a6::workflows {

// Where a stage sits in the spine.
enum class Phase {
  Review,        // spine in_review
  Approval,      // spine in_review; every approval stage must be passed before "approved"
  Confirmation,  // spine approved (e.g. the partner Party's objection window)
  Amendment,     // spine amendment_in_review
};
const char* toString(Phase phase);

struct Guard {
  enum class Op { Eq, Ne, Lt, Le, Gt, Ge, Present, Absent, In, NotIn };
  std::string field;                // request field path, e.g. "authorisation.authorized_quantity"
  Op op = Op::Present;
  std::vector<std::string> values;  // one for comparisons, several for in/not-in, none for present/absent
  int line = 0;
};
const char* toString(Guard::Op op);

struct Effect {
  enum class Kind { Letter, Unfccc, Email, Webhook };
  Kind kind = Kind::Webhook;
  std::string templateName;  // letter and email: template name, e.g. "letter-of-authorisation"
  std::string signerRole;    // letter: the role whose holder signs
  std::string messageType;   // unfccc: e.g. "authorisation-issued"
  std::string to;            // email: a role id or "applicant"
  std::string eventType;     // webhook: e.g. "request.authorised"
  int line = 0;
};
const char* toString(Effect::Kind kind);

// Where a decision leads: another stage, or a spine outcome.
enum class Outcome {
  None,              // `next` names a stage
  Approved,          // approval phase: to spine approved (then confirmation or authorised)
  Authorised,        // confirmation phase: to spine authorised
  ChangesRequested,  // to spine changes_requested; resubmission resumes at `resume` or the entry stage
  Rejected,          // to spine rejected (in amendment phase: the amendment is refused, the authorisation stays)
  AmendmentApproved, // amendment phase: a new version of the authorisation
};
const char* toString(Outcome outcome);

struct Decision {
  std::string event;   // e.g. "approve"; unique within its stage
  std::string next;    // stage id when outcome == None
  Outcome outcome = Outcome::None;
  std::string resume;  // ChangesRequested: the stage a resubmission continues at ("" = entry stage)
  bool commentRequired = false;
  std::optional<int> quorum;  // overrides the stage's quorum for this decision
  std::vector<Guard> guards;  // all must hold
  std::vector<Effect> effects;
  int line = 0;
};

struct Sla {
  std::chrono::seconds due{0};                  // from stage entry
  std::optional<std::chrono::seconds> reminder;  // from stage entry; before due
  std::string escalateTo;                        // role told when due passes ("" = the stage's role)
  int line = 0;
};

// When nobody decides within `after`, the decision is taken by the system (silence is consent).
struct Timeout {
  std::chrono::seconds after{0};
  std::string decision;  // a decision event of the same stage
  int line = 0;
};

struct Stage {
  std::string id;
  Phase phase = Phase::Review;
  std::string role;    // who decides here
  int quorum = 1;      // k distinct actors
  int of = 1;          // n possible actors (declared; k <= n checked at load)
  std::vector<std::string> segregatedFrom;  // stage ids whose actors may not act here
  std::vector<Decision> decisions;
  std::optional<Sla> sla;
  std::optional<Timeout> timeout;
  std::vector<Effect> onEnter;
  int line = 0;
};

struct Role {
  std::string id;  // a name users hold, e.g. "technical-committee"
  std::string description;
  int line = 0;
};

// Effects bound to spine transitions rather than to one decision.
struct SpineEffects {
  std::vector<Effect> onSubmitted;
  std::vector<Effect> onAuthorised;  // every authorisation, first or amended
  std::vector<Effect> onRevoked;
  std::vector<Effect> onWithdrawn;
  // A consistency finding about one of the request's authorisations came from the UNFCCC side.
  std::vector<Effect> onFinding;
};

struct Definition {
  std::string name;  // e.g. "article6-2-standard"
  int version = 1;
  std::string title;
  std::string description;  // what real procedure it models
  std::vector<Role> roles;
  std::vector<Stage> stages;  // in document order; phases in order review, approval, confirmation, amendment
  SpineEffects spineEffects;
  std::string sourceFile;  // as loaded
  std::string sha256;      // of the source bytes

  const Stage* stage(const std::string& id) const;
  const Stage* entryStage() const;           // the first review (or approval) stage
  const Stage* amendmentEntryStage() const;  // the first amendment stage, or null
  std::vector<const Stage*> stagesIn(Phase phase) const;
};

}  // namespace a6::workflows
