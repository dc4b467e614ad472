// Running OCI lifecycle hooks (config.md "POSIX-platform Hooks").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace krill::runtime {

// Runs `hooks` in order, each to completion, stopping at the first failure.
// Each hook is fork+execve(path, args, env): args[0] is argv[0] (the path when
// args is empty); env is exactly `env` (empty when not given); the working
// directory is `cwd` (empty: inherited) — the runtime passes the bundle for the
// runtime-namespace hooks and the rootfs for createContainer, where runc runs
// them (runc chdirs to the bundle for create/run and its init to the rootfs
// before the createContainer hooks); fds other than 0-2 are not passed on. The
// state JSON arrives on stdin through a pipe (a hook need not read it);
// stdout and stderr are captured (the last 64 KiB of each) for the error.
// `phase` names the hook list in errors, e.g. "createRuntime":
//   createRuntime hook #1 (/usr/bin/x) timed out after 2s
//   poststart hook #2 (/x): exit status 3: <last line of stderr>
//   prestart hook #1 (/x): killed by signal 9 (Killed)
//   createContainer hook #1 (/x): exec: No such file or directory
//   poststop hook #1 (/x): chdir to /b: No such file or directory
// Only the hook's own child is waited for (waitpid on its pid), no signal
// dispositions or handlers are changed, so this is safe in the middle of
// create while other children exist. A timeout kills the hook with SIGKILL.
Result<void> run_hooks(const std::vector<oci::Hook>& hooks, std::string_view state_json,
                       std::string_view phase, const std::string& cwd);

// Runs every hook even when some fail, returning one warning (the error text
// above) per failed hook. For poststop, whose failures the spec says only warn.
// (runtime-spec 1.3 says a failing poststart hook MUST generate an error, so
// poststart belongs with run_hooks.)
std::vector<std::string> run_hooks_best_effort(const std::vector<oci::Hook>& hooks,
                                               std::string_view state_json, std::string_view phase,
                                               const std::string& cwd);

// Whether the config has hooks that run in the runtime's namespaces while the init waits
// after its mounts (prestart, createRuntime). Without any, runtime and init skip that round trip.
inline bool has_runtime_namespace_hooks(const oci::Hooks& hooks) {
  return !hooks.prestart.empty() || !hooks.create_runtime.empty();
}

// Runs one hook; `number` is its 1-based position in its list, for the error.
Result<void> run_hook(const oci::Hook& hook, std::string_view state_json, std::string_view phase,
                      size_t number, const std::string& cwd);

}  // namespace krill::runtime
