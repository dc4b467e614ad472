// WorkingRootfs: snapshot, mount, commit the upper directory, clean up.
#include "build/working_rootfs.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/file_io.h"
#include "base/unique_fd.h"
#include "image/media_types.h"

namespace krill::build {

Result<WorkingRootfs> WorkingRootfs::create(image::ImageStore& store,
                                            const std::vector<image::Digest>& layers,
                                            const std::string& dir) {
  WorkingRootfs working(store, dir);
  if (store.options().driver == "vfs") {
    KRILL_CHECK(working.populate_vfs(layers));
    return working;
  }
  image::ImageRecord record;
  record.id = image::sha256_of(dir);  // only names the snapshot's owner in snapshot.json
  record.layers = layers;
  image::SnapshotOptions options;
  options.driver = "overlay";
  options.rootless = store.options().rootless;
  working.snapshot_ = KRILL_TRY(image::create_snapshot(store, record, dir + "/snapshot", options));
  KRILL_CHECK(mkdir_all(working.bundle_dir(), 0700));
  auto mounted = working.snapshot_->mount();
  if (!mounted &&
      (mounted.error().errno_value() == EPERM || mounted.error().errno_value() == EACCES)) {
    // No overlayfs for us here (an unprivileged container): copy the layers instead.
    (void)image::remove_snapshot(store, *working.snapshot_);
    working.snapshot_.reset();
    (void)remove_all(dir + "/snapshot");
    KRILL_CHECK(working.populate_vfs(layers));
    return working;
  }
  if (!mounted) return std::unexpected(mounted.error());
  working.mounted_ = std::make_unique<image::MountedSnapshot>(std::move(*mounted));
  working.rootfs_ = working.snapshot_->rootfs_dir();
  return working;
}

WorkingRootfs::WorkingRootfs(WorkingRootfs&& other) noexcept
    : store_(other.store_),
      dir_(std::exchange(other.dir_, {})),
      rootfs_(std::move(other.rootfs_)),
      snapshot_(std::exchange(other.snapshot_, std::nullopt)),
      mounted_(std::move(other.mounted_)),
      vfs_(other.vfs_),
      before_(std::move(other.before_)) {}

WorkingRootfs::~WorkingRootfs() { release(); }

void WorkingRootfs::release() {
  if (mounted_) {
    (void)mounted_->unmount();
    mounted_.reset();
  }
  if (snapshot_) {
    (void)image::remove_snapshot(*store_, *snapshot_);
    snapshot_.reset();
  }
  if (!dir_.empty()) (void)remove_all(dir_);
  dir_.clear();
  vfs_ = false;
}

Result<void> WorkingRootfs::populate_vfs(const std::vector<image::Digest>& layers) {
  vfs_ = true;
  rootfs_ = dir_ + "/rootfs";
  KRILL_CHECK(mkdir_all(rootfs_, 0755));
  KRILL_CHECK(mkdir_all(bundle_dir(), 0700));
  for (const auto& layer : layers)
    KRILL_CHECK(image::apply_layer_copy(store_->layer_dir(layer), rootfs_));
  before_ = KRILL_TRY(image::scan_tree(rootfs_));
  return {};
}

std::string WorkingRootfs::upper_dir() const {
  return vfs_ ? dir_ + "/upper" : snapshot_->upper_dir();
}

Result<image::ExtractResult> WorkingRootfs::write_layer(int out_fd,
                                                        const image::DiffOptions& options) {
  if (!vfs_) return image::snapshot_diff(*snapshot_, out_fd, options);
  KRILL_CHECK(mkdir_all(upper_dir(), 0755));
  KRILL_TRY(image::build_upper_from_changes(rootfs_, before_, upper_dir()));
  return image::write_layer_from_upper(upper_dir(), out_fd, options);
}

Result<image::StoredLayer> WorkingRootfs::commit_layer(std::optional<int64_t> timestamp) {
  if (!snapshot_ && !vfs_) return fail("commit layer: the working root file system is gone");
  if (mounted_) {
    KRILL_CHECK(mounted_->unmount());
    mounted_.reset();
  }
  std::string layer_path = dir_ + "/layer.tar.gz";
  image::ExtractResult written;
  {
    UniqueFd out(::open(layer_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (out.get() < 0) return fail_errno("create " + layer_path);
    image::DiffOptions options;
    options.gzip = true;
    // Build layers favour speed (a third of the time of the default level, a few percent
    // bigger); a push keeps these bytes.
    options.gzip_level = 1;
    options.timestamp = timestamp;
    written = KRILL_TRY(write_layer(out.get(), options));
  }
  image::StoredLayer stored;
  stored.diff_id = KRILL_TRY(image::Digest::parse(written.diff_id));
  stored.blob = KRILL_TRY(
      image::store_blob_file(*store_, layer_path, std::string(image::media_types::kOciLayerGzip),
                             KRILL_TRY(image::Digest::parse(written.compressed_digest))));
  // The upper directory is the layer already: move it into the layer store rather than
  // extracting the tar again — unless --timestamp changed the mtimes in the tar.
  bool adopted = false;
  if (!timestamp) {
    auto moved =
        store_->adopt_layer(upper_dir(), stored.blob, stored.diff_id, written.uncompressed_size);
    if (!moved && moved.error().errno_value() != EXDEV) return std::unexpected(moved.error());
    adopted = moved.has_value();
  }
  if (!adopted) {
    UniqueFd in(::open(layer_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) return fail_errno("open " + layer_path);
    KRILL_TRY(store_->import_layer(in.get(), stored.blob));
  }
  release();
  return stored;
}

}  // namespace krill::build
