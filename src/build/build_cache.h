// The step cache: what a build step produced (the stage's config and layers after it), by a
// key that chains the parent step's key with everything the step depends on — BuildKit's
// model. Entries are files <cache_root>/<key>.json; a hit is only used when its layers are
// still in the store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/image_store.h"
#include "image/manifest.h"

namespace krill::build {

struct StageImage {
  image::ImageConfig config;
  std::vector<image::Descriptor> layers;  // the manifest's layers, parallel to diff_ids
};

// sha256 hex of parent key and the step's description.
std::string chain_cache_key(std::string_view parent, std::string_view step);

class BuildCache {
 public:
  explicit BuildCache(std::string root) : root_(std::move(root)) {}
  // nullopt on a miss, an unreadable entry, or when a layer is gone from the store.
  std::optional<StageImage> lookup(const std::string& key, image::ImageStore& store) const;
  Result<void> record(const std::string& key, const StageImage& state) const;

 private:
  std::string root_;
};

}  // namespace krill::build
