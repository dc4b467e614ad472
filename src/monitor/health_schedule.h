// When krill-monitor runs the container's healthcheck command (Docker's probe loop): one
// interval after the container was created, then one interval after each check ended, so checks
// never overlap; a check still running past its deadline is to be killed. Times are
// CLOCK_MONOTONIC nanoseconds passed in by the caller (tests use their own clock).
#pragma once

#include <cstdint>

namespace krill::monitor {

class HealthSchedule {
 public:
  enum class Action { kNothing, kRunCheck, kKillCheck };

  // `kill_after_ns`: how long a check may run before kKillCheck.
  HealthSchedule(int64_t interval_ns, int64_t kill_after_ns);

  void start(int64_t now_ns);
  // New timing from the next check on (the startup check's, then the regular one's).
  void set_timing(int64_t interval_ns, int64_t kill_after_ns);
  // What is due at `now_ns` (kRunCheck only when no check runs; kKillCheck once per check).
  Action due(int64_t now_ns);
  void check_started(int64_t now_ns);
  // The check's process is gone (or could not be started).
  void check_finished(int64_t now_ns);
  bool check_running() const { return running_; }
  // When due() next has something to do; 0: nothing scheduled (not started, or a killed check
  // not reaped yet).
  int64_t next_ns() const;

 private:
  int64_t interval_ns_;
  int64_t kill_after_ns_;
  bool started_ = false;
  bool running_ = false;
  bool kill_sent_ = false;
  int64_t next_check_ns_ = 0;
  int64_t kill_at_ns_ = 0;
};

}  // namespace krill::monitor
