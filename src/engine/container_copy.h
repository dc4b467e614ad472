// `cp` with Docker's path rules between two path roots (a container's and the host's), and to
// or from a tar stream. Container paths are relative to the container's "/" and resolved in it
// (tar_tree.h): a symlink in the container never leads out of it.
//
// Docker's rules (docs.docker.com "docker container cp"):
// - SRC a file: DEST missing -> the file is written as DEST (DEST ending in "/": error, the
//   directory must exist); DEST a file -> overwritten; DEST a directory -> SRC's name in it.
// - SRC a directory: DEST missing -> made, with SRC's contents; DEST a file -> error;
//   DEST a directory -> SRC (by name) in it, or with "SRC/." its contents.
// - A symlink as SRC is copied as a link unless follow_link (-L) or SRC ends in "/" or "/.";
//   a symlink as DEST is followed (in its root).
#pragma once

#include <string>

#include "base/error.h"
#include "engine/tar_tree.h"

namespace krill::engine {

struct CopyOptions {
  bool follow_link = false;  // -L
  TarExtractOptions extract;  // owner (-a keeps the source's), overwrite
};

// SRC in `from` to DEST in `to`.
Result<void> copy_path(const PathRoot& from, const std::string& source, const PathRoot& to,
                       const std::string& destination, const CopyOptions& options);
// `cp CTR:SRC -`: SRC as a tar stream on out_fd (its top entry named as SRC's last component;
// "SRC/." gives "./" and its contents).
Result<void> copy_to_tar(const PathRoot& from, const std::string& source, int out_fd,
                         bool follow_link);
// `cp - CTR:DEST`: the tar stream on in_fd extracted into DEST, which must be a directory.
Result<void> copy_from_tar(int in_fd, const PathRoot& to, const std::string& destination,
                           const TarExtractOptions& options);

}  // namespace krill::engine
