// Email through the outbox: the workflow's email effects (stage entry, decisions, SLA reminders
// and escalations, findings) become one message per recipient, rendered from templates/email in
// the deployment's language in the decision's commit; the signed letter of the decision is
// attached (by reference: the transport reads the stored bytes) when email.attach_letters says
// so. Sent over SMTP with STARTTLS by the outbox workers: retried, dead-lettered, never before
// the commit.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "a6/core/Clock.h"
#include "a6/core/IdGenerator.h"
#include "a6/service/app/Config.h"
#include "a6/service/outbox/Outbox.h"
#include "a6/service/store/Store.h"
#include "a6/service/workflow/WorkflowService.h"
#include "a6/templates/Value.h"

namespace a6::templates {
class EmailTemplates;
}

namespace a6::service {

class EmailComposer {
 public:
  // Loads and checks the templates (a6::SourceError naming the file and line when one is bad).
  EmailComposer(const Config& config, Store& store, IdGenerator& ids);
  ~EmailComposer();

  // One message per recipient of `<email to="applicant|role" template="…"/>`. Nothing when
  // nobody with an address holds the role (the effect then stays pending, visible on the request).
  std::optional<std::vector<OutboxMessage>> messages(const std::string& to, const std::string& templateName,
                                                     const EffectContext& context);
  // To every active administrator with an address: a webhook subscription was disabled.
  std::vector<OutboxMessage> webhookDisabled(const std::string& subscriptionId, const std::string& url,
                                             const std::string& lastError, int failures, const std::string& now);

 private:
  struct Recipient {
    std::string name;
    std::string address;
  };
  std::vector<Recipient> recipients(const std::string& to, const RequestRecord& record);
  OutboxMessage message(const Recipient& recipient, const std::string& templateName, const std::string& cause,
                        const std::optional<std::string>& streamId, const std::optional<std::string>& ref,
                        const std::string& party, const std::string& now, templates::Value::Map context,
                        const std::vector<std::pair<std::string, std::string>>& attachments);

  const Config& config_;
  Store& store_;
  IdGenerator& ids_;
  std::unique_ptr<templates::EmailTemplates> templates_;
};

// Sends the rendered messages; reads attached letters from the store.
class EmailTransport final : public Transport {
 public:
  EmailTransport(const Config& config, Store& store, const Clock& clock);
  Delivered deliver(const OutboxMessage& message) override;

 private:
  const Config& config_;
  Store& store_;
  const Clock& clock_;
};

}  // namespace a6::service
