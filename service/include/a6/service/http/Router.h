// Routes: method + path pattern ("/api/v1/requests/{id}") to a handler, with what the route
// needs (authentication, body limit). Reads return a Response; writes return a WriteResult that
// the server commits (with the Idempotency-Key record) before it answers.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "a6/service/http/Http.h"

namespace a6::service {

using ReadHandler = std::function<Response(Exchange&)>;
using WriteHandler = std::function<WriteResult(Exchange&)>;

struct Route {
  std::string method;
  std::string pattern;
  bool authenticated = true;
  std::size_t bodyLimit = 0;  // 0: the route takes no body
  ReadHandler read;           // exactly one of read and write
  WriteHandler write;
};

class Router {
 public:
  void add(Route route);

  struct Match {
    const Route* route = nullptr;  // null: no route for this method
    std::map<std::string, std::string> params;
    bool pathKnown = false;            // some route has this path (so a 405, not a 404)
    std::vector<std::string> allowed;  // methods allowed on the path
  };
  Match match(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> segments_;
};

std::vector<std::string> splitPath(const std::string& path);

}  // namespace a6::service
