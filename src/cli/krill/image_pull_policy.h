// --pull always|missing|never|newer for the commands that need a local image (run, create,
// build): pulls when the policy says so and returns the image from the store.
#pragma once

#include <string>

#include "base/error.h"
#include "cli/krill/context.h"
#include "cli/krill/options.h"
#include "image/image_store.h"

namespace krill::cli {

struct PullPolicyRequest {
  std::string image;
  std::string policy;    // "" = missing
  std::string platform;  // "" = the host's
  bool quiet = false;
  RegistryFlags registry;
};

// Errors: an invalid policy ("invalid argument \"x\" for \"--pull\" flag: ..."), a failed pull
// of an image that is not local, "<image>: image not known" with --pull never. A failed pull of
// an image that is local is a warning (the local one is used).
Result<image::ImageRecord> ensure_local_image(Context& ctx, const PullPolicyRequest& request);

}  // namespace krill::cli
