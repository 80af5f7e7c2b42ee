// Dates, numbers and the layout engine's own words in English, French and Spanish. Tables, not a
// locale library: the C++ and C locales on a server are unpredictable and not thread-local.
#include "a6/templates/Locale.h"

#include <array>
#include <charconv>
#include <string_view>

#include "a6/core/Error.h"

namespace a6::templates {

namespace {

enum class Lang { En, Fr, Es };

Lang langOf(const std::string& lang) {
  if (lang == "en") return Lang::En;
  if (lang == "fr") return Lang::Fr;
  if (lang == "es") return Lang::Es;
  throw Error(ErrorCode::Invalid, "language '" + lang + "' is not supported (en, fr, es)");
}

constexpr std::array<std::string_view, 12> kMonthsEn = {"January",   "February", "March",    "April",
                                                        "May",       "June",     "July",     "August",
                                                        "September", "October",  "November", "December"};
constexpr std::array<std::string_view, 12> kMonthsFr = {"janvier",   "février", "mars",     "avril",
                                                        "mai",       "juin",    "juillet",  "août",
                                                        "septembre", "octobre", "novembre", "décembre"};
constexpr std::array<std::string_view, 12> kMonthsEs = {"enero",      "febrero", "marzo",     "abril",
                                                        "mayo",       "junio",   "julio",     "agosto",
                                                        "septiembre", "octubre", "noviembre", "diciembre"};

// U+202F NARROW NO-BREAK SPACE: the French typographic thousands separator; it never breaks a line.
constexpr std::string_view kNarrowNoBreakSpace = "\xE2\x80\xAF";

int parseDigits(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return -1;
  return value;
}

bool isLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int daysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && isLeapYear(year) ? 29 : kDays[static_cast<size_t>(month - 1)];
}

}  // namespace

bool supportedLanguage(const std::string& lang) { return lang == "en" || lang == "fr" || lang == "es"; }

const std::vector<std::string>& supportedLanguages() {
  static const std::vector<std::string> kLanguages = {"en", "fr", "es"};
  return kLanguages;
}

std::string formatDate(const std::string& isoDate, const std::string& lang) {
  const Lang l = langOf(lang);
  // A time stamp is accepted for its date, so callers can pass a stored RFC 3339 value as it is.
  std::string_view date = isoDate;
  if (date.size() > 10 && (date[10] == 'T' || date[10] == 't' || date[10] == ' ')) date = date.substr(0, 10);
  const auto bad = [&] { return Error(ErrorCode::Invalid, "'" + isoDate + "' is not a date (YYYY-MM-DD)"); };
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') throw bad();
  const int year = parseDigits(date.substr(0, 4));
  const int month = parseDigits(date.substr(5, 2));
  const int day = parseDigits(date.substr(8, 2));
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw bad();

  const auto monthIndex = static_cast<size_t>(month - 1);
  const std::string yearText = std::to_string(year);
  switch (l) {
    case Lang::En:
      return std::to_string(day) + " " + std::string(kMonthsEn[monthIndex]) + " " + yearText;
    case Lang::Fr:
      // French writes the first day of a month as an ordinal: "1er mars".
      return (day == 1 ? std::string("1er") : std::to_string(day)) + " " + std::string(kMonthsFr[monthIndex]) + " " +
             yearText;
    case Lang::Es:
      return std::to_string(day) + " de " + std::string(kMonthsEs[monthIndex]) + " de " + yearText;
  }
  throw bad();
}

std::string formatNumber(long long value, const std::string& lang) {
  std::string_view separator;
  switch (langOf(lang)) {
    case Lang::En:
      separator = ",";
      break;
    case Lang::Fr:
      separator = kNarrowNoBreakSpace;
      break;
    case Lang::Es:
      separator = ".";
      break;
  }
  // Work on the magnitude as unsigned so that the most negative value has a positive counterpart.
  const bool negative = value < 0;
  unsigned long long magnitude =
      negative ? static_cast<unsigned long long>(-(value + 1)) + 1ULL : static_cast<unsigned long long>(value);
  const std::string digits = std::to_string(magnitude);
  std::string out;
  if (negative) out.push_back('-');
  const size_t lead = digits.size() % 3 == 0 ? 3 : digits.size() % 3;
  out.append(digits, 0, lead);
  for (size_t i = lead; i < digits.size(); i += 3) {
    out.append(separator);
    out.append(digits, i, 3);
  }
  return out;
}

std::string label(const std::string& key, const std::string& lang) {
  const Lang l = langOf(lang);
  const auto pick = [l](const char* en, const char* fr, const char* es) {
    return std::string(l == Lang::En ? en : l == Lang::Fr ? fr : es);
  };
  if (key == "reference") return pick("Reference", "Référence", "Referencia");
  if (key == "signature") return pick("Signature", "Signature", "Firma");
  if (key == "verification") {
    return pick("To check that this letter is authentic and still in force, scan the code or visit:",
                "Pour vérifier l’authenticité et la validité de cette lettre, scannez le code ou consultez :",
                "Para comprobar la autenticidad y la vigencia de esta carta, escanee el código o visite:");
  }
  throw Error(ErrorCode::Internal, "no label '" + key + "'");
}

std::string referenceLine(const std::string& reference, const std::string& lang) {
  // French sets a (no-break) space before a colon.
  return label("reference", lang) + (langOf(lang) == Lang::Fr ? "\u00A0: " : ": ") + reference;
}

std::string placeDateLine(const std::string& place, const std::string& date, const std::string& lang) {
  if (place.empty()) return date;
  if (date.empty()) return place;
  return place + (langOf(lang) == Lang::Fr ? ", le " : ", ") + date;
}

std::string pageOf(int page, int pages, const std::string& lang) {
  const std::string n = std::to_string(page);
  const std::string m = std::to_string(pages);
  switch (langOf(lang)) {
    case Lang::En:
      return "page " + n + " of " + m;
    case Lang::Fr:
      return "page " + n + " sur " + m;
    case Lang::Es:
      return "página " + n + " de " + m;
  }
  return n + "/" + m;
}

}  // namespace a6::templates
