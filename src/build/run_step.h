// RUN: one process in a stage's working root file system, through an OCI runtime
// (krill-runtime by default; Docker's defaults for capabilities, seccomp and mounts from the
// engine's spec builder) or, for --isolation chroot, chroot(2) alone (kaniko's case: inside a
// container that may not create namespaces).
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "engine/container_config.h"

namespace krill::build {

struct RunStep {
  std::vector<std::string> args;
  std::vector<std::string> env;  // complete: the stage's ENV plus the build args in scope
  std::string user;              // the stage's USER ("" = root)
  std::string workdir = "/";     // created when missing
  std::string network = "host";  // "host" | "none"
  std::vector<engine::MountRequest> mounts;  // --mount=type=cache|bind|tmpfs|secret, resolved
};

struct RunEnvironment {
  std::string rootfs;             // mounted, absolute
  std::string bundle_dir;         // empty directory for config.json, hosts, resolv.conf
  std::string isolation = "oci";  // "oci" | "chroot"
  std::string runtime_path;
  std::string runtime_root;  // --root for the runtime's state
  std::string container_id;
  int stdout_fd = 1;
  int stderr_fd = 2;
};

// The process's exit status (128+N when killed by signal N); errors for what kept it from
// running. Mount points the run created in the rootfs (for /etc/hosts, secrets, caches) are
// removed again, so they do not end up in the layer.
Result<int> run_step(const RunStep& step, const RunEnvironment& environment);

// mkdir -p of `path` inside `root`, resolved inside it (symlinks in the image stay inside);
// new directories get mode 0755 and owner uid:gid.
Result<void> make_directories_in_root(const std::string& root, const std::string& path,
                                      uid_t uid = 0, gid_t gid = 0);

}  // namespace krill::build
