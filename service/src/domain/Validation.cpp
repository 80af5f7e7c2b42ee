// Domain validation of an authorisation request. A Checker walks the request in contract order
// and collects one FieldError per broken rule, so the applicant sees everything to fix at once.
#include "a6/service/domain/Validation.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "a6/service/domain/CountryCodes.h"

namespace a6::service {
namespace {

constexpr std::size_t kShortText = 200;      // names, titles, references
constexpr std::size_t kLongText = 10000;     // descriptions, conditions, free explanations
constexpr std::size_t kMaxEmailBytes = 254;  // RFC 5321's limit on a forward path, less the <>
constexpr std::size_t kMaxListEntries = 50;
constexpr int kFirstVintage = 2021;  // the first year of the Paris Agreement's NDC period
constexpr int kLastVintage = 2100;
constexpr std::int64_t kMaxQuantity = 1'000'000'000'000;  // 10^12 t CO2e, far above any activity

constexpr std::string_view kPurposeNdcOnly = "NDC";
constexpr std::array<std::string_view, 7> kPurposes = {"NDC",          "OIMP",        "IMP",       "OP",
                                                       "NDC and OIMP", "NDC and IMP", "NDC and OP"};
constexpr std::array<std::string_view, 3> kFirstTransferDefinitions = {"Authorisation", "Issuance",
                                                                       "Use or Cancellation"};
constexpr std::string_view kMetricGhg = "GHG";
constexpr std::string_view kMetricNonGhg = "non-GHG";

// Decodes strict UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF): lengths are
// limited in characters as people count them, not in bytes, so "é" counts once.
std::optional<std::u32string> decodeUtf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    char32_t cp = 0;
    char32_t minimum = 0;
    if (lead < 0x80) {
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      cp = lead & 0x1F;
      minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      cp = lead & 0x0F;
      minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      cp = lead & 0x07;
      minimum = 0x10000;
    } else {
      return std::nullopt;
    }
    if (i + extra >= text.size()) return std::nullopt;  // a sequence cut short
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (next & 0x3F);
    }
    if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    out.push_back(cp);
    i += extra + 1;
  }
  return out;
}

template <typename List>
bool contains(const List& list, const auto& value) {
  return std::find(std::begin(list), std::end(list), value) != std::end(list);
}

// White space as Unicode defines it (plus the BOM): a title of no-break spaces is still blank.
bool isSpace(char32_t cp) {
  constexpr std::array<char32_t, 15> kSpaces = {U' ',   U'\t',  U'\n',  U'\r',  U'\f',  U'\v',  0x85,  0xA0,
                                                0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF};
  return (cp >= 0x2000 && cp <= 0x200A) || contains(kSpaces, cp);
}

bool isAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool isAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += i + 1 == values.size() ? " or " : ", ";
    out += values[i];
  }
  return out;
}

template <std::size_t N>
std::string joined(const std::array<std::string_view, N>& values) {
  return joined(std::vector<std::string>(values.begin(), values.end()));
}

class Checker {
 public:
  Checker(const ControlledLists& lists, Completeness mode) : lists_(lists), mode_(mode) {}

  std::vector<a6::FieldError> take() { return std::move(errors_); }

  bool submission() const { return mode_ == Completeness::Submission; }

  void add(std::string path, std::string code, std::string message) {
    errors_.push_back({std::move(path), std::move(code), std::move(message)});
  }

  // A text field: present, not blank, valid UTF-8 and within `maxLength` characters.
  // `required` means required for submission. Returns the value when further rules
  // (pattern, enum, order) should look at it, nullptr otherwise.
  const std::string* text(const std::optional<std::string>& value, const std::string& path, bool required,
                          std::size_t maxLength) {
    if (!value) {
      if (required && submission()) add(path, "required", "is required.");
      return nullptr;
    }
    const auto decoded = decodeUtf8(*value);
    if (!decoded) {
      add(path, "format", "must be valid UTF-8 text.");
      return nullptr;
    }
    if (std::all_of(decoded->begin(), decoded->end(), isSpace)) {
      if (required && submission()) {
        add(path, "required", "is required and must not be empty or only spaces.");
      } else {
        add(path, "length", "must not be empty or only spaces; leave it out instead.");
      }
      return nullptr;
    }
    if (decoded->size() > maxLength) {
      add(path, "length",
          "must be at most " + std::to_string(maxLength) + " characters long (it has " +
              std::to_string(decoded->size()) + ").");
      return nullptr;
    }
    return &*value;
  }

  // A text field that only certain other answers allow: refused whenever it is given at all.
  void notAllowed(const std::optional<std::string>& value, const std::string& path, const std::string& why) {
    if (value) add(path, "not_allowed", why);
  }

  template <std::size_t N>
  const std::string* oneOf(const std::optional<std::string>& value, const std::string& path, bool required,
                           const std::array<std::string_view, N>& allowed) {
    const std::string* v = text(value, path, required, kShortText);
    if (v && !contains(allowed, *v)) {
      add(path, "enum", "must be one of " + joined(allowed) + ".");
      return nullptr;
    }
    return v;
  }

  const std::string* inList(const std::optional<std::string>& value, const std::string& path, bool required,
                            const std::vector<std::string>& allowed, const std::string& what) {
    const std::string* v = text(value, path, required, kShortText);
    if (v && !contains(allowed, *v)) {
      add(path, "enum", "is not " + what + "; use one of " + joined(allowed) + ".");
      return nullptr;
    }
    return v;
  }

  void country(const std::optional<std::string>& value, const std::string& path, bool required) {
    const std::string* v = text(value, path, required, kShortText);
    if (!v) return;
    if (v->size() != 3 || !std::all_of(v->begin(), v->end(), isAsciiUpper)) {
      add(path, "pattern", "must be an ISO 3166-1 alpha-3 country code in capitals, e.g. GHA.");
    } else if (!isIsoAlpha3(*v)) {
      add(path, "enum", "is not an ISO 3166-1 alpha-3 country code.");
    }
  }

  const std::string* date(const std::optional<std::string>& value, const std::string& path, bool required) {
    const std::string* v = text(value, path, required, kShortText);
    if (v && !isIsoDate(*v)) {
      add(path, "format", "must be a calendar date written YYYY-MM-DD, e.g. 2025-01-31.");
      return nullptr;
    }
    return v;
  }

  // A from-to pair of dates; a reversed pair is reported on the end, where the fix usually is.
  void dateRange(const std::optional<std::string>& from, const std::optional<std::string>& to,
                 const std::string& fromPath, const std::string& toPath, bool required) {
    const std::string* f = date(from, fromPath, required);
    const std::string* t = date(to, toPath, required);
    // ISO dates compare correctly as strings.
    if (f && t && *t < *f) {
      add(toPath, "order", "must be on or after " + fromPath + " (" + *f + ").");
    }
  }

  std::optional<int> year(const std::optional<int>& value, const std::string& path, bool required) {
    if (!value) {
      if (required && submission()) add(path, "required", "is required.");
      return std::nullopt;
    }
    if (*value < kFirstVintage || *value > kLastVintage) {
      add(path, "range",
          "must be a year from " + std::to_string(kFirstVintage) + " to " + std::to_string(kLastVintage) + ".");
      return std::nullopt;
    }
    return value;
  }

  void quantity(const std::optional<std::int64_t>& value, const std::string& path, bool required) {
    if (!value) {
      if (required && submission()) add(path, "required", "is required.");
      return;
    }
    if (*value <= 0 || *value > kMaxQuantity) {
      add(path, "range", "must be a whole number of tonnes greater than 0 and at most 1000000000000.");
    }
  }

  // A list's size: false when it is too long for its entries to be worth checking one by one.
  bool listSize(std::size_t size, const std::string& path, bool requiredNonEmpty) {
    if (size > kMaxListEntries) {
      add(path, "length",
          "must have at most " + std::to_string(kMaxListEntries) + " entries (it has " + std::to_string(size) + ").");
      return false;
    }
    if (size == 0 && requiredNonEmpty && submission()) {
      add(path, "required", "must list at least one entry.");
    }
    return true;
  }

  // Entries of a list of strings, each judged by `entry`; a repeated entry is refused.
  template <typename EntryCheck>
  void stringList(const std::vector<std::string>& values, const std::string& path, bool requiredNonEmpty,
                  EntryCheck entry) {
    if (!listSize(values.size(), path, requiredNonEmpty)) return;
    for (std::size_t i = 0; i < values.size(); ++i) {
      const std::string itemPath = path + "[" + std::to_string(i) + "]";
      const auto first = std::find(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(i), values[i]);
      if (first != values.begin() + static_cast<std::ptrdiff_t>(i)) {
        add(itemPath, "duplicate",
            "repeats " + path + "[" + std::to_string(first - values.begin()) + "]; list each once.");
        continue;
      }
      entry(std::optional<std::string>(values[i]), itemPath);
    }
  }

  const ControlledLists& lists() const { return lists_; }

 private:
  const ControlledLists& lists_;
  Completeness mode_;
  std::vector<a6::FieldError> errors_;
};

void checkApplicant(Checker& c, const Applicant& a) {
  c.text(a.organisation, "applicant.organisation", true, kShortText);
  c.text(a.contactName, "applicant.contact_name", true, kShortText);
  const std::string* email = c.text(a.contactEmail, "applicant.contact_email", true, kMaxEmailBytes);
  if (email && !isValidEmail(*email)) {
    c.add("applicant.contact_email", "format", "must be an email address such as name@example.org, with no spaces.");
  }
}

void checkActivity(Checker& c, const Activity& a) {
  c.text(a.title, "activity.title", true, kShortText);
  c.text(a.description, "activity.description", true, kLongText);
  c.country(a.hostCountry, "activity.host_country", true);
  c.text(a.region, "activity.region", false, kShortText);
  c.stringList(a.sector, "activity.sector", true, [&c](const std::optional<std::string>& v, const std::string& path) {
    c.inList(v, path, false, c.lists().sectors, "a sector of the controlled list");
  });
  c.stringList(a.activityType, "activity.activity_type", true,
               [&c](const std::optional<std::string>& v, const std::string& path) {
                 c.inList(v, path, false, c.lists().activityTypes, "an activity type of the controlled list");
               });
  c.text(a.standard, "activity.standard", true, kShortText);
  c.text(a.methodology, "activity.methodology", true, kShortText);
  c.text(a.designDocumentRef, "activity.design_document_ref", false, kShortText);
  c.dateRange(a.creditingPeriod.from, a.creditingPeriod.to, "activity.crediting_period.from",
              "activity.crediting_period.to", true);
}

void checkEntities(Checker& c, const std::vector<AuthorisedEntity>& entities) {
  const std::string path = "authorisation.authorized_entities";
  if (!c.listSize(entities.size(), path, false)) return;
  for (std::size_t i = 0; i < entities.size(); ++i) {
    const AuthorisedEntity& e = entities[i];
    const std::string p = path + "[" + std::to_string(i) + "]";
    // An entity listed at all must say who it is, or the authorisation names nobody.
    c.text(e.name, p + ".name", true, kShortText);
    c.country(e.country, p + ".country", true);
    c.text(e.identificationNumber, p + ".identification_number", false, kShortText);
    c.text(e.conditions, p + ".conditions", false, kLongText);
    c.text(e.changeAndRevocationConditions, p + ".change_and_revocation_conditions", false, kLongText);
  }
}

void checkAuthorisation(Checker& c, const AuthorisationTerms& t) {
  const std::string* approach =
      c.text(t.cooperativeApproachId, "authorisation.cooperative_approach_id", true, kShortText);
  if (approach && !(approach->size() == 6 && approach->starts_with("CA") &&
                    std::all_of(approach->begin() + 2, approach->end(), isAsciiDigit))) {
    c.add("authorisation.cooperative_approach_id", "pattern", "must be CA followed by 4 digits, e.g. CA0042.");
  }
  c.quantity(t.requestedQuantity, "authorisation.requested_quantity", true);
  c.quantity(t.authorizedQuantity, "authorisation.authorized_quantity", false);

  // Metric decides which of gwp_values and non_ghg_* belong to the request.
  const std::string* metric =
      c.oneOf(t.metric, "authorisation.metric", true, std::array<std::string_view, 2>{kMetricGhg, kMetricNonGhg});
  const bool ghg = metric && *metric == kMetricGhg;
  const bool nonGhg = metric && *metric == kMetricNonGhg;
  if (nonGhg) {
    c.notAllowed(t.gwpValues, "authorisation.gwp_values",
                 "is only allowed when metric is GHG; leave it out for a non-GHG metric.");
  } else {
    c.inList(t.gwpValues, "authorisation.gwp_values", ghg, c.lists().gwpValues,
             "a GWP value set of the controlled list");
  }
  if (ghg) {
    const std::string why = "is only allowed when metric is non-GHG; leave it out for GHG.";
    c.notAllowed(t.nonGhgMetric, "authorisation.non_ghg_metric", why);
    c.notAllowed(t.nonGhgUnit, "authorisation.non_ghg_unit", why);
  } else {
    c.text(t.nonGhgMetric, "authorisation.non_ghg_metric", nonGhg, kShortText);
    c.text(t.nonGhgUnit, "authorisation.non_ghg_unit", nonGhg, kShortText);
  }

  // Purposes decide whether the OIMP fields belong: only uses beyond NDCs need them.
  const std::string* purposes = c.oneOf(t.purposes, "authorisation.purposes", true, kPurposes);
  const bool ndcOnly = purposes && *purposes == kPurposeNdcOnly;
  const bool oimp = purposes && !ndcOnly;
  if (ndcOnly) {
    const std::string why = "is only allowed when purposes include OIMP, IMP or OP; leave it out for NDC only.";
    c.notAllowed(t.oimpAuthorized, "authorisation.oimp_authorized", why);
    c.notAllowed(t.firstTransferDefinition, "authorisation.first_transfer_definition", why);
  } else {
    c.text(t.oimpAuthorized, "authorisation.oimp_authorized", oimp, kShortText);
    c.oneOf(t.firstTransferDefinition, "authorisation.first_transfer_definition", oimp, kFirstTransferDefinitions);
  }

  c.stringList(t.authorizedParties, "authorisation.authorized_parties", false,
               [&c](const std::optional<std::string>& v, const std::string& path) { c.country(v, path, false); });
  checkEntities(c, t.authorizedEntities);

  c.dateRange(t.timeframe.mitigationFrom, t.timeframe.mitigationTo, "authorisation.timeframe.mitigation_from",
              "authorisation.timeframe.mitigation_to", false);
  c.dateRange(t.timeframe.useFrom, t.timeframe.useTo, "authorisation.timeframe.use_from",
              "authorisation.timeframe.use_to", false);

  const auto from = c.year(t.vintages.from, "authorisation.vintages.from", true);
  const auto to = c.year(t.vintages.to, "authorisation.vintages.to", true);
  if (from && to && *to < *from) {
    c.add("authorisation.vintages.to", "order",
          "must not be before authorisation.vintages.from (" + std::to_string(*from) + ").");
  }

  c.inList(t.underlyingUnitRegistry, "authorisation.underlying_unit_registry", false, c.lists().registries,
           "a registry of the controlled list");
  c.text(t.termsAndConditions, "authorisation.terms_and_conditions", false, kLongText);
  c.text(t.additionalInformation, "authorisation.additional_information", false, kLongText);
}

}  // namespace

ControlledLists defaultControlledLists() {
  ControlledLists lists;
  // IPCC reporting categories, as the AEF's sector column uses them.
  lists.sectors = {"Energy", "Industrial processes and product use", "Agriculture", "LULUCF", "Waste", "Other"};
  lists.activityTypes = {"Renewable energy",
                         "Energy efficiency",
                         "Cookstoves",
                         "Fuel switch",
                         "Methane avoidance",
                         "Afforestation and reforestation",
                         "REDD+",
                         "Improved forest management",
                         "Blue carbon",
                         "Soil carbon",
                         "Biochar",
                         "Direct air capture",
                         "Carbon capture and storage",
                         "Industrial gases",
                         "Transport",
                         "Waste management",
                         "Water purification",
                         "Other"};
  // ARTICLE6.md's registry ids, and the Article 6.4 mechanism's own registry.
  lists.registries = {"VCS",       "GS",   "CAR",  "ACR",   "ART", "GCC", "Cercarbono",
                      "Isometric", "ISFL", "FCPF", "T-VER", "JCM", "PACM"};
  lists.gwpValues = {"AR4", "AR5", "AR6"};
  return lists;
}

std::vector<a6::FieldError> validateRequest(const RequestFields& r, const ControlledLists& lists, Completeness mode) {
  Checker checker(lists, mode);
  checkApplicant(checker, r.applicant);
  checkActivity(checker, r.activity);
  checkAuthorisation(checker, r.authorisation);
  return checker.take();
}

bool isIsoDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!isAsciiDigit(text[i])) return false;
  }
  const auto number = [&text](std::size_t at, std::size_t len) {
    int n = 0;
    for (std::size_t i = at; i < at + len; ++i) n = n * 10 + (text[i] - '0');
    return n;
  };
  const int year = number(0, 4);
  const int month = number(5, 2);
  const int day = number(8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int last = kDays[static_cast<std::size_t>(month - 1)] + (month == 2 && leap ? 1 : 0);
  return day <= last;
}

bool isValidEmail(std::string_view text) {
  if (text.empty() || text.size() > kMaxEmailBytes) return false;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) return false;  // spaces and control characters
  }
  const auto at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  const std::string_view local = text.substr(0, at);
  const std::string_view domain = text.substr(at + 1);
  if (local.empty() || domain.find('.') == std::string_view::npos) return false;
  // Every label of the domain must be there: no leading, trailing or doubled dot.
  return domain.front() != '.' && domain.back() != '.' && domain.find("..") == std::string_view::npos;
}

}  // namespace a6::service
