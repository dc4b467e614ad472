// The user and mount namespace every rootless krill command shares (podman's "pause process"):
// created once per user and run root, kept alive by a tiny `krill-pause` process, and joined by
// each later command with setns(2), so that mounts made by one command (a container's overlay
// root) are there for the next (`exec`, `cp`, clean-up) and the monitors and containers of every
// command live in one namespace. In it the caller is root and its subordinate ids
// (/etc/subuid, /etc/subgid) are mapped after it, as for `krill build` (base/user_namespace.h).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/error.h"

namespace krill {

// The files of the pause process under a run root.
std::string pause_pid_file(const std::string& run_root);  // "<run_root>/pause.pid"

// The running pause process of `run_root` ("PID START_TIME" in pause.pid, checked against
// /proc), or nothing.
std::optional<pid_t> find_pause_process(const std::string& run_root);

// Joins the pause process's user and mount namespaces, creating them (and the process) under a
// lock when there are none. The calling process must be single-threaded (setns of a user
// namespace requires it). The working directory is kept; KRILL_IN_USER_NAMESPACE is set so that
// children (monitors, the runtime, exit commands) know they are inside.
// Errors: "join the rootless user namespace: ...".
Result<void> join_rootless_namespace(const std::string& run_root);

// Ends the pause process (SIGKILL, by the pid in pause.pid) and removes pause.pid: the next
// command makes a new namespace (podman's `system migrate`, e.g. after /etc/subuid changed).
// Returns whether there was one.
Result<bool> stop_pause_process(const std::string& run_root);

}  // namespace krill
