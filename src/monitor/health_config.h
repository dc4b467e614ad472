// What krill-monitor needs to run a container's healthcheck: <run_dir>/healthcheck.json,
// written by the engine before it starts the monitor when the container has a healthcheck
// (none: no file). The monitor runs `command` (e.g. {"/usr/bin/krill", "--root", R, ...,
// "healthcheck", "run", ID}; no stdio, a session of its own) interval_ns after the container
// was created and after each previous check ended; a check still running timeout_ns + 30 s
// later is killed (the command enforces the timeout itself; this is for a hung one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::monitor {

struct HealthMonitorConfig {
  int64_t interval_ns = 0;
  int64_t timeout_ns = 0;
  std::vector<std::string> command;
  // A startup check (podman's --health-startup-*): until `startup_passed_path` exists, the
  // command runs at the startup interval (and may run for the startup timeout); once the
  // command has created that file, at the regular interval. Empty path: no startup check.
  int64_t startup_interval_ns = 0;
  int64_t startup_timeout_ns = 0;
  std::string startup_passed_path;
};

std::string health_monitor_config_to_json(const HealthMonitorConfig& config);
Result<HealthMonitorConfig> health_monitor_config_from_json(std::string_view text);
// <run_dir>/healthcheck.json; nullopt when there is none.
Result<std::optional<HealthMonitorConfig>> read_health_monitor_config(const std::string& run_dir);

}  // namespace krill::monitor
