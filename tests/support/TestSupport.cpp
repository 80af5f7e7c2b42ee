#include "TestSupport.h"

#include <Poco/File.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace a6::test {

TempDir::TempDir() {
  std::string tmpl = "/tmp/a6auth-test-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  try {
    Poco::File(path_).remove(true);
  } catch (...) {  // a test's leftovers in /tmp are not worth failing over
  }
}

std::string HttpResult::header(const std::string& name) const {
  std::string lower = Poco::toLower(name);
  auto it = headers.find(lower);
  return it == headers.end() ? "" : it->second;
}

Poco::JSON::Object::Ptr HttpResult::json() const {
  Poco::JSON::Parser parser;
  return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

HttpResult HttpClient::send(const std::string& method, const std::string& path, const std::string& body,
                            const std::map<std::string, std::string>& headers) const {
  Poco::Net::HTTPClientSession session(host_, static_cast<Poco::UInt16>(port_));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    req.setContentLength64(static_cast<Poco::Int64>(body.size()));
  }
  std::ostream& out = session.sendRequest(req);
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  HttpResult r;
  r.status = resp.getStatus();
  std::ostringstream ss;
  Poco::StreamCopier::copyStream(in, ss);
  r.body = ss.str();
  for (const auto& [k, v] : resp) r.headers[Poco::toLower(k)] = v;
  return r;
}

HttpResult HttpClient::as(const std::string& token, const std::string& method, const std::string& path,
                          const std::string& body, std::map<std::string, std::string> headers) const {
  headers["Authorization"] = "Bearer " + token;
  if (!body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
  return send(method, path, body, headers);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string dataFile(const std::string& name) { return readFile(std::string(A6_SOURCE_DIR) + "/tests/data/" + name); }

std::string writeTestConfig(const TempDir& dir, const std::string& extra) {
  writeFile(dir.file("jwt.key"), "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz\n");
  std::string config = dir.file("a6auth.properties");
  writeFile(config,
            "# written by the test\n"
            "party = GHA\n"
            "http.host = 127.0.0.1\n"
            "http.port = 0\n"
            "http.shutdown_timeout_s = 20\n"
            "store.sqlite.path = a6auth.db\n"
            "auth.jwt.secret_file = jwt.key\n"
            "limits.attachment_bytes = 1048576\n"
            "log.level = notice\n" +
                extra);
  return config;
}

std::string makeTestLetterConfig(const TempDir& dir) {
  std::string d = dir.path();
  std::string script =
      "set -e; cd '" + d +
      "'; "
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj '/CN=a6auth Test CA' "
      "-keyout ca.key -out ca.crt -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign "
      "2>/dev/null; "
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/O=Test Ministry/CN=Test Minister' "
      "-keyout signer.key -out signer.csr 2>/dev/null; "
      "echo 'keyUsage=critical,digitalSignature,nonRepudiation' > signer.ext; "
      "openssl x509 -req -in signer.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -out signer.crt "
      "-extfile signer.ext 2>/dev/null; "
      "printf 'test-passphrase' > signer.pass; "
      "openssl pkcs12 -export -inkey signer.key -in signer.crt -certfile ca.crt -passout pass:test-passphrase "
      "-out signer.p12";
  writeFile(dir.file("make-pki.sh"), script + "\n");
  if (std::system(("bash '" + dir.file("make-pki.sh") + "'").c_str()) != 0) throw std::runtime_error("test PKI failed");
  return "country.name = Republic of Ghana\n"
         "ministry.name = Ministry of Environment, Science and Technology\n"
         "ministry.department = Carbon Markets Office\n"
         "ministry.address = P.O. Box M232 | Accra\n"
         "ministry.city = Accra\n"
         "letters.templates_dir = " +
         std::string(A6_SOURCE_DIR) +
         "/templates/letters\n"
         "letters.signing_key = " +
         d + "/signer.p12\nletters.signing_key_passphrase_file = " + d + "/signer.pass\nletters.trust_anchors = " + d +
         "/ca.crt\n"
         "signatories.minister.name = Hon. Ophelia Mensah\n"
         "signatories.minister.title = Minister for Environment, Science and Technology\n";
}

void makeServerCertificate(const TempDir& dir, const std::string& name) {
  writeFile(dir.file(name + ".ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  const std::string script = "set -e; cd '" + dir.path() + "'; openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout " +
                             name + ".key -out " + name + ".csr 2>/dev/null; openssl x509 -req -in " + name +
                             ".csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out " + name + ".crt -extfile " +
                             name + ".ext 2>/dev/null";
  writeFile(dir.file("make-" + name + ".sh"), script + "\n");
  if (std::system(("bash '" + dir.file("make-" + name + ".sh") + "'").c_str()) != 0) {
    throw std::runtime_error("server certificate " + name + " failed");
  }
}

std::string a6authPath() { return A6AUTH_BIN; }

Process::Process(const std::vector<std::string>& args, const std::string& outFile)
    : Process(a6authPath(), args, outFile) {}

Process::Process(const std::string& program, const std::vector<std::string>& args, const std::string& outFile) {
  std::vector<std::string> all{program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    if (!outFile.empty()) {
      int fd = ::open(outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait();
  }
}

int Process::wait() {
  if (!reaped_) {
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

void Process::signal(int sig) { ::kill(pid_, sig); }

bool Process::running() {
  if (reaped_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = status;
    return false;
  }
  return true;
}

RunResult runA6auth(const std::vector<std::string>& args) {
  TempDir dir;
  std::string outFile = dir.file("out"), errFile = dir.file("err");
  pid_t pid = fork();
  if (pid == 0) {
    int out = ::open(outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<std::string> all{a6authPath()};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), readFile(outFile), readFile(errFile)};
}

ServerProcess::ServerProcess(const TempDir& dir, const std::string& config) {
  std::string portFile = dir.file("port");
  ::unlink(portFile.c_str());
  logFile_ = dir.file("server.log." + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  process_ = std::make_unique<Process>(std::vector<std::string>{"serve", "--config", config, "--port-file", portFile},
                                       logFile_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(portFile);
    if (in >> port_ && port_ > 0) return;
    if (!process_->running()) throw std::runtime_error("a6auth serve exited early: " + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("a6auth serve did not start listening within 30 s: " + log());
}

ServerProcess::~ServerProcess() = default;

std::string ServerProcess::log() const {
  try {
    return readFile(logFile_);
  } catch (...) {
    return "(no log)";
  }
}

}  // namespace a6::test
