#include "app/Args.h"

namespace a6::service {

Args::Args(const std::vector<std::string>& args, const std::set<std::string>& valued,
           const std::set<std::string>& flags) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flags.count(name)) {
      if (value) throw Error(ErrorCode::Malformed, "--" + name + " takes no value");
      flags_.insert(name);
    } else if (valued.count(name)) {
      if (!value) {
        if (i + 1 >= args.size()) throw Error(ErrorCode::Malformed, "--" + name + " needs a value");
        value = args[++i];
      }
      values_[name] = *value;
    } else {
      throw Error(ErrorCode::Malformed, "unknown option --" + name);
    }
  }
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::required(const std::string& name) const {
  auto v = get(name);
  if (!v || v->empty()) throw Error(ErrorCode::Malformed, "--" + name + " is required");
  return *v;
}

}  // namespace a6::service
