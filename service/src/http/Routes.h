// Route tables of the API, one function per area; each registers its routes on the router.
#pragma once

#include "a6/service/http/Router.h"
#include "a6/service/http/Server.h"

namespace a6::service {

void registerOpsRoutes(Router& router, Services& services);
void registerRequestRoutes(Router& router, Services& services);

// The ETag of a version: "7".
std::string etagOf(std::int64_t version);

// The text of docs/openapi.yaml, compiled in.
const std::string& openApiYaml();

}  // namespace a6::service
