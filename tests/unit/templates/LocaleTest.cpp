// Dates, numbers and the layout engine's fixed words in English, French and Spanish.
#include "a6/templates/Locale.h"

#include <climits>

#include <gtest/gtest.h>

#include "a6/core/Error.h"

namespace a6::templates {
namespace {

TEST(LocaleTest, SupportsEnglishFrenchSpanishOnly) {
  EXPECT_TRUE(supportedLanguage("en"));
  EXPECT_TRUE(supportedLanguage("fr"));
  EXPECT_TRUE(supportedLanguage("es"));
  EXPECT_FALSE(supportedLanguage("de"));
  EXPECT_FALSE(supportedLanguage("EN"));
  EXPECT_FALSE(supportedLanguage(""));
  EXPECT_EQ(supportedLanguages(), (std::vector<std::string>{"en", "fr", "es"}));
}

TEST(LocaleTest, FormatsDatesAsEachLanguageWritesThem) {
  EXPECT_EQ(formatDate("2026-11-25", "en"), "25 November 2026");
  EXPECT_EQ(formatDate("2026-11-25", "fr"), "25 novembre 2026");
  EXPECT_EQ(formatDate("2026-11-25", "es"), "25 de noviembre de 2026");
  EXPECT_EQ(formatDate("2025-02-03", "fr"), "3 février 2025");
  EXPECT_EQ(formatDate("2025-08-09", "fr"), "9 août 2025");
  EXPECT_EQ(formatDate("2025-12-31", "fr"), "31 décembre 2025");
}

TEST(LocaleTest, FrenchWritesTheFirstOfTheMonthAsAnOrdinal) {
  EXPECT_EQ(formatDate("2026-03-01", "fr"), "1er mars 2026");
  EXPECT_EQ(formatDate("2026-03-01", "en"), "1 March 2026");
  EXPECT_EQ(formatDate("2026-03-01", "es"), "1 de marzo de 2026");
}

TEST(LocaleTest, AcceptsTheDateOfATimestamp) {
  EXPECT_EQ(formatDate("2026-11-25T14:03:00Z", "en"), "25 November 2026");
  EXPECT_EQ(formatDate("2026-11-25 14:03:00", "es"), "25 de noviembre de 2026");
}

TEST(LocaleTest, RefusesImpossibleOrMalformedDates) {
  for (const char* bad : {"2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-1-5", "26-11-25", "",
                          "2026/11/25", "2026-11-2x", "abcd-ef-gh"}) {
    EXPECT_THROW(formatDate(bad, "en"), Error) << bad;
  }
  EXPECT_EQ(formatDate("2024-02-29", "en"), "29 February 2024");  // leap year
  EXPECT_EQ(formatDate("2000-02-29", "en"), "29 February 2000");
  EXPECT_THROW(formatDate("1900-02-29", "en"), Error);
}

TEST(LocaleTest, RefusesUnsupportedLanguages) {
  try {
    formatDate("2026-11-25", "de");
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Invalid);
    EXPECT_NE(std::string(e.what()).find("'de'"), std::string::npos);
  }
  EXPECT_THROW(formatNumber(1, "pt"), Error);
  EXPECT_THROW(pageOf(1, 2, "it"), Error);
}

TEST(LocaleTest, GroupsDigitsByThree) {
  EXPECT_EQ(formatNumber(1500000, "en"), "1,500,000");
  EXPECT_EQ(formatNumber(1500000, "fr"), "1\u202F500\u202F000");
  EXPECT_EQ(formatNumber(1500000, "es"), "1.500.000");
  EXPECT_EQ(formatNumber(0, "en"), "0");
  EXPECT_EQ(formatNumber(999, "en"), "999");
  EXPECT_EQ(formatNumber(1000, "en"), "1,000");
  EXPECT_EQ(formatNumber(123456, "es"), "123.456");
  EXPECT_EQ(formatNumber(-1234567, "en"), "-1,234,567");
  EXPECT_EQ(formatNumber(LLONG_MIN, "en"), "-9,223,372,036,854,775,808");
  EXPECT_EQ(formatNumber(LLONG_MAX, "es"), "9.223.372.036.854.775.807");
}

TEST(LocaleTest, CountsPagesInTheLettersLanguage) {
  EXPECT_EQ(pageOf(2, 3, "en"), "page 2 of 3");
  EXPECT_EQ(pageOf(2, 3, "fr"), "page 2 sur 3");
  EXPECT_EQ(pageOf(2, 3, "es"), "página 2 de 3");
}

TEST(LocaleTest, WritesTheReferenceAndPlaceLines) {
  EXPECT_EQ(referenceLine("A6/2026/7", "en"), "Reference: A6/2026/7");
  EXPECT_EQ(referenceLine("A6/2026/7", "fr"), "Référence\u00A0: A6/2026/7");
  EXPECT_EQ(referenceLine("A6/2026/7", "es"), "Referencia: A6/2026/7");
  EXPECT_EQ(placeDateLine("Accra", "25 November 2026", "en"), "Accra, 25 November 2026");
  EXPECT_EQ(placeDateLine("Niamey", "25 novembre 2026", "fr"), "Niamey, le 25 novembre 2026");
  EXPECT_EQ(placeDateLine("Lima", "25 de noviembre de 2026", "es"), "Lima, 25 de noviembre de 2026");
  EXPECT_EQ(placeDateLine("", "25 November 2026", "en"), "25 November 2026");
  EXPECT_EQ(placeDateLine("Accra", "", "en"), "Accra");
}

TEST(LocaleTest, HasTheLabelsTheLayoutPrints) {
  EXPECT_EQ(label("signature", "es"), "Firma");
  EXPECT_EQ(label("reference", "fr"), "Référence");
  EXPECT_FALSE(label("verification", "en").empty());
  EXPECT_THROW(label("no-such-label", "en"), Error);
}

}  // namespace
}  // namespace a6::templates
