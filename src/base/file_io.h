// Whole-file reads and writes, directory creation and removal, timestamps.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace krill {

// Reads a whole file. Works for /proc and sysfs files whose size reads as 0.
// Error: "read /x/y: No such file or directory" (errno kept).
Result<std::string> read_file(const std::string& path);

// How far a write must get before it returns.
enum class Durability {
  kDurable,   // fsync the file and its directory: survives a crash (stores on disk)
  kVolatile,  // atomic rename only: for state that a reboot clears anyway (/run)
};

// Replaces `path` atomically: writes a temporary file in the same directory
// (so rename() cannot cross file systems), fsyncs it, renames it over `path`,
// then fsyncs the directory (fsyncs skipped when kVolatile). On any failure the
// temporary file is removed and `path` is untouched.
Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0600,
                               Durability durability = Durability::kDurable);

// One open(O_WRONLY) and one write() of all of `data`, for /proc, sysfs and
// cgroup files where the kernel acts on each write (no O_CREAT, no O_TRUNC).
// Error: `write "max" to /sys/fs/cgroup/c1/pids.max: Invalid argument`.
Result<void> write_file(const std::string& path, std::string_view data);

// `mkdir -p`: creates missing components with `mode` (subject to the umask).
// Succeeds when `path` already is a directory; fails when it is something else.
Result<void> mkdir_all(const std::string& path, mode_t mode);

// The names in directory `path` (without "." and ".."), in the order readdir gives them.
Result<std::vector<std::string>> list_directory(const std::string& path);

// `rm -rf` without following symlinks and without crossing into other mounts
// (a mount point inside the tree is an error, never emptied). Succeeds when
// `path` does not exist.
Result<void> remove_all(const std::string& path);

// Opens `path` inside the directory `root` as if `root` were "/" (openat2 RESOLVE_IN_ROOT, no
// magic links): a symlink in a container's rootfs never leads out of it. `flags` are open(2)
// flags (O_CLOEXEC is added), e.g. O_PATH | O_DIRECTORY. Errors carry errno (ENOENT, ENOTDIR).
Result<UniqueFd> open_in_root(const std::string& root, const std::string& path, int flags);

// The current time in UTC as Go's time.RFC3339Nano prints it, which is what
// runc reports as `created`: "2024-05-01T12:03:04.123456789Z", with trailing
// zeros of the fraction dropped and no fraction at all when it is zero.
std::string rfc3339_nano_now();
// The same format for a given instant (seconds since the epoch, nanoseconds).
std::string format_rfc3339_nano(int64_t seconds, long nanoseconds);
// Go's time.Parse(time.RFC3339Nano): "2024-05-01T12:03:04.123456789Z", any fraction (or none),
// "Z" or a numeric offset ("+02:00"); nanoseconds since the epoch. Error "parse time \"x\": not
// RFC 3339".
Result<int64_t> parse_rfc3339_nano(std::string_view text);

}  // namespace krill
