// Adding users and API keys: each is an event on the user's own stream ("user:<name>") with
// the read model written in the same commit, so that who was given which role is on record.
#pragma once

#include <set>
#include <string>

#include "a6/core/Clock.h"
#include "a6/core/IdGenerator.h"
#include "a6/service/store/Store.h"

namespace a6::service {

// Throws a6::Error: Malformed for a bad name or a role that is neither built in nor declared by
// a registered workflow (`workflowRoles`), Conflict when the user exists.
void addUser(Store& store, const std::string& party, User user, const std::string& actor, const Clock& clock,
             const std::set<std::string>& workflowRoles = {});

// Returns the new key's secret (shown once; only its hash is stored).
std::string issueApiKey(Store& store, const std::string& party, const std::string& userName, const std::string& label,
                        const std::string& actor, const Clock& clock, IdGenerator& ids);

}  // namespace a6::service
