#include "app/Commands.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <iostream>
#include <sstream>

#include "a6/core/Clock.h"
#include "a6/core/Error.h"
#include "a6/core/IdGenerator.h"
#include "a6/service/app/Passwords.h"
#include "a6/service/app/Users.h"
#include "a6/service/audit/Chain.h"
#include "a6/service/http/Auth.h"
#include "a6/service/http/RequestJson.h"
#include "a6/service/letters/LetterService.h"
#include "a6/service/reports/AefReport.h"
#include "a6/service/store/SqliteStore.h"
#include "a6/service/workflow/WorkflowService.h"
#include "a6/workflows/DefinitionLoader.h"
#include "a6/workflows/Graph.h"
#include "app/Args.h"

namespace a6::service {
namespace {

std::string osUser() {
  const char* u = std::getenv("USER");
  return std::string("cli:") + (u && *u ? u : std::to_string(::getuid()));
}

std::vector<std::string> splitComma(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

Config configFromArgs(const std::optional<std::string>& configOption) {
  std::string file = configOption.value_or("");
  if (file.empty()) {
    const char* env = std::getenv("A6AUTH_CONFIG");
    if (env) file = env;
  }
  if (file.empty()) throw Error(ErrorCode::Config, "no configuration: pass --config FILE or set A6AUTH_CONFIG");
  return loadConfig(file, processEnvironment());
}

WorkflowSettings workflowSettings(const Config& config) {
  return WorkflowSettings{config.party, config.workflows.defaultWorkflow, config.workflows.strictFirstTransferCheck};
}

std::unique_ptr<Store> openStore(const Config& config) {
  auto store = std::make_unique<SqliteStore>(config.store.sqlitePath, config.store.readers, config.store.busyTimeout);
  store->migrate();
  return store;
}

int MigrateCommand::run(const std::vector<std::string>& argv, std::ostream& out, std::ostream&) {
  Args args(argv, {"config"}, {});
  Config config = configFromArgs(args.get("config"));
  SqliteStore store(config.store.sqlitePath, 1, config.store.busyTimeout);
  auto applied = store.migrate();
  out << "applied " << applied.size() << " migration(s); schema at "
      << (store.appliedMigrations().empty() ? 0 : store.appliedMigrations().back()) << "\n";
  return kExitOk;
}

int UserCommand::run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args args(argv, {"config", "role", "org", "name", "email", "password-file"}, {"json"});
  const auto& pos = args.positional();
  if (pos.empty() || (pos[0] != "add" && pos[0] != "list" && pos[0] != "password")) {
    err << "usage: a6auth user add NAME --role ROLE[,ROLE] --org ORG [--name \"Display Name\"] [--email E]"
        << " [--password-file FILE]\n"
        << "       a6auth user password NAME --password-file FILE   (FILE '-' reads stdin)\n"
        << "       a6auth user list\n";
    return kExitUsage;
  }
  Config config = configFromArgs(args.get("config"));
  auto store = openStore(config);
  SystemClock clock;
  if (pos[0] == "list") {
    for (const auto& u : store->listUsers()) {
      std::string roles;
      for (const auto& r : u.roles) roles += (roles.empty() ? "" : ",") + r;
      out << u.name << "\t" << roles << "\t" << u.organisation << (u.active ? "" : "\t(disabled)") << "\n";
    }
    return kExitOk;
  }
  if (pos[0] == "password") {
    // From a file or stdin only: a password on the command line would be in `ps` and shell history.
    if (pos.size() != 2) throw Error(ErrorCode::Malformed, "user password takes exactly one NAME");
    setUserPassword(*store, config.party, pos[1], readPasswordFile(args.required("password-file")), osUser(), clock);
    out << "set the password of " << pos[1] << "\n";
    return kExitOk;
  }
  if (pos.size() != 2) throw Error(ErrorCode::Malformed, "user add takes exactly one NAME");
  std::optional<std::string> password;
  if (auto file = args.get("password-file")) {
    password = readPasswordFile(*file);
    checkNewPassword(*password);
  }
  User u;
  u.name = pos[1];
  u.roles = splitComma(args.required("role"));
  u.organisation = args.required("org");
  u.displayName = args.get("name").value_or("");
  u.email = args.get("email").value_or("");
  UlidGenerator ids(clock);
  WorkflowService workflows(*store, clock, ids, workflowSettings(config));
  if (!config.workflows.dir.empty()) workflows.registerDirectory(config.workflows.dir, osUser());
  addUser(*store, config.party, u, osUser(), clock, workflows.declaredRoles());
  if (password) setUserPassword(*store, config.party, u.name, *password, osUser(), clock);
  const std::string& name = u.name;
  out << "added user " << name << " (" << args.required("role") << ", " << u.organisation << ")\n";
  return kExitOk;
}

int TokenCommand::run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args args(argv, {"config", "ttl"}, {});
  const auto& pos = args.positional();
  if (pos.size() != 2 || pos[0] != "issue") {
    err << "usage: a6auth token issue NAME [--ttl SECONDS]\n";
    return kExitUsage;
  }
  Config config = configFromArgs(args.get("config"));
  auto store = openStore(config);
  auto user = store->findUser(pos[1]);
  if (!user || !user->active) throw Error(ErrorCode::NotFound, "no active user '" + pos[1] + "'");
  SystemClock clock;
  TokenService tokens(config.auth, clock);
  std::chrono::seconds ttl = config.auth.tokenTtl;
  if (auto t = args.get("ttl")) {
    long long v = 0;
    try {
      v = std::stoll(*t);
    } catch (const std::exception&) {
      v = 0;
    }
    if (v < 1 || v > 30LL * 86400) throw Error(ErrorCode::Malformed, "--ttl must be 1 to 2592000 seconds");
    ttl = std::chrono::seconds(v);
  }
  out << tokens.issue(user->name, ttl) << "\n";
  return kExitOk;
}

int ApiKeyCommand::run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args args(argv, {"config", "label"}, {});
  const auto& pos = args.positional();
  if (pos.size() != 2 || pos[0] != "issue") {
    err << "usage: a6auth apikey issue NAME [--label TEXT]\n";
    return kExitUsage;
  }
  Config config = configFromArgs(args.get("config"));
  auto store = openStore(config);
  SystemClock clock;
  UlidGenerator ids(clock);
  std::string secret = issueApiKey(*store, config.party, pos[1], args.get("label").value_or(""), osUser(), clock, ids);
  // The secret is shown once, here; only its hash is stored.
  out << secret << "\n";
  return kExitOk;
}

int WorkflowCommand::run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args args(argv, {"config", "stage", "to", "map"}, {"dry-run"});
  const auto& pos = args.positional();
  std::string sub = pos.empty() ? "" : pos[0];
  if (sub == "check" && pos.size() >= 2) {
    int bad = 0;
    for (std::size_t i = 1; i < pos.size(); ++i) {
      auto problems = workflows::checkDefinitionFile(pos[i], {requestFieldPaths()});
      for (const auto& p : problems) out << p.file << ":" << p.line << ": " << p.reason << "\n";
      if (problems.empty()) {
        auto d = workflows::loadDefinitionFile(pos[i], {requestFieldPaths()});
        out << pos[i] << ": OK (" << d.name << " version " << d.version << ", " << d.stages.size() << " stages)\n";
      } else {
        ++bad;
      }
    }
    return bad ? kExitFailed : kExitOk;
  }
  if (sub == "graph" && pos.size() == 2) {
    auto d = workflows::loadDefinitionFile(pos[1], {requestFieldPaths()});
    out << workflows::toDot(d, args.get("stage").value_or(""));
    return kExitOk;
  }
  if (sub == "list" && pos.size() == 1) {
    Config config = configFromArgs(args.get("config"));
    auto store = openStore(config);
    SystemClock clock;
    UlidGenerator ids(clock);
    WorkflowService workflows(*store, clock, ids, workflowSettings(config));
    for (const auto& d : store->listDefinitions()) {
      out << d.name << "\tv" << d.version << "\t" << d.sha256.substr(0, 12) << "\t"
          << workflows.definition(d.name, d.version).title << "\n";
    }
    return kExitOk;
  }
  if (sub == "migrate" && pos.size() == 2) {
    Config config = configFromArgs(args.get("config"));
    auto store = openStore(config);
    SystemClock clock;
    UlidGenerator ids(clock);
    WorkflowService workflows(*store, clock, ids, workflowSettings(config));
    if (!config.workflows.dir.empty()) workflows.registerDirectory(config.workflows.dir, osUser());
    std::string toText = args.required("to");
    int to = 0;
    try {
      to = std::stoi(toText);
    } catch (const std::exception&) {
      throw Error(ErrorCode::Malformed, "--to takes a version number");
    }
    std::map<std::string, std::string> mapping;
    for (const auto& pair : splitComma(args.get("map").value_or(""))) {
      auto eq = pair.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
        throw Error(ErrorCode::Malformed, "--map takes OLD=NEW pairs separated by commas");
      }
      mapping[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    auto report = workflows.migrate(pos[1], to, mapping, osUser(), args.flag("dry-run"));
    for (const auto& line : report.moved) out << "moved   " << line << "\n";
    for (const auto& line : report.kept) out << "kept    " << line << "\n";
    out << report.moved.size() << " moved, " << report.kept.size() << " kept on their version"
        << (args.flag("dry-run") ? " (dry run: nothing written)" : "") << "\n";
    return kExitOk;
  }
  err << "usage: a6auth workflow check FILE... | graph FILE [--stage S] | list | migrate NAME --to V [--map A=B,...] "
         "[--dry-run]\n";
  return kExitUsage;
}

int VerifyCommand::run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args args(argv, {"config"}, {});
  if (args.positional().size() != 1) {
    err << "usage: a6auth verify FILE\n";
    return kExitUsage;
  }
  const std::string& file = args.positional()[0];
  Config config = configFromArgs(args.get("config"));
  if (config.letters.templatesDir.empty()) {
    throw Error(ErrorCode::Config, config.file + ": letters.templates_dir: letters are not configured");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(ErrorCode::Malformed, "cannot read " + file);
  std::string pdf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto store = openStore(config);
  SystemClock clock;
  UlidGenerator ids(clock);
  LetterService letters(config, *store, clock, ids);
  LetterVerification v = letters.verify(pdf);
  out << file << ": " << v.result << ": " << v.reason << "\n";
  for (std::size_t i = 0; i < v.pdf.signatures.size(); ++i) {
    const auto& s = v.pdf.signatures[i];
    out << "  signature " << i + 1 << ": " << (s.intact ? "intact" : "NOT intact") << ", "
        << (s.chainTrusted ? "trusted" : "NOT trusted") << ", signer " << s.signerName << ", signed "
        << s.signingTime << (s.timestampTime ? ", time-stamped " + *s.timestampTime : "")
        << (s.coversWholeFile ? ", covers the whole file" : ", bytes follow it") << (s.problem.empty() ? "" : ": " + s.problem)
        << "\n";
  }
  if (v.letter) {
    out << "  on record: " << v.letter->reference << " (" << v.letter->templateName << "), issued " << v.letter->issuedAt
        << "\n";
    if (!v.authorisationStatus.empty()) out << "  authorisation " << *v.letter->ref << ": " << v.authorisationStatus << "\n";
  }
  return v.result == "valid" ? kExitOk : v.result == "invalid" ? kExitFailed : 3;
}

int ReportCommand::run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args args(argv, {"config", "year", "format"}, {});
  if (args.positional().size() != 1 || args.positional()[0] != "aef") {
    err << "usage: a6auth report aef --year YYYY [--format xml|csv]\n";
    return kExitUsage;
  }
  std::string yearText = args.required("year");
  int year = 0;
  try {
    year = std::stoi(yearText);
  } catch (const std::exception&) {
    year = 0;
  }
  if (year < 2021 || year > 2100) throw Error(ErrorCode::Malformed, "--year must be 2021 to 2100");
  std::string format = args.get("format").value_or("xml");
  if (format != "xml" && format != "csv") throw Error(ErrorCode::Malformed, "--format is xml or csv");
  Config config = configFromArgs(args.get("config"));
  auto store = openStore(config);
  SystemClock clock;
  UlidGenerator ids(clock);
  out << (format == "xml" ? aefXml(*store, config, year, clock.now(), ids) : aefCsv(*store, config, year));
  return kExitOk;
}

int AuditCommand::run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  Args args(argv, {"config"}, {});
  if (args.positional().size() != 1 || args.positional()[0] != "verify") {
    err << "usage: a6auth audit verify\n";
    return kExitUsage;
  }
  Config config = configFromArgs(args.get("config"));
  auto store = openStore(config);
  AuditReport report = verifyChains(*store);
  if (report.ok()) {
    out << "audit: OK: " << report.streams << " streams, " << report.events << " events; every chain verifies\n";
    return kExitOk;
  }
  out << "audit: BROKEN: " << report.breaks.size() << " of " << report.streams << " streams fail\n";
  for (const auto& b : report.breaks) {
    out << "  stream " << b.streamId << " event " << b.seq << ": " << b.reason << "\n";
  }
  return kExitFailed;
}

}  // namespace a6::service
