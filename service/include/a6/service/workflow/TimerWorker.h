// Fires due workflow timers (SLA reminders, breaches, timeout decisions) as ordinary events.
// Timers live in the database, so a restart loses none; the worker only polls.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "a6/service/workflow/WorkflowService.h"

namespace a6::service {

class TimerWorker {
 public:
  TimerWorker(WorkflowService& workflows, std::chrono::milliseconds interval);
  ~TimerWorker();
  void start();
  void stop();
  // Runs one pass now; returns how many timers fired. Tests call it after moving a manual clock.
  int runOnce();

 private:
  void loop();

  WorkflowService& workflows_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::mutex passMutex_;  // one pass at a time
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace a6::service
