// The Store contract over Poco::Data's SQLite connector. Every Poco exception stops here and
// leaves as a6::Error(Store) naming what was being done.
#include "a6/service/store/SqliteStore.h"

#include <Poco/Data/LOB.h>
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>
#include <Poco/Exception.h>
#include <Poco/Nullable.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>
#include <utility>

#include "a6/core/Clock.h"
#include "a6/service/audit/Chain.h"
#include "a6/signing/Digest.h"
#include "store/Migrations.h"

namespace a6::service {
namespace {

using Poco::Data::Session;
using Poco::Data::Statement;
using Poco::Data::Keywords::into;
using Poco::Data::Keywords::limit;
using Poco::Data::Keywords::use;
using Poco::Data::Keywords::useRef;

// forEachEvent reads this many events per query: bounded memory, few round trips.
constexpr std::size_t kEventPageSize = 500;
constexpr int kMaxPageLimit = 200;

constexpr const char* kCreateSchemaMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " number INTEGER NOT NULL PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at TEXT NOT NULL)";

constexpr const char* kEventColumns = "global_seq, stream_id, seq, party, type, actor, at, payload, prev_hash, hash";

constexpr const char* kRequestColumns =
    "id, party, organisation, state, stage, workflow_name, workflow_version, version, title, "
    "cooperative_approach_id, fields_json, authorisation_ref, created_at, updated_at, created_by";

constexpr const char* kUserColumns = "name, organisation, display_name, email, active, created_at, password_hash";

// Called inside a catch block: lets a6::Error (and its subclasses) through untouched and turns
// anything else into Error(Store) with the context and the driver's message.
[[noreturn]] void rethrowAsStoreError(const std::string& what) {
  try {
    throw;
  } catch (const Error&) {
    throw;
  } catch (const Poco::Exception& e) {
    throw Error(ErrorCode::Store, what + ": " + e.displayText());
  } catch (const std::exception& e) {
    throw Error(ErrorCode::Store, what + ": " + e.what());
  }
}

void registerConnectorOnce() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

void exec(Session& session, const std::string& sql) {
  Statement statement(session);
  statement << sql;
  statement.execute();
}

// Steps a select one row at a time into the statement's into() targets and calls onRow after
// each: rows are never all in memory unless the caller keeps them.
template <class OnRow>
void eachRow(Statement& statement, OnRow&& onRow) {
  statement, limit(1);
  while (!statement.done()) {
    if (statement.execute() == 0) break;
    onRow();
  }
}

std::optional<std::string> toOptional(const Poco::Nullable<std::string>& value) {
  if (value.isNull()) return std::nullopt;
  return value.value();
}

Poco::Nullable<std::string> toNullable(const std::optional<std::string>& value) {
  if (!value) return Poco::Nullable<std::string>();
  return Poco::Nullable<std::string>(*value);
}

std::string asciiLower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
  return text;
}

// A LIKE pattern matching text as a literal substring; '\' is the escape character. Lower-cased
// in ASCII only, as SQLite's LOWER() is, so both sides of the comparison fold the same way.
std::string containsPattern(const std::string& text) {
  std::string pattern = "%";
  for (char c : asciiLower(text)) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '%';
  return pattern;
}

std::string trim(const std::string& text) {
  const char* space = " \t\r\n";
  auto first = text.find_first_not_of(space);
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

// Splits a migration into statements by the rules stated at the top of every migration file:
// "--" comments run to the end of the line and go first; then every ';' ends a statement.
std::vector<std::string> splitStatements(const std::string& sql) {
  std::string code;
  std::istringstream lines(sql);
  for (std::string line; std::getline(lines, line);) {
    if (auto dash = line.find("--"); dash != std::string::npos) line.erase(dash);
    code += line;
    code += '\n';
  }
  std::vector<std::string> statements;
  std::string current;
  for (char c : code) {
    if (c != ';') {
      current += c;
      continue;
    }
    if (auto statement = trim(current); !statement.empty()) statements.push_back(statement);
    current.clear();
  }
  if (auto statement = trim(current); !statement.empty()) statements.push_back(statement);
  return statements;
}

std::string blobToString(const Poco::Data::BLOB& blob) {
  if (blob.size() == 0) return "";
  return std::string(reinterpret_cast<const char*>(blob.rawContent()), blob.size());
}

// into() targets for one row of kEventColumns.
struct EventRow {
  StoredEvent event;
  void extractInto(Statement& statement) {
    statement, into(event.globalSeq), into(event.streamId), into(event.seq), into(event.party), into(event.type),
        into(event.actor), into(event.at), into(event.payloadJson), into(event.prevHash), into(event.hash);
  }
};

// into() targets for one row of kRequestColumns.
struct RequestRow {
  RequestRecord record;
  Poco::Nullable<std::string> authorisationRef;
  void extractInto(Statement& statement) {
    statement, into(record.id), into(record.party), into(record.organisation), into(record.state), into(record.stage),
        into(record.workflowName), into(record.workflowVersion), into(record.version), into(record.title),
        into(record.cooperativeApproachId), into(record.fieldsJson), into(authorisationRef), into(record.createdAt),
        into(record.updatedAt), into(record.createdBy);
  }
  RequestRecord take() {
    record.authorisationRef = toOptional(authorisationRef);
    return record;
  }
};

// into() targets for one row of kUserColumns.
struct UserRow {
  User user;
  int active = 0;
  Poco::Nullable<std::string> passwordHash;
  void extractInto(Statement& statement) {
    statement, into(user.name), into(user.organisation), into(user.displayName), into(user.email), into(active),
        into(user.createdAt), into(passwordHash);
  }
  User take() {
    user.active = active != 0;
    user.passwordHash = toOptional(passwordHash);
    return user;
  }
};

std::vector<StoredEvent> readEventPage(Session& session, const std::string& afterStream, std::int64_t afterSeq,
                                       std::size_t pageSize) {
  std::vector<StoredEvent> page;
  int pageLimit = static_cast<int>(pageSize);
  EventRow row;
  Statement select(session);
  // A row-value comparison walks the UNIQUE (stream_id, seq) index from where the last page ended.
  select << "SELECT " << kEventColumns
         << " FROM events WHERE (stream_id, seq) > (?, ?) ORDER BY stream_id, seq LIMIT ?",
      useRef(afterStream), useRef(afterSeq), use(pageLimit);
  row.extractInto(select);
  eachRow(select, [&] { page.push_back(row.event); });
  return page;
}

std::vector<std::string> rolesOf(Session& session, const std::string& userName) {
  std::vector<std::string> roles;
  Statement select(session);
  select << "SELECT role FROM user_roles WHERE user_name = ? ORDER BY ordinal", useRef(userName), into(roles);
  select.execute();
  return roles;
}

// A fixed number of read connections, each configured once when opened and used by one thread
// at a time. A read waits for a free one rather than failing when all are busy.
class ReaderPool {
 public:
  using Opener = std::function<std::unique_ptr<Session>()>;

  class Lease {
   public:
    Lease(ReaderPool& pool, std::unique_ptr<Session> session) : pool_(pool), session_(std::move(session)) {}
    ~Lease() { pool_.release(std::move(session_), discard_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    Session& session() { return *session_; }
    // The connection may be left inside a transaction: close it instead of reusing it.
    void discard() { discard_ = true; }

   private:
    ReaderPool& pool_;
    std::unique_ptr<Session> session_;
    bool discard_ = false;
  };

  ReaderPool(Opener open, int size, std::chrono::milliseconds wait)
      : open_(std::move(open)), size_(size), wait_(wait) {}

  Lease acquire() {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, wait_, [&] { return !idle_.empty() || openCount_ < size_; })) {
      throw Error(ErrorCode::Store,
                  "no database reader connection became free within " + std::to_string(wait_.count()) + " ms");
    }
    if (!idle_.empty()) {
      auto session = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(session));
    }
    ++openCount_;
    lock.unlock();
    try {
      return Lease(*this, open_());
    } catch (...) {
      lock.lock();
      --openCount_;
      freed_.notify_one();
      throw;
    }
  }

 private:
  void release(std::unique_ptr<Session> session, bool discard) {
    if (discard) session.reset();  // closes the connection, ending whatever it had open
    std::lock_guard lock(mutex_);
    if (discard) {
      --openCount_;
    } else {
      idle_.push_back(std::move(session));
    }
    freed_.notify_one();
  }

  Opener open_;
  const int size_;
  const std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Session>> idle_;
  int openCount_ = 0;  // idle and leased
};

// Ends the read transaction of a leased connection; a connection that cannot end it is dropped.
class ReadTransaction {
 public:
  explicit ReadTransaction(ReaderPool::Lease& lease) : lease_(lease) { exec(lease_.session(), "BEGIN"); }
  ~ReadTransaction() {
    try {
      exec(lease_.session(), "ROLLBACK");
    } catch (...) {
      lease_.discard();
    }
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  ReaderPool::Lease& lease_;
};

std::unique_ptr<Session> openConnection(const std::string& path, std::chrono::milliseconds busyTimeout, bool reader) {
  registerConnectorOnce();
  // Poco retries a failed open until its login timeout (60 s by default); opening a file takes
  // no lock, so a failure will not heal in a second: give up after the shortest one, 1 s.
  constexpr std::size_t kOpenTimeoutSeconds = 1;
  auto session = std::make_unique<Session>(Poco::Data::SQLite::Connector::KEY, path, kOpenTimeoutSeconds);
  exec(*session, "PRAGMA busy_timeout = " + std::to_string(busyTimeout.count()));
  if (!reader) {
    // The journal mode is a property of the file: the writer sets it once for every connection.
    std::string mode;
    Statement pragma(*session);
    pragma << "PRAGMA journal_mode = WAL", into(mode);
    pragma.execute();
    if (asciiLower(mode) != "wal") {
      throw Error(ErrorCode::Store, "database " + path + " cannot use WAL journal mode (it reports '" + mode + "')");
    }
  }
  // FULL syncs the WAL on every commit: an acknowledged write survives a power cut.
  exec(*session, "PRAGMA synchronous = FULL");
  exec(*session, "PRAGMA foreign_keys = ON");
  if (reader) exec(*session, "PRAGMA query_only = ON");
  return session;
}

void checkCommit(const Commit& c) {
  auto internal = [&](const std::string& reason) {
    return Error(ErrorCode::Internal, "commit to stream " + c.streamId + ": " + reason);
  };
  if (c.streamId.empty()) throw internal("the stream id is empty");
  if (c.events.empty()) throw internal("a commit must append at least one event");
  if (c.expectedVersion < 0) throw internal("negative expected version");
  if (c.request) {
    if (c.request->id != c.streamId) {
      throw internal("the request record's id is " + c.request->id);
    }
    auto expected = c.expectedVersion + static_cast<std::int64_t>(c.events.size());
    if (c.request->version != expected) {
      throw internal("the request record has version " + std::to_string(c.request->version) +
                     ", the stream will be at " + std::to_string(expected));
    }
  }
  // Contents are stored once per SHA-256: a wrong hash would hand one file's bytes to another.
  for (const auto& a : c.attachments) {
    if (signing::sha256Hex(a.bytes) != a.meta.sha256 || static_cast<std::int64_t>(a.bytes.size()) != a.meta.size) {
      throw internal("attachment " + a.meta.id + " does not match its sha256 or size");
    }
  }
}

constexpr const char* kLetterColumns =
    "id, reference, request_id, party, ref, auth_version, template, language, sha256, size, signer, issued_at";

struct LetterRow {
  LetterRecord letter;
  Poco::Nullable<std::string> ref;
  void extractInto(Statement& statement) {
    statement, into(letter.id), into(letter.reference), into(letter.requestId), into(letter.party), into(ref),
        into(letter.authVersion), into(letter.templateName), into(letter.language), into(letter.sha256),
        into(letter.size), into(letter.signer), into(letter.issuedAt);
  }
  LetterRecord take() {
    letter.ref = toOptional(ref);
    return letter;
  }
};

constexpr const char* kTimerColumns = "id, stream_id, party, kind, stage, entry, decision, due_at, created_at";

struct TimerRow {
  TimerRecord timer;
  void extractInto(Statement& statement) {
    statement, into(timer.id), into(timer.streamId), into(timer.party), into(timer.kind), into(timer.stage),
        into(timer.entry), into(timer.decision), into(timer.dueAt), into(timer.createdAt);
  }
};

constexpr const char* kDefinitionColumns = "name, version, sha256, source, file, registered_at";

struct DefinitionRow {
  WorkflowDefinitionRecord record;
  void extractInto(Statement& statement) {
    statement, into(record.name), into(record.version), into(record.sha256), into(record.source), into(record.file),
        into(record.registeredAt);
  }
};

constexpr const char* kOutboxColumns =
    "seq, id, destination, ordering_key, stream_id, party, ref, cause, content_type, payload, summary, status, "
    "attempts, next_attempt_at, last_error, last_http_status, outcome, outcome_detail, created_at, updated_at, "
    "delivered_at";

struct OutboxRow {
  OutboxMessage m;
  Poco::Nullable<std::string> streamId, ref, lastError, outcome, outcomeDetail, deliveredAt;
  Poco::Nullable<int> lastHttpStatus;
  void extractInto(Statement& statement) {
    statement, into(m.seq), into(m.id), into(m.destination), into(m.orderingKey), into(streamId), into(m.party),
        into(ref), into(m.cause), into(m.contentType), into(m.payload), into(m.summaryJson), into(m.status),
        into(m.attempts), into(m.nextAttemptAt), into(lastError), into(lastHttpStatus), into(outcome),
        into(outcomeDetail), into(m.createdAt), into(m.updatedAt), into(deliveredAt);
  }
  OutboxMessage take() const {
    OutboxMessage out = m;
    out.streamId = toOptional(streamId);
    out.ref = toOptional(ref);
    out.lastError = toOptional(lastError);
    out.outcome = toOptional(outcome);
    out.outcomeDetail = toOptional(outcomeDetail);
    out.deliveredAt = toOptional(deliveredAt);
    if (!lastHttpStatus.isNull()) out.lastHttpStatus = lastHttpStatus.value();
    return out;
  }
};

constexpr const char* kFindingColumns =
    "message_id, finding_id, ref, version, submission_message_id, status, severity, code, text, sender, "
    "created_at, received_at, xml";

struct FindingRow {
  FindingRecord f;
  Poco::Nullable<std::string> ref, submission, code;
  Poco::Nullable<int> version;
  void extractInto(Statement& statement) {
    statement, into(f.messageId), into(f.findingId), into(ref), into(version), into(submission), into(f.status),
        into(f.severity), into(code), into(f.text), into(f.sender), into(f.createdAt), into(f.receivedAt), into(f.xml);
  }
  FindingRecord take() const {
    FindingRecord out = f;
    out.ref = toOptional(ref);
    out.submissionMessageId = toOptional(submission);
    out.code = toOptional(code);
    if (!version.isNull()) out.version = version.value();
    return out;
  }
};

void insertOutboxMessage(Session& s, const OutboxMessage& m) {
  {
    if (m.id.empty() || m.destination.empty() || m.orderingKey.empty() || m.nextAttemptAt.empty()) {
      throw Error(ErrorCode::Internal, "outbox message " + m.id + " lacks an id, destination, key or due time");
    }
    auto streamId = toNullable(m.streamId);
    auto ref = toNullable(m.ref);
    Statement insert(s);
    insert << "INSERT INTO outbox (id, destination, ordering_key, stream_id, party, ref, cause, content_type, "
              "payload, summary, status, attempts, next_attempt_at, created_at, updated_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
        useRef(m.id), useRef(m.destination), useRef(m.orderingKey), use(streamId), useRef(m.party), use(ref),
        useRef(m.cause), useRef(m.contentType), useRef(m.payload), useRef(m.summaryJson), useRef(m.nextAttemptAt),
        useRef(m.createdAt), useRef(m.createdAt);
    insert.execute();
  }
}

void writeOutboxParts(Session& s, const Commit& c) {
  for (const auto& m : c.outbox) insertOutboxMessage(s, m);
  if (c.finding) {
    const auto& f = *c.finding;
    auto ref = toNullable(f.ref);
    auto submission = toNullable(f.submissionMessageId);
    auto code = toNullable(f.code);
    Poco::Nullable<int> version;
    if (f.version) version = *f.version;
    Statement insert(s);
    insert << "INSERT INTO unfccc_findings (" << kFindingColumns << ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        useRef(f.messageId), useRef(f.findingId), use(ref), use(version), use(submission), useRef(f.status),
        useRef(f.severity), use(code), useRef(f.text), useRef(f.sender), useRef(f.createdAt), useRef(f.receivedAt),
        useRef(f.xml);
    try {
      insert.execute();
    } catch (const Poco::Data::SQLite::ConstraintViolationException&) {
      throw Error(ErrorCode::Conflict, "finding message " + f.messageId + " was received already");
    }
  }
}

// The webhook parts of a commit (a subscription, an inbound delivery seen); defined at the end.
void writeWebhookParts(Session& s, const Commit& c);

// The workflow parts of a commit: timers, effects, definitions, authorisations, first transfers.
void writeWorkflowParts(Session& s, const Commit& c, const std::vector<StoredEvent>& stored) {
  if (c.firedTimer) {
    Statement fire(s);
    std::string id = *c.firedTimer;
    fire << "UPDATE timers SET state = 'fired' WHERE id = ? AND state = 'pending'", useRef(id);
    if (fire.execute() != 1) throw Error(ErrorCode::Conflict, "timer " + id + " is no longer pending");
  }
  if (c.cancelTimers) {
    Statement cancel(s);
    cancel << "UPDATE timers SET state = 'cancelled' WHERE stream_id = ? AND state = 'pending'", useRef(c.streamId);
    cancel.execute();
  }
  for (const auto& t : c.timers) {
    Statement insert(s);
    insert << "INSERT INTO timers (" << kTimerColumns << ", state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
        useRef(t.id), useRef(t.streamId), useRef(t.party), useRef(t.kind), useRef(t.stage), useRef(t.entry),
        useRef(t.decision), useRef(t.dueAt), useRef(t.createdAt);
    insert.execute();
  }
  for (const auto& e : c.effects) {
    if (e.eventSeq < 1 || e.eventSeq > static_cast<std::int64_t>(stored.size())) {
      throw Error(ErrorCode::Internal, "effect " + e.id + " names event " + std::to_string(e.eventSeq) +
                                           " of a commit with " + std::to_string(stored.size()));
    }
    std::int64_t seq = stored[static_cast<std::size_t>(e.eventSeq - 1)].seq;
    Statement insert(s);
    insert << "INSERT INTO pending_effects (id, stream_id, party, event_seq, kind, cause, payload, status, "
              "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        useRef(e.id), useRef(e.streamId), useRef(e.party), use(seq), useRef(e.kind), useRef(e.cause),
        useRef(e.payloadJson), useRef(e.status), useRef(e.createdAt);
    insert.execute();
  }
  if (c.definition) {
    const auto& d = *c.definition;
    Statement insert(s);
    insert << "INSERT INTO workflow_definitions (" << kDefinitionColumns << ") VALUES (?, ?, ?, ?, ?, ?)",
        useRef(d.name), useRef(d.version), useRef(d.sha256), useRef(d.source), useRef(d.file), useRef(d.registeredAt);
    try {
      insert.execute();
    } catch (const Poco::Data::SQLite::ConstraintViolationException&) {
      throw Error(ErrorCode::Conflict,
                  "workflow " + d.name + " version " + std::to_string(d.version) + " is registered already");
    }
  }
  if (c.authorisation) {
    const auto& a = *c.authorisation;
    Statement upsert(s);
    upsert << "INSERT INTO authorisations (ref, request_id, party, current_version, status, created_at, updated_at) "
              "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ref) DO UPDATE SET "
              "current_version = excluded.current_version, status = excluded.status, "
              "updated_at = excluded.updated_at",
        useRef(a.ref), useRef(a.requestId), useRef(a.party), useRef(a.currentVersion), useRef(a.status),
        useRef(a.createdAt), useRef(a.updatedAt);
    upsert.execute();
  }
  if (c.authorisationVersion) {
    const auto& v = *c.authorisationVersion;
    Statement insert(s);
    insert << "INSERT INTO authorisation_versions (ref, version, fields_json, authorised_at, authorised_by, "
              "changes_json) VALUES (?, ?, ?, ?, ?, ?)",
        useRef(v.ref), useRef(v.version), useRef(v.fieldsJson), useRef(v.authorisedAt), useRef(v.authorisedBy),
        useRef(v.changesJson);
    insert.execute();
  }
  for (const auto& [l, bytes] : c.letters) {
    if (signing::sha256Hex(bytes) != l.sha256 || static_cast<std::int64_t>(bytes.size()) != l.size) {
      throw Error(ErrorCode::Internal, "letter " + l.id + " does not match its sha256 or size");
    }
    Poco::Data::BLOB pdf(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    auto ref = toNullable(l.ref);
    Statement insert(s);
    insert << "INSERT INTO letters (" << kLetterColumns << ", pdf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        useRef(l.id), useRef(l.reference), useRef(l.requestId), useRef(l.party), use(ref), useRef(l.authVersion),
        useRef(l.templateName), useRef(l.language), useRef(l.sha256), useRef(l.size), useRef(l.signer),
        useRef(l.issuedAt), use(pdf);
    insert.execute();
  }
  if (c.firstTransfer) {
    const auto& f = *c.firstTransfer;
    Statement insert(s);
    insert << "INSERT INTO first_transfers (id, ref, quantity, serial_first, serial_last, transfer_date, "
              "recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        useRef(f.id), useRef(f.ref), useRef(f.quantity), useRef(f.serialFirst), useRef(f.serialLast),
        useRef(f.transferDate), useRef(f.recordedBy), useRef(f.recordedAt);
    insert.execute();
  }
}

}  // namespace

struct SqliteStore::Impl {
  Impl(const std::string& dbPath, int readerPoolSize, std::chrono::milliseconds busy)
      : path(dbPath),
        busyTimeout(busy),
        writer(openConnection(dbPath, busy, false)),
        readers([dbPath, busy] { return openConnection(dbPath, busy, true); }, readerPoolSize, busy) {}

  // Runs work inside BEGIN IMMEDIATE ... COMMIT on the writer connection; on any failure rolls
  // back and rethrows (a6::Error as is, anything else as Error(Store)). No transaction is ever
  // left open: a connection that cannot roll back is closed and reopened on the next write.
  template <class Work>
  void write(const std::string& what, Work&& work) {
    std::lock_guard lock(writerMutex);
    try {
      if (!writer) writer = openConnection(path, busyTimeout, false);
      exec(*writer, "BEGIN IMMEDIATE");
    } catch (...) {
      rethrowAsStoreError(what);
    }
    try {
      work(*writer);
      exec(*writer, "COMMIT");
    } catch (...) {
      abandonTransaction();
      rethrowAsStoreError(what);
    }
  }

  template <class Work>
  void read(const std::string& what, Work&& work) {
    try {
      auto lease = readers.acquire();
      work(lease.session());
    } catch (...) {
      rethrowAsStoreError(what);
    }
  }

  void abandonTransaction() noexcept {
    try {
      exec(*writer, "ROLLBACK");
    } catch (...) {
      // SQLite may have rolled back already (then ROLLBACK fails harmlessly); checked below.
    }
    bool inTransaction = true;
    try {
      inTransaction = !writer->getFeature("autoCommit");
    } catch (...) {
    }
    if (inTransaction) writer.reset();
  }

  const std::string path;
  const std::chrono::milliseconds busyTimeout;
  std::mutex writerMutex;
  std::unique_ptr<Session> writer;  // guarded by writerMutex; null until reopened after a failure
  ReaderPool readers;
};

SqliteStore::SqliteStore(const std::string& path, int readerPoolSize, std::chrono::milliseconds busyTimeout) {
  if (readerPoolSize < 1) {
    throw Error(ErrorCode::Config, "the SQLite reader pool needs at least one connection");
  }
  try {
    impl_ = std::make_unique<Impl>(path, readerPoolSize, busyTimeout);
  } catch (...) {
    rethrowAsStoreError("open SQLite database " + path);
  }
}

SqliteStore::~SqliteStore() = default;

const std::string& SqliteStore::path() const { return impl_->path; }

std::vector<int> SqliteStore::migrate() {
  std::vector<Migration> shipped = kSqliteMigrations();
  std::sort(shipped.begin(), shipped.end(), [](const Migration& a, const Migration& b) { return a.number < b.number; });
  for (std::size_t i = 1; i < shipped.size(); ++i) {
    if (shipped[i].number == shipped[i - 1].number) {
      throw Error(ErrorCode::Store, "two migrations are numbered " + std::to_string(shipped[i].number) + ": " +
                                        shipped[i - 1].name + " and " + shipped[i].name);
    }
  }
  auto checkName = [](const Migration& m, const std::string& recorded) {
    if (recorded != m.name) {
      throw Error(ErrorCode::Store, "migration " + std::to_string(m.number) + " is recorded as '" + recorded +
                                        "' but this build ships it as '" + m.name +
                                        "': conflicting migrations were shipped");
    }
  };

  // Refuse before applying anything when the recorded history disagrees with this build.
  impl_->write("prepare schema migrations", [&](Session& s) {
    exec(s, kCreateSchemaMigrations);
    std::vector<int> numbers;
    std::vector<std::string> names;
    Statement select(s);
    select << "SELECT number, name FROM schema_migrations", into(numbers), into(names);
    select.execute();
    for (std::size_t i = 0; i < numbers.size(); ++i) {
      for (const auto& m : shipped) {
        if (m.number == numbers[i]) checkName(m, names[i]);
      }
    }
  });

  std::vector<int> applied;
  for (const auto& m : shipped) {
    const std::string label = std::to_string(m.number) + "_" + m.name;
    // One transaction per migration, re-checked inside it: another process may have applied it
    // since the check above.
    impl_->write("apply migration " + label, [&](Session& s) {
      std::string recorded;
      Statement select(s);
      select << "SELECT name FROM schema_migrations WHERE number = ?", useRef(m.number), into(recorded);
      if (select.execute() > 0) {
        checkName(m, recorded);
        return;
      }
      for (const auto& statement : splitStatements(m.sql)) exec(s, statement);
      std::string appliedAt = formatTimestamp(SystemClock().now());
      Statement insert(s);
      insert << "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)", useRef(m.number),
          useRef(m.name), use(appliedAt);
      insert.execute();
      applied.push_back(m.number);
    });
  }
  return applied;
}

std::vector<int> SqliteStore::appliedMigrations() {
  std::vector<int> numbers;
  impl_->read("read applied migrations", [&](Session& s) {
    int tables = 0;
    Statement exists(s);
    exists << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
              "name = 'schema_migrations'",
        into(tables);
    exists.execute();
    if (tables == 0) return;
    Statement select(s);
    select << "SELECT number FROM schema_migrations ORDER BY number", into(numbers);
    select.execute();
  });
  return numbers;
}

void SqliteStore::ping() {
  // Reading the schema touches the file: a SELECT 1 would succeed on an unreadable database.
  impl_->read("ping the database", [](Session& s) {
    int tables = 0;
    Statement select(s);
    select << "SELECT COUNT(*) FROM sqlite_master", into(tables);
    select.execute();
  });
}

std::vector<StoredEvent> SqliteStore::commit(const Commit& c) {
  checkCommit(c);
  std::vector<StoredEvent> stored;
  impl_->write("commit to stream " + c.streamId, [&](Session& s) {
    stored.clear();
    std::int64_t actual = 0;
    std::string lastHash = kGenesisHash;
    std::string streamParty;
    {
      Statement select(s);
      select << "SELECT seq, hash, party FROM events WHERE stream_id = ? "
                "ORDER BY seq DESC LIMIT 1",
          useRef(c.streamId), into(actual), into(lastHash), into(streamParty);
      if (select.execute() == 0) {
        actual = 0;
        lastHash = kGenesisHash;
      }
    }
    if (actual != c.expectedVersion) throw VersionConflict(c.streamId, c.expectedVersion, actual);
    if (actual > 0 && streamParty != c.party) {
      throw Error(ErrorCode::Internal,
                  "commit to stream " + c.streamId + ": the stream belongs to " + streamParty + ", not " + c.party);
    }

    std::string prevHash = lastHash;
    for (std::size_t i = 0; i < c.events.size(); ++i) {
      const NewEvent& n = c.events[i];
      StoredEvent e;
      e.streamId = c.streamId;
      e.seq = c.expectedVersion + static_cast<std::int64_t>(i) + 1;
      e.party = c.party;
      e.type = n.type;
      e.actor = n.actor;
      e.at = n.at;
      e.payloadJson = n.payloadJson;
      e.prevHash = prevHash;
      e.hash = eventHash(e);
      {
        Statement insert(s);
        insert << "INSERT INTO events (stream_id, seq, party, type, actor, at, payload, "
                  "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING global_seq",
            use(e.streamId), use(e.seq), use(e.party), use(e.type), use(e.actor), use(e.at), use(e.payloadJson),
            use(e.prevHash), use(e.hash), into(e.globalSeq);
        if (insert.execute() != 1) {
          throw Error(ErrorCode::Store, "inserting event " + std::to_string(e.seq) + " returned no global_seq");
        }
      }
      prevHash = e.hash;
      stored.push_back(std::move(e));
    }

    if (c.request) {
      const RequestRecord& r = *c.request;
      auto authorisationRef = toNullable(r.authorisationRef);
      Statement upsert(s);
      upsert << "INSERT INTO requests (" << kRequestColumns
             << ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET party = excluded.party, "
                "organisation = excluded.organisation, state = excluded.state, "
                "stage = excluded.stage, workflow_name = excluded.workflow_name, "
                "workflow_version = excluded.workflow_version, version = excluded.version, "
                "title = excluded.title, cooperative_approach_id = excluded.cooperative_approach_id, "
                "fields_json = excluded.fields_json, authorisation_ref = excluded.authorisation_ref, "
                "created_at = excluded.created_at, updated_at = excluded.updated_at, "
                "created_by = excluded.created_by",
          useRef(r.id), useRef(r.party), useRef(r.organisation), useRef(r.state), useRef(r.stage),
          useRef(r.workflowName), useRef(r.workflowVersion), useRef(r.version), useRef(r.title),
          useRef(r.cooperativeApproachId), useRef(r.fieldsJson), use(authorisationRef), useRef(r.createdAt),
          useRef(r.updatedAt), useRef(r.createdBy);
      upsert.execute();
    }

    for (const auto& a : c.attachments) {
      Poco::Data::BLOB bytes(reinterpret_cast<const unsigned char*>(a.bytes.data()), a.bytes.size());
      Statement content(s);
      content << "INSERT INTO attachment_contents (sha256, size, bytes) VALUES (?, ?, ?) "
                 "ON CONFLICT (sha256) DO NOTHING",
          useRef(a.meta.sha256), useRef(a.meta.size), use(bytes);
      content.execute();
      Statement meta(s);
      meta << "INSERT INTO attachments (request_id, id, name, media_type, size, sha256, "
              "created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          useRef(a.requestId), useRef(a.meta.id), useRef(a.meta.name), useRef(a.meta.mediaType), useRef(a.meta.size),
          useRef(a.meta.sha256), useRef(a.meta.createdAt), useRef(a.meta.createdBy);
      meta.execute();
    }

    if (c.user) {
      const User& u = *c.user;
      int active = u.active ? 1 : 0;
      auto passwordHash = toNullable(u.passwordHash);
      Statement upsert(s);
      upsert << "INSERT INTO users (" << kUserColumns
             << ") VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "organisation = excluded.organisation, display_name = excluded.display_name, "
                "email = excluded.email, active = excluded.active, "
                "created_at = excluded.created_at, password_hash = excluded.password_hash",
          useRef(u.name), useRef(u.organisation), useRef(u.displayName), useRef(u.email), use(active),
          useRef(u.createdAt), use(passwordHash);
      upsert.execute();
      Statement clear(s);
      clear << "DELETE FROM user_roles WHERE user_name = ?", useRef(u.name);
      clear.execute();
      for (int i = 0; i < static_cast<int>(u.roles.size()); ++i) {
        Statement role(s);
        role << "INSERT INTO user_roles (user_name, ordinal, role) VALUES (?, ?, ?)", useRef(u.name), use(i),
            useRef(u.roles[static_cast<std::size_t>(i)]);
        role.execute();
      }
    }

    if (c.apiKey) {
      const ApiKey& k = *c.apiKey;
      int revoked = k.revoked ? 1 : 0;
      Statement upsert(s);
      upsert << "INSERT INTO api_keys (id, user_name, key_hash, label, created_at, revoked) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "user_name = excluded.user_name, key_hash = excluded.key_hash, "
                "label = excluded.label, created_at = excluded.created_at, "
                "revoked = excluded.revoked",
          useRef(k.id), useRef(k.userName), useRef(k.keyHash), useRef(k.label), useRef(k.createdAt), use(revoked);
      upsert.execute();
    }

    writeWorkflowParts(s, c, stored);
    writeOutboxParts(s, c);
    writeWebhookParts(s, c);

    if (c.idempotency) {
      const IdempotencyRecord& r = *c.idempotency;
      Statement insert(s);
      insert << "INSERT INTO idempotency_keys (principal, key, fingerprint, status, "
                "response_body, location, etag, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          useRef(r.principal), useRef(r.key), useRef(r.fingerprint), useRef(r.status), useRef(r.responseBody),
          useRef(r.location), useRef(r.etag), useRef(r.createdAt);
      try {
        insert.execute();
      } catch (const Poco::Data::SQLite::ConstraintViolationException&) {
        // Every other column is bound and NOT NULL is met: only the primary key can refuse it.
        throw IdempotencyKeyTaken(r.key);
      }
    }
  });
  return stored;
}

std::optional<RequestRecord> SqliteStore::findRequest(const std::string& id) {
  std::optional<RequestRecord> found;
  impl_->read("find request " + id, [&](Session& s) {
    RequestRow row;
    Statement select(s);
    select << "SELECT " << kRequestColumns << " FROM requests WHERE id = ?", useRef(id);
    row.extractInto(select);
    if (select.execute() > 0) found = row.take();
  });
  return found;
}

RequestPage SqliteStore::listRequests(const RequestQuery& query) {
  RequestPage page;
  impl_->read("list requests", [&](Session& s) {
    // All parameters exist before the first is bound: use() keeps references to them.
    std::string sql = "SELECT " + std::string(kRequestColumns) + " FROM requests WHERE 1 = 1";
    std::vector<std::string> params;
    params.reserve(8);
    if (query.organisation) {
      sql += " AND organisation = ?";
      params.push_back(*query.organisation);
    }
    if (query.state) {
      sql += " AND state = ?";
      params.push_back(*query.state);
    }
    if (query.text) {
      sql +=
          " AND (LOWER(title) LIKE ? ESCAPE '\\' OR LOWER(organisation) LIKE ? ESCAPE '\\'"
          " OR LOWER(cooperative_approach_id) LIKE ? ESCAPE '\\' OR LOWER(id) LIKE ? ESCAPE '\\')";
      params.insert(params.end(), 4, containsPattern(*query.text));
    }
    if (query.beforeId) {
      sql += " AND id < ?";
      params.push_back(*query.beforeId);
    }
    sql += " ORDER BY id DESC LIMIT ?";
    const int pageLimit = std::clamp(query.limit, 1, kMaxPageLimit);
    int fetch = pageLimit + 1;  // one more than shown tells whether another page follows

    Statement select(s);
    select << sql;
    for (auto& param : params) select, use(param);
    select, use(fetch);
    RequestRow row;
    row.extractInto(select);
    eachRow(select, [&] { page.items.push_back(row.take()); });
    if (page.items.size() > static_cast<std::size_t>(pageLimit)) {
      page.items.pop_back();
      page.nextCursor = page.items.back().id;
    }
  });
  return page;
}

std::vector<StoredEvent> SqliteStore::events(const std::string& streamId) {
  std::vector<StoredEvent> events;
  impl_->read("read stream " + streamId, [&](Session& s) {
    EventRow row;
    Statement select(s);
    select << "SELECT " << kEventColumns << " FROM events WHERE stream_id = ? ORDER BY seq", useRef(streamId);
    row.extractInto(select);
    eachRow(select, [&] { events.push_back(row.event); });
  });
  return events;
}

void SqliteStore::forEachEvent(const std::function<void(const StoredEvent&)>& visit) {
  const std::string what = "read the event log";
  auto lease = [&] {
    try {
      return impl_->readers.acquire();
    } catch (...) {
      rethrowAsStoreError(what);
    }
  }();
  // One read transaction: every page comes from the same snapshot, even while others write.
  std::optional<ReadTransaction> snapshot;
  try {
    snapshot.emplace(lease);
  } catch (...) {
    rethrowAsStoreError(what);
  }
  std::string afterStream;
  std::int64_t afterSeq = 0;
  for (;;) {
    std::vector<StoredEvent> page;
    try {
      page = readEventPage(lease.session(), afterStream, afterSeq, kEventPageSize);
    } catch (...) {
      rethrowAsStoreError(what);
    }
    // The visitor runs outside the try: its own exceptions reach the caller unchanged.
    for (const auto& e : page) visit(e);
    if (page.size() < kEventPageSize) break;
    afterStream = page.back().streamId;
    afterSeq = page.back().seq;
  }
}

std::vector<std::pair<std::string, std::int64_t>> SqliteStore::requestVersions() {
  std::vector<std::pair<std::string, std::int64_t>> versions;
  impl_->read("read request versions", [&](Session& s) {
    std::vector<std::string> ids;
    std::vector<std::int64_t> numbers;
    Statement select(s);
    select << "SELECT id, version FROM requests ORDER BY id", into(ids), into(numbers);
    select.execute();
    versions.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) versions.emplace_back(ids[i], numbers[i]);
  });
  return versions;
}

std::vector<Attachment> SqliteStore::attachments(const std::string& requestId) {
  std::vector<Attachment> found;
  impl_->read("list attachments of " + requestId, [&](Session& s) {
    Attachment a;
    Statement select(s);
    select << "SELECT id, name, media_type, size, sha256, created_at, created_by "
              "FROM attachments WHERE request_id = ? ORDER BY created_at, id",
        useRef(requestId), into(a.id), into(a.name), into(a.mediaType), into(a.size), into(a.sha256), into(a.createdAt),
        into(a.createdBy);
    eachRow(select, [&] { found.push_back(a); });
  });
  return found;
}

std::optional<std::string> SqliteStore::attachmentBytes(const std::string& requestId, const std::string& attachmentId) {
  std::optional<std::string> found;
  impl_->read("read attachment " + attachmentId, [&](Session& s) {
    std::int64_t size = 0;
    Poco::Data::BLOB bytes;
    Statement select(s);
    select << "SELECT c.size, c.bytes FROM attachments a "
              "JOIN attachment_contents c ON c.sha256 = a.sha256 "
              "WHERE a.request_id = ? AND a.id = ?",
        useRef(requestId), useRef(attachmentId), into(size), into(bytes);
    if (select.execute() == 0) return;
    found = blobToString(bytes);
    if (static_cast<std::int64_t>(found->size()) != size) {
      throw Error(ErrorCode::Store, "attachment " + attachmentId + " has " + std::to_string(found->size()) +
                                        " bytes stored, " + std::to_string(size) + " recorded");
    }
  });
  return found;
}

std::optional<User> SqliteStore::findUser(const std::string& name) {
  std::optional<User> found;
  impl_->read("find user " + name, [&](Session& s) {
    UserRow row;
    Statement select(s);
    select << "SELECT " << kUserColumns << " FROM users WHERE name = ?", useRef(name);
    row.extractInto(select);
    if (select.execute() == 0) return;
    found = row.take();
    found->roles = rolesOf(s, name);
  });
  return found;
}

std::vector<User> SqliteStore::listUsers() {
  std::vector<User> users;
  impl_->read("list users", [&](Session& s) {
    UserRow row;
    Statement select(s);
    select << "SELECT " << kUserColumns << " FROM users ORDER BY name";
    row.extractInto(select);
    eachRow(select, [&] { users.push_back(row.take()); });

    std::vector<std::string> names;
    std::vector<std::string> roles;
    Statement selectRoles(s);
    selectRoles << "SELECT user_name, role FROM user_roles ORDER BY user_name, ordinal", into(names), into(roles);
    selectRoles.execute();
    std::map<std::string, std::vector<std::string>> byUser;
    for (std::size_t i = 0; i < names.size(); ++i) byUser[names[i]].push_back(roles[i]);
    for (auto& u : users) {
      if (auto it = byUser.find(u.name); it != byUser.end()) u.roles = std::move(it->second);
    }
  });
  return users;
}

std::optional<ApiKey> SqliteStore::findApiKeyByHash(const std::string& keyHash) {
  std::optional<ApiKey> found;
  impl_->read("find API key", [&](Session& s) {
    ApiKey k;
    int revoked = 0;
    Statement select(s);
    select << "SELECT id, user_name, key_hash, label, created_at, revoked FROM api_keys "
              "WHERE key_hash = ?",
        useRef(keyHash), into(k.id), into(k.userName), into(k.keyHash), into(k.label), into(k.createdAt), into(revoked);
    if (select.execute() == 0) return;
    k.revoked = revoked != 0;
    found = k;
  });
  return found;
}

std::optional<IdempotencyRecord> SqliteStore::findIdempotency(const std::string& principal, const std::string& key) {
  std::optional<IdempotencyRecord> found;
  impl_->read("find idempotency record", [&](Session& s) {
    IdempotencyRecord r;
    Statement select(s);
    select << "SELECT principal, key, fingerprint, status, response_body, location, etag, "
              "created_at FROM idempotency_keys WHERE principal = ? AND key = ?",
        useRef(principal), useRef(key), into(r.principal), into(r.key), into(r.fingerprint), into(r.status),
        into(r.responseBody), into(r.location), into(r.etag), into(r.createdAt);
    if (select.execute() > 0) found = r;
  });
  return found;
}

std::vector<TimerRecord> SqliteStore::dueTimers(const std::string& now, int limit) {
  std::vector<TimerRecord> found;
  impl_->read("find due timers", [&](Session& s) {
    TimerRow row;
    Statement select(s);
    select << "SELECT " << kTimerColumns
           << " FROM timers WHERE state = 'pending' AND due_at <= ? "
              "ORDER BY due_at, id LIMIT ?",
        useRef(now), use(limit);
    row.extractInto(select);
    eachRow(select, [&] { found.push_back(row.timer); });
  });
  return found;
}

std::vector<TimerRecord> SqliteStore::pendingTimers(const std::string& streamId) {
  std::vector<TimerRecord> found;
  impl_->read("find timers of " + streamId, [&](Session& s) {
    TimerRow row;
    Statement select(s);
    select << "SELECT " << kTimerColumns
           << " FROM timers WHERE stream_id = ? AND state = 'pending' "
              "ORDER BY due_at, id",
        useRef(streamId);
    row.extractInto(select);
    eachRow(select, [&] { found.push_back(row.timer); });
  });
  return found;
}

std::vector<EffectRecord> SqliteStore::effects(const std::string& streamId) {
  std::vector<EffectRecord> found;
  impl_->read("find effects of " + streamId, [&](Session& s) {
    EffectRecord e;
    Statement select(s);
    select << "SELECT id, stream_id, party, event_seq, kind, cause, payload, status, created_at "
              "FROM pending_effects WHERE stream_id = ? ORDER BY event_seq, id",
        useRef(streamId), into(e.id), into(e.streamId), into(e.party), into(e.eventSeq), into(e.kind), into(e.cause),
        into(e.payloadJson), into(e.status), into(e.createdAt);
    eachRow(select, [&] { found.push_back(e); });
  });
  return found;
}

std::optional<WorkflowDefinitionRecord> SqliteStore::findDefinition(const std::string& name, int version) {
  std::optional<WorkflowDefinitionRecord> found;
  impl_->read("find workflow " + name, [&](Session& s) {
    DefinitionRow row;
    Statement select(s);
    select << "SELECT " << kDefinitionColumns << " FROM workflow_definitions WHERE name = ? AND version = ?",
        useRef(name), use(version);
    row.extractInto(select);
    if (select.execute() > 0) found = row.record;
  });
  return found;
}

std::vector<WorkflowDefinitionRecord> SqliteStore::listDefinitions() {
  std::vector<WorkflowDefinitionRecord> found;
  impl_->read("list workflows", [&](Session& s) {
    DefinitionRow row;
    Statement select(s);
    select << "SELECT " << kDefinitionColumns << " FROM workflow_definitions ORDER BY name, version";
    row.extractInto(select);
    eachRow(select, [&] { found.push_back(row.record); });
  });
  return found;
}

std::vector<RequestRecord> SqliteStore::requestsOnWorkflow(const std::string& name) {
  std::vector<RequestRecord> found;
  impl_->read("list requests on workflow " + name, [&](Session& s) {
    RequestRow row;
    Statement select(s);
    select << "SELECT " << kRequestColumns << " FROM requests WHERE workflow_name = ? ORDER BY id", useRef(name);
    row.extractInto(select);
    eachRow(select, [&] { found.push_back(row.take()); });
  });
  return found;
}

std::optional<AuthorisationRecord> SqliteStore::findAuthorisation(const std::string& ref) {
  std::optional<AuthorisationRecord> found;
  impl_->read("find authorisation " + ref, [&](Session& s) {
    AuthorisationRecord a;
    Statement select(s);
    select << "SELECT ref, request_id, party, current_version, status, created_at, updated_at "
              "FROM authorisations WHERE ref = ?",
        useRef(ref), into(a.ref), into(a.requestId), into(a.party), into(a.currentVersion), into(a.status),
        into(a.createdAt), into(a.updatedAt);
    if (select.execute() > 0) found = a;
  });
  return found;
}

std::vector<AuthorisationVersion> SqliteStore::authorisationVersions(const std::string& ref) {
  std::vector<AuthorisationVersion> found;
  impl_->read("list versions of " + ref, [&](Session& s) {
    AuthorisationVersion v;
    Statement select(s);
    select << "SELECT ref, version, fields_json, authorised_at, authorised_by, changes_json "
              "FROM authorisation_versions WHERE ref = ? ORDER BY version",
        useRef(ref), into(v.ref), into(v.version), into(v.fieldsJson), into(v.authorisedAt), into(v.authorisedBy),
        into(v.changesJson);
    eachRow(select, [&] { found.push_back(v); });
  });
  return found;
}

std::vector<FirstTransfer> SqliteStore::firstTransfers(const std::string& ref) {
  std::vector<FirstTransfer> found;
  impl_->read("list first transfers of " + ref, [&](Session& s) {
    FirstTransfer f;
    Statement select(s);
    select << "SELECT id, ref, quantity, serial_first, serial_last, transfer_date, recorded_by, recorded_at "
              "FROM first_transfers WHERE ref = ? ORDER BY transfer_date, id",
        useRef(ref), into(f.id), into(f.ref), into(f.quantity), into(f.serialFirst), into(f.serialLast),
        into(f.transferDate), into(f.recordedBy), into(f.recordedAt);
    eachRow(select, [&] { found.push_back(f); });
  });
  return found;
}

std::int64_t SqliteStore::nextSequence(const std::string& name) {
  std::int64_t value = 0;
  impl_->write("take the next number of " + name, [&](Session& s) {
    Statement upsert(s);
    upsert << "INSERT INTO sequences (name, value) VALUES (?, 1) "
              "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
        useRef(name), into(value);
    upsert.execute();
  });
  return value;
}

std::vector<LetterRecord> SqliteStore::lettersOfRequest(const std::string& requestId) {
  std::vector<LetterRecord> found;
  impl_->read("list letters of " + requestId, [&](Session& s) {
    LetterRow row;
    Statement select(s);
    select << "SELECT " << kLetterColumns << " FROM letters WHERE request_id = ? ORDER BY issued_at, id",
        useRef(requestId);
    row.extractInto(select);
    eachRow(select, [&] { found.push_back(row.take()); });
  });
  return found;
}

std::optional<LetterRecord> SqliteStore::findLetterBySha256(const std::string& sha256) {
  std::optional<LetterRecord> found;
  impl_->read("find letter by hash", [&](Session& s) {
    LetterRow row;
    Statement select(s);
    select << "SELECT " << kLetterColumns << " FROM letters WHERE sha256 = ?", useRef(sha256);
    row.extractInto(select);
    if (select.execute() > 0) found = row.take();
  });
  return found;
}

std::optional<LetterRecord> SqliteStore::findLetter(const std::string& id) {
  std::optional<LetterRecord> found;
  impl_->read("find letter " + id, [&](Session& s) {
    LetterRow row;
    Statement select(s);
    select << "SELECT " << kLetterColumns << " FROM letters WHERE id = ?", useRef(id);
    row.extractInto(select);
    if (select.execute() > 0) found = row.take();
  });
  return found;
}

std::optional<std::string> SqliteStore::letterBytes(const std::string& id) {
  std::optional<std::string> found;
  impl_->read("read letter " + id, [&](Session& s) {
    Poco::Data::BLOB pdf;
    Statement select(s);
    select << "SELECT pdf FROM letters WHERE id = ?", useRef(id), into(pdf);
    if (select.execute() > 0) found = blobToString(pdf);
  });
  return found;
}

std::vector<AuthorisationVersion> SqliteStore::authorisationVersionsInYear(int year) {
  std::vector<AuthorisationVersion> found;
  std::string from = std::to_string(year) + "-01-01", to = std::to_string(year + 1) + "-01-01";
  impl_->read("list authorisations of " + std::to_string(year), [&](Session& s) {
    AuthorisationVersion v;
    Statement select(s);
    select << "SELECT ref, version, fields_json, authorised_at, authorised_by, changes_json "
              "FROM authorisation_versions WHERE authorised_at >= ? AND authorised_at < ? ORDER BY ref, version",
        useRef(from), useRef(to), into(v.ref), into(v.version), into(v.fieldsJson), into(v.authorisedAt),
        into(v.authorisedBy), into(v.changesJson);
    eachRow(select, [&] { found.push_back(v); });
  });
  return found;
}

std::vector<FirstTransfer> SqliteStore::firstTransfersInYear(int year) {
  std::vector<FirstTransfer> found;
  std::string from = std::to_string(year) + "-01-01", to = std::to_string(year + 1) + "-01-01";
  impl_->read("list first transfers of " + std::to_string(year), [&](Session& s) {
    FirstTransfer f;
    Statement select(s);
    select << "SELECT id, ref, quantity, serial_first, serial_last, transfer_date, recorded_by, recorded_at "
              "FROM first_transfers WHERE transfer_date >= ? AND transfer_date < ? ORDER BY transfer_date, id",
        useRef(from), useRef(to), into(f.id), into(f.ref), into(f.quantity), into(f.serialFirst), into(f.serialLast),
        into(f.transferDate), into(f.recordedBy), into(f.recordedAt);
    eachRow(select, [&] { found.push_back(f); });
  });
  return found;
}

}  // namespace a6::service

namespace a6::service {

std::vector<OutboxMessage> SqliteStore::claimOutbox(const std::string& destination, const std::string& now,
                                                    const std::string& leaseUntil, int limit) {
  const std::string prefix = destination + ":%";
  const std::string dueSql =
      "SELECT " + std::string(kOutboxColumns) +
      " FROM outbox o WHERE o.status = 'pending' AND (o.destination = ? OR o.destination LIKE ?) "
      "AND o.next_attempt_at <= ? AND (o.lease_until IS NULL OR o.lease_until <= ?) "
      "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.seq < o.seq "
      "AND p.status <> 'delivered') ORDER BY o.seq LIMIT ?";
  // Most polls find nothing: look on a reader first so that an idle outbox takes no write lock.
  bool any = false;
  impl_->read("look for due outbox messages", [&](Session& s) {
    OutboxRow row;
    Statement select(s);
    int one = 1;
    select << dueSql, useRef(destination), useRef(prefix), useRef(now), useRef(now), use(one);
    row.extractInto(select);
    any = select.execute() > 0;
  });
  std::vector<OutboxMessage> claimed;
  if (!any) return claimed;
  impl_->write("claim outbox messages", [&](Session& s) {
    claimed.clear();
    OutboxRow row;
    Statement select(s);
    select << dueSql, useRef(destination), useRef(prefix), useRef(now), useRef(now), use(limit);
    row.extractInto(select);
    eachRow(select, [&] { claimed.push_back(row.take()); });
    for (const auto& m : claimed) {
      Statement lease(s);
      lease << "UPDATE outbox SET lease_until = ? WHERE id = ?", useRef(leaseUntil), useRef(m.id);
      lease.execute();
    }
  });
  return claimed;
}

void SqliteStore::finishAttempt(const std::string& id, const std::string& now, const AttemptResult& result) {
  impl_->write("record an attempt of " + id, [&](Session& s) {
    int previous = 0;
    {
      Statement count(s);
      count << "SELECT COUNT(*) FROM outbox_attempts WHERE outbox_id = ?", useRef(id), into(previous);
      count.execute();
    }
    const int attempt = previous + 1;
    const bool ok = result.next == AttemptResult::Next::Delivered;
    int okFlag = ok ? 1 : 0;
    Poco::Nullable<int> httpStatus;
    if (result.httpStatus) httpStatus = *result.httpStatus;
    std::int64_t duration = result.durationMs;
    {
      Statement insert(s);
      insert << "INSERT INTO outbox_attempts (outbox_id, attempt, at, ok, http_status, detail, duration_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
          useRef(id), useRef(attempt), useRef(now), use(okFlag), use(httpStatus), useRef(result.detail), use(duration);
      insert.execute();
    }
    std::string status = ok ? "delivered" : result.next == AttemptResult::Next::Dead ? "dead" : "pending";
    std::string nextAt = result.next == AttemptResult::Next::Retry ? result.nextAttemptAt : now;
    Poco::Nullable<std::string> lastError;
    if (!ok) lastError = result.detail;
    auto outcome = toNullable(result.outcome);
    auto outcomeDetail = toNullable(result.outcomeDetail);
    Poco::Nullable<std::string> deliveredAt;
    if (ok) deliveredAt = now;
    Statement update(s);
    update << "UPDATE outbox SET status = ?, attempts = attempts + 1, next_attempt_at = ?, lease_until = NULL, "
              "last_error = CASE WHEN ? IS NULL THEN last_error ELSE ? END, last_http_status = ?, "
              "outcome = COALESCE(?, outcome), outcome_detail = COALESCE(?, outcome_detail), updated_at = ?, "
              "delivered_at = COALESCE(?, delivered_at) WHERE id = ?",
        useRef(status), useRef(nextAt), use(lastError), use(lastError), use(httpStatus), use(outcome),
        use(outcomeDetail), useRef(now), use(deliveredAt), useRef(id);
    if (update.execute() != 1) throw Error(ErrorCode::NotFound, "no outbox message " + id);
    for (const auto& m : result.followUps) insertOutboxMessage(s, m);
  });
}

std::optional<OutboxMessage> SqliteStore::findOutbox(const std::string& id) {
  std::optional<OutboxMessage> found;
  impl_->read("find outbox message " + id, [&](Session& s) {
    OutboxRow row;
    Statement select(s);
    select << "SELECT " << kOutboxColumns << " FROM outbox WHERE id = ?", useRef(id);
    row.extractInto(select);
    if (select.execute() > 0) found = row.take();
  });
  return found;
}

std::vector<OutboxMessage> SqliteStore::listOutbox(const OutboxQuery& query) {
  std::vector<OutboxMessage> found;
  impl_->read("list the outbox", [&](Session& s) {
    // All parameters exist before the first is bound: use() keeps references to them.
    const std::string status = query.status.value_or("");
    const std::string destination = query.destination.value_or("");
    const std::string prefix = destination + ":%";
    const std::string ref = query.ref.value_or("");
    const std::int64_t before = query.beforeSeq.value_or(0);
    const int limit = std::clamp(query.limit, 1, kMaxPageLimit);
    std::string sql = "SELECT " + std::string(kOutboxColumns) + " FROM outbox WHERE 1 = 1";
    Statement select(s);
    if (query.status) sql += " AND status = ?";
    if (query.destination) sql += " AND (destination = ? OR destination LIKE ?)";
    if (query.ref) sql += " AND ref = ?";
    if (query.beforeSeq) sql += " AND seq < ?";
    sql += " ORDER BY seq DESC LIMIT ?";
    select << sql;
    if (query.status) select, useRef(status);
    if (query.destination) select, useRef(destination), useRef(prefix);
    if (query.ref) select, useRef(ref);
    if (query.beforeSeq) select, useRef(before);
    select, useRef(limit);
    OutboxRow row;
    row.extractInto(select);
    eachRow(select, [&] { found.push_back(row.take()); });
  });
  return found;
}

std::vector<OutboxAttempt> SqliteStore::outboxAttempts(const std::string& id) {
  std::vector<OutboxAttempt> found;
  impl_->read("list attempts of " + id, [&](Session& s) {
    OutboxAttempt a;
    int ok = 0;
    Poco::Nullable<int> httpStatus;
    Statement select(s);
    select << "SELECT outbox_id, attempt, at, ok, http_status, detail, duration_ms FROM outbox_attempts "
              "WHERE outbox_id = ? ORDER BY attempt",
        useRef(id), into(a.outboxId), into(a.attempt), into(a.at), into(ok), into(httpStatus), into(a.detail),
        into(a.durationMs);
    eachRow(select, [&] {
      a.ok = ok != 0;
      a.httpStatus = httpStatus.isNull() ? std::nullopt : std::optional<int>(httpStatus.value());
      found.push_back(a);
    });
  });
  return found;
}

bool SqliteStore::retryOutbox(const std::string& id, const std::string& now) {
  bool changed = false;
  impl_->write("retry outbox message " + id, [&](Session& s) {
    Statement update(s);
    update << "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL, "
              "updated_at = ? WHERE id = ? AND status = 'dead'",
        useRef(now), useRef(now), useRef(id);
    changed = update.execute() == 1;
  });
  return changed;
}

bool SqliteStore::recordOutcome(const std::string& id, const std::string& outcome, const std::string& detailJson,
                                const std::string& now, const std::vector<OutboxMessage>& followUps) {
  bool changed = false;
  impl_->write("record the outcome of " + id, [&](Session& s) {
    // An acknowledgement proves delivery: a message still pending (its answer was lost) is
    // delivered now, and what waited behind it may go.
    Statement update(s);
    update << "UPDATE outbox SET outcome = ?, outcome_detail = ?, updated_at = ?, "
              "status = 'delivered', "
              "delivered_at = COALESCE(delivered_at, ?), lease_until = NULL WHERE id = ?",
        useRef(outcome), useRef(detailJson), useRef(now), useRef(now), useRef(id);
    changed = update.execute() == 1;
    if (changed) {
      for (const auto& m : followUps) insertOutboxMessage(s, m);
    }
  });
  return changed;
}

std::map<std::pair<std::string, std::string>, std::int64_t> SqliteStore::outboxCounts() {
  std::map<std::pair<std::string, std::string>, std::int64_t> counts;
  impl_->read("count the outbox", [&](Session& s) {
    std::string kind;
    std::string status;
    std::int64_t n = 0;
    Statement select(s);
    select << "SELECT CASE WHEN instr(destination, ':') > 0 THEN substr(destination, 1, instr(destination, ':') - 1) "
              "ELSE destination END AS kind, status, COUNT(*) FROM outbox GROUP BY kind, status",
        into(kind), into(status), into(n);
    eachRow(select, [&] { counts[{kind, status}] = n; });
  });
  return counts;
}

std::vector<FindingRecord> SqliteStore::findingsOf(const std::string& ref) {
  std::vector<FindingRecord> found;
  impl_->read("list findings of " + ref, [&](Session& s) {
    FindingRow row;
    Statement select(s);
    select << "SELECT " << kFindingColumns << " FROM unfccc_findings WHERE ref = ? ORDER BY received_at, message_id",
        useRef(ref);
    row.extractInto(select);
    eachRow(select, [&] { found.push_back(row.take()); });
  });
  return found;
}

std::optional<FindingRecord> SqliteStore::findFinding(const std::string& messageId) {
  std::optional<FindingRecord> found;
  impl_->read("find finding " + messageId, [&](Session& s) {
    FindingRow row;
    Statement select(s);
    select << "SELECT " << kFindingColumns << " FROM unfccc_findings WHERE message_id = ?", useRef(messageId);
    row.extractInto(select);
    if (select.execute() > 0) found = row.take();
  });
  return found;
}

}  // namespace a6::service

namespace a6::service {
namespace {

constexpr const char* kWebhookColumns =
    "id, url, active, deleted, secret, description, created_by, created_at, updated_at, consecutive_failures, "
    "disabled_reason, disabled_at";

struct WebhookRow {
  WebhookSubscription w;
  int active = 0, deleted = 0;
  Poco::Nullable<std::string> disabledReason, disabledAt;
  void extractInto(Statement& statement) {
    statement, into(w.id), into(w.url), into(active), into(deleted), into(w.secret), into(w.description),
        into(w.createdBy), into(w.createdAt), into(w.updatedAt), into(w.consecutiveFailures), into(disabledReason),
        into(disabledAt);
  }
  WebhookSubscription take() const {
    WebhookSubscription out = w;
    out.active = active != 0;
    out.deleted = deleted != 0;
    out.disabledReason = toOptional(disabledReason);
    out.disabledAt = toOptional(disabledAt);
    return out;
  }
};

std::vector<std::string> eventTypesOf(Session& s, const std::string& id) {
  std::vector<std::string> types;
  Statement select(s);
  select << "SELECT event_type FROM webhook_event_types WHERE subscription_id = ? ORDER BY ordinal", useRef(id),
      into(types);
  select.execute();
  return types;
}

std::vector<WebhookSubscription> selectWebhooks(Session& s, const std::string& where,
                                                const std::optional<std::string>& param) {
  std::vector<WebhookSubscription> found;
  WebhookRow row;
  Statement select(s);
  select << "SELECT " << kWebhookColumns << " FROM webhook_subscriptions w " << where << " ORDER BY created_at, id";
  if (param) select, useRef(*param);
  row.extractInto(select);
  eachRow(select, [&] { found.push_back(row.take()); });
  for (auto& w : found) w.eventTypes = eventTypesOf(s, w.id);
  return found;
}

void writeWebhookParts(Session& s, const Commit& c) {
  if (c.webhookSubscription) {
    const WebhookSubscription& w = *c.webhookSubscription;
    if (w.id.empty() || w.secret.empty()) {
      throw Error(ErrorCode::Internal, "webhook subscription " + w.id + " lacks an id or a secret");
    }
    int active = w.active ? 1 : 0;
    int deleted = w.deleted ? 1 : 0;
    auto disabledReason = toNullable(w.disabledReason);
    auto disabledAt = toNullable(w.disabledAt);
    Statement upsert(s);
    upsert << "INSERT INTO webhook_subscriptions (" << kWebhookColumns
           << ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
              "url = excluded.url, active = excluded.active, deleted = excluded.deleted, secret = excluded.secret, "
              "description = excluded.description, updated_at = excluded.updated_at, "
              "consecutive_failures = excluded.consecutive_failures, disabled_reason = excluded.disabled_reason, "
              "disabled_at = excluded.disabled_at",
        useRef(w.id), useRef(w.url), use(active), use(deleted), useRef(w.secret), useRef(w.description),
        useRef(w.createdBy), useRef(w.createdAt), useRef(w.updatedAt), useRef(w.consecutiveFailures),
        use(disabledReason), use(disabledAt);
    upsert.execute();
    Statement clear(s);
    clear << "DELETE FROM webhook_event_types WHERE subscription_id = ?", useRef(w.id);
    clear.execute();
    for (int i = 0; i < static_cast<int>(w.eventTypes.size()); ++i) {
      Statement type(s);
      type << "INSERT INTO webhook_event_types (subscription_id, ordinal, event_type) VALUES (?, ?, ?)", useRef(w.id),
          use(i), useRef(w.eventTypes[static_cast<std::size_t>(i)]);
      type.execute();
    }
  }
  if (c.inboundHook) {
    const InboundHookRecord& h = *c.inboundHook;
    Statement insert(s);
    insert << "INSERT INTO inbound_hooks (source, webhook_id, received_at) VALUES (?, ?, ?)", useRef(h.source),
        useRef(h.webhookId), useRef(h.receivedAt);
    try {
      insert.execute();
    } catch (const Poco::Data::SQLite::ConstraintViolationException&) {
      throw Error(ErrorCode::Conflict, "delivery " + h.webhookId + " from " + h.source + " was received already");
    }
  }
}

}  // namespace

std::optional<WebhookSubscription> SqliteStore::findWebhook(const std::string& id) {
  std::optional<WebhookSubscription> found;
  impl_->read("find webhook subscription " + id, [&](Session& s) {
    auto list = selectWebhooks(s, "WHERE id = ?", id);
    if (!list.empty()) found = std::move(list.front());
  });
  return found;
}

std::vector<WebhookSubscription> SqliteStore::listWebhooks() {
  std::vector<WebhookSubscription> found;
  impl_->read("list webhook subscriptions", [&](Session& s) { found = selectWebhooks(s, "", std::nullopt); });
  return found;
}

std::vector<WebhookSubscription> SqliteStore::activeWebhooksFor(const std::string& eventType) {
  std::vector<WebhookSubscription> found;
  impl_->read("find webhook subscriptions for " + eventType, [&](Session& s) {
    found = selectWebhooks(s,
                           "WHERE active = 1 AND EXISTS (SELECT 1 FROM webhook_event_types t WHERE "
                           "t.subscription_id = w.id AND (t.event_type = ? OR t.event_type = '*'))",
                           eventType);
  });
  return found;
}

std::optional<int> SqliteStore::recordWebhookResult(const std::string& id, bool ok) {
  std::optional<int> count;
  impl_->write("record a delivery result of webhook subscription " + id, [&](Session& s) {
    int failures = 0;
    Statement update(s);
    if (ok) {
      update << "UPDATE webhook_subscriptions SET consecutive_failures = 0 WHERE id = ? "
                "RETURNING consecutive_failures",
          useRef(id), into(failures);
    } else {
      // updated_at stays: it dates the last change made through an event.
      update << "UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1 WHERE id = ? "
                "RETURNING consecutive_failures",
          useRef(id), into(failures);
    }
    if (update.execute() > 0) count = failures;
  });
  return count;
}

std::optional<InboundHookRecord> SqliteStore::findInboundHook(const std::string& source, const std::string& webhookId) {
  std::optional<InboundHookRecord> found;
  impl_->read("find inbound delivery " + webhookId, [&](Session& s) {
    InboundHookRecord h;
    Statement select(s);
    select << "SELECT source, webhook_id, received_at FROM inbound_hooks WHERE source = ? AND webhook_id = ?",
        useRef(source), useRef(webhookId), into(h.source), into(h.webhookId), into(h.receivedAt);
    if (select.execute() > 0) found = h;
  });
  return found;
}

}  // namespace a6::service
