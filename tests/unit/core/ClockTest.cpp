#include "a6/core/Clock.h"

#include <gtest/gtest.h>

#include "a6/core/Error.h"

namespace a6 {

using namespace std::chrono;

TEST(ClockTest, FormatsAndParsesRfc3339) {
  TimePoint t = sys_days{2025y / January / 31} + 13h + 5min + 9s + 42ms;
  EXPECT_EQ(formatTimestamp(t), "2025-01-31T13:05:09.042Z");
  EXPECT_EQ(parseTimestamp("2025-01-31T13:05:09.042Z"), t);
  EXPECT_EQ(parseTimestamp("2025-01-31T13:05:09Z"), t - 42ms);
}

TEST(ClockTest, RejectsMalformedTimestamps) {
  EXPECT_THROW(parseTimestamp("2025-02-30T00:00:00Z"), Error);
  EXPECT_THROW(parseTimestamp("2025-01-31 13:05:09Z"), Error);
  EXPECT_THROW(parseTimestamp("2025-01-31T13:05:09+01:00"), Error);
  EXPECT_THROW(parseTimestamp("2025-01-31T25:00:00Z"), Error);
}

TEST(ClockTest, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(sys_days{2030y / June / 1});
  auto start = clock.now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(days(30));
  EXPECT_EQ(clock.now() - start, days(30));
}

}  // namespace a6
