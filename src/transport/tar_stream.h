// Plain (uncompressed) tar archives of whole directories, for oci-archive: and
// docker-archive:, through libarchive.
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"

namespace krill::transport {

// Writes every directory and regular file below `dir` (sorted, names relative to
// `dir`, no "./"), as a pax tar with uid/gid 0 and the files' modes, to
// `archive_path`, which it creates or truncates. The caller renames it into place.
Result<void> tar_directory(const std::string& dir, const std::string& archive_path);

// Publishes an archive built in `dir`: tar_directory() into `temp_path` (on the file system of
// `path`), then renamed over `path`. On failure `temp_path` is removed and `path` is untouched.
// Error: "write <what> <path>: ...".
Result<void> publish_tar(const std::string& dir, const std::string& temp_path,
                         const std::string& path, const std::string& what);

// Extracts a tar (compression detected) into the existing directory `dir`:
// regular files, directories, symlinks and hardlinks inside `dir` only (".." or
// absolute names and links leaving `dir` are refused); ownership is not restored.
Result<void> untar_to_directory(const std::string& archive_path, const std::string& dir);

// One member's content ("manifest.json" matches "./manifest.json"), refusing
// members above max_size. Error: "read manifest.json from /x.tar: no such member".
Result<std::string> read_tar_member(const std::string& archive_path, const std::string& name,
                                    uint64_t max_size = 16 << 20);

// A member path of an archive as a path inside `dir`, or an error for absolute
// paths, ".." components or (after resolving symlinks) a location outside `dir`.
Result<std::string> resolve_member_path(const std::string& dir, const std::string& member);

}  // namespace krill::transport
