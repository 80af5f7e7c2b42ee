// When to try a delivery again: exponential backoff with full jitter, capped, and a limit on
// attempts after which the message is dead-lettered.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

namespace a6::integrations {

struct RetryPolicy {
  std::chrono::milliseconds initialDelay{1000};
  std::chrono::milliseconds maxDelay{std::chrono::hours(1)};
  double multiplier = 2.0;
  int maxAttempts = 10;
};

// The delay before attempt number `failedAttempts + 1`, or nothing when the message is to be
// dead-lettered. `unitRandom` returns a number in [0, 1); the delay is uniform in
// [0, min(maxDelay, initialDelay * multiplier^(failedAttempts-1))] (full jitter).
std::optional<std::chrono::milliseconds> nextDelay(const RetryPolicy& policy, int failedAttempts,
                                                   const std::function<double()>& unitRandom);

}  // namespace a6::integrations
