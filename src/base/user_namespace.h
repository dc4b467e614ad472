// Rootless commands that need root's powers over their own files (mounting overlayfs, chroot,
// chown to other ids): the command runs again inside a new user and mount namespace in which the
// caller is root, its subordinate ids (/etc/subuid, /etc/subgid through newuidmap/newgidmap from
// Debian's uidmap) mapped after it — what `buildah unshare` does.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"

namespace krill {

// Set in the environment of the re-executed command.
inline constexpr const char* kInUserNamespaceEnv = "KRILL_IN_USER_NAMESPACE";

// True in a process started by run_in_user_namespace.
bool in_krill_user_namespace();

// Runs `argv` (argv[0] a path) as root of a new user + mount namespace and returns its exit
// status. Without subordinate ids only the caller's own uid/gid are mapped (to 0).
Result<int> run_in_user_namespace(const std::vector<std::string>& argv);

}  // namespace krill
