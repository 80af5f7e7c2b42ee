// The subcommands of a6auth. Each opens what it needs from the configuration.
#pragma once

#include <memory>

#include "a6/service/app/Cli.h"
#include "a6/service/app/Config.h"
#include "a6/service/store/Store.h"
#include "a6/service/workflow/WorkflowService.h"

namespace a6::service {

class ServeCommand final : public Command {
 public:
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) override;
};

class MigrateCommand final : public Command {
 public:
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) override;
};

class UserCommand final : public Command {
 public:
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) override;
};

class TokenCommand final : public Command {
 public:
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) override;
};

class ApiKeyCommand final : public Command {
 public:
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) override;
};

class WorkflowCommand final : public Command {
 public:
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) override;
};

class VerifyCommand final : public Command {
 public:
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) override;
};

class ReportCommand final : public Command {
 public:
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) override;
};

class AuditCommand final : public Command {
 public:
  int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) override;
};

// --config FILE, else $A6AUTH_CONFIG; loads and validates it.
Config configFromArgs(const std::optional<std::string>& configOption);
// The workflow settings of a configuration.
WorkflowSettings workflowSettings(const Config& config);
// The store the configuration names, migrated.
std::unique_ptr<Store> openStore(const Config& config);

}  // namespace a6::service
