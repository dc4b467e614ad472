// dir:PATH — skopeo's directory format: manifest.json (the top-level manifest as
// stored), every blob as a file named by its hex digest (sha256; other algorithms
// as "<alg>-<hex>"), instance manifests of a copied index as "<hex>.manifest.json",
// and "version" holding "Directory Transport Version: 1.1\n".
//
// The destination creates PATH; an existing non-empty PATH must already be a dir:
// image (it has a version file) and its old contents are removed first, as skopeo
// does. Blobs are written through temp files after verification; manifest.json
// and version are written last, at commit, so a failed copy leaves no
// manifest.json.
#pragma once

#include <memory>
#include <string_view>

#include "transport/image_transport.h"

namespace krill::transport {

inline constexpr std::string_view kDirTransportVersion = "Directory Transport Version: 1.1\n";

Result<std::unique_ptr<ImageSource>> open_dir_source(std::string_view rest,
                                                     const TransportOptions& options);
Result<std::unique_ptr<ImageDestination>> open_dir_destination(std::string_view rest,
                                                               const TransportOptions& options);

}  // namespace krill::transport
