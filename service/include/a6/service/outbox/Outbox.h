// The outbox: messages to other systems are rows written in the same commit as the events that
// cause them (Store::Commit::outbox); worker threads per destination lease what is due, hand it to
// that destination's transport, and record the attempt. A transient failure is retried with
// exponential backoff and full jitter (a6/integrations/RetryPolicy.h); a permanent one, or the
// last allowed attempt, dead-letters the message with its last error until someone retries it by
// hand. Messages sharing an ordering key go out one after the other (the store will not lease one
// while an earlier one with its key is undelivered). Delivery is at least once: a crash between
// sending and recording sends again, with the same message id, and receivers drop duplicates.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "a6/core/Clock.h"
#include "a6/integrations/RetryPolicy.h"
#include "a6/service/app/Config.h"
#include "a6/service/store/Store.h"

namespace a6::service {

// What a successful attempt learnt from the receiver.
struct Delivered {
  std::optional<int> httpStatus;
  std::string detail;                        // a short sentence for the attempt log
  std::optional<std::string> outcome;        // e.g. "accepted", "rejected", "received"
  std::optional<std::string> outcomeDetail;  // JSON
  std::vector<OutboxMessage> followUps;      // written with the attempt (see AttemptResult)
};

// Sends one message to one kind of destination. Throws a6::integrations::DeliveryFailure for a
// failed attempt (permanent or not); any other exception counts as a transient failure.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Delivered deliver(const OutboxMessage& message) = 0;
};

integrations::RetryPolicy retryPolicyOf(const OutboxConfig& config);

class OutboxWorker {
 public:
  // `unitRandom` returns a number in [0, 1) for the jitter (tests pass a fixed one).
  OutboxWorker(Store& store, const Clock& clock, OutboxConfig config, std::function<double()> unitRandom = {});
  ~OutboxWorker();
  OutboxWorker(const OutboxWorker&) = delete;
  OutboxWorker& operator=(const OutboxWorker&) = delete;

  // Before start(): the transport for a destination ("unfccc", "email", "webhook").
  void addDestination(const std::string& destination, Transport& transport);
  std::vector<std::string> destinations() const;

  void start();
  // Stops the threads after the attempts in flight (each bounded by its transport's timeouts).
  void stop();
  // Tells the threads that something may be due (after a commit that wrote outbox rows).
  void wake();

  // Claims and attempts, on the calling thread, every message of `destination` due now, one at a
  // time; returns how many attempts were made. For tests and for the CLI.
  int runOnce(const std::string& destination);

 private:
  bool attemptOne(const std::string& destination);
  void loop(const std::string& destination);

  Store& store_;
  const Clock& clock_;
  OutboxConfig config_;
  integrations::RetryPolicy policy_;
  std::function<double()> random_;
  std::mutex randomMutex_;
  std::map<std::string, Transport*> transports_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wakeUp_;
  std::uint64_t wakeCount_ = 0;
  bool stopping_ = false;
};

}  // namespace a6::service
