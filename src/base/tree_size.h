// The bytes a directory tree holds, as `podman system df` counts them: the sizes of its files
// and symlinks, each inode once (hardlinks), without crossing into other mounts.
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"

namespace krill {

// 0 for a path that does not exist; an error for one that cannot be read.
Result<uint64_t> tree_size(const std::string& path);

}  // namespace krill
