// The local image store as an ImageSource / ImageDestination.
#include "transport/store_transport.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <mutex>

#include "image/image_store.h"
#include "image/media_types.h"
#include "image/platform.h"
#include "image/reference.h"
#include "image/store_paths.h"

namespace krill::transport {
namespace {

namespace mt = image::media_types;

bool is_layer_type(std::string_view t) {
  return t == mt::kOciLayer || t == mt::kOciLayerGzip || t == mt::kOciLayerZstd ||
         t == mt::kOciLayerNondistributable || t == mt::kOciLayerNondistributableGzip ||
         t == mt::kOciLayerNondistributableZstd || t == mt::kDockerLayer ||
         t == mt::kDockerLayerGzip || t == mt::kDockerLayerZstd || t == mt::kDockerForeignLayerGzip;
}

Result<image::ImageStore> open_store(const TransportOptions& options) {
  std::string root = options.store_root.empty() ? image::default_store_root() : options.store_root;
  image::StoreOptions store_options;
  store_options.rootless = options.rootless;
  if (options.max_layer_bytes) store_options.max_layer_bytes = *options.max_layer_bytes;
  store_options.warn = options.warn;
  return image::ImageStore::open(root, store_options);
}

class StoreSource : public ImageSource {
 public:
  StoreSource(image::ImageStore store, image::ImageRecord record, std::string name)
      : store_(std::move(store)), record_(std::move(record)), name_(std::move(name)) {}
  std::string name() const override { return "containers-storage:" + name_; }

  // The repositories the image is named after (where it was pulled from or pushed to).
  std::vector<std::string> blob_locations() const override {
    std::vector<std::string> out;
    for (const auto& name : record_.names) {
      auto ref = image::parse_reference(name);
      if (!ref) continue;
      std::string location = ref->domain + "/" + ref->path;
      if (std::find(out.begin(), out.end(), location) == out.end()) out.push_back(location);
    }
    return out;
  }

  Result<RawManifest> manifest(const std::optional<image::Digest>& instance) override {
    image::Digest digest = instance ? *instance : record_.manifest_digest;
    auto bytes = store_.content().read_blob(digest);
    if (!bytes) return std::unexpected(std::move(bytes.error()).context(name() + ": manifest"));
    RawManifest m{std::move(*bytes), record_.manifest_media_type, digest};
    if (instance) m.media_type = KRILL_TRY(image::detect_media_type(m.bytes));
    return m;
  }

  Result<uint64_t> read_blob(const image::Descriptor& blob, int out_fd) override {
    auto fd = store_.content().open_blob(blob.digest);
    if (!fd) return std::unexpected(std::move(fd.error()).context(name()));
    uint64_t total = 0;
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd->get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno(name() + ": read blob " + blob.digest.str());
      if (n == 0) break;
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(out_fd, buf + off, static_cast<size_t>(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return fail_errno(name() + ": write blob " + blob.digest.str());
        off += w;
      }
      total += static_cast<uint64_t>(n);
    }
    return total;
  }

 private:
  image::ImageStore store_;
  image::ImageRecord record_;
  std::string name_;
};

class StoreDestination : public ImageDestination {
 public:
  StoreDestination(image::ImageStore store, std::string name)
      : store_(std::move(store)), name_(std::move(name)) {}
  std::string name() const override { return "containers-storage:" + name_; }
  std::vector<std::string> supported_manifest_types() const override {
    return {std::string(mt::kOciManifest), std::string(mt::kDockerManifest),
            std::string(mt::kOciIndex), std::string(mt::kDockerManifestList)};
  }

  // The config is written first: each layer's diffID is then checked as it is extracted.
  Result<bool> begin_manifest(const image::ImageManifest& manifest) override {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < manifest.layers.size(); ++i)
      layer_positions_.try_emplace(manifest.layers[i].digest, manifest.config.digest, i);
    return true;
  }

  Result<bool> has_blob(const image::Descriptor& blob) override {
    if (is_layer_type(blob.media_type)) {
      return store_.content().contains(blob.digest) && store_.layer_for_blob(blob.digest);
    }
    return store_.content().contains(blob.digest);
  }

  Result<void> write_blob(const image::Descriptor& blob, int in_fd) override {
    std::string what = name() + ": write blob " + blob.digest.str();
    if (is_layer_type(blob.media_type) && !blob.digest.empty()) {
      // One pass: download -> digest -> decompress -> diffID -> extract, the blob stored on the
      // way (ImageStore::pull_layer).
      auto expected = KRILL_TRY(expected_diff_id(blob.digest));
      auto diff_id = store_.pull_layer(in_fd, blob, expected);
      if (!diff_id) return std::unexpected(std::move(diff_id.error()).context(name()));
      return {};
    }
    std::optional<image::Digest> expected;
    if (!blob.digest.empty()) expected = blob.digest;
    auto writer = store_.content().writer(expected, static_cast<uint64_t>(blob.size));
    if (!writer) return std::unexpected(std::move(writer.error()).context(what));
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(in_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail_errno(what + ": read");
      if (n == 0) break;
      KRILL_CHECK_CTX(writer->write(std::string_view(buf, static_cast<size_t>(n))), what);
    }
    auto digest = writer->commit();
    if (!digest) return std::unexpected(std::move(digest.error()).context(what));
    if (!is_layer_type(blob.media_type)) return {};
    auto fd = store_.content().open_blob(*digest);
    if (!fd) return std::unexpected(std::move(fd.error()).context(what));
    auto diff_id = store_.import_layer(fd->get(), blob);
    if (!diff_id) return std::unexpected(std::move(diff_id.error()).context(name()));
    return {};
  }

  Result<void> put_manifest(const RawManifest& manifest, bool is_instance) override {
    std::optional<image::Digest> expected;
    if (!manifest.digest.empty()) expected = manifest.digest;
    auto digest = store_.content().put(manifest.bytes, expected);
    if (!digest) return std::unexpected(std::move(digest.error()).context(name() + ": manifest"));
    std::lock_guard lock(mutex_);
    RawManifest stored = manifest;
    stored.digest = *digest;
    if (stored.media_type.empty())
      stored.media_type = KRILL_TRY(image::detect_media_type(stored.bytes));
    if (is_instance) {
      instances_.push_back(std::move(stored));
    } else {
      top_ = std::move(stored);
    }
    return {};
  }

  Result<void> commit() override {
    std::string what = name() + ": commit";
    if (!top_) return fail(what + ": no manifest was written");
    RawManifest chosen = *top_;
    std::string type(image::strip_media_type_parameters(chosen.media_type));
    if (mt::is_index(type)) {
      // An index: name the instance for the host platform among those copied.
      auto index = image::parse_index(chosen.bytes, type);
      if (!index) return std::unexpected(std::move(index.error()).context(what));
      const image::Descriptor* d = image::select_manifest(*index, image::host_platform());
      if (!d)
        return fail(what + ": no manifest for " + image::host_platform().str() + " in the index");
      auto it = std::find_if(instances_.begin(), instances_.end(),
                             [&](const RawManifest& m) { return m.digest == d->digest; });
      if (it == instances_.end()) {
        return fail(what + ": the index's " + image::host_platform().str() + " manifest " +
                    d->digest.str() + " was not copied");
      }
      chosen = *it;
      type = std::string(image::strip_media_type_parameters(chosen.media_type));
    }
    auto manifest = image::parse_manifest(chosen.bytes, type);
    if (!manifest) return std::unexpected(std::move(manifest.error()).context(what));
    auto config = store_.content().read_blob(manifest->config.digest);
    if (!config) return std::unexpected(std::move(config.error()).context(what + ": config"));
    std::vector<std::string> names;
    if (!name_.empty()) {
      auto ref = image::parse_reference(name_);
      if (!ref) return std::unexpected(std::move(ref.error()).context(what));
      // By tag the image is named repo:tag; by digest alone repo@digest, as podman names it.
      if (!ref->tag.empty()) ref->digest.clear();
      if (!ref->tag.empty() || ref->has_digest()) names.push_back(ref->str());
    }
    image::ManifestBlob blob{chosen.bytes, type, chosen.digest};
    auto added = store_.add_image(blob, *config, names);
    if (!added) return std::unexpected(std::move(added.error()).context(name()));
    return {};
  }

 private:
  image::ImageStore store_;
  std::string name_;
  std::mutex mutex_;
  // The config's diffID for a layer blob seen in a manifest given to begin_manifest (its config
  // is in the store by then); nullopt when unknown.
  Result<std::optional<image::Digest>> expected_diff_id(const image::Digest& layer) {
    std::lock_guard lock(mutex_);
    auto at = layer_positions_.find(layer);
    if (at == layer_positions_.end()) return std::optional<image::Digest>();
    const auto& [config_digest, index] = at->second;
    auto cached = diff_ids_.find(config_digest);
    if (cached == diff_ids_.end()) {
      if (!store_.content().contains(config_digest)) return std::optional<image::Digest>();
      std::string what = name() + ": config " + config_digest.str();
      auto bytes = store_.content().read_blob(config_digest);
      if (!bytes) return std::unexpected(std::move(bytes.error()).context(what));
      auto config = image::parse_image_config(*bytes);
      if (!config) return std::unexpected(std::move(config.error()).context(what));
      cached = diff_ids_.emplace(config_digest, config->rootfs.diff_ids).first;
    }
    if (index >= cached->second.size()) return std::optional<image::Digest>();
    return std::optional<image::Digest>(cached->second[index]);
  }

  std::optional<RawManifest> top_;
  std::vector<RawManifest> instances_;
  // layer blob -> (config, position in the manifest), from begin_manifest
  std::map<image::Digest, std::pair<image::Digest, size_t>> layer_positions_;
  std::map<image::Digest, std::vector<image::Digest>> diff_ids_;  // per config
};

}  // namespace

Result<std::unique_ptr<ImageSource>> open_store_source(std::string_view rest,
                                                       const TransportOptions& options) {
  std::string what = "containers-storage:" + std::string(rest);
  auto store = open_store(options);
  if (!store) return std::unexpected(std::move(store.error()).context(what));
  auto record = store->find(rest);
  if (!record) return std::unexpected(std::move(record.error()).context(what));
  if (!*record) return std::unexpected(Error(what + ": image not known", ENOENT));
  return std::make_unique<StoreSource>(std::move(*store), std::move(**record), std::string(rest));
}

Result<std::unique_ptr<ImageDestination>> open_store_destination(std::string_view rest,
                                                                 const TransportOptions& options) {
  std::string what = "containers-storage:" + std::string(rest);
  if (!rest.empty()) {
    auto ref = image::parse_reference(rest);
    if (!ref) return std::unexpected(std::move(ref.error()).context(what));
  }
  auto store = open_store(options);
  if (!store) return std::unexpected(std::move(store.error()).context(what));
  return std::make_unique<StoreDestination>(std::move(*store), std::string(rest));
}

}  // namespace krill::transport
