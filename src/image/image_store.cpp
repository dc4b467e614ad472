// The image store: opening, adding, naming and removing images, check, df and prune.
#include "image/image_store.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "base/file_io.h"
#include "image/layer_store.h"
#include "image/reference.h"

namespace krill::image {

using namespace store_internal;

namespace {

// A name given to an image: "repo:tag", or "repo@sha256:..." for an image pulled by digest
// (podman records those too, so `repo@digest` finds the image again). A tag wins over a digest
// given with it. `tag` allows tags only.
enum class DigestName { kAllowed, kRefused };

Result<std::string> normalize_name(std::string_view name, DigestName digest_name) {
  Reference ref = KRILL_TRY(parse_reference(name));
  if (ref.has_digest() && ref.tag.empty()) {
    if (digest_name == DigestName::kAllowed) return ref.str();
    return fail("name \"" + std::string(name) + "\": a digest reference cannot name an image");
  }
  if (ref.has_digest()) ref.digest.clear();
  return ref.str();
}

void drop_name(std::vector<ImageRecord>& images, const std::string& name) {
  for (auto& r : images) std::erase(r.names, name);
}

bool layer_used(const std::vector<ImageRecord>& images, const Digest& diff_id) {
  return std::any_of(images.begin(), images.end(), [&](const ImageRecord& r) {
    return std::find(r.layers.begin(), r.layers.end(), diff_id) != r.layers.end();
  });
}

}  // namespace

Result<ImageStore> ImageStore::open(const std::string& root, StoreOptions options) {
  if (root.empty()) return fail("open image store: empty root");
  if (options.driver != "overlay" && options.driver != "vfs") {
    return fail("open image store " + root + ": unknown storage driver \"" + options.driver +
                "\" (overlay or vfs)");
  }
  KRILL_CHECK_CTX(mkdir_all(root + "/layers/by-blob", 0700), "open image store " + root);
  ContentStore content = KRILL_TRY(ContentStore::open(root));
  KRILL_CHECK_CTX(remove_stale_temp_dirs(root + "/layers"), "open image store " + root);
  return ImageStore(root, std::move(options), std::move(content));
}

Result<ImageRecord> ImageStore::add_image(const ManifestBlob& manifest,
                                          std::string_view config_bytes,
                                          const std::vector<std::string>& names) {
  std::string what = "add image";
  std::string media_type = manifest.media_type;
  if (media_type.empty()) media_type = KRILL_TRY(detect_media_type(manifest.bytes));
  media_type = std::string(strip_media_type_parameters(media_type));
  if (!media_types::is_manifest(media_type)) {
    return fail(what + ": manifest media type \"" + media_type + "\" is not an image manifest");
  }
  auto parsed = parse_manifest(manifest.bytes, media_type);
  if (!parsed) return std::unexpected(std::move(parsed.error()).context(what + ": manifest"));
  auto config = parse_image_config(config_bytes);
  if (!config) return std::unexpected(std::move(config.error()).context(what + ": config"));
  if (config->rootfs.diff_ids.size() != parsed->layers.size()) {
    return fail(what + ": the manifest has " + std::to_string(parsed->layers.size()) +
                " layers, the config " + std::to_string(config->rootfs.diff_ids.size()) +
                " diff_ids");
  }
  ImageRecord record;
  record.id = parsed->config.digest;
  record.manifest_media_type = media_type;
  record.created = config->created.empty() ? now_rfc3339() : config->created;
  for (size_t i = 0; i < config->rootfs.diff_ids.size(); ++i) {
    const Digest& diff_id = config->rootfs.diff_ids[i];
    if (!has_layer(diff_id)) {
      return fail(what + ": layer " + diff_id.str() + " (layers[" + std::to_string(i) + "] " +
                  parsed->layers[i].digest.str() + ") is not in the store");
    }
    LayerInfo info = KRILL_TRY(layer_info(diff_id));
    record.size += static_cast<int64_t>(info.uncompressed_size);
    record.layers.push_back(diff_id);
  }
  std::vector<std::string> normalized;
  for (const auto& n : names) {
    std::string name = KRILL_TRY(normalize_name(n, DigestName::kAllowed));
    if (std::find(normalized.begin(), normalized.end(), name) == normalized.end()) {
      normalized.push_back(name);
    }
  }
  std::optional<Digest> expected_manifest;
  if (!manifest.digest.empty()) expected_manifest = manifest.digest;
  auto stored = content_.put(manifest.bytes, expected_manifest);
  if (!stored) return std::unexpected(std::move(stored.error()).context(what + ": store manifest"));
  record.manifest_digest = *stored;
  auto config_stored = content_.put(config_bytes, record.id);
  if (!config_stored) {
    return std::unexpected(std::move(config_stored.error()).context(what + ": store config"));
  }

  auto lock = KRILL_TRY(FileLock::acquire(root_ + "/images.lock"));
  auto images = KRILL_TRY(read_images());
  for (const auto& n : normalized) drop_name(images, n);
  auto it = std::find_if(images.begin(), images.end(),
                         [&](const ImageRecord& r) { return r.id == record.id; });
  if (it != images.end()) {
    record.created = it->created;
    record.names = it->names;
  }
  for (const auto& n : normalized) {
    if (std::find(record.names.begin(), record.names.end(), n) == record.names.end()) {
      record.names.push_back(n);
    }
  }
  if (it != images.end()) {
    *it = record;
  } else {
    images.push_back(record);
  }
  KRILL_CHECK_CTX(write_images(images), what);
  return record;
}

Result<void> ImageStore::tag(std::string_view name_or_id, std::string_view name) {
  std::string normalized = KRILL_TRY(normalize_name(name, DigestName::kRefused));
  auto lock = KRILL_TRY(FileLock::acquire(root_ + "/images.lock"));
  auto images = KRILL_TRY(read_images());
  auto index = KRILL_TRY(find_image(images, name_or_id));
  if (!index) return fail("tag " + std::string(name_or_id) + ": image not known");
  drop_name(images, normalized);
  images[*index].names.push_back(normalized);
  return write_images(images);
}

Result<void> ImageStore::untag(std::string_view name) {
  std::string normalized = KRILL_TRY(normalize_name(name, DigestName::kRefused));
  auto lock = KRILL_TRY(FileLock::acquire(root_ + "/images.lock"));
  auto images = KRILL_TRY(read_images());
  bool found = std::any_of(images.begin(), images.end(), [&](const ImageRecord& r) {
    return std::find(r.names.begin(), r.names.end(), normalized) != r.names.end();
  });
  if (!found) return fail("untag " + normalized + ": no image has this name");
  drop_name(images, normalized);
  return write_images(images);
}

Result<void> ImageStore::remove_unused_blobs(const std::vector<ImageRecord>& images,
                                             const ImageRecord& removed) {
  auto drop = [&](const Digest& d) -> Result<void> {
    auto r = content_.remove(d);
    if (!r && r.error().errno_value() != ENOENT) return std::unexpected(r.error());
    return {};
  };
  bool manifest_used = std::any_of(images.begin(), images.end(), [&](const ImageRecord& r) {
    return r.manifest_digest == removed.manifest_digest;
  });
  if (!manifest_used) KRILL_CHECK(drop(removed.manifest_digest));
  KRILL_CHECK(drop(removed.id));
  return {};
}

Result<std::vector<Digest>> ImageStore::collect_layers(const std::vector<ImageRecord>& images,
                                                       const std::vector<Digest>& candidates) {
  std::vector<Digest> removed;
  for (const auto& layer : candidates) {
    if (layer_used(images, layer)) continue;
    if (std::find(removed.begin(), removed.end(), layer) != removed.end()) continue;
    if (KRILL_TRY(remove_layer(layer))) removed.push_back(layer);
  }
  return removed;
}

Result<RemoveResult> ImageStore::remove(std::string_view name_or_id, bool force) {
  std::string what = "remove image " + std::string(name_or_id);
  auto lock = KRILL_TRY(FileLock::acquire(root_ + "/images.lock"));
  auto images = KRILL_TRY(read_images());
  auto index = KRILL_TRY(find_image(images, name_or_id));
  if (!index) return std::unexpected(Error(what + ": image not known", ENOENT));
  RemoveResult result;
  ImageRecord record = images[*index];
  auto as_name = normalize_name(name_or_id, DigestName::kRefused);  // by digest: the image
  bool by_name = as_name && std::find(record.names.begin(), record.names.end(), *as_name) !=
                                record.names.end();
  if (by_name && record.names.size() > 1 && !force) {
    std::erase(images[*index].names, *as_name);
    KRILL_CHECK_CTX(write_images(images), what);
    result.untagged.push_back(*as_name);
    return result;
  }
  if (!force) {
    // A container uses this image when its snapshot holds a layer no other image has (a layer
    // of the base this image was made from may be held by containers of that base).
    auto shared = [&](const auto& layer) {
      for (size_t i = 0; i < images.size(); ++i)
        if (i != *index && std::find(images[i].layers.begin(), images[i].layers.end(), layer) !=
                               images[i].layers.end())
          return true;
      return false;
    };
    for (const auto& layer : record.layers) {
      if (shared(layer)) continue;
      auto info = layer_info(layer);
      if (info && !info->snapshot_refs.empty()) {
        return std::unexpected(Error(what + ": image is in use by a container (snapshot " +
                                         info->snapshot_refs.front() +
                                         "); remove the container first",
                                     EBUSY));
      }
    }
  }
  images.erase(images.begin() + static_cast<ptrdiff_t>(*index));
  KRILL_CHECK_CTX(write_images(images), what);
  result.untagged = record.names;
  result.deleted = record.id;
  KRILL_CHECK_CTX(remove_unused_blobs(images, record), what);
  result.deleted_layers = KRILL_TRY(collect_layers(images, record.layers));
  return result;
}

Result<StoreCheckReport> ImageStore::check(bool repair) {
  StoreCheckReport report;
  report.blobs = KRILL_TRY(content_.check(repair));
  auto lock = KRILL_TRY(FileLock::acquire(root_ + "/images.lock"));
  auto images = KRILL_TRY(read_images());
  std::vector<ImageRecord> keep;
  std::vector<ImageRecord> damaged;
  for (const auto& r : images) {
    std::vector<std::string> problems;
    if (!content_.contains(r.manifest_digest)) {
      problems.push_back("manifest " + r.manifest_digest.str() + " missing");
    }
    if (!content_.contains(r.id)) problems.push_back("config " + r.id.str() + " missing");
    for (const auto& layer : r.layers) {
      if (!has_layer(layer)) problems.push_back("layer " + layer.str() + " missing");
    }
    for (const auto& p : problems) report.problems.push_back("image " + r.id.str() + ": " + p);
    (problems.empty() ? keep : damaged).push_back(r);
  }
  // Layer directories without a layer.json are debris.
  std::vector<std::string> strays;
  if (DIR* d = opendir(layers_root().c_str())) {
    while (dirent* e = readdir(d)) {
      std::string_view name = e->d_name;
      if (name.size() != 64 && name.size() != 128) continue;
      std::string path = layers_root() + "/" + std::string(name);
      struct stat st;
      if (stat((path + "/layer.json").c_str(), &st) != 0) strays.push_back(path);
    }
    closedir(d);
  }
  for (const auto& s : strays) report.problems.push_back("layer dir " + s + " has no layer.json");
  if (repair) {
    for (const auto& r : damaged) report.removed_images.push_back(r.id);
    if (!damaged.empty()) {
      KRILL_CHECK(write_images(keep));
      for (const auto& r : damaged) {
        KRILL_CHECK(remove_unused_blobs(keep, r));
        KRILL_TRY(collect_layers(keep, r.layers));
      }
    }
    for (const auto& s : strays) {
      KRILL_CHECK(remove_all(s));
      report.removed_paths.push_back(s);
    }
    auto temps = KRILL_TRY(remove_stale_temp_dirs(layers_root()));
    report.removed_paths.insert(report.removed_paths.end(), temps.begin(), temps.end());
  }
  return report;
}

Result<DiskUsage> ImageStore::disk_usage() const {
  DiskUsage usage;
  auto lock = KRILL_TRY(FileLock::acquire(root_ + "/images.lock", false));
  auto images = KRILL_TRY(read_images());
  usage.images = images.size();
  std::set<Digest> dangling_layers;
  for (const auto& r : images) {
    usage.images_size += static_cast<uint64_t>(r.size);
    if (r.names.empty()) dangling_layers.insert(r.layers.begin(), r.layers.end());
  }
  for (const auto& r : images) {
    if (!r.names.empty()) {
      for (const auto& l : r.layers) dangling_layers.erase(l);
    }
  }
  if (DIR* d = opendir(layers_root().c_str())) {
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) names.emplace_back(e->d_name);
    closedir(d);
    for (const auto& name : names) {
      auto diff_id = Digest::parse("sha256:" + name);
      if (!diff_id || !has_layer(*diff_id)) continue;
      auto info = layer_info(*diff_id);
      if (!info) continue;
      ++usage.layers;
      usage.layers_size += info->uncompressed_size;
      if (info->snapshot_refs.empty() &&
          (dangling_layers.contains(*diff_id) || !layer_used(images, *diff_id))) {
        usage.reclaimable += info->uncompressed_size;
      }
    }
  }
  for (const auto& blob : KRILL_TRY(content_.list())) {
    ++usage.blobs;
    if (auto size = content_.size_of(blob)) usage.blobs_size += *size;
  }
  return usage;
}

Result<std::vector<Digest>> ImageStore::prune(bool dangling_only,
                                              const std::set<std::string>& used_image_ids) {
  auto lock = KRILL_TRY(FileLock::acquire(root_ + "/images.lock"));
  auto images = KRILL_TRY(read_images());
  std::vector<ImageRecord> keep, gone;
  for (const auto& r : images) {
    // In use: a container was made from it, or holds a layer only this image has (a layer
    // shared with the base another container runs does not keep this image).
    const bool in_use =
        used_image_ids.contains(r.id.str()) ||
        std::any_of(r.layers.begin(), r.layers.end(), [&](const Digest& l) {
          const bool shared = std::any_of(images.begin(), images.end(), [&](const ImageRecord& o) {
            return o.id != r.id && std::find(o.layers.begin(), o.layers.end(), l) != o.layers.end();
          });
          if (shared) return false;
          auto info = layer_info(l);
          return info && !info->snapshot_refs.empty();
        });
    bool candidate = dangling_only ? r.names.empty() : true;
    (candidate && !in_use ? gone : keep).push_back(r);
  }
  std::vector<Digest> removed;
  if (gone.empty()) return removed;
  KRILL_CHECK_CTX(write_images(keep), "prune images");
  for (const auto& r : gone) {
    KRILL_CHECK(remove_unused_blobs(keep, r));
    KRILL_TRY(collect_layers(keep, r.layers));
    removed.push_back(r.id);
  }
  return removed;
}

}  // namespace krill::image
