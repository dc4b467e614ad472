// Applying an OCI layer (image-spec layer.md) to a layer directory of an overlay
// snapshot, in one streaming pass: read -> digest -> decompress -> diffID -> extract.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/layer_compression.h"

namespace krill::image {

struct ExtractOptions {
  // Rootless: opaque directories get user.overlay.opaque (not trusted.overlay.opaque);
  // whiteouts are char devices 0:0 when mknod allows it, else xattr whiteouts
  // (user.overlay.whiteout); device nodes are skipped with a warning; chown failures
  // are warnings, not errors.
  bool rootless = false;
  // Decompression-bomb limit on the tar stream; 0 = unlimited.
  uint64_t max_uncompressed_bytes = 0;
  // Called as compressed bytes are read, with the total so far.
  std::function<void(uint64_t compressed_bytes)> progress;
  // Receives every compressed byte as it is read (LayerStream::Options::compressed_sink): the
  // one-pass pull stores the blob while extracting it. ExtractResult::compressed_digest is then "".
  std::function<Result<void>(std::span<const std::byte>)> compressed_sink;
};

struct ExtractResult {
  std::string compressed_digest;  // "sha256:..." of the bytes read (the blob)
  std::string diff_id;            // "sha256:..." of the uncompressed tar
  uint64_t compressed_size = 0, uncompressed_size = 0;
  std::vector<std::string> warnings;  // e.g. skipped device nodes, refused xattrs
};

// Reads a layer blob (gzip, zstd or plain tar, detected by magic number) from
// `input_fd` (pipe, socket or file; read to its end, never buffered whole) and applies
// it to the existing directory `target_dir` (normally empty; the root of the layer).
//
// Preserved: ownership (uids/gids as in the tar), modes incl. setuid/setgid/sticky,
// mtimes (directories' after all their content), xattrs (overlay.* xattrs from the tar
// are refused with a warning, so are ones the file system rejects), hardlinks (to
// entries already extracted in this layer), symlinks (created as they are), sparse
// files (zero blocks become holes), device nodes and fifos (skipped with a warning
// when mknod is not permitted). Whiteouts become overlayfs whiteouts (see whiteout.h):
// `.wh.NAME` -> whiteout NAME (if NAME is already in this layer it stays, and a
// directory NAME becomes opaque, since it replaces the lower one); `.wh..wh..opq` ->
// its directory is opaque. An entry replacing a whiteout of this layer: a directory is
// made opaque.
//
// Containment: nothing is ever written outside `target_dir`. Paths are resolved
// lexically: absolute paths become relative; `..` that would leave the layer is an error
// (`layer entry "../../etc/passwd": path escapes the layer`); parents are opened one
// component at a time with O_NOFOLLOW, so an entry below a symlink (or below a file) is
// an error (`layer entry "a/passwd": parent "a" is a symlink`); hardlinks must name an
// entry inside the layer; whiteouts naming outside paths are errors too.
//
// Errors leave `target_dir` partly filled: the caller removes it (e.g. extracts into a
// temporary directory and renames it into place only on success). Errors include
// "layer exceeds the limit of N bytes uncompressed", "truncated gzip layer: ...",
// "read layer tar: Truncated tar archive".
Result<ExtractResult> extract_layer(int input_fd, const std::string& target_dir,
                                    const ExtractOptions& options);

// Lexical normalization of a tar entry path to components inside the layer: "/", "."
// and empty components dropped, ".." pops; nullopt when ".." leaves the layer.
// "./a//b/../c" -> {"a", "c"}; "/" -> {}; "a/../../x" -> nullopt.
std::optional<std::vector<std::string>> normalize_layer_path(std::string_view path);

}  // namespace krill::image
