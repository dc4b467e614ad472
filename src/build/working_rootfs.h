// A stage's root file system while a step changes it: an overlay snapshot of the stage's
// layers, mounted under the build's work directory; its upper directory becomes the step's
// layer. Where overlayfs cannot be mounted (the store's driver is vfs, or no CAP_SYS_ADMIN, as
// in an unprivileged container) the layers are copied into a plain directory instead and the
// step's changes are found by comparing scans (image/tree_diff.h). Unmounted and removed on
// destruction (also when the step failed).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/image_store.h"
#include "image/layer_file.h"
#include "image/snapshot.h"
#include "image/tree_diff.h"

namespace krill::build {

class WorkingRootfs {
 public:
  // `dir` must not exist; it is created and removed again.
  static Result<WorkingRootfs> create(image::ImageStore& store,
                                      const std::vector<image::Digest>& layers,
                                      const std::string& dir);
  WorkingRootfs(WorkingRootfs&&) noexcept;
  WorkingRootfs& operator=(WorkingRootfs&&) = delete;
  ~WorkingRootfs();

  const std::string& rootfs() const { return rootfs_; }
  bool is_vfs() const { return vfs_; }
  // The directory for the step's other files (OCI bundle, hosts, secrets): <dir>/bundle.
  std::string bundle_dir() const { return dir_ + "/bundle"; }

  // Unmounts and stores the upper directory as a gzip layer (entries' mtimes set to
  // `timestamp` when given). The rootfs is gone afterwards.
  Result<image::StoredLayer> commit_layer(std::optional<int64_t> timestamp);

 private:
  WorkingRootfs(image::ImageStore& store, std::string dir) : store_(&store), dir_(std::move(dir)) {}
  void release();
  Result<void> populate_vfs(const std::vector<image::Digest>& layers);
  Result<image::ExtractResult> write_layer(int out_fd, const image::DiffOptions& options);
  std::string upper_dir() const;

  image::ImageStore* store_ = nullptr;
  std::string dir_;
  std::string rootfs_;
  std::optional<image::Snapshot> snapshot_;
  std::unique_ptr<image::MountedSnapshot> mounted_;
  bool vfs_ = false;
  image::TreeScan before_;  // vfs: the rootfs as the step found it
};

}  // namespace krill::build
