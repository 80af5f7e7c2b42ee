// The UNFCCC side of the outbox: notifications composed from an authorisation's record (built,
// validated against the schema and signed with the Party's key before they are queued), the
// HTTPS transport that posts them and reads the signed acknowledgement in the answer, and the
// inbound endpoint's logic for acknowledgements and consistency findings sent later.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "a6/core/Clock.h"
#include "a6/core/IdGenerator.h"
#include "a6/integrations/unfccc/Messages.h"
#include "a6/service/app/Config.h"
#include "a6/service/outbox/Outbox.h"
#include "a6/service/store/Store.h"
#include "a6/service/workflow/WorkflowService.h"

namespace a6::signing {
class SigningIdentity;
}

namespace a6::service {

class WebhookComposer;

// The ordering key of every message about one authorisation: version 2 never before version 1.
std::string unfcccOrderingKey(const std::string& ref);

class UnfcccComposer {
 public:
  // Loads the Party's signing key (letters.signing_key); throws a6::Error(Config) naming the file.
  UnfcccComposer(const Config& config, Store& store, IdGenerator& ids);
  ~UnfcccComposer();

  // The notification for a `<unfccc message="authorisation-issued|amended|revoked"/>` effect, as
  // an outbox message of the commit in `context`. Throws a6::Error(Internal) when the message
  // would not be valid (it is then never queued) or the commit lacks what it reports.
  OutboxMessage notification(const std::string& messageType, const EffectContext& context);

 private:
  const Config& config_;
  Store& store_;
  IdGenerator& ids_;
  std::unique_ptr<signing::SigningIdentity> identity_;
};

// POSTs signed notifications to unfccc.url and reads the answer: a signed acknowledgement that
// must verify against the configured UNFCCC certificate and refer to the message sent. 2xx with
// "accepted" or "received", or 4xx with "rejected": delivered (the outcome is recorded). 5xx,
// 408, 429, timeouts, connection and TLS failures: transient. Any other answer, or an
// acknowledgement that does not verify: transient too (the peer may be misconfigured for a while;
// the message dead-letters after the configured attempts).
class UnfcccTransport final : public Transport {
 public:
  explicit UnfcccTransport(const Config& config);
  Delivered deliver(const OutboxMessage& message) override;
  // An acknowledgement then also queues the "unfccc.acknowledged" webhooks (with the attempt).
  void setWebhooks(WebhookComposer* webhooks, const Clock& clock) {
    webhooks_ = webhooks;
    clock_ = &clock;
  }

 private:
  const Config& config_;
  WebhookComposer* webhooks_ = nullptr;
  const Clock* clock_ = nullptr;
};

// What the inbound endpoint did with a message.
struct InboundOutcome {
  std::string kind;       // "acknowledgement" or "finding"
  std::string messageId;  // the acknowledgement's or the finding's own id
  std::string refersTo;   // the outbox message acknowledged, or the authorisation/submission a finding is about
  bool duplicate = false;
  bool known = true;  // false: an acknowledgement of no message of ours (kept in the log only)
};

// Reads one inbound message (at most unfccc.inbound_bytes): safe parsing, the schema of an
// acknowledgement or a finding, the signature against the UNFCCC certificate; then records it.
// Throws a6::Error: TooLarge, Malformed, Invalid (with field paths), Unauthenticated (no or a bad
// signature). Nothing is stored when it throws.
// An acknowledgement also tells webhook subscribers (unfccc.acknowledged) when `webhooks` is given.
InboundOutcome receiveUnfccc(const std::string& xml, const Config& config, Store& store, WorkflowService& workflows,
                             const Clock& clock, WebhookComposer* webhooks);

// The unfccc.acknowledged deliveries for an acknowledgement of `message`.
std::vector<OutboxMessage> acknowledgedWebhooks(WebhookComposer& webhooks, const OutboxMessage& message,
                                                const std::string& outcome, const std::string& detailJson,
                                                const std::string& now);

// The acknowledgement's codes and messages as the outbox keeps them (JSON).
std::string acknowledgementDetail(const integrations::unfccc::Acknowledgement& ack);

}  // namespace a6::service
