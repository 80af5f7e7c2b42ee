// Webhook subscriptions as administrators manage them (the secret is shown once, when made), the
// deliveries of each with their attempts, and the registry's inbound hook. The hook takes no
// bearer token: each delivery is authenticated by its Standard Webhooks signature with the
// source's secret (hooks.registry.<source>.secret_file), must be recent (hooks.tolerance_s), and
// is accepted once: its webhook-id is recorded in the commit of what it reports.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <set>

#include "a6/core/Error.h"
#include "a6/integrations/Delivery.h"
#include "a6/integrations/HttpPost.h"
#include "a6/integrations/webhooks/Signature.h"
#include "a6/service/http/RequestJson.h"
#include "a6/service/outbox/Webhooks.h"
#include "http/Routes.h"

namespace a6::service {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
namespace hooks = a6::integrations::webhooks;

// The registry's deliveries are small JSON documents.
constexpr std::size_t kRegistryHookBytes = 64 * 1024;
constexpr std::size_t kMaxUrlBytes = 2000;
constexpr std::size_t kMaxDescriptionBytes = 500;

bool seesWebhooks(const Principal& p) { return p.hasRole("admin") || p.hasRole("auditor"); }

void requireAdmin(const Principal& p) {
  if (!p.hasRole("admin")) throw Error(ErrorCode::Forbidden, "only administrators manage webhook subscriptions");
}

template <class T>
Poco::Dynamic::Var orNull(const std::optional<T>& value) {
  return value ? Poco::Dynamic::Var(*value) : Poco::Dynamic::Var();
}

std::string statusOf(const WebhookSubscription& w) {
  if (w.deleted) return "deleted";
  return w.active ? "active" : "disabled";
}

// Never the secret.
Object::Ptr subscriptionJson(const WebhookSubscription& w) {
  Object::Ptr o = new Object;
  o->set("id", w.id);
  o->set("url", w.url);
  Array::Ptr types = new Array;
  for (const auto& t : w.eventTypes) types->add(t);
  o->set("event_types", types);
  o->set("active", w.active);
  o->set("status", statusOf(w));
  o->set("description", w.description);
  o->set("created_by", w.createdBy);
  o->set("created_at", w.createdAt);
  o->set("updated_at", w.updatedAt);
  o->set("consecutive_failures", w.consecutiveFailures);
  o->set("disabled_reason", orNull(w.disabledReason));
  o->set("disabled_at", orNull(w.disabledAt));
  o->set("href", "/api/v1/webhooks/" + w.id);
  o->set("deliveries_href", "/api/v1/webhooks/" + w.id + "/deliveries");
  return o;
}

WebhookSubscription loadSubscription(Services& s, const std::string& id) {
  auto w = s.store.findWebhook(id);
  if (!w) throw Error(ErrorCode::NotFound, "no webhook subscription " + id);
  return *w;
}

integrations::DestinationPolicy policyOf(const WebhooksConfig& c) {
  integrations::DestinationPolicy p;
  p.requireHttps = !c.allowHttp;
  p.allowPrivateAddresses = c.allowPrivateAddresses;
  return p;
}

Response listWebhooks(Services& s, Exchange& ex) {
  if (!seesWebhooks(ex.who())) throw Error(ErrorCode::Forbidden, "webhooks are for administrators and auditors");
  Array::Ptr items = new Array;
  for (const auto& w : s.store.listWebhooks()) items->add(subscriptionJson(w));
  Object::Ptr out = new Object;
  out->set("items", items);
  return Response::json(200, canonicalJson(out));
}

WriteResult createWebhook(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  requireAdmin(p);
  Object::Ptr body = ex.jsonObject(s.config.limits.jsonDepth);
  std::vector<FieldError> errors;
  static const std::set<std::string> kFields = {"url", "event_types", "description", "active"};
  for (const auto& [k, v] : *body) {
    if (!kFields.count(k)) errors.push_back({k, "unknown_field", "use url, event_types, description or active"});
  }
  WebhookSubscription w;
  if (!body->has("url") || body->isNull("url") || !body->get("url").isString()) {
    errors.push_back({"url", "required", "the https URL deliveries are POSTed to"});
  } else {
    w.url = body->getValue<std::string>("url");
    if (w.url.size() > kMaxUrlBytes) {
      errors.push_back({"url", "length", "must be at most " + std::to_string(kMaxUrlBytes) + " bytes"});
    } else {
      // Refused here rather than at every delivery: not http(s), http without webhooks.allow_http,
      // credentials in the URL, a host that does not resolve, or an address in a loopback,
      // private or link-local range without webhooks.allow_private_addresses.
      try {
        integrations::checkDestination(w.url, policyOf(s.config.webhooks));
      } catch (const integrations::DeliveryFailure& f) {
        errors.push_back({"url", "not_allowed", f.what()});
      }
    }
  }
  const auto& known = webhookEventTypes();
  if (!body->has("event_types") || body->get("event_types").type() != typeid(Array::Ptr)) {
    errors.push_back({"event_types", "required", "a list of event types, or [\"*\"] for every type"});
  } else {
    Array::Ptr types = body->getArray("event_types");
    if (types->size() == 0) errors.push_back({"event_types", "required", "name at least one event type"});
    std::set<std::string> seen;
    for (std::size_t i = 0; i < types->size(); ++i) {
      const std::string path = "event_types[" + std::to_string(i) + "]";
      Poco::Dynamic::Var t = types->get(static_cast<unsigned>(i));
      if (!t.isString()) {
        errors.push_back({path, "type", "must be a string"});
        continue;
      }
      std::string type = t.extract<std::string>();
      if (type != "*" && std::find(known.begin(), known.end(), type) == known.end()) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        errors.push_back({path, "enum", "'" + type + "' is not an event type; use *, " + list});
      } else if (!seen.insert(type).second) {
        errors.push_back({path, "duplicate", "'" + type + "' is named twice"});
      } else {
        w.eventTypes.push_back(type);
      }
    }
  }
  if (body->has("description") && !body->isNull("description")) {
    if (!body->get("description").isString()) {
      errors.push_back({"description", "type", "must be a string"});
    } else {
      w.description = body->getValue<std::string>("description");
      if (w.description.size() > kMaxDescriptionBytes) {
        errors.push_back(
            {"description", "length", "must be at most " + std::to_string(kMaxDescriptionBytes) + " bytes"});
      }
    }
  }
  if (body->has("active") && !body->isNull("active")) {
    if (!body->get("active").isBoolean()) {
      errors.push_back({"active", "type", "must be true or false"});
    } else {
      w.active = body->getValue<bool>("active");
    }
  }
  if (!errors.empty()) throw Error(ErrorCode::Invalid, "the webhook subscription is not valid", std::move(errors));

  const std::string now = formatTimestamp(s.clock.now());
  w.id = s.ids.next("whk");
  w.secret = hooks::generateSecret();
  w.createdBy = p.name;
  w.createdAt = now;
  w.updatedAt = now;
  Object::Ptr o = subscriptionJson(w);
  Object::Ptr event = new Object;
  event->set("id", w.id);
  event->set("url", w.url);
  event->set("event_types", o->getArray("event_types"));
  event->set("active", w.active);
  event->set("description", w.description);
  WriteResult result;
  result.commit.streamId = webhookDestination(w.id);
  result.commit.party = s.config.party;
  result.commit.expectedVersion = 0;
  result.commit.events.push_back({"webhook_subscribed", p.name, now, canonicalJson(event)});
  result.commit.webhookSubscription = w;
  // The only time the secret leaves the service.
  o->set("secret", w.secret);
  result.response = Response::json(201, canonicalJson(o));
  result.response.headers.emplace_back("Location", "/api/v1/webhooks/" + w.id);
  return result;
}

Response getWebhook(Services& s, Exchange& ex) {
  if (!seesWebhooks(ex.who())) throw Error(ErrorCode::Forbidden, "webhooks are for administrators and auditors");
  return Response::json(200, canonicalJson(subscriptionJson(loadSubscription(s, ex.params.at("id")))));
}

// Deactivates and keeps the row: its deliveries stay visible. Deleting twice changes nothing.
WriteResult deleteWebhook(Services& s, Exchange& ex) {
  const Principal& p = ex.who();
  requireAdmin(p);
  WebhookSubscription w = loadSubscription(s, ex.params.at("id"));
  WriteResult result;
  result.response.status = 204;
  if (w.deleted) return result;
  const std::string now = formatTimestamp(s.clock.now());
  const std::string streamId = webhookDestination(w.id);
  w.active = false;
  w.deleted = true;
  w.updatedAt = now;
  if (!w.disabledAt) w.disabledAt = now;
  Object::Ptr event = new Object;
  event->set("id", w.id);
  result.commit.streamId = streamId;
  result.commit.party = s.config.party;
  result.commit.expectedVersion = static_cast<std::int64_t>(s.store.events(streamId).size());
  result.commit.events.push_back({"webhook_deleted", p.name, now, canonicalJson(event)});
  result.commit.webhookSubscription = w;
  Poco::Logger::get("a6auth.webhooks").notice("webhook subscription " + w.id + " deleted by " + p.name);
  return result;
}

Response deliveries(Services& s, Exchange& ex) {
  if (!seesWebhooks(ex.who())) throw Error(ErrorCode::Forbidden, "webhooks are for administrators and auditors");
  WebhookSubscription w = loadSubscription(s, ex.params.at("id"));
  std::vector<FieldError> errors;
  OutboxQuery q;
  q.destination = webhookDestination(w.id);
  readOutboxPaging(ex, q, {}, errors);
  if (!errors.empty()) throw Error(ErrorCode::Invalid, "the deliveries query is not valid", std::move(errors));
  Object::Ptr out = outboxPage(s, q, true);
  out->set("subscription", subscriptionJson(w));
  return Response::json(200, canonicalJson(out));
}

// --- the registry's inbound hook ---------------------------------------------------------------

bool saneWebhookId(const std::string& id) {
  if (id.empty() || id.size() > 255) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) { return c >= 0x21 && c <= 0x7e; });
}

Response registryHook(Services& s, Exchange& ex) {
  const auto& secrets = s.config.webhooks.registrySecrets;
  // The source is named by the path, or by a webhook-source header on the plain path, or is the
  // one registry configured.
  std::string source;
  if (auto it = ex.params.find("source"); it != ex.params.end()) {
    source = it->second;
  } else {
    source = ex.header("webhook-source");
    if (source.empty() && secrets.size() == 1) source = secrets.begin()->first;
  }
  auto secret = secrets.find(source);
  // One answer for an unknown source and a bad signature: nothing tells a prober which sources exist.
  const std::string refused = "the delivery is not signed by a configured registry source";
  if (secret == secrets.end()) throw Error(ErrorCode::Unauthenticated, refused);
  const std::string id = ex.header(hooks::kIdHeader);
  const std::string timestamp = ex.header(hooks::kTimestampHeader);
  const std::string signature = ex.header(hooks::kSignatureHeader);
  const std::string& body = ex.body();
  const auto nowSeconds = std::chrono::duration_cast<std::chrono::seconds>(s.clock.now().time_since_epoch()).count();
  const auto tolerance = static_cast<std::int64_t>(s.config.webhooks.inboundTolerance.count());
  switch (hooks::verify({secret->second}, id, timestamp, signature, body, nowSeconds, tolerance)) {
    case hooks::VerifyProblem::None:
      break;
    case hooks::VerifyProblem::Stale:
      throw Error(ErrorCode::Unauthenticated, "stale: the webhook-timestamp is more than " + std::to_string(tolerance) +
                                                  " s from now; sign each delivery when it is sent");
    case hooks::VerifyProblem::MissingHeader:
      throw Error(ErrorCode::Unauthenticated,
                  "sign the delivery: webhook-id, webhook-timestamp and webhook-signature are required");
    case hooks::VerifyProblem::BadTimestamp:
      throw Error(ErrorCode::Unauthenticated, "webhook-timestamp must be unix seconds");
    case hooks::VerifyProblem::NoMatchingSignature:
      throw Error(ErrorCode::Unauthenticated, refused);
  }
  if (!saneWebhookId(id)) throw Error(ErrorCode::Malformed, "webhook-id must be 1 to 255 visible ASCII characters");
  if (s.store.findInboundHook(source, id)) {
    throw Error(ErrorCode::Conflict, "replayed: delivery " + id + " from " + source + " was received already");
  }

  // Authenticated and new: now the content.
  Object::Ptr doc = ex.jsonObject(s.config.limits.jsonDepth);
  std::vector<FieldError> errors;
  for (const auto& [k, v] : *doc) {
    if (k != "type" && k != "timestamp" && k != "data") errors.push_back({k, "unknown_field", "use type and data"});
  }
  if (!doc->has("type") || !doc->get("type").isString() ||
      doc->getValue<std::string>("type") != "first_transfer.recorded") {
    errors.push_back({"type", "enum", "the registry hook takes \"first_transfer.recorded\""});
  }
  Object::Ptr data;
  if (!doc->has("data") || doc->get("data").type() != typeid(Object::Ptr)) {
    errors.push_back(
        {"data", "required", "the transfer: authorisation_ref, quantity, serial_first, serial_last, date"});
  } else {
    data = doc->getObject("data");
    if (!data->has("authorisation_ref") || !data->get("authorisation_ref").isString() ||
        data->getValue<std::string>("authorisation_ref").empty()) {
      errors.push_back({"data.authorisation_ref", "required", "the Authorization ID the transfer is made under"});
    }
  }
  if (!errors.empty()) throw Error(ErrorCode::Invalid, "the delivery is not valid", std::move(errors));
  const std::string ref = data->getValue<std::string>("authorisation_ref");
  Object fields(*data);
  fields.remove("authorisation_ref");
  const std::string recordedBy = "registry:" + source;

  // A concurrent write to the request moves its version: read it again and retry.
  for (int attempt = 0;; ++attempt) {
    auto a = s.store.findAuthorisation(ref);
    std::optional<RequestRecord> record;
    if (a && a->party == s.config.party) record = s.store.findRequest(a->requestId);
    if (!record) {
      throw Error(ErrorCode::Invalid, "the delivery is not valid",
                  {{"data.authorisation_ref", "not_found", "no authorisation " + ref}});
    }
    WriteResult w = firstTransferWrite(s, *a, *record, fields, "data.", recordedBy);
    w.commit.inboundHook = InboundHookRecord{source, id, formatTimestamp(s.clock.now())};
    try {
      s.store.commit(w.commit);
    } catch (const VersionConflict&) {
      if (attempt < 3) continue;
      throw;
    } catch (const Error& e) {
      if (e.code() == ErrorCode::Conflict && s.store.findInboundHook(source, id)) {
        throw Error(ErrorCode::Conflict, "replayed: delivery " + id + " from " + source + " was received already");
      }
      throw;
    }
    Poco::Logger::get("a6auth.webhooks")
        .information("registry hook from " + source + ": delivery " + id + " recorded a first transfer under " + ref);
    return w.response;
  }
}

}  // namespace

void registerWebhookRoutes(Router& router, Services& s) {
  const std::size_t json = s.config.limits.jsonBodyBytes;
  router.add({"GET", "/api/v1/webhooks", true, 0, [&s](Exchange& ex) { return listWebhooks(s, ex); }, {}});
  router.add({"POST", "/api/v1/webhooks", true, json, {}, [&s](Exchange& ex) { return createWebhook(s, ex); }});
  router.add({"GET", "/api/v1/webhooks/{id}", true, 0, [&s](Exchange& ex) { return getWebhook(s, ex); }, {}});
  router.add({"DELETE", "/api/v1/webhooks/{id}", true, 0, {}, [&s](Exchange& ex) { return deleteWebhook(s, ex); }});
  router.add(
      {"GET", "/api/v1/webhooks/{id}/deliveries", true, 0, [&s](Exchange& ex) { return deliveries(s, ex); }, {}});
  for (const char* path : {"/api/v1/hooks/registry", "/api/v1/hooks/registry/{source}"}) {
    router.add({"POST", path, false, kRegistryHookBytes, [&s](Exchange& ex) { return registryHook(s, ex); }, {}});
  }
}

}  // namespace a6::service
