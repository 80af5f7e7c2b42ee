#include "a6/service/app/Cli.h"

#include <iostream>
#include <map>
#include <memory>

#include "a6/core/Error.h"
#include "app/Commands.h"

namespace a6::service {
namespace {

const char* kUsage =
    "a6auth — authorisation of Article 6 activities\n"
    "\n"
    "usage: a6auth COMMAND [ARGS] [--config FILE]\n"
    "\n"
    "  serve [--port-file FILE]          run the service\n"
    "  migrate                           apply database migrations\n"
    "  user add NAME --role R --org O    add a user (roles: applicant reviewer approver admin auditor registry)\n"
    "  user list                         list users\n"
    "  token issue NAME [--ttl SECONDS]  print a bearer token for a user\n"
    "  apikey issue NAME [--label TEXT]  print a new API key for a user (shown once)\n"
    "  audit verify                      recompute every hash chain; exit 1 on the first broken link\n"
    "  verify FILE                       check a letter's signatures and whether it is on record;\n"
    "                                    exit 0 valid, 1 invalid, 3 unknown\n"
    "  report aef --year YYYY [--format xml|csv]  the annual information export, to stdout\n"
    "  workflow check FILE...            check definitions; every problem with file and line; exit 1 on any\n"
    "  workflow graph FILE [--stage S]   print a definition as Graphviz DOT\n"
    "  workflow list                     registered definitions\n"
    "  workflow migrate NAME --to V [--map OLD=NEW,...] [--dry-run]\n"
    "                                    move running requests to version V where their stage exists\n"
    "\n"
    "The configuration comes from --config FILE or $A6AUTH_CONFIG.\n";

}  // namespace

int runCli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::map<std::string, std::unique_ptr<Command>> commands;
  commands["serve"] = std::make_unique<ServeCommand>();
  commands["migrate"] = std::make_unique<MigrateCommand>();
  commands["user"] = std::make_unique<UserCommand>();
  commands["token"] = std::make_unique<TokenCommand>();
  commands["apikey"] = std::make_unique<ApiKeyCommand>();
  commands["audit"] = std::make_unique<AuditCommand>();
  commands["workflow"] = std::make_unique<WorkflowCommand>();
  commands["verify"] = std::make_unique<VerifyCommand>();
  commands["report"] = std::make_unique<ReportCommand>();
  auto it = commands.find(args[0]);
  if (it == commands.end()) {
    std::cerr << "a6auth: unknown command '" << args[0] << "'\n\n" << kUsage;
    return kExitUsage;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    return it->second->run(rest, std::cout, std::cerr);
  } catch (const Error& e) {
    std::cerr << "a6auth " << args[0] << ": " << e.what() << "\n";
    bool usage = e.code() == ErrorCode::Config || e.code() == ErrorCode::Malformed || e.code() == ErrorCode::Definition;
    return usage ? kExitUsage : kExitFailed;
  } catch (const std::exception& e) {
    std::cerr << "a6auth " << args[0] << ": " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace a6::service
