// Gives a directory tree to a user: what podman's :U volume option does to a mount's source.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/error.h"

namespace krill {

// lchown of `path` and, when it is a directory, of everything under it (symlinks themselves,
// never what they point to), without crossing into other mounts.
Result<void> chown_tree(const std::string& path, uid_t uid, gid_t gid);

}  // namespace krill
