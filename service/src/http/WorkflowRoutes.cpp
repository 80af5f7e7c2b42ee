// The workflow API: firing events on a request, the registered definitions, and authorisations
// (all versions, amendments, revocation, first transfers reported by registries).
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>

#include "a6/core/Error.h"
#include "a6/service/domain/Validation.h"
#include "a6/service/http/RequestJson.h"
#include "a6/workflows/Graph.h"
#include "http/Routes.h"

namespace a6::service {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
namespace wf = a6::workflows;

// Reads an optional string member; a wrong type is a field error.
std::optional<std::string> stringMember(const Object& o, const std::string& key, std::size_t maxLength,
                                        std::vector<FieldError>& errors) {
  if (!o.has(key) || o.isNull(key)) return std::nullopt;
  Poco::Dynamic::Var v = o.get(key);
  if (!v.isString()) {
    errors.push_back({key, "type", "must be a string"});
    return std::nullopt;
  }
  std::string s = v.extract<std::string>();
  if (s.size() > maxLength)
    errors.push_back({key, "length", "must be at most " + std::to_string(maxLength) + " bytes"});
  return s;
}

void refuseUnknown(const Object& o, const std::set<std::string>& allowed, const std::string& prefix,
                   std::vector<FieldError>& errors) {
  for (const auto& [k, v] : o) {
    if (!allowed.count(k)) errors.push_back({prefix + k, "unknown_field", "is not a field here"});
  }
}

Error refusalError(const wf::Refusal& r) {
  std::string detail = r.message + " (rule: " + r.rule + ")";
  switch (r.kind) {
    case wf::Refusal::Kind::Role:
    case wf::Refusal::Kind::Segregation:
      return Error(ErrorCode::Forbidden, detail);
    case wf::Refusal::Kind::NotNow:
    case wf::Refusal::Kind::AlreadyDecided:
    case wf::Refusal::Kind::Guard:
      return Error(ErrorCode::Conflict, detail);
    case wf::Refusal::Kind::UnknownEvent:
      return Error(ErrorCode::Invalid, detail, {{"event", "enum", r.message}});
    case wf::Refusal::Kind::CommentRequired:
      return Error(ErrorCode::Invalid, detail, {{"comment", "required", r.message}});
  }
  return Error(ErrorCode::Conflict, detail);
}

// Fires `event` on the request and returns what the server commits and answers.
WriteResult fireOn(Services& s, Exchange& ex, const RequestRecord& record, const WorkflowService::FireInput& input,
                   int status) {
  const Principal& p = ex.who();
  wf::Actor actor = s.workflows.actorFor(p.name, p.roles, p.organisation, record);
  auto result = s.workflows.fire(record, actor, input);
  if (auto* refusal = std::get_if<wf::Refusal>(&result)) throw refusalError(*refusal);
  auto& fired = std::get<WorkflowService::Fired>(result);
  WriteResult w;
  w.commit = std::move(fired.commit);
  w.response = requestResponse(s, status, fired.after, s.workflows.availableAfter(fired, actor));
  return w;
}

WriteResult postEvent(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  RequestRecord record = loadVisible(s, p, ex.params.at("id"));
  checkIfMatch(ex, record, true);
  Object::Ptr body = ex.jsonObject(s.config.limits.jsonDepth);
  std::vector<FieldError> errors;
  refuseUnknown(*body, {"event", "comment", "data"}, "", errors);
  auto event = stringMember(*body, "event", 64, errors);
  if (!event || event->empty()) errors.push_back({"event", "required", "name the event to fire"});
  WorkflowService::FireInput input;
  input.event = event.value_or("");
  input.comment = stringMember(*body, "comment", 10000, errors).value_or("");
  if (body->has("data") && !body->isNull("data")) {
    Poco::Dynamic::Var data = body->get("data");
    if (data.type() != typeid(Object::Ptr)) {
      errors.push_back({"data", "type", "must be an object"});
    } else {
      Object::Ptr d = data.extract<Object::Ptr>();
      refuseUnknown(*d, {"workflow"}, "data.", errors);
      input.workflow = stringMember(*d, "workflow", 100, errors).value_or("");
    }
  }
  if (!errors.empty()) throw Error(ErrorCode::Invalid, "the event is not valid", std::move(errors));
  if (input.event == "open_amendment") {
    throw Error(ErrorCode::Invalid, "an amendment states its changes",
                {{"event", "enum",
                  "open amendments with POST /api/v1/authorisations/{ref}/amendments, which carries the changes"}});
  }
  bool applicant = p.hasRole("applicant") && p.organisation == record.organisation;
  if (input.event == "submit" && applicant && (record.state == "draft" || record.state == "changes_requested")) {
    std::vector<FieldError> ignored;
    RequestFields f = decodeRequestFields(*parseStoredObject(record.fieldsJson), ignored);
    auto missing = validateRequest(f, defaultControlledLists(), Completeness::Submission);
    if (!missing.empty()) {
      throw Error(ErrorCode::Invalid,
                  "the request is not complete; " + std::to_string(missing.size()) + " field(s) need attention",
                  std::move(missing));
    }
  }
  return fireOn(s, ex, record, input, 200);
}

Object::Ptr definitionSummary(const WorkflowDefinitionRecord& r, const wf::Definition& d) {
  Object::Ptr o = new Object;
  o->set("name", r.name);
  o->set("version", r.version);
  o->set("sha256", r.sha256);
  o->set("title", d.title);
  o->set("registered_at", r.registeredAt);
  return o;
}

Response listWorkflows(Services& s, Exchange& ex) {
  ex.who();
  Array::Ptr items = new Array;
  for (const auto& r : s.store.listDefinitions()) {
    items->add(definitionSummary(r, s.workflows.definition(r.name, r.version)));
  }
  Object::Ptr out = new Object;
  out->set("items", items);
  return Response::json(200, canonicalJson(out));
}

Response getWorkflow(Services& s, Exchange& ex) {
  ex.who();
  const std::string& name = ex.params.at("name");
  const std::string& v = ex.params.at("version");
  bool digits = !v.empty() && v.size() < 6 && std::all_of(v.begin(), v.end(), ::isdigit);
  auto record = digits ? s.store.findDefinition(name, std::stoi(v)) : std::nullopt;
  if (!record) throw Error(ErrorCode::NotFound, "no workflow " + name + " version " + v);
  const wf::Definition& d = s.workflows.definition(record->name, record->version);
  Object::Ptr o = definitionSummary(*record, d);
  o->set("description", d.description);
  Array::Ptr roles = new Array;
  for (const auto& role : d.roles) {
    Object::Ptr r = new Object;
    r->set("id", role.id);
    r->set("description", role.description);
    roles->add(r);
  }
  o->set("roles", roles);
  Array::Ptr stages = new Array;
  for (const auto& st : d.stages) {
    Object::Ptr so = new Object;
    so->set("id", st.id);
    so->set("phase", wf::toString(st.phase));
    so->set("role", st.role);
    so->set("quorum", st.quorum);
    so->set("of", st.of);
    Array::Ptr decisions = new Array;
    for (const auto& dec : st.decisions) {
      Object::Ptr dobj = new Object;
      dobj->set("event", dec.event);
      if (dec.outcome == wf::Outcome::None) {
        dobj->set("next", dec.next);
      } else {
        dobj->set("outcome", wf::toString(dec.outcome));
      }
      dobj->set("comment_required", dec.commentRequired);
      decisions->add(dobj);
    }
    so->set("decisions", decisions);
    if (st.sla) so->set("sla_due_seconds", static_cast<std::int64_t>(st.sla->due.count()));
    stages->add(so);
  }
  o->set("stages", stages);
  o->set("dot", wf::toDot(d));
  o->set("source", record->source);
  return Response::json(200, canonicalJson(o));
}

// The authorisation and its request, if the caller may see them.
std::pair<AuthorisationRecord, RequestRecord> loadAuthorisation(Services& s, const Principal& p,
                                                                const std::string& ref) {
  auto a = s.store.findAuthorisation(ref);
  if (!a || a->party != s.config.party) throw Error(ErrorCode::NotFound, "no authorisation " + ref);
  if (p.hasRole("registry") && !readsEverything(p) && !p.hasRole("applicant")) {
    auto r = s.store.findRequest(a->requestId);
    if (!r) throw Error(ErrorCode::NotFound, "no authorisation " + ref);
    return {*a, *r};
  }
  try {
    return {*a, loadVisible(s, p, a->requestId)};
  } catch (const Error& e) {
    if (e.code() == ErrorCode::NotFound) throw Error(ErrorCode::NotFound, "no authorisation " + ref);
    throw;
  }
}

Response getAuthorisation(Services& s, Exchange& ex) {
  auto [a, record] = loadAuthorisation(s, ex.who(), ex.params.at("ref"));
  Object::Ptr o = new Object;
  o->set("ref", a.ref);
  o->set("request_id", a.requestId);
  o->set("party", a.party);
  o->set("status", record.state == "amendment_in_review" ? std::string("amendment_in_review") : a.status);
  o->set("current_version", a.currentVersion);
  o->set("created_at", a.createdAt);
  o->set("updated_at", a.updatedAt);
  Array::Ptr versions = new Array;
  for (const auto& v : s.store.authorisationVersions(a.ref)) {
    Object::Ptr vo = new Object;
    vo->set("version", v.version);
    vo->set("authorised_at", v.authorisedAt);
    vo->set("authorised_by", v.authorisedBy);
    Poco::JSON::Parser parser;
    vo->set("changes", parser.parse(v.changesJson));
    vo->set("fields", parseStoredObject(v.fieldsJson));
    versions->add(vo);
  }
  o->set("versions", versions);
  Array::Ptr transfers = new Array;
  std::int64_t total = 0;
  for (const auto& t : s.store.firstTransfers(a.ref)) {
    Object::Ptr to = new Object;
    to->set("id", t.id);
    to->set("quantity", t.quantity);
    to->set("serial_first", t.serialFirst);
    to->set("serial_last", t.serialLast);
    to->set("date", t.transferDate);
    to->set("recorded_by", t.recordedBy);
    to->set("recorded_at", t.recordedAt);
    transfers->add(to);
    total += t.quantity;
  }
  o->set("first_transfers", transfers);
  Array::Ptr letters = new Array;
  for (const auto& l : s.store.lettersOfRequest(a.requestId)) {
    if (l.ref != a.ref) continue;
    Object::Ptr lo = new Object;
    lo->set("id", l.id);
    lo->set("reference", l.reference);
    lo->set("template", l.templateName);
    lo->set("authorisation_version", l.authVersion);
    lo->set("sha256", l.sha256);
    lo->set("issued_at", l.issuedAt);
    lo->set("href", "/api/v1/requests/" + l.requestId + "/letters/" + l.id);
    letters->add(lo);
  }
  o->set("letters", letters);
  // What the UNFCCC side was told and said: every notification about this authorisation with its
  // delivery state and acknowledgement, and the consistency findings it reported.
  Object::Ptr unfccc = new Object;
  Array::Ptr notifications = new Array;
  OutboxQuery q;
  q.ref = a.ref;
  q.destination = "unfccc";
  q.limit = 200;
  auto sent = s.store.listOutbox(q);
  std::reverse(sent.begin(), sent.end());
  for (const auto& m : sent) notifications->add(outboxJson(m, false));
  unfccc->set("notifications", notifications);
  Array::Ptr findings = new Array;
  for (const auto& f : s.store.findingsOf(a.ref)) findings->add(findingJson(f));
  unfccc->set("findings", findings);
  o->set("unfccc", unfccc);
  o->set("first_transferred_total", total);
  return Response::json(200, canonicalJson(o));
}

WriteResult openAmendment(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  auto [a, record] = loadAuthorisation(s, p, ex.params.at("ref"));
  checkIfMatch(ex, record, false);
  Object::Ptr body = ex.jsonObject(s.config.limits.jsonDepth);
  std::vector<FieldError> errors;
  refuseUnknown(*body, {"changes", "comment"}, "", errors);
  std::string comment = stringMember(*body, "comment", 10000, errors).value_or("");
  Object::Ptr changes;
  if (!body->has("changes") || body->get("changes").type() != typeid(Object::Ptr)) {
    errors.push_back({"changes", "required", "give the changed fields as a JSON Merge Patch of the request fields"});
  } else {
    changes = body->getObject("changes");
    if (changes->size() == 0) errors.push_back({"changes", "required", "an amendment changes at least one field"});
  }
  if (!errors.empty()) throw Error(ErrorCode::Invalid, "the amendment is not valid", std::move(errors));
  // The amended request must be complete and valid, as at submission; paths say where.
  Object::Ptr merged = applyMergePatch(*parseStoredObject(record.fieldsJson), *changes);
  std::vector<FieldError> decodeErrors;
  RequestFields f = decodeRequestFields(*merged, decodeErrors);
  auto rules = validateRequest(f, defaultControlledLists(), Completeness::Submission);
  decodeErrors.insert(decodeErrors.end(), rules.begin(), rules.end());
  if (f.applicant.organisation !=
      parseStoredObject(record.fieldsJson)->getObject("applicant")->getValue<std::string>("organisation")) {
    decodeErrors.push_back({"applicant.organisation", "not_allowed", "an amendment cannot change the applicant"});
  }
  if (f.activity.hostCountry && *f.activity.hostCountry != s.config.party) {
    decodeErrors.push_back({"activity.host_country", "not_allowed", "an amendment cannot change the host Party"});
  }
  for (auto& e : decodeErrors) e.path = "changes." + e.path;
  if (!decodeErrors.empty()) {
    throw Error(ErrorCode::Invalid, "the amended authorisation would not be valid", std::move(decodeErrors));
  }
  std::string mergedJson = canonicalJson(encodeRequestFields(f));
  if (mergedJson == record.fieldsJson) {
    throw Error(ErrorCode::Invalid, "the amendment changes nothing",
                {{"changes", "required", "every given field already has that value"}});
  }
  s.workflows.checkFirstTransfers(a.ref, mergedJson);
  WorkflowService::FireInput input;
  input.event = "open_amendment";
  input.comment = comment;
  input.amendmentPatch = canonicalJson(changes);
  WriteResult w = fireOn(s, ex, record, input, 201);
  w.response.headers.emplace_back("Location", "/api/v1/requests/" + record.id);
  return w;
}

WriteResult revoke(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  auto [a, record] = loadAuthorisation(s, p, ex.params.at("ref"));
  checkIfMatch(ex, record, false);
  Object::Ptr body = ex.jsonObject(s.config.limits.jsonDepth);
  std::vector<FieldError> errors;
  refuseUnknown(*body, {"reason"}, "", errors);
  std::string reason = stringMember(*body, "reason", 10000, errors).value_or("");
  if (Poco::trim(reason).empty()) errors.push_back({"reason", "required", "a revocation states its reason"});
  if (!errors.empty()) throw Error(ErrorCode::Invalid, "the revocation is not valid", std::move(errors));
  WorkflowService::FireInput input;
  input.event = "revoke";
  input.comment = reason;
  return fireOn(s, ex, record, input, 200);
}

WriteResult recordFirstTransfer(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  if (!p.hasRole("registry")) throw Error(ErrorCode::Forbidden, "only registries record first transfers");
  auto [a, record] = loadAuthorisation(s, p, ex.params.at("ref"));
  Object::Ptr body = ex.jsonObject(s.config.limits.jsonDepth);
  return firstTransferWrite(s, a, record, *body, "", p.name);
}

}  // namespace

WriteResult firstTransferWrite(Services& s, const AuthorisationRecord& a, const RequestRecord& record,
                               const Object& fields, const std::string& pathPrefix, const std::string& recordedBy) {
  const Object* body = &fields;
  std::vector<FieldError> errors;
  refuseUnknown(*body, {"quantity", "serial_first", "serial_last", "date"}, "", errors);
  std::int64_t quantity = 0;
  if (!body->has("quantity") || !body->get("quantity").isInteger()) {
    errors.push_back({"quantity", "type", "must be a whole number of tonnes"});
  } else {
    quantity = body->getValue<std::int64_t>("quantity");
    if (quantity <= 0) errors.push_back({"quantity", "range", "must be more than zero"});
  }
  auto first = stringMember(*body, "serial_first", 200, errors);
  auto last = stringMember(*body, "serial_last", 200, errors);
  auto date = stringMember(*body, "date", 10, errors);
  if (!first || first->empty()) errors.push_back({"serial_first", "required", "the first serial number of the block"});
  if (!last || last->empty()) errors.push_back({"serial_last", "required", "the last serial number of the block"});
  if (!date || !isIsoDate(*date)) errors.push_back({"date", "format", "must be a date, YYYY-MM-DD"});
  if (!errors.empty()) {
    for (auto& e : errors) e.path = pathPrefix + e.path;
    throw Error(ErrorCode::Invalid, "the first transfer is not valid", std::move(errors));
  }
  if (a.status != "active") {
    throw Error(ErrorCode::Conflict, "authorisation " + a.ref + " is " + a.status + "; no transfers may be recorded");
  }
  std::int64_t total = quantity;
  for (const auto& t : s.store.firstTransfers(a.ref)) total += t.quantity;
  auto authorised = fieldLookup(record.fieldsJson)("authorisation.authorized_quantity");
  if (authorised && total > std::stoll(*authorised)) {
    throw Error(ErrorCode::Conflict, "first transfers would total " + std::to_string(total) + " t, more than the " +
                                         *authorised + " t authorised under " + a.ref);
  }
  std::string now = formatTimestamp(s.clock.now());
  FirstTransfer t{s.ids.next("ft"), a.ref, quantity, *first, *last, *date, recordedBy, now};
  Object::Ptr payload = new Object;
  payload->set("id", t.id);
  payload->set("ref", t.ref);
  payload->set("quantity", t.quantity);
  payload->set("serial_first", t.serialFirst);
  payload->set("serial_last", t.serialLast);
  payload->set("date", t.transferDate);
  WriteResult w;
  w.commit.streamId = record.id;
  w.commit.party = record.party;
  w.commit.expectedVersion = record.version;
  w.commit.events.push_back({"first_transfer_recorded", recordedBy, now, canonicalJson(payload)});
  RequestRecord r = record;
  r.version += 1;
  r.updatedAt = now;
  w.commit.request = r;
  w.commit.firstTransfer = t;
  payload->set("first_transferred_total", total);
  w.response = Response::json(201, canonicalJson(payload));
  w.response.headers.emplace_back("Location", "/api/v1/authorisations/" + a.ref);
  return w;
}

void registerWorkflowRoutes(Router& router, Services& s) {
  const std::size_t json = s.config.limits.jsonBodyBytes;
  router.add({"POST", "/api/v1/requests/{id}/events", true, json, {}, [&s](Exchange& ex) { return postEvent(s, ex); }});
  router.add({"GET", "/api/v1/workflows", true, 0, [&s](Exchange& ex) { return listWorkflows(s, ex); }, {}});
  router.add(
      {"GET", "/api/v1/workflows/{name}/{version}", true, 0, [&s](Exchange& ex) { return getWorkflow(s, ex); }, {}});
  router.add(
      {"GET", "/api/v1/authorisations/{ref}", true, 0, [&s](Exchange& ex) { return getAuthorisation(s, ex); }, {}});
  router.add({"POST", "/api/v1/authorisations/{ref}/amendments", true, json, {}, [&s](Exchange& ex) {
                return openAmendment(s, ex);
              }});
  router.add({"POST", "/api/v1/authorisations/{ref}/revocation", true, json, {}, [&s](Exchange& ex) {
                return revoke(s, ex);
              }});
  router.add({"POST", "/api/v1/authorisations/{ref}/first-transfers", true, json, {}, [&s](Exchange& ex) {
                return recordFirstTransfer(s, ex);
              }});
}

}  // namespace a6::service
