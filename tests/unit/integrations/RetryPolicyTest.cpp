#include "a6/integrations/RetryPolicy.h"

#include <gtest/gtest.h>

namespace a6::integrations {

using namespace std::chrono;

TEST(RetryPolicyTest, CeilingGrowsExponentiallyAndIsCapped) {
  RetryPolicy p{seconds(1), seconds(60), 2.0, 20};
  auto top = [] { return 0.999999999; };
  EXPECT_EQ(*nextDelay(p, 1, top), milliseconds(999));
  EXPECT_EQ(*nextDelay(p, 2, top), milliseconds(1999));
  EXPECT_EQ(*nextDelay(p, 4, top), milliseconds(7999));
  EXPECT_EQ(*nextDelay(p, 10, top), milliseconds(59999));
}

TEST(RetryPolicyTest, JitterSpreadsTheDelay) {
  RetryPolicy p{seconds(10), hours(1), 2.0, 5};
  EXPECT_EQ(*nextDelay(p, 1, [] { return 0.0; }), milliseconds(0));
  EXPECT_EQ(*nextDelay(p, 1, [] { return 0.5; }), milliseconds(5000));
}

TEST(RetryPolicyTest, DeadLettersAfterMaxAttempts) {
  RetryPolicy p{seconds(1), seconds(60), 2.0, 3};
  auto r = [] { return 0.5; };
  EXPECT_TRUE(nextDelay(p, 2, r).has_value());
  EXPECT_FALSE(nextDelay(p, 3, r).has_value());
  EXPECT_FALSE(nextDelay(p, 4, r).has_value());
}

}  // namespace a6::integrations
