// The HTTP layer's own vocabulary: a response value, the exchange a handler works on, and the
// principal it acts for. Handlers return values; the server writes them.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPServerRequest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "a6/service/store/Store.h"

namespace a6::service {

struct Response {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response json(int status, std::string body);
  std::string header(const std::string& name) const;  // "" when absent
};

struct Principal {
  std::string name;
  std::set<std::string> roles;
  std::string organisation;
  bool hasRole(const std::string& role) const { return roles.count(role) > 0; }
};

struct Limits;

// One HTTP request as a handler sees it.
class Exchange {
 public:
  Exchange(Poco::Net::HTTPServerRequest& request, std::string path, std::size_t bodyLimit);

  Poco::Net::HTTPServerRequest& request() { return request_; }
  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }  // without the query
  std::string header(const std::string& name) const;
  // The query parameter's value, or nothing. A parameter given twice is a 400.
  std::optional<std::string> query(const std::string& name) const;
  const std::map<std::string, std::string>& queryParams() const { return query_; }

  std::map<std::string, std::string> params;  // path parameters, by name
  std::optional<Principal> principal;
  std::string requestId;

  // The body, read once (streamed, SHA-256 computed while reading) up to the route's limit;
  // a larger body is a 413.
  const std::string& body();
  const std::string& bodySha256();
  // True once the whole body has been read (so the connection can be kept alive).
  bool bodyComplete() const { return bodyComplete_; }
  // The body as a JSON object: valid UTF-8, nesting within `maxDepth`, an object at the top.
  Poco::JSON::Object::Ptr jsonObject(int maxDepth);

  // The principal, or a 401 when the route was reached without one (a server bug).
  const Principal& who() const;

 private:
  Poco::Net::HTTPServerRequest& request_;
  std::string method_;
  std::string path_;
  std::size_t bodyLimit_;
  std::map<std::string, std::string> query_;
  std::set<std::string> repeated_;
  bool bodyRead_ = false;
  bool bodyComplete_ = false;
  std::string body_;
  std::string bodySha256_;
};

// What a write handler hands back: the unit of work and the answer to give once it is committed.
struct WriteResult {
  Commit commit;
  Response response;
};

// Checks that text is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool isValidUtf8(std::string_view text);
// The deepest nesting of arrays and objects in JSON text (strings are skipped).
int jsonNestingDepth(std::string_view text);

}  // namespace a6::service
