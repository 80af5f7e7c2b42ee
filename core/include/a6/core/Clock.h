// Time is injected everywhere so that tests can run a 30-day SLA in milliseconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace a6 {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
};

// A clock that moves only when told to; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start);
  TimePoint now() const override;
  void advance(std::chrono::milliseconds by);
  void set(TimePoint to);

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
};

// RFC 3339 UTC with milliseconds: 2025-01-31T12:00:00.000Z
std::string formatTimestamp(TimePoint t);
// Parses what formatTimestamp writes (and the same without milliseconds). Throws a6::Error.
TimePoint parseTimestamp(const std::string& text);

}  // namespace a6
