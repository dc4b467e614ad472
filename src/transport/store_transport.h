// The local image store as a transport ("containers-storage:NAME" or a bare name):
// pull destination, push source.
#pragma once

#include <memory>
#include <string_view>

#include "base/error.h"
#include "transport/image_transport.h"

namespace krill::transport {

// `rest`: an image name or id in the store at options.store_root (empty: the default
// root). The source serves the stored manifest (or an instance by digest) and blobs.
Result<std::unique_ptr<ImageSource>> open_store_source(std::string_view rest,
                                                       const TransportOptions& options);
// `rest`: the name the image gets at commit() (normalised: "busybox" ->
// docker.io/library/busybox:latest). Layer blobs are stored as pulled and extracted
// (options.rootless passes through); nothing is named before commit().
Result<std::unique_ptr<ImageDestination>> open_store_destination(std::string_view rest,
                                                                 const TransportOptions& options);

}  // namespace krill::transport
