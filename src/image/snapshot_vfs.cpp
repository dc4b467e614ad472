// The vfs driver's changes: rootfs/ compared with the scan taken when the snapshot was made.
#include <stdlib.h>
#include <sys/stat.h>

#include "base/file_io.h"
#include "image/snapshot.h"
#include "image/tree_diff.h"

namespace krill::image {
namespace {

std::string base_scan_path(const std::string& snapshot_dir) { return snapshot_dir + "/rootfs.scan"; }

}  // namespace

Result<void> save_vfs_base_scan(const std::string& snapshot_dir) {
  TreeScan scan = KRILL_TRY(scan_tree(snapshot_dir + "/rootfs"));
  return write_file_atomic(base_scan_path(snapshot_dir), tree_scan_to_text(scan), 0600);
}

Result<SnapshotChanges> SnapshotChanges::open(const Snapshot& snapshot) {
  if (snapshot.driver() != "vfs") return SnapshotChanges(snapshot.upper_dir(), "");
  const std::string what = "changes of " + snapshot.rootfs_dir();
  auto text = read_file(base_scan_path(snapshot.dir()));
  if (!text)
    return fail(what + ": the snapshot has no base scan (made by an older krill): " +
                text.error().message());
  TreeScan before = KRILL_TRY(tree_scan_from_text(*text));
  std::string scratch = snapshot.dir() + "/diff-XXXXXX";
  if (::mkdtemp(scratch.data()) == nullptr)
    return fail_errno(what + ": create a directory in " + snapshot.dir());
  SnapshotChanges changes(scratch, scratch);
  ::chmod(scratch.c_str(), 0755);  // the layer's root, as an overlay upper dir
  auto changed = build_upper_from_changes(snapshot.rootfs_dir(), before, scratch);
  if (!changed) return std::unexpected(std::move(changed.error()).context(what));
  return changes;
}

SnapshotChanges::~SnapshotChanges() {
  if (!scratch_.empty()) (void)remove_all(scratch_);
}

}  // namespace krill::image
