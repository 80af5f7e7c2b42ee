// Tests of the domain validation of an authorisation request: each rule refused with its exact
// field path and code, and a complete request accepted in both modes.
#include "a6/service/domain/Validation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "a6/service/domain/CountryCodes.h"

namespace a6::service {
namespace {

using PathCode = std::pair<std::string, std::string>;

RequestFields completeRequest() {
  RequestFields r;
  r.applicant.organisation = "Volta Cookstoves Ltd";
  r.applicant.contactName = "Ama Mensah";
  r.applicant.contactEmail = "ama.mensah@volta-cookstoves.example";

  r.activity.title = "Improved cookstoves in the Volta region";
  r.activity.description = "Distribution of efficient biomass cookstoves to 40,000 households.";
  r.activity.hostCountry = "GHA";
  r.activity.region = "Volta";
  r.activity.sector = {"Energy"};
  r.activity.activityType = {"Cookstoves"};
  r.activity.standard = "GS";
  r.activity.methodology = "TPDDTEC v3.1";
  r.activity.designDocumentRef = "GS11234 PDD v2";
  r.activity.creditingPeriod = {"2025-01-01", "2034-12-31"};

  AuthorisationTerms& t = r.authorisation;
  t.cooperativeApproachId = "CA0042";
  t.requestedQuantity = 2'000'000;
  t.authorizedQuantity = 1'500'000;
  t.metric = "GHG";
  t.gwpValues = "AR5";
  t.purposes = "NDC and OIMP";
  t.oimpAuthorized = "CORSIA";
  t.firstTransferDefinition = "Issuance";
  t.authorizedParties = {"CHE"};
  AuthorisedEntity entity;
  entity.name = "Klik Foundation";
  entity.country = "CHE";
  entity.identificationNumber = "CHE-123.456.789";
  entity.conditions = "Transfers only into the Swiss national registry.";
  entity.changeAndRevocationConditions = "Revocable only for fraud, with 90 days' notice.";
  t.authorizedEntities = {entity};
  t.timeframe.mitigationFrom = "2025-01-01";
  t.timeframe.mitigationTo = "2030-12-31";
  t.vintages = {2025, 2030};
  t.underlyingUnitRegistry = "GS";
  t.termsAndConditions = "Corresponding adjustments are applied on first transfer.";
  t.additionalInformation = "None.";
  return r;
}

std::vector<PathCode> pathsAndCodes(const std::vector<a6::FieldError>& errors) {
  std::vector<PathCode> out;
  for (const auto& e : errors) out.emplace_back(e.path, e.code);
  return out;
}

std::vector<PathCode> check(const RequestFields& r, Completeness mode = Completeness::Submission) {
  return pathsAndCodes(validateRequest(r, defaultControlledLists(), mode));
}

bool has(const std::vector<PathCode>& errors, const std::string& path, const std::string& code) {
  return std::find(errors.begin(), errors.end(), PathCode{path, code}) != errors.end();
}

std::string repeat(const std::string& unit, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += unit;
  return out;
}

TEST(ValidationTest, CompleteRequestPassesInBothModes) {
  EXPECT_EQ(check(completeRequest(), Completeness::Submission), std::vector<PathCode>{});
  EXPECT_EQ(check(completeRequest(), Completeness::Draft), std::vector<PathCode>{});
}

TEST(ValidationTest, DraftAcceptsNearlyEmptyRequest) {
  RequestFields r;
  r.activity.title = "Cookstoves";
  EXPECT_EQ(check(r, Completeness::Draft), std::vector<PathCode>{});
  EXPECT_EQ(check(RequestFields{}, Completeness::Draft), std::vector<PathCode>{});
}

TEST(ValidationTest, SubmissionRequiresEveryFieldOfACompleteRequest) {
  const std::vector<PathCode> expected = {
      {"applicant.organisation", "required"},
      {"applicant.contact_name", "required"},
      {"applicant.contact_email", "required"},
      {"activity.title", "required"},
      {"activity.description", "required"},
      {"activity.host_country", "required"},
      {"activity.sector", "required"},
      {"activity.activity_type", "required"},
      {"activity.standard", "required"},
      {"activity.methodology", "required"},
      {"activity.crediting_period.from", "required"},
      {"activity.crediting_period.to", "required"},
      {"authorisation.cooperative_approach_id", "required"},
      {"authorisation.requested_quantity", "required"},
      {"authorisation.metric", "required"},
      {"authorisation.purposes", "required"},
      {"authorisation.vintages.from", "required"},
      {"authorisation.vintages.to", "required"},
  };
  EXPECT_EQ(check(RequestFields{}, Completeness::Submission), expected);
}

TEST(ValidationTest, ErrorsCarryFullSentenceMessages) {
  RequestFields r = completeRequest();
  r.authorisation.cooperativeApproachId = "CA42";
  const auto errors = validateRequest(r, defaultControlledLists(), Completeness::Draft);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "authorisation.cooperative_approach_id");
  EXPECT_EQ(errors[0].code, "pattern");
  EXPECT_EQ(errors[0].message, "must be CA followed by 4 digits, e.g. CA0042.");
}

TEST(ValidationTest, CooperativeApproachIdMustBeCaFollowedByFourDigits) {
  for (const char* bad : {"CA42", "ca0042", "CA00421", "CX0042", "CA 0042", "CA004a"}) {
    RequestFields r = completeRequest();
    r.authorisation.cooperativeApproachId = bad;
    EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.cooperative_approach_id", "pattern"}})) << bad;
  }
  RequestFields r = completeRequest();
  r.authorisation.cooperativeApproachId = "CA0001";
  EXPECT_TRUE(check(r).empty());
}

TEST(ValidationTest, HostCountryMustBeUppercaseIsoAlpha3) {
  RequestFields r = completeRequest();
  r.activity.hostCountry = "gha";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"activity.host_country", "pattern"}}));
  r.activity.hostCountry = "GH";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"activity.host_country", "pattern"}}));
  r.activity.hostCountry = "XYZ";  // the right shape, but no such country
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"activity.host_country", "enum"}}));
}

TEST(ValidationTest, CountryCodeListIsTheIsoList) {
  EXPECT_TRUE(isIsoAlpha3("GHA"));
  EXPECT_TRUE(isIsoAlpha3("CHE"));
  EXPECT_TRUE(isIsoAlpha3("ABW"));  // first of the sorted list
  EXPECT_TRUE(isIsoAlpha3("ZWE"));  // last
  EXPECT_FALSE(isIsoAlpha3("gha"));
  EXPECT_FALSE(isIsoAlpha3("XYZ"));
  EXPECT_FALSE(isIsoAlpha3("GH"));
  EXPECT_FALSE(isIsoAlpha3(""));
}

TEST(ValidationTest, AuthorisedEntityCountryIsCheckedWithIndexedPath) {
  RequestFields r = completeRequest();
  AuthorisedEntity second;
  second.name = "Nordic Carbon AS";
  second.country = "NOX";
  r.authorisation.authorizedEntities.push_back(second);
  EXPECT_EQ(check(r, Completeness::Draft),
            (std::vector<PathCode>{{"authorisation.authorized_entities[1].country", "enum"}}));
}

TEST(ValidationTest, AuthorisedEntityNeedsNameAndCountryForSubmission) {
  RequestFields r = completeRequest();
  r.authorisation.authorizedEntities.push_back(AuthorisedEntity{});
  EXPECT_EQ(check(r, Completeness::Submission),
            (std::vector<PathCode>{{"authorisation.authorized_entities[1].name", "required"},
                                   {"authorisation.authorized_entities[1].country", "required"}}));
  EXPECT_TRUE(check(r, Completeness::Draft).empty());
}

TEST(ValidationTest, AuthorisedPartiesMustBeIsoAlpha3) {
  RequestFields r = completeRequest();
  r.authorisation.authorizedParties = {"CHE", "che", "QQQ"};
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.authorized_parties[1]", "pattern"},
                                             {"authorisation.authorized_parties[2]", "enum"}}));
}

TEST(ValidationTest, AuthorisedPartiesDuplicatesRefused) {
  RequestFields r = completeRequest();
  r.authorisation.authorizedParties = {"CHE", "JPN", "CHE"};
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.authorized_parties[2]", "duplicate"}}));
}

TEST(ValidationTest, NoAuthorisedPartiesMeansAnyPartyAndIsAccepted) {
  RequestFields r = completeRequest();
  r.authorisation.authorizedParties.clear();
  r.authorisation.authorizedEntities.clear();
  EXPECT_TRUE(check(r).empty());
}

TEST(ValidationTest, PurposesMustBeOneOfTheSevenAefValues) {
  RequestFields r = completeRequest();
  for (const char* ok : {"OIMP", "IMP", "OP", "NDC and OIMP", "NDC and IMP", "NDC and OP"}) {
    r.authorisation.purposes = ok;
    EXPECT_TRUE(check(r).empty()) << ok;
  }
  r.authorisation.purposes = "CORSIA";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.purposes", "enum"}}));
  r.authorisation.purposes = "ndc";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.purposes", "enum"}}));
}

TEST(ValidationTest, FirstTransferDefinitionRequiredExactlyWhenPurposesIncludeOimpImpOrOp) {
  for (const char* purposes : {"NDC", "OIMP", "IMP", "OP", "NDC and OIMP", "NDC and IMP", "NDC and OP"}) {
    const bool beyondNdc = std::string(purposes) != "NDC";
    RequestFields r = completeRequest();
    r.authorisation.purposes = purposes;
    r.authorisation.oimpAuthorized = beyondNdc ? std::optional<std::string>("CORSIA") : std::nullopt;
    r.authorisation.firstTransferDefinition.reset();
    const auto missing = check(r);
    EXPECT_EQ(has(missing, "authorisation.first_transfer_definition", "required"), beyondNdc) << purposes;

    r.authorisation.firstTransferDefinition = "Authorisation";
    const auto given = check(r);
    EXPECT_EQ(has(given, "authorisation.first_transfer_definition", "not_allowed"), !beyondNdc) << purposes;
    EXPECT_EQ(given.size(), beyondNdc ? 0u : 1u) << purposes;
  }
}

TEST(ValidationTest, FirstTransferDefinitionNotAllowedForNdcOnlyEvenInDraft) {
  RequestFields r;
  r.authorisation.purposes = "NDC";
  r.authorisation.firstTransferDefinition = "Issuance";
  EXPECT_EQ(check(r, Completeness::Draft),
            (std::vector<PathCode>{{"authorisation.first_transfer_definition", "not_allowed"}}));
}

TEST(ValidationTest, FirstTransferDefinitionMustBeOneOfThreeValues) {
  RequestFields r = completeRequest();
  for (const char* ok : {"Authorisation", "Issuance", "Use or Cancellation"}) {
    r.authorisation.firstTransferDefinition = ok;
    EXPECT_TRUE(check(r).empty()) << ok;
  }
  r.authorisation.firstTransferDefinition = "Transfer";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.first_transfer_definition", "enum"}}));
}

TEST(ValidationTest, OimpAuthorizedRequiredForOimpPurposesAndNotAllowedForNdcOnly) {
  RequestFields r = completeRequest();
  r.authorisation.oimpAuthorized.reset();
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.oimp_authorized", "required"}}));
  EXPECT_TRUE(check(r, Completeness::Draft).empty());

  r = completeRequest();
  r.authorisation.purposes = "NDC";
  r.authorisation.firstTransferDefinition.reset();
  EXPECT_EQ(check(r, Completeness::Draft), (std::vector<PathCode>{{"authorisation.oimp_authorized", "not_allowed"}}));
}

TEST(ValidationTest, MetricMustBeGhgOrNonGhg) {
  RequestFields r = completeRequest();
  r.authorisation.metric = "ghg";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.metric", "enum"}}));
}

TEST(ValidationTest, GhgMetricRequiresGwpValuesAndRefusesNonGhgFields) {
  RequestFields r = completeRequest();
  r.authorisation.gwpValues.reset();
  r.authorisation.nonGhgMetric = "MWh";
  r.authorisation.nonGhgUnit = "MWh";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.gwp_values", "required"},
                                             {"authorisation.non_ghg_metric", "not_allowed"},
                                             {"authorisation.non_ghg_unit", "not_allowed"}}));
}

TEST(ValidationTest, NonGhgMetricRequiresMetricAndUnitAndRefusesGwpValues) {
  RequestFields r = completeRequest();
  r.authorisation.metric = "non-GHG";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.gwp_values", "not_allowed"},
                                             {"authorisation.non_ghg_metric", "required"},
                                             {"authorisation.non_ghg_unit", "required"}}));
  r.authorisation.gwpValues.reset();
  r.authorisation.nonGhgMetric = "Renewable electricity generated";
  r.authorisation.nonGhgUnit = "MWh";
  EXPECT_TRUE(check(r).empty());
}

TEST(ValidationTest, GwpValuesMustBeInControlledList) {
  RequestFields r = completeRequest();
  r.authorisation.gwpValues = "AR3";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.gwp_values", "enum"}}));
}

TEST(ValidationTest, SectorAndActivityTypeEntriesMustBeInControlledLists) {
  RequestFields r = completeRequest();
  r.activity.sector = {"Energy", "Mining"};
  r.activity.activityType = {"Crypto mining", "Cookstoves"};
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"activity.sector[1]", "enum"}, {"activity.activity_type[0]", "enum"}}));
}

TEST(ValidationTest, SectorRepeatedIsRefused) {
  RequestFields r = completeRequest();
  r.activity.sector = {"Energy", "Waste", "Energy"};
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"activity.sector[2]", "duplicate"}}));
}

TEST(ValidationTest, ControlledListsComeFromConfiguration) {
  RequestFields r = completeRequest();
  r.activity.sector = {"Mining"};
  ControlledLists lists = defaultControlledLists();
  EXPECT_FALSE(validateRequest(r, lists, Completeness::Submission).empty());
  lists.sectors.push_back("Mining");
  EXPECT_TRUE(validateRequest(r, lists, Completeness::Submission).empty());
}

TEST(ValidationTest, UnderlyingUnitRegistryMustBeInControlledList) {
  RequestFields r = completeRequest();
  for (const char* ok :
       {"VCS", "GS", "CAR", "ACR", "ART", "GCC", "Cercarbono", "Isometric", "ISFL", "FCPF", "T-VER", "JCM", "PACM"}) {
    r.authorisation.underlyingUnitRegistry = ok;
    EXPECT_TRUE(check(r).empty()) << ok;
  }
  r.authorisation.underlyingUnitRegistry = "Verra";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.underlying_unit_registry", "enum"}}));
}

TEST(ValidationTest, IsoDateAcceptsOnlyRealCalendarDates) {
  EXPECT_TRUE(isIsoDate("2025-01-31"));
  EXPECT_TRUE(isIsoDate("2024-02-29"));   // leap year
  EXPECT_TRUE(isIsoDate("2000-02-29"));   // divisible by 400
  EXPECT_FALSE(isIsoDate("2023-02-29"));  // not a leap year
  EXPECT_FALSE(isIsoDate("2100-02-29"));  // divisible by 100, not 400
  EXPECT_FALSE(isIsoDate("2025-04-31"));
  EXPECT_FALSE(isIsoDate("2025-13-01"));
  EXPECT_FALSE(isIsoDate("2025-00-10"));
  EXPECT_FALSE(isIsoDate("2025-01-00"));
  EXPECT_FALSE(isIsoDate("2025-1-01"));
  EXPECT_FALSE(isIsoDate("2025/01/01"));
  EXPECT_FALSE(isIsoDate("2025-01-01T00:00:00Z"));
  EXPECT_FALSE(isIsoDate(""));
}

TEST(ValidationTest, DatesMustBeIsoCalendarDates) {
  RequestFields r = completeRequest();
  r.activity.creditingPeriod.from = "2025-02-30";
  r.authorisation.timeframe.useFrom = "01/01/2026";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"activity.crediting_period.from", "format"},
                                             {"authorisation.timeframe.use_from", "format"}}));
}

TEST(ValidationTest, ReversedDatePairsAreOrderErrorsOnTheEndDate) {
  RequestFields r = completeRequest();
  r.activity.creditingPeriod = {"2034-12-31", "2025-01-01"};
  r.authorisation.timeframe.mitigationFrom = "2030-01-01";
  r.authorisation.timeframe.mitigationTo = "2029-12-31";
  r.authorisation.timeframe.useFrom = "2031-01-02";
  r.authorisation.timeframe.useTo = "2031-01-01";
  EXPECT_EQ(check(r, Completeness::Draft), (std::vector<PathCode>{{"activity.crediting_period.to", "order"},
                                                                  {"authorisation.timeframe.mitigation_to", "order"},
                                                                  {"authorisation.timeframe.use_to", "order"}}));
  r.activity.creditingPeriod = {"2025-01-01", "2025-01-01"};  // one day is a valid period
  EXPECT_FALSE(has(check(r), "activity.crediting_period.to", "order"));
}

TEST(ValidationTest, VintagesMustBeFrom2021To2100InOrder) {
  RequestFields r = completeRequest();
  r.authorisation.vintages = {2021, 2100};
  EXPECT_TRUE(check(r).empty());
  r.authorisation.vintages = {2020, 2101};
  EXPECT_EQ(check(r),
            (std::vector<PathCode>{{"authorisation.vintages.from", "range"}, {"authorisation.vintages.to", "range"}}));
  r.authorisation.vintages = {2030, 2025};
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.vintages.to", "order"}}));
}

TEST(ValidationTest, QuantitiesMustBePositiveAndAtMostTenToTheTwelve) {
  RequestFields r = completeRequest();
  r.authorisation.requestedQuantity = 0;
  r.authorisation.authorizedQuantity = 1'000'000'000'001;
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.requested_quantity", "range"},
                                             {"authorisation.authorized_quantity", "range"}}));
  r.authorisation.requestedQuantity = -5;
  r.authorisation.authorizedQuantity = 1'000'000'000'000;
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"authorisation.requested_quantity", "range"}}));
}

TEST(ValidationTest, AuthorisedQuantityMayExceedRequestedQuantity) {
  RequestFields r = completeRequest();
  r.authorisation.requestedQuantity = 1000;
  r.authorisation.authorizedQuantity = 5000;
  EXPECT_TRUE(check(r).empty());
}

TEST(ValidationTest, IsValidEmailAcceptsPlausibleAddressesOnly) {
  EXPECT_TRUE(isValidEmail("ama@volta.example"));
  EXPECT_TRUE(isValidEmail("first.last+a6@mail.gov.gh"));
  EXPECT_FALSE(isValidEmail("ama@volta"));  // no dot in the domain
  EXPECT_FALSE(isValidEmail("ama volta@x.org"));
  EXPECT_FALSE(isValidEmail("ama@@x.org"));
  EXPECT_FALSE(isValidEmail("a@b@x.org"));
  EXPECT_FALSE(isValidEmail("@x.org"));
  EXPECT_FALSE(isValidEmail("ama@"));
  EXPECT_FALSE(isValidEmail("ama@.org"));
  EXPECT_FALSE(isValidEmail("ama@x.org."));
  EXPECT_FALSE(isValidEmail("ama@x..org"));
  EXPECT_FALSE(isValidEmail(""));
  const std::string domain = "@example.org";
  EXPECT_TRUE(isValidEmail(std::string(254 - domain.size(), 'a') + domain));
  EXPECT_FALSE(isValidEmail(std::string(255 - domain.size(), 'a') + domain));
}

TEST(ValidationTest, ContactEmailMustBePlausible) {
  RequestFields r = completeRequest();
  r.applicant.contactEmail = "ama at volta.example";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"applicant.contact_email", "format"}}));
}

TEST(ValidationTest, TextLengthIsCountedInCodePointsNotBytes) {
  RequestFields r = completeRequest();
  r.activity.title = repeat("é", 200);  // 400 bytes, 200 characters
  EXPECT_TRUE(check(r).empty());
  r.activity.title = repeat("é", 201);
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"activity.title", "length"}}));
}

TEST(ValidationTest, LongTextFieldsAllowTenThousandCharacters) {
  RequestFields r = completeRequest();
  r.activity.description = std::string(10000, 'x');
  r.authorisation.termsAndConditions = repeat("€", 10000);
  EXPECT_TRUE(check(r).empty());
  r.activity.description = std::string(10001, 'x');
  r.authorisation.authorizedEntities[0].changeAndRevocationConditions = std::string(10001, 'x');
  EXPECT_EQ(check(r), (std::vector<PathCode>{
                          {"activity.description", "length"},
                          {"authorisation.authorized_entities[0].change_and_revocation_conditions", "length"}}));
}

TEST(ValidationTest, ShortTextFieldsAllowTwoHundredCharacters) {
  RequestFields r = completeRequest();
  r.applicant.organisation = std::string(201, 'o');
  r.activity.methodology = std::string(201, 'm');
  r.authorisation.oimpAuthorized = std::string(201, 'c');
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"applicant.organisation", "length"},
                                             {"activity.methodology", "length"},
                                             {"authorisation.oimp_authorized", "length"}}));
}

TEST(ValidationTest, BlankTextIsRequiredForSubmissionAndTooShortInDraft) {
  RequestFields r = completeRequest();
  r.activity.title = "   \t";
  r.applicant.organisation = "";
  EXPECT_EQ(check(r, Completeness::Submission),
            (std::vector<PathCode>{{"applicant.organisation", "required"}, {"activity.title", "required"}}));
  EXPECT_EQ(check(r, Completeness::Draft),
            (std::vector<PathCode>{{"applicant.organisation", "length"}, {"activity.title", "length"}}));
  const auto draft = validateRequest(r, defaultControlledLists(), Completeness::Draft);
  ASSERT_FALSE(draft.empty());
  EXPECT_NE(draft[0].message.find("must not be empty"), std::string::npos);
}

TEST(ValidationTest, UnicodeSpacesAloneAreBlank) {
  RequestFields r = completeRequest();
  r.activity.region = "\u00A0\u2003\u3000";  // no-break, em and ideographic spaces
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"activity.region", "length"}}));
}

TEST(ValidationTest, InvalidUtf8IsAFormatError) {
  RequestFields r = completeRequest();
  r.activity.region = std::string("Volta\xC3", 6);  // a sequence cut short
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"activity.region", "format"}}));
  r.activity.region = "\xC0\xAF";  // overlong encoding of '/'
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"activity.region", "format"}}));
}

TEST(ValidationTest, ListsHoldAtMostFiftyEntries) {
  RequestFields r = completeRequest();
  std::vector<std::string> parties;
  std::vector<AuthorisedEntity> entities;
  for (int i = 0; i < 51; ++i) {
    parties.push_back("CHE");  // too many is reported before the repeats
    entities.push_back(r.authorisation.authorizedEntities[0]);
  }
  r.authorisation.authorizedParties = parties;
  r.authorisation.authorizedEntities = entities;
  r.activity.sector = std::vector<std::string>(51, "Energy");
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"activity.sector", "length"},
                                             {"authorisation.authorized_parties", "length"},
                                             {"authorisation.authorized_entities", "length"}}));
  entities.pop_back();
  r.authorisation.authorizedEntities = entities;
  EXPECT_FALSE(has(check(r), "authorisation.authorized_entities", "length"));
}

TEST(ValidationTest, SeveralErrorsAreReportedAtOnce) {
  RequestFields r = completeRequest();
  r.applicant.contactEmail = "nobody";
  r.activity.hostCountry = "Ghana";
  r.authorisation.cooperativeApproachId = "42";
  r.authorisation.vintages.to = 2200;
  r.authorisation.authorizedEntities[0].country = "ch";
  EXPECT_EQ(check(r), (std::vector<PathCode>{{"applicant.contact_email", "format"},
                                             {"activity.host_country", "pattern"},
                                             {"authorisation.cooperative_approach_id", "pattern"},
                                             {"authorisation.authorized_entities[0].country", "pattern"},
                                             {"authorisation.vintages.to", "range"}}));
}

}  // namespace
}  // namespace a6::service
