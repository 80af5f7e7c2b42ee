#include "a6/service/audit/Chain.h"

#include <algorithm>
#include <map>
#include <set>

#include "a6/signing/Digest.h"

namespace a6::service {
namespace {

void field(std::string& out, const std::string& value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

}  // namespace

std::string eventHash(const StoredEvent& e) {
  std::string canonical;
  canonical.reserve(e.payloadJson.size() + 256);
  field(canonical, e.streamId);
  field(canonical, std::to_string(e.seq));
  field(canonical, e.party);
  field(canonical, e.type);
  field(canonical, e.actor);
  field(canonical, e.at);
  field(canonical, e.payloadJson);
  field(canonical, e.prevHash);
  return signing::sha256Hex(canonical);
}

AuditReport verifyChains(Store& store) {
  AuditReport report;
  // Read-model versions are read before the events, so that writes landing during the scan can
  // only make a stream look longer than its read model, never shorter; such a case is then
  // checked again against the read model as it is now.
  auto versions = store.requestVersions();
  std::map<std::string, std::int64_t> lastSeq;
  std::string stream;
  std::string prevHash;
  std::int64_t expectedSeq = 0;
  bool broken = false;
  store.forEachEvent([&](const StoredEvent& e) {
    ++report.events;
    if (e.streamId != stream) {
      stream = e.streamId;
      prevHash = kGenesisHash;
      expectedSeq = 1;
      broken = false;
      ++report.streams;
    }
    lastSeq[stream] = e.seq;
    if (broken) return;
    auto fail = [&](std::string reason) {
      report.breaks.push_back({e.streamId, e.seq, std::move(reason)});
      broken = true;
    };
    if (e.seq != expectedSeq) {
      fail("expected seq " + std::to_string(expectedSeq) + ", found " + std::to_string(e.seq) +
           " (an event is missing or out of order)");
    } else if (e.prevHash != prevHash) {
      fail("prev_hash does not match the hash of the event before it");
    } else if (eventHash(e) != e.hash) {
      fail("hash does not match the event's content (the event was changed)");
    }
    prevHash = e.hash;
    ++expectedSeq;
  });
  for (auto [id, version] : versions) {
    auto it = lastSeq.find(id);
    if (it != lastSeq.end() && version < it->second) {
      auto now = store.findRequest(id);
      if (now) version = std::max(version, std::min(now->version, it->second));
    }
    if (it == lastSeq.end()) {
      report.breaks.push_back({id, 0, "read model exists but its event stream is empty"});
    } else if (it->second != version) {
      report.breaks.push_back({id, version,
                               "read model version " + std::to_string(version) +
                                   " differs from the stream's last seq " + std::to_string(it->second)});
    }
  }
  // A request stream must have its read model; a missing row means the table was edited.
  std::set<std::string> withReadModel;
  for (const auto& v : versions) withReadModel.insert(v.first);
  for (const auto& [id, seq] : lastSeq) {
    if (id.rfind("req_", 0) == 0 && !withReadModel.count(id) && !store.findRequest(id)) {
      report.breaks.push_back({id, seq, "the stream has events but its request row is missing"});
    }
  }
  return report;
}

}  // namespace a6::service
