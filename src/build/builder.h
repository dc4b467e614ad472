// `krill build`: a parsed Dockerfile and a context into an image in the local store.
//
// Each stage starts from an image (pulled through the caller's callback), another stage or
// scratch. Instructions change the stage's state — an image config plus its layers — in
// order; RUN, COPY and ADD run against a working overlay snapshot of the current layers and
// commit its upper directory as a new gzip layer. Every step has a cache key (parent key +
// instruction + the build args it sees + the digest of COPY/ADD sources); a hit restores the
// recorded state without doing the work. See docs/architecture.md "How an image is built".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/error.h"
#include "build/build_context.h"
#include "build/dockerfile.h"
#include "image/image_store.h"
#include "image/manifest.h"

namespace krill::build {

// A base image from the store (FROM, --from): the platform's manifest and config.
struct BaseImage {
  image::ImageRecord record;
  image::ImageManifest manifest;
  image::ImageConfig config;
};

struct BuildOptions {
  const BuildContext* context = nullptr;  // required
  Dockerfile dockerfile;
  std::vector<std::string> tags;  // normalised names given the final image
  std::map<std::string, std::string> build_args;
  std::string target;  // "" = the last stage
  bool no_cache = false;
  bool layers = true;  // keep the per-step cache (podman's --layers; false: no reuse, no record)
  std::map<std::string, std::string> labels;   // --label, on the final image
  std::string format = "oci";                  // "oci" | "docker"
  std::map<std::string, std::string> secrets;  // --secret id -> host file
  std::string network = "host";                // RUN's default: "host" | "none"
  bool squash = false;                         // all new layers as one
  std::optional<int64_t> timestamp;            // --timestamp / SOURCE_DATE_EPOCH (seconds)
  std::string isolation = "oci";               // "oci" (krill's runtime) | "chroot"
  std::string runtime_path;                    // the OCI runtime binary for RUN (krill-runtime)
  std::string work_root;   // where working snapshots and bundles go (under the store)
  // The runtime's --root for RUN containers; it keeps the runtime's caches (compiled seccomp
  // filters) between builds. Empty: <work_root>/runtime.
  std::string runtime_root;
  std::string cache_root;  // the step cache (under the store)
  // FROM images: returns the local image for a reference, pulling per --pull (the caller
  // knows registries, auth and progress).
  std::function<Result<BaseImage>(const std::string& reference)> resolve_image;
  // Step lines ("STEP 2/5: RUN make") and what RUN prints.
  std::ostream* out = nullptr;
  int run_stdout_fd = 1;  // RUN's stdout and stderr
  int run_stderr_fd = 2;
};

struct BuildResult {
  image::ImageRecord image;
  std::vector<std::string> warnings;  // unused build args, ...
};

// Errors name the Dockerfile line: "Dockerfile:7: RUN failed (stage builder): exit status 2".
// On failure no tag is given and no image recorded; the steps that succeeded stay cached.
Result<BuildResult> build_image(image::ImageStore& store, const BuildOptions& options);

}  // namespace krill::build
