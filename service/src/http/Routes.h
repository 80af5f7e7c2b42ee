// Route tables of the API, one function per area; each registers its routes on the router.
#pragma once

#include <Poco/JSON/Object.h>

#include "a6/service/http/Router.h"
#include "a6/service/http/Server.h"

namespace a6::service {

void registerOpsRoutes(Router& router, Services& services);
void registerRequestRoutes(Router& router, Services& services);
void registerWorkflowRoutes(Router& router, Services& services);
void registerLetterRoutes(Router& router, Services& services);
void registerReportRoutes(Router& router, Services& services);
void registerOutboxRoutes(Router& router, Services& services);  // outbox and UNFCCC inbound
void registerWebhookRoutes(Router& router, Services& services);  // subscriptions and the registry hook
void registerWebRoutes(Router& router, Services& services);     // the portal and its sign-in

// A request as lists show it: id, version, state, stage, title, organisation, CA id, reference.
Poco::JSON::Object::Ptr requestSummaryJson(const RequestRecord& r);

// Shared by the request and workflow routes.
bool readsEverything(const Principal& p);
// The request if the caller may see it; another organisation's request is "not found".
RequestRecord loadVisible(Services& s, const Principal& p, const std::string& id);
void checkIfMatch(Exchange& ex, const RequestRecord& record, bool required);
std::vector<std::string> availableEvents(Services& s, const RequestRecord& r, const Principal& p);
Response requestResponse(Services& s, int status, const RequestRecord& r, const std::vector<std::string>& available);

// The outbox message and finding views, shared with the authorisation view.
Poco::JSON::Object::Ptr outboxJson(const OutboxMessage& m, bool withPayload);
Poco::JSON::Object::Ptr findingJson(const FindingRecord& f);
// Reads `cursor` and `limit` of an outbox listing into `query`, refusing query parameters other
// than those and `allowed`; problems go to `errors`.
void readOutboxPaging(Exchange& ex, OutboxQuery& query, const std::set<std::string>& allowed,
                      std::vector<FieldError>& errors);
// One page of the outbox: {"items", "next_cursor"}; with `detail`, each item with its payload and
// attempt log.
Poco::JSON::Object::Ptr outboxPage(Services& s, OutboxQuery query, bool detail);

// A first transfer reported by a registry, checked as POST /api/v1/authorisations/{ref}/first-transfers
// does (the authorisation active, the total within the authorised quantity); field paths start
// with `pathPrefix`. Shared with the registry hook.
WriteResult firstTransferWrite(Services& s, const AuthorisationRecord& a, const RequestRecord& record,
                               const Poco::JSON::Object& fields, const std::string& pathPrefix,
                               const std::string& recordedBy);

// The ETag of a version: "7".
std::string etagOf(std::int64_t version);

// The text of docs/openapi.yaml, compiled in.
const std::string& openApiYaml();

}  // namespace a6::service
