// A user namespace held only by a file descriptor: what mount_setattr(MOUNT_ATTR_IDMAP) takes to
// id-map a mount (the runtime's idmapped bind mounts, the engine's --userns=auto rootfs).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "base/user_namespace.h"

namespace krill {

// The text of a uid_map/gid_map file: one "inside outside count" line per range.
std::string format_id_map(const std::vector<IdMapRange>& ranges);

// Forks a child that unshares a user namespace, writes `uid_map` and `gid_map` (id map file
// text) for it, opens its /proc/<pid>/ns/user and reaps it. Needs CAP_SETUID/CAP_SETGID over
// the mapped ids (root). Errors name the step: "create user namespace for an idmapped mount:
// EPERM", "write /proc/<pid>/uid_map: EINVAL".
Result<UniqueFd> make_user_namespace_fd(std::string_view uid_map, std::string_view gid_map);

}  // namespace krill
