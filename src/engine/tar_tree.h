// Tar streams of file trees (cp, export) with libarchive, no host tools: every path is opened
// by fd below a root directory, so a container's symlinks resolve inside the container (openat2
// RESOLVE_IN_ROOT) and never lead out of it. Trees are walked with O_NOFOLLOW: symlinks are
// archived as symlinks, never followed.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/unique_fd.h"

struct archive;

namespace krill::engine {

// Where paths are resolved: a container's root (contained: its symlinks resolve as if it were
// "/", ".." stops at it) or the host's "/" (plain resolution, relative paths from the cwd).
struct PathRoot {
  UniqueFd fd;  // O_PATH directory
  bool contained = false;
  std::string what;  // "container c1", "the host": for messages
};
Result<PathRoot> host_root();
// `dir` (a host directory, e.g. a container's mounted rootfs or /proc/PID/root) as a contained
// root.
Result<PathRoot> contained_root(const std::string& dir, std::string what);

// openat2 of `path` in the root (flags | O_CLOEXEC); a contained root adds RESOLVE_IN_ROOT and
// RESOLVE_NO_MAGICLINKS. "" and "/" open the root itself. The error carries errno.
Result<UniqueFd> open_at_root(const PathRoot& root, const std::string& path, int flags);

// A tar stream being written to an fd (pax format, numeric owners, no user or group names).
class TarWriter {
 public:
  // `xattrs`: files' and directories' extended attributes go into the archive too (export).
  static Result<TarWriter> open(int out_fd, bool xattrs = false);
  TarWriter(TarWriter&&) noexcept;
  TarWriter& operator=(TarWriter&&) noexcept;
  ~TarWriter();

  // Adds the object `fd` (an O_PATH | O_NOFOLLOW fd: a file, a symlink, a directory, a device
  // node or a fifo; sockets are skipped) as `name`; a directory with everything below it as
  // `name/...` (name "." gives "./" and "./child"). Hardlinked files (seen twice) become hard
  // links. A file that changes size while it is read is cut or padded to its size at open.
  Result<void> add(int fd, const std::string& name);
  // Adds the children of the directory `dir_fd` (O_PATH) as "child", "child/...", sorted.
  Result<void> add_children(int dir_fd);
  // Writes the end of the archive.
  Result<void> finish();

  struct State;  // the libarchive writer and what it has seen (tar_tree_write.cpp)

 private:
  explicit TarWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

struct TarExtractOptions {
  // Every entry's owner; nullopt keeps the archive's uid/gid.
  std::optional<std::pair<uid_t, gid_t>> owner;
  // A directory may replace a non-directory and the reverse (podman's --overwrite); otherwise
  // that is an error, as Docker's cp ("cannot overwrite directory ... with non-directory").
  bool overwrite = false;
  std::string what = "tar stream";  // for messages
};

// Extracts the tar stream on `in_fd` (plain or compressed: gzip, bzip2, xz, zstd) into the
// existing directory `dir` of the root. Entry paths are relative to `dir` ("/" and "./"
// prefixes dropped): one whose ".." leaves it is an error; parents are resolved in the root (a
// symlink in a container leads somewhere in the container) and made when missing. Modes,
// mtimes, symlinks, hard links (to entries of the stream), device nodes and fifos are kept; the
// entry for `dir` itself ("." / "./") is skipped. Errors name the entry.
Result<void> extract_tar(int in_fd, const PathRoot& root, const std::string& dir,
                         const TarExtractOptions& options);

}  // namespace krill::engine
