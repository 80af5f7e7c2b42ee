// The annual information (AEF) export: every version of every authorisation authorised in a year,
// its authorised entities, and the first transfers registries reported, as the annual-submission
// XML (validated against its schema before it is returned) or as CSV of the authorisations table.
#pragma once

#include <string>

#include "a6/core/Clock.h"
#include "a6/core/IdGenerator.h"
#include "a6/service/app/Config.h"
#include "a6/service/store/Store.h"

namespace a6::service {

// Throws a6::Error(Conflict) naming the authorisation when a record lacks what the AEF requires.
std::string aefXml(Store& store, const Config& config, int year, TimePoint now, IdGenerator& ids);
std::string aefCsv(Store& store, const Config& config, int year);

}  // namespace a6::service
