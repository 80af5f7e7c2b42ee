#include "a6/service/outbox/Deliveries.h"

namespace a6::service {

Deliveries::Deliveries(const Config& config, Store& store, const Clock& clock, IdGenerator& ids,
                       WorkflowService& workflows)
    : workflows_(workflows),
      composer_(std::make_unique<OutboxComposer>(config, store, ids)),
      worker_(std::make_unique<OutboxWorker>(store, clock, config.outbox)) {
  if (!config.unfccc.url.empty()) {
    unfccc_ = std::make_unique<UnfcccTransport>(config);
    worker_->addDestination("unfccc", *unfccc_);
    unfccc_->setWebhooks(composer_->webhooks(), clock);
  }
  if (!config.email.smtpHost.empty()) {
    email_ = std::make_unique<EmailTransport>(config, store, clock);
    worker_->addDestination("email", *email_);
  }
  webhooks_ = std::make_unique<WebhookTransport>(config, store, clock);
  worker_->addDestination("webhook", *webhooks_);
  // A subscription disabled after repeated failures: the administrators hear of it by email.
  if (EmailComposer* email = composer_->email()) {
    const int failures = config.webhooks.disableAfter;
    webhooks_->onDisabled(
        [email, failures, &clock](const std::string& id, const std::string& url, const std::string& lastError) {
          return email->webhookDisabled(id, url, lastError, failures, formatTimestamp(clock.now()));
        });
  }
  workflows_.setEffectComposer(composer_.get());
}

Deliveries::~Deliveries() {
  stop();
  workflows_.setEffectComposer(nullptr);
}

void Deliveries::start() { worker_->start(); }

void Deliveries::stop() { worker_->stop(); }

}  // namespace a6::service
