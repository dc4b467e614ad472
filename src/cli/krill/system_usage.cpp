#include "cli/krill/system_usage.h"

#include <map>
#include <set>

#include "base/tree_size.h"
#include "cli/krill/cmd_container.h"
#include "cli/krill/store_access.h"
#include "engine/container_store.h"
#include "engine/volumes.h"

namespace krill::cli {

Result<SystemUsage> system_usage(const Context& ctx) {
  SystemUsage usage;
  auto store = KRILL_TRY(open_store(ctx));
  auto engine = KRILL_TRY(open_engine(ctx));
  const auto images = KRILL_TRY(store.list());
  const auto containers = KRILL_TRY(engine.list());

  // Images: each layer once; reclaimable unless an image some container uses holds it.
  std::map<std::string, size_t> image_links;
  for (const auto& c : containers) ++image_links[c.config.image_id];
  std::map<image::Digest, uint64_t> layer_bytes;
  std::set<image::Digest> layers_in_use;
  UsageSummary image_summary{.type = "Images", .total = images.size()};
  for (const auto& image : images) {
    const size_t links = image_links.contains(image.id.str()) ? image_links[image.id.str()] : 0;
    if (links > 0) ++image_summary.active;
    for (const auto& layer : image.layers) {
      if (links > 0) layers_in_use.insert(layer);
      if (layer_bytes.contains(layer)) continue;
      auto info = store.layer_info(layer);
      layer_bytes[layer] = info ? info->uncompressed_size : 0;
    }
    usage.items.push_back(UsageItem{.type = "Images",
                                    .id = image.id.hex().substr(0, 12),
                                    .name = image.names.empty() ? "<none>" : image.names.front(),
                                    .links = links,
                                    .size = static_cast<uint64_t>(image.size)});
  }
  for (const auto& [layer, bytes] : layer_bytes) {
    image_summary.size += bytes;
    if (!layers_in_use.contains(layer)) image_summary.reclaimable += bytes;
  }

  // Containers: the writable layer.
  const bool vfs = engine.options().storage_driver == "vfs";
  UsageSummary container_summary{.type = "Containers", .total = containers.size()};
  for (const auto& c : containers) {
    const std::string writable = engine.snapshot_dir(c.id) + (vfs ? "/rootfs" : "/upper");
    const uint64_t bytes = tree_size(writable).value_or(0);
    container_summary.size += bytes;
    if (engine::is_live(c.status))
      ++container_summary.active;
    else
      container_summary.reclaimable += bytes;
    usage.items.push_back(UsageItem{.type = "Containers",
                                    .id = c.id.substr(0, 12),
                                    .name = c.name,
                                    .status = engine::status_name(c.status),
                                    .size = bytes});
  }

  // Local volumes: their data.
  auto database = KRILL_TRY(engine::ContainerStore::open(ctx.store_root()));
  engine::VolumeManager volumes(database, ctx.store_root());
  const auto volume_list = KRILL_TRY(volumes.list());
  UsageSummary volume_summary{.type = "Local Volumes", .total = volume_list.size()};
  for (const auto& v : volume_list) {
    const uint64_t bytes = KRILL_TRY(tree_size(v.mountpoint));
    const size_t links = KRILL_TRY(database.volume_users(v.name)).size();
    volume_summary.size += bytes;
    if (links > 0)
      ++volume_summary.active;
    else
      volume_summary.reclaimable += bytes;
    usage.items.push_back(UsageItem{
        .type = "Local Volumes", .id = v.name, .name = v.name, .links = links, .size = bytes});
  }
  usage.summaries = {image_summary, container_summary, volume_summary};
  return usage;
}

}  // namespace krill::cli
