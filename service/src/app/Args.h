// A small argument reader for subcommands: positionals and --name value / --name=value options.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "a6/core/Error.h"

namespace a6::service {

class Args {
 public:
  // `valued` are the options that take a value; `flags` those that don't. Anything else is an error.
  Args(const std::vector<std::string>& args, const std::set<std::string>& valued, const std::set<std::string>& flags);
  const std::vector<std::string>& positional() const { return positional_; }
  std::optional<std::string> get(const std::string& name) const;
  std::string required(const std::string& name) const;
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

}  // namespace a6::service
