// ensure_local_image: the pull policy shared by run, create and build.
#include "cli/krill/image_pull_policy.h"

#include "cli/krill/commands.h"
#include "cli/krill/store_access.h"
#include "cli/krill/transports_glue.h"

namespace krill::cli {
Result<image::ImageRecord> ensure_local_image(Context& ctx, const PullPolicyRequest& request) {
  auto store = KRILL_TRY(open_store(ctx));
  std::string pull = request.policy.empty() ? "missing" : request.policy;
  if (pull != "always" && pull != "missing" && pull != "never" && pull != "newer")
    return fail("invalid argument \"" + pull +
                "\" for \"--pull\" flag: must be always, missing, never or newer");
  auto found = KRILL_TRY(store.find(request.image));
  // As podman: "always" and "newer" pull even with a local image; only "newer" falls back to
  // the local image when the pull fails ("always" is an error then).
  if (pull == "always" || pull == "newer" || (!found && pull != "never")) {
    if (has_transport_prefix(request.image) && !request.image.starts_with("docker://")) {
      if (!found) return fail(request.image + ": image not known");
    } else {
      PullOptions pull_options;
      pull_options.names = {request.image};
      pull_options.quiet = request.quiet;
      pull_options.platform = request.platform;
      pull_options.registry_flags = request.registry;
      NullStream null_out;
      Context pull_ctx{ctx.global, ctx.in, null_out, ctx.err};
      pull_ctx.err_is_terminal = ctx.err_is_terminal;
      pull_ctx.log_level = ctx.log_level;
      auto pulled = run_pull(pull_ctx, pull_options);
      if (!pulled) {
        if (!found || pull != "newer") return std::unexpected(std::move(pulled.error()));
        ctx.warn("pull " + request.image + ": " + pulled.error().message() +
                 "; using the local image");
      }
      store = KRILL_TRY(open_store(ctx));
      found = KRILL_TRY(store.find(request.image));
    }
  }
  if (!found) return fail(request.image + ": image not known");
  return *found;
}

}  // namespace krill::cli
