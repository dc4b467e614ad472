// Path resolution confined to a root directory: a path can never leave the root, whether
// through "..", absolute symlinks or relative symlinks climbing out.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/unique_fd.h"

namespace krill::rootfs {

// Opens `path` inside root_fd as if root_fd were "/": openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS), or, where openat2 is missing, a component-wise walk that resolves
// symlinks against the root. O_NOFOLLOW applies to the last component; O_CLOEXEC is implied.
Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags, mode_t mode = 0);

// Creates every missing directory of `path` inside root_fd (symlinks are followed inside the
// root) and returns an O_PATH|O_DIRECTORY fd of the last one.
Result<UniqueFd> mkdir_all_in_root(int root_fd, const std::string& path, mode_t mode);

// The component-wise walk behind both functions, exposed so tests can exercise the fallback
// on kernels that have openat2.
Result<UniqueFd> walk_in_root(int root_fd, std::string_view path, int flags, mode_t mode,
                              bool make_dirs);

// Lexically cleaned absolute form of a container path: "a//b/../c/" -> "/a/c".
std::string clean_container_path(std::string_view path);

}  // namespace krill::rootfs
