// An authorisation request as a plain value: every field of the AEF authorisation table
// (ARTICLE6.md) plus what the ministry needs to review it. Field names match the API's JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace a6::service {

struct DateRange {  // ISO dates "YYYY-MM-DD"
  std::optional<std::string> from;
  std::optional<std::string> to;
  bool operator==(const DateRange&) const = default;
};

struct Applicant {
  std::optional<std::string> organisation;
  std::optional<std::string> contactName;   // contact_name
  std::optional<std::string> contactEmail;  // contact_email
  bool operator==(const Applicant&) const = default;
};

struct Activity {
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<std::string> hostCountry;  // host_country, ISO 3166 alpha-3
  std::optional<std::string> region;
  std::vector<std::string> sector;        // controlled list
  std::vector<std::string> activityType;  // activity_type, controlled list
  std::optional<std::string> standard;
  std::optional<std::string> methodology;
  std::optional<std::string> designDocumentRef;  // design_document_ref
  DateRange creditingPeriod;                     // crediting_period
  bool operator==(const Activity&) const = default;
};

struct AuthorisedEntity {
  std::optional<std::string> name;
  std::optional<std::string> country;               // of incorporation, alpha-3
  std::optional<std::string> identificationNumber;  // identification_number
  std::optional<std::string> conditions;
  std::optional<std::string> changeAndRevocationConditions;  // change_and_revocation_conditions
  bool operator==(const AuthorisedEntity&) const = default;
};

struct Timeframe {
  std::optional<std::string> mitigationFrom;  // mitigation_from
  std::optional<std::string> mitigationTo;
  std::optional<std::string> useFrom;  // use_from
  std::optional<std::string> useTo;
  bool operator==(const Timeframe&) const = default;
};

struct Vintages {
  std::optional<int> from;
  std::optional<int> to;
  bool operator==(const Vintages&) const = default;
};

struct AuthorisationTerms {
  std::optional<std::string> cooperativeApproachId;    // cooperative_approach_id, CA + 4 digits
  std::optional<std::int64_t> requestedQuantity;       // requested_quantity, t CO2e
  std::optional<std::int64_t> authorizedQuantity;      // authorized_quantity, t CO2e (maximum)
  std::optional<std::string> metric;                   // "GHG" | "non-GHG"
  std::optional<std::string> gwpValues;                // gwp_values, e.g. "AR5", for GHG
  std::optional<std::string> nonGhgMetric;             // non_ghg_metric, for non-GHG
  std::optional<std::string> nonGhgUnit;               // non_ghg_unit, for non-GHG
  std::optional<std::string> purposes;                 // one of kPurposes
  std::optional<std::string> oimpAuthorized;           // oimp_authorized, e.g. "CORSIA"
  std::optional<std::string> firstTransferDefinition;  // first_transfer_definition
  std::vector<std::string> authorizedParties;          // authorized_parties, alpha-3
  std::vector<AuthorisedEntity> authorizedEntities;    // authorized_entities
  Timeframe timeframe;
  Vintages vintages;
  std::optional<std::string> underlyingUnitRegistry;  // underlying_unit_registry
  std::optional<std::string> termsAndConditions;      // terms_and_conditions
  std::optional<std::string> additionalInformation;   // additional_information
  bool operator==(const AuthorisationTerms&) const = default;
};

// The part of a request its applicant writes (create and PATCH take exactly this shape).
struct RequestFields {
  Applicant applicant;
  Activity activity;
  AuthorisationTerms authorisation;
  bool operator==(const RequestFields&) const = default;
};

struct Attachment {
  std::string id;  // att_…
  std::string name;
  std::string mediaType;  // media_type
  std::int64_t size = 0;
  std::string sha256;  // lowercase hex
  std::string createdAt;
  std::string createdBy;
  bool operator==(const Attachment&) const = default;
};

}  // namespace a6::service
