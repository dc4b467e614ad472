// Container root file systems from stored images: an overlay of the image's layer
// directories plus an upper/work dir (driver "overlay"), or a copy of the layers with
// their whiteouts applied (driver "vfs").
//
// snapshot_dir layout: snapshot.json, upper/, work/, merged/ (overlay mount point),
// rootfs/ (vfs). Each layer of the image gets a reference (layers/<hex>/refs/<id>, id
// derived from snapshot_dir) so the image store keeps it while the snapshot exists.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/user_namespace.h"
#include "image/image_store.h"
#include "image/layer_diff.h"

namespace krill::image {

struct SnapshotOptions {
  std::string driver = "overlay";  // "overlay" | "vfs"
  bool rootless = false;           // overlay: -o userxattr
  // kVolatile for a container that does not outlive a crash (`run --rm`): its snapshot.json and
  // layer references are renamed into place without fsync, and its overlay is mounted
  // "volatile" (no syncs of the upper dir).
  Durability durability = Durability::kDurable;
};

class MountedSnapshot;

class Snapshot {
 public:
  const std::string& dir() const { return dir_; }
  const std::string& driver() const { return options_.driver; }
  const std::string& ref() const { return ref_; }
  const Digest& image_id() const { return image_id_; }
  // Topmost first.
  const std::vector<std::string>& lower_dirs() const { return lower_dirs_; }
  const std::vector<Digest>& layers() const { return layers_; }  // bottom first
  std::string upper_dir() const { return dir_ + "/upper"; }
  std::string work_dir() const { return dir_ + "/work"; }
  // merged/ (overlay) or rootfs/ (vfs).
  std::string rootfs_dir() const;
  // Overlay: mounts (new mount API, one lowerdir+ per layer, so any number of layers)
  // on rootfs_dir(); vfs: nothing to mount. Needs CAP_SYS_ADMIN in the mount namespace. With
  // id maps (a --userns=auto container), the overlay is id-mapped (mount_overlay_idmapped).
  Result<MountedSnapshot> mount(const std::vector<IdMapRange>& uid_map = {},
                                const std::vector<IdMapRange>& gid_map = {}) const;

 private:
  friend Result<Snapshot> create_snapshot(ImageStore&, const ImageRecord&, const std::string&,
                                          const SnapshotOptions&);
  friend Result<Snapshot> open_snapshot(ImageStore&, const std::string&);
  std::string dir_;
  SnapshotOptions options_;
  std::string ref_;
  Digest image_id_;
  std::vector<Digest> layers_;
  std::vector<std::string> lower_dirs_;
};

// The mounted rootfs; unmounts (MNT_DETACH) on destruction.
class MountedSnapshot {
 public:
  MountedSnapshot(std::string path, bool mounted) : path_(std::move(path)), mounted_(mounted) {}
  MountedSnapshot(MountedSnapshot&& other) noexcept
      : path_(std::move(other.path_)), mounted_(std::exchange(other.mounted_, false)) {}
  MountedSnapshot& operator=(MountedSnapshot&&) = delete;
  ~MountedSnapshot();
  const std::string& path() const { return path_; }
  Result<void> unmount();
  // Leaves it mounted after destruction (a container's rootfs outlives the command that
  // mounted it; its clean-up unmounts).
  void release() { mounted_ = false; }

 private:
  std::string path_;
  bool mounted_ = false;
};

// Creates snapshot_dir (must not exist or be empty) for `image`; vfs copies the layers
// into rootfs/ now. References the image's layers in the store.
Result<Snapshot> create_snapshot(ImageStore& store, const ImageRecord& image,
                                 const std::string& snapshot_dir, const SnapshotOptions& options);
// Reopens a snapshot created earlier (reads snapshot.json).
Result<Snapshot> open_snapshot(ImageStore& store, const std::string& snapshot_dir);
// Drops the layer references and removes the directory (must not be mounted).
Result<void> remove_snapshot(ImageStore& store, const Snapshot& snapshot);

// The container's changes as an OCI layer tar: write_layer_from_upper on
// SnapshotChanges::upper().
Result<ExtractResult> snapshot_diff(const Snapshot& snapshot, int out_fd,
                                    const DiffOptions& options);

// The container's changes as an overlay-style upper directory (whiteouts for removals), for as
// long as this lives: overlay's upper/ itself; vfs: a scratch directory in the snapshot dir,
// built by comparing rootfs/ with the scan taken when the snapshot was created
// (image/tree_diff.h), removed on destruction. Error for a vfs snapshot made without a scan (an
// older krill).
class SnapshotChanges {
 public:
  static Result<SnapshotChanges> open(const Snapshot& snapshot);
  SnapshotChanges(SnapshotChanges&& other) noexcept
      : upper_(std::move(other.upper_)), scratch_(std::exchange(other.scratch_, {})) {}
  SnapshotChanges& operator=(SnapshotChanges&&) = delete;
  ~SnapshotChanges();
  const std::string& upper() const { return upper_; }

 private:
  SnapshotChanges(std::string upper, std::string scratch)
      : upper_(std::move(upper)), scratch_(std::move(scratch)) {}
  std::string upper_;
  std::string scratch_;  // removed on destruction (vfs)
};
// vfs: records the scan of rootfs/ that SnapshotChanges compares against (create_snapshot calls
// it once the layers are copied).
Result<void> save_vfs_base_scan(const std::string& snapshot_dir);

// Copies a layer directory onto `target` applying overlay whiteouts and opaque dirs (the
// vfs driver's step, exposed for tests).
Result<void> apply_layer_copy(const std::string& layer_dir, const std::string& target);

}  // namespace krill::image
