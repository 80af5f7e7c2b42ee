// The a6auth command line: `a6auth <command> [args]`. Each command is a class; this is the
// table that finds it.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace a6::service {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the command ran and found a problem (a broken chain…)
inline constexpr int kExitUsage = 2;   // bad arguments or configuration

class Command {
 public:
  virtual ~Command() = default;
  virtual int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) = 0;
};

int runCli(int argc, char** argv);

}  // namespace a6::service
