// Runs the workflow engine against stored requests: registers definitions, rebuilds a request's
// position from its stream, and turns a fired event or a due timer into one Commit (events,
// read model, timers, pending effects, authorisation records) for the store.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "a6/core/Clock.h"
#include "a6/core/IdGenerator.h"
#include "a6/service/letters/LetterIssuer.h"
#include "a6/service/store/Store.h"
#include "a6/workflows/Definition.h"
#include "a6/workflows/Engine.h"

namespace a6::service {

// The request field paths guards may name (leaf paths of the request JSON).
const std::set<std::string>& requestFieldPaths();
// Field values for guards: text at a leaf path (numbers in decimal, lists of text comma-joined,
// lists of objects as their count), or nothing when absent.
workflows::FieldLookup fieldLookup(const std::string& fieldsJson);

struct WorkflowSettings {
  std::string party;
  std::string defaultWorkflow;            // used when submit names none
  bool strictFirstTransferCheck = true;   // an amendment may not cut below what was first-transferred
};

// A refused event, with the HTTP-facing classification kept by the caller.
struct WorkflowRefusal {
  workflows::Refusal refusal;
};

// What an effect is composed from: the commit it belongs to (letters issued, the authorisation
// version recorded) and the request as the commit leaves it.
struct EffectContext {
  const RequestRecord& record;
  const Commit& commit;
  std::string cause;   // e.g. "decision:approve", "spine:revoked", "finding"
  std::string actor;
  std::string now;
  std::string reason;  // the comment of the decision, when it has one
  const FindingRecord* finding = nullptr;  // for on-finding effects
};

// Turns the UNFCCC, email and webhook effects of a transition into outbox messages of the same
// commit. Nothing (std::nullopt) when this deployment has no such destination configured: the
// effect is then kept as a pending effect.
class EffectComposer {
 public:
  virtual ~EffectComposer() = default;
  virtual std::optional<std::vector<OutboxMessage>> compose(const workflows::Effect& effect,
                                                            const EffectContext& context) = 0;
};

class WorkflowService {
 public:
  WorkflowService(Store& store, const Clock& clock, IdGenerator& ids, WorkflowSettings settings);

  // Letter effects are issued (rendered, signed, stored) in the commit of the decision that
  // causes them; without an issuer they are kept as pending effects.
  void setLetterIssuer(LetterIssuer* issuer) { letters_ = issuer; }
  void setEffectComposer(EffectComposer* composer) { composer_ = composer; }

  // Loads every *.xml in `dir`, registering new (name, version) pairs in the store. A file whose
  // (name, version) is registered with other content is refused: publish a new version instead.
  // Returns the definitions found, as "name vN".
  std::vector<std::string> registerDirectory(const std::string& dir, const std::string& actor);
  void registerDefinition(const workflows::Definition& definition, const std::string& source, const std::string& actor);

  // Every role id declared by a registered definition.
  std::set<std::string> declaredRoles();
  // The latest registered version of `name`, or nothing.
  std::optional<int> latestVersion(const std::string& name);
  // The definition of a pinned version (cached). Throws NotFound.
  const workflows::Definition& definition(const std::string& name, int version);

  workflows::RunState state(const RequestRecord& record);
  workflows::Actor actorFor(const std::string& name, const std::set<std::string>& roles,
                            const std::string& organisation, const RequestRecord& record) const;
  std::vector<std::string> available(const RequestRecord& record, const workflows::Actor& actor);

  struct FireInput {
    std::string event;
    std::string comment;
    std::string workflow;                    // submit: the workflow to pin ("" = default)
    std::optional<std::string> amendmentPatch;  // open_amendment: the proposed changes (JSON Merge Patch)
  };
  // The commit for an accepted event (with the record it leads to), or the refusal.
  struct Fired {
    Commit commit;
    RequestRecord after;
    workflows::RunState state;  // the position after the commit
  };
  // What `actor` may fire once `fired` is committed.
  std::vector<std::string> availableAfter(const Fired& fired, const workflows::Actor& actor);
  // Checks an amended authorised quantity against what registries reported as first-transferred;
  // throws Conflict naming the rule when strict checking is on and it would cut below.
  void checkFirstTransfers(const std::string& ref, const std::string& amendedFieldsJson);
  std::variant<Fired, workflows::Refusal> fire(const RequestRecord& record, const workflows::Actor& actor,
                                               const FireInput& input);

  struct MigrationReport {
    std::vector<std::string> moved;  // "req_… stage a -> b"
    std::vector<std::string> kept;   // "req_… : why"
  };
  // Moves running requests of `name` to version `to` where their position exists there (stage ids
  // equal, or mapped by `stageMap`), recording a workflow_migrated event; reports the rest.
  MigrationReport migrate(const std::string& name, int to, const std::map<std::string, std::string>& stageMap,
                          const std::string& actor, bool dryRun);

  // Records a consistency finding about an authorisation: a `unfccc_finding_received` event on the
  // request's stream, the finding, and the effects the request's definition names under
  // <on-finding>, in one commit. A finding that names no known authorisation is stored alone.
  // Returns false when the message was received before (a duplicate; nothing is written).
  bool recordFinding(const FindingRecord& finding);

  // Fires due timers; returns how many were handled. Called by the timer worker.
  int fireDueTimers(int limit = 50);

 private:
  struct Loaded {
    std::unique_ptr<workflows::Definition> definition;
    std::unique_ptr<workflows::Engine> engine;
  };
  const Loaded& loaded(const std::string& name, int version);
  std::vector<workflows::WorkflowEvent> workflowEvents(const std::vector<StoredEvent>& events) const;
  Fired commitFor(const RequestRecord& record, const workflows::RunState& before, const workflows::Transition& t,
                  const std::string& actor, const std::optional<std::string>& amendmentPatch);

  Store& store_;
  const Clock& clock_;
  IdGenerator& ids_;
  WorkflowSettings settings_;
  bool recordFindingOnce(const FindingRecord& finding);
  void addEffect(Commit& c, const RequestRecord& record, std::int64_t causeSeq, const workflows::Effect& effect,
                 const EffectContext& context);

  LetterIssuer* letters_ = nullptr;
  EffectComposer* composer_ = nullptr;
  std::mutex mutex_;
  std::map<std::pair<std::string, int>, Loaded> cache_;
};

}  // namespace a6::service
