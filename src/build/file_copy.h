// COPY and ADD: files from a source tree (the build context, another stage's root file system,
// an image) into a container root file system, with Docker's semantics.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "build/dockerignore.h"

namespace krill::build {

struct CopyRequest {
  // The tree the sources are relative to (a leading '/' in a source means this root). Symlinks
  // inside it resolve inside it (RESOLVE_IN_ROOT): nothing outside is ever read; a source whose
  // path leads out through a symlink is an error naming it.
  std::string source_root;
  const IgnoreMatcher* ignore = nullptr;  // context only: excluded files are invisible
  // Source patterns after variable substitution; filepath.Match wildcards per segment.
  std::vector<std::string> sources;
  // The destination as written after substitution; relative ones are relative to `workdir`.
  // It is a directory when it ends in '/' or when there are several sources (or a wildcard
  // matched several files); an existing directory at the destination is one too.
  std::string destination;
  std::string workdir = "/";
  // --chown (resolved to numbers by the caller); unset: 0:0.
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::optional<mode_t> mode;         // --chmod: files and directories copied get this mode
  bool extract_archives = false;      // ADD: a local tar (plain/gz/bz2/xz/zst) source is unpacked
  std::vector<std::string> excludes;  // --exclude patterns (match_path_pattern on source paths)
  std::string instruction = "COPY";   // for messages
};

// Docker's rules: a directory source copies its contents (not itself) into the destination; a
// file source goes to destination (a file path) or destination/<basename> (a directory path);
// missing parent directories are created (0755, owned by uid:gid when --chown was given, else
// 0:0); mtimes are kept, ownership is uid:gid (0:0 by default), modes are kept unless --chmod;
// hardlinks among copied files stay hardlinks; symlinks are copied as symlinks (a symlink given
// as a source is followed — inside source_root). The destination is resolved inside `rootfs`
// (a symlink in the image leading out is contained, never followed to the host).
// Errors (nothing outside the rootfs touched, the message says what):
//   "COPY failed: file not found in build context or excluded by .dockerignore: stat a.txt:
//   file does not exist", "COPY failed: no source files were specified" (wildcard matching
//   nothing), "COPY failed: source x escapes the build context through a symlink",
//   "COPY failed: copying several sources requires the destination /d to end with /".
Result<void> copy_into_rootfs(const CopyRequest& request, const std::string& rootfs);

// A digest ("sha256:...") of what copy_into_rootfs would read: the matched paths relative to
// source_root, their types, modes, sizes, file contents and symlink targets (not mtimes, not
// owners) — the cache key part of COPY/ADD. Same errors as copy_into_rootfs for sources.
Result<std::string> sources_digest(const CopyRequest& request);

// ADD https://… : downloads `url` (libcurl, redirects followed, TLS verified) into `file`
// (created 0600), verifying `checksum` ("sha256:<hex>") when given. Returns the
// Last-Modified time (seconds) when the server sent one. Errors name the URL and the HTTP
// status or the checksum mismatch; a partial file is removed.
Result<std::optional<int64_t>> download_url(const std::string& url, const std::string& file,
                                            const std::string& checksum);

}  // namespace krill::build
