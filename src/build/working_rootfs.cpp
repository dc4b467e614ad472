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
  image::ImageRecord record;
  record.id = image::sha256_of(dir);  // only names the snapshot's owner in snapshot.json
  record.layers = layers;
  image::SnapshotOptions options;
  options.driver = "overlay";
  options.rootless = store.options().rootless;
  working.snapshot_ = KRILL_TRY(image::create_snapshot(store, record, dir + "/snapshot", options));
  KRILL_CHECK(mkdir_all(working.bundle_dir(), 0700));
  auto mounted = KRILL_TRY(working.snapshot_->mount());
  working.mounted_ = std::make_unique<image::MountedSnapshot>(std::move(mounted));
  working.rootfs_ = working.snapshot_->rootfs_dir();
  return working;
}

WorkingRootfs::WorkingRootfs(WorkingRootfs&& other) noexcept
    : store_(other.store_),
      dir_(std::exchange(other.dir_, {})),
      rootfs_(std::move(other.rootfs_)),
      snapshot_(std::exchange(other.snapshot_, std::nullopt)),
      mounted_(std::move(other.mounted_)) {}

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
}

Result<image::StoredLayer> WorkingRootfs::commit_layer(std::optional<int64_t> timestamp) {
  if (!snapshot_) return fail("commit layer: the working root file system is gone");
  if (mounted_) {
    KRILL_CHECK(mounted_->unmount());
    mounted_.reset();
  }
  std::string layer_path = dir_ + "/layer.tar.gz";
  {
    UniqueFd out(::open(layer_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (out.get() < 0) return fail_errno("create " + layer_path);
    image::DiffOptions options;
    options.gzip = true;
    options.timestamp = timestamp;
    KRILL_TRY(image::snapshot_diff(*snapshot_, out.get(), options));
  }
  auto stored = KRILL_TRY(
      image::store_layer_file(*store_, layer_path, std::string(image::media_types::kOciLayerGzip)));
  release();
  return stored;
}

}  // namespace krill::build
