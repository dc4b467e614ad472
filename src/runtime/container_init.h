// The code that runs inside the new container between clone and execve:
// the setup child (namespaces) and the init (mounts, identity, security).
// Nothing here throws; every failure is sent to the runtime as kError.
#pragma once

#include <string>

#include "oci/spec.h"
#include "runtime/linux/namespaces.h"
#include "runtime/linux/sync_channel.h"
#include "runtime/security/seccomp.h"

namespace krill::runtime {

struct InitRequest {
  const oci::Spec* spec = nullptr;
  std::string rootfs;  // absolute
  bool no_pivot = false;
  int preserve_fds = 0;
  int start_listen_fd = -1;  // `start` connects here; accepted just before execve
  // `exec`: join a running container's namespaces and run spec->process in it
  // (no mounts, no hooks, no wait for start).
  bool exec_mode = false;
  // Name of a new session keyring for the container ("_ses.<id>", as runc);
  // empty with --no-new-keyring: the container keeps the caller's keyring.
  std::string session_keyring;
  linux_ns::NamespacePlan* namespaces = nullptr;
  linux_ns::SyncChannel* channel = nullptr;  // the child's end
  // linux.seccomp compiled by the runtime before the fork; null without linux.seccomp.
  const security::CompiledSeccomp* seccomp = nullptr;
};

// Runs in the forked setup child. Enters the namespaces, forks the init when
// a pid or time namespace requires it, and becomes or starts the init.
[[noreturn]] void run_setup_child(InitRequest& request);

}  // namespace krill::runtime
