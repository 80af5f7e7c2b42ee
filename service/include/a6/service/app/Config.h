// The service's configuration, read once at start-up from a properties file (`key = value`)
// with environment overrides, validated, and then immutable. A bad file stops the start with
// the file, the key and the reason.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace a6::service {

struct HttpConfig {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (tests)
  int maxThreads = 16;
  int maxQueued = 100;
  std::chrono::seconds shutdownTimeout{30};
  std::string publicUrl;  // how people reach the service; links in letters and emails
};

struct StoreConfig {
  std::string sqlitePath;
  int readers = 4;
  std::chrono::milliseconds busyTimeout{5000};
};

struct LimitsConfig {
  std::size_t jsonBodyBytes = 1 << 20;
  int jsonDepth = 32;
  std::size_t attachmentBytes = 25u << 20;
  int attachmentsPerRequest = 50;
  int pageSizeMax = 200;
};

struct AuthConfig {
  std::string jwtSecret;  // never logged; from A6AUTH_JWT_SECRET or auth.jwt.secret_file
  std::string jwtIssuer = "a6auth";
  std::chrono::seconds tokenTtl{8 * 3600};
  std::chrono::seconds clockSkew{30};
};

struct WorkflowConfig {
  std::string dir;              // definitions to register at start (*.xml); "" = none
  std::string defaultWorkflow;  // used when a submission names none
  std::chrono::milliseconds timerPoll{1000};
  bool strictFirstTransferCheck = true;
};

struct Signatory {
  std::string name;
  std::string title;
};

// Who the country is and how its letters look and are signed. Never in code: letters take every
// name, address and signatory from here.
struct LettersConfig {
  std::string countryName;  // e.g. "Republic of Ghana"
  std::string ministryName;
  std::string ministryDepartment;
  std::vector<std::string> ministryAddress;  // lines
  std::string ministryCity;
  std::string templatesDir;  // "" = letters are not issued (their effects stay pending)
  std::string language = "en";
  std::string emblem;            // PNG or JPEG; "" = none
  std::string signingKey;        // PKCS#12
  std::string signingKeyPassphrase;  // never logged; from a file or A6AUTH_SIGNING_KEY_PASSPHRASE
  std::vector<std::string> trustAnchors;  // PEM certificates verification trusts
  std::string tsaUrl;            // RFC 3161 time-stamp authority; "" = PAdES B-B
  std::map<std::string, Signatory> signatories;  // by workflow role
  std::size_t verifyUploadBytes = 20u << 20;
};

// How the outbox delivers: worker threads, polling, and the retry policy shared by every
// destination.
struct OutboxConfig {
  int workers = 2;  // threads per destination
  std::chrono::milliseconds poll{500};
  std::chrono::seconds lease{120};  // after this a message in flight may be taken again
  std::chrono::milliseconds retryInitial{2000};
  std::chrono::milliseconds retryMax{std::chrono::hours(1)};
  double retryMultiplier = 2.0;
  int maxAttempts = 12;  // then the message is dead-lettered
};

// The UNFCCC exchange. Without a url, UNFCCC effects stay pending effects and nothing is sent.
struct UnfcccConfig {
  std::string url;             // where notifications are POSTed (https://…)
  std::string caFile;          // PEM to trust for the peer's TLS certificate; "" = system CAs
  std::string clientCert;      // PEM; with clientKey: mutual TLS
  std::string clientKey;       // PEM
  std::string certificate;     // PEM: the UNFCCC's signing certificate (acknowledgements, findings)
  std::string certificatePem;  // its contents, read at start
  std::chrono::milliseconds connectTimeout{5000};
  std::chrono::milliseconds readTimeout{30000};
  bool allowHttp = false;            // development and tests only
  bool allowPrivateAddresses = true;  // the peer is configured by the operator, not by users
  std::size_t inboundBytes = 1u << 20;
};

// Email through the outbox. Without smtp.host, email effects stay pending effects.
struct EmailConfig {
  std::string smtpHost;
  int smtpPort = 587;
  bool startTls = true;  // smtp.security = starttls (default) or none (development only)
  std::string username;
  std::string password;  // never logged; from smtp.password_file or A6AUTH_SMTP_PASSWORD
  std::string caFile;    // PEM to trust for the mail server; "" = system CAs
  std::string fromAddress;
  std::string fromName;
  std::chrono::milliseconds timeout{30000};
  std::string templatesDir;   // email.templates_dir
  std::string language = "en";  // email.language (default: letters.language)
  bool attachLetters = true;    // email.attach_letters: decisions carry the signed letter
};

// Webhooks out and in (see docs/integrations.md).
struct WebhooksConfig {
  bool allowHttp = false;              // webhooks.allow_http: http:// URLs (development only)
  bool allowPrivateAddresses = false;  // webhooks.allow_private_addresses: loopback, private, link-local
  std::chrono::milliseconds timeout{10000};  // webhooks.timeout_ms: connect and read
  int disableAfter = 10;                // webhooks.disable_after: consecutive failed attempts
  std::size_t maxResponseBytes = 16 * 1024;
  std::string caFile;  // webhooks.ca_file: PEM to trust for receivers' TLS certificates; "" = system CAs
  std::chrono::seconds inboundTolerance{300};  // hooks.tolerance_s
  // hooks.registry.<source>.secret_file: per-source secrets (whsec_…) of POST /api/v1/hooks/registry
  std::map<std::string, std::string> registrySecrets;
};

struct Config {
  std::string file;   // where it was read from
  std::string party;  // ISO alpha-3 of the host Party this deployment serves
  HttpConfig http;
  StoreConfig store;
  LimitsConfig limits;
  AuthConfig auth;
  WorkflowConfig workflows;
  LettersConfig letters;
  OutboxConfig outbox;
  UnfcccConfig unfccc;
  EmailConfig email;
  WebhooksConfig webhooks;
  std::vector<std::string> attachmentMediaTypes;
  std::string logLevel = "information";
};

// Reads and validates the file; `env` holds the environment (A6AUTH_* overrides). Relative paths
// in the file are taken relative to the file's folder. Throws a6::Error(Config) naming the file,
// the key and the reason.
Config loadConfig(const std::string& file, const std::map<std::string, std::string>& env);

// The process environment as a map, for loadConfig.
std::map<std::string, std::string> processEnvironment();

}  // namespace a6::service
