// The effect composer of this deployment: turns a transition's UNFCCC, email and webhook effects
// into outbox messages of the same commit, for the destinations that are configured. An effect
// whose destination is not configured stays a pending effect (visible on the request), so that
// nothing is silently dropped.
#pragma once

#include <memory>

#include "a6/service/outbox/Email.h"
#include "a6/service/outbox/Unfccc.h"
#include "a6/service/outbox/Webhooks.h"
#include "a6/service/workflow/WorkflowService.h"

namespace a6::service {

class OutboxComposer final : public EffectComposer {
 public:
  OutboxComposer(const Config& config, Store& store, IdGenerator& ids);
  ~OutboxComposer() override;

  std::optional<std::vector<OutboxMessage>> compose(const workflows::Effect& effect,
                                                    const EffectContext& context) override;

  EmailComposer* email() { return email_.get(); }
  WebhookComposer* webhooks() { return webhooks_.get(); }

 private:
  std::unique_ptr<UnfcccComposer> unfccc_;     // null without unfccc.url
  std::unique_ptr<EmailComposer> email_;       // null without smtp.host
  std::unique_ptr<WebhookComposer> webhooks_;  // always: subscriptions are made at run time
};

}  // namespace a6::service
