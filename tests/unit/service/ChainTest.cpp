// The audit chain: eventHash pinned to its documented canonical form, and verifyChains finding
// each kind of tampering done behind the service's back, directly in the SQLite file.
#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "a6/service/audit/Chain.h"
#include "a6/service/store/SqliteStore.h"

namespace a6::service {
namespace {

StoredEvent fixedEvent() {
  StoredEvent e;
  e.globalSeq = 42;
  e.streamId = "req_01HZX0000000000000000000";
  e.seq = 7;
  e.party = "GHA";
  e.type = "approved";
  e.actor = "minister";
  e.at = "2025-01-31T12:00:00.000Z";
  e.payloadJson = "{\"comment\":\"ok \xE2\x9C\x93\nline two\",\"n\":1}";
  for (int i = 0; i < 32; ++i) e.prevHash += "ab";
  return e;
}

// The canonical form as Chain.h describes it, written out again here on purpose.
std::string canonicalForm(const StoredEvent& e) {
  std::string out;
  for (const std::string& f :
       {e.streamId, std::to_string(e.seq), e.party, e.type, e.actor, e.at, e.payloadJson, e.prevHash}) {
    out += std::to_string(f.size()) + ":" + f + "\n";
  }
  return out;
}

std::string opensslSha256Hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest failed");
  }
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0f];
  }
  return hex;
}

TEST(ChainHashTest, EventHashIsSha256OfTheCanonicalForm) {
  StoredEvent e = fixedEvent();
  EXPECT_EQ(eventHash(e), opensslSha256Hex(canonicalForm(e)));
  // Pinned: computed once with Python's hashlib over the same canonical bytes. If this changes,
  // every stored chain stops verifying.
  EXPECT_EQ(eventHash(e), "22004b1c533a71d54590efe4606196df65a2159165fc2fd8e7873aef73e7bc6a");
}

TEST(ChainHashTest, EventHashChangesWithEveryHashedField) {
  const StoredEvent base = fixedEvent();
  const std::string baseHash = eventHash(base);
  const std::vector<std::pair<std::string, std::function<void(StoredEvent&)>>> edits = {
      {"stream_id", [](StoredEvent& e) { e.streamId += "x"; }},
      {"seq", [](StoredEvent& e) { e.seq += 1; }},
      {"party", [](StoredEvent& e) { e.party = "CHE"; }},
      {"type", [](StoredEvent& e) { e.type = "rejected"; }},
      {"actor", [](StoredEvent& e) { e.actor = "deputy"; }},
      {"at", [](StoredEvent& e) { e.at = "2025-01-31T12:00:00.001Z"; }},
      {"payload", [](StoredEvent& e) { e.payloadJson[2] = 'C'; }},
      {"prev_hash", [](StoredEvent& e) { e.prevHash[63] = 'c'; }},
  };
  for (const auto& [name, edit] : edits) {
    StoredEvent changed = base;
    edit(changed);
    EXPECT_NE(eventHash(changed), baseHash) << name;
  }
}

TEST(ChainHashTest, EventHashLeavesOutGlobalSeqAndItsOwnHash) {
  StoredEvent e = fixedEvent();
  const std::string before = eventHash(e);
  e.globalSeq = 9000;
  e.hash = "anything";
  EXPECT_EQ(eventHash(e), before);
}

TEST(ChainHashTest, LengthPrefixesKeepFieldBoundaries) {
  StoredEvent a = fixedEvent();
  StoredEvent b = a;
  a.type = "ab";
  a.actor = "c";
  b.type = "a";
  b.actor = "bc";
  EXPECT_NE(eventHash(a), eventHash(b));
}

// ---- verifyChains on a real store, tampered with through a second connection -----------------

class ChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "a6-chain-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    store_ = std::make_unique<SqliteStore>(dir_ + "/a6auth.db");
    store_->migrate();
    for (const char* id : {"req_a", "req_b", "req_c"}) {
      Commit c;
      c.streamId = id;
      c.party = "GHA";
      for (int seq = 1; seq <= 4; ++seq) {
        c.events.push_back(NewEvent{seq == 1 ? "created" : "edited", "alice",
                                    "2025-01-31T12:00:0" + std::to_string(seq) + ".000Z",
                                    "{\"seq\":" + std::to_string(seq) + "}"});
      }
      RequestRecord r;
      r.id = id;
      r.party = "GHA";
      r.organisation = "Volta Cookstoves Ltd";
      r.state = "draft";
      r.workflowName = "article6-2-standard";
      r.workflowVersion = 1;
      r.version = 4;
      r.fieldsJson = "{}";
      r.createdAt = r.updatedAt = "2025-01-31T12:00:01.000Z";
      r.createdBy = "alice";
      c.request = r;
      store_->commit(c);
    }
  }

  void TearDown() override {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Changes the file the way someone with the database file and the sqlite3 tool would.
  void tamper(const std::string& sql) {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session raw(Poco::Data::SQLite::Connector::KEY, dir_ + "/a6auth.db");
    Poco::Data::Statement statement(raw);
    statement << sql;
    statement.execute();
  }

  // The single break verifyChains reports; fails the test when there is not exactly one.
  ChainBreak onlyBreak() {
    auto report = verifyChains(*store_);
    EXPECT_EQ(report.breaks.size(), 1u);
    if (report.breaks.empty()) return {};
    return report.breaks.front();
  }

  std::string dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(ChainTest, UntouchedStoreVerifies) {
  auto report = verifyChains(*store_);
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.streams, 3);
  EXPECT_EQ(report.events, 12);
}

TEST_F(ChainTest, EditedPayloadIsFoundAtThatEvent) {
  tamper("UPDATE events SET payload = '{\"seq\":20}' WHERE stream_id = 'req_b' AND seq = 2");
  auto b = onlyBreak();
  EXPECT_EQ(b.streamId, "req_b");
  EXPECT_EQ(b.seq, 2);
  EXPECT_NE(b.reason.find("hash"), std::string::npos) << b.reason;
}

TEST_F(ChainTest, EditedEventWithRecomputedHashBreaksTheNextLink) {
  auto events = store_->events("req_a");
  StoredEvent forged = events[1];
  forged.actor = "mallory";
  forged.hash = eventHash(forged);
  tamper("UPDATE events SET actor = 'mallory', hash = '" + forged.hash + "' WHERE stream_id = 'req_a' AND seq = 2");
  auto b = onlyBreak();
  EXPECT_EQ(b.streamId, "req_a");
  EXPECT_EQ(b.seq, 3);
  EXPECT_NE(b.reason.find("prev_hash"), std::string::npos) << b.reason;
}

TEST_F(ChainTest, DeletedMiddleEventIsFoundAsAGap) {
  tamper("DELETE FROM events WHERE stream_id = 'req_c' AND seq = 2");
  auto b = onlyBreak();
  EXPECT_EQ(b.streamId, "req_c");
  EXPECT_EQ(b.seq, 3);
  EXPECT_NE(b.reason.find("missing"), std::string::npos) << b.reason;
}

TEST_F(ChainTest, WrongPrevHashIsFound) {
  tamper(std::string("UPDATE events SET prev_hash = '") + kGenesisHash + "' WHERE stream_id = 'req_b' AND seq = 3");
  auto b = onlyBreak();
  EXPECT_EQ(b.streamId, "req_b");
  EXPECT_EQ(b.seq, 3);
  EXPECT_NE(b.reason.find("prev_hash"), std::string::npos) << b.reason;
}

TEST_F(ChainTest, ReadModelVersionThatDiffersFromTheLastSeqIsFound) {
  tamper("UPDATE requests SET version = 3 WHERE id = 'req_c'");
  auto b = onlyBreak();
  EXPECT_EQ(b.streamId, "req_c");
  EXPECT_EQ(b.seq, 3);
  EXPECT_NE(b.reason.find("read model version 3"), std::string::npos) << b.reason;
}

TEST_F(ChainTest, EachBrokenStreamIsReportedOnce) {
  tamper("UPDATE events SET type = 'approved' WHERE stream_id = 'req_a' AND seq = 1");
  tamper("UPDATE events SET at = '2030-01-01T00:00:00.000Z' WHERE stream_id = 'req_c' AND seq >= 2");
  auto report = verifyChains(*store_);
  ASSERT_EQ(report.breaks.size(), 2u);
  EXPECT_EQ(report.breaks[0].streamId, "req_a");
  EXPECT_EQ(report.breaks[0].seq, 1);
  EXPECT_EQ(report.breaks[1].streamId, "req_c");
  EXPECT_EQ(report.breaks[1].seq, 2);
  EXPECT_EQ(report.events, 12);
}

}  // namespace
}  // namespace a6::service
