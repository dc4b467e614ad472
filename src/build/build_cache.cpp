// BuildCache: step results as JSON files named by their chained key.
#include "build/build_cache.h"

#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "image/digest.h"

namespace krill::build {

using nlohmann::json;

std::string chain_cache_key(std::string_view parent, std::string_view step) {
  std::string material;
  material.reserve(parent.size() + step.size() + 1);
  material.append(parent);
  material.push_back('\n');
  material.append(step);
  return image::sha256_of(material).hex();
}

std::optional<StageImage> BuildCache::lookup(const std::string& key,
                                             image::ImageStore& store) const {
  if (root_.empty()) return std::nullopt;
  auto text = read_file(root_ + "/" + key + ".json");
  if (!text) return std::nullopt;
  json doc = json::parse(*text, nullptr, false);
  if (!doc.is_object() || !doc["config"].is_string() || !doc["layers"].is_array())
    return std::nullopt;
  auto config = image::parse_image_config(doc["config"].get<std::string>());
  if (!config) return std::nullopt;
  StageImage state{*config, {}};
  for (const auto& layer : doc["layers"]) {
    if (!layer.is_string()) return std::nullopt;
    auto descriptor = image::parse_descriptor(layer.get<std::string>());
    if (!descriptor || !store.content().contains(descriptor->digest)) return std::nullopt;
    state.layers.push_back(*descriptor);
  }
  if (state.layers.size() != state.config.rootfs.diff_ids.size()) return std::nullopt;
  for (const auto& diff_id : state.config.rootfs.diff_ids)
    if (!store.has_layer(diff_id)) return std::nullopt;
  return state;
}

Result<void> BuildCache::record(const std::string& key, const StageImage& state) const {
  if (root_.empty()) return {};
  KRILL_CHECK(mkdir_all(root_, 0700));
  json layers = json::array();
  for (const auto& layer : state.layers) layers.push_back(image::to_json(layer));
  json doc = {{"config", image::to_json(state.config)}, {"layers", layers}};
  return write_file_atomic(root_ + "/" + key + ".json", doc.dump(), 0600);
}

}  // namespace krill::build
