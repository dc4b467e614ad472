// The copy engine: moves one image (or a whole index with --all) from any ImageSource to any
// ImageDestination, as skopeo copy does. Blobs stream source -> pipe -> destination in worker
// threads, several at a time; blobs the destination already has are skipped; the manifest is
// converted (OCI <-> Docker schema2) only when the destination does not take the source's type
// or a format is forced, and its bytes are otherwise kept so that its digest is preserved.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "image/platform.h"
#include "transport/image_transport.h"

namespace krill::transport {

// Progress callbacks; any may be empty. Blob callbacks are called from worker threads (one blob
// is reported from one thread at a time, different blobs concurrently).
struct CopyProgress {
  std::function<void(const image::Descriptor&)> on_blob_start;
  // `n`: bytes just transferred (not the running total).
  std::function<void(const image::Descriptor&, uint64_t n)> on_blob_bytes;
  // `skipped`: the destination already had it.
  std::function<void(const image::Descriptor&, bool skipped)> on_blob_done;
  // A manifest was written: its digest, media type and whether it is an index child.
  std::function<void(const image::Digest&, const std::string& media_type, bool is_instance)>
      on_manifest;
};

struct CopyOptions {
  bool all = false;                         // an index: copy every instance and the index itself
  std::optional<image::Platform> platform;  // an index without --all; default host_platform()
  std::string format;                       // "" keep, "oci", "v2s2"
  bool preserve_digests = false;            // fail instead of changing a manifest digest
  int parallel_blobs = 6;  // as containers/image: a 4-layer image is fetched in one round
  CopyProgress* progress = nullptr;
};

struct CopyResult {
  image::Digest manifest_digest;  // of the top manifest as written to the destination
  std::string manifest_media_type;
  std::vector<image::Descriptor> copied, skipped;  // blobs
};

// Copies and commits. Errors name the blob and both ends:
//   copy blob sha256:.. from docker://a/b:1 to oci:/x:y: <cause>
// On error nothing is committed (the destination's top manifest is not written).
Result<CopyResult> copy_image(ImageSource& source, ImageDestination& destination,
                              const CopyOptions& options);

// Moves one blob through a pipe: source.read_blob in a new thread, destination.write_blob in
// this one. Exposed for transports that copy blobs alone (e.g. layer download).
Result<void> copy_blob(ImageSource& source, ImageDestination& destination,
                       const image::Descriptor& blob, CopyProgress* progress = nullptr);

}  // namespace krill::transport
