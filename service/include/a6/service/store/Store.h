// The persistence boundary. The event stream of each request is the source of truth; read
// models (the request row, its attachments, users, keys) are written in the same transaction as
// the events that change them, through one call: commit(). SQLite now, PostgreSQL later, both
// behind this interface and one shared test suite.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "a6/core/Error.h"
#include "a6/service/domain/Request.h"

namespace a6::service {

struct NewEvent {
  std::string type;         // e.g. "created", "edited", "attachment_added"
  std::string actor;        // user name, or "system"
  std::string at;           // RFC 3339 UTC with milliseconds (a6::formatTimestamp)
  std::string payloadJson;  // canonical JSON text, stored and hashed as is
};

struct StoredEvent {
  std::int64_t globalSeq = 0;  // position in the whole store, strictly increasing
  std::string streamId;
  std::int64_t seq = 0;  // 1, 2, 3, … within the stream
  std::string party;
  std::string type;
  std::string actor;
  std::string at;
  std::string payloadJson;
  std::string prevHash;  // hex; 64 zeros for seq 1
  std::string hash;      // hex; see audit/Chain.h
};

// The read model of one request: what GET /api/v1/requests/{id} shows, less its attachments.
struct RequestRecord {
  std::string id;
  std::string party;         // ISO alpha-3 of the host Party that owns the record
  std::string organisation;  // the applicant organisation (visibility of applicants)
  std::string state;         // spine state, "draft" …
  std::string stage;         // configured stage, "" when none
  std::string workflowName;
  int workflowVersion = 0;
  std::int64_t version = 0;           // = seq of the stream's last event
  std::string title;                  // search column
  std::string cooperativeApproachId;  // search column
  std::string fieldsJson;             // RequestFields as the API's JSON object
  std::optional<std::string> authorisationRef;
  std::string createdAt;
  std::string updatedAt;
  std::string createdBy;
};

struct AttachmentRecord {
  std::string requestId;
  Attachment meta;
};

struct NewAttachment {
  std::string requestId;
  Attachment meta;
  std::string bytes;  // the content; meta.sha256 and meta.size describe it
};

struct User {
  std::string name;  // login, unique
  std::vector<std::string> roles;
  std::string organisation;
  std::string displayName;
  std::string email;
  bool active = true;
  std::string createdAt;
  std::optional<std::string> passwordHash;  // for the portal's sign-in; absent: token only
};

struct ApiKey {
  std::string id;  // key_…
  std::string userName;
  std::string keyHash;  // SHA-256 hex of the secret; the secret itself is never stored
  std::string label;
  std::string createdAt;
  bool revoked = false;
};

// What an earlier write with the same Idempotency-Key answered.
struct IdempotencyRecord {
  std::string principal;    // user name
  std::string key;          // the Idempotency-Key header
  std::string fingerprint;  // SHA-256 hex of method, path and body
  int status = 0;
  std::string responseBody;
  std::string location;  // "" when none
  std::string etag;      // "" when none
  std::string createdAt;
};

// A workflow timer (SLA reminder or breach, or a timeout decision), fired by the timer worker.
struct TimerRecord {
  std::string id;  // tmr_…
  std::string streamId;
  std::string party;
  std::string kind;  // "reminder", "breach", "timeout"
  std::string stage;
  int entry = 0;  // which entry into the stage it belongs to
  std::string decision;  // timeout: the decision to take
  std::string dueAt;     // RFC 3339 UTC
  std::string createdAt;
};

// An effect of a transition, waiting for its executor (letters, UNFCCC, email, webhooks).
struct EffectRecord {
  std::string id;  // eff_…
  std::string streamId;
  std::string party;
  std::int64_t eventSeq = 0;  // the event that caused it
  std::string kind;           // "letter", "unfccc", "email", "webhook"
  std::string cause;          // e.g. "decision:approve"
  std::string payloadJson;
  std::string status = "pending";
  std::string createdAt;
};

struct WorkflowDefinitionRecord {
  std::string name;
  int version = 0;
  std::string sha256;
  std::string source;  // the XML as loaded
  std::string file;
  std::string registeredAt;
};

struct AuthorisationRecord {
  std::string ref;  // the Authorization ID, e.g. "GHA-A6-2026-0001"
  std::string requestId;
  std::string party;
  int currentVersion = 1;
  std::string status;  // "active", "amendment_in_review", "revoked", "expired"
  std::string createdAt;
  std::string updatedAt;
};

// One authorised version; never changed once written.
struct AuthorisationVersion {
  std::string ref;
  int version = 1;
  std::string fieldsJson;
  std::string authorisedAt;
  std::string authorisedBy;
  std::string changesJson;  // what changed from the version before ("[]" for version 1)
};

struct FirstTransfer {
  std::string id;  // ft_…
  std::string ref;
  std::int64_t quantity = 0;
  std::string serialFirst;
  std::string serialLast;
  std::string transferDate;
  std::string recordedBy;
  std::string recordedAt;
};

// A signed letter as issued; its bytes are kept exactly.
struct LetterRecord {
  std::string id;         // let_…
  std::string reference;  // printed on the letter, e.g. "GHA-A6-2026-0001/1" or "GHA-LNO-2026-0003"
  std::string requestId;
  std::string party;
  std::optional<std::string> ref;  // the authorisation it belongs to, if any
  int authVersion = 0;             // the authorisation version it states (0 when none)
  std::string templateName;
  std::string language;
  std::string sha256;
  std::int64_t size = 0;
  std::string signer;  // the certificate subject that signed it
  std::string issuedAt;
};

// A message to another system (the UNFCCC, a mail server, a webhook receiver), written in the
// same commit as the events that cause it and delivered by the outbox workers.
struct OutboxMessage {
  std::int64_t seq = 0;     // set by the store: the order messages were written in
  std::string id;           // msg_…: the stable message id, sent with every attempt
  std::string destination;  // "unfccc", "email", or "webhook:<subscription id>"
  // Messages with the same key are delivered one after the other, in seq order: a message waits
  // while an earlier one with its key is pending or dead (e.g. "unfccc:GHA-A6-2026-0001").
  std::string orderingKey;
  std::optional<std::string> streamId;  // the request it is about, if any
  std::string party;
  std::optional<std::string> ref;  // the authorisation it is about, if any
  std::string cause;               // e.g. "decision:approve", "finding"
  std::string contentType;
  std::string payload;      // exactly what is sent (signed XML, JSON)
  std::string summaryJson;  // what the API shows of it (kind, version, recipients…)
  std::string status = "pending";  // pending, delivered, dead
  int attempts = 0;                // in this round (a retry by hand starts a new one)
  std::string nextAttemptAt;       // RFC 3339 UTC
  std::optional<std::string> lastError;
  std::optional<int> lastHttpStatus;
  std::optional<std::string> outcome;        // what the receiver said, e.g. "accepted", "rejected"
  std::optional<std::string> outcomeDetail;  // JSON: codes and messages of an acknowledgement
  std::string createdAt;
  std::string updatedAt;
  std::optional<std::string> deliveredAt;
};

// One delivery attempt and its answer.
struct OutboxAttempt {
  std::string outboxId;
  int attempt = 0;  // 1, 2, … over the message's life
  std::string at;
  bool ok = false;
  std::optional<int> httpStatus;
  std::string detail;  // a short sentence or answer excerpt, never a secret
  std::int64_t durationMs = 0;
};

// What the worker reports after one attempt.
struct AttemptResult {
  enum class Next { Delivered, Retry, Dead } next = Next::Retry;
  std::string nextAttemptAt;  // for Retry
  std::optional<int> httpStatus;
  std::string detail;
  std::int64_t durationMs = 0;
  std::optional<std::string> outcome;        // for Delivered
  std::optional<std::string> outcomeDetail;  // JSON
  // Messages the attempt's outcome causes (e.g. a webhook saying the UNFCCC acknowledged),
  // inserted in the same transaction as the attempt.
  std::vector<OutboxMessage> followUps;
};

struct OutboxQuery {
  std::optional<std::string> status;
  std::optional<std::string> destination;  // "unfccc", "email", "webhook" (every subscription) or "webhook:<id>"
  std::optional<std::string> ref;
  std::optional<std::int64_t> beforeSeq;  // cursor: only seq strictly less than this
  int limit = 50;                         // 1..200
};

// A consistency finding received from the UNFCCC side (one row per message).
struct FindingRecord {
  std::string messageId;
  std::string findingId;
  std::optional<std::string> ref;  // the authorisation, when about an action
  std::optional<int> version;
  std::optional<std::string> submissionMessageId;  // when about a submission
  std::string status;    // open, resolved
  std::string severity;  // info, warning, error
  std::optional<std::string> code;
  std::string text;
  std::string sender;
  std::string createdAt;   // as the sender stated it
  std::string receivedAt;
  std::string xml;  // the signed message as received
};

// A webhook subscription, managed by administrators. Its changes (subscribed, deleted, disabled)
// are events on its own stream, "webhook:<id>"; the event payloads never hold the secret.
struct WebhookSubscription {
  std::string id;  // whk_…
  std::string url;
  std::vector<std::string> eventTypes;  // known event types; "*" takes every type
  bool active = true;                   // false once deleted or disabled: nothing is sent
  bool deleted = false;                 // deleted by an administrator (kept for its delivery history)
  // The whsec_ secret deliveries are signed with. Stored because signing needs it; shown once at
  // creation and never returned or logged after that.
  std::string secret;
  std::string description;
  std::string createdBy;
  std::string createdAt;
  std::string updatedAt;
  int consecutiveFailures = 0;  // operational state, not an event: see recordWebhookResult
  std::optional<std::string> disabledReason;
  std::optional<std::string> disabledAt;
};

// A delivery received on an inbound hook (POST /api/v1/hooks/registry/{source}), remembered by
// its webhook-id so that a replay is refused.
struct InboundHookRecord {
  std::string source;
  std::string webhookId;
  std::string receivedAt;
};

// One unit of work, written in one transaction or not at all.
struct Commit {
  std::string streamId;
  std::string party;
  std::int64_t expectedVersion = 0;  // the stream's current last seq; 0 for a new stream
  std::vector<NewEvent> events;
  std::optional<RequestRecord> request;  // upserted; its version must be expectedVersion + events.size()
  std::vector<NewAttachment> attachments;
  std::optional<User> user;                      // upserted (by name)
  std::optional<ApiKey> apiKey;                  // upserted (by id)
  std::optional<IdempotencyRecord> idempotency;  // inserted
  bool cancelTimers = false;                     // the stream's pending timers are cancelled (before `timers`)
  std::vector<TimerRecord> timers;               // inserted as pending
  std::optional<std::string> firedTimer;         // this pending timer is marked fired; a conflict if it is not pending
  std::vector<EffectRecord> effects;             // inserted; eventSeq counts from the first new event (1-based)
  std::optional<WorkflowDefinitionRecord> definition;  // inserted; Conflict when name and version exist
  std::optional<AuthorisationRecord> authorisation;    // upserted (by ref)
  std::optional<AuthorisationVersion> authorisationVersion;  // inserted
  std::optional<FirstTransfer> firstTransfer;               // inserted
  std::vector<std::pair<LetterRecord, std::string>> letters;  // inserted with their PDF bytes
  std::vector<OutboxMessage> outbox;                          // inserted as pending
  std::optional<FindingRecord> finding;  // inserted; Conflict when its message id is there already
  std::optional<WebhookSubscription> webhookSubscription;  // upserted (by id)
  std::optional<InboundHookRecord> inboundHook;  // inserted; Conflict when (source, webhook id) is there already
};

struct RequestQuery {
  std::optional<std::string> organisation;  // only this organisation's requests
  std::optional<std::string> state;
  std::optional<std::string> text;      // case-insensitive substring of title, organisation, CA id, id
  std::optional<std::string> beforeId;  // cursor: only ids strictly less than this
  int limit = 50;                       // 1..200
};

struct RequestPage {
  std::vector<RequestRecord> items;       // newest (greatest id) first
  std::optional<std::string> nextCursor;  // the last item's id when more remain
};

// The stream's version was not the expected one: someone else wrote first.
class VersionConflict : public Error {
 public:
  VersionConflict(const std::string& streamId, std::int64_t expected, std::int64_t actual);
  std::int64_t actual() const { return actual_; }

 private:
  std::int64_t actual_;
};

// The (principal, Idempotency-Key) pair was recorded by a concurrent write.
class IdempotencyKeyTaken : public Error {
 public:
  explicit IdempotencyKeyTaken(const std::string& key);
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies the numbered migrations not yet recorded; returns the numbers it applied.
  virtual std::vector<int> migrate() = 0;
  virtual std::vector<int> appliedMigrations() = 0;
  // Throws a6::Error(Store) when the database cannot be reached.
  virtual void ping() = 0;

  // Appends the events (computing prev_hash/hash), writes the read models, all or nothing.
  // Throws VersionConflict, IdempotencyKeyTaken, or a6::Error(Store).
  virtual std::vector<StoredEvent> commit(const Commit& commit) = 0;

  virtual std::optional<RequestRecord> findRequest(const std::string& id) = 0;
  virtual RequestPage listRequests(const RequestQuery& query) = 0;
  virtual std::vector<StoredEvent> events(const std::string& streamId) = 0;
  // Every event of every stream, ordered by stream id then seq; for the audit.
  virtual void forEachEvent(const std::function<void(const StoredEvent&)>& visit) = 0;
  // The version of every stream's read model that has one: (stream id, version).
  virtual std::vector<std::pair<std::string, std::int64_t>> requestVersions() = 0;

  virtual std::vector<Attachment> attachments(const std::string& requestId) = 0;
  virtual std::optional<std::string> attachmentBytes(const std::string& requestId, const std::string& attachmentId) = 0;

  virtual std::optional<User> findUser(const std::string& name) = 0;
  virtual std::vector<User> listUsers() = 0;
  virtual std::optional<ApiKey> findApiKeyByHash(const std::string& keyHash) = 0;

  virtual std::optional<IdempotencyRecord> findIdempotency(const std::string& principal, const std::string& key) = 0;

  // Pending timers due at or before `now` (RFC 3339), earliest first.
  virtual std::vector<TimerRecord> dueTimers(const std::string& now, int limit) = 0;
  virtual std::vector<TimerRecord> pendingTimers(const std::string& streamId) = 0;
  virtual std::vector<EffectRecord> effects(const std::string& streamId) = 0;

  virtual std::optional<WorkflowDefinitionRecord> findDefinition(const std::string& name, int version) = 0;
  virtual std::vector<WorkflowDefinitionRecord> listDefinitions() = 0;  // by name, then version
  virtual std::vector<RequestRecord> requestsOnWorkflow(const std::string& name) = 0;

  virtual std::optional<AuthorisationRecord> findAuthorisation(const std::string& ref) = 0;
  virtual std::vector<AuthorisationVersion> authorisationVersions(const std::string& ref) = 0;  // by version
  virtual std::vector<FirstTransfer> firstTransfers(const std::string& ref) = 0;
  // Every authorisation version authorised in `year` (by authorised_at), by ref then version.
  virtual std::vector<AuthorisationVersion> authorisationVersionsInYear(int year) = 0;
  // Every first transfer dated in `year`, by date.
  virtual std::vector<FirstTransfer> firstTransfersInYear(int year) = 0;

  virtual std::vector<LetterRecord> lettersOfRequest(const std::string& requestId) = 0;  // oldest first
  virtual std::optional<LetterRecord> findLetterBySha256(const std::string& sha256) = 0;
  virtual std::optional<LetterRecord> findLetter(const std::string& id) = 0;
  virtual std::optional<std::string> letterBytes(const std::string& id) = 0;

  // The outbox. claimOutbox leases up to `limit` messages of a destination ("unfccc", "email" or
  // "webhook", which takes every subscription) that are pending, due at `now`, not leased, and not
  // behind an undelivered earlier message with their ordering key; the lease ends at leaseUntil
  // (then another worker may take the message again: delivery is at least once, and the stable
  // id lets the receiver drop the duplicate). Oldest first.
  virtual std::vector<OutboxMessage> claimOutbox(const std::string& destination, const std::string& now,
                                                 const std::string& leaseUntil, int limit) = 0;
  // Records one attempt and its consequence, and ends the lease.
  virtual void finishAttempt(const std::string& id, const std::string& now, const AttemptResult& result) = 0;
  virtual std::optional<OutboxMessage> findOutbox(const std::string& id) = 0;
  virtual std::vector<OutboxMessage> listOutbox(const OutboxQuery& query) = 0;  // newest first
  virtual std::vector<OutboxAttempt> outboxAttempts(const std::string& id) = 0;  // oldest first
  // A dead message becomes pending again, due now, with a new round of attempts. False when the
  // message is not dead.
  virtual bool retryOutbox(const std::string& id, const std::string& now) = 0;
  // An answer that came later (an acknowledgement sent to the inbound endpoint), with the messages
  // it causes (written in the same transaction). False when no message has this id.
  virtual bool recordOutcome(const std::string& id, const std::string& outcome, const std::string& detailJson,
                             const std::string& now, const std::vector<OutboxMessage>& followUps) = 0;
  // How many messages each destination kind ("unfccc", "email", "webhook") has in each status.
  virtual std::map<std::pair<std::string, std::string>, std::int64_t> outboxCounts() = 0;
  virtual std::vector<FindingRecord> findingsOf(const std::string& ref) = 0;  // oldest first
  virtual std::optional<FindingRecord> findFinding(const std::string& messageId) = 0;

  // Webhook subscriptions, oldest first; activeWebhooksFor: the active ones taking `eventType`
  // (by name or by "*").
  virtual std::optional<WebhookSubscription> findWebhook(const std::string& id) = 0;
  virtual std::vector<WebhookSubscription> listWebhooks() = 0;
  virtual std::vector<WebhookSubscription> activeWebhooksFor(const std::string& eventType) = 0;
  // Operational state, not an event: a delivery that succeeded resets the subscription's
  // consecutive failures, one that failed adds one. Returns the new count; nothing when there is
  // no such subscription.
  virtual std::optional<int> recordWebhookResult(const std::string& id, bool ok) = 0;
  virtual std::optional<InboundHookRecord> findInboundHook(const std::string& source, const std::string& webhookId) = 0;

  // Increments and returns the named counter, in a transaction of its own.
  virtual std::int64_t nextSequence(const std::string& name) = 0;
};

}  // namespace a6::service
