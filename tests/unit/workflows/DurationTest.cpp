#include "a6/workflows/Duration.h"

#include <gtest/gtest.h>

#include "a6/core/Error.h"

namespace a6::workflows {

using namespace std::chrono;

TEST(DurationTest, ParsesDaysWeeksAndTimes) {
  EXPECT_EQ(parseDuration("P30D"), days(30));
  EXPECT_EQ(parseDuration("P2W"), days(14));
  EXPECT_EQ(parseDuration("PT12H"), hours(12));
  EXPECT_EQ(parseDuration("P1DT2H30M15S"), days(1) + hours(2) + minutes(30) + seconds(15));
  EXPECT_EQ(parseDuration("PT90M"), minutes(90));
}

TEST(DurationTest, RefusesCalendarUnitsAndMalformedText) {
  for (const char* bad :
       {"", "P", "PT", "30D", "P1M", "P1Y", "P1D2H", "PT1D", "P1H", "PD", "P0D", "P1DT", "P1S", "PT1S2M", "P1D1D"}) {
    EXPECT_THROW(parseDuration(bad), Error) << bad;
  }
}

TEST(DurationTest, FormatRoundTrips) {
  for (const char* text : {"P30D", "PT12H", "P1DT2H30M15S", "PT45S"}) {
    EXPECT_EQ(formatDuration(parseDuration(text)), text);
  }
}

}  // namespace a6::workflows
