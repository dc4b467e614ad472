// A layer tar file on disk (plain or compressed) into the image store: its blob into the
// content store, its extracted directory into the layer store. Used by import, commit and
// build, which all produce a layer as a temporary file first.
#pragma once

#include <string>

#include "base/error.h"
#include "image/image_store.h"
#include "image/manifest.h"

namespace krill::image {

struct StoredLayer {
  Descriptor blob;  // media type as given, digest and size of the file
  Digest diff_id;   // of the uncompressed tar
};

// Copies the file `path` into the content store as a blob, verified against `digest` (computed
// when empty). Returns its descriptor with `media_type`.
Result<Descriptor> store_blob_file(ImageStore& store, const std::string& path,
                                   std::string media_type, const Digest& digest = {});

// Digests `path`, copies it into the content store (verified) and imports the layer.
Result<StoredLayer> store_layer_file(ImageStore& store, const std::string& path,
                                     std::string media_type);

}  // namespace krill::image
