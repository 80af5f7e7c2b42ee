// The delivery side of a running service, built from its configuration: the effect composer
// handed to the workflow service, one transport per configured destination, and the outbox
// workers. Used by `a6auth serve` and by the in-process test server alike.
#pragma once

#include <memory>

#include "a6/service/outbox/Composer.h"
#include "a6/service/outbox/Outbox.h"

namespace a6::service {

class Deliveries {
 public:
  // Registers the composer with `workflows`. Throws a6::Error(Config) when a destination's
  // settings cannot be used (e.g. the signing key does not load).
  Deliveries(const Config& config, Store& store, const Clock& clock, IdGenerator& ids, WorkflowService& workflows);
  ~Deliveries();

  void start();
  void stop();
  OutboxWorker& worker() { return *worker_; }
  WebhookTransport& webhooks() { return *webhooks_; }
  OutboxComposer& composer() { return *composer_; }

 private:
  WorkflowService& workflows_;
  std::unique_ptr<OutboxComposer> composer_;
  std::unique_ptr<UnfcccTransport> unfccc_;
  std::unique_ptr<EmailTransport> email_;
  std::unique_ptr<WebhookTransport> webhooks_;
  std::unique_ptr<OutboxWorker> worker_;
};

}  // namespace a6::service
