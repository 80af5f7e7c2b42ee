#include "a6/core/IdGenerator.h"

#include <gtest/gtest.h>

#include <set>

namespace a6 {

using namespace std::chrono;

TEST(IdGeneratorTest, UlidsHavePrefixAndCrockfordBody) {
  ManualClock clock(sys_days{2025y / March / 1});
  UlidGenerator ids(clock);
  std::string id = ids.next("req");
  ASSERT_EQ(id.size(), 4u + 26u);
  EXPECT_EQ(id.substr(0, 4), "req_");
  for (char c : id.substr(4)) {
    EXPECT_NE(std::string("0123456789ABCDEFGHJKMNPQRSTVWXYZ").find(c), std::string::npos) << c;
  }
}

TEST(IdGeneratorTest, UlidsAreOrderedWithinAndAcrossMilliseconds) {
  ManualClock clock(sys_days{2025y / March / 1});
  UlidGenerator ids(clock);
  std::string prev = ids.next("x");
  std::set<std::string> seen{prev};
  for (int i = 0; i < 1000; ++i) {
    if (i % 100 == 0) clock.advance(milliseconds(1));
    std::string id = ids.next("x");
    EXPECT_LT(prev, id);
    EXPECT_TRUE(seen.insert(id).second);
    prev = id;
  }
}

TEST(IdGeneratorTest, TimePartEncodesTheClock) {
  ManualClock early(sys_days{2025y / March / 1});
  ManualClock late(sys_days{2025y / March / 2});
  UlidGenerator a(early), b(late);
  EXPECT_LT(a.next("x").substr(2, 10), b.next("x").substr(2, 10));
}

TEST(IdGeneratorTest, SequentialIdsAreDeterministic) {
  SequentialIdGenerator ids;
  EXPECT_EQ(ids.next("req"), "req_00000000000000000000000001");
  EXPECT_EQ(ids.next("att"), "att_00000000000000000000000002");
}

}  // namespace a6
