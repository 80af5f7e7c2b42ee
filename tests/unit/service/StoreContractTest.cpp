// The behaviour every Store must show, run against each implementation: SQLite now; PostgreSQL
// joins by adding its factory to the INSTANTIATE list at the bottom. SQLite-only checks follow.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "a6/service/audit/Chain.h"
#include "a6/service/store/SqliteStore.h"
#include "a6/service/store/Store.h"
#include "a6/signing/Digest.h"

namespace a6::service {
namespace {

constexpr const char* kAt = "2025-01-31T12:00:00.000Z";

// A fresh directory per test, removed with everything in it afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "a6-store-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct StoreFactory {
  std::string name;
  // Opens the store whose data lives in dir; called again with the same dir, the same data.
  std::function<std::unique_ptr<Store>(const std::string& dir)> open;
};

void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

std::string sqlitePath(const std::string& dir) { return dir + "/a6auth.db"; }

const StoreFactory kSqliteFactory{
    "Sqlite", [](const std::string& dir) { return std::make_unique<SqliteStore>(sqlitePath(dir)); }};

// ---- values ---------------------------------------------------------------------------------

NewEvent event(const std::string& type, const std::string& payload = "{}") {
  return NewEvent{type, "alice", kAt, payload};
}

RequestRecord request(const std::string& id, std::int64_t version,
                      const std::string& organisation = "Volta Cookstoves Ltd", const std::string& state = "draft",
                      const std::string& title = "Clean cookstoves for Volta", const std::string& caId = "CA0042") {
  RequestRecord r;
  r.id = id;
  r.party = "GHA";
  r.organisation = organisation;
  r.state = state;
  r.stage = "";
  r.workflowName = "article6-2-standard";
  r.workflowVersion = 3;
  r.version = version;
  r.title = title;
  r.cooperativeApproachId = caId;
  r.fieldsJson = R"({"activity":{"title":")" + title + R"("}})";
  r.createdAt = kAt;
  r.updatedAt = kAt;
  r.createdBy = "alice";
  return r;
}

// A commit that moves the stream of r from expectedVersion to r.version, one event per step.
Commit commitFor(RequestRecord r, std::int64_t expectedVersion) {
  Commit c;
  c.streamId = r.id;
  c.party = r.party;
  c.expectedVersion = expectedVersion;
  for (std::int64_t seq = expectedVersion + 1; seq <= r.version; ++seq) {
    c.events.push_back(event(seq == 1 ? "created" : "edited", R"({"seq":)" + std::to_string(seq) + "}"));
  }
  c.request = std::move(r);
  return c;
}

Commit creating(const RequestRecord& r) { return commitFor(r, 0); }

NewAttachment attachment(const std::string& requestId, const std::string& id, const std::string& bytes) {
  NewAttachment a;
  a.requestId = requestId;
  a.meta.id = id;
  a.meta.name = id + ".pdf";
  a.meta.mediaType = "application/pdf";
  a.meta.size = static_cast<std::int64_t>(bytes.size());
  a.meta.sha256 = signing::sha256Hex(bytes);
  a.meta.createdAt = kAt;
  a.meta.createdBy = "alice";
  a.bytes = bytes;
  return a;
}

User user(const std::string& name, std::vector<std::string> roles) {
  User u;
  u.name = name;
  u.roles = std::move(roles);
  u.organisation = "Ministry of Environment";
  u.displayName = "Display " + name;
  u.email = name + "@example.org";
  u.createdAt = kAt;
  return u;
}

ApiKey apiKey(const std::string& id, const std::string& userName) {
  return ApiKey{id, userName, signing::sha256Hex("secret of " + id), "label " + id, kAt, false};
}

IdempotencyRecord idempotency(const std::string& principal, const std::string& key,
                              const std::string& fingerprint = "fp1") {
  return IdempotencyRecord{principal, key, fingerprint, 201, R"({"id":"req_1"})", "/api/v1/requests/req_1",
                           "\"1\"",   kAt};
}

// The structs of the contract have no operator==: compare them as tuples of their fields.
auto fields(const RequestRecord& r) {
  return std::tie(r.id, r.party, r.organisation, r.state, r.stage, r.workflowName, r.workflowVersion, r.version,
                  r.title, r.cooperativeApproachId, r.fieldsJson, r.authorisationRef, r.createdAt, r.updatedAt,
                  r.createdBy);
}
auto fields(const StoredEvent& e) {
  return std::tie(e.globalSeq, e.streamId, e.seq, e.party, e.type, e.actor, e.at, e.payloadJson, e.prevHash, e.hash);
}
auto fields(const User& u) {
  return std::tie(u.name, u.roles, u.organisation, u.displayName, u.email, u.active, u.createdAt, u.passwordHash);
}
auto fields(const ApiKey& k) { return std::tie(k.id, k.userName, k.keyHash, k.label, k.createdAt, k.revoked); }
auto fields(const IdempotencyRecord& r) {
  return std::tie(r.principal, r.key, r.fingerprint, r.status, r.responseBody, r.location, r.etag, r.createdAt);
}

void expectSameEvents(const std::vector<StoredEvent>& a, const std::vector<StoredEvent>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(fields(a[i]), fields(b[i])) << "event " << i;
}

std::vector<std::string> ids(const RequestPage& page) {
  std::vector<std::string> out;
  for (const auto& r : page.items) out.push_back(r.id);
  return out;
}

// ---- the contract ---------------------------------------------------------------------------

class StoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    store_ = GetParam().open(dir_.path());
    firstMigration_ = store_->migrate();
  }

  std::unique_ptr<Store> openAnother() { return GetParam().open(dir_.path()); }
  void reopen() {
    store_.reset();
    store_ = openAnother();
  }

  TempDir dir_;  // declared first: outlives the store
  std::unique_ptr<Store> store_;
  std::vector<int> firstMigration_;
};

TEST_P(StoreContractTest, MigrateAppliesOnceThenNothingEvenAfterReopen) {
  ASSERT_FALSE(firstMigration_.empty());
  EXPECT_EQ(firstMigration_.front(), 1);
  EXPECT_TRUE(std::is_sorted(firstMigration_.begin(), firstMigration_.end()));
  EXPECT_EQ(store_->appliedMigrations(), firstMigration_);
  EXPECT_TRUE(store_->migrate().empty());
  reopen();
  EXPECT_TRUE(store_->migrate().empty());
  EXPECT_EQ(store_->appliedMigrations(), firstMigration_);
}

TEST_P(StoreContractTest, PingSucceeds) { EXPECT_NO_THROW(store_->ping()); }

TEST_P(StoreContractTest, NewStreamGetsNumberedChainedEvents) {
  auto stored = store_->commit(creating(request("req_1", 3)));
  ASSERT_EQ(stored.size(), 3u);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const auto& e = stored[i];
    EXPECT_EQ(e.seq, static_cast<std::int64_t>(i) + 1);
    EXPECT_EQ(e.streamId, "req_1");
    EXPECT_EQ(e.party, "GHA");
    EXPECT_EQ(e.prevHash, i == 0 ? std::string(kGenesisHash) : stored[i - 1].hash);
    EXPECT_EQ(e.hash, eventHash(e));
    if (i > 0) {
      EXPECT_GT(e.globalSeq, stored[i - 1].globalSeq);
    }
  }
  EXPECT_EQ(stored[0].type, "created");
  EXPECT_EQ(stored[1].payloadJson, R"({"seq":2})");
  expectSameEvents(store_->events("req_1"), stored);
  EXPECT_EQ(store_->findRequest("req_1")->version, 3);
  auto report = verifyChains(*store_);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.streams, 1);
  EXPECT_EQ(report.events, 3);
}

TEST_P(StoreContractTest, AppendContinuesTheChainAndTheGlobalOrder) {
  auto first = store_->commit(creating(request("req_1", 2)));
  auto other = store_->commit(creating(request("req_2", 1)));
  auto more = store_->commit(commitFor(request("req_1", 4), 2));
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[0].seq, 3);
  EXPECT_EQ(more[0].prevHash, first.back().hash);
  EXPECT_GT(more[0].globalSeq, other[0].globalSeq);
  EXPECT_GT(other[0].globalSeq, first.back().globalSeq);
  EXPECT_EQ(store_->events("req_1").size(), 4u);
  EXPECT_TRUE(store_->events("req_unknown").empty());
  EXPECT_TRUE(verifyChains(*store_).ok());
}

TEST_P(StoreContractTest, StaleExpectedVersionConflictsAndWritesNothing) {
  store_->commit(creating(request("req_1", 3)));
  auto eventsBefore = store_->events("req_1");
  auto requestBefore = *store_->findRequest("req_1");

  auto stale = commitFor(request("req_1", 2, "Other Org", "submitted"), 1);
  stale.attachments.push_back(attachment("req_1", "att_1", "bytes"));
  stale.user = user("bob", {"reviewer"});
  stale.idempotency = idempotency("alice", "key-1");
  try {
    store_->commit(stale);
    FAIL() << "expected VersionConflict";
  } catch (const VersionConflict& e) {
    EXPECT_EQ(e.code(), ErrorCode::Conflict);
    EXPECT_EQ(e.actual(), 3);
    EXPECT_NE(std::string(e.what()).find("req_1"), std::string::npos) << e.what();
  }

  expectSameEvents(store_->events("req_1"), eventsBefore);
  EXPECT_EQ(fields(*store_->findRequest("req_1")), fields(requestBefore));
  EXPECT_TRUE(store_->attachments("req_1").empty());
  EXPECT_FALSE(store_->findUser("bob"));
  EXPECT_FALSE(store_->findIdempotency("alice", "key-1"));
  EXPECT_TRUE(verifyChains(*store_).ok());
}

TEST_P(StoreContractTest, CreatingAnExistingStreamOrAppendingToAMissingOneConflicts) {
  store_->commit(creating(request("req_1", 1)));
  EXPECT_THROW(store_->commit(creating(request("req_1", 1))), VersionConflict);
  try {
    store_->commit(commitFor(request("req_2", 3), 2));
    FAIL() << "expected VersionConflict";
  } catch (const VersionConflict& e) {
    EXPECT_EQ(e.actual(), 0);
  }
  EXPECT_FALSE(store_->findRequest("req_2"));
  EXPECT_EQ(store_->events("req_1").size(), 1u);
}

TEST_P(StoreContractTest, InconsistentCommitsAreInternalErrors) {
  Commit empty = creating(request("req_1", 0));
  EXPECT_TRUE(empty.events.empty());
  try {
    store_->commit(empty);
    FAIL() << "expected a6::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
  }

  Commit wrongVersion = creating(request("req_1", 2));
  wrongVersion.request->version = 5;
  try {
    store_->commit(wrongVersion);
    FAIL() << "expected a6::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
  }

  Commit wrongHash = creating(request("req_1", 1));
  wrongHash.attachments.push_back(attachment("req_1", "att_1", "real bytes"));
  wrongHash.attachments[0].bytes = "other bytes";
  try {
    store_->commit(wrongHash);
    FAIL() << "expected a6::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Internal);
  }
  EXPECT_TRUE(store_->events("req_1").empty());
  EXPECT_FALSE(store_->findRequest("req_1"));
}

TEST_P(StoreContractTest, FailedCommitRollsBackAndLeavesTheStoreUsable) {
  // The attachment names a request that does not exist: the database refuses it mid-transaction.
  Commit broken = creating(request("req_1", 2));
  broken.attachments.push_back(attachment("req_missing", "att_1", "bytes"));
  try {
    store_->commit(broken);
    FAIL() << "expected a6::Error";
  } catch (const VersionConflict&) {
    FAIL() << "not a version conflict";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Store);
  }
  EXPECT_TRUE(store_->events("req_1").empty());
  EXPECT_FALSE(store_->findRequest("req_1"));

  auto stored = store_->commit(creating(request("req_1", 2)));
  EXPECT_EQ(stored.size(), 2u);
  EXPECT_TRUE(verifyChains(*store_).ok());
}

TEST_P(StoreContractTest, IdempotencyRecordIsStoredAndFound) {
  Commit c = creating(request("req_1", 1));
  c.idempotency = idempotency("alice", "key-1");
  store_->commit(c);
  auto found = store_->findIdempotency("alice", "key-1");
  ASSERT_TRUE(found);
  EXPECT_EQ(fields(*found), fields(*c.idempotency));
  EXPECT_FALSE(store_->findIdempotency("bob", "key-1"));
  EXPECT_FALSE(store_->findIdempotency("alice", "key-2"));
}

TEST_P(StoreContractTest, ReusedIdempotencyKeyIsTakenAndWritesNothing) {
  Commit first = creating(request("req_1", 1));
  first.idempotency = idempotency("alice", "key-1", "fp-first");
  store_->commit(first);

  Commit second = creating(request("req_2", 2));
  second.user = user("carol", {"applicant"});
  second.idempotency = idempotency("alice", "key-1", "fp-second");
  try {
    store_->commit(second);
    FAIL() << "expected IdempotencyKeyTaken";
  } catch (const IdempotencyKeyTaken& e) {
    EXPECT_EQ(e.code(), ErrorCode::Conflict);
  }
  EXPECT_TRUE(store_->events("req_2").empty());
  EXPECT_FALSE(store_->findRequest("req_2"));
  EXPECT_FALSE(store_->findUser("carol"));
  EXPECT_EQ(store_->findIdempotency("alice", "key-1")->fingerprint, "fp-first");

  // The key belongs to its principal: another user may use the same one.
  second.idempotency = idempotency("bob", "key-1", "fp-bob");
  EXPECT_EQ(store_->commit(second).size(), 2u);
  EXPECT_EQ(store_->findIdempotency("bob", "key-1")->fingerprint, "fp-bob");
}

TEST_P(StoreContractTest, RequestIsUpsertedAndFound) {
  auto created = request("req_1", 1);
  store_->commit(creating(created));
  auto found = store_->findRequest("req_1");
  ASSERT_TRUE(found);
  EXPECT_EQ(fields(*found), fields(created));
  EXPECT_FALSE(found->authorisationRef);

  auto updated = request("req_1", 3, "Volta Cookstoves Ltd", "authorised", "Renamed title", "CA0043");
  updated.stage = "minister_sign_off";
  updated.workflowVersion = 4;
  updated.authorisationRef = "GHA-2025-0001";
  updated.updatedAt = "2025-02-01T08:30:00.000Z";
  store_->commit(commitFor(updated, 1));
  EXPECT_EQ(fields(*store_->findRequest("req_1")), fields(updated));
  EXPECT_FALSE(store_->findRequest("req_2"));
}

class ListRequestsTest : public StoreContractTest {
 protected:
  void add(const RequestRecord& r) { store_->commit(creating(r)); }
};

TEST_P(ListRequestsTest, FiltersByOrganisationAndState) {
  add(request("req_1", 1, "Alpha Ltd", "draft"));
  add(request("req_2", 1, "Beta Ltd", "draft"));
  add(request("req_3", 1, "Alpha Ltd", "submitted"));
  add(request("req_4", 1, "Alpha Ltd", "draft"));

  EXPECT_EQ(ids(store_->listRequests({})), (std::vector<std::string>{"req_4", "req_3", "req_2", "req_1"}));
  RequestQuery byOrg;
  byOrg.organisation = "Alpha Ltd";
  EXPECT_EQ(ids(store_->listRequests(byOrg)), (std::vector<std::string>{"req_4", "req_3", "req_1"}));
  RequestQuery byState;
  byState.state = "draft";
  EXPECT_EQ(ids(store_->listRequests(byState)), (std::vector<std::string>{"req_4", "req_2", "req_1"}));
  RequestQuery both = byOrg;
  both.state = "submitted";
  EXPECT_EQ(ids(store_->listRequests(both)), (std::vector<std::string>{"req_3"}));
  both.organisation = "Nobody";
  auto none = store_->listRequests(both);
  EXPECT_TRUE(none.items.empty());
  EXPECT_FALSE(none.nextCursor);
  // Items carry the whole record.
  auto first = store_->listRequests(byOrg).items.front();
  EXPECT_EQ(fields(first), fields(*store_->findRequest("req_4")));
}

TEST_P(ListRequestsTest, TextMatchesTitleOrganisationCaIdAndIdIgnoringCase) {
  add(request("req_1", 1, "Volta Cookstoves Ltd", "draft", "Clean cookstoves", "CA0001"));
  add(request("req_2", 1, "Sahel Solar", "draft", "Mini-grids in the north", "CA0002"));
  add(request("req_3", 1, "Coastal Blue Carbon", "draft", "Mangrove restoration", "CA0777"));

  auto search = [&](const std::string& text) {
    RequestQuery q;
    q.text = text;
    return ids(store_->listRequests(q));
  };
  EXPECT_EQ(search("COOKSTOVE"), (std::vector<std::string>{"req_1"}));  // title
  EXPECT_EQ(search("sahel"), (std::vector<std::string>{"req_2"}));      // organisation
  EXPECT_EQ(search("ca0777"), (std::vector<std::string>{"req_3"}));     // CA id
  EXPECT_EQ(search("REQ_2"), (std::vector<std::string>{"req_2"}));      // id
  EXPECT_EQ(search("o"), (std::vector<std::string>{"req_3", "req_2", "req_1"}));
  EXPECT_TRUE(search("geothermal").empty());
}

TEST_P(ListRequestsTest, TextWildcardsMatchOnlyThemselves) {
  add(request("req_1", 1, "Org", "draft", "100% renewable"));
  add(request("req_2", 1, "Org", "draft", "1000 renewable"));
  add(request("req_3", 1, "Org", "draft", "wind_farm"));
  add(request("req_4", 1, "Org", "draft", "windXfarm"));
  add(request("req_5", 1, "Org", "draft", "back\\slash"));

  auto search = [&](const std::string& text) {
    RequestQuery q;
    q.text = text;
    return ids(store_->listRequests(q));
  };
  EXPECT_EQ(search("%"), (std::vector<std::string>{"req_1"}));
  EXPECT_EQ(search("0%"), (std::vector<std::string>{"req_1"}));
  EXPECT_EQ(search("d_f"), (std::vector<std::string>{"req_3"}));
  EXPECT_EQ(search("k\\s"), (std::vector<std::string>{"req_5"}));
  EXPECT_EQ(search("00 r"), (std::vector<std::string>{"req_2"}));
}

TEST_P(ListRequestsTest, CursorPagesHaveNoOverlapAndNoGap) {
  std::vector<std::string> all;
  for (int i = 1; i <= 25; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "req_%02d", i);
    add(request(id, 1, i % 2 == 0 ? "Even Ltd" : "Odd Ltd"));
    all.insert(all.begin(), id);  // newest first
  }

  std::vector<std::string> seen;
  std::vector<std::size_t> sizes;
  RequestQuery q;
  q.limit = 10;
  for (int page = 0; page < 10; ++page) {
    auto result = store_->listRequests(q);
    sizes.push_back(result.items.size());
    for (const auto& id : ids(result)) seen.push_back(id);
    if (!result.nextCursor) break;
    EXPECT_EQ(*result.nextCursor, result.items.back().id);
    q.beforeId = result.nextCursor;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{10, 10, 5}));
  EXPECT_EQ(seen, all);

  // With a filter, and a last page that is exactly full: no cursor to an empty page.
  RequestQuery odd;
  odd.organisation = "Odd Ltd";  // 13 of them
  odd.limit = 13;
  auto whole = store_->listRequests(odd);
  EXPECT_EQ(whole.items.size(), 13u);
  EXPECT_FALSE(whole.nextCursor);
  odd.limit = 5;
  odd.beforeId = "req_20";
  auto page = store_->listRequests(odd);
  EXPECT_EQ(ids(page), (std::vector<std::string>{"req_19", "req_17", "req_15", "req_13", "req_11"}));
  EXPECT_EQ(page.nextCursor, std::optional<std::string>("req_11"));
}

TEST_P(ListRequestsTest, LimitIsClampedToOneThroughTwoHundred) {
  for (int i = 1; i <= 3; ++i) add(request("req_" + std::to_string(i), 1));
  RequestQuery q;
  q.limit = 0;
  auto one = store_->listRequests(q);
  EXPECT_EQ(ids(one), (std::vector<std::string>{"req_3"}));
  EXPECT_EQ(one.nextCursor, std::optional<std::string>("req_3"));
  q.limit = -7;
  EXPECT_EQ(store_->listRequests(q).items.size(), 1u);
  q.limit = 100000;
  auto all = store_->listRequests(q);
  EXPECT_EQ(all.items.size(), 3u);
  EXPECT_FALSE(all.nextCursor);
}

TEST_P(StoreContractTest, AttachmentsAndTheirBytesRoundTrip) {
  const std::string binary("%PDF-1.7\0\x01\xff\xfe\n\r end\0", 20);
  const std::string other(256, '\0');
  Commit c = creating(request("req_1", 1));
  c.attachments.push_back(attachment("req_1", "att_1", binary));
  c.attachments.push_back(attachment("req_1", "att_2", other));
  c.attachments.push_back(attachment("req_1", "att_3", ""));
  store_->commit(c);
  // The same content on another request is stored once and read back for both.
  Commit d = creating(request("req_2", 1));
  d.attachments.push_back(attachment("req_2", "att_9", binary));
  store_->commit(d);

  std::vector<Attachment> expected;
  for (const auto& a : c.attachments) expected.push_back(a.meta);
  EXPECT_EQ(store_->attachments("req_1"), expected);
  EXPECT_EQ(store_->attachments("req_2"), std::vector<Attachment>{d.attachments[0].meta});
  EXPECT_TRUE(store_->attachments("req_3").empty());

  EXPECT_EQ(store_->attachmentBytes("req_1", "att_1"), binary);
  EXPECT_EQ(store_->attachmentBytes("req_1", "att_2"), other);
  EXPECT_EQ(store_->attachmentBytes("req_1", "att_3"), std::string());
  EXPECT_EQ(store_->attachmentBytes("req_2", "att_9"), binary);
  EXPECT_FALSE(store_->attachmentBytes("req_2", "att_1"));
  EXPECT_FALSE(store_->attachmentBytes("req_1", "att_404"));
}

TEST_P(StoreContractTest, UsersRoundTripAndAreListedByName) {
  auto zoe = user("zoe", {"reviewer", "approver"});
  auto adam = user("adam", {"admin"});
  adam.passwordHash = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA";
  adam.active = false;
  auto mia = user("mia", {});
  Commit c = creating(request("req_1", 1));
  c.user = zoe;
  store_->commit(c);
  Commit d = commitFor(request("req_1", 2), 1);
  d.user = adam;
  store_->commit(d);
  Commit e = commitFor(request("req_1", 3), 2);
  e.user = mia;
  store_->commit(e);

  ASSERT_TRUE(store_->findUser("zoe"));
  EXPECT_EQ(fields(*store_->findUser("zoe")), fields(zoe));
  EXPECT_EQ(fields(*store_->findUser("adam")), fields(adam));
  EXPECT_FALSE(store_->findUser("nobody"));

  auto listed = store_->listUsers();
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(fields(listed[0]), fields(adam));
  EXPECT_EQ(fields(listed[1]), fields(mia));
  EXPECT_EQ(fields(listed[2]), fields(zoe));

  // An upsert replaces the roles (order kept) and the other fields.
  zoe.roles = {"auditor", "reviewer", "admin"};
  zoe.email = "zoe@ministry.example";
  zoe.passwordHash = "hash";
  Commit f = commitFor(request("req_1", 4), 3);
  f.user = zoe;
  store_->commit(f);
  EXPECT_EQ(fields(*store_->findUser("zoe")), fields(zoe));
  EXPECT_EQ(store_->listUsers().size(), 3u);
}

TEST_P(StoreContractTest, ApiKeysRoundTripByHash) {
  Commit c = creating(request("req_1", 1));
  c.user = user("robot", {"registry"});
  c.apiKey = apiKey("key_1", "robot");
  store_->commit(c);

  auto found = store_->findApiKeyByHash(c.apiKey->keyHash);
  ASSERT_TRUE(found);
  EXPECT_EQ(fields(*found), fields(*c.apiKey));
  EXPECT_FALSE(store_->findApiKeyByHash(signing::sha256Hex("wrong secret")));

  ApiKey revoked = *c.apiKey;
  revoked.revoked = true;
  revoked.label = "rotated";
  Commit d = commitFor(request("req_1", 2), 1);
  d.apiKey = revoked;
  store_->commit(d);
  EXPECT_EQ(fields(*store_->findApiKeyByHash(revoked.keyHash)), fields(revoked));
}

TEST_P(StoreContractTest, DataSurvivesClosingAndReopening) {
  Commit c = creating(request("req_1", 2));
  c.attachments.push_back(attachment("req_1", "att_1", std::string("a\0b", 3)));
  c.user = user("robot", {"registry"});
  c.apiKey = apiKey("key_1", "robot");
  c.idempotency = idempotency("robot", "key-1");
  auto stored = store_->commit(c);

  reopen();
  expectSameEvents(store_->events("req_1"), stored);
  EXPECT_EQ(fields(*store_->findRequest("req_1")), fields(*c.request));
  EXPECT_EQ(store_->attachmentBytes("req_1", "att_1"), std::string("a\0b", 3));
  EXPECT_EQ(fields(*store_->findUser("robot")), fields(*c.user));
  EXPECT_EQ(fields(*store_->findApiKeyByHash(c.apiKey->keyHash)), fields(*c.apiKey));
  EXPECT_EQ(fields(*store_->findIdempotency("robot", "key-1")), fields(*c.idempotency));
  EXPECT_TRUE(verifyChains(*store_).ok());
  // And the chain goes on from where it was.
  auto more = store_->commit(commitFor(request("req_1", 3), 2));
  EXPECT_EQ(more[0].prevHash, stored.back().hash);
  EXPECT_GT(more[0].globalSeq, stored.back().globalSeq);
}

TEST_P(StoreContractTest, ForEachEventVisitsEveryStreamInOrderAcrossPages) {
  store_->commit(creating(request("req_b", 1234)));  // more than one page of any sane size
  store_->commit(creating(request("req_c", 2)));
  store_->commit(creating(request("req_a", 3)));

  std::vector<std::pair<std::string, std::int64_t>> visited;
  store_->forEachEvent([&](const StoredEvent& e) { visited.emplace_back(e.streamId, e.seq); });
  ASSERT_EQ(visited.size(), 1239u);
  EXPECT_TRUE(std::is_sorted(visited.begin(), visited.end()));
  EXPECT_EQ(std::set(visited.begin(), visited.end()).size(), visited.size());
  EXPECT_EQ(visited.front(), std::make_pair(std::string("req_a"), std::int64_t{1}));
  EXPECT_EQ(visited.back(), std::make_pair(std::string("req_c"), std::int64_t{2}));

  auto report = verifyChains(*store_);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.streams, 3);
  EXPECT_EQ(report.events, 1239);

  // The visitor's own exception reaches the caller unchanged, and the store stays usable.
  struct Stop {};
  EXPECT_THROW(store_->forEachEvent([](const StoredEvent&) { throw Stop{}; }), Stop);
  EXPECT_EQ(store_->events("req_c").size(), 2u);
}

TEST_P(StoreContractTest, RequestVersionsListEveryReadModel) {
  store_->commit(creating(request("req_2", 2)));
  store_->commit(creating(request("req_1", 1)));
  Commit noReadModel;  // a stream without a request row, e.g. a system stream
  noReadModel.streamId = "sys_1";
  noReadModel.party = "GHA";
  noReadModel.events.push_back(event("note"));
  store_->commit(noReadModel);

  auto versions = store_->requestVersions();
  std::sort(versions.begin(), versions.end());
  EXPECT_EQ(versions, (std::vector<std::pair<std::string, std::int64_t>>{{"req_1", 1}, {"req_2", 2}}));
}

TEST_P(StoreContractTest, ConcurrentCommitsToOneStreamHaveExactlyOneWinner) {
  store_->commit(creating(request("req_1", 1)));
  for (int round = 0; round < 5; ++round) {
    const std::int64_t expected = 1 + round;
    std::latch start(2);
    std::atomic<int> wins = 0;
    std::atomic<int> conflicts = 0;
    std::mutex failuresMutex;
    std::vector<std::string> failures;
    auto contender = [&](const std::string& actor) {
      Commit c = commitFor(request("req_1", expected + 1), expected);
      c.events[0].actor = actor;
      start.arrive_and_wait();
      try {
        store_->commit(c);
        ++wins;
      } catch (const VersionConflict&) {
        ++conflicts;
      } catch (const std::exception& e) {
        std::lock_guard lock(failuresMutex);
        failures.push_back(e.what());
      }
    };
    std::thread a(contender, "alice");
    std::thread b(contender, "bob");
    a.join();
    b.join();
    EXPECT_TRUE(failures.empty()) << failures.front();
    EXPECT_EQ(wins, 1);
    EXPECT_EQ(conflicts, 1);
  }
  EXPECT_EQ(store_->events("req_1").size(), 6u);
  EXPECT_TRUE(verifyChains(*store_).ok());
}

TEST_P(StoreContractTest, CommitsThroughTwoStoresOnOneDatabaseHaveExactlyOneWinner) {
  // Two instances stand for two processes (the service and the CLI) sharing the database.
  auto second = openAnother();
  store_->commit(creating(request("req_1", 1)));
  std::latch start(2);
  std::atomic<int> wins = 0;
  std::atomic<int> conflicts = 0;
  auto contender = [&](Store& store) {
    Commit c = commitFor(request("req_1", 2), 1);
    start.arrive_and_wait();
    try {
      store.commit(c);
      ++wins;
    } catch (const VersionConflict&) {
      ++conflicts;
    }
  };
  std::thread a(contender, std::ref(*store_));
  std::thread b(contender, std::ref(*second));
  a.join();
  b.join();
  EXPECT_EQ(wins, 1);
  EXPECT_EQ(conflicts, 1);
  EXPECT_EQ(second->events("req_1").size(), 2u);
  EXPECT_TRUE(verifyChains(*second).ok());
}

TEST_P(StoreContractTest, ReadersRunWhileAWriterCommits) {
  store_->commit(creating(request("req_w", 1)));
  constexpr int kWrites = 40;
  constexpr int kReaders = 6;  // more readers than pooled connections: they take turns
  std::atomic<bool> writerDone = false;
  std::mutex failuresMutex;
  std::vector<std::string> failures;
  auto fail = [&](const std::string& what) {
    std::lock_guard lock(failuresMutex);
    failures.push_back(what);
  };

  std::thread writer([&] {
    try {
      for (int v = 1; v <= kWrites; ++v) store_->commit(commitFor(request("req_w", v + 1), v));
    } catch (const std::exception& e) {
      fail(std::string("writer: ") + e.what());
    }
    writerDone = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      std::int64_t lastVersion = 0;
      int reads = 0;
      try {
        while (!writerDone || reads < 5) {
          auto found = store_->findRequest("req_w");
          if (!found || found->version < lastVersion) {
            fail("request went missing or back in time");
            return;
          }
          lastVersion = found->version;
          if (static_cast<std::int64_t>(store_->events("req_w").size()) < lastVersion) {
            fail("fewer events than the version already seen");
            return;
          }
          if (store_->listRequests({}).items.size() != 1) {
            fail("list lost the request");
            return;
          }
          ++reads;
        }
      } catch (const std::exception& e) {
        fail(std::string("reader: ") + e.what());
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  EXPECT_EQ(store_->findRequest("req_w")->version, kWrites + 1);
  EXPECT_TRUE(verifyChains(*store_).ok());
}

// ---- webhooks -------------------------------------------------------------------------------

WebhookSubscription subscription(const std::string& id, std::vector<std::string> types) {
  WebhookSubscription w;
  w.id = id;
  w.url = "https://hooks.example.org/" + id;
  w.eventTypes = std::move(types);
  w.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  w.description = "for " + id;
  w.createdBy = "admin";
  w.createdAt = kAt;
  w.updatedAt = kAt;
  return w;
}

// The commit that writes w on its own stream, "webhook:<id>".
Commit subscriptionCommit(const WebhookSubscription& w, std::int64_t expectedVersion,
                          const std::string& type = "webhook_subscribed") {
  Commit c;
  c.streamId = "webhook:" + w.id;
  c.party = "GHA";
  c.expectedVersion = expectedVersion;
  c.events.push_back(event(type, R"({"id":")" + w.id + R"("})"));
  c.webhookSubscription = w;
  return c;
}

std::vector<std::string> webhookIds(const std::vector<WebhookSubscription>& list) {
  std::vector<std::string> out;
  for (const auto& w : list) out.push_back(w.id);
  return out;
}

TEST_P(StoreContractTest, WebhookSubscriptionsRoundTripAndAreFoundByEventType) {
  auto a = subscription("whk_a", {"stage.entered", "request.submitted"});
  auto b = subscription("whk_b", {"*"});
  auto c = subscription("whk_c", {"request.authorised"});
  for (const auto& w : {a, b, c}) store_->commit(subscriptionCommit(w, 0));

  auto found = store_->findWebhook("whk_a");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->url, a.url);
  EXPECT_EQ(found->eventTypes, a.eventTypes);  // in the order given
  EXPECT_EQ(found->secret, a.secret);
  EXPECT_EQ(found->description, a.description);
  EXPECT_EQ(found->createdBy, "admin");
  EXPECT_EQ(found->createdAt, kAt);
  EXPECT_TRUE(found->active);
  EXPECT_FALSE(found->deleted);
  EXPECT_EQ(found->consecutiveFailures, 0);
  EXPECT_FALSE(found->disabledReason);
  EXPECT_FALSE(found->disabledAt);
  EXPECT_FALSE(store_->findWebhook("whk_x"));
  EXPECT_EQ(webhookIds(store_->listWebhooks()), (std::vector<std::string>{"whk_a", "whk_b", "whk_c"}));
  EXPECT_EQ(webhookIds(store_->activeWebhooksFor("stage.entered")), (std::vector<std::string>{"whk_a", "whk_b"}));
  EXPECT_EQ(webhookIds(store_->activeWebhooksFor("request.authorised")), (std::vector<std::string>{"whk_b", "whk_c"}));
  EXPECT_EQ(webhookIds(store_->activeWebhooksFor("sla.breached")), (std::vector<std::string>{"whk_b"}));

  // Disabled and deleted ones stay listed but take nothing; an upsert replaces the event types.
  c.active = false;
  c.disabledReason = "3 consecutive failed deliveries";
  c.disabledAt = kAt;
  store_->commit(subscriptionCommit(c, 1, "webhook_disabled"));
  b.active = false;
  b.deleted = true;
  store_->commit(subscriptionCommit(b, 1, "webhook_deleted"));
  a.eventTypes = {"sla.breached"};
  store_->commit(subscriptionCommit(a, 1, "webhook_updated"));
  EXPECT_TRUE(store_->activeWebhooksFor("request.authorised").empty());
  EXPECT_TRUE(store_->activeWebhooksFor("stage.entered").empty());
  EXPECT_EQ(webhookIds(store_->activeWebhooksFor("sla.breached")), (std::vector<std::string>{"whk_a"}));
  EXPECT_EQ(store_->listWebhooks().size(), 3u);
  auto disabled = store_->findWebhook("whk_c");
  EXPECT_FALSE(disabled->active);
  EXPECT_FALSE(disabled->deleted);
  EXPECT_EQ(disabled->disabledReason.value_or(""), "3 consecutive failed deliveries");
  EXPECT_EQ(disabled->disabledAt.value_or(""), kAt);
  EXPECT_TRUE(store_->findWebhook("whk_b")->deleted);
  EXPECT_EQ(store_->events("webhook:whk_c").size(), 2u);
  EXPECT_TRUE(verifyChains(*store_).ok());
}

TEST_P(StoreContractTest, WebhookFailuresAreCountedWithoutAnEventAndResetBySuccess) {
  store_->commit(subscriptionCommit(subscription("whk_a", {"*"}), 0));
  EXPECT_EQ(store_->recordWebhookResult("whk_a", false), 1);
  EXPECT_EQ(store_->recordWebhookResult("whk_a", false), 2);
  EXPECT_EQ(store_->findWebhook("whk_a")->consecutiveFailures, 2);
  EXPECT_EQ(store_->events("webhook:whk_a").size(), 1u);
  EXPECT_EQ(store_->recordWebhookResult("whk_a", true), 0);
  EXPECT_EQ(store_->findWebhook("whk_a")->consecutiveFailures, 0);
  EXPECT_FALSE(store_->recordWebhookResult("whk_none", false));
}

TEST_P(StoreContractTest, InboundHookIsRecordedWithItsCommitAndAReplayWritesNothing) {
  store_->commit(creating(request("req_1", 1)));
  Commit first = commitFor(request("req_1", 2), 1);
  first.inboundHook = InboundHookRecord{"registry-a", "evt_1", kAt};
  store_->commit(first);
  auto seen = store_->findInboundHook("registry-a", "evt_1");
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->receivedAt, kAt);
  EXPECT_FALSE(store_->findInboundHook("registry-b", "evt_1"));

  Commit replay = commitFor(request("req_1", 3), 2);
  replay.inboundHook = InboundHookRecord{"registry-a", "evt_1", kAt};
  try {
    store_->commit(replay);
    FAIL() << "expected a conflict";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Conflict);
  }
  EXPECT_EQ(store_->findRequest("req_1")->version, 2);
  EXPECT_EQ(store_->events("req_1").size(), 2u);

  // The same id from another source is another delivery.
  Commit other = commitFor(request("req_1", 3), 2);
  other.inboundHook = InboundHookRecord{"registry-b", "evt_1", kAt};
  EXPECT_NO_THROW(store_->commit(other));
  EXPECT_TRUE(store_->findInboundHook("registry-b", "evt_1"));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest, ::testing::Values(kSqliteFactory),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Stores, ListRequestsTest, ::testing::Values(kSqliteFactory),
                         [](const auto& info) { return info.param.name; });

// ---- SQLite only ----------------------------------------------------------------------------

// A second, raw connection to the database file, as another process would hold it.
Poco::Data::Session rawSession(const std::string& path) {
  Poco::Data::SQLite::Connector::registerConnector();
  return Poco::Data::Session(Poco::Data::SQLite::Connector::KEY, path);
}

void rawExec(Poco::Data::Session& session, const std::string& sql) {
  Poco::Data::Statement statement(session);
  statement << sql;
  statement.execute();
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return sqlitePath(dir_.path()); }
  TempDir dir_;
};

TEST_F(SqliteStoreTest, DatabaseIsInWalMode) {
  SqliteStore store(path());
  store.migrate();
  auto raw = rawSession(path());
  std::string mode;
  Poco::Data::Statement pragma(raw);
  pragma << "PRAGMA journal_mode", Poco::Data::Keywords::into(mode);
  pragma.execute();
  EXPECT_EQ(mode, "wal");
}

TEST_F(SqliteStoreTest, ReadsDoNotWaitForAnotherProcessHoldingTheWriteLock) {
  SqliteStore store(path(), 2, std::chrono::milliseconds(100));
  store.migrate();
  store.commit(creating(request("req_1", 1)));

  auto raw = rawSession(path());
  rawExec(raw, "BEGIN IMMEDIATE");
  rawExec(raw, "UPDATE requests SET title = 'uncommitted' WHERE id = 'req_1'");
  // Readers see the last committed state at once.
  EXPECT_EQ(store.findRequest("req_1")->title, "Clean cookstoves for Volta");
  EXPECT_EQ(store.events("req_1").size(), 1u);
  // The writer waits its busy timeout for the lock, then gives up with a Store error.
  try {
    store.commit(commitFor(request("req_1", 2), 1));
    FAIL() << "expected a6::Error";
  } catch (const VersionConflict&) {
    FAIL() << "not a version conflict";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Store);
  }
  rawExec(raw, "ROLLBACK");
  EXPECT_EQ(store.commit(commitFor(request("req_1", 2), 1)).size(), 1u);
}

TEST_F(SqliteStoreTest, MigrationRecordedUnderAnotherNameIsRefused) {
  {
    SqliteStore store(path());
    store.migrate();
  }
  {
    auto raw = rawSession(path());
    rawExec(raw, "UPDATE schema_migrations SET name = 'something_else' WHERE number = 1");
  }
  SqliteStore store(path());
  try {
    store.migrate();
    FAIL() << "expected a6::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Store);
    EXPECT_NE(std::string(e.what()).find("something_else"), std::string::npos) << e.what();
  }
}

TEST_F(SqliteStoreTest, UnopenableDatabaseIsAStoreError) {
  try {
    SqliteStore store(dir_.path() + "/missing/dir/a6auth.db");
    FAIL() << "expected a6::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Store);
  }
}

TEST_F(SqliteStoreTest, ReadingBeforeMigratingIsAStoreError) {
  SqliteStore store(path());
  EXPECT_TRUE(store.appliedMigrations().empty());
  try {
    store.findRequest("req_1");
    FAIL() << "expected a6::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Store);
    EXPECT_NE(std::string(e.what()).find("requests"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace a6::service
