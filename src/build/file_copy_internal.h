// Private helpers shared by build_context.cpp and the file_copy*.cpp files: path handling
// inside a root directory (openat2) and contained tar extraction. Not part of the contract.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "build/file_copy.h"

namespace krill::build::detail {

// Go's path.Clean for '/'-separated paths ("" -> ".").
std::string clean_path(std::string_view path);
// Joins a relative path below `base` ("" or "." base means the root itself).
std::string join_path(std::string_view base, std::string_view name);
// Splits "a/b/c" into {"a/b", "c"}; {"", "c"} for "c".
std::pair<std::string, std::string> split_parent(const std::string& rel);

// openat2(root_fd, rel, flags | O_CLOEXEC) with `resolve` flags (RESOLVE_IN_ROOT or
// RESOLVE_BENEATH; RESOLVE_NO_MAGICLINKS is added). "" or "." opens the root itself.
// The error carries errno.
Result<UniqueFd> open_resolved(int root_fd, const std::string& rel, int flags, int resolve);

struct Owner {
  bool set = false;  // false: leave whatever the creator got
  uid_t uid = 0;
  gid_t gid = 0;
};

// mkdir -p of `rel` below root_fd, every component resolved with `resolve`; created
// directories get `mode` and `owner`. Returns the directory opened O_PATH.
Result<UniqueFd> mkdir_all_resolved(int root_fd, const std::string& rel, int resolve, mode_t mode,
                                    const Owner& owner);

struct UnpackOptions {
  int resolve = 0;               // RESOLVE_BENEATH (context: refuse) or RESOLVE_IN_ROOT (ADD)
  bool refuse_absolute = false;  // context: "/x" entries are errors (ADD: relative to base)
  bool keep_owner = false;       // the tar's uid/gid (else `owner`, if set)
  Owner owner;
  std::string what;  // "context archive", "ADD x.tar" for messages
};

// Unpacks a tar stream (plain/gzip/bzip2/xz/zstd, detected) into `base` below root_fd. Modes
// and mtimes are kept; paths leaving the base are errors naming the entry.
Result<void> unpack_archive(int input_fd, int root_fd, const std::string& base,
                            const UnpackOptions& options);

// True when the file at fd (read from its start) is a tar archive, possibly compressed.
bool is_tar_archive(int fd);

// One file system object below a matched source: `rel` is its path in the source tree (no
// symlink on the way), `dest` its path relative to where the source lands ("" = that place).
struct SourceEntry {
  std::string rel;
  std::string dest;
  struct stat st {};
};

// One matched source: a file or directory (symlinks given as sources are followed).
struct MatchedSource {
  std::string name;  // as matched, cleaned, relative ("dir/a.txt"); its basename names it
  std::string rel;   // resolved path in the source tree
  struct stat st {};
  std::vector<SourceEntry> entries;  // directories: their contents, parents first, sorted
};

struct SourceSet {
  UniqueFd root_fd;  // source_root, O_PATH
  std::vector<MatchedSource> sources;
  bool several = false;           // more than one source pattern was given
  bool wildcard_several = false;  // a wildcard matched more than one
};

// Matches and resolves the request's sources and lists directory contents (ignore and
// --exclude applied). Errors as copy_into_rootfs documents them, prefixed "<INSTR> failed: ".
Result<SourceSet> resolve_sources(const CopyRequest& request);

// Opens a resolved source path (no symlinks followed) for reading.
Result<UniqueFd> open_source(int root_fd, const std::string& rel, int flags);

}  // namespace krill::build::detail
