// ServerFixture plus the helpers of tests that drive requests through the shipped workflows:
// a complete draft, firing events with the current ETag, and taking the standard workflow to
// authorised.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>

#include "ServerFixture.h"

namespace a6::test {

using Poco::JSON::Object;

class WorkflowFixture : public ServerFixture {
 protected:
  // A complete request as ada, with an authorised maximum set; returns its id.
  std::string draft(const std::string& extraPatch = "") {
    auto o = createSample();
    std::string id = o->getValue<std::string>("id");
    HttpResult r = as("ada", "PATCH", "/api/v1/requests/" + id,
                      extraPatch.empty() ? R"({"authorisation": {"authorized_quantity": 1500000}})" : extraPatch,
                      {{"If-Match", "\"1\""}});
    EXPECT_EQ(r.status, 200) << r.body;
    return id;
  }

  std::string etag(const std::string& id) { return as("ada", "GET", "/api/v1/requests/" + id).header("ETag"); }

  HttpResult fire(const std::string& user, const std::string& id, const std::string& event,
                  const std::string& comment = "", const std::string& data = "") {
    std::string body = R"({"event": ")" + event + "\"";
    if (!comment.empty()) body += R"(, "comment": ")" + comment + "\"";
    if (!data.empty()) body += R"(, "data": )" + data;
    body += "}";
    return as(user, "POST", "/api/v1/requests/" + id + "/events", body, {{"If-Match", etag(id)}});
  }

  void expectFire(const std::string& user, const std::string& id, const std::string& event,
                  const std::string& comment = "", const std::string& data = "") {
    HttpResult r = fire(user, id, event, comment, data);
    ASSERT_EQ(r.status, 200) << user << " " << event << ": " << r.body;
  }

  Object::Ptr get(const std::string& id) { return as("rita", "GET", "/api/v1/requests/" + id).json(); }
  std::string state(const std::string& id) { return get(id)->getValue<std::string>("state"); }
  std::string stage(const std::string& id) {
    auto o = get(id);
    return o->isNull("stage") ? "" : o->getValue<std::string>("stage");
  }

  std::vector<std::string> available(const std::string& user, const std::string& id) {
    auto a = as(user, "GET", "/api/v1/requests/" + id).json()->getArray("available_events");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < a->size(); ++i) out.push_back(a->getElement<std::string>(static_cast<unsigned>(i)));
    return out;
  }

  std::vector<std::string> effects(const std::string& id, const std::string& kind) {
    std::vector<std::string> out;
    // Letters are issued (rendered, signed, stored) in the decision's commit, not left pending.
    if (kind == "letter") {
      for (const auto& l : store_->lettersOfRequest(id)) out.push_back(l.templateName);
      return out;
    }
    for (const auto& e : store_->effects(id)) {
      if (e.kind != kind) continue;
      auto p = Poco::JSON::Parser().parse(e.payloadJson).extract<Object::Ptr>();
      std::string what = p->has("template")       ? p->getValue<std::string>("template")
                         : p->has("message_type") ? p->getValue<std::string>("message_type")
                                                  : p->getValue<std::string>("event_type");
      out.push_back(what);
    }
    return out;
  }

  std::vector<std::string> historyTypes(const std::string& id) {
    auto items = as("rita", "GET", "/api/v1/requests/" + id + "/history").json()->getArray("items");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < items->size(); ++i) {
      out.push_back(items->getObject(static_cast<unsigned>(i))->getValue<std::string>("type"));
    }
    return out;
  }

  // Submits and takes the standard workflow to authorised; returns the authorisation ref.
  std::string authorise(const std::string& id) {
    expectFire("ada", id, "submit");
    expectFire("rita", id, "accept");
    expectFire("tom", id, "endorse");
    expectFire("tess", id, "endorse");
    expectFire("amina", id, "approve");
    EXPECT_EQ(state(id), "authorised");
    return get(id)->getValue<std::string>("authorisation_ref");
  }

  static bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  }
};

}  // namespace a6::test
