#include "a6/service/app/Config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Path.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "a6/core/Error.h"
#include "a6/integrations/webhooks/Signature.h"
#include "a6/service/domain/CountryCodes.h"

extern char** environ;

namespace a6::service {
namespace {

// Every key the file may hold; anything else is a typo and stops the start.
const std::set<std::string> kKnownKeys = {
    "party",
    "http.host",
    "http.port",
    "http.max_threads",
    "http.max_queued",
    "http.shutdown_timeout_s",
    "http.public_url",
    "store.sqlite.path",
    "store.sqlite.readers",
    "store.sqlite.busy_timeout_ms",
    "limits.json_body_bytes",
    "limits.json_depth",
    "limits.attachment_bytes",
    "limits.attachments_per_request",
    "limits.page_size_max",
    "attachments.media_types",
    "auth.jwt.issuer",
    "auth.jwt.secret_file",
    "auth.jwt.ttl_s",
    "auth.jwt.clock_skew_s",
    "log.level",
    "workflows.dir",
    "workflows.default",
    "workflows.timer_poll_ms",
    "amendments.first_transfer_check",
    "country.name",
    "ministry.name",
    "ministry.department",
    "ministry.address",
    "ministry.city",
    "letters.templates_dir",
    "letters.language",
    "letters.emblem",
    "letters.signing_key",
    "letters.signing_key_passphrase_file",
    "letters.trust_anchors",
    "letters.tsa_url",
    "limits.verify_upload_bytes",
    "outbox.workers",
    "outbox.poll_ms",
    "outbox.lease_s",
    "outbox.retry.initial_ms",
    "outbox.retry.max_ms",
    "outbox.retry.multiplier",
    "outbox.retry.max_attempts",
    "unfccc.url",
    "unfccc.ca_file",
    "unfccc.client_cert",
    "unfccc.client_key",
    "unfccc.certificate",
    "unfccc.connect_timeout_ms",
    "unfccc.read_timeout_ms",
    "unfccc.allow_http",
    "unfccc.inbound_bytes",
    "smtp.host",
    "smtp.port",
    "smtp.security",
    "smtp.username",
    "smtp.password_file",
    "smtp.ca_file",
    "smtp.from",
    "smtp.from_name",
    "smtp.timeout_ms",
    "email.templates_dir",
    "email.language",
    "email.attach_letters",
    "webhooks.allow_http",
    "webhooks.allow_private_addresses",
    "webhooks.timeout_ms",
    "webhooks.disable_after",
    "webhooks.ca_file",
    "hooks.tolerance_s",
};

// signatories.<role>.name and signatories.<role>.title
bool isSignatoryKey(const std::string& key) {
  const std::string prefix = "signatories.";
  if (key.rfind(prefix, 0) != 0) return false;
  std::string rest = key.substr(prefix.size());
  auto dot = rest.find('.');
  if (dot == std::string::npos || dot == 0) return false;
  std::string field = rest.substr(dot + 1);
  std::string role = rest.substr(0, dot);
  bool roleOk = std::all_of(role.begin(), role.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
  return roleOk && (field == "name" || field == "title");
}

// hooks.registry.<source>.secret_file
bool isRegistrySecretKey(const std::string& key) {
  const std::string prefix = "hooks.registry.", suffix = ".secret_file";
  if (key.size() <= prefix.size() + suffix.size() || key.rfind(prefix, 0) != 0) return false;
  if (key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  const std::string source = key.substr(prefix.size(), key.size() - prefix.size() - suffix.size());
  return std::all_of(source.begin(), source.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-';
  });
}

class Reader {
 public:
  Reader(std::string file, std::map<std::string, std::string> values)
      : file_(std::move(file)), values_(std::move(values)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& reason) const {
    throw Error(ErrorCode::Config, file_ + ": " + key + ": " + reason);
  }

  bool has(const std::string& key) const { return values_.count(key) > 0; }

  std::string string(const std::string& key, const std::string& fallback) const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
  }

  std::string required(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end() || it->second.empty()) fail(key, "is required");
    return it->second;
  }

  long long integer(const std::string& key, long long fallback, long long min, long long max) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    long long v = 0;
    std::size_t used = 0;
    try {
      v = std::stoll(it->second, &used);
    } catch (const std::exception&) {
      fail(key, "'" + it->second + "' is not a whole number");
    }
    if (used != it->second.size()) fail(key, "'" + it->second + "' is not a whole number");
    if (v < min || v > max) {
      fail(key, std::to_string(v) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
    }
    return v;
  }

  bool boolean(const std::string& key, bool fallback) const {
    auto it = values_.find(key);
    if (it == values_.end()) return fallback;
    if (it->second == "true") return true;
    if (it->second == "false") return false;
    fail(key, "'" + it->second + "' is neither true nor false");
  }

  // A path, made absolute against the config file's folder.
  std::string path(const std::string& key, const std::string& fallback) const {
    std::string p = string(key, fallback);
    if (p.empty()) return p;
    Poco::Path path(p);
    if (path.isAbsolute()) return path.toString();
    Poco::Path base(file_);
    base.makeAbsolute();
    return Poco::Path(base.parent(), path).toString();
  }

 private:
  std::string file_;
  std::map<std::string, std::string> values_;
};

std::string trim(std::string s) {
  auto notSpace = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), notSpace));
  s.erase(std::find_if(s.rbegin(), s.rend(), notSpace).base(), s.end());
  return s;
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item = trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string envName(const std::string& key) {
  std::string name = "A6AUTH_";
  for (char c : key) name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return name;
}

std::string readSecretFile(const Reader& r, const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) r.fail(key, "cannot read secret file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return trim(ss.str());
}

}  // namespace

std::map<std::string, std::string> processEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

Config loadConfig(const std::string& file, const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> values;
  {
    std::ifstream probe(file);
    if (!probe) throw Error(ErrorCode::Config, file + ": cannot read the configuration file");
  }
  try {
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> props(new Poco::Util::PropertyFileConfiguration(file));
    std::vector<std::string> stack{""};
    // Walk the key tree; leaves are the settings.
    while (!stack.empty()) {
      std::string prefix = stack.back();
      stack.pop_back();
      Poco::Util::AbstractConfiguration::Keys keys;
      props->keys(prefix, keys);
      for (const auto& k : keys) {
        std::string full = prefix.empty() ? k : prefix + "." + k;
        Poco::Util::AbstractConfiguration::Keys children;
        props->keys(full, children);
        if (children.empty()) {
          values[full] = trim(props->getRawString(full));
        } else {
          stack.push_back(full);
        }
      }
    }
  } catch (const Poco::Exception& e) {
    throw Error(ErrorCode::Config, file + ": cannot parse: " + e.displayText());
  }
  for (const auto& [key, value] : values) {
    if (!kKnownKeys.count(key) && !isSignatoryKey(key) && !isRegistrySecretKey(key)) {
      throw Error(ErrorCode::Config, file + ": " + key + ": unknown setting");
    }
  }
  for (const auto& key : kKnownKeys) {
    auto it = env.find(envName(key));
    if (it != env.end()) values[key] = it->second;
  }

  Reader r(file, values);
  Config c;
  c.file = file;
  c.party = r.required("party");
  if (!isIsoAlpha3(c.party)) r.fail("party", "'" + c.party + "' is not an ISO 3166 alpha-3 code");

  c.http.host = r.string("http.host", c.http.host);
  c.http.port = static_cast<int>(r.integer("http.port", c.http.port, 0, 65535));
  c.http.maxThreads = static_cast<int>(r.integer("http.max_threads", c.http.maxThreads, 1, 1024));
  c.http.maxQueued = static_cast<int>(r.integer("http.max_queued", c.http.maxQueued, 1, 100000));
  c.http.shutdownTimeout =
      std::chrono::seconds(r.integer("http.shutdown_timeout_s", c.http.shutdownTimeout.count(), 0, 3600));
  c.http.publicUrl = r.string("http.public_url", "http://" + c.http.host + ":" + std::to_string(c.http.port));
  while (!c.http.publicUrl.empty() && c.http.publicUrl.back() == '/') c.http.publicUrl.pop_back();

  c.store.sqlitePath = r.path("store.sqlite.path", "");
  if (c.store.sqlitePath.empty()) r.fail("store.sqlite.path", "is required");
  c.store.readers = static_cast<int>(r.integer("store.sqlite.readers", c.store.readers, 1, 64));
  c.store.busyTimeout =
      std::chrono::milliseconds(r.integer("store.sqlite.busy_timeout_ms", c.store.busyTimeout.count(), 0, 600000));

  c.limits.jsonBodyBytes = static_cast<std::size_t>(
      r.integer("limits.json_body_bytes", static_cast<long long>(c.limits.jsonBodyBytes), 1024, 64ll << 20));
  c.limits.jsonDepth = static_cast<int>(r.integer("limits.json_depth", c.limits.jsonDepth, 4, 128));
  c.limits.attachmentBytes = static_cast<std::size_t>(
      r.integer("limits.attachment_bytes", static_cast<long long>(c.limits.attachmentBytes), 1, 512ll << 20));
  c.limits.attachmentsPerRequest =
      static_cast<int>(r.integer("limits.attachments_per_request", c.limits.attachmentsPerRequest, 1, 1000));
  c.limits.pageSizeMax = static_cast<int>(r.integer("limits.page_size_max", c.limits.pageSizeMax, 1, 200));

  c.attachmentMediaTypes =
      splitList(r.string("attachments.media_types",
                         "application/pdf,image/png,image/jpeg,text/plain,text/csv,application/zip,"
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));

  c.auth.jwtIssuer = r.string("auth.jwt.issuer", c.auth.jwtIssuer);
  c.auth.tokenTtl = std::chrono::seconds(r.integer("auth.jwt.ttl_s", c.auth.tokenTtl.count(), 60, 30 * 86400));
  c.auth.clockSkew = std::chrono::seconds(r.integer("auth.jwt.clock_skew_s", c.auth.clockSkew.count(), 0, 300));
  if (auto it = env.find("A6AUTH_JWT_SECRET"); it != env.end() && !it->second.empty()) {
    c.auth.jwtSecret = it->second;
  } else {
    std::string secretFile = r.path("auth.jwt.secret_file", "");
    if (auto f = env.find("A6AUTH_JWT_SECRET_FILE"); f != env.end() && !f->second.empty()) secretFile = f->second;
    if (secretFile.empty()) {
      r.fail("auth.jwt.secret_file", "is required (or set A6AUTH_JWT_SECRET in the environment)");
    }
    c.auth.jwtSecret = readSecretFile(r, "auth.jwt.secret_file", secretFile);
  }
  if (c.auth.jwtSecret.size() < 32) {
    r.fail("auth.jwt.secret_file", "the JWT secret must be at least 32 characters");
  }

  c.workflows.dir = r.path("workflows.dir", "");
  c.workflows.defaultWorkflow = r.string("workflows.default", "article6-2-standard");
  c.workflows.timerPoll =
      std::chrono::milliseconds(r.integer("workflows.timer_poll_ms", c.workflows.timerPoll.count(), 10, 3600000));
  std::string check = r.string("amendments.first_transfer_check", "strict");
  if (check != "strict" && check != "off") {
    r.fail("amendments.first_transfer_check", "'" + check + "' is neither strict nor off");
  }
  c.workflows.strictFirstTransferCheck = check == "strict";

  LettersConfig& l = c.letters;
  l.countryName = r.string("country.name", c.party);
  l.ministryName = r.string("ministry.name", "");
  l.ministryDepartment = r.string("ministry.department", "");
  {
    // Address lines are separated by '|': a line may hold commas ("P.O. Box M232, Accra").
    std::stringstream in(r.string("ministry.address", ""));
    std::string line;
    while (std::getline(in, line, '|')) {
      line = trim(line);
      if (!line.empty()) l.ministryAddress.push_back(line);
    }
  }
  l.ministryCity = r.string("ministry.city", "");
  l.templatesDir = r.path("letters.templates_dir", "");
  l.language = r.string("letters.language", "en");
  if (l.language != "en" && l.language != "fr" && l.language != "es") {
    r.fail("letters.language", "'" + l.language + "' is not one of en, fr, es");
  }
  l.emblem = r.path("letters.emblem", "");
  l.signingKey = r.path("letters.signing_key", "");
  l.tsaUrl = r.string("letters.tsa_url", "");
  for (const auto& anchor : splitList(r.string("letters.trust_anchors", ""))) {
    Poco::Path p(anchor);
    if (!p.isAbsolute()) {
      Poco::Path base(file);
      base.makeAbsolute();
      p = Poco::Path(base.parent(), p);
    }
    l.trustAnchors.push_back(p.toString());
  }
  l.verifyUploadBytes = static_cast<std::size_t>(
      r.integer("limits.verify_upload_bytes", static_cast<long long>(l.verifyUploadBytes), 1024, 256ll << 20));
  if (!l.templatesDir.empty()) {
    if (l.ministryName.empty()) r.fail("ministry.name", "is required when letters are issued");
    if (l.signingKey.empty()) r.fail("letters.signing_key", "is required when letters are issued");
    if (auto it = env.find("A6AUTH_SIGNING_KEY_PASSPHRASE"); it != env.end()) {
      l.signingKeyPassphrase = it->second;
    } else {
      std::string passFile = r.path("letters.signing_key_passphrase_file", "");
      if (passFile.empty()) {
        r.fail("letters.signing_key_passphrase_file", "is required (or set A6AUTH_SIGNING_KEY_PASSPHRASE)");
      }
      l.signingKeyPassphrase = readSecretFile(r, "letters.signing_key_passphrase_file", passFile);
    }
  }
  for (const auto& [key, value] : values) {
    if (!isSignatoryKey(key)) continue;
    std::string rest = key.substr(std::string("signatories.").size());
    auto dot = rest.find('.');
    Signatory& sig = l.signatories[rest.substr(0, dot)];
    (rest.substr(dot + 1) == "name" ? sig.name : sig.title) = value;
  }

  OutboxConfig& o = c.outbox;
  o.workers = static_cast<int>(r.integer("outbox.workers", o.workers, 1, 32));
  o.poll = std::chrono::milliseconds(r.integer("outbox.poll_ms", o.poll.count(), 10, 60000));
  o.lease = std::chrono::seconds(r.integer("outbox.lease_s", o.lease.count(), 5, 86400));
  o.retryInitial = std::chrono::milliseconds(r.integer("outbox.retry.initial_ms", o.retryInitial.count(), 10, 3600000));
  o.retryMax = std::chrono::milliseconds(r.integer("outbox.retry.max_ms", o.retryMax.count(), 10, 7 * 86400000ll));
  {
    const std::string text = r.string("outbox.retry.multiplier", "2");
    try {
      std::size_t used = 0;
      o.retryMultiplier = std::stod(text, &used);
      if (used != text.size() || o.retryMultiplier < 1.0 || o.retryMultiplier > 10.0) throw std::invalid_argument(text);
    } catch (const std::exception&) {
      r.fail("outbox.retry.multiplier", "'" + text + "' is not a number from 1 to 10");
    }
  }
  o.maxAttempts = static_cast<int>(r.integer("outbox.retry.max_attempts", o.maxAttempts, 1, 1000));
  if (o.retryMax < o.retryInitial) r.fail("outbox.retry.max_ms", "is below outbox.retry.initial_ms");

  UnfcccConfig& u = c.unfccc;
  u.url = r.string("unfccc.url", "");
  u.allowHttp = r.boolean("unfccc.allow_http", false);
  if (!u.url.empty()) {
    const bool https = u.url.rfind("https://", 0) == 0;
    const bool http = u.url.rfind("http://", 0) == 0;
    if (!https && !(http && u.allowHttp)) {
      r.fail("unfccc.url", "must start with https:// (http:// only with unfccc.allow_http = true)");
    }
  }
  u.caFile = r.path("unfccc.ca_file", "");
  u.clientCert = r.path("unfccc.client_cert", "");
  u.clientKey = r.path("unfccc.client_key", "");
  if (u.clientCert.empty() != u.clientKey.empty()) {
    r.fail(u.clientCert.empty() ? "unfccc.client_cert" : "unfccc.client_key",
           "is required with the other one (mutual TLS needs both the certificate and its key)");
  }
  u.certificate = r.path("unfccc.certificate", "");
  if (!u.url.empty()) {
    if (u.certificate.empty()) {
      r.fail("unfccc.certificate", "is required with unfccc.url: acknowledgements are checked against it");
    }
    if (c.letters.signingKey.empty()) {
      r.fail("letters.signing_key", "is required with unfccc.url: notifications are signed with the Party's key");
    }
  }
  if (!u.certificate.empty()) u.certificatePem = readSecretFile(r, "unfccc.certificate", u.certificate);
  u.connectTimeout =
      std::chrono::milliseconds(r.integer("unfccc.connect_timeout_ms", u.connectTimeout.count(), 100, 600000));
  u.readTimeout = std::chrono::milliseconds(r.integer("unfccc.read_timeout_ms", u.readTimeout.count(), 100, 3600000));
  u.inboundBytes = static_cast<std::size_t>(
      r.integer("unfccc.inbound_bytes", static_cast<long long>(u.inboundBytes), 1024, 64ll << 20));

  EmailConfig& e = c.email;
  e.smtpHost = r.string("smtp.host", "");
  e.smtpPort = static_cast<int>(r.integer("smtp.port", e.smtpPort, 1, 65535));
  {
    const std::string security = r.string("smtp.security", "starttls");
    if (security != "starttls" && security != "none") r.fail("smtp.security", "'" + security + "' is neither starttls nor none");
    e.startTls = security == "starttls";
  }
  e.username = r.string("smtp.username", "");
  if (auto it = env.find("A6AUTH_SMTP_PASSWORD"); it != env.end()) {
    e.password = it->second;
  } else if (std::string passFile = r.path("smtp.password_file", ""); !passFile.empty()) {
    e.password = readSecretFile(r, "smtp.password_file", passFile);
  }
  if (!e.username.empty() && e.password.empty()) {
    r.fail("smtp.password_file", "is required with smtp.username (or set A6AUTH_SMTP_PASSWORD)");
  }
  if (!e.username.empty() && !e.startTls) r.fail("smtp.security", "none would send the password in clear: use starttls");
  e.caFile = r.path("smtp.ca_file", "");
  e.fromAddress = r.string("smtp.from", "");
  e.fromName = r.string("smtp.from_name", c.letters.ministryName);
  e.timeout = std::chrono::milliseconds(r.integer("smtp.timeout_ms", e.timeout.count(), 100, 600000));
  e.templatesDir = r.path("email.templates_dir", "");
  e.language = r.string("email.language", c.letters.language);
  if (e.language != "en" && e.language != "fr" && e.language != "es") {
    r.fail("email.language", "'" + e.language + "' is not one of en, fr, es");
  }
  e.attachLetters = r.boolean("email.attach_letters", true);
  if (!e.smtpHost.empty()) {
    if (e.fromAddress.empty()) r.fail("smtp.from", "is required with smtp.host");
    if (e.templatesDir.empty()) r.fail("email.templates_dir", "is required with smtp.host");
  }

  WebhooksConfig& w = c.webhooks;
  w.allowHttp = r.boolean("webhooks.allow_http", false);
  w.allowPrivateAddresses = r.boolean("webhooks.allow_private_addresses", false);
  w.timeout = std::chrono::milliseconds(r.integer("webhooks.timeout_ms", w.timeout.count(), 100, 120000));
  w.disableAfter = static_cast<int>(r.integer("webhooks.disable_after", w.disableAfter, 1, 1000));
  w.caFile = r.path("webhooks.ca_file", "");
  w.inboundTolerance = std::chrono::seconds(r.integer("hooks.tolerance_s", w.inboundTolerance.count(), 10, 3600));
  for (const auto& [key, value] : values) {
    if (!isRegistrySecretKey(key)) continue;
    const std::string source = key.substr(std::string("hooks.registry.").size(),
                                          key.size() - std::string("hooks.registry.").size() -
                                              std::string(".secret_file").size());
    w.registrySecrets[source] = readSecretFile(r, key, r.path(key, ""));
    try {
      integrations::webhooks::decodeSecret(w.registrySecrets[source]);
    } catch (const Error&) {
      r.fail(key, "the file does not hold a whsec_ secret (whsec_ and base64 of 24 to 64 bytes)");
    }
  }

  c.logLevel = r.string("log.level", c.logLevel);
  static const std::set<std::string> kLevels = {"fatal",  "critical",    "error", "warning",
                                                "notice", "information", "debug", "trace"};
  if (!kLevels.count(c.logLevel)) r.fail("log.level", "'" + c.logLevel + "' is not a log level");
  return c;
}

}  // namespace a6::service
