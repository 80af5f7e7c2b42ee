// Identifiers for requests, attachments, events: a prefix and a ULID (time-ordered, so that
// "newest first" is "greatest id first" and cursors need no second column).
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "a6/core/Clock.h"

namespace a6 {

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  // Returns prefix + "_" + 26 Crockford base32 characters.
  virtual std::string next(const std::string& prefix) = 0;
};

// ULIDs from the injected clock and OpenSSL's random generator; monotonic within a millisecond.
class UlidGenerator final : public IdGenerator {
 public:
  explicit UlidGenerator(const Clock& clock);
  std::string next(const std::string& prefix) override;

 private:
  const Clock& clock_;
  std::mutex mutex_;
  long long lastMs_ = -1;
  unsigned char lastRandom_[10] = {};
};

// Deterministic ids for tests: prefix_000…001, prefix_000…002, …
class SequentialIdGenerator final : public IdGenerator {
 public:
  std::string next(const std::string& prefix) override;

 private:
  std::atomic<unsigned long long> counter_{0};
};

}  // namespace a6
