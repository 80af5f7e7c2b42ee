// The embedded Store: one SQLite file in WAL mode, written through a single connection and read
// through a pool of others, so that reads never queue behind a write.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "a6/service/store/Store.h"

namespace a6::service {

// Durability: WAL with synchronous=FULL, so a commit that returned survives a kill -9 or a power
// cut. Other processes (the CLI) may open the same file: writes take the database lock with
// BEGIN IMMEDIATE and wait up to busyTimeout for it. Thread-safe; one instance per file per process
// is enough. The store must outlive every call in flight.
class SqliteStore final : public Store {
 public:
  // Opens (creating when missing) the database at path; does not migrate. readerPoolSize
  // connections at most serve reads; a read waits up to busyTimeout for a free one.
  explicit SqliteStore(const std::string& path, int readerPoolSize = 4,
                       std::chrono::milliseconds busyTimeout = std::chrono::milliseconds(5000));
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  const std::string& path() const;

  std::vector<int> migrate() override;
  std::vector<int> appliedMigrations() override;
  void ping() override;

  std::vector<StoredEvent> commit(const Commit& commit) override;

  std::optional<RequestRecord> findRequest(const std::string& id) override;
  RequestPage listRequests(const RequestQuery& query) override;
  std::vector<StoredEvent> events(const std::string& streamId) override;
  // Reads in pages inside one read transaction: the visitor sees one consistent snapshot and the
  // whole store is never in memory at once. It holds one reader connection until it returns.
  void forEachEvent(const std::function<void(const StoredEvent&)>& visit) override;
  std::vector<std::pair<std::string, std::int64_t>> requestVersions() override;

  std::vector<Attachment> attachments(const std::string& requestId) override;
  std::optional<std::string> attachmentBytes(const std::string& requestId, const std::string& attachmentId) override;

  std::optional<User> findUser(const std::string& name) override;
  std::vector<User> listUsers() override;
  std::optional<ApiKey> findApiKeyByHash(const std::string& keyHash) override;

  std::optional<IdempotencyRecord> findIdempotency(const std::string& principal, const std::string& key) override;
  std::vector<TimerRecord> dueTimers(const std::string& now, int limit) override;
  std::vector<TimerRecord> pendingTimers(const std::string& streamId) override;
  std::vector<EffectRecord> effects(const std::string& streamId) override;
  std::optional<WorkflowDefinitionRecord> findDefinition(const std::string& name, int version) override;
  std::vector<WorkflowDefinitionRecord> listDefinitions() override;
  std::vector<RequestRecord> requestsOnWorkflow(const std::string& name) override;
  std::optional<AuthorisationRecord> findAuthorisation(const std::string& ref) override;
  std::vector<AuthorisationVersion> authorisationVersions(const std::string& ref) override;
  std::vector<FirstTransfer> firstTransfers(const std::string& ref) override;
  std::vector<AuthorisationVersion> authorisationVersionsInYear(int year) override;
  std::vector<FirstTransfer> firstTransfersInYear(int year) override;
  std::int64_t nextSequence(const std::string& name) override;
  std::vector<LetterRecord> lettersOfRequest(const std::string& requestId) override;
  std::optional<LetterRecord> findLetterBySha256(const std::string& sha256) override;
  std::optional<LetterRecord> findLetter(const std::string& id) override;
  std::optional<std::string> letterBytes(const std::string& id) override;
  std::vector<OutboxMessage> claimOutbox(const std::string& destination, const std::string& now,
                                         const std::string& leaseUntil, int limit) override;
  void finishAttempt(const std::string& id, const std::string& now, const AttemptResult& result) override;
  std::optional<OutboxMessage> findOutbox(const std::string& id) override;
  std::vector<OutboxMessage> listOutbox(const OutboxQuery& query) override;
  std::vector<OutboxAttempt> outboxAttempts(const std::string& id) override;
  bool retryOutbox(const std::string& id, const std::string& now) override;
  bool recordOutcome(const std::string& id, const std::string& outcome, const std::string& detailJson,
                     const std::string& now, const std::vector<OutboxMessage>& followUps) override;
  std::map<std::pair<std::string, std::string>, std::int64_t> outboxCounts() override;
  std::vector<FindingRecord> findingsOf(const std::string& ref) override;
  std::optional<FindingRecord> findFinding(const std::string& messageId) override;
  std::optional<WebhookSubscription> findWebhook(const std::string& id) override;
  std::vector<WebhookSubscription> listWebhooks() override;
  std::vector<WebhookSubscription> activeWebhooksFor(const std::string& eventType) override;
  std::optional<int> recordWebhookResult(const std::string& id, bool ok) override;
  std::optional<InboundHookRecord> findInboundHook(const std::string& source, const std::string& webhookId) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace a6::service
