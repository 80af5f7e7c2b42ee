#include "a6/service/app/Users.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>

#include "a6/core/Error.h"
#include "a6/service/http/Auth.h"
#include "a6/service/http/RequestJson.h"

namespace a6::service {
namespace {

std::string userStream(const std::string& name) { return "user:" + name; }

std::int64_t streamVersion(Store& store, const std::string& stream) {
  auto events = store.events(stream);
  return events.empty() ? 0 : events.back().seq;
}

bool saneUserName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '@';
  });
}

}  // namespace

void addUser(Store& store, const std::string& party, User u, const std::string& actor, const Clock& clock,
             const std::set<std::string>& workflowRoles) {
  if (!saneUserName(u.name)) {
    throw Error(ErrorCode::Malformed, "user names are 1 to 64 letters, digits, '.', '-', '_' or '@'");
  }
  if (u.roles.empty()) throw Error(ErrorCode::Malformed, "a user needs at least one role");
  for (const auto& r : u.roles) {
    if (!kBuiltInRoles.count(r) && !workflowRoles.count(r)) {
      std::string declared;
      for (const auto& w : workflowRoles) declared += ", " + w;
      throw Error(ErrorCode::Malformed, "unknown role '" + r +
                                            "'; roles are applicant, reviewer, approver, admin, auditor, registry" +
                                            declared);
    }
  }
  if (u.organisation.empty()) throw Error(ErrorCode::Malformed, "a user needs an organisation");
  if (u.displayName.empty()) u.displayName = u.name;
  u.createdAt = formatTimestamp(clock.now());
  if (store.findUser(u.name)) throw Error(ErrorCode::Conflict, "user '" + u.name + "' exists already");

  Poco::JSON::Object::Ptr payload = new Poco::JSON::Object;
  payload->set("name", u.name);
  Poco::JSON::Array::Ptr roles = new Poco::JSON::Array;
  for (const auto& r : u.roles) roles->add(r);
  payload->set("roles", roles);
  payload->set("organisation", u.organisation);
  payload->set("display_name", u.displayName);
  payload->set("email", u.email);
  Commit c;
  c.streamId = userStream(u.name);
  c.party = party;
  c.expectedVersion = streamVersion(store, c.streamId);
  c.events.push_back({"user_added", actor, u.createdAt, canonicalJson(payload)});
  c.user = u;
  store.commit(c);
}

std::string issueApiKey(Store& store, const std::string& party, const std::string& userName, const std::string& label,
                        const std::string& actor, const Clock& clock, IdGenerator& ids) {
  auto user = store.findUser(userName);
  if (!user || !user->active) throw Error(ErrorCode::NotFound, "no active user '" + userName + "'");
  std::string secret = newApiKeySecret();
  ApiKey key;
  key.id = ids.next("key");
  key.userName = user->name;
  key.keyHash = apiKeyHash(secret);
  key.label = label;
  key.createdAt = formatTimestamp(clock.now());
  Poco::JSON::Object::Ptr payload = new Poco::JSON::Object;
  payload->set("key_id", key.id);
  payload->set("label", key.label);
  Commit c;
  c.streamId = userStream(user->name);
  c.party = party;
  c.expectedVersion = streamVersion(store, c.streamId);
  c.events.push_back({"api_key_issued", actor, key.createdAt, canonicalJson(payload)});
  c.apiKey = key;
  store.commit(c);
  return secret;
}

}  // namespace a6::service
