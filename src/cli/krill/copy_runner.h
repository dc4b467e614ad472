// Runs the copy engine for a command: progress on stderr (redrawn on a terminal, one line per
// event otherwise, nothing with --quiet).
#pragma once

#include <optional>
#include <string>

#include "base/error.h"
#include "cli/krill/context.h"
#include "image/platform.h"
#include "transport/copy.h"

namespace krill::cli {

struct CopyRequest {
  std::string source, destination;  // TRANSPORT:REF
  transport::TransportOptions source_options, destination_options;
  transport::CopyOptions copy;
  bool quiet = false;
};

struct CopyOutcome {
  std::string source_name;  // as the source calls itself (a resolved docker reference)
  transport::CopyResult result;
};

Result<CopyOutcome> run_copy(Context& ctx, const CopyRequest& request);
// The same into a destination opened by the caller (an archive writer's); request.destination
// is not used.
Result<CopyOutcome> run_copy_to(Context& ctx, const CopyRequest& request,
                                transport::ImageDestination& destination);

// --platform / --os / --arch / --variant -> a platform (nullopt: the default).
Result<std::optional<image::Platform>> platform_from_flags(const std::string& platform,
                                                           const std::string& os,
                                                           const std::string& arch,
                                                           const std::string& variant);

// "v2s2" for "docker" and "v2s2", "oci" for "oci", "" otherwise.
std::string manifest_format(const std::string& flag);

}  // namespace krill::cli
