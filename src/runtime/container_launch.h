// The runtime's side of create: starts the setup child, answers its requests
// (id maps, cgroups, hooks, console, seccomp listener) until the init waits
// for `start`.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/spec.h"
#include "runtime/cgroups/manager.h"
#include "runtime/intel_rdt.h"

namespace krill::runtime {

struct LaunchRequest {
  const oci::Spec* spec = nullptr;
  std::string id;
  std::string bundle;
  std::string rootfs;
  bool no_pivot = false;
  int preserve_fds = 0;
  int start_listen_fd = -1;
  cgroups::Manager* cgroup = nullptr;
  // `exec`: join the namespaces named in spec (all by path), do not apply
  // resources, and wait until the process has executed.
  bool exec_mode = false;
  bool new_keyring = true;  // false with --no-new-keyring
  // The resctrl mount for linux.intelRdt (found by the caller); empty without intelRdt.
  std::string resctrl_root;
  // Where compiled seccomp filters are kept between containers (compile_seccomp_cached); empty:
  // compile every time.
  std::string seccomp_cache_dir;
};

struct LaunchedInit {
  pid_t pid = 0;
  UniqueFd console_master;  // when process.terminal
  RdtPlacement intel_rdt;   // when linux.intelRdt: what delete removes
};

// On failure the init (if any) is killed and reaped before returning.
Result<LaunchedInit> launch_container(const LaunchRequest& request);

// The state JSON hooks receive on stdin.
std::string hook_state_json(const LaunchRequest& request, oci::Status status, pid_t pid);

}  // namespace krill::runtime
