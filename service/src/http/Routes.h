// Route tables of the API, one function per area; each registers its routes on the router.
#pragma once

#include "a6/service/http/Router.h"
#include "a6/service/http/Server.h"

namespace a6::service {

void registerOpsRoutes(Router& router, Services& services);
void registerRequestRoutes(Router& router, Services& services);
void registerWorkflowRoutes(Router& router, Services& services);
void registerLetterRoutes(Router& router, Services& services);
void registerReportRoutes(Router& router, Services& services);
void registerWebRoutes(Router& router, Services& services);  // the portal and its sign-in

// Shared by the request and workflow routes.
bool readsEverything(const Principal& p);
// The request if the caller may see it; another organisation's request is "not found".
RequestRecord loadVisible(Services& s, const Principal& p, const std::string& id);
void checkIfMatch(Exchange& ex, const RequestRecord& record, bool required);
std::vector<std::string> availableEvents(Services& s, const RequestRecord& r, const Principal& p);
Response requestResponse(Services& s, int status, const RequestRecord& r, const std::vector<std::string>& available);

// The ETag of a version: "7".
std::string etagOf(std::int64_t version);

// The text of docs/openapi.yaml, compiled in.
const std::string& openApiYaml();

}  // namespace a6::service
