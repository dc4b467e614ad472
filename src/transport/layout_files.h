// File plumbing shared by the file-based transports (oci:, oci-archive:,
// docker-archive:, dir:): owned temp directories, blobs received from an fd into a
// file only after their digest and size check out, and files streamed to an fd.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "image/digest.h"
#include "image/manifest.h"

namespace krill::transport {

// A directory created with mkdtemp and removed (rm -rf) when destroyed. Move-only.
class OwnedTempDir {
 public:
  // `parent` empty: $TMPDIR or /var/tmp. Error: "create temp dir in /x: ...".
  static Result<OwnedTempDir> create(const std::string& parent = {},
                                     std::string_view prefix = "krill-");
  OwnedTempDir() = default;
  OwnedTempDir(OwnedTempDir&& other) noexcept;
  OwnedTempDir& operator=(OwnedTempDir&& other) noexcept;
  OwnedTempDir(const OwnedTempDir&) = delete;
  OwnedTempDir& operator=(const OwnedTempDir&) = delete;
  ~OwnedTempDir();

  const std::string& path() const { return path_; }

 private:
  explicit OwnedTempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Reads `in_fd` to its end into a temp file in `temp_dir`, hashing with the
// descriptor's algorithm; when size (if > 0 or the digest is of "") and digest
// match it is fsynced and renamed to `final_path`. On any failure nothing is
// left behind. Errors: "blob sha256:..: digest mismatch: got sha256:..",
// "blob sha256:..: size mismatch: expected 10 bytes, got 12".
Result<void> receive_blob(int in_fd, const image::Descriptor& blob, const std::string& final_path,
                          const std::string& temp_dir);

// Like receive_blob, but the blob is a gzip/zstd/plain layer stored decompressed:
// the compressed bytes must match `blob`; returns the diffID (digest of the
// decompressed tar) and its size.
struct DecompressedLayer {
  image::Digest diff_id;
  uint64_t size = 0;
};
Result<DecompressedLayer> receive_layer_decompressed(int in_fd, const image::Descriptor& blob,
                                                     const std::string& final_path,
                                                     const std::string& temp_dir);

// Writes the file at `path` to `out_fd`. With a non-empty `expected` digest, the
// bytes are hashed on the way and a mismatch (or a size differing from
// `expected_size` when >= 0) is an error after the last write:
// "blob sha256:.. in /x: digest mismatch: got sha256:..". Returns the bytes written.
Result<uint64_t> send_file(const std::string& path, int out_fd, const image::Digest& expected = {},
                           int64_t expected_size = -1);

// Reads a small file and checks it against `expected` (refusing files above
// max_size).
Result<std::string> read_verified(const std::string& path, const image::Digest& expected,
                                  uint64_t max_size = 64 << 20);

// Writes `data` to `final_path` through a temp file + fsync + rename.
Result<void> write_atomic(const std::string& final_path, std::string_view data);

// Splits "path:ref" at the first ':' as containers/image does ("oci:/d:ref").
struct PathAndRef {
  std::string path;
  std::string ref;
};
PathAndRef split_path_and_ref(std::string_view rest);

// The directory part of a path ("/a/b" -> "/a", "b" -> ".").
std::string parent_directory(const std::string& path);

}  // namespace krill::transport
