#include "a6/core/Error.h"

#include <gtest/gtest.h>

#include <set>

namespace a6 {

TEST(ErrorTest, CarriesCodeMessageAndFieldErrors) {
  Error e(ErrorCode::Invalid, "bad request", {{"activity.title", "required", "is required"}});
  EXPECT_EQ(e.code(), ErrorCode::Invalid);
  EXPECT_STREQ(e.what(), "bad request");
  ASSERT_EQ(e.fieldErrors().size(), 1u);
  EXPECT_EQ(e.fieldErrors()[0].path, "activity.title");
  EXPECT_STREQ(toString(e.code()), "validation");
}

TEST(ErrorTest, SourceErrorNamesFileAndLine) {
  SourceError e(ErrorCode::Definition, "defs/x.xml", 12, "unknown role 'minister'");
  EXPECT_STREQ(e.what(), "defs/x.xml:12: unknown role 'minister'");
  EXPECT_EQ(e.line(), 12);
  EXPECT_EQ(e.file(), "defs/x.xml");
}

TEST(ErrorTest, EveryCodeHasADistinctName) {
  std::set<std::string> names;
  for (int c = 0; c <= static_cast<int>(ErrorCode::Internal); ++c) {
    names.insert(toString(static_cast<ErrorCode>(c)));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(ErrorCode::Internal) + 1);
}

}  // namespace a6
