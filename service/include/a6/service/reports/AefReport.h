// The annual information (AEF) export: every version of every authorisation authorised in a year,
// its authorised entities, and the first transfers registries reported, as the annual-submission
// XML (validated against its schema before it is returned) or as CSV of the authorisations table.
#pragma once

#include <string>

#include "a6/core/Clock.h"
#include "a6/core/IdGenerator.h"
#include "a6/integrations/unfccc/Messages.h"
#include "a6/service/app/Config.h"
#include "a6/service/store/Store.h"

namespace a6::service {

// Throws a6::Error(Conflict) naming the authorisation when a record lacks what the AEF requires.
std::string aefXml(Store& store, const Config& config, int year, TimePoint now, IdGenerator& ids);
std::string aefCsv(Store& store, const Config& config, int year);

// One authorisation version as the AEF "Authorizations" row (its entities in full), shared with
// the UNFCCC notifications. Throws a6::Error(Conflict) when the record lacks what the AEF requires.
integrations::unfccc::Authorisation aefAuthorisation(const AuthorisationVersion& version);
// The same version's activity as a notification states it (not an AEF field).
integrations::unfccc::MitigationActivity aefActivity(const AuthorisationVersion& version);

}  // namespace a6::service
