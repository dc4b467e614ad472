// The local image store: content-addressed blobs, extracted layers shared between
// images, and the image records that name them.
//
// Layout under the root (default_store_root()):
//   blobs/, ingest/          ContentStore: manifests, configs and the compressed layer
//                            blobs as pulled (a push reproduces the exact digests)
//   layers/<diffID-hex>/diff the extracted layer (one per diffID, shared)
//   layers/<hex>/layer.json  {diff_id, compressed: [{digest, size, media_type}],
//                            uncompressed_size, created}
//   layers/<hex>/refs/<id>   container snapshots using the layer (see snapshot.h)
//   layers/<hex>.lock        per-layer flock (import, removal)
//   layers/by-blob/<alg>-<hex>  compressed digest -> diffID
//   layers/.tmp-*            imports and removals in progress (flock-held; removed by
//                            open() when no live process holds them)
//   images.json              [{id, names, manifest_digest, manifest_media_type,
//                            created, size, layers}], replaced atomically under an
//                            flock on images.lock
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/file_io.h"
#include "image/content_store.h"
#include "image/digest.h"
#include "image/manifest.h"

namespace krill::image {

struct StoreOptions {
  bool rootless = false;           // layers extracted with ExtractOptions::rootless
  std::string driver = "overlay";  // "overlay" | "vfs" (the default for snapshots)
  // Decompression-bomb limit: a layer whose tar exceeds this many bytes is refused
  // ("layer exceeds the limit of N bytes uncompressed"); 0 = unlimited.
  uint64_t max_layer_bytes = kDefaultMaxLayerBytes;
  static constexpr uint64_t kDefaultMaxLayerBytes = uint64_t{64} << 30;  // 64 GiB
  // Told what extraction skipped or could not keep (device nodes without the privilege, xattrs,
  // owners), a line each; may be called from several threads at once. Unset: dropped.
  std::function<void(const std::string&)> warn;
};

struct ImageRecord {
  Digest id;                       // the config digest
  std::vector<std::string> names;  // normalised: "docker.io/library/busybox:latest"
  Digest manifest_digest;
  std::string manifest_media_type;
  std::string created;         // the config's "created", else the time it was added
  int64_t size = 0;            // sum of the layers' uncompressed sizes
  std::vector<Digest> layers;  // diffIDs, bottom layer first (the manifest's order)
  friend bool operator==(const ImageRecord&, const ImageRecord&) = default;
};

// A manifest exactly as pulled (transport::RawManifest without the dependency).
struct ManifestBlob {
  std::string bytes;
  std::string media_type;
  Digest digest;  // of `bytes`; empty: computed
};

struct LayerInfo {
  Digest diff_id;
  std::vector<Descriptor> compressed;  // the blobs seen for it (digest, size, media type)
  uint64_t uncompressed_size = 0;
  std::string created;
  std::vector<std::string> snapshot_refs;
};

struct RemoveResult {
  std::vector<std::string> untagged;  // names removed
  std::optional<Digest> deleted;      // the image removed (nullopt: only untagged)
  std::vector<Digest> deleted_layers;
};

struct StoreCheckReport {
  ContentStore::CheckReport blobs;
  std::vector<std::string> problems;       // "image sha256:..: layer sha256:.. missing"
  std::vector<Digest> removed_images;      // with repair: images that were damaged
  std::vector<std::string> removed_paths;  // with repair: stray layer dirs / temp dirs
};

struct DiskUsage {
  size_t images = 0, layers = 0, blobs = 0;
  uint64_t images_size = 0;  // sum of image sizes (shared layers counted per image)
  uint64_t layers_size = 0;  // uncompressed layer bytes, each layer once
  uint64_t blobs_size = 0;
  uint64_t reclaimable = 0;  // layer bytes of dangling images and unreferenced layers
};

class ImageStore {
 public:
  // Creates the layout when missing; removes abandoned `.tmp-*` dirs no live process holds.
  static Result<ImageStore> open(const std::string& root, StoreOptions options = {});

  const std::string& root() const { return root_; }
  const StoreOptions& options() const { return options_; }
  ContentStore& content() { return content_; }
  const ContentStore& content() const { return content_; }

  // By full name ("docker.io/library/busybox:latest"), familiar name ("busybox",
  // "busybox:1"), "name@sha256:<manifest digest>", full id ("sha256:<hex>" or <hex>), or
  // an id prefix of at least 3 hex digits. An ambiguous prefix is an error.
  Result<std::optional<ImageRecord>> find(std::string_view name_or_id) const;
  Result<std::vector<ImageRecord>> list() const;

  // Records an image: stores the manifest and config blobs (verified), requires every
  // layer (config rootfs.diff_ids, one per manifest layer) to be present, and gives it
  // `names` (normalised; moved from any other image). An existing image with the same
  // id gets the names added (and the manifest updated).
  Result<ImageRecord> add_image(const ManifestBlob& manifest, std::string_view config_bytes,
                                const std::vector<std::string>& names);
  // Gives image `name_or_id` the name (moved from any other image).
  Result<void> tag(std::string_view name_or_id, std::string_view name);
  // Removes the name from its image. Error when no image has it.
  Result<void> untag(std::string_view name);
  // Like podman rmi: by a name of an image with several names, only untags (unless
  // force); otherwise removes the record, then layers no other image uses and no
  // snapshot references, and blobs only the removed image used. Refuses an image whose
  // layers are in use by snapshots unless force (the layers then stay).
  Result<RemoveResult> remove(std::string_view name_or_id, bool force = false);

  std::string layer_dir(const Digest& diff_id) const;  // layers/<hex>/diff
  bool has_layer(const Digest& diff_id) const;
  Result<LayerInfo> layer_info(const Digest& diff_id) const;
  // The diffID of the compressed blob `blob`, when a layer for it was imported.
  std::optional<Digest> layer_for_blob(const Digest& blob) const;
  // Extracts a layer blob read from `compressed_fd` (verified against blob.digest and,
  // when > 0, blob.size) into a temp dir, then renames it to layers/<diffID-hex> under
  // the layer's lock; when another import won, ours is dropped. Returns the diffID.
  // When the blob's layer is already present nothing is read.
  Result<Digest> import_layer(int compressed_fd, const Descriptor& blob);
  // The one-pass pull of a layer blob: reads `compressed_fd` once, writing the bytes to the
  // content store as `blob` while extracting them into a temp layer dir (digest, decompression
  // and diffID on the way). The blob becomes visible only after its digest and size are
  // verified, the layer only after its diffID is known (and equals `expected_diff_id`, the
  // config's, when given); on any error neither is, and a killed process leaves only temp files
  // that open() removes. When the layer is already present only the blob is stored.
  Result<Digest> pull_layer(int compressed_fd, const Descriptor& blob,
                            const std::optional<Digest>& expected_diff_id);
  // The same, for a layer already on disk as a directory in the layer format (an overlay upper
  // directory whose tar was just written as `blob` with `diff_id`): the directory is renamed
  // into place (it must be on the store's file system) instead of extracting the tar again;
  // overlayfs bookkeeping xattrs other than opaque markers are dropped. When the layer exists
  // already, `dir` is left alone. Error EXDEV when it cannot be renamed.
  Result<void> adopt_layer(const std::string& dir, const Descriptor& blob, const Digest& diff_id,
                           uint64_t uncompressed_size);

  // Snapshot references keep a layer from removal (snapshot.h manages them).
  Result<void> add_layer_ref(const Digest& diff_id, const std::string& ref,
                              Durability durability = Durability::kDurable);
  Result<void> remove_layer_ref(const Digest& diff_id, const std::string& ref);

  // Verifies every blob (ContentStore::check) and that every image's manifest, config
  // and layers exist. With repair: damaged images are removed, stray dirs too.
  Result<StoreCheckReport> check(bool repair);
  Result<DiskUsage> disk_usage() const;
  // Removes dangling images (no names) — or, with dangling_only false, every image
  // whose layers no snapshot uses — then unreferenced layers. Returns the removed ids.
  Result<std::vector<Digest>> prune(bool dangling_only,
                                    const std::set<std::string>& used_image_ids = {});

 private:
  ImageStore(std::string root, StoreOptions options, ContentStore content)
      : root_(std::move(root)), options_(std::move(options)), content_(std::move(content)) {}
  std::string layers_root() const { return root_ + "/layers"; }
  std::string layer_path(const Digest& diff_id) const;  // layers/<hex>
  Result<std::vector<ImageRecord>> read_images() const;
  Result<void> write_images(const std::vector<ImageRecord>& images);
  Result<std::vector<Digest>> collect_layers(const std::vector<ImageRecord>& images,
                                             const std::vector<Digest>& candidates);
  Result<bool> remove_layer(const Digest& diff_id);
  Result<void> remove_unused_blobs(const std::vector<ImageRecord>& images,
                                   const ImageRecord& removed);
  Result<void> record_layer(const std::string& dir, const Digest& diff_id, const Descriptor& blob,
                            uint64_t uncompressed);
  Result<Digest> extract_and_place(int compressed_fd, const Descriptor& blob, BlobWriter* writer,
                                   const std::optional<Digest>& expected_diff_id);

  std::string root_;
  StoreOptions options_;
  ContentStore content_;
};

// Matches `name_or_id` against `images` (the logic of ImageStore::find).
Result<std::optional<size_t>> find_image(const std::vector<ImageRecord>& images,
                                         std::string_view name_or_id);

}  // namespace krill::image
