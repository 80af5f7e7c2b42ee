// The outbox as operators see it (what waits, what was delivered, what died and why, a retry by
// hand) and the UNFCCC inbound endpoint. The inbound endpoint takes no bearer token: the UNFCCC
// side authenticates each message with its XML signature, checked against the certificate this
// deployment pins (unfccc.certificate), before anything is believed or stored.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <algorithm>

#include "a6/core/Error.h"
#include "a6/service/http/RequestJson.h"
#include "a6/service/outbox/Unfccc.h"
#include "http/Routes.h"

namespace a6::service {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

bool seesOutbox(const Principal& p) { return p.hasRole("admin") || p.hasRole("auditor"); }

Poco::Dynamic::Var jsonOrNull(const std::optional<std::string>& text) {
  if (!text) return Poco::Dynamic::Var();
  Poco::JSON::Parser parser;
  return parser.parse(*text);
}

template <class T>
Poco::Dynamic::Var orNull(const std::optional<T>& value) {
  return value ? Poco::Dynamic::Var(*value) : Poco::Dynamic::Var();
}

Object::Ptr attemptJson(const OutboxAttempt& a) {
  Object::Ptr o = new Object;
  o->set("attempt", a.attempt);
  o->set("at", a.at);
  o->set("ok", a.ok);
  o->set("http_status", orNull(a.httpStatus));
  o->set("detail", a.detail);
  o->set("duration_ms", a.durationMs);
  return o;
}

}  // namespace

Object::Ptr outboxJson(const OutboxMessage& m, bool withPayload) {
  Object::Ptr o = new Object;
  o->set("id", m.id);
  o->set("destination", m.destination);
  o->set("ordering_key", m.orderingKey);
  o->set("request_id", orNull(m.streamId));
  o->set("ref", orNull(m.ref));
  o->set("cause", m.cause);
  o->set("summary", jsonOrNull(m.summaryJson));
  o->set("status", m.status);
  o->set("attempts", m.attempts);
  o->set("next_attempt_at", m.status == "pending" ? Poco::Dynamic::Var(m.nextAttemptAt) : Poco::Dynamic::Var());
  o->set("last_error", orNull(m.lastError));
  o->set("last_http_status", orNull(m.lastHttpStatus));
  o->set("outcome", orNull(m.outcome));
  o->set("outcome_detail", jsonOrNull(m.outcomeDetail));
  o->set("created_at", m.createdAt);
  o->set("updated_at", m.updatedAt);
  o->set("delivered_at", orNull(m.deliveredAt));
  o->set("href", "/api/v1/outbox/" + m.id);
  if (withPayload) {
    o->set("content_type", m.contentType);
    o->set("payload", m.payload);
  }
  return o;
}

Object::Ptr findingJson(const FindingRecord& f) {
  Object::Ptr o = new Object;
  o->set("message_id", f.messageId);
  o->set("finding_id", f.findingId);
  o->set("ref", orNull(f.ref));
  o->set("version", orNull(f.version));
  o->set("submission_message_id", orNull(f.submissionMessageId));
  o->set("status", f.status);
  o->set("severity", f.severity);
  o->set("code", orNull(f.code));
  o->set("text", f.text);
  o->set("sender", f.sender);
  o->set("created_at", f.createdAt);
  o->set("received_at", f.receivedAt);
  return o;
}

void readOutboxPaging(Exchange& ex, OutboxQuery& query, const std::set<std::string>& allowed,
                      std::vector<FieldError>& errors) {
  for (const auto& [k, v] : ex.queryParams()) {
    if (k != "cursor" && k != "limit" && !allowed.count(k)) {
      std::string names;
      for (const auto& name : allowed) names += name + ", ";
      errors.push_back({k, "unknown_field", "use " + names + "cursor or limit"});
    }
  }
  if (auto cursor = ex.query("cursor")) {
    if (cursor->empty() || cursor->size() > 18 || !std::all_of(cursor->begin(), cursor->end(), ::isdigit)) {
      errors.push_back({"cursor", "format", "must be the next_cursor of an earlier page"});
    } else {
      query.beforeSeq = std::stoll(*cursor);
    }
  }
  if (auto limit = ex.query("limit")) {
    if (limit->empty() || limit->size() > 3 || !std::all_of(limit->begin(), limit->end(), ::isdigit) ||
        std::stoi(*limit) < 1 || std::stoi(*limit) > 200) {
      errors.push_back({"limit", "range", "must be 1 to 200"});
    } else {
      query.limit = std::stoi(*limit);
    }
  }
}

Object::Ptr outboxPage(Services& s, OutboxQuery query, bool detail) {
  // One more than asked tells whether another page follows.
  const int asked = query.limit;
  query.limit = asked + 1;
  auto items = s.store.listOutbox(query);
  Array::Ptr list = new Array;
  for (int i = 0; i < std::min<int>(asked, static_cast<int>(items.size())); ++i) {
    const OutboxMessage& m = items[static_cast<std::size_t>(i)];
    Object::Ptr o = outboxJson(m, detail);
    if (detail) {
      Array::Ptr attempts = new Array;
      for (const auto& a : s.store.outboxAttempts(m.id)) attempts->add(attemptJson(a));
      o->set("attempt_log", attempts);
    }
    list->add(o);
  }
  Object::Ptr out = new Object;
  out->set("items", list);
  out->set("next_cursor", static_cast<int>(items.size()) > asked
                              ? Poco::Dynamic::Var(std::to_string(items[static_cast<std::size_t>(asked - 1)].seq))
                              : Poco::Dynamic::Var());
  return out;
}

namespace {

Response listOutbox(Services& s, Exchange& ex) {
  if (!seesOutbox(ex.who())) throw Error(ErrorCode::Forbidden, "the outbox is for administrators and auditors");
  std::vector<FieldError> errors;
  OutboxQuery q;
  readOutboxPaging(ex, q, {"status", "destination", "ref"}, errors);
  q.status = ex.query("status");
  if (q.status && *q.status != "pending" && *q.status != "delivered" && *q.status != "dead") {
    errors.push_back({"status", "enum", "must be pending, delivered or dead"});
  }
  q.destination = ex.query("destination");
  q.ref = ex.query("ref");
  if (!errors.empty()) throw Error(ErrorCode::Invalid, "the outbox query is not valid", std::move(errors));
  return Response::json(200, canonicalJson(outboxPage(s, q, false)));
}

OutboxMessage loadMessage(Services& s, const std::string& id) {
  auto m = s.store.findOutbox(id);
  if (!m) throw Error(ErrorCode::NotFound, "no outbox message " + id);
  return *m;
}

Response getMessage(Services& s, Exchange& ex) {
  if (!seesOutbox(ex.who())) throw Error(ErrorCode::Forbidden, "the outbox is for administrators and auditors");
  OutboxMessage m = loadMessage(s, ex.params.at("id"));
  Object::Ptr o = outboxJson(m, true);
  Array::Ptr attempts = new Array;
  for (const auto& a : s.store.outboxAttempts(m.id)) attempts->add(attemptJson(a));
  o->set("attempt_log", attempts);
  return Response::json(200, canonicalJson(o));
}

Response retry(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  if (!p.hasRole("admin")) throw Error(ErrorCode::Forbidden, "only administrators retry outbox messages");
  OutboxMessage m = loadMessage(s, ex.params.at("id"));
  if (!s.store.retryOutbox(m.id, formatTimestamp(s.clock.now()))) {
    throw Error(ErrorCode::Conflict,
                "outbox message " + m.id + " is " + m.status + ", not dead: only a dead message is retried by hand");
  }
  Poco::Logger::get("a6auth.outbox").notice("outbox " + m.id + " retried by hand by " + p.name);
  return Response::json(200, canonicalJson(outboxJson(loadMessage(s, m.id), false)));
}

Response inbound(Services& s, Exchange& ex) {
  const std::string type = ex.header("Content-Type");
  const std::string base = type.substr(0, type.find(';'));
  if (base != "application/xml" && base != "text/xml") {
    throw Error(ErrorCode::UnsupportedMediaType, "send the signed XML message with Content-Type: application/xml");
  }
  InboundOutcome r = receiveUnfccc(ex.body(), s.config, s.store, s.workflows, s.clock, s.webhooks);
  Object::Ptr o = new Object;
  o->set("kind", r.kind);
  o->set("message_id", r.messageId);
  o->set("refers_to", r.refersTo);
  o->set("duplicate", r.duplicate);
  o->set("known", r.known);
  Poco::Logger::get("a6auth.unfccc")
      .information("inbound " + r.kind + " " + r.messageId + " about " + r.refersTo +
                   (r.duplicate ? " (duplicate)" : ""));
  return Response::json(r.duplicate ? 200 : 202, canonicalJson(o));
}

}  // namespace

void registerOutboxRoutes(Router& router, Services& s) {
  router.add({"GET", "/api/v1/outbox", true, 0, [&s](Exchange& ex) { return listOutbox(s, ex); }, {}});
  router.add({"GET", "/api/v1/outbox/{id}", true, 0, [&s](Exchange& ex) { return getMessage(s, ex); }, {}});
  router.add({"POST", "/api/v1/outbox/{id}/retry", true, 0, [&s](Exchange& ex) { return retry(s, ex); }, {}});
  router.add({"POST",
              "/api/v1/unfccc/inbound",
              false,
              s.config.unfccc.inboundBytes,
              [&s](Exchange& ex) { return inbound(s, ex); },
              {}});
}

}  // namespace a6::service
