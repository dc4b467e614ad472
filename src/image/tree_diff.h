// Changes to a plain directory tree (no overlay): a scan of every entry's metadata before a step,
// and after it an overlay-style upper directory holding what changed (hardlinks to the changed
// files, copies of changed directories and symlinks, whiteouts for what is gone), which
// write_layer_from_upper turns into a layer. What kaniko does with its snapshots; the `vfs` way
// of building when overlayfs cannot be mounted (an unprivileged container).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/error.h"

namespace krill::image {

struct TreeEntry {
  mode_t mode = 0;  // type and permissions
  uid_t uid = 0;
  gid_t gid = 0;
  int64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;  // catches content rewritten with the old mtime, chmod, chown
  ino_t inode = 0;       // catches a file replaced by rename
  std::string link_target;
  friend bool operator==(const TreeEntry&, const TreeEntry&) = default;
};

// Relative path ("etc/passwd") -> entry, for every entry below `root` (not following symlinks,
// not crossing into other mounts).
using TreeScan = std::map<std::string, TreeEntry>;

Result<TreeScan> scan_tree(const std::string& root);

// A scan as text, to keep it beside a tree until its changes are wanted (the vfs snapshot's
// base), and back. Error: "tree scan: invalid ...".
std::string tree_scan_to_text(const TreeScan& scan);
Result<TreeScan> tree_scan_from_text(std::string_view text);

// Fills the empty directory `upper_dir` (on the same file system as `root`) with the changes of
// `root` since `before`: new and changed entries (files hardlinked, directories and symlinks
// recreated with their metadata, their unchanged parent directories too) and overlay whiteouts
// (char 0:0, or xattr whiteouts where mknod is not allowed) for removed entries. Returns how
// many entries changed.
Result<size_t> build_upper_from_changes(const std::string& root, const TreeScan& before,
                                        const std::string& upper_dir);

}  // namespace krill::image
