// Webhooks out: composing one JSON delivery per subscription in the commit of the event that
// causes it (the body is queued exactly as it will be sent), and the transport that signs and
// POSTs it. Signing happens at each attempt, with the time of that attempt, so that a retry an
// hour later is not refused as stale by the receiver; the webhook-id stays the message id.
#include "a6/service/outbox/Webhooks.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <algorithm>

#include "a6/core/Error.h"
#include "a6/integrations/Delivery.h"
#include "a6/integrations/HttpPost.h"
#include "a6/integrations/webhooks/Signature.h"
#include "a6/service/http/RequestJson.h"

namespace a6::service {
namespace {

using integrations::DeliveryFailure;
using Poco::JSON::Object;

Poco::Logger& logger() { return Poco::Logger::get("a6auth.webhooks"); }

constexpr const char* kDestinationPrefix = "webhook:";

std::string excerpt(const std::string& text, std::size_t max = 200) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  return text.size() > max ? out + "…" : out;
}

// "decision:approve" → "approve"; other causes name no decision.
std::optional<std::string> decisionOf(const std::string& cause) {
  const std::string prefix = "decision:";
  if (cause.rfind(prefix, 0) != 0) return std::nullopt;
  return cause.substr(prefix.size());
}

}  // namespace

const std::vector<std::string>& webhookEventTypes() {
  static const std::vector<std::string> kTypes = {
      "request.submitted",     "stage.entered",       "decision.taken",          "request.changes_requested",
      "request.approved",      "request.rejected",    "request.authorised",      "authorisation.amended",
      "authorisation.revoked", "unfccc.acknowledged", "unfccc.finding_received", "sla.breached",
  };
  return kTypes;
}

std::string webhookDestination(const std::string& subscriptionId) { return kDestinationPrefix + subscriptionId; }

// --- composing ---------------------------------------------------------------------------------

WebhookComposer::WebhookComposer(const Config& config, Store& store, IdGenerator& ids)
    : config_(config), store_(store), ids_(ids) {}

Object::Ptr WebhookComposer::links(const std::string& requestId, const std::optional<std::string>& ref,
                                   std::optional<int> version) const {
  const std::string base = config_.http.publicUrl + "/api/v1";
  Object::Ptr l = new Object;
  if (!requestId.empty()) l->set("request", base + "/requests/" + requestId);
  if (ref) {
    l->set("authorisation", base + "/authorisations/" + *ref);
    if (version) l->set("letter", base + "/authorisations/" + *ref + "/letter.pdf?version=" + std::to_string(*version));
  }
  return l;
}

std::vector<OutboxMessage> WebhookComposer::messages(const std::string& eventType, const EffectContext& ctx) {
  // Most deployments have few subscriptions, often none: look before building anything.
  if (store_.activeWebhooksFor(eventType).empty()) return {};
  const RequestRecord& r = ctx.record;
  Object::Ptr data = new Object;
  data->set("request_id", r.id);
  data->set("title", r.title);
  data->set("organisation", r.organisation);
  data->set("state", r.state);
  data->set("stage", r.stage.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(r.stage));
  data->set("workflow", r.workflowName + " v" + std::to_string(r.workflowVersion));
  std::optional<int> version;
  if (r.authorisationRef) {
    data->set("authorisation_ref", *r.authorisationRef);
    if (ctx.commit.authorisationVersion && ctx.commit.authorisationVersion->ref == *r.authorisationRef) {
      version = ctx.commit.authorisationVersion->version;
    } else if (auto a = store_.findAuthorisation(*r.authorisationRef)) {
      version = a->currentVersion;
    }
    if (version) data->set("authorisation_version", *version);
  }
  data->set("actor", ctx.actor);
  data->set("cause", ctx.cause);
  if (auto decision = decisionOf(ctx.cause)) data->set("decision", *decision);
  if (!ctx.reason.empty()) data->set("comment", ctx.reason);
  if (ctx.finding) {
    Object::Ptr f = new Object;
    f->set("message_id", ctx.finding->messageId);
    f->set("finding_id", ctx.finding->findingId);
    f->set("status", ctx.finding->status);
    f->set("severity", ctx.finding->severity);
    if (ctx.finding->code) f->set("code", *ctx.finding->code);
    f->set("text", ctx.finding->text);
    data->set("finding", f);
  }
  data->set("links", links(r.id, r.authorisationRef, version));
  return messagesFor(eventType, data, ctx.now, r.id, r.authorisationRef, r.party, ctx.cause);
}

std::vector<OutboxMessage> WebhookComposer::messagesFor(const std::string& eventType, Object::Ptr data,
                                                        const std::string& now,
                                                        const std::optional<std::string>& streamId,
                                                        const std::optional<std::string>& ref, const std::string& party,
                                                        const std::string& cause) {
  std::vector<OutboxMessage> out;
  auto subscriptions = store_.activeWebhooksFor(eventType);
  if (subscriptions.empty()) return out;
  // Standard Webhooks' body: type, timestamp, data. The same bytes go to every subscriber.
  Object::Ptr body = new Object;
  body->set("type", eventType);
  body->set("timestamp", now);
  body->set("data", data);
  const std::string payload = canonicalJson(body);
  for (const auto& w : subscriptions) {
    OutboxMessage m;
    m.id = ids_.next("msg");
    m.destination = webhookDestination(w.id);
    // Each delivery stands alone: one that fails or dies holds back no other (receivers order
    // by the body's timestamp). Only the UNFCCC exchange needs strict order.
    m.orderingKey = m.id;
    m.streamId = streamId;
    m.party = party;
    m.ref = ref;
    m.cause = cause.empty() ? eventType : cause;
    m.contentType = "application/json";
    m.payload = payload;
    Object::Ptr summary = new Object;
    summary->set("message", "webhook");
    summary->set("type", eventType);
    summary->set("subscription_id", w.id);
    m.summaryJson = canonicalJson(summary);
    m.status = "pending";
    m.nextAttemptAt = now;
    m.createdAt = now;
    m.updatedAt = now;
    out.push_back(std::move(m));
  }
  return out;
}

// --- sending -----------------------------------------------------------------------------------

WebhookTransport::WebhookTransport(const Config& config, Store& store, const Clock& clock)
    : config_(config), store_(store), clock_(clock) {}

Delivered WebhookTransport::deliver(const OutboxMessage& message) {
  const std::string prefix = kDestinationPrefix;
  if (message.destination.rfind(prefix, 0) != 0) {
    throw DeliveryFailure("outbox message " + message.id + " is not a webhook delivery", true);
  }
  const std::string id = message.destination.substr(prefix.size());
  auto subscription = store_.findWebhook(id);
  if (!subscription) throw DeliveryFailure("webhook subscription " + id + " does not exist", true);
  if (!subscription->active) {
    // Not counted: the subscription no longer takes deliveries at all.
    throw DeliveryFailure(
        "webhook subscription " + id + " is " + (subscription->deleted ? "deleted" : "disabled") +
            (subscription->disabledReason && !subscription->deleted ? " (" + *subscription->disabledReason + ")" : ""),
        true);
  }

  const auto nowSeconds = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  const auto signature =
      integrations::webhooks::signedHeaders(subscription->secret, message.id, nowSeconds, message.payload);
  integrations::HttpPostRequest request;
  request.url = subscription->url;
  request.contentType = message.contentType + "; charset=utf-8";
  request.body = message.payload;
  request.headers = {{integrations::webhooks::kIdHeader, signature.id},
                     {integrations::webhooks::kTimestampHeader, signature.timestamp},
                     {integrations::webhooks::kSignatureHeader, signature.signature},
                     {"User-Agent", "a6auth-webhooks/1"}};
  integrations::HttpPostOptions options;
  options.connectTimeout = config_.webhooks.timeout;
  options.readTimeout = config_.webhooks.timeout;
  options.maxResponseBytes = config_.webhooks.maxResponseBytes;
  options.tls.caFile = config_.webhooks.caFile;
  options.policy.requireHttps = !config_.webhooks.allowHttp;
  options.policy.allowPrivateAddresses = config_.webhooks.allowPrivateAddresses;

  integrations::HttpPostResult answer;
  try {
    answer = integrations::httpPost(request, options);
  } catch (const DeliveryFailure& f) {
    if (countFailure(*subscription, f.what())) {
      throw DeliveryFailure(std::string(f.what()) + "; the subscription is now disabled", true, f.httpStatus());
    }
    throw;
  }
  const int status = answer.status;
  if (status >= 200 && status < 300) {
    store_.recordWebhookResult(id, true);
    Delivered d;
    d.httpStatus = status;
    d.detail = "HTTP " + std::to_string(status);
    if (!answer.body.empty()) d.detail += ": " + excerpt(answer.body);
    return d;
  }
  // Every other answer is worth another try: a 404 or 401 is usually a receiver being set up or
  // fixed, and the subscription is disabled after webhooks.disable_after failures anyway.
  std::string reason = "the receiver answered " + std::to_string(status);
  if (status >= 300 && status < 400) {
    reason += " (redirects are not followed; subscribe the final URL)";
  } else if (!answer.body.empty()) {
    reason += ": " + excerpt(answer.body);
  }
  const bool disabled = countFailure(*subscription, reason);
  throw DeliveryFailure(disabled ? reason + "; the subscription is now disabled" : reason, disabled, status);
}

bool WebhookTransport::countFailure(const WebhookSubscription& subscription, const std::string& reason) {
  auto failures = store_.recordWebhookResult(subscription.id, false);
  if (!failures || *failures < config_.webhooks.disableAfter) return false;
  disable(subscription, *failures, reason);
  return true;
}

void WebhookTransport::disable(const WebhookSubscription& subscription, int failures, const std::string& reason) {
  const std::string streamId = webhookDestination(subscription.id);
  const std::string now = formatTimestamp(clock_.now());
  // Two tries: an administrator may delete the subscription at the same moment.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto current = store_.findWebhook(subscription.id);
    if (!current || !current->active) return;
    WebhookSubscription w = *current;
    w.active = false;
    w.disabledReason = std::to_string(failures) + " consecutive failed deliveries; the last: " + excerpt(reason);
    w.disabledAt = now;
    w.updatedAt = now;
    Object::Ptr payload = new Object;
    payload->set("id", w.id);
    payload->set("reason", *w.disabledReason);
    payload->set("consecutive_failures", failures);
    Commit c;
    c.streamId = streamId;
    c.party = config_.party;
    c.expectedVersion = static_cast<std::int64_t>(store_.events(streamId).size());
    c.events.push_back({"webhook_disabled", "system", now, canonicalJson(payload)});
    c.webhookSubscription = w;
    if (onDisabled_) c.outbox = onDisabled_(w.id, w.url, reason);
    try {
      store_.commit(c);
    } catch (const VersionConflict&) {
      continue;
    }
    logger().warning("webhook subscription " + w.id + " disabled after " + std::to_string(failures) +
                     " consecutive failed deliveries");
    return;
  }
  throw Error(ErrorCode::Conflict, "webhook subscription " + subscription.id + " kept changing while being disabled");
}

}  // namespace a6::service
