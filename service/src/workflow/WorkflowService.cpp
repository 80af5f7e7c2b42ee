#include "a6/service/workflow/WorkflowService.h"

#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Path.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "a6/core/Error.h"
#include "a6/service/http/RequestJson.h"
#include "a6/signing/Digest.h"
#include "a6/workflows/DefinitionLoader.h"
#include "a6/workflows/Spine.h"

namespace a6::service {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
namespace wf = a6::workflows;

std::optional<std::string> asText(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return std::nullopt;
  if (v.type() == typeid(Array::Ptr)) {
    auto a = v.extract<Array::Ptr>();
    if (a->size() == 0) return std::nullopt;
    bool objects = false;
    std::string joined;
    for (std::size_t i = 0; i < a->size(); ++i) {
      Poco::Dynamic::Var item = a->get(static_cast<unsigned>(i));
      if (item.type() == typeid(Object::Ptr)) {
        objects = true;
        break;
      }
      joined += (i ? "," : "") + item.convert<std::string>();
    }
    if (objects) return std::to_string(a->size());
    return joined;
  }
  if (v.isString()) {
    std::string s = v.extract<std::string>();
    if (s.empty()) return std::nullopt;
    return s;
  }
  return v.convert<std::string>();
}

std::string timerKind(wf::Timer::Kind k) {
  switch (k) {
    case wf::Timer::Kind::Reminder:
      return "reminder";
    case wf::Timer::Kind::Breach:
      return "breach";
    case wf::Timer::Kind::Timeout:
      return "timeout";
  }
  return "breach";
}

wf::Timer::Kind timerKindFrom(const std::string& s) {
  if (s == "reminder") return wf::Timer::Kind::Reminder;
  if (s == "timeout") return wf::Timer::Kind::Timeout;
  return wf::Timer::Kind::Breach;
}

std::string effectKind(wf::Effect::Kind k) {
  switch (k) {
    case wf::Effect::Kind::Letter:
      return "letter";
    case wf::Effect::Kind::Unfccc:
      return "unfccc";
    case wf::Effect::Kind::Email:
      return "email";
    case wf::Effect::Kind::Webhook:
      return "webhook";
  }
  return "webhook";
}

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Config, path + ": cannot read the workflow definition");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The paths whose value differs between two field documents.
void changedPaths(const std::string& before, const std::string& after, Array& out) {
  auto a = flattenObject(*parseStoredObject(before));
  auto b = flattenObject(*parseStoredObject(after));
  for (const auto& [path, value] : b) {
    auto it = a.find(path);
    std::string was = it == a.end() ? "" : canonicalJson(it->second);
    if (was != canonicalJson(value)) out.add(path);
  }
}

// The position renamed into a new version's stage ids.
wf::RunState migratedState(wf::RunState s, const std::string& from, const std::string& to,
                           const std::string& resumeTo) {
  if (!s.resumeStage.empty()) s.resumeStage = resumeTo;
  if (from.empty() || from == to) return s;
  if (s.stage == from) s.stage = to;
  if (auto it = s.actorsByStage.find(from); it != s.actorsByStage.end()) {
    auto actors = it->second;
    s.actorsByStage.erase(it);
    s.actorsByStage[to].insert(actors.begin(), actors.end());
  }
  if (s.passedApprovals.erase(from)) s.passedApprovals.insert(to);
  return s;
}

}  // namespace

const std::set<std::string>& requestFieldPaths() {
  static const std::set<std::string> paths = [] {
    auto flat = flattenObject(*encodeRequestFields(RequestFields{}));
    std::set<std::string> out;
    for (const auto& [k, v] : flat) out.insert(k);
    return out;
  }();
  return paths;
}

wf::FieldLookup fieldLookup(const std::string& fieldsJson) {
  auto flat =
      std::make_shared<std::map<std::string, Poco::Dynamic::Var>>(flattenObject(*parseStoredObject(fieldsJson)));
  return [flat](const std::string& path) -> std::optional<std::string> {
    auto it = flat->find(path);
    if (it == flat->end()) return std::nullopt;
    return asText(it->second);
  };
}

WorkflowService::WorkflowService(Store& store, const Clock& clock, IdGenerator& ids, WorkflowSettings settings)
    : store_(store), clock_(clock), ids_(ids), settings_(std::move(settings)) {}

std::vector<std::string> WorkflowService::registerDirectory(const std::string& dir, const std::string& actor) {
  std::vector<std::string> files;
  try {
    for (Poco::DirectoryIterator it(dir), end; it != end; ++it) {
      if (it->isFile() && Poco::Path(it->path()).getExtension() == "xml") files.push_back(it->path());
    }
  } catch (const Poco::Exception& e) {
    throw Error(ErrorCode::Config, dir + ": cannot read the workflow folder: " + e.displayText());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> found;
  for (const auto& file : files) {
    std::string text = readText(file);
    wf::Definition d = wf::loadDefinitionText(text, file, {requestFieldPaths()});
    registerDefinition(d, text, actor);
    found.push_back(d.name + " v" + std::to_string(d.version));
  }
  return found;
}

void WorkflowService::registerDefinition(const wf::Definition& d, const std::string& source, const std::string& actor) {
  if (auto existing = store_.findDefinition(d.name, d.version)) {
    if (existing->sha256 != d.sha256) {
      throw Error(ErrorCode::Config, d.sourceFile + ": workflow " + d.name + " version " + std::to_string(d.version) +
                                         " is registered with other content; publish the change as version " +
                                         std::to_string(d.version + 1));
    }
    return;
  }
  std::string now = formatTimestamp(clock_.now());
  Object::Ptr payload = new Object;
  payload->set("version", d.version);
  payload->set("sha256", d.sha256);
  payload->set("file", d.sourceFile);
  Commit c;
  c.streamId = "workflow:" + d.name;
  c.party = settings_.party;
  auto events = store_.events(c.streamId);
  c.expectedVersion = events.empty() ? 0 : events.back().seq;
  c.events.push_back({"definition_registered", actor, now, canonicalJson(payload)});
  c.definition = WorkflowDefinitionRecord{d.name, d.version, d.sha256, source, d.sourceFile, now};
  store_.commit(c);
}

std::set<std::string> WorkflowService::declaredRoles() {
  std::set<std::string> roles;
  for (const auto& d : store_.listDefinitions()) {
    for (const auto& r : definition(d.name, d.version).roles) roles.insert(r.id);
  }
  return roles;
}

std::optional<int> WorkflowService::latestVersion(const std::string& name) {
  std::optional<int> latest;
  for (const auto& d : store_.listDefinitions()) {
    if (d.name == name) latest = std::max(latest.value_or(0), d.version);
  }
  return latest;
}

const WorkflowService::Loaded& WorkflowService::loaded(const std::string& name, int version) {
  std::lock_guard lock(mutex_);
  auto key = std::make_pair(name, version);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  auto record = store_.findDefinition(name, version);
  if (!record) {
    throw Error(ErrorCode::NotFound, "no workflow " + name + " version " + std::to_string(version));
  }
  Loaded l;
  l.definition =
      std::make_unique<wf::Definition>(wf::loadDefinitionText(record->source, record->file, {requestFieldPaths()}));
  l.engine = std::make_unique<wf::Engine>(*l.definition);
  return cache_.emplace(key, std::move(l)).first->second;
}

const wf::Definition& WorkflowService::definition(const std::string& name, int version) {
  return *loaded(name, version).definition;
}

std::vector<wf::WorkflowEvent> WorkflowService::workflowEvents(const std::vector<StoredEvent>& events) const {
  std::vector<wf::WorkflowEvent> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    wf::WorkflowEvent w;
    w.type = e.type;
    w.actor = e.actor;
    Object::Ptr payload = parseStoredObject(e.payloadJson);
    for (const auto& [k, v] : *payload) {
      if (v.isString()) w.attrs[k] = v.extract<std::string>();
    }
    out.push_back(std::move(w));
  }
  return out;
}

wf::RunState WorkflowService::state(const RequestRecord& record) {
  if (record.workflowName.empty()) return wf::RunState{};  // a draft never submitted
  auto events = workflowEvents(store_.events(record.id));
  // A migrated request replays each stretch of its stream with the version it ran on then.
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].type == "workflow_migrated") cuts.push_back(i);
  }
  if (cuts.empty()) return loaded(record.workflowName, record.workflowVersion).engine->replay(events);
  int version = std::stoi(events[cuts.front()].attrs.at("from_version"));
  wf::RunState state;
  std::size_t begin = 0;
  for (std::size_t cut : cuts) {
    std::vector<wf::WorkflowEvent> stretch(events.begin() + static_cast<std::ptrdiff_t>(begin),
                                           events.begin() + static_cast<std::ptrdiff_t>(cut));
    state = loaded(record.workflowName, version).engine->replayFrom(state, stretch);
    const auto& m = events[cut].attrs;
    state = migratedState(state, m.at("stage_from"), m.at("stage_to"), m.at("resume_to"));
    version = std::stoi(m.at("to_version"));
    begin = cut + 1;
  }
  std::vector<wf::WorkflowEvent> rest(events.begin() + static_cast<std::ptrdiff_t>(begin), events.end());
  return loaded(record.workflowName, version).engine->replayFrom(state, rest);
}

WorkflowService::MigrationReport WorkflowService::migrate(const std::string& name, int to,
                                                          const std::map<std::string, std::string>& stageMap,
                                                          const std::string& actor, bool dryRun) {
  const wf::Definition& target = definition(name, to);
  MigrationReport report;
  for (const auto& record : store_.requestsOnWorkflow(name)) {
    if (record.workflowVersion == to) continue;
    std::string label = record.id + " (v" + std::to_string(record.workflowVersion) + ", " + record.state + ")";
    auto spine = wf::spineStateFromString(record.state);
    if (!spine || wf::Spine::terminal(*spine)) {
      report.kept.push_back(label + ": finished requests keep the version they ran on");
      continue;
    }
    wf::RunState now = state(record);
    auto mapped = [&](const std::string& stage) {
      auto it = stageMap.find(stage);
      return it == stageMap.end() ? stage : it->second;
    };
    std::string stageTo = now.stage.empty() ? "" : mapped(now.stage);
    const wf::Stage* there = stageTo.empty() ? nullptr : target.stage(stageTo);
    const wf::Stage* here = now.stage.empty() ? nullptr : definition(name, record.workflowVersion).stage(now.stage);
    if (!now.stage.empty() && (!there || !here || there->phase != here->phase)) {
      report.kept.push_back(label + ": stage " + now.stage + " has no counterpart in version " + std::to_string(to) +
                            " (give --map " + now.stage + "=STAGE)");
      continue;
    }
    if (!now.resumeStage.empty() && !target.stage(mapped(now.resumeStage))) {
      report.kept.push_back(label + ": resume stage " + now.resumeStage + " has no counterpart in version " +
                            std::to_string(to));
      continue;
    }
    report.moved.push_back(label + (now.stage.empty() ? "" : ": stage " + now.stage + " -> " + stageTo));
    if (dryRun) continue;
    std::string nowText = formatTimestamp(clock_.now());
    Object::Ptr payload = new Object;
    payload->set("workflow", name);
    payload->set("from_version", std::to_string(record.workflowVersion));
    payload->set("to_version", std::to_string(to));
    payload->set("stage_from", now.stage);
    payload->set("stage_to", stageTo);
    payload->set("resume_to", mapped(now.resumeStage));
    Commit c;
    c.streamId = record.id;
    c.party = record.party;
    c.expectedVersion = record.version;
    c.events.push_back({"workflow_migrated", actor, nowText, canonicalJson(payload)});
    RequestRecord r = record;
    r.workflowVersion = to;
    r.stage = stageTo;
    r.version += 1;
    r.updatedAt = nowText;
    c.request = r;
    store_.commit(c);
  }
  return report;
}

wf::Actor WorkflowService::actorFor(const std::string& name, const std::set<std::string>& roles,
                                    const std::string& organisation, const RequestRecord& record) const {
  wf::Actor a;
  a.name = name;
  a.roles = roles;
  a.isApplicant = roles.count("applicant") > 0 && organisation == record.organisation;
  return a;
}

std::vector<std::string> WorkflowService::available(const RequestRecord& record, const wf::Actor& actor) {
  std::string name = record.workflowName.empty() ? settings_.defaultWorkflow : record.workflowName;
  std::optional<int> version =
      record.workflowName.empty() ? latestVersion(name) : std::optional<int>(record.workflowVersion);
  if (name.empty() || !version) return {};
  const Loaded& l = loaded(name, *version);
  wf::RunState s = record.workflowName.empty() ? wf::RunState{} : state(record);
  return l.engine->available(s, actor, fieldLookup(record.fieldsJson));
}

std::variant<WorkflowService::Fired, wf::Refusal> WorkflowService::fire(const RequestRecord& record,
                                                                        const wf::Actor& actor,
                                                                        const FireInput& input) {
  std::string name = record.workflowName;
  int version = record.workflowVersion;
  if (name.empty()) {
    name = input.workflow.empty() ? settings_.defaultWorkflow : input.workflow;
    auto latest = latestVersion(name);
    if (name.empty() || !latest) {
      throw Error(ErrorCode::Invalid, "no workflow to run this request",
                  {{"data.workflow", "enum", "no workflow named '" + name + "' is registered"}});
    }
    version = *latest;
  } else if (!input.workflow.empty() && input.workflow != name) {
    throw Error(ErrorCode::Invalid, "the request runs on another workflow",
                {{"data.workflow", "not_allowed", "this request runs on " + name + "; it cannot change workflow"}});
  }
  const Loaded& l = loaded(name, version);
  wf::RunState before = record.workflowName.empty() ? wf::RunState{} : state(record);
  auto result = l.engine->fire(before, wf::Command{input.event, actor, input.comment}, fieldLookup(record.fieldsJson));
  if (auto* refusal = std::get_if<wf::Refusal>(&result)) return *refusal;
  RequestRecord pinned = record;
  pinned.workflowName = name;
  pinned.workflowVersion = version;
  return commitFor(pinned, before, std::get<wf::Transition>(result), actor.name, input.amendmentPatch);
}

WorkflowService::Fired WorkflowService::commitFor(const RequestRecord& record, const wf::RunState& before,
                                                  const wf::Transition& t, const std::string& actor,
                                                  const std::optional<std::string>& amendmentPatch) {
  TimePoint nowTp = clock_.now();
  std::string now = formatTimestamp(nowTp);
  Fired f;
  Commit& c = f.commit;
  c.streamId = record.id;
  c.party = record.party;
  c.expectedVersion = record.version;
  for (const auto& e : t.events) {
    Object::Ptr payload = new Object;
    for (const auto& [k, v] : e.attrs) payload->set(k, v);
    c.events.push_back({e.type, e.actor, now, canonicalJson(payload)});
    if (e.type == "amendment_opened" && amendmentPatch) {
      Object::Ptr proposed = new Object;
      proposed->set("patch", parseStoredObject(*amendmentPatch));
      c.events.push_back({"amendment_proposed", actor, now, canonicalJson(proposed)});
    }
  }
  std::int64_t causeSeq = static_cast<std::int64_t>(c.events.size());

  RequestRecord r = record;
  r.state = wf::toString(t.after.state);
  r.stage = t.after.stage;

  if (t.after.authorisationVersion > before.authorisationVersion) {
    std::string fields = r.fieldsJson;
    AuthorisationRecord a;
    Array changes;
    if (before.authorisationVersion == 0) {
      std::string year = now.substr(0, 4);
      std::int64_t n = store_.nextSequence("authorisation:" + record.party + ":" + year);
      char ref[64];
      std::snprintf(ref, sizeof ref, "%s-A6-%s-%04lld", record.party.c_str(), year.c_str(), static_cast<long long>(n));
      a = AuthorisationRecord{ref, record.id, record.party, 1, "active", now, now};
    } else {
      auto existing = store_.findAuthorisation(record.authorisationRef.value_or(""));
      if (!existing) throw Error(ErrorCode::Internal, "request " + record.id + " has no authorisation to amend");
      a = *existing;
      a.currentVersion = t.after.authorisationVersion;
      a.status = "active";
      a.updatedAt = now;
      // The changes are the last proposal on the stream.
      std::optional<std::string> patch;
      // Only a proposal made with the amendment now under review counts, never an older one.
      for (const auto& e : store_.events(record.id)) {
        if (e.type == "amendment_opened") patch.reset();
        if (e.type == "amendment_proposed") patch = canonicalJson(parseStoredObject(e.payloadJson)->get("patch"));
      }
      if (patch) {
        std::string amended = canonicalJson(applyMergePatch(*parseStoredObject(fields), *parseStoredObject(*patch)));
        // Registries may have reported first transfers while the amendment was under review.
        checkFirstTransfers(a.ref, amended);
        changedPaths(fields, amended, changes);
        fields = amended;
      }
    }
    r.fieldsJson = fields;
    r.authorisationRef = a.ref;
    c.authorisation = a;
    Array::Ptr changeList = new Array(changes);
    c.authorisationVersion =
        AuthorisationVersion{a.ref, t.after.authorisationVersion, fields, now, actor, canonicalJson(changeList)};
    Object::Ptr recorded = new Object;
    recorded->set("ref", a.ref);
    recorded->set("version", t.after.authorisationVersion);
    recorded->set("fields_sha256", signing::sha256Hex(fields));
    recorded->set("changes", changeList);
    c.events.push_back({"authorisation_recorded", actor, now, canonicalJson(recorded)});
  }
  if (t.after.state == wf::SpineState::Revoked && record.authorisationRef) {
    if (auto a = store_.findAuthorisation(*record.authorisationRef)) {
      a->status = "revoked";
      a->updatedAt = now;
      c.authorisation = *a;
    }
  }

  c.cancelTimers = t.cancelTimers;
  for (const auto& timer : t.startTimers) {
    TimerRecord tr;
    tr.id = ids_.next("tmr");
    tr.streamId = record.id;
    tr.party = record.party;
    tr.kind = timerKind(timer.kind);
    tr.stage = timer.stage;
    tr.entry = timer.entry;
    tr.decision = timer.decision;
    tr.dueAt = formatTimestamp(nowTp + std::chrono::duration_cast<std::chrono::milliseconds>(timer.after));
    tr.createdAt = now;
    c.timers.push_back(tr);
  }
  // The reason a letter may need to state: the comment of the decision or revocation.
  std::string reason;
  for (const auto& e : t.events) {
    auto it = e.attrs.find("comment");
    if (it != e.attrs.end() && !it->second.empty()) reason = it->second;
  }
  // Letters first: the messages that report them carry their hashes.
  for (const auto& pe : t.effects) {
    if (letters_ && pe.effect.kind == wf::Effect::Kind::Letter) {
      LetterIssuer::Input in;
      in.templateName = pe.effect.templateName;
      in.signerRole = pe.effect.signerRole;
      in.record = r;
      in.version = c.authorisationVersion;
      in.previousFieldsJson = record.fieldsJson;
      in.reason = reason;
      if (!in.version && r.authorisationRef) {
        auto versions = store_.authorisationVersions(*r.authorisationRef);
        if (!versions.empty()) in.version = versions.back();
      }
      auto issued = letters_->issue(in);
      Object::Ptr payload = new Object;
      payload->set("letter_id", issued.first.id);
      payload->set("reference", issued.first.reference);
      payload->set("template", issued.first.templateName);
      payload->set("language", issued.first.language);
      payload->set("sha256", issued.first.sha256);
      payload->set("signer", issued.first.signer);
      if (issued.first.ref) payload->set("ref", *issued.first.ref);
      c.events.push_back({"letter_issued", actor, now, canonicalJson(payload)});
      c.letters.push_back(std::move(issued));
    }
  }
  for (const auto& pe : t.effects) {
    if (letters_ && pe.effect.kind == wf::Effect::Kind::Letter) continue;
    addEffect(c, r, causeSeq, pe.effect, EffectContext{r, c, pe.cause, actor, now, reason});
  }
  // Every decision is news to webhook subscribers whatever the definition names: decision.taken,
  // and the outcomes that ask something of the applicant or end the request.
  for (const auto& e : t.events) {
    if (e.type != "stage_completed") continue;
    auto it = e.attrs.find("decision");
    const std::string cause = "decision:" + (it == e.attrs.end() ? std::string() : it->second);
    std::vector<std::string> types{"decision.taken"};
    if (t.after.state == wf::SpineState::ChangesRequested) types.push_back("request.changes_requested");
    if (t.after.state == wf::SpineState::Rejected) types.push_back("request.rejected");
    for (const auto& type : types) {
      wf::Effect webhook;
      webhook.kind = wf::Effect::Kind::Webhook;
      webhook.eventType = type;
      addEffect(c, r, causeSeq, webhook, EffectContext{r, c, cause, actor, now, reason});
    }
  }
  r.version = record.version + static_cast<std::int64_t>(c.events.size());
  r.updatedAt = now;
  c.request = r;
  f.after = r;
  f.state = t.after;
  return f;
}

void WorkflowService::addEffect(Commit& c, const RequestRecord& r, std::int64_t causeSeq, const wf::Effect& effect,
                                const EffectContext& context) {
  if (composer_ && effect.kind != wf::Effect::Kind::Letter) {
    if (auto messages = composer_->compose(effect, context)) {
      for (auto& m : *messages) c.outbox.push_back(std::move(m));
      return;
    }
  }
  EffectRecord er;
  er.id = ids_.next("eff");
  er.streamId = r.id;
  er.party = r.party;
  er.eventSeq = causeSeq;
  er.kind = effectKind(effect.kind);
  er.cause = context.cause;
  Object::Ptr payload = new Object;
  payload->set("request_id", r.id);
  payload->set("workflow", r.workflowName + " v" + std::to_string(r.workflowVersion));
  if (!effect.templateName.empty()) payload->set("template", effect.templateName);
  if (!effect.signerRole.empty()) payload->set("signer_role", effect.signerRole);
  if (!effect.messageType.empty()) payload->set("message_type", effect.messageType);
  if (!effect.to.empty()) payload->set("to", effect.to);
  if (!effect.eventType.empty()) payload->set("event_type", effect.eventType);
  if (r.authorisationRef) payload->set("authorisation_ref", *r.authorisationRef);
  er.payloadJson = canonicalJson(payload);
  er.createdAt = context.now;
  c.effects.push_back(er);
}

bool WorkflowService::recordFinding(const FindingRecord& finding) {
  // Someone may write to the request meanwhile: then the commit is made again on its new version.
  for (int attempt = 1;; ++attempt) {
    try {
      return recordFindingOnce(finding);
    } catch (const VersionConflict&) {
      if (attempt == 5) throw;
    }
  }
}

bool WorkflowService::recordFindingOnce(const FindingRecord& finding) {
  if (store_.findFinding(finding.messageId)) return false;
  std::optional<RequestRecord> record;
  if (finding.ref) {
    if (auto a = store_.findAuthorisation(*finding.ref)) record = store_.findRequest(a->requestId);
  }
  Commit c;
  c.finding = finding;
  const std::string now = finding.receivedAt;
  if (!record) {
    // About a submission, or an authorisation this deployment does not know: kept, shown in the
    // outbox's findings, with no request to attach it to. Its own stream keeps the audit trail.
    c.streamId = "finding:" + finding.messageId;
    c.party = settings_.party;
    c.expectedVersion = 0;
  } else {
    c.streamId = record->id;
    c.party = record->party;
    c.expectedVersion = record->version;
  }
  Object::Ptr payload = new Object;
  payload->set("message_id", finding.messageId);
  payload->set("finding_id", finding.findingId);
  if (finding.ref) payload->set("ref", *finding.ref);
  if (finding.version) payload->set("version", *finding.version);
  if (finding.submissionMessageId) payload->set("submission_message_id", *finding.submissionMessageId);
  payload->set("status", finding.status);
  payload->set("severity", finding.severity);
  if (finding.code) payload->set("code", *finding.code);
  payload->set("text", finding.text);
  payload->set("sender", finding.sender);
  payload->set("xml_sha256", signing::sha256Hex(finding.xml));
  c.events.push_back({"unfccc_finding_received", "system", now, canonicalJson(payload)});
  if (record) {
    RequestRecord r = *record;
    r.version = record->version + 1;
    r.updatedAt = now;
    c.request = r;
    const Loaded& l = loaded(r.workflowName, r.workflowVersion);
    for (const auto& effect : l.definition->spineEffects.onFinding) {
      addEffect(c, r, 1, effect, EffectContext{r, c, "finding", "system", now, "", &finding});
    }
  }
  try {
    store_.commit(c);
  } catch (const VersionConflict&) {
    throw;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::Conflict && store_.findFinding(finding.messageId)) return false;
    throw;
  }
  return true;
}

std::vector<std::string> WorkflowService::availableAfter(const Fired& fired, const wf::Actor& actor) {
  const Loaded& l = loaded(fired.after.workflowName, fired.after.workflowVersion);
  return l.engine->available(fired.state, actor, fieldLookup(fired.after.fieldsJson));
}

void WorkflowService::checkFirstTransfers(const std::string& ref, const std::string& amendedFieldsJson) {
  if (!settings_.strictFirstTransferCheck) return;
  std::int64_t total = 0;
  for (const auto& t : store_.firstTransfers(ref)) total += t.quantity;
  auto quantity = fieldLookup(amendedFieldsJson)("authorisation.authorized_quantity");
  if (quantity && std::stoll(*quantity) < total) {
    throw Error(ErrorCode::Conflict, "rule amendments.first_transfer_check (strict): the authorised quantity " +
                                         *quantity + " t would fall below the " + std::to_string(total) +
                                         " t already first-transferred under " + ref);
  }
}

int WorkflowService::fireDueTimers(int limit) {
  int handled = 0;
  for (const auto& due : store_.dueTimers(formatTimestamp(clock_.now()), limit)) {
    try {
      auto record = store_.findRequest(due.streamId);
      if (!record || record->workflowName.empty()) continue;
      const Loaded& l = loaded(record->workflowName, record->workflowVersion);
      wf::RunState before = state(*record);
      wf::Timer timer{timerKindFrom(due.kind), due.stage, due.entry, std::chrono::seconds(0), due.decision};
      auto t = l.engine->fireTimer(before, timer);
      Fired f;
      if (t) {
        f = commitFor(*record, before, *t, "system", std::nullopt);
      } else {
        // The stage was left without the timer being cancelled; say so on the record.
        Object::Ptr payload = new Object;
        payload->set("timer", due.id);
        payload->set("reason", "the stage it belongs to is no longer current");
        std::string now = formatTimestamp(clock_.now());
        f.commit.streamId = record->id;
        f.commit.party = record->party;
        f.commit.expectedVersion = record->version;
        f.commit.events.push_back({"timer_discarded", "system", now, canonicalJson(payload)});
        RequestRecord r = *record;
        r.version += 1;
        r.updatedAt = now;
        f.commit.request = r;
      }
      f.commit.firedTimer = due.id;
      store_.commit(f.commit);
      ++handled;
    } catch (const VersionConflict&) {
      // Someone wrote to the request meanwhile; the timer is still pending and is tried again.
    } catch (const Error& e) {
      if (e.code() != ErrorCode::Conflict) throw;
    }
  }
  return handled;
}

}  // namespace a6::service
