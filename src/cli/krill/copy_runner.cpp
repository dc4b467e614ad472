#include "cli/krill/copy_runner.h"

#include "cli/krill/progress.h"
#include "cli/krill/transports_glue.h"

namespace krill::cli {

namespace {

Result<CopyOutcome> copy_with_progress(Context& ctx, const CopyRequest& request,
                                       transport::ImageSource& source,
                                       transport::ImageDestination& destination) {
  ProgressDisplay display(ctx.err, ctx.err_is_terminal, request.quiet);
  auto callbacks = display.callbacks();
  transport::CopyOptions options = request.copy;
  options.progress = &callbacks;
  display.message("Getting image source signatures");
  CopyOutcome outcome;
  outcome.source_name = source.name();
  outcome.result = KRILL_TRY(transport::copy_image(source, destination, options));
  return outcome;
}

}  // namespace

// The source is opened first: a destination opened for nothing may already have changed (dir:
// empties its directory).
Result<CopyOutcome> run_copy(Context& ctx, const CopyRequest& request) {
  ctx.debug("copy " + request.source + " -> " + request.destination);
  auto source = KRILL_TRY(open_source(request.source, request.source_options));
  auto destination = KRILL_TRY(open_destination(request.destination, request.destination_options));
  return copy_with_progress(ctx, request, *source, *destination);
}

Result<CopyOutcome> run_copy_to(Context& ctx, const CopyRequest& request,
                                transport::ImageDestination& destination) {
  ctx.debug("copy " + request.source + " -> " + destination.name());
  auto source = KRILL_TRY(open_source(request.source, request.source_options));
  return copy_with_progress(ctx, request, *source, destination);
}

Result<std::optional<image::Platform>> platform_from_flags(const std::string& platform,
                                                           const std::string& os,
                                                           const std::string& arch,
                                                           const std::string& variant) {
  if (platform.empty() && os.empty() && arch.empty() && variant.empty()) return std::nullopt;
  image::Platform p = image::host_platform();
  if (!platform.empty()) p = KRILL_TRY(image::parse_platform(platform));
  if (!os.empty()) p.os = os;
  if (!arch.empty()) {
    p.architecture = arch;
    if (variant.empty()) p.variant.clear();
  }
  if (!variant.empty()) p.variant = variant;
  return image::normalize_platform(p);
}

std::string manifest_format(const std::string& flag) {
  if (flag == "docker" || flag == "v2s2") return "v2s2";
  if (flag == "oci") return "oci";
  return "";
}

}  // namespace krill::cli
