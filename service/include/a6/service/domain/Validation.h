// Domain validation of an authorisation request: the rules of the AEF authorisation table
// (ARTICLE6.md) that can be judged on the request alone, every broken rule reported at once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "a6/core/Error.h"
#include "a6/service/domain/Request.h"

namespace a6::service {

// The controlled vocabularies a request is checked against. They are data, not code, because
// countries and bilateral agreements extend them; defaultControlledLists() is the shipped set.
struct ControlledLists {
  std::vector<std::string> sectors;
  std::vector<std::string> activityTypes;
  std::vector<std::string> registries;  // underlying unit registries
  std::vector<std::string> gwpValues;   // IPCC assessment reports
};

ControlledLists defaultControlledLists();

// Draft checks only what is present, so a developer can save work in progress; Submission
// also requires everything a complete request needs before the ministry reviews it.
enum class Completeness { Draft, Submission };

// Every broken rule at once, each with its field path in the API's JSON names
// (e.g. "authorisation.authorized_entities[0].country"); empty when the request is valid.
// Codes: required, pattern, enum, range, order, length, format, not_allowed, duplicate.
std::vector<a6::FieldError> validateRequest(const RequestFields& r, const ControlledLists& lists, Completeness mode);

// A valid calendar date written "YYYY-MM-DD" (leap years included).
bool isIsoDate(std::string_view text);

// A plausible email address: one '@', a non-empty local part, a domain with a dot, no spaces or
// control characters, at most 254 bytes. Deliverability is not checked.
bool isValidEmail(std::string_view text);

}  // namespace a6::service
