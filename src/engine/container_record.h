// One container as the engine remembers it: identity, the request it was made from, and its
// lifecycle state (Docker's states: created, running, paused, exited, removing).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "engine/container_config.h"

namespace krill::engine {

enum class ContainerStatus { kCreated, kRunning, kPaused, kStopping, kExited, kRemoving };

// "created", "running", "paused", "stopping", "exited", "removing" (Docker's words).
const char* status_name(ContainerStatus status);
// Running, paused or stopping: the container has processes (and a monitor) that may still run.
constexpr bool is_live(ContainerStatus status) {
  return status == ContainerStatus::kRunning || status == ContainerStatus::kPaused ||
         status == ContainerStatus::kStopping;
}
Result<ContainerStatus> parse_status(std::string_view name);

struct ContainerRecord {
  std::string id;    // 64 lower-case hex digits
  std::string name;  // unique; Docker's "adjective_surname" when not given
  ContainerConfig config;
  int64_t created_ns = 0;  // Unix time in nanoseconds

  ContainerStatus status = ContainerStatus::kCreated;
  pid_t pid = 0;          // the container's init on the host while running
  pid_t monitor_pid = 0;  // krill-monitor while running
  // Start time of the monitor (field 22 of /proc/PID/stat), so a reused pid is not taken
  // for a live monitor.
  uint64_t monitor_start_ticks = 0;
  int exit_code = 0;
  int64_t started_ns = 0;   // last start
  int64_t finished_ns = 0;  // last exit
  int restart_count = 0;
  bool oom_killed = false;
  std::string error;  // why the last start failed, for inspect's State.Error
  // The boot the state belongs to (/proc/sys/kernel/random/boot_id): after a reboot running
  // containers are exited.
  std::string boot_id;
  bool stopped_by_user = false;  // stop/kill: no restart for unless-stopped/always until start
};

}  // namespace krill::engine
