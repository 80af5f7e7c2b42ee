// UNFCCC messages: builders produce schema-valid XML (checked by our validator and by the xmllint
// command line), refuse invalid input at the source, and round-trip through the parsers; the
// shipped examples validate; the embedded schemas are byte for byte the published files.
#include "a6/integrations/unfccc/Messages.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "a6/core/Error.h"
#include "a6/integrations/unfccc/Schemas.h"

namespace a6::integrations::unfccc {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = A6_SOURCE_DIR;
const fs::path kSchemas = kSource / "integrations/unfccc/schemas";
const fs::path kExamples = kSource / "integrations/unfccc/examples";

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "a6-unfccc-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct CommandResult {
  int exitCode = -1;
  std::string output;
};

CommandResult run(const std::string& command, const fs::path& outputFile) {
  int rc = std::system((command + " > '" + outputFile.string() + "' 2>&1").c_str());
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, readFile(outputFile)};
}

// --- sample values: the Ghana–Switzerland cookstove authorisation of the examples ----------------

AuthorisedEntity volta() {
  AuthorisedEntity e;
  e.entityId = "GHA-A62-2025-0007-E1";
  e.name = "Volta Clean Cooking Ltd";
  e.countryOfIncorporation = "GHA";
  e.identificationNumber = "CS098765432";
  e.cooperativeApproachId = "CA0042";
  e.dateOfAuthorisation = "2025-03-12";
  e.conditions = "Transfers only to accounts of the authorised acquiring entity in the Swiss registry.";
  e.changeAndRevocationConditions =
      "The Ministry may change or revoke this authorisation after 60 days' written notice if the entity breaches "
      "the conditions above; ITMOs already first-transferred are not affected.";
  return e;
}

AuthorisedEntity helvetia() {
  AuthorisedEntity e;
  e.entityId = "GHA-A62-2025-0007-E2";
  e.name = "Helvetia Climate Foundation";
  e.countryOfIncorporation = "CHE";
  e.identificationNumber = "CHE-123.456.789";
  e.cooperativeApproachId = "CA0042";
  e.dateOfAuthorisation = "2025-03-12";
  e.changeAndRevocationConditions = "As for the transferring entity.";
  return e;
}

Authorisation fullAuthorisation() {
  Authorisation a;
  a.authorisationId = "GHA-A62-2025-0007";
  a.dateOfAuthorisation = "2025-03-12";
  a.cooperativeApproachId = "CA0042";
  a.version = 1;
  a.authorisedQuantity = 1500000;
  a.metric = "GHG";
  a.gwpValues = "AR5";
  a.sectors = {"Energy"};
  a.activityTypes = {"Cookstoves"};
  a.purposes = "NDC and OIMP";
  a.authorisedParties = {"CHE"};
  a.authorisedEntities = {volta(), helvetia()};
  a.oimpAuthorisedByTheParty = "CORSIA";
  a.timeframe = AuthorisedTimeframe{Period{"2025-01-01", "2030-12-31"}, std::nullopt};
  a.termsAndConditions = "Ghana applies corresponding adjustments for every ITMO first transferred.";
  a.firstTransferDefinition = "Issuance";
  a.additionalInformation =
      "Distribution of 120 000 improved cookstoves in the Northern, Savannah and Upper East regions.";
  return a;
}

AuthorisationNotice fullNotice() {
  AuthorisationNotice n;
  n.messageId = "msg_01JPB6X0Q8T3H4V2M5N7R9K1ZC";
  n.sendingParty = "GHA";
  n.createdAt = "2025-03-14T09:30:00Z";
  n.kind = NoticeKind::Issued;
  n.authorisation = fullAuthorisation();
  MitigationActivity act;
  act.title = "Northern Ghana Improved Cookstoves Programme";
  act.designDocumentReference = "GS-PDD-11873 v2.1";
  act.standard = "GS";
  act.methodology = "Gold Standard Methodology for Metered and Measured Energy Cooking Devices v1.0";
  act.creditingPeriod = Period{"2025-01-01", "2034-12-31"};
  act.vintageFrom = 2025;
  act.vintageTo = 2030;
  act.underlyingUnitRegistry = "GS";
  n.activity = act;
  n.letter = {"3f9a1c5e7b2d4068a1e9c3b5d7f2046e8a0c1b3d5e7f9a2c4e6b8d0f1a3c5e7b",
              "https://a6.epa.gov.gh/api/v1/authorisations/GHA-A62-2025-0007/letter.pdf?version=1"};
  return n;
}

// Only what the schema requires: no quantity, no parties, no entities, no timeframe, purpose NDC.
AuthorisationNotice minimalNotice() {
  AuthorisationNotice n;
  n.messageId = "m1";
  n.sendingParty = "GHA";
  n.createdAt = "2025-03-14T09:30:00+00:00";
  n.authorisation.authorisationId = "A1";
  n.authorisation.dateOfAuthorisation = "2025-03-12";
  n.authorisation.cooperativeApproachId = "CA0001";
  n.authorisation.metric = "GHG";
  n.authorisation.gwpValues = "AR5";
  n.authorisation.sectors = {"Energy"};
  n.authorisation.activityTypes = {"Cookstoves"};
  n.authorisation.purposes = "NDC";
  n.letter = {std::string(64, 'a'), "https://example.org/l.pdf"};
  return n;
}

AuthorisationNotice amendedNotice() {
  AuthorisationNotice n = fullNotice();
  n.messageId = "msg_01K5D2M7V1H9W3X8Q4T6Z0B2NE";
  n.kind = NoticeKind::Amended;
  n.authorisation.version = 2;
  n.authorisation.dateOfAuthorisation = "2025-09-30";
  n.authorisation.authorisedQuantity = 1800000;
  n.amendment = Amendment{1, "Authorized quantity raised to 1 800 000 t CO2e."};
  return n;
}

AuthorisationNotice revokedNotice() {
  AuthorisationNotice n = fullNotice();
  n.messageId = "msg_01K9Z";
  n.kind = NoticeKind::Revoked;
  n.revocation = Revocation{"The activity stopped operating.", "2026-01-01"};
  return n;
}

Acknowledgement rejectedAck() {
  Acknowledgement a;
  a.acknowledgementId = "ack-2025-0314-000871";
  a.refersToMessageId = "msg_01JPB6X0Q8T3H4V2M5N7R9K1ZC";
  a.sender = "UNFCCC CARP";
  a.createdAt = "2025-03-14T09:30:04Z";
  a.status = AckStatus::Rejected;
  a.messages = {{"CA-UNKNOWN", "Authorization/CooperativeApproachID", "Cooperative approach CA0042 is unknown."},
                {"NOTE", std::nullopt, "A message without a field."}};
  return a;
}

Finding actionFinding() {
  Finding f;
  f.messageId = "fnd-msg-1";
  f.findingId = "CF-2025-GHA-0019";
  f.sender = "UNFCCC CARP";
  f.createdAt = "2025-04-02T11:17:45Z";
  f.party = "GHA";
  f.action = ActionReference{"GHA-A62-2025-0007", 1};
  f.status = FindingStatus::Open;
  f.severity = FindingSeverity::Warning;
  f.code = "QTY-EXCEEDS-CAP";
  f.text = "The authorized quantity exceeds the cumulative cap.";
  return f;
}

AnnualSubmission fullSubmission() {
  AnnualSubmission s;
  s.messageId = "aef_01KQ3RZ8D6N2B5C7F9H1J4M8PS";
  s.createdAt = "2026-04-10T08:00:00Z";
  s.party = "GHA";
  s.reportedYear = 2025;
  s.submissionDate = "2026-04-10";
  s.submissionVersion = 1;
  ReportedAuthorisation v1{fullAuthorisation(), AuthorisationDocumentation{std::string(64, 'b'), "https://x.gh/1"}};
  ReportedAuthorisation v2 = v1;
  v2.authorisation.version = 2;
  v2.authorisation.dateOfAuthorisation = "2025-09-30";
  v2.letter = std::nullopt;
  s.authorisations = {v1, v2};
  Action action;
  action.actionId = "GHA-ACT-2025-0031";
  action.actionDate = "2025-11-20";
  action.actionType = "First transfer";
  action.actionSubtype = "Issuance";
  action.cooperativeApproachId = "CA0042";
  action.authorisationId = "GHA-A62-2025-0007";
  action.firstUniqueIdentifier = "CA0042-GHA01-GHA-1-2025";
  action.lastUniqueIdentifier = "CA0042-GHA01-GHA-84250-2025";
  action.vintage = 2025;
  action.quantity = 84250;
  action.mitigationType = "Emission reductions";
  action.transferringParty = "GHA";
  action.acquiringParty = "CHE";
  s.actions = {action};
  Holding holding;
  holding.cooperativeApproachId = "CA0042";
  holding.authorisationId = "GHA-A62-2025-0007";
  holding.firstUniqueIdentifier = "CA0042-GHA01-GHA-84251-2025";
  holding.lastUniqueIdentifier = "CA0042-GHA01-GHA-91000-2025";
  holding.vintage = 2025;
  holding.quantity = 6750;
  s.holdings = {holding};
  return s;
}

// Runs `build` and returns the a6::Error it throws (fails the test when it does not throw).
template <typename Build>
Error refusal(Build build) {
  try {
    build();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an a6::Error";
  return Error(ErrorCode::Internal, "");
}

// --- builders ------------------------------------------------------------------------------------

TEST(UnfcccMessagesTest, FullNotificationIsSchemaValid) {
  std::string xml = buildNotification(fullNotice());
  EXPECT_TRUE(validate(MessageKind::AuthorisationNotification, xml).empty());
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 0), 0u);
  EXPECT_TRUE(contains(xml,
                       "<AuthorizationNotification xmlns=\"urn:a6auth:unfccc:authorisation-notification:1\" "
                       "schemaVersion=\"1.0\">"));
  EXPECT_TRUE(contains(xml, "<CooperativeApproachID>CA0042</CooperativeApproachID>"));
  EXPECT_TRUE(contains(xml, "<AuthorizedQuantity unit=\"tCO2e\">1500000</AuthorizedQuantity>"));
  EXPECT_TRUE(contains(xml, "<PurposesForAuthorization>NDC and OIMP</PurposesForAuthorization>"));
  EXPECT_TRUE(contains(xml, "<ChangeAndRevocationConditions>"));
  EXPECT_TRUE(contains(xml, "  <Authorization>\n    <AuthorizationID>"));  // indented for people
}

TEST(UnfcccMessagesTest, MinimalNotificationIsSchemaValid) {
  std::string xml = buildNotification(minimalNotice());
  EXPECT_TRUE(validate(MessageKind::AuthorisationNotification, xml).empty());
  EXPECT_FALSE(contains(xml, "AuthorizedParties"));  // none listed: any Party
  EXPECT_FALSE(contains(xml, "AuthorizedEntities"));
}

TEST(UnfcccMessagesTest, EveryNotificationKindRoundTrips) {
  for (const AuthorisationNotice& n : {fullNotice(), minimalNotice(), amendedNotice(), revokedNotice()}) {
    EXPECT_EQ(parseNotification(buildNotification(n)), n) << n.messageId;
  }
}

TEST(UnfcccMessagesTest, NonGhgMetricAndUsePeriodRoundTrip) {
  AuthorisationNotice n = minimalNotice();
  n.authorisation.metric = "non-GHG";
  n.authorisation.gwpValues.reset();
  n.authorisation.nonGhgMetric = "Renewable electricity generated";
  n.authorisation.nonGhgMetricUnit = "MWh";
  n.authorisation.timeframe = AuthorisedTimeframe{std::nullopt, Period{std::nullopt, "2035-12-31"}};
  std::string xml = buildNotification(n);
  EXPECT_TRUE(contains(xml, "<NonGHGMetric unit=\"MWh\">Renewable electricity generated</NonGHGMetric>"));
  EXPECT_EQ(parseNotification(xml), n);
}

TEST(UnfcccMessagesTest, TextIsEscapedAndUnicodeSurvives) {
  AuthorisationNotice n = fullNotice();
  n.authorisation.termsAndConditions = "Quantity < cap & \"price\" > 0 ]]> 'ok' — Accra, Côte d’Ivoire, ₵ 🌍";
  n.authorisation.authorisedEntities[0].name = "Volta <Clean> & Co";
  std::string xml = buildNotification(n);
  EXPECT_TRUE(contains(xml, "Volta &lt;Clean&gt; &amp; Co"));
  EXPECT_TRUE(contains(xml, "Côte d’Ivoire, ₵ 🌍"));  // UTF-8 as is, not character references
  EXPECT_EQ(parseNotification(xml), n);
}

TEST(UnfcccMessagesTest, BadCooperativeApproachIdIsRefusedAtTheSourceWithSchemaLineAndPath) {
  AuthorisationNotice n = fullNotice();
  n.authorisation.cooperativeApproachId = "CA42";
  n.authorisation.authorisedEntities.clear();
  Error e = refusal([&] { buildNotification(n); });
  EXPECT_EQ(e.code(), ErrorCode::Internal);
  std::string what = e.what();
  EXPECT_TRUE(contains(what, "authorisation-notification.xsd: line 10 (Authorization/CooperativeApproachID)")) << what;
  EXPECT_TRUE(contains(what, "pattern")) << what;
  EXPECT_TRUE(contains(what, "The value 'CA42' is not accepted by the pattern 'CA[0-9]{4}'")) << what;
  ASSERT_FALSE(e.fieldErrors().empty());
  EXPECT_EQ(e.fieldErrors()[0].path, "Authorization/CooperativeApproachID");
  EXPECT_EQ(e.fieldErrors()[0].code, "schema");
}

TEST(UnfcccMessagesTest, MissingRequiredFieldsAreRefused) {
  AuthorisationNotice n = minimalNotice();
  n.authorisation.sectors.clear();
  Error e = refusal([&] { buildNotification(n); });
  EXPECT_EQ(e.code(), ErrorCode::Internal);
  EXPECT_TRUE(contains(e.what(), "Authorization/Sectors")) << e.what();
  EXPECT_TRUE(contains(e.what(), "Missing child element")) << e.what();

  n = minimalNotice();
  n.messageId.clear();
  EXPECT_TRUE(contains(refusal([&] { buildNotification(n); }).what(), "MessageID"));

  n = minimalNotice();
  n.letter.sha256 = "not-a-hash";
  EXPECT_TRUE(contains(refusal([&] { buildNotification(n); }).what(), "AuthorizationDocumentation/DocumentSHA256"));

  n = minimalNotice();
  n.createdAt = "2025-03-14T09:30:00";  // no offset
  EXPECT_TRUE(contains(refusal([&] { buildNotification(n); }).what(), "CreatedAt"));

  n = minimalNotice();
  n.authorisation.purposes = "Voluntary";
  EXPECT_TRUE(contains(refusal([&] { buildNotification(n); }).what(), "PurposesForAuthorization"));
}

TEST(UnfcccMessagesTest, RulesTheSchemaCannotExpressAreRefused) {
  auto expectRule = [](const AuthorisationNotice& n, const std::string& path) {
    Error e = refusal([&] { buildNotification(n); });
    EXPECT_EQ(e.code(), ErrorCode::Internal) << path;
    ASSERT_FALSE(e.fieldErrors().empty()) << path;
    EXPECT_EQ(e.fieldErrors()[0].path, path) << e.what();
    EXPECT_EQ(e.fieldErrors()[0].code, "rule") << e.what();
  };
  AuthorisationNotice n = minimalNotice();
  n.authorisation.gwpValues.reset();
  expectRule(n, "Authorization/GWPValues");

  n = fullNotice();
  n.authorisation.firstTransferDefinition.reset();
  expectRule(n, "Authorization/FirstTransferDefinition");

  n = minimalNotice();
  n.authorisation.oimpAuthorisedByTheParty = "CORSIA";  // purpose NDC only
  expectRule(n, "Authorization/OIMPAuthorizedByTheParty");

  n = fullNotice();
  n.kind = NoticeKind::Amended;  // without an Amendment
  expectRule(n, "Amendment");

  n = amendedNotice();
  n.amendment->previousVersion = 2;
  expectRule(n, "Amendment/PreviousVersion");

  n = fullNotice();
  n.kind = NoticeKind::Revoked;
  expectRule(n, "Revocation");

  n = fullNotice();
  n.authorisation.authorisedEntities[1].cooperativeApproachId = "CA0043";
  expectRule(n, "Authorization/AuthorizedEntities/AuthorizedEntity[2]/CooperativeApproachID");

  n = fullNotice();
  n.authorisation.timeframe->mitigation->from = "2031-01-01";
  expectRule(n, "Authorization/AuthorizedTimeframe/MitigationPeriod");
}

TEST(UnfcccMessagesTest, TextThatIsNotXmlIsRefused) {
  AuthorisationNotice n = minimalNotice();
  n.authorisation.additionalInformation = std::string("bad \x01 control");
  EXPECT_EQ(refusal([&] { buildNotification(n); }).code(), ErrorCode::Internal);
  n.authorisation.additionalInformation = std::string("bad \xC3 utf-8");
  Error e = refusal([&] { buildNotification(n); });
  EXPECT_TRUE(contains(e.what(), "Authorization/AdditionalInformation")) << e.what();
}

TEST(UnfcccMessagesTest, AcknowledgementsBuildValidateAndRoundTrip) {
  Acknowledgement rejected = rejectedAck();
  std::string xml = buildAcknowledgement(rejected);
  EXPECT_TRUE(validate(MessageKind::Acknowledgement, xml).empty());
  EXPECT_EQ(parseAcknowledgement(xml), rejected);

  Acknowledgement accepted = rejected;
  accepted.status = AckStatus::Accepted;
  accepted.messages.clear();
  EXPECT_EQ(parseAcknowledgement(buildAcknowledgement(accepted)), accepted);

  Acknowledgement bare = rejected;
  bare.messages.clear();
  Error e = refusal([&] { buildAcknowledgement(bare); });
  EXPECT_EQ(e.code(), ErrorCode::Internal);
  EXPECT_TRUE(contains(e.what(), "rejected acknowledgement needs at least one Message")) << e.what();
}

TEST(UnfcccMessagesTest, FindingsRoundTripForActionsAndSubmissions) {
  Finding onAction = actionFinding();
  std::string xml = buildFinding(onAction);
  EXPECT_TRUE(validate(MessageKind::ConsistencyFinding, xml).empty());
  EXPECT_EQ(parseFinding(xml), onAction);

  Finding onSubmission = actionFinding();
  onSubmission.action.reset();
  onSubmission.submissionMessageId = "aef_01KQ3RZ8D6N2B5C7F9H1J4M8PS";
  onSubmission.status = FindingStatus::Resolved;
  onSubmission.severity = FindingSeverity::Error;
  onSubmission.code.reset();
  EXPECT_EQ(parseFinding(buildFinding(onSubmission)), onSubmission);

  Finding both = onSubmission;
  both.action = ActionReference{"A1", 1};
  EXPECT_EQ(refusal([&] { buildFinding(both); }).code(), ErrorCode::Internal);
  Finding neither = onSubmission;
  neither.submissionMessageId.reset();
  EXPECT_EQ(refusal([&] { buildFinding(neither); }).code(), ErrorCode::Internal);
}

TEST(UnfcccMessagesTest, AnnualSubmissionIsSchemaValidWithOneEntityTable) {
  std::string xml = buildAnnualSubmission(fullSubmission());
  auto problems = validate(MessageKind::AnnualSubmission, xml);
  EXPECT_TRUE(problems.empty()) << (problems.empty() ? "" : describe(MessageKind::AnnualSubmission, problems[0]));
  // Two versions name the same two entities: the table lists each once; the rows refer by id.
  std::size_t entities = 0;
  for (auto pos = xml.find("<AuthorizedEntity>"); pos != std::string::npos;
       pos = xml.find("<AuthorizedEntity>", pos + 1)) {
    ++entities;
  }
  EXPECT_EQ(entities, 2u);
  EXPECT_TRUE(
      contains(xml, "<AuthorizedEntities>\n        <AuthorizedEntityID>GHA-A62-2025-0007-E1</AuthorizedEntityID>"));
  EXPECT_TRUE(contains(xml, "<Holdings asOf=\"2025-12-31\">"));
  EXPECT_TRUE(contains(xml, "<VersionOfTheAuthorization>2</VersionOfTheAuthorization>"));
}

TEST(UnfcccMessagesTest, AnnualSubmissionWithEmptyTablesIsValid) {
  AnnualSubmission s = fullSubmission();
  s.authorisations.clear();
  s.actions.clear();
  s.holdings.clear();
  std::string xml = buildAnnualSubmission(s);
  EXPECT_TRUE(validate(MessageKind::AnnualSubmission, xml).empty());
  EXPECT_TRUE(contains(xml, "<Actions/>"));
}

TEST(UnfcccMessagesTest, AnnualSubmissionRefusesConflictingEntitiesDuplicatesAndBadBlocks) {
  AnnualSubmission s = fullSubmission();
  s.authorisations[1].authorisation.authorisedEntities[0].conditions = "Changed in version 2.";
  Error e = refusal([&] { buildAnnualSubmission(s); });
  EXPECT_EQ(e.code(), ErrorCode::Internal);
  EXPECT_TRUE(contains(e.what(), "give the changed entity its own AuthorizedEntityID")) << e.what();

  s = fullSubmission();
  s.authorisations[1].authorisation.version = 1;  // the same version twice
  e = refusal([&] { buildAnnualSubmission(s); });
  EXPECT_TRUE(contains(e.what(), "UniqueAuthorizationVersion")) << e.what();

  s = fullSubmission();
  s.actions[0].lastUniqueIdentifier = "CA0042-GHA01-GHA-0-2025";
  e = refusal([&] { buildAnnualSubmission(s); });
  EXPECT_TRUE(contains(e.what(), "the first unique identifier comes after the last")) << e.what();

  s = fullSubmission();
  s.actions[0].firstUniqueIdentifier = "GHA-1";
  e = refusal([&] { buildAnnualSubmission(s); });
  EXPECT_TRUE(contains(e.what(), "Actions/Action/FirstUniqueIdentifier")) << e.what();
}

// --- parsers of untrusted input ------------------------------------------------------------------

TEST(UnfcccMessagesTest, ParsersRefuseWrongKindMalformedAndSchemaInvalidInput) {
  std::string notification = buildNotification(minimalNotice());
  Error e = refusal([&] { parseAcknowledgement(notification); });
  EXPECT_EQ(e.code(), ErrorCode::Invalid);
  EXPECT_TRUE(contains(e.what(), "namespace urn:a6auth:unfccc:authorisation-notification:1")) << e.what();

  EXPECT_EQ(refusal([&] { parseFinding("<ConsistencyFinding"); }).code(), ErrorCode::Malformed);
  EXPECT_EQ(refusal([&] { parseFinding(std::string(2 * 1024 * 1024, ' ')); }).code(), ErrorCode::TooLarge);

  std::string ack = buildAcknowledgement(rejectedAck());
  std::string bad = ack;
  bad.replace(bad.find("<Status>rejected</Status>"), 25, "<Status>maybe</Status>");
  e = refusal([&] { parseAcknowledgement(bad); });
  EXPECT_EQ(e.code(), ErrorCode::Invalid);
  ASSERT_FALSE(e.fieldErrors().empty());
  EXPECT_EQ(e.fieldErrors()[0].path, "Status");
  EXPECT_TRUE(contains(e.what(), "acknowledgement.xsd: line 7 (Status)")) << e.what();

  // Schema-valid but against a rule: rejected without a message.
  std::string noMessages = ack.substr(0, ack.find("  <Messages>")) + "</Acknowledgement>\n";
  e = refusal([&] { parseAcknowledgement(noMessages); });
  EXPECT_EQ(e.code(), ErrorCode::Invalid);
  EXPECT_EQ(e.fieldErrors().at(0).code, "rule");
}

TEST(UnfcccMessagesTest, ParsersTrimWhatTheSchemaCollapses) {
  std::string xml = buildFinding(actionFinding());
  xml.replace(xml.find("<VersionOfTheAuthorization>1<"), 29, "<VersionOfTheAuthorization>+01<");
  xml.replace(xml.find("<CreatedAt>2025"), 15, "<CreatedAt>\n 2025");
  Finding f = parseFinding(xml);
  EXPECT_EQ(f.action->version, 1);
  EXPECT_EQ(f.createdAt, "2025-04-02T11:17:45Z");
}

// --- examples and schemas ------------------------------------------------------------------------

struct Example {
  const char* file;
  MessageKind kind;
};

constexpr Example kExampleFiles[] = {
    {"authorisation-notification.xml", MessageKind::AuthorisationNotification},
    {"authorisation-notification-amended.xml", MessageKind::AuthorisationNotification},
    {"acknowledgement.xml", MessageKind::Acknowledgement},
    {"consistency-finding.xml", MessageKind::ConsistencyFinding},
    {"annual-submission.xml", MessageKind::AnnualSubmission},
};

TEST(UnfcccMessagesTest, ExampleFilesValidateAndParse) {
  for (const Example& example : kExampleFiles) {
    std::string xml = readFile(kExamples / example.file);
    ASSERT_FALSE(xml.empty()) << example.file;
    auto problems = validate(example.kind, xml);
    EXPECT_TRUE(problems.empty()) << example.file << ": "
                                  << (problems.empty() ? "" : describe(example.kind, problems[0]));
  }
  AuthorisationNotice issued = parseNotification(readFile(kExamples / "authorisation-notification.xml"));
  EXPECT_EQ(issued.authorisation.authorisedEntities.size(), 2u);
  EXPECT_EQ(issued.activity->vintageTo, 2030);
  AuthorisationNotice amended = parseNotification(readFile(kExamples / "authorisation-notification-amended.xml"));
  EXPECT_EQ(amended.kind, NoticeKind::Amended);
  EXPECT_EQ(amended.amendment->previousVersion, 1);
  EXPECT_EQ(parseAcknowledgement(readFile(kExamples / "acknowledgement.xml")).status, AckStatus::Rejected);
  EXPECT_EQ(parseFinding(readFile(kExamples / "consistency-finding.xml")).action->authorisationId, "GHA-A62-2025-0007");
}

TEST(UnfcccMessagesTest, TheDocsShowEveryExampleAsItIs) {
  std::string docs = readFile(kSource / "docs/unfccc.md");
  ASSERT_FALSE(docs.empty());
  for (const Example& example : kExampleFiles) {
    std::string xml = readFile(kExamples / example.file);
    while (!xml.empty() && xml.back() == '\n') xml.pop_back();
    EXPECT_TRUE(contains(docs, "```xml\n" + xml + "\n```")) << "docs/unfccc.md does not show " << example.file;
  }
}

TEST(UnfcccMessagesTest, TheBuilderReproducesTheIssuedExample) {
  // The example file and fullNotice() describe the same authorisation; the parsed example,
  // rebuilt, parses to the same value.
  AuthorisationNotice fromExample = parseNotification(readFile(kExamples / "authorisation-notification.xml"));
  EXPECT_EQ(parseNotification(buildNotification(fromExample)), fromExample);
}

TEST(UnfcccMessagesTest, EmbeddedSchemasAreByteForByteTheFiles) {
  for (MessageKind kind : kAllMessageKinds) {
    std::string file = readFile(kSchemas / schemaFileName(kind));
    ASSERT_FALSE(file.empty()) << schemaFileName(kind);
    EXPECT_TRUE(file == schemaText(kind))
        << schemaFileName(kind) << " differs from its copy in integrations/src/unfccc/Schemas.cpp";
    EXPECT_TRUE(contains(file, std::string("targetNamespace=\"") + schemaNamespace(kind) + "\""));
    EXPECT_TRUE(contains(file, "a6auth therefore defines these element names itself"));
    EXPECT_EQ(messageKindOfNamespace(schemaNamespace(kind)), kind);
  }
  EXPECT_FALSE(messageKindOfNamespace("urn:other").has_value());
}

TEST(UnfcccMessagesTest, WrongRootIsOneClearProblem) {
  auto problems = validate(MessageKind::Acknowledgement, buildFinding(actionFinding()));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_TRUE(
      contains(problems[0].message, "expected Acknowledgement in namespace urn:a6auth:unfccc:acknowledgement:1"))
      << problems[0].message;
}

// The independent check: libxml2's own command line, reading the published .xsd files.
TEST(UnfcccMessagesTest, XmllintAcceptsWhatTheBuildersProduce) {
  if (std::system("command -v xmllint > /dev/null 2>&1") != 0) GTEST_SKIP() << "xmllint is not installed";
  TempDir dir;
  const std::pair<MessageKind, std::string> built[] = {
      {MessageKind::AuthorisationNotification, buildNotification(fullNotice())},
      {MessageKind::AuthorisationNotification, buildNotification(minimalNotice())},
      {MessageKind::AuthorisationNotification, buildNotification(amendedNotice())},
      {MessageKind::AuthorisationNotification, buildNotification(revokedNotice())},
      {MessageKind::Acknowledgement, buildAcknowledgement(rejectedAck())},
      {MessageKind::ConsistencyFinding, buildFinding(actionFinding())},
      {MessageKind::AnnualSubmission, buildAnnualSubmission(fullSubmission())},
  };
  int i = 0;
  for (const auto& [kind, xml] : built) {
    fs::path file = dir.path() / ("built-" + std::to_string(i++) + ".xml");
    writeFile(file, xml);
    auto result = run(
        "xmllint --noout --nonet --schema '" + (kSchemas / schemaFileName(kind)).string() + "' '" + file.string() + "'",
        dir.path() / "xmllint.txt");
    EXPECT_EQ(result.exitCode, 0) << result.output;
    EXPECT_TRUE(contains(result.output, "validates")) << result.output;
  }
  // And it is no rubber stamp: a tampered copy fails.
  std::string broken = buildNotification(fullNotice());
  broken.replace(broken.find("CA0042"), 6, "CA42");
  writeFile(dir.path() / "broken.xml", broken);
  auto result = run("xmllint --noout --nonet --schema '" + (kSchemas / "authorisation-notification.xsd").string() +
                        "' '" + (dir.path() / "broken.xml").string() + "'",
                    dir.path() / "xmllint.txt");
  EXPECT_NE(result.exitCode, 0);
  EXPECT_TRUE(contains(result.output, "fails to validate")) << result.output;
}

}  // namespace
}  // namespace a6::integrations::unfccc
