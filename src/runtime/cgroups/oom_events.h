// Noticing OOM kills in a container's memory cgroup as they happen, for `events` (runc prints
// {"type":"oom"} for each): cgroup v1 through an eventfd registered on memory.oom_control in
// cgroup.event_control, cgroup v2 through inotify on memory.events (its oom_kill count).
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

namespace krill::cgroups {

class OomWatch {
 public:
  // `memory_dir`: the container's directory in the memory hierarchy (v1) or the unified one.
  static Result<OomWatch> open(const std::string& memory_dir, bool v2);

  // Readable (poll POLLIN) when an OOM happened or the cgroup went away.
  int fd() const { return fd_.get(); }
  // Reads what woke fd(): the number of OOM events since the last call (0 when none, e.g. the
  // cgroup being removed). Never blocks.
  Result<uint64_t> collect();
  // The cgroup is gone (seen by collect()): no more events will come.
  bool ended() const { return ended_; }

 private:
  OomWatch(UniqueFd fd, UniqueFd control, std::string dir, bool v2)
      : fd_(std::move(fd)), control_(std::move(control)), dir_(std::move(dir)), v2_(v2) {}

  UniqueFd fd_;       // eventfd (v1) or inotify (v2)
  UniqueFd control_;  // v1: memory.oom_control, kept open while registered
  std::string dir_;
  bool v2_ = false;
  uint64_t seen_kills_ = 0;  // v2: memory.events oom_kill at the last look
  bool ended_ = false;
};

// "oom_kill N" of memory.events (v2) / memory.oom_control (v1) text; 0 when absent.
uint64_t oom_kill_count(const std::string& text);

}  // namespace krill::cgroups
