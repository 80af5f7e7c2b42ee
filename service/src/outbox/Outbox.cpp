#include "a6/service/outbox/Outbox.h"

#include <Poco/Logger.h>
#include <Poco/Message.h>

#include <random>

#include "a6/core/Error.h"
#include "a6/integrations/Delivery.h"

namespace a6::service {
namespace {

Poco::Logger& logger() { return Poco::Logger::get("a6auth.outbox"); }

std::string excerpt(const std::string& text, std::size_t max = 300) {
  if (text.size() <= max) return text;
  return text.substr(0, max) + "…";
}

}  // namespace

integrations::RetryPolicy retryPolicyOf(const OutboxConfig& config) {
  integrations::RetryPolicy p;
  p.initialDelay = config.retryInitial;
  p.maxDelay = config.retryMax;
  p.multiplier = config.retryMultiplier;
  p.maxAttempts = config.maxAttempts;
  return p;
}

OutboxWorker::OutboxWorker(Store& store, const Clock& clock, OutboxConfig config, std::function<double()> unitRandom)
    : store_(store), clock_(clock), config_(config), policy_(retryPolicyOf(config)), random_(std::move(unitRandom)) {
  if (!random_) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    random_ = [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
  }
}

OutboxWorker::~OutboxWorker() { stop(); }

void OutboxWorker::addDestination(const std::string& destination, Transport& transport) {
  if (!threads_.empty()) throw Error(ErrorCode::Internal, "outbox destinations are added before start()");
  transports_[destination] = &transport;
}

std::vector<std::string> OutboxWorker::destinations() const {
  std::vector<std::string> out;
  for (const auto& [name, transport] : transports_) out.push_back(name);
  return out;
}

void OutboxWorker::start() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  for (const auto& [destination, transport] : transports_) {
    for (int i = 0; i < config_.workers; ++i) threads_.emplace_back([this, d = destination] { loop(d); });
  }
}

void OutboxWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wakeUp_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void OutboxWorker::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakeCount_;
  }
  wakeUp_.notify_all();
}

void OutboxWorker::loop(const std::string& destination) {
  while (true) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      seen = wakeCount_;
    }
    bool worked = false;
    try {
      worked = attemptOne(destination);
    } catch (const std::exception& e) {
      // The store failed (disk full, locked too long): log and keep polling; nothing is lost,
      // the message stays pending and its lease runs out.
      logger().error(std::string("outbox ") + destination + ": " + e.what());
    }
    if (worked) continue;
    std::unique_lock lock(mutex_);
    wakeUp_.wait_for(lock, config_.poll, [&] { return stopping_ || wakeCount_ != seen; });
  }
}

int OutboxWorker::runOnce(const std::string& destination) {
  int attempts = 0;
  while (attemptOne(destination)) ++attempts;
  return attempts;
}

bool OutboxWorker::attemptOne(const std::string& destination) {
  auto it = transports_.find(destination);
  if (it == transports_.end()) throw Error(ErrorCode::Internal, "no transport for outbox destination " + destination);
  const TimePoint now = clock_.now();
  const auto lease = std::chrono::duration_cast<std::chrono::milliseconds>(config_.lease);
  auto claimed = store_.claimOutbox(destination, formatTimestamp(now), formatTimestamp(now + lease), 1);
  if (claimed.empty()) return false;
  const OutboxMessage& m = claimed.front();

  AttemptResult result;
  const auto started = std::chrono::steady_clock::now();
  try {
    Delivered d = it->second->deliver(m);
    result.next = AttemptResult::Next::Delivered;
    result.httpStatus = d.httpStatus;
    result.detail = excerpt(d.detail);
    result.outcome = d.outcome;
    result.outcomeDetail = d.outcomeDetail;
    result.followUps = std::move(d.followUps);
  } catch (const integrations::DeliveryFailure& f) {
    result.httpStatus = f.httpStatus();
    result.detail = excerpt(f.what());
    result.next = f.permanent() ? AttemptResult::Next::Dead : AttemptResult::Next::Retry;
  } catch (const std::exception& e) {
    result.detail = excerpt(std::string("internal error: ") + e.what());
    result.next = AttemptResult::Next::Retry;
  }
  result.durationMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  const TimePoint finished = clock_.now();
  if (result.next == AttemptResult::Next::Retry) {
    std::optional<std::chrono::milliseconds> delay;
    {
      std::lock_guard lock(randomMutex_);
      delay = integrations::nextDelay(policy_, m.attempts + 1, random_);
    }
    if (delay) {
      result.nextAttemptAt = formatTimestamp(finished + *delay);
    } else {
      result.next = AttemptResult::Next::Dead;
      result.detail = excerpt(result.detail) + " (gave up after " + std::to_string(m.attempts + 1) + " attempts)";
    }
  }
  store_.finishAttempt(m.id, formatTimestamp(finished), result);

  std::string what = "outbox " + m.id + " to " + m.destination + " attempt " + std::to_string(m.attempts + 1) + ": ";
  switch (result.next) {
    case AttemptResult::Next::Delivered:
      logger().information(what + "delivered" + (result.outcome ? " (" + *result.outcome + ")" : std::string()));
      break;
    case AttemptResult::Next::Retry:
      logger().warning(what + result.detail + "; next attempt at " + result.nextAttemptAt);
      break;
    case AttemptResult::Next::Dead:
      logger().error(what + result.detail + "; dead-lettered");
      break;
  }
  return true;
}

}  // namespace a6::service
