#include "a6/integrations/RetryPolicy.h"

#include <algorithm>
#include <cmath>

namespace a6::integrations {

std::optional<std::chrono::milliseconds> nextDelay(const RetryPolicy& policy, int failedAttempts,
                                                   const std::function<double()>& unitRandom) {
  if (failedAttempts >= policy.maxAttempts) return std::nullopt;
  int exponent = std::max(0, failedAttempts - 1);
  double ceiling = static_cast<double>(policy.initialDelay.count()) * std::pow(policy.multiplier, exponent);
  ceiling = std::min(ceiling, static_cast<double>(policy.maxDelay.count()));
  double r = std::clamp(unitRandom(), 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(std::floor(ceiling * r)));
}

}  // namespace a6::integrations
