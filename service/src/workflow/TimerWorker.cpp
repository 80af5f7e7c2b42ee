#include "a6/service/workflow/TimerWorker.h"

#include <Poco/Logger.h>

#include "a6/core/Error.h"
#include "a6/service/app/Logging.h"

namespace a6::service {

TimerWorker::TimerWorker(WorkflowService& workflows, std::chrono::milliseconds interval)
    : workflows_(workflows), interval_(interval) {}

TimerWorker::~TimerWorker() { stop(); }

void TimerWorker::start() {
  std::lock_guard lock(mutex_);
  stopping_ = false;
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

void TimerWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int TimerWorker::runOnce() {
  std::lock_guard pass(passMutex_);
  return workflows_.fireDueTimers();
}

void TimerWorker::loop() {
  auto& log = Poco::Logger::get("a6auth.timers");
  for (;;) {
    try {
      int fired = runOnce();
      if (fired > 0) logEvent(log, Poco::Message::PRIO_INFORMATION, "timers fired", {{"count", std::to_string(fired)}});
    } catch (const std::exception& e) {
      // A failing database must not end the worker; the timers stay pending and are retried.
      logEvent(log, Poco::Message::PRIO_ERROR, "timer pass failed", {{"error", e.what()}});
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
  }
}

}  // namespace a6::service
