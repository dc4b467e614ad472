#include "cli/krill/store_access.h"

#include "base/process_stat.h"
#include "image/media_types.h"
#include "image/platform.h"
#include "image/reference.h"

namespace krill::cli {

Result<image::ImageStore> open_store(const Context& ctx) {
  image::StoreOptions options;
  // Without CAP_SYS_ADMIN (an unprivileged container) overlayfs and trusted.* xattrs are out of
  // reach even for uid 0: layers are extracted as for rootless, snapshots copy (vfs).
  constexpr int kCapSysAdmin = 21;
  bool privileged = has_effective_capability(kCapSysAdmin);
  options.rootless = ctx.rootless() || !privileged;
  if (!privileged && !ctx.rootless()) options.driver = "vfs";
  if (!ctx.global.storage_driver.empty()) options.driver = ctx.global.storage_driver;
  if (ctx.global.max_layer_bytes) options.max_layer_bytes = *ctx.global.max_layer_bytes;
  options.warn = ctx.warning_sink();
  return image::ImageStore::open(ctx.store_root(), options);
}

Result<image::ImageRecord> find_image_or_fail(const image::ImageStore& store,
                                              std::string_view name_or_id) {
  auto found = KRILL_TRY(store.find(name_or_id));
  if (!found) return fail(std::string(name_or_id) + ": image not known");
  return *found;
}

Result<StoredImage> load_image(const image::ImageStore& store, const image::ImageRecord& record) {
  StoredImage image;
  image.record = record;
  image.manifest_bytes = KRILL_TRY(store.content().read_blob(record.manifest_digest));
  std::string type = record.manifest_media_type.empty()
                         ? KRILL_TRY(image::detect_media_type(image.manifest_bytes))
                         : record.manifest_media_type;
  if (image::media_types::is_index(type)) {
    auto index = KRILL_TRY(image::parse_index(image.manifest_bytes, type));
    const image::Descriptor* pick = image::select_manifest(index, image::host_platform());
    if (!pick) return fail("image " + record.id.str() + ": no manifest for this platform");
    image.manifest_bytes = KRILL_TRY(store.content().read_blob(pick->digest));
    type = pick->media_type;
  }
  image.manifest = KRILL_TRY(image::parse_manifest(image.manifest_bytes, type));
  image.config_bytes = KRILL_TRY(store.content().read_blob(record.id));
  image.config = KRILL_TRY(image::parse_image_config(image.config_bytes));
  return image;
}

Result<std::string> normalize_name(std::string_view name) {
  auto ref = KRILL_TRY(image::parse_reference(name));
  return ref.str();
}

}  // namespace krill::cli
