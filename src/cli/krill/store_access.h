// Opening the local store from a command, and reading what image commands need from it.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "cli/krill/context.h"
#include "image/image_store.h"
#include "image/manifest.h"

namespace krill::cli {

Result<image::ImageStore> open_store(const Context& ctx);

struct StoredImage {
  image::ImageRecord record;
  std::string manifest_bytes;
  image::ImageManifest manifest;
  std::string config_bytes;
  image::ImageConfig config;
};

// The image called `name_or_id`; error "<name>: image not known" (podman's words) when absent.
Result<image::ImageRecord> find_image_or_fail(const image::ImageStore& store,
                                              std::string_view name_or_id);
// Its manifest (the host platform's when the stored manifest is an index) and config.
Result<StoredImage> load_image(const image::ImageStore& store, const image::ImageRecord& record);

// A name as the store keeps it: "busybox" -> "docker.io/library/busybox:latest".
Result<std::string> normalize_name(std::string_view name);

}  // namespace krill::cli
