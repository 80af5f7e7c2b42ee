// What integration tests share: temporary folders, an HTTP client for the real server, a
// test configuration, and the a6auth executable run as its own process.
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Process.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace a6::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string header(const std::string& name) const;
  Poco::JSON::Object::Ptr json() const;  // throws when the body is not a JSON object
};

class HttpClient {
 public:
  HttpClient(std::string host, int port) : host_(std::move(host)), port_(port) {}
  HttpResult send(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {}) const;
  // Same, with "Authorization: Bearer <token>" and, when there is a body, Content-Type JSON.
  HttpResult as(const std::string& token, const std::string& method, const std::string& path,
                const std::string& body = "", std::map<std::string, std::string> headers = {}) const;
  int port() const { return port_; }

 private:
  std::string host_;
  int port_;
};

std::string readFile(const std::string& path);
void writeFile(const std::string& path, const std::string& text);
// tests/data/<name>
std::string dataFile(const std::string& name);

// A test PKI in `dir`: ca.crt/ca.key (a test CA), signer.p12 (EC P-256, issued by the CA,
// passphrase in signer.pass) and signer.crt. Returns config lines that issue letters with it.
std::string makeTestLetterConfig(const TempDir& dir);
// A TLS server certificate for 127.0.0.1 issued by that test CA: `<name>.crt` and `<name>.key`
// (RSA, unencrypted) in `dir`. makeTestLetterConfig must have made the CA first.
void makeServerCertificate(const TempDir& dir, const std::string& name);

// Writes a6auth.properties (port 0, SQLite in the folder) and a JWT secret; returns the config path.
std::string writeTestConfig(const TempDir& dir, const std::string& extra = "");

// The a6auth executable run as a child process with its output captured to files.
class Process {
 public:
  explicit Process(const std::vector<std::string>& args, const std::string& outFile = "");
  // Another program (a test server, a simulator), with its output in outFile.
  Process(const std::string& program, const std::vector<std::string>& args, const std::string& outFile);
  ~Process();
  int pid() const { return pid_; }
  // Waits for exit; returns the exit code (128 + signal when killed).
  int wait();
  void signal(int sig);
  bool running();

 private:
  int pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

struct RunResult {
  int exitCode;
  std::string out;
  std::string err;
};
// Runs a6auth with args to completion.
RunResult runA6auth(const std::vector<std::string>& args);
std::string a6authPath();

// Starts `a6auth serve --config CONFIG --port-file …` and waits until it listens.
class ServerProcess {
 public:
  ServerProcess(const TempDir& dir, const std::string& config);
  ~ServerProcess();
  int port() const { return port_; }
  HttpClient client() const { return HttpClient("127.0.0.1", port_); }
  Process& process() { return *process_; }
  std::string log() const;

 private:
  std::string logFile_;
  std::unique_ptr<Process> process_;
  int port_ = 0;
};

}  // namespace a6::test
