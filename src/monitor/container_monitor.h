// krill-monitor's work (what conmon does for podman): create the container through the OCI
// runtime with the monitor owning its stdio, report {"pid":N} or {"error":...} on the status
// pipe, log its output, serve attach clients, reap it, write exit.json, delete it from the
// runtime and run the exit command.
#pragma once

#include <string>

namespace krill::monitor {

// Runs the monitor for <run_dir>/monitor.json at `config_path`. `status_fd` is the engine's
// status pipe (-1: none). Returns the process exit status (0 once the container was handled).
int run_container_monitor(const std::string& config_path, int status_fd);

}  // namespace krill::monitor
