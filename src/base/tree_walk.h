// A depth-first walk of a directory tree through file descriptors: no symlink is followed and
// no other mount entered. What tree_size and chown_tree are built on.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>

#include "base/error.h"

namespace krill {

// Sees one entry below the walked directory: `parent_fd` and `name` for the *at(2) calls,
// `path` for messages, `st` from fstatat(AT_SYMLINK_NOFOLLOW). Returns whether to descend (for
// a directory), or an error that ends the walk.
using TreeVisitor = std::function<Result<bool>(int parent_fd, const char* name,
                                               const std::string& path, const struct stat& st)>;

// Visits every entry under the directory `dir_fd` (consumed) at `path` that is on `device`;
// entries removed meanwhile are skipped.
Result<void> walk_tree(int dir_fd, const std::string& path, dev_t device,
                       const TreeVisitor& visit);

}  // namespace krill
