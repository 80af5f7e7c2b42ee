// The messages of the UNFCCC exchange as plain values, their XML builders and their parsers.
// Builders validate what they produce against the message's schema (and the rules the schema
// cannot express) before returning: an invalid message is an a6::Error(Internal) here, at the
// source, and is never queued. Parsers read untrusted XML through XmlSafe and validate it.
// Field names follow the AEF technical names (see docs/unfccc.md); AEF code lists (metric,
// purposes, first transfer definition, action type, mitigation type) stay strings, spelled as
// the AEF spells them, and the schema checks them.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "a6/integrations/unfccc/XmlSafe.h"

namespace a6::integrations::unfccc {

// From and/or To, YYYY-MM-DD; a missing end is open (at least one end is required).
struct Period {
  std::optional<std::string> from;
  std::optional<std::string> to;
  bool operator==(const Period&) const = default;
};

// A row of the AEF "Authorized entities" table.
struct AuthorisedEntity {
  std::string entityId;                // AuthorizedEntityID, set by the Party
  std::string name;                    // EntityName
  std::string countryOfIncorporation;  // ISO 3166 alpha-3
  std::optional<std::string> identificationNumber;
  std::string cooperativeApproachId;  // CA0000
  std::string dateOfAuthorisation;    // YYYY-MM-DD
  std::optional<std::string> conditions;
  std::string changeAndRevocationConditions;  // whether and under which conditions it may change or end
  bool operator==(const AuthorisedEntity&) const = default;
};

// AuthorizedTimeframe: when the mitigation occurs and/or when it may be used (one at least).
struct AuthorisedTimeframe {
  std::optional<Period> mitigation;
  std::optional<Period> use;
  bool operator==(const AuthorisedTimeframe&) const = default;
};

// The letter reported with the message: its SHA-256 (lower-case hex) and where it can be fetched.
struct AuthorisationDocumentation {
  std::string sha256;
  std::string address;
  bool operator==(const AuthorisationDocumentation&) const = default;
};

// One version of a row of the AEF "Authorizations" table.
struct Authorisation {
  std::string authorisationId;                  // AuthorizationID: letters, digits, space, - / .
  std::string dateOfAuthorisation;              // YYYY-MM-DD
  std::string cooperativeApproachId;            // CA0000
  int version = 1;                              // VersionOfTheAuthorization; every amendment is a new version
  std::optional<long long> authorisedQuantity;  // t CO2e; none: no maximum
  std::string metric = "GHG";                   // "GHG" | "non-GHG"
  std::optional<std::string> gwpValues;         // required for GHG, e.g. "AR5"
  std::optional<std::string> nonGhgMetric;      // required for non-GHG
  std::optional<std::string> nonGhgMetricUnit;  // with nonGhgMetric
  std::vector<std::string> sectors;             // at least one
  std::vector<std::string> activityTypes;       // at least one
  std::string purposes;  // "NDC", "OIMP", "IMP", "OP", "NDC and OIMP", "NDC and IMP", "NDC and OP"
  std::vector<std::string> authorisedParties;  // alpha-3; empty: any Party
  // In a notification the entities are written in full; in an annual submission the row names
  // them by entityId and the entities table is made from the rows (see AnnualSubmission).
  std::vector<AuthorisedEntity> authorisedEntities;
  std::optional<std::string> oimpAuthorisedByTheParty;  // required exactly when purposes is not "NDC"
  std::optional<AuthorisedTimeframe> timeframe;
  std::optional<std::string> termsAndConditions;
  // "Authorisation" | "Issuance" | "Use or Cancellation"; required when purposes is not "NDC"
  std::optional<std::string> firstTransferDefinition;
  std::optional<std::string> additionalInformation;
  bool operator==(const Authorisation&) const = default;
};

// Not an AEF field: what the letter says of the activity (bilateral agreements ask for it).
struct MitigationActivity {
  std::string title;
  std::optional<std::string> designDocumentReference;
  std::optional<std::string> standard;
  std::optional<std::string> methodology;
  std::optional<Period> creditingPeriod;
  std::optional<int> vintageFrom;  // both or neither
  std::optional<int> vintageTo;
  std::optional<std::string> underlyingUnitRegistry;  // e.g. "GS", "VCS"
  bool operator==(const MitigationActivity&) const = default;
};

enum class NoticeKind { Issued, Amended, Revoked };
const char* toString(NoticeKind kind);  // "issued", "amended", "revoked"

struct Amendment {
  int previousVersion = 1;  // lower than the authorisation's version
  std::optional<std::string> summaryOfChanges;
  bool operator==(const Amendment&) const = default;
};

struct Revocation {
  std::string reason;
  std::string effectiveDate;  // YYYY-MM-DD
  bool operator==(const Revocation&) const = default;
};

// An authorisation issued, amended or revoked: one version of one authorisation.
struct AuthorisationNotice {
  std::string messageId;     // stable across retries: the receiver drops duplicates by it
  std::string sendingParty;  // alpha-3 of the host Party
  std::string createdAt;     // xs:dateTime with offset, e.g. "2025-03-14T09:30:00Z"
  NoticeKind kind = NoticeKind::Issued;
  Authorisation authorisation;
  std::optional<MitigationActivity> activity;
  std::optional<Amendment> amendment;    // exactly when kind is Amended
  std::optional<Revocation> revocation;  // exactly when kind is Revoked
  AuthorisationDocumentation letter;
  bool operator==(const AuthorisationNotice&) const = default;
};

enum class AckStatus { Received, Accepted, Rejected };
const char* toString(AckStatus status);  // "received", "accepted", "rejected"

struct AckMessage {
  std::string code;                  // e.g. "CA-UNKNOWN"
  std::optional<std::string> field;  // element path in the acknowledged message
  std::string text;
  bool operator==(const AckMessage&) const = default;
};

struct Acknowledgement {
  std::string acknowledgementId;
  std::string refersToMessageId;
  std::string sender;     // e.g. "UNFCCC CARP"
  std::string createdAt;  // xs:dateTime with offset
  AckStatus status = AckStatus::Received;
  std::vector<AckMessage> messages;  // at least one when rejected
  bool operator==(const Acknowledgement&) const = default;
};

enum class FindingStatus { Open, Resolved };
enum class FindingSeverity { Info, Warning, Error };
const char* toString(FindingStatus status);      // "open", "resolved"
const char* toString(FindingSeverity severity);  // "info", "warning", "error"

// What a finding is about: one action (an authorisation version)…
struct ActionReference {
  std::string authorisationId;
  int version = 1;
  bool operator==(const ActionReference&) const = default;
};

struct Finding {
  std::string messageId;  // this message; duplicates are dropped by it
  std::string findingId;  // the finding; the same from open to resolved
  std::string sender;
  std::string createdAt;
  std::string party;  // alpha-3 of the Party concerned
  // …or a submission (the MessageID that carried it): exactly one of the two.
  std::optional<std::string> submissionMessageId;
  std::optional<ActionReference> action;
  FindingStatus status = FindingStatus::Open;
  FindingSeverity severity = FindingSeverity::Warning;
  std::optional<std::string> code;
  std::string text;
  bool operator==(const Finding&) const = default;
};

// A row of the AEF "Actions" table: one action on one block of ITMOs.
struct Action {
  std::string actionId;
  std::string actionDate;  // YYYY-MM-DD
  // "Authorization", "First transfer", "Transfer", "Acquisition", "Use", "Cancellation",
  // "Voluntary cancellation"
  std::string actionType;
  std::optional<std::string> actionSubtype;
  std::string cooperativeApproachId;
  std::string authorisationId;
  std::string firstUniqueIdentifier;  // ITMO unique identifier, e.g. CA0001-GHA01-GHA-1000-2024
  std::string lastUniqueIdentifier;
  int vintage = 0;
  long long quantity = 0;                     // t CO2e
  std::optional<std::string> mitigationType;  // "Emission reductions", "Removals", "Emission reductions and removals"
  std::optional<std::string> transferringParty;
  std::optional<std::string> acquiringParty;
  std::optional<std::string> transferringEntity;
  std::optional<std::string> acquiringEntity;
  std::optional<std::string> purposesForCancellation;
  bool operator==(const Action&) const = default;
};

// A row of the AEF "Holdings" table: a block of ITMOs held on 31 December of the reported year.
struct Holding {
  std::string cooperativeApproachId;
  std::optional<std::string> authorisationId;
  std::string firstUniqueIdentifier;
  std::string lastUniqueIdentifier;
  int vintage = 0;
  long long quantity = 0;  // t CO2e
  std::optional<std::string> holdingEntity;
  bool operator==(const Holding&) const = default;
};

// One authorisation row of an annual submission: the authorisation version and its letter.
struct ReportedAuthorisation {
  Authorisation authorisation;
  std::optional<AuthorisationDocumentation> letter;
  bool operator==(const ReportedAuthorisation&) const = default;
};

// The annual information (AEF) for one reported year.
struct AnnualSubmission {
  std::string messageId;
  std::string createdAt;
  std::string party;
  int reportedYear = 0;
  std::string submissionDate;  // YYYY-MM-DD
  int submissionVersion = 1;
  // Every version of every authorisation dated in the reported year. The AuthorizedEntities table
  // is made from the entities these rows name, each entityId once; the same entityId with
  // different content in two rows is an error (give the changed entity its own id).
  std::vector<ReportedAuthorisation> authorisations;
  std::vector<Action> actions;    // may be empty
  std::vector<Holding> holdings;  // may be empty; frozen at 31 December of reportedYear
  bool operator==(const AnnualSubmission&) const = default;
};

// Builders: UTF-8 XML with an XML declaration, indented, in the message's namespace, with
// schemaVersion="1.0", valid against its schema. Throw a6::Error(ErrorCode::Internal) naming the
// schema file, line, element path and reason (or the rule) when the input makes an invalid message.
std::string buildNotification(const AuthorisationNotice& notice);
std::string buildAcknowledgement(const Acknowledgement& ack);
std::string buildFinding(const Finding& finding);
std::string buildAnnualSubmission(const AnnualSubmission& submission);

// Parsers of untrusted input (at most maxBytes, 1 MiB by default): XmlSafe, then the schema, then
// the rules. Throw a6::Error: TooLarge; Malformed (not XML, a DTD or entity, too deep); Invalid
// (wrong namespace or root, schema or rule problems; one FieldError per problem, path = element
// path, code "schema" or "rule"). A trailing ds:Signature is allowed and ignored here: check it
// with verifyXml (XmlSignature.h).
Acknowledgement parseAcknowledgement(const std::string& xml, std::size_t maxBytes = kDefaultMaxXmlBytes);
Finding parseFinding(const std::string& xml, std::size_t maxBytes = kDefaultMaxXmlBytes);
AuthorisationNotice parseNotification(const std::string& xml, std::size_t maxBytes = kDefaultMaxXmlBytes);

}  // namespace a6::integrations::unfccc
