#include "a6/service/outbox/Composer.h"

namespace a6::service {

OutboxComposer::OutboxComposer(const Config& config, Store& store, IdGenerator& ids) {
  if (!config.unfccc.url.empty()) unfccc_ = std::make_unique<UnfcccComposer>(config, store, ids);
  if (!config.email.smtpHost.empty()) email_ = std::make_unique<EmailComposer>(config, store, ids);
  webhooks_ = std::make_unique<WebhookComposer>(config, store, ids);
}

OutboxComposer::~OutboxComposer() = default;

std::optional<std::vector<OutboxMessage>> OutboxComposer::compose(const workflows::Effect& effect,
                                                                  const EffectContext& context) {
  switch (effect.kind) {
    case workflows::Effect::Kind::Unfccc:
      if (!unfccc_) return std::nullopt;
      return std::vector<OutboxMessage>{unfccc_->notification(effect.messageType, context)};
    case workflows::Effect::Kind::Webhook:
      // No subscriber taking the type: nothing to deliver, and nothing left pending either.
      return webhooks_->messages(effect.eventType, context);
    case workflows::Effect::Kind::Email:
      if (!email_) return std::nullopt;
      return email_->messages(effect.to, effect.templateName, context);
    default:
      return std::nullopt;
  }
}

}  // namespace a6::service
