// The last steps of every container process, the init's and exec's alike:
// limits, labels, identity, capabilities, working directory, seccomp, and
// finally execve.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/linux/sync_channel.h"
#include "runtime/security/seccomp.h"

namespace krill::runtime {

struct PreparedExec {
  std::string path;              // resolved executable
  std::vector<std::string> env;  // final environment
};

// Applies everything of `process` to the calling process, in the order the
// kernel requires (seccomp before dropping capabilities unless
// noNewPrivileges; user after the bounding set; cwd as the new user), and
// resolves the executable. `seccomp` (linux.seccomp compiled, or null) is loaded; its notify fd
// is handed to the runtime over `channel`. Every fd from 3 + preserve_fds up is made
// close-on-exec.
Result<PreparedExec> prepare_process(const oci::Process& process, const oci::Linux& linux_config,
                                     const security::CompiledSeccomp* seccomp, int preserve_fds,
                                     linux_ns::SyncChannel& channel);

// execve; returns only on failure, with the error to report.
Error exec_process(PreparedExec& exec, const std::vector<std::string>& args);

}  // namespace krill::runtime
