// The tamper-evident chain of each event stream: every event's hash covers its own fields and
// the hash of the event before it, so that changing, removing or reordering any event breaks
// every link after it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "a6/service/store/Store.h"

namespace a6::service {

inline constexpr const char* kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

// SHA-256 hex of the canonical form: each field as "<byte length>:<bytes>\n", in the order
// stream_id, seq, party, type, actor, at, payload, prev_hash. Length prefixes make the form
// unambiguous whatever the fields contain.
std::string eventHash(const StoredEvent& event);

struct ChainBreak {
  std::string streamId;
  std::int64_t seq = 0;  // the first event that does not verify
  std::string reason;
};

struct AuditReport {
  std::int64_t streams = 0;
  std::int64_t events = 0;
  std::vector<ChainBreak> breaks;  // the first break of each broken stream
  bool ok() const { return breaks.empty(); }
};

// Recomputes every chain in the store; checks seq contiguity, prev_hash links, each hash, and
// that each read model's version is its stream's last seq.
AuditReport verifyChains(Store& store);

}  // namespace a6::service
