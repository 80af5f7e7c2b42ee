// The UNFCCC peer simulator: option parsing, the request handlers (notifications in, admin
// endpoints), the outbound finding, and the program loop that waits for SIGTERM or SIGINT.
//
// The admin endpoints (/admin/...) share the listener with the UNFCCC endpoint and have no
// authentication: this is a test tool, bind it to loopback (the default) and nowhere else.
#include "Simulator.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <utility>

#include "a6/core/Error.h"
#include "a6/integrations/unfccc/Messages.h"
#include "a6/integrations/unfccc/XmlSafe.h"
#include "a6/integrations/unfccc/XmlSignature.h"

namespace a6::integrations::unfccc::sim {
namespace {

using Poco::Net::HTTPResponse;

constexpr const char* kSender = "UNFCCC CARP (a6auth simulator)";
constexpr std::size_t kMaxAdminBody = 64 * 1024;
constexpr std::size_t kMaxTargetAnswer = 64 * 1024;
const std::regex kCodePattern("[A-Za-z0-9][A-Za-z0-9_.:\\-]{0,63}");
const std::regex kMessageIdInXml("<(?:[A-Za-z_][\\w.\\-]*:)?MessageID>\\s*([A-Za-z0-9_.:\\-]{1,128})\\s*</");

std::string readFileOrThrow(const std::string& option, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Config, option + ": cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string nowUtc() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string shortText(std::string text, std::size_t max) {
  if (text.empty()) return "-";
  if (text.size() > max) text.resize(max);
  return text;
}

// Reads at most `limit` bytes of a request body; nothing when there are more.
std::optional<std::string> readBody(std::istream& in, std::size_t limit) {
  std::string body;
  char buf[8192];
  while (in) {
    in.read(buf, sizeof buf);
    body.append(buf, static_cast<std::size_t>(in.gcount()));
    if (body.size() > limit) return std::nullopt;
  }
  return body;
}

void writePortFile(const std::string& path, std::uint16_t port) {
  // Written whole under another name, then renamed: a reader never sees half a number.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out.flush()) throw Error(ErrorCode::Config, "--port-file: cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

struct Reply {
  int status = 200;
  std::string contentType = "application/xml";
  std::string body;
  std::string note;  // for the log line
};

Reply jsonReply(int status, const Poco::JSON::Object& object) {
  std::ostringstream out;
  object.stringify(out);
  return Reply{status, "application/json", out.str(), {}};
}

Reply jsonError(int status, const std::string& detail) {
  Poco::JSON::Object o;
  o.set("error", detail);
  return jsonReply(status, o);
}

Poco::JSON::Object::Ptr parseJsonObject(const std::string& body) {
  try {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception&) {
    return nullptr;
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::string optString(const Poco::JSON::Object& o, const std::string& key, const std::string& fallback = {}) {
  if (!o.has(key) || o.isNull(key)) return fallback;
  return o.getValue<std::string>(key);
}

class RequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  RequestHandler(const SimulatorConfig& config, SimulatorState& state) : config_(config), state_(state) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    const auto started = std::chrono::steady_clock::now();
    state_.beginRequest();
    Reply reply;
    try {
      reply = route(request);
    } catch (const std::exception& e) {
      reply = jsonError(500, e.what());
    }
    response.setStatus(static_cast<HTTPResponse::HTTPStatus>(reply.status));
    response.setContentType(reply.contentType);
    response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    try {
      response.send() << reply.body;
    } catch (const std::exception&) {
      reply.note += " (client gone)";
    }
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    std::ostringstream line;
    line << "a6-unfccc-sim: " << request.clientAddress().toString() << ' ' << request.getMethod() << ' '
         << request.getURI() << " -> " << reply.status << " (" << ms << " ms)" << reply.note << '\n';
    std::cerr << line.str() << std::flush;
    state_.endRequest();
  }

 private:
  Reply route(Poco::Net::HTTPServerRequest& request) {
    const std::string path = Poco::URI(request.getURI()).getPath();
    const std::string& method = request.getMethod();
    if (path == "/unfccc/notifications") {
      if (method != "POST") return jsonError(405, "POST only");
      return notification(request);
    }
    if (path == "/admin/received") {
      if (method != "GET") return jsonError(405, "GET only");
      return received();
    }
    if (path == "/admin/mode" || path == "/admin/findings") {
      if (method != "POST") return jsonError(405, "POST only");
      auto body = readBody(request.stream(), kMaxAdminBody);
      if (!body) return jsonError(413, "body too large");
      auto json = parseJsonObject(*body);
      if (!json) return jsonError(400, "the body is not a JSON object");
      return path == "/admin/mode" ? setMode(*json) : sendFinding(*json);
    }
    return jsonError(404, "no such endpoint");
  }

  Reply notification(Poco::Net::HTTPServerRequest& request) {
    const Mode mode = state_.mode();
    if (mode == Mode::Fail503) return Reply{503, "text/plain", "simulated outage\n", " mode=fail503"};
    if (mode == Mode::Hang) {
      state_.waitOrStop(config_.hangSeconds);
      return Reply{503, "text/plain", "simulated hang\n", " mode=hang"};
    }
    if (request.hasContentLength() && request.getContentLength64() > static_cast<Poco::Int64>(kDefaultMaxXmlBytes)) {
      return rejection(413, "unknown", "TOO-LARGE", std::nullopt, "The message is larger than 1 MiB.");
    }
    auto body = readBody(request.stream(), kDefaultMaxXmlBytes);
    if (!body) return rejection(413, "unknown", "TOO-LARGE", std::nullopt, "The message is larger than 1 MiB.");

    AuthorisationNotice notice;
    try {
      notice = parseNotification(*body);
    } catch (const Error& e) {
      return schemaRejection(*body, e);
    }
    const VerifyResult verified = verifyXml(*body, config_.trustPems);
    if (!verified.valid) {
      return rejection(400, notice.messageId, "SIGNATURE", std::nullopt,
                       "The signature does not verify against a trusted Party certificate: " + verified.problem);
    }
    if (auto ack = state_.acknowledgementOfDuplicate(notice.messageId)) {
      return Reply{200, "application/xml", *ack, " duplicate " + notice.messageId};
    }
    if (mode == Mode::Reject) {
      const std::string code = state_.rejectCode();
      Reply r = rejection(200, notice.messageId, code, std::nullopt, "Rejected by the simulator (mode reject).");
      r.note = " rejected " + notice.messageId + " code " + code;
      return r;
    }
    std::string ack = acknowledgement(notice.messageId, AckStatus::Accepted, {});
    ReceivedMessage record{notice.messageId, toString(notice.kind), notice.authorisation.authorisationId,
                           notice.authorisation.version, notice.sendingParty};
    const bool fresh = state_.record(record, ack);
    if (mode == Mode::LoseAnswer) return Reply{503, "text/plain", "answer lost\n", " accepted, answer lost"};
    return Reply{200, "application/xml", ack, (fresh ? " accepted " : " duplicate ") + notice.messageId};
  }

  std::string acknowledgement(const std::string& refersTo, AckStatus status, std::vector<AckMessage> messages) {
    Acknowledgement ack;
    ack.acknowledgementId = "sim-ack-" + std::to_string(state_.nextSequence());
    ack.refersToMessageId = refersTo;
    ack.sender = kSender;
    ack.createdAt = nowUtc();
    ack.status = status;
    ack.messages = std::move(messages);
    return signXml(buildAcknowledgement(ack), config_.signKeyPem, config_.signCertPem);
  }

  Reply rejection(int httpStatus, const std::string& refersTo, const std::string& code,
                  const std::optional<std::string>& field, const std::string& text) {
    AckMessage m{code, field, shortText(text, 20000)};
    return Reply{httpStatus, "application/xml", acknowledgement(refersTo, AckStatus::Rejected, {m}),
                 " rejected " + code};
  }

  Reply schemaRejection(const std::string& body, const Error& e) {
    // The id of a message that failed to parse is a best guess; "unknown" when there is none.
    std::string refersTo = "unknown";
    std::smatch match;
    const std::string head = body.substr(0, 4096);
    if (std::regex_search(head, match, kMessageIdInXml)) refersTo = match[1];
    const std::string code = e.code() == ErrorCode::Malformed  ? "MALFORMED"
                             : e.code() == ErrorCode::TooLarge ? "TOO-LARGE"
                                                               : "SCHEMA";
    std::vector<AckMessage> messages;
    for (const FieldError& f : e.fieldErrors()) {
      if (messages.size() == 20) break;
      std::optional<std::string> field;
      if (!f.path.empty()) field = shortText(f.path, 300);
      messages.push_back({f.code == "rule" ? "RULE" : code, field, shortText(f.message, 20000)});
    }
    if (messages.empty()) messages.push_back({code, std::nullopt, shortText(e.what(), 20000)});
    Reply r{400, "application/xml", acknowledgement(refersTo, AckStatus::Rejected, std::move(messages)), {}};
    r.note = " rejected " + code;
    return r;
  }

  Reply received() {
    Poco::JSON::Array list;
    for (const ReceivedMessage& m : state_.received()) {
      Poco::JSON::Object o;
      o.set("message_id", m.messageId);
      o.set("kind", m.kind);
      o.set("authorisation_id", m.authorisationId);
      o.set("version", m.version);
      o.set("sending_party", m.sendingParty);
      list.add(o);
    }
    Poco::JSON::Object out;
    out.set("received", list);
    out.set("duplicates", state_.duplicates());
    out.set("mode", std::string(toString(state_.mode())));
    return jsonReply(200, out);
  }

  Reply setMode(const Poco::JSON::Object& json) {
    auto mode = parseMode(optString(json, "mode"));
    if (!mode) return jsonError(400, "mode: one of accept, fail503, hang, reject, lose-answer");
    std::optional<std::string> code;
    if (json.has("reject_code") && !json.isNull("reject_code")) {
      code = json.getValue<std::string>("reject_code");
      if (!std::regex_match(*code, kCodePattern)) return jsonError(400, "reject_code: letters, digits, _ . : - (64)");
    }
    state_.setMode(*mode, code);
    Poco::JSON::Object out;
    out.set("mode", std::string(toString(state_.mode())));
    out.set("reject_code", state_.rejectCode());
    Reply r = jsonReply(200, out);
    r.note = std::string(" mode=") + toString(*mode);
    return r;
  }

  Reply sendFinding(const Poco::JSON::Object& json) {
    const std::string target = optString(json, "target", config_.findingsTarget);
    const std::string refersTo = optString(json, "refers_to_message_id");
    const std::string text = optString(json, "text");
    if (target.empty()) return jsonError(400, "target: required (or start with --findings-target)");
    if (refersTo.empty() || text.empty()) return jsonError(400, "refers_to_message_id and text are required");
    const long long seq = state_.nextSequence();
    Finding f;
    f.messageId = "sim-finding-msg-" + std::to_string(seq);
    f.findingId = optString(json, "finding_id", "sim-finding-" + std::to_string(seq));
    f.sender = kSender;
    f.createdAt = nowUtc();
    f.text = text;
    const std::string severity = optString(json, "severity", "warning");
    if (severity == "info") {
      f.severity = FindingSeverity::Info;
    } else if (severity == "warning") {
      f.severity = FindingSeverity::Warning;
    } else if (severity == "error") {
      f.severity = FindingSeverity::Error;
    } else {
      return jsonError(400, "severity: info, warning or error");
    }
    f.status = optString(json, "status", "open") == "resolved" ? FindingStatus::Resolved : FindingStatus::Open;
    if (auto code = optString(json, "code"); !code.empty()) f.code = code;
    // A finding on a notification we received is about that action (authorisation version);
    // any other id is taken as the MessageID of a submission.
    if (auto rec = state_.find(refersTo)) {
      f.action = ActionReference{rec->authorisationId, rec->version};
      f.party = optString(json, "party", rec->sendingParty);
    } else {
      f.submissionMessageId = refersTo;
      f.party = optString(json, "party");
      if (f.party.empty())
        return jsonError(400, "party: required when refers_to_message_id is not a received notification");
    }
    std::string xml;
    try {
      xml = signXml(buildFinding(f), config_.signKeyPem, config_.signCertPem);
    } catch (const Error& e) {
      return jsonError(400, std::string("the finding is not valid: ") + e.what());
    }
    Poco::JSON::Object out;
    out.set("message_id", f.messageId);
    out.set("finding_id", f.findingId);
    try {
      auto [status, answer] = post(target, xml);
      out.set("status", status);
      out.set("body", answer);
    } catch (const std::exception& e) {
      return jsonError(502, std::string("could not deliver the finding: ") + e.what());
    }
    Reply r = jsonReply(200, out);
    r.note = " finding " + f.messageId + " -> " + target;
    return r;
  }

  std::pair<int, std::string> post(const std::string& target, const std::string& xml) {
    const Poco::URI uri(target);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      Poco::Net::Context::Params params;
      params.caLocation = config_.findingsTrustCertFile;
      params.loadDefaultCAs = config_.findingsTrustCertFile.empty();
      params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
      Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
    } else if (uri.getScheme() == "http" && (config_.insecureHttp || uri.getHost() == "127.0.0.1" ||
                                             uri.getHost() == "localhost" || uri.getHost() == "::1")) {
      // Plain HTTP only to this machine (an a6auth behind no TLS terminator, in tests and demos)
      // or when the simulator itself runs without TLS.
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    } else {
      throw std::runtime_error("the target must be https:// (http:// only to loopback or with --insecure-http)");
    }
    session->setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, uri.getPathAndQuery(),
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.setContentType("application/xml");
    request.setContentLength(static_cast<std::streamsize>(xml.size()));
    session->sendRequest(request) << xml;
    HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    std::string answer = readBody(in, kMaxTargetAnswer).value_or("(answer longer than 64 KiB)");
    return {static_cast<int>(response.getStatus()), answer};
  }

  const SimulatorConfig& config_;
  SimulatorState& state_;
};

class HandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  HandlerFactory(const SimulatorConfig& config, SimulatorState& state) : config_(config), state_(state) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new RequestHandler(config_, state_);
  }

 private:
  const SimulatorConfig& config_;
  SimulatorState& state_;
};

// OpenSSL's global set-up for Poco NetSSL, for the life of the program.
struct SslLibrary {
  SslLibrary() { Poco::Net::initializeSSL(); }
  ~SslLibrary() { Poco::Net::uninitializeSSL(); }
  SslLibrary(const SslLibrary&) = delete;
  SslLibrary& operator=(const SslLibrary&) = delete;
};

}  // namespace

const char* toString(Mode mode) {
  switch (mode) {
    case Mode::Accept:
      return "accept";
    case Mode::Fail503:
      return "fail503";
    case Mode::Hang:
      return "hang";
    case Mode::Reject:
      return "reject";
    case Mode::LoseAnswer:
      return "lose-answer";
  }
  return "accept";
}

std::optional<Mode> parseMode(const std::string& text) {
  for (Mode m : {Mode::Accept, Mode::Fail503, Mode::Hang, Mode::Reject, Mode::LoseAnswer}) {
    if (text == toString(m)) return m;
  }
  return std::nullopt;
}

std::string usage() {
  return "usage: a6-unfccc-sim --sign-key PEM --sign-cert PEM --trust PEM [--trust PEM ...]\n"
         "         (--tls-cert PEM --tls-key PEM [--client-ca PEM] | --insecure-http)\n"
         "         [--listen HOST:PORT] [--port-file FILE] [--mode accept|fail503|hang|reject|lose-answer]\n"
         "         [--reject-code CODE] [--hang-seconds N] [--findings-target URL] [--findings-trust-cert PEM]\n"
         "Admin endpoints (/admin/received, /admin/mode, /admin/findings) share the listener and are\n"
         "not authenticated: bind to loopback only.\n";
}

SimulatorConfig parseArguments(const std::vector<std::string>& args) {
  SimulatorConfig c;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& opt = args[i];
    if (opt == "--insecure-http") {
      c.insecureHttp = true;
      continue;
    }
    if (i + 1 >= args.size()) throw Error(ErrorCode::Config, opt + ": unknown option or missing value");
    const std::string value = args[++i];
    if (opt == "--listen") {
      const auto colon = value.rfind(':');
      if (colon == std::string::npos) throw Error(ErrorCode::Config, "--listen: HOST:PORT expected");
      c.listenHost = value.substr(0, colon);
      try {
        const int port = std::stoi(value.substr(colon + 1));
        if (port < 0 || port > 65535) throw std::out_of_range("port");
        c.listenPort = static_cast<std::uint16_t>(port);
      } catch (const std::exception&) {
        throw Error(ErrorCode::Config, "--listen: bad port in " + value);
      }
    } else if (opt == "--port-file") {
      c.portFile = value;
    } else if (opt == "--tls-cert") {
      c.tlsCertFile = value;
    } else if (opt == "--tls-key") {
      c.tlsKeyFile = value;
    } else if (opt == "--client-ca") {
      c.clientCaFile = value;
    } else if (opt == "--sign-key") {
      c.signKeyPem = readFileOrThrow(opt, value);
    } else if (opt == "--sign-cert") {
      c.signCertPem = readFileOrThrow(opt, value);
    } else if (opt == "--trust") {
      c.trustPems.push_back(readFileOrThrow(opt, value));
    } else if (opt == "--mode") {
      auto mode = parseMode(value);
      if (!mode) throw Error(ErrorCode::Config, "--mode: accept, fail503, hang, reject or lose-answer");
      c.mode = *mode;
    } else if (opt == "--reject-code") {
      if (!std::regex_match(value, kCodePattern)) throw Error(ErrorCode::Config, "--reject-code: bad code " + value);
      c.rejectCode = value;
    } else if (opt == "--hang-seconds") {
      try {
        c.hangSeconds = std::stoi(value);
      } catch (const std::exception&) {
        c.hangSeconds = -1;
      }
      if (c.hangSeconds < 0 || c.hangSeconds > 3600) throw Error(ErrorCode::Config, "--hang-seconds: 0 to 3600");
    } else if (opt == "--findings-target") {
      c.findingsTarget = value;
    } else if (opt == "--findings-trust-cert") {
      readFileOrThrow(opt, value);  // fail at start, not at the first finding
      c.findingsTrustCertFile = value;
    } else {
      throw Error(ErrorCode::Config, opt + ": unknown option");
    }
  }
  if (c.signKeyPem.empty() || c.signCertPem.empty()) {
    throw Error(ErrorCode::Config, "--sign-key and --sign-cert are required");
  }
  if (c.trustPems.empty()) throw Error(ErrorCode::Config, "--trust: at least one Party certificate is required");
  if (!c.insecureHttp && (c.tlsCertFile.empty() || c.tlsKeyFile.empty())) {
    throw Error(ErrorCode::Config, "--tls-cert and --tls-key are required (or --insecure-http for debugging)");
  }
  if (c.insecureHttp && !c.clientCaFile.empty()) throw Error(ErrorCode::Config, "--client-ca needs TLS");
  return c;
}

SimulatorState::SimulatorState(Mode mode, std::string rejectCode) : mode_(mode), rejectCode_(std::move(rejectCode)) {}

Mode SimulatorState::mode() const {
  std::lock_guard lock(mutex_);
  return mode_;
}

std::string SimulatorState::rejectCode() const {
  std::lock_guard lock(mutex_);
  return rejectCode_;
}

void SimulatorState::setMode(Mode mode, std::optional<std::string> rejectCode) {
  std::lock_guard lock(mutex_);
  mode_ = mode;
  if (rejectCode) rejectCode_ = std::move(*rejectCode);
}

std::optional<std::string> SimulatorState::acknowledgementOfDuplicate(const std::string& messageId) {
  std::lock_guard lock(mutex_);
  auto it = acknowledgements_.find(messageId);
  if (it == acknowledgements_.end()) return std::nullopt;
  ++duplicates_;
  return it->second;
}

bool SimulatorState::record(const ReceivedMessage& message, std::string& ack) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = acknowledgements_.emplace(message.messageId, ack);
  if (!inserted) {
    ++duplicates_;
    ack = it->second;
    return false;
  }
  received_.push_back(message);
  return true;
}

std::vector<ReceivedMessage> SimulatorState::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::optional<ReceivedMessage> SimulatorState::find(const std::string& messageId) const {
  std::lock_guard lock(mutex_);
  for (const ReceivedMessage& m : received_) {
    if (m.messageId == messageId) return m;
  }
  return std::nullopt;
}

int SimulatorState::duplicates() const {
  std::lock_guard lock(mutex_);
  return duplicates_;
}

long long SimulatorState::nextSequence() {
  std::lock_guard lock(mutex_);
  return ++sequence_;
}

bool SimulatorState::waitOrStop(int seconds) {
  std::unique_lock lock(mutex_);
  return stopped_.wait_for(lock, std::chrono::seconds(seconds), [this] { return stopping_; });
}

void SimulatorState::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stopped_.notify_all();
}

void SimulatorState::beginRequest() {
  std::lock_guard lock(mutex_);
  ++active_;
}

void SimulatorState::endRequest() {
  {
    std::lock_guard lock(mutex_);
    --active_;
  }
  idle_.notify_all();
}

void SimulatorState::waitIdle(int seconds) {
  std::unique_lock lock(mutex_);
  idle_.wait_for(lock, std::chrono::seconds(seconds), [this] { return active_ == 0; });
}

Simulator::Simulator(SimulatorConfig config) : config_(std::move(config)), state_(config_.mode, config_.rejectCode) {}

Simulator::~Simulator() { stop(); }

std::uint16_t Simulator::start() {
  const Poco::Net::SocketAddress address(config_.listenHost, config_.listenPort);
  std::unique_ptr<Poco::Net::ServerSocket> socket;
  if (config_.insecureHttp) {
    socket = std::make_unique<Poco::Net::ServerSocket>(address, 64);
  } else {
    Poco::Net::Context::Params params;
    params.certificateFile = config_.tlsCertFile;
    params.privateKeyFile = config_.tlsKeyFile;
    params.loadDefaultCAs = false;
    if (config_.clientCaFile.empty()) {
      params.verificationMode = Poco::Net::Context::VERIFY_NONE;
    } else {
      // Mutual TLS: a client without a certificate from this CA does not get past the handshake.
      params.caLocation = config_.clientCaFile;
      params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    }
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
    socket = std::make_unique<Poco::Net::SecureServerSocket>(address, 64, context);
  }
  auto serverParams = new Poco::Net::HTTPServerParams;
  serverParams->setKeepAlive(true);
  serverParams->setTimeout(Poco::Timespan(60, 0));
  server_ = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(config_, state_), *socket, serverParams);
  server_->start();
  const std::uint16_t port = socket->address().port();
  if (!config_.portFile.empty()) writePortFile(config_.portFile, port);
  return port;
}

void Simulator::stop() {
  if (!server_) return;
  state_.stop();  // wakes handlers hanging on purpose
  server_->stopAll(true);
  state_.waitIdle(5);
  server_.reset();
}

int runSimulator(int argc, char** argv) {
  // Block the stop signals before any thread starts, so that every thread inherits the mask and
  // only the sigwait below sees them.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  SimulatorConfig config;
  try {
    config = parseArguments(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const Error& e) {
    std::cerr << "a6-unfccc-sim: " << e.what() << "\n" << usage();
    return 2;
  }
  try {
    SslLibrary ssl;
    Simulator simulator(config);
    const std::uint16_t port = simulator.start();
    std::cerr << "a6-unfccc-sim: listening on " << (config.insecureHttp ? "http://" : "https://") << config.listenHost
              << ':' << port << " mode " << toString(config.mode) << std::endl;
    int received = 0;
    sigwait(&stopSignals, &received);
    std::cerr << "a6-unfccc-sim: signal " << received << ", stopping" << std::endl;
    simulator.stop();
  } catch (const std::exception& e) {
    std::cerr << "a6-unfccc-sim: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace a6::integrations::unfccc::sim
