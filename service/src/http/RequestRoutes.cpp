// The request-intake API: create, read, list, edit (JSON Merge Patch), attachments, history.
// Every write produces events and the new read model in one Commit; the server commits it.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <set>

#include "a6/core/Error.h"
#include "a6/service/domain/Validation.h"
#include "a6/service/http/RequestJson.h"
#include "a6/workflows/Engine.h"
#include "a6/workflows/Spine.h"
#include "http/Routes.h"

namespace a6::service {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const std::set<std::string> kStates = {"draft",      "submitted", "in_review", "changes_requested",   "approved",
                                       "authorised", "rejected",  "withdrawn", "amendment_in_review", "revoked",
                                       "expired"};

}  // namespace

Poco::JSON::Object::Ptr requestSummaryJson(const RequestRecord& r) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", r.id);
  o->set("version", r.version);
  o->set("state", r.state);
  o->set("stage", r.stage.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.stage));
  o->set("title", r.title);
  o->set("organisation", r.organisation);
  o->set("cooperative_approach_id",
         r.cooperativeApproachId.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.cooperativeApproachId));
  o->set("authorisation_ref", r.authorisationRef ? Poco::Dynamic::Var(*r.authorisationRef) : Poco::Dynamic::Var());
  return o;
}

bool readsEverything(const Principal& p) {
  return p.hasRole("reviewer") || p.hasRole("approver") || p.hasRole("admin") || p.hasRole("auditor");
}

namespace {}  // namespace

// The record, if the caller may see it. Another organisation's request is "not found" to an
// applicant, so that ids do not reveal what exists.
RequestRecord loadVisible(Services& s, const Principal& p, const std::string& id) {
  if (!readsEverything(p) && !p.hasRole("applicant")) {
    throw Error(ErrorCode::Forbidden, "your roles do not give access to requests");
  }
  auto record = s.store.findRequest(id);
  if (!record || record->party != s.config.party || (!readsEverything(p) && record->organisation != p.organisation)) {
    throw Error(ErrorCode::NotFound, "no request " + id);
  }
  return *record;
}

namespace {

// The record, if the caller may change it now.
RequestRecord loadEditable(Services& s, const Principal& p, const std::string& id) {
  if (!p.hasRole("applicant")) throw Error(ErrorCode::Forbidden, "only applicants edit requests");
  RequestRecord record = loadVisible(s, p, id);
  if (record.organisation != p.organisation) throw Error(ErrorCode::NotFound, "no request " + id);
  auto state = workflows::spineStateFromString(record.state);
  if (!state || !workflows::Spine::editable(*state)) {
    throw Error(ErrorCode::Conflict, "a request in state '" + record.state +
                                         "' cannot be edited; edits are allowed while draft or changes requested");
  }
  return record;
}

std::int64_t parseIfMatch(const std::string& header) {
  std::string v = Poco::trim(header);
  if (v.rfind("W/", 0) == 0) v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 18 || !std::all_of(v.begin(), v.end(), ::isdigit)) {
    throw Error(ErrorCode::Malformed, "If-Match must be the ETag you read, e.g. \"3\"");
  }
  return std::stoll(v);
}

}  // namespace

void checkIfMatch(Exchange& ex, const RequestRecord& record, bool required) {
  if (!ex.request().has("If-Match")) {
    if (required) {
      throw Error(ErrorCode::PreconditionRequired,
                  "send If-Match with the ETag of the version you edited (it is " + etagOf(record.version) + ")");
    }
    return;
  }
  if (parseIfMatch(ex.header("If-Match")) != record.version) {
    throw Error(ErrorCode::PreconditionFailed, "the request is at version " + std::to_string(record.version) +
                                                   ", not the one you edited; read it again");
  }
}

namespace {

// Decodes and validates applicant-written fields, enforcing what the caller may not choose.
RequestFields checkedFields(Services& s, const Principal& p, const Object& object) {
  std::vector<FieldError> errors;
  RequestFields f = decodeRequestFields(object, errors);
  if (!f.applicant.organisation) {
    f.applicant.organisation = p.organisation;
  } else if (*f.applicant.organisation != p.organisation) {
    errors.push_back(
        {"applicant.organisation", "not_allowed", "must be your own organisation (" + p.organisation + ")"});
  }
  if (!f.activity.hostCountry) {
    f.activity.hostCountry = s.config.party;
  } else if (*f.activity.hostCountry != s.config.party) {
    errors.push_back(
        {"activity.host_country", "not_allowed", "this service authorises activities hosted by " + s.config.party});
  }
  auto rules = validateRequest(f, defaultControlledLists(), Completeness::Draft);
  for (auto& e : rules) {
    bool already = std::any_of(errors.begin(), errors.end(), [&](const FieldError& x) { return x.path == e.path; });
    if (!already) errors.push_back(std::move(e));
  }
  if (!errors.empty()) {
    throw Error(ErrorCode::Invalid, std::to_string(errors.size()) + " field(s) need attention", std::move(errors));
  }
  return f;
}

Object::Ptr attachmentJson(const Attachment& a) {
  Object::Ptr o = new Object;
  o->set("id", a.id);
  o->set("name", a.name);
  o->set("media_type", a.mediaType);
  o->set("size", a.size);
  o->set("sha256", a.sha256);
  o->set("created_at", a.createdAt);
  o->set("created_by", a.createdBy);
  return o;
}

Object::Ptr requestJson(const RequestRecord& r, const std::vector<Attachment>& attachments,
                        const std::vector<std::string>& available) {
  Object::Ptr o = parseStoredObject(r.fieldsJson);
  std::vector<FieldError> ignored;  // stored fields were valid when written
  RequestFields f = decodeRequestFields(*o, ignored);
  o->set("id", r.id);
  o->set("party", r.party);
  o->set("version", r.version);
  o->set("state", r.state);
  o->set("stage", r.stage.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.stage));
  if (r.workflowName.empty()) {
    o->set("workflow", Poco::Dynamic::Var());
  } else {
    Object::Ptr w = new Object;
    w->set("name", r.workflowName);
    w->set("version", r.workflowVersion);
    o->set("workflow", w);
  }
  Array::Ptr atts = new Array;
  for (const auto& a : attachments) atts->add(attachmentJson(a));
  o->set("attachments", atts);
  Array::Ptr events = new Array;
  for (const auto& e : available) events->add(e);
  o->set("available_events", events);
  o->set("authorisation_ref", r.authorisationRef ? Poco::Dynamic::Var(*r.authorisationRef) : Poco::Dynamic::Var());
  o->set("created_at", r.createdAt);
  o->set("updated_at", r.updatedAt);
  o->set("created_by", r.createdBy);
  // What is still missing before the request can be submitted, so forms can show it early.
  auto missing = validateRequest(f, defaultControlledLists(), Completeness::Submission);
  Object::Ptr completeness = new Object;
  completeness->set("ready_to_submit", missing.empty());
  Array::Ptr errs = new Array;
  for (const auto& e : missing) {
    Object::Ptr x = new Object;
    x->set("path", e.path);
    x->set("code", e.code);
    x->set("message", e.message);
    errs->add(x);
  }
  completeness->set("errors", errs);
  o->set("completeness", completeness);
  return o;
}

}  // namespace

std::vector<std::string> availableEvents(Services& s, const RequestRecord& r, const Principal& p) {
  return s.workflows.available(r, s.workflows.actorFor(p.name, p.roles, p.organisation, r));
}

Response requestResponse(Services& s, int status, const RequestRecord& r, const std::vector<std::string>& available) {
  Response resp = Response::json(status, canonicalJson(requestJson(r, s.store.attachments(r.id), available)));
  resp.headers.emplace_back("ETag", etagOf(r.version));
  return resp;
}

namespace {

std::string searchTitle(const RequestFields& f) { return f.activity.title.value_or(""); }

WriteResult createRequest(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  if (!p.hasRole("applicant")) throw Error(ErrorCode::Forbidden, "only applicants create requests");
  RequestFields f = checkedFields(s, p, *ex.jsonObject(s.config.limits.jsonDepth));
  std::string now = formatTimestamp(s.clock.now());
  Object::Ptr fields = encodeRequestFields(f);

  RequestRecord r;
  r.id = s.ids.next("req");
  r.party = s.config.party;
  r.organisation = p.organisation;
  r.state = "draft";
  r.version = 1;
  r.title = searchTitle(f);
  r.cooperativeApproachId = f.authorisation.cooperativeApproachId.value_or("");
  r.fieldsJson = canonicalJson(fields);
  r.createdAt = now;
  r.updatedAt = now;
  r.createdBy = p.name;

  Object::Ptr payload = new Object;
  payload->set("fields", fields);
  WriteResult w;
  w.commit.streamId = r.id;
  w.commit.party = r.party;
  w.commit.expectedVersion = 0;
  w.commit.events.push_back({"created", p.name, now, canonicalJson(payload)});
  w.commit.request = r;
  w.response = requestResponse(s, 201, r, availableEvents(s, r, p));
  w.response.headers.emplace_back("Location", "/api/v1/requests/" + r.id);
  return w;
}

WriteResult patchRequest(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  RequestRecord r = loadEditable(s, p, ex.params.at("id"));
  checkIfMatch(ex, r, true);
  Object::Ptr patch = ex.jsonObject(s.config.limits.jsonDepth);
  Object::Ptr merged = applyMergePatch(*parseStoredObject(r.fieldsJson), *patch);
  RequestFields f = checkedFields(s, p, *merged);
  std::string fieldsJson = canonicalJson(encodeRequestFields(f));
  WriteResult w;
  if (fieldsJson == r.fieldsJson) {  // nothing changed: no event, same version
    w.response = requestResponse(s, 200, r, availableEvents(s, r, p));
    return w;
  }
  std::string now = formatTimestamp(s.clock.now());
  Object::Ptr payload = new Object;
  payload->set("patch", patch);
  std::int64_t expected = r.version;
  r.fieldsJson = fieldsJson;
  r.title = searchTitle(f);
  r.cooperativeApproachId = f.authorisation.cooperativeApproachId.value_or("");
  r.version += 1;
  r.updatedAt = now;
  w.commit.streamId = r.id;
  w.commit.party = r.party;
  w.commit.expectedVersion = expected;
  w.commit.events.push_back({"edited", p.name, now, canonicalJson(payload)});
  w.commit.request = r;
  w.response = requestResponse(s, 200, r, availableEvents(s, r, p));
  return w;
}

// The file name from ?name= or Content-Disposition; no paths, no control characters.
std::string attachmentName(Exchange& ex) {
  std::string name = ex.query("name").value_or("");
  if (name.empty()) {
    std::string cd = ex.header("Content-Disposition");
    auto pos = cd.find("filename=");
    if (pos != std::string::npos) {
      name = cd.substr(pos + 9);
      auto semi = name.find(';');
      if (semi != std::string::npos) name = name.substr(0, semi);
      name = Poco::trim(name);
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    }
  }
  if (name.empty()) {
    throw Error(ErrorCode::Invalid, "the attachment needs a name",
                {{"name", "required", "give the file name as ?name= or in Content-Disposition"}});
  }
  if (name.size() > 200 || !isValidUtf8(name) || name == "." || name == ".." ||
      std::any_of(name.begin(), name.end(),
                  [](char c) { return c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    throw Error(ErrorCode::Invalid, "the attachment name is not acceptable",
                {{"name", "format", "must be a plain file name of at most 200 bytes, without / or \\"}});
  }
  return name;
}

// A declared PDF, PNG or JPEG must look like one: a wrong label is a mistake worth catching.
void checkContentMatchesType(const std::string& mediaType, const std::string& body) {
  auto startsWith = [&](std::string_view magic) { return body.compare(0, magic.size(), magic) == 0; };
  bool ok = true;
  if (mediaType == "application/pdf") ok = startsWith("%PDF-");
  if (mediaType == "image/png") ok = startsWith("\x89PNG\r\n\x1a\n");
  if (mediaType == "image/jpeg") ok = startsWith("\xFF\xD8\xFF");
  if (!ok) {
    throw Error(ErrorCode::Invalid, "the content does not match its media type",
                {{"content", "format", "the file is not a " + mediaType + " file"}});
  }
}

WriteResult addAttachment(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  RequestRecord r = loadEditable(s, p, ex.params.at("id"));
  checkIfMatch(ex, r, false);
  std::string name = attachmentName(ex);
  std::string type =
      Poco::toLower(Poco::trim(ex.header("Content-Type").substr(0, ex.header("Content-Type").find(';'))));
  const auto& allowed = s.config.attachmentMediaTypes;
  if (std::find(allowed.begin(), allowed.end(), type) == allowed.end()) {
    std::string list;
    for (const auto& t : allowed) list += (list.empty() ? "" : ", ") + t;
    throw Error(ErrorCode::UnsupportedMediaType, "attachments may be: " + list + " (got '" + type + "')");
  }
  auto existing = s.store.attachments(r.id);
  if (static_cast<int>(existing.size()) >= s.config.limits.attachmentsPerRequest) {
    throw Error(ErrorCode::Conflict, "this request already has the maximum of " +
                                         std::to_string(s.config.limits.attachmentsPerRequest) + " attachments");
  }
  const std::string& body = ex.body();
  if (body.empty()) {
    throw Error(ErrorCode::Invalid, "the attachment is empty", {{"content", "required", "send the file's bytes"}});
  }
  checkContentMatchesType(type, body);

  std::string now = formatTimestamp(s.clock.now());
  Attachment a;
  a.id = s.ids.next("att");
  a.name = name;
  a.mediaType = type;
  a.size = static_cast<std::int64_t>(body.size());
  a.sha256 = ex.bodySha256();
  a.createdAt = now;
  a.createdBy = p.name;

  Object::Ptr payload = new Object;
  payload->set("attachment", attachmentJson(a));
  std::int64_t expected = r.version;
  r.version += 1;
  r.updatedAt = now;
  WriteResult w;
  w.commit.streamId = r.id;
  w.commit.party = r.party;
  w.commit.expectedVersion = expected;
  w.commit.events.push_back({"attachment_added", p.name, now, canonicalJson(payload)});
  w.commit.request = r;
  w.commit.attachments.push_back({r.id, a, body});
  w.response = Response::json(201, canonicalJson(attachmentJson(a)));
  w.response.headers.emplace_back("Location", "/api/v1/requests/" + r.id + "/attachments/" + a.id);
  w.response.headers.emplace_back("ETag", etagOf(r.version));
  return w;
}

Response getAttachment(Services& s, Exchange& ex) {
  RequestRecord r = loadVisible(s, ex.who(), ex.params.at("id"));
  const std::string& attId = ex.params.at("att");
  auto atts = s.store.attachments(r.id);
  auto it = std::find_if(atts.begin(), atts.end(), [&](const Attachment& a) { return a.id == attId; });
  auto bytes = it == atts.end() ? std::nullopt : s.store.attachmentBytes(r.id, attId);
  if (!bytes) throw Error(ErrorCode::NotFound, "no attachment " + attId + " on request " + r.id);
  Response resp;
  resp.contentType = it->mediaType;
  resp.body = std::move(*bytes);
  resp.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + it->name + "\"");
  resp.headers.emplace_back("X-Content-SHA256", it->sha256);
  resp.headers.emplace_back("Content-Security-Policy", "sandbox");
  return resp;
}

Response getRequest(Services& s, Exchange& ex) {
  RequestRecord r = loadVisible(s, ex.who(), ex.params.at("id"));
  return requestResponse(s, 200, r, availableEvents(s, r, ex.who()));
}

Response listRequests(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  if (!readsEverything(p) && !p.hasRole("applicant")) {
    throw Error(ErrorCode::Forbidden, "your roles do not give access to requests");
  }
  std::vector<FieldError> errors;
  for (const auto& [k, v] : ex.queryParams()) {
    if (k != "state" && k != "q" && k != "cursor" && k != "limit") {
      errors.push_back({k, "unknown_field", "unknown query parameter; use state, q, cursor or limit"});
    }
  }
  RequestQuery q;
  if (!readsEverything(p)) q.organisation = p.organisation;
  q.state = ex.query("state");
  if (q.state && !kStates.count(*q.state)) errors.push_back({"state", "enum", "is not a request state"});
  q.text = ex.query("q");
  if (q.text && (q.text->size() > 200 || !isValidUtf8(*q.text))) {
    errors.push_back({"q", "length", "must be valid text of at most 200 bytes"});
  }
  q.beforeId = ex.query("cursor");
  if (q.beforeId && (q.beforeId->size() > 64 || q.beforeId->rfind("req_", 0) != 0)) {
    errors.push_back({"cursor", "format", "must be the next_cursor of an earlier page"});
  }
  q.limit = 50;
  if (auto limit = ex.query("limit")) {
    bool digits = !limit->empty() && limit->size() <= 4 && std::all_of(limit->begin(), limit->end(), ::isdigit);
    int n = digits ? std::stoi(*limit) : 0;
    if (n < 1 || n > s.config.limits.pageSizeMax) {
      errors.push_back({"limit", "range", "must be 1 to " + std::to_string(s.config.limits.pageSizeMax)});
    }
    q.limit = n;
  }
  if (!errors.empty()) throw Error(ErrorCode::Invalid, "the query is not valid", std::move(errors));
  RequestPage page = s.store.listRequests(q);
  Object::Ptr out = new Object;
  Array::Ptr items = new Array;
  for (const auto& r : page.items) {
    if (r.party != s.config.party) continue;
    Object::Ptr i = requestSummaryJson(r);
    i->set("created_at", r.createdAt);
    i->set("updated_at", r.updatedAt);
    items->add(i);
  }
  out->set("items", items);
  out->set("next_cursor", page.nextCursor ? Poco::Dynamic::Var(*page.nextCursor) : Poco::Dynamic::Var());
  return Response::json(200, canonicalJson(out));
}

Response history(Services& s, Exchange& ex) {
  RequestRecord r = loadVisible(s, ex.who(), ex.params.at("id"));
  Array::Ptr items = new Array;
  for (const auto& e : s.store.events(r.id)) {
    Object::Ptr i = new Object;
    i->set("seq", e.seq);
    i->set("type", e.type);
    i->set("actor", e.actor);
    i->set("at", e.at);
    i->set("data", parseStoredObject(e.payloadJson));
    i->set("prev_hash", e.prevHash);
    i->set("hash", e.hash);
    items->add(i);
  }
  Object::Ptr out = new Object;
  out->set("request_id", r.id);
  out->set("version", r.version);
  out->set("items", items);
  return Response::json(200, canonicalJson(out));
}

}  // namespace

std::string etagOf(std::int64_t version) { return "\"" + std::to_string(version) + "\""; }

void registerRequestRoutes(Router& router, Services& s) {
  const std::size_t json = s.config.limits.jsonBodyBytes;
  router.add({"POST", "/api/v1/requests", true, json, {}, [&s](Exchange& ex) { return createRequest(s, ex); }});
  router.add({"GET", "/api/v1/requests", true, 0, [&s](Exchange& ex) { return listRequests(s, ex); }, {}});
  router.add({"GET", "/api/v1/requests/{id}", true, 0, [&s](Exchange& ex) { return getRequest(s, ex); }, {}});
  router.add({"PATCH", "/api/v1/requests/{id}", true, json, {}, [&s](Exchange& ex) { return patchRequest(s, ex); }});
  router.add(
      {"POST", "/api/v1/requests/{id}/attachments", true, s.config.limits.attachmentBytes, {}, [&s](Exchange& ex) {
         return addAttachment(s, ex);
       }});
  router.add({"GET",
              "/api/v1/requests/{id}/attachments/{att}",
              true,
              0,
              [&s](Exchange& ex) { return getAttachment(s, ex); },
              {}});
  router.add({"GET", "/api/v1/requests/{id}/history", true, 0, [&s](Exchange& ex) { return history(s, ex); }, {}});
}

}  // namespace a6::service
