// Operations endpoints: liveness, readiness, metrics, the API description, and "who am I".
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "a6/core/Error.h"
#include "a6/service/http/RequestJson.h"
#include "http/Routes.h"

namespace a6::service {

void registerOpsRoutes(Router& router, Services& s) {
  router.add({"GET", "/healthz", false, 0, [](Exchange&) { return Response::json(200, R"({"status":"ok"})"); }, {}});

  router.add({"GET",
              "/readyz",
              false,
              0,
              [&s](Exchange&) {
                if (s.stopping) return Response::json(503, R"({"status":"stopping"})");
                try {
                  s.store.ping();
                } catch (const Error&) {
                  s.metrics.recordStoreError();
                  return Response::json(503, R"({"status":"store unavailable"})");
                }
                return Response::json(200, R"({"status":"ready"})");
              },
              {}});

  router.add({"GET",
              "/metrics",
              false,
              0,
              [&s](Exchange&) {
                Response r;
                r.contentType = "text/plain; version=0.0.4; charset=utf-8";
                r.body = s.metrics.render();
                // What waits to be delivered, and what died: the figures an operator alerts on.
                r.body +=
                    "# HELP a6auth_outbox_messages Outbox messages by destination and status.\n"
                    "# TYPE a6auth_outbox_messages gauge\n";
                std::map<std::pair<std::string, std::string>, std::int64_t> counts;
                try {
                  counts = s.store.outboxCounts();
                } catch (const Error&) {
                  // The HTTP figures still help when the database does not answer.
                  s.metrics.recordStoreError();
                  r.body += "# the outbox could not be counted: the database did not answer\n";
                  return r;
                }
                for (const char* destination : {"unfccc", "email", "webhook"}) {
                  for (const char* status : {"pending", "delivered", "dead"}) {
                    auto it = counts.find({destination, status});
                    r.body += std::string("a6auth_outbox_messages{destination=\"") + destination + "\",status=\"" +
                              status + "\"} " + std::to_string(it == counts.end() ? 0 : it->second) + "\n";
                  }
                }
                return r;
              },
              {}});

  router.add({"GET",
              "/openapi.yaml",
              false,
              0,
              [](Exchange&) {
                Response r;
                r.contentType = "application/yaml; charset=utf-8";
                r.body = openApiYaml();
                return r;
              },
              {}});

  router.add({"GET",
              "/api/v1/me",
              true,
              0,
              [](Exchange& ex) {
                const Principal& p = ex.who();
                Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
                o->set("name", p.name);
                o->set("organisation", p.organisation);
                Poco::JSON::Array::Ptr roles = new Poco::JSON::Array;
                for (const auto& role : p.roles) roles->add(role);
                o->set("roles", roles);
                return Response::json(200, canonicalJson(o));
              },
              {}});
}

}  // namespace a6::service
