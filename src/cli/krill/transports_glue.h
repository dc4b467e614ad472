// Opening image sources and destinations from a command's TRANSPORT:REF text. Bare names are
// docker:// for remote commands; the store is "containers-storage:NAME".
#pragma once

#include <memory>
#include <string_view>

#include "base/error.h"
#include "cli/krill/context.h"
#include "transport/image_transport.h"

namespace krill::cli {

Result<std::unique_ptr<transport::ImageSource>> open_source(std::string_view reference,
                                                            const transport::TransportOptions& o);
Result<std::unique_ptr<transport::ImageDestination>> open_destination(
    std::string_view reference, const transport::TransportOptions& o);

// The blob's bytes (configs, small files), through a temporary file.
Result<std::string> read_small_blob(transport::ImageSource& source, const image::Descriptor& blob);

}  // namespace krill::cli
