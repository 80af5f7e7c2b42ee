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

struct Config {
  std::string file;   // where it was read from
  std::string party;  // ISO alpha-3 of the host Party this deployment serves
  HttpConfig http;
  StoreConfig store;
  LimitsConfig limits;
  AuthConfig auth;
  WorkflowConfig workflows;
  LettersConfig letters;
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
