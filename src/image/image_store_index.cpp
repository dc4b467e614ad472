// The image records of the store: images.json (read, atomic replace) and name lookup.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "image/image_store.h"
#include "image/layer_store.h"
#include "image/reference.h"

namespace krill::image {
namespace {

using Json = nlohmann::json;

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

bool has_name(const ImageRecord& r, const std::string& name) {
  return std::find(r.names.begin(), r.names.end(), name) != r.names.end();
}

}  // namespace

Result<std::vector<ImageRecord>> ImageStore::read_images() const {
  std::string path = root_ + "/images.json";
  auto text = read_file(path);
  if (!text) {
    if (text.error().errno_value() == ENOENT) return std::vector<ImageRecord>{};
    return std::unexpected(text.error());
  }
  Json doc = Json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) return fail(path + ": invalid JSON");
  std::vector<ImageRecord> images;
  for (const auto& j : doc) {
    if (!j.is_object()) return fail(path + ": expected objects");
    ImageRecord r;
    r.id = KRILL_TRY(Digest::parse(j.value("id", "")));
    for (const auto& n : j.value("names", Json::array())) r.names.push_back(n.get<std::string>());
    r.manifest_digest = KRILL_TRY(Digest::parse(j.value("manifest_digest", "")));
    r.manifest_media_type = j.value("manifest_media_type", "");
    r.created = j.value("created", "");
    r.size = j.value("size", int64_t{0});
    for (const auto& l : j.value("layers", Json::array())) {
      r.layers.push_back(KRILL_TRY(Digest::parse(l.get<std::string>())));
    }
    images.push_back(std::move(r));
  }
  return images;
}

Result<void> ImageStore::write_images(const std::vector<ImageRecord>& images) {
  Json doc = Json::array();
  for (const auto& r : images) {
    Json layers = Json::array();
    for (const auto& l : r.layers) layers.push_back(l.str());
    doc.push_back({{"id", r.id.str()},
                   {"names", r.names},
                   {"manifest_digest", r.manifest_digest.str()},
                   {"manifest_media_type", r.manifest_media_type},
                   {"created", r.created},
                   {"size", r.size},
                   {"layers", layers}});
  }
  return write_file_atomic(root_ + "/images.json", doc.dump(1), 0644);
}

Result<std::optional<size_t>> find_image(const std::vector<ImageRecord>& images,
                                         std::string_view name_or_id) {
  if (name_or_id.empty()) return fail("find image: empty name");
  std::string_view id = name_or_id;
  if (id.starts_with("sha256:")) id.remove_prefix(7);
  if (is_hex(id) && id.size() == 64) {
    for (size_t i = 0; i < images.size(); ++i) {
      if (images[i].id.hex() == id) return i;
    }
    return std::nullopt;
  }
  if (name_or_id.starts_with("sha256:")) return std::nullopt;
  if (auto ref = parse_reference(name_or_id)) {
    if (ref->has_digest()) {
      for (size_t i = 0; i < images.size(); ++i) {
        if (images[i].manifest_digest.str() != ref->digest) continue;
        for (const auto& n : images[i].names) {
          auto named = parse_reference(n);
          if (named && named->repository() == ref->repository()) return i;
        }
      }
    } else {
      std::string full = ref->str();
      for (size_t i = 0; i < images.size(); ++i) {
        if (has_name(images[i], full)) return i;
      }
    }
  }
  if (is_hex(id) && id.size() >= 3) {
    std::optional<size_t> match;
    for (size_t i = 0; i < images.size(); ++i) {
      if (images[i].id.hex().starts_with(id)) {
        if (match) return fail("image id prefix \"" + std::string(id) + "\" is ambiguous");
        match = i;
      }
    }
    return match;
  }
  return std::nullopt;
}

Result<std::optional<ImageRecord>> ImageStore::find(std::string_view name_or_id) const {
  auto lock = KRILL_TRY(store_internal::FileLock::acquire(root_ + "/images.lock", false));
  auto images = KRILL_TRY(read_images());
  auto index = KRILL_TRY(find_image(images, name_or_id));
  if (!index) return std::optional<ImageRecord>{};
  return std::optional<ImageRecord>(images[*index]);
}

Result<std::vector<ImageRecord>> ImageStore::list() const {
  auto lock = KRILL_TRY(store_internal::FileLock::acquire(root_ + "/images.lock", false));
  return read_images();
}

}  // namespace krill::image
