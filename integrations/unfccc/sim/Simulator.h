// The UNFCCC peer simulator: an HTTPS server that plays the UNFCCC side of the exchange for tests
// and demos. It checks what it receives (schema, signature), drops duplicates by MessageID, answers
// with signed acknowledgements, fails on demand, and can send a signed consistency finding back.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace Poco::Net {
class HTTPServer;
}

namespace a6::integrations::unfccc::sim {

// How notifications are answered. LoseAnswer records and accepts a message but answers 503, as a
// peer that accepted and then lost the connection would.
enum class Mode { Accept, Fail503, Hang, Reject, LoseAnswer };
const char* toString(Mode mode);  // "accept", "fail503", "hang", "reject", "lose-answer"
std::optional<Mode> parseMode(const std::string& text);

// The command line, read once; file options hold the files' contents where the simulator needs
// the text (signing keys, trusted certificates) and paths where Poco wants paths (TLS).
struct SimulatorConfig {
  std::string listenHost = "127.0.0.1";
  std::uint16_t listenPort = 0;
  std::string portFile;
  std::string tlsCertFile;
  std::string tlsKeyFile;
  std::string clientCaFile;  // empty: no client certificate asked for
  bool insecureHttp = false;
  std::string signKeyPem;
  std::string signCertPem;
  std::vector<std::string> trustPems;
  Mode mode = Mode::Accept;
  std::string rejectCode = "SIM-REJECTED";
  int hangSeconds = 30;
  std::string findingsTarget;
  std::string findingsTrustCertFile;
};

// Parses the arguments after the program name. Throws a6::Error(Config) naming the option and the
// reason; reads the PEM files it is given.
SimulatorConfig parseArguments(const std::vector<std::string>& args);
std::string usage();

// One notification the simulator accepted.
struct ReceivedMessage {
  std::string messageId;
  std::string kind;  // "issued", "amended", "revoked"
  std::string authorisationId;
  int version = 0;
  std::string sendingParty;
};

// What the simulator has seen and how it behaves now; shared by the request threads.
class SimulatorState {
 public:
  SimulatorState(Mode mode, std::string rejectCode);

  Mode mode() const;
  std::string rejectCode() const;
  void setMode(Mode mode, std::optional<std::string> rejectCode);

  // The stored acknowledgement of an accepted message (and one more duplicate counted), if any.
  std::optional<std::string> acknowledgementOfDuplicate(const std::string& messageId);
  // Records an accepted message and its acknowledgement; false when the id was already there (a
  // concurrent duplicate), in which case `ack` is replaced by the stored one.
  bool record(const ReceivedMessage& message, std::string& ack);
  std::vector<ReceivedMessage> received() const;
  std::optional<ReceivedMessage> find(const std::string& messageId) const;
  int duplicates() const;
  long long nextSequence();

  // Waits up to `seconds`, or less when stopping; true when it was told to stop.
  bool waitOrStop(int seconds);
  void stop();

  // Requests in flight, so that stopping waits for the handlers that use this state.
  void beginRequest();
  void endRequest();
  void waitIdle(int seconds);

 private:
  mutable std::mutex mutex_;
  std::condition_variable stopped_;
  std::condition_variable idle_;
  bool stopping_ = false;
  int active_ = 0;
  Mode mode_;
  std::string rejectCode_;
  std::vector<ReceivedMessage> received_;
  std::map<std::string, std::string> acknowledgements_;  // by MessageID
  int duplicates_ = 0;
  long long sequence_ = 0;
};

// The server: started on construction's config, stopped by stop() or destruction.
class Simulator {
 public:
  explicit Simulator(SimulatorConfig config);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Binds, writes the port file and starts serving; returns the bound port.
  std::uint16_t start();
  void stop();

 private:
  SimulatorConfig config_;
  SimulatorState state_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

// The program: parses, starts, waits for SIGTERM or SIGINT, stops. Returns the exit status.
int runSimulator(int argc, char** argv);

}  // namespace a6::integrations::unfccc::sim
