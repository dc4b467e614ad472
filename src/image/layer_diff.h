// Producing an OCI layer from the upper directory of an overlay (commit, build).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"
#include "image/layer_extract.h"

namespace krill::image {

struct DiffOptions {
  bool gzip = false;   // gzip the tar (deterministic: no timestamp in the gzip header)
  int gzip_level = 0;  // 1 (fastest) .. 9; 0 = zlib's default (6)
  // Every entry's mtime (SOURCE_DATE_EPOCH, seconds); nullopt keeps the files' mtimes.
  std::optional<int64_t> timestamp;
};

// Writes the changes recorded in `upper_dir` (an overlay upper directory) as a layer
// tar to `out_fd`, streaming. Overlay whiteouts (char 0:0 devices, or empty files with
// trusted./user.overlay.whiteout) become `.wh.NAME` entries, opaque directories
// (trusted./user.overlay.opaque = "y") get a `.wh..wh..opq` entry; overlay xattrs are
// not written, other xattrs are. Order is deterministic: per directory, its entry, its
// opaque marker, its whiteouts (sorted), then its other children sorted bytewise
// (depth first). Paths are relative without "./" ("etc/", "etc/passwd"); no user or
// group names; hardlinks within the upper dir become hardlink entries. Sockets are
// skipped, redirect_dir and metacopy entries reported as warnings.
// The result's compressed_* describe the bytes written (the tar itself without gzip).
Result<ExtractResult> write_layer_from_upper(const std::string& upper_dir, int out_fd,
                                             const DiffOptions& options);

}  // namespace krill::image
