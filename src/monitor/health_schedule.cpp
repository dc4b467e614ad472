#include "monitor/health_schedule.h"

namespace krill::monitor {

HealthSchedule::HealthSchedule(int64_t interval_ns, int64_t kill_after_ns)
    : interval_ns_(interval_ns > 0 ? interval_ns : 1), kill_after_ns_(kill_after_ns) {}

void HealthSchedule::set_timing(int64_t interval_ns, int64_t kill_after_ns) {
  interval_ns_ = interval_ns > 0 ? interval_ns : 1;
  kill_after_ns_ = kill_after_ns;
}

void HealthSchedule::start(int64_t now_ns) {
  started_ = true;
  running_ = false;
  kill_sent_ = false;
  next_check_ns_ = now_ns + interval_ns_;
}

HealthSchedule::Action HealthSchedule::due(int64_t now_ns) {
  if (!started_) return Action::kNothing;
  if (running_) {
    if (kill_sent_ || now_ns < kill_at_ns_) return Action::kNothing;
    kill_sent_ = true;
    return Action::kKillCheck;
  }
  return now_ns >= next_check_ns_ ? Action::kRunCheck : Action::kNothing;
}

void HealthSchedule::check_started(int64_t now_ns) {
  running_ = true;
  kill_sent_ = false;
  kill_at_ns_ = now_ns + kill_after_ns_;
}

void HealthSchedule::check_finished(int64_t now_ns) {
  running_ = false;
  kill_sent_ = false;
  next_check_ns_ = now_ns + interval_ns_;
}

int64_t HealthSchedule::next_ns() const {
  if (!started_) return 0;
  if (running_) return kill_sent_ ? 0 : kill_at_ns_;
  return next_check_ns_;
}

}  // namespace krill::monitor
