// The one place where errors become HTTP: a6::Error codes to status and RFC 9457
// application/problem+json bodies with a stable "type".
#pragma once

#include <string>

#include "a6/core/Error.h"
#include "a6/service/http/Http.h"

namespace a6::service {

int httpStatus(ErrorCode code);
// "urn:a6auth:problem:<code>"; stable, documented in docs/openapi.yaml.
std::string problemType(ErrorCode code);
Response problem(const Error& error, const std::string& instance);
Response problem(ErrorCode code, const std::string& detail, const std::string& instance);

}  // namespace a6::service
