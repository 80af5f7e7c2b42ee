#include "a6/templates/Escape.h"

#include <gtest/gtest.h>

namespace a6::templates {

TEST(EscapeTest, EscapesTheFiveHtmlCharacters) { EXPECT_EQ(escapeHtml("& \" < > '"), "&amp; &quot; &lt; &gt; &#39;"); }

TEST(EscapeTest, LeavesOtherTextIncludingUtf8Alone) {
  EXPECT_EQ(escapeHtml("Côte d’Ivoire — République"), "Côte d’Ivoire — République");
  EXPECT_EQ(escapeHtml(""), "");
}

}  // namespace a6::templates
