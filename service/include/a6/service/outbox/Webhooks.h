// Webhooks out: for each event (request submitted, stage entered, decision taken, authorised,
// amended, revoked, UNFCCC acknowledged, finding received, SLA breached) one outbox message per
// active subscription that takes its type, signed at delivery by the Standard Webhooks
// convention with the subscription's secret. A subscription whose deliveries keep failing is
// disabled and the administrators are told.
#pragma once

#include <Poco/JSON/Object.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "a6/core/Clock.h"
#include "a6/core/IdGenerator.h"
#include "a6/service/app/Config.h"
#include "a6/service/outbox/Outbox.h"
#include "a6/service/store/Store.h"
#include "a6/service/workflow/WorkflowService.h"

namespace a6::service {

// The event types a subscription may name (besides "*", every type). Workflow definitions name
// the ones raised by transitions (<webhook type="…"/>); "unfccc.acknowledged" is raised by the
// UNFCCC transport.
const std::vector<std::string>& webhookEventTypes();

// The outbox destination of a subscription's deliveries: "webhook:<id>".
std::string webhookDestination(const std::string& subscriptionId);

class WebhookComposer {
 public:
  WebhookComposer(const Config& config, Store& store, IdGenerator& ids);

  // One message per active subscription taking `eventType`, for a workflow effect
  // (<webhook type="…"/>); none when no subscription takes it.
  std::vector<OutboxMessage> messages(const std::string& eventType, const EffectContext& context);
  // The same for an event that no workflow effect names (e.g. "unfccc.acknowledged"), with its
  // data (a summary with links) given.
  std::vector<OutboxMessage> messagesFor(const std::string& eventType, Poco::JSON::Object::Ptr data,
                                         const std::string& now, const std::optional<std::string>& streamId,
                                         const std::optional<std::string>& ref, const std::string& party,
                                         const std::string& cause = "");

  // The links of a request's data: the request, its authorisation and the letter of `version`.
  Poco::JSON::Object::Ptr links(const std::string& requestId, const std::optional<std::string>& ref,
                                std::optional<int> version) const;

 private:
  const Config& config_;
  Store& store_;
  IdGenerator& ids_;
};

// POSTs one signed delivery to the subscription's URL: the body exactly as queued, with the
// webhook-id (the message id, the same on every attempt), webhook-timestamp and
// webhook-signature headers. 2xx: delivered. Anything else, timeouts and connection failures:
// transient (retried with the outbox's backoff; a 3xx is a failure, redirects are not followed).
// A refused destination (the URL now resolves to a private address) is permanent. Every failure
// counts against the subscription; at webhooks.disable_after consecutive failures it is disabled
// (a webhook_disabled event) and the message dead-letters.
class WebhookTransport final : public Transport {
 public:
  WebhookTransport(const Config& config, Store& store, const Clock& clock);
  Delivered deliver(const OutboxMessage& message) override;

  // Told when a subscription is disabled after repeated failures, to queue a message to the
  // administrators (the outbox messages it returns are written in the commit that disables it).
  using DisabledHandler = std::function<std::vector<OutboxMessage>(
      const std::string& subscriptionId, const std::string& url, const std::string& lastError)>;
  void onDisabled(DisabledHandler handler) { onDisabled_ = std::move(handler); }

 private:
  // Counts a failed attempt; disables the subscription when it reaches the limit (true then).
  bool countFailure(const WebhookSubscription& subscription, const std::string& reason);
  void disable(const WebhookSubscription& subscription, int failures, const std::string& reason);

  const Config& config_;
  Store& store_;
  const Clock& clock_;
  DisabledHandler onDisabled_;
};

}  // namespace a6::service
