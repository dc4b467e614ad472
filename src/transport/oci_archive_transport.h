// oci-archive:FILE[:REF] — an OCI image layout in an uncompressed tar file.
// The source extracts the archive into a temp dir (removed with the source) and
// reads it as oci:; the destination builds a layout in a temp dir next to FILE
// and, at commit, tars it and renames the tar over FILE (nothing appears at FILE
// before). As skopeo does, a destination replaces an existing FILE.
#pragma once

#include <memory>
#include <string_view>

#include "transport/image_transport.h"

namespace krill::transport {

Result<std::unique_ptr<ImageSource>> open_oci_archive_source(std::string_view rest,
                                                             const TransportOptions& options);
Result<std::unique_ptr<ImageDestination>> open_oci_archive_destination(
    std::string_view rest, const TransportOptions& options);

}  // namespace krill::transport
