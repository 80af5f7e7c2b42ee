#include "a6/service/http/Router.h"

#include <algorithm>

namespace a6::service {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  if (path.empty() || path[0] != '/') return out;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void Router::add(Route route) {
  segments_.push_back(splitPath(route.pattern));
  routes_.push_back(std::move(route));
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match m;
  auto parts = splitPath(path);
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& pattern = segments_[i];
    if (pattern.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (std::size_t k = 0; k < parts.size() && ok; ++k) {
      const std::string& p = pattern[k];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        if (parts[k].empty()) ok = false;
        params[p.substr(1, p.size() - 2)] = parts[k];
      } else if (p != parts[k]) {
        ok = false;
      }
    }
    if (!ok) continue;
    m.pathKnown = true;
    if (std::find(m.allowed.begin(), m.allowed.end(), routes_[i].method) == m.allowed.end()) {
      m.allowed.push_back(routes_[i].method);
    }
    if (!m.route && routes_[i].method == method) {
      m.route = &routes_[i];
      m.params = std::move(params);
    }
  }
  return m;
}

}  // namespace a6::service
