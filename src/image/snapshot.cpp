// Snapshots: overlay mounts of stored layers and the vfs copying fallback.
#include "image/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "image/overlay_mount.h"
#include "image/whiteout.h"

namespace krill::image {
namespace {

using Json = nlohmann::json;

Result<std::vector<std::string>> list_dir(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (!d) return fail_errno("open directory " + path);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

void copy_xattrs(const std::string& from, const std::string& to) {
  ssize_t len = llistxattr(from.c_str(), nullptr, 0);
  if (len <= 0) return;
  std::string names(static_cast<size_t>(len), '\0');
  len = llistxattr(from.c_str(), names.data(), names.size());
  if (len <= 0) return;
  for (size_t i = 0; i < static_cast<size_t>(len);) {
    std::string name(names.data() + i);
    i += name.size() + 1;
    if (name.empty() || is_overlay_xattr(name)) continue;
    ssize_t vlen = lgetxattr(from.c_str(), name.c_str(), nullptr, 0);
    if (vlen < 0) continue;
    std::string value(static_cast<size_t>(vlen), '\0');
    vlen = lgetxattr(from.c_str(), name.c_str(), value.data(), value.size());
    if (vlen < 0) continue;
    (void)lsetxattr(to.c_str(), name.c_str(), value.data(), static_cast<size_t>(vlen), 0);
  }
}

Result<void> copy_metadata(const std::string& from, const std::string& to, const struct stat& st) {
  (void)lchown(to.c_str(), st.st_uid, st.st_gid);
  if (!S_ISLNK(st.st_mode) && chmod(to.c_str(), st.st_mode & 07777) != 0) {
    return fail_errno("chmod " + to);
  }
  copy_xattrs(from, to);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  (void)utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW);
  return {};
}

Result<void> copy_file(const std::string& from, const std::string& to, const struct stat& st) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!in) return fail_errno("open " + from);
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out) return fail_errno("create " + to);
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n =
        copy_file_range(in.get(), nullptr, out.get(), nullptr, static_cast<size_t>(left), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // Fallback for file systems without copy_file_range.
      char buf[65536];
      ssize_t r;
      while ((r = read(in.get(), buf, sizeof buf)) > 0) {
        if (write(out.get(), buf, static_cast<size_t>(r)) != r) return fail_errno("write " + to);
      }
      if (r < 0) return fail_errno("read " + from);
      break;
    }
    left -= n;
  }
  return {};
}

Result<void> clear_dir(const std::string& path) {
  for (const auto& name : KRILL_TRY(list_dir(path))) KRILL_CHECK(remove_all(path + "/" + name));
  return {};
}

struct CopyState {
  std::map<std::pair<dev_t, ino_t>, std::string> links;
};

Result<void> copy_dir(const std::string& src, const std::string& dst, CopyState& state) {
  UniqueFd src_fd(::open(src.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
  if (!src_fd) return fail_errno("open " + src);
  for (const auto& name : KRILL_TRY(list_dir(src))) {
    std::string from = src + "/" + name, to = dst + "/" + name;
    struct stat st;
    if (lstat(from.c_str(), &st) != 0) return fail_errno("stat " + from);
    if (is_overlay_whiteout(src_fd.get(), name, st)) {
      KRILL_CHECK(remove_all(to));
      continue;
    }
    struct stat dst_st;
    bool dst_exists = lstat(to.c_str(), &dst_st) == 0;
    if (S_ISDIR(st.st_mode)) {
      if (dst_exists && !S_ISDIR(dst_st.st_mode)) {
        KRILL_CHECK(remove_all(to));
        dst_exists = false;
      }
      if (!dst_exists && mkdir(to.c_str(), 0700) != 0) return fail_errno("mkdir " + to);
      UniqueFd child(::open(from.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
      if (dst_exists && child && is_overlay_opaque(child.get())) KRILL_CHECK(clear_dir(to));
      KRILL_CHECK(copy_dir(from, to, state));
      KRILL_CHECK(copy_metadata(from, to, st));
      continue;
    }
    if (dst_exists) KRILL_CHECK(remove_all(to));
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
      auto it = state.links.find({st.st_dev, st.st_ino});
      if (it != state.links.end() && link(it->second.c_str(), to.c_str()) == 0) continue;
      state.links[{st.st_dev, st.st_ino}] = to;
    }
    if (S_ISREG(st.st_mode)) {
      KRILL_CHECK(copy_file(from, to, st));
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlink(from.c_str(), target.data(), target.size());
      if (n < 0) return fail_errno("readlink " + from);
      target.resize(static_cast<size_t>(n));
      if (symlink(target.c_str(), to.c_str()) != 0) return fail_errno("symlink " + to);
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)) {
      if (mknod(to.c_str(), st.st_mode, st.st_rdev) != 0) {
        if (errno == EPERM) continue;  // not permitted (rootless): skipped
        return fail_errno("mknod " + to);
      }
    } else {
      continue;  // sockets
    }
    KRILL_CHECK(copy_metadata(from, to, st));
  }
  return {};
}

std::string snapshot_ref(const std::string& dir) { return sha256_of(dir).hex().substr(0, 32); }

Result<std::string> absolute(const std::string& path) {
  if (!path.empty() && path[0] == '/') return path;
  char buf[4096];
  if (!getcwd(buf, sizeof buf)) return fail_errno("getcwd");
  return std::string(buf) + "/" + path;
}

}  // namespace

std::string Snapshot::rootfs_dir() const {
  return dir_ + (options_.driver == "vfs" ? "/rootfs" : "/merged");
}

Result<MountedSnapshot> Snapshot::mount(const std::vector<IdMapRange>& uid_map,
                                        const std::vector<IdMapRange>& gid_map) const {
  std::string target = rootfs_dir();
  if (options_.driver == "vfs") {
    if (!uid_map.empty())
      return fail("mount " + target + ": an id-mapped rootfs needs the overlay storage driver");
    return MountedSnapshot(target, false);
  }
  KRILL_CHECK(mount_overlay(
      OverlayMountRequest{.lower_dirs = lower_dirs_,
                          .upper_dir = upper_dir(),
                          .work_dir = work_dir(),
                          .target = target,
                          .rootless = options_.rootless,
                          .volatile_upper = options_.durability == Durability::kVolatile,
                          .uid_map = uid_map,
                          .gid_map = gid_map}));
  return MountedSnapshot(target, true);
}

MountedSnapshot::~MountedSnapshot() { (void)unmount(); }

Result<void> MountedSnapshot::unmount() {
  if (!mounted_) return {};
  mounted_ = false;
  if (umount2(path_.c_str(), MNT_DETACH) != 0) return fail_errno("unmount " + path_);
  return {};
}

Result<void> apply_layer_copy(const std::string& layer_dir, const std::string& target) {
  CopyState state;
  UniqueFd root(::open(layer_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno("open layer " + layer_dir);
  if (is_overlay_opaque(root.get())) KRILL_CHECK(clear_dir(target));
  KRILL_CHECK_CTX(copy_dir(layer_dir, target, state), "copy layer " + layer_dir);
  struct stat st;
  if (lstat(layer_dir.c_str(), &st) == 0) KRILL_CHECK(copy_metadata(layer_dir, target, st));
  return {};
}

Result<Snapshot> create_snapshot(ImageStore& store, const ImageRecord& image,
                                 const std::string& snapshot_dir, const SnapshotOptions& options) {
  std::string what = "create snapshot " + snapshot_dir;
  if (options.driver != "overlay" && options.driver != "vfs") {
    return fail(what + ": unknown driver \"" + options.driver + "\"");
  }
  Snapshot s;
  s.dir_ = KRILL_TRY(absolute(snapshot_dir));
  s.options_ = options;
  s.ref_ = snapshot_ref(s.dir_);
  s.image_id_ = image.id;
  s.layers_ = image.layers;
  for (auto it = image.layers.rbegin(); it != image.layers.rend(); ++it) {
    if (!store.has_layer(*it)) return fail(what + ": layer " + it->str() + " not in the store");
    s.lower_dirs_.push_back(store.layer_dir(*it));
  }
  KRILL_CHECK_CTX(mkdir_all(s.dir_, 0700), what);
  if (s.lower_dirs_.empty()) {
    KRILL_CHECK_CTX(mkdir_all(s.dir_ + "/empty", 0755), what);
    s.lower_dirs_.push_back(s.dir_ + "/empty");
  }
  for (const auto& layer : image.layers)
    KRILL_CHECK_CTX(store.add_layer_ref(layer, s.ref_, options.durability), what);
  if (options.driver == "overlay") {
    for (const char* sub : {"/upper", "/work", "/merged"}) {
      KRILL_CHECK_CTX(mkdir_all(s.dir_ + sub, 0755), what);
    }
  } else {
    KRILL_CHECK_CTX(mkdir_all(s.dir_ + "/rootfs", 0755), what);
    for (const auto& layer : image.layers) {
      KRILL_CHECK_CTX(apply_layer_copy(store.layer_dir(layer), s.dir_ + "/rootfs"), what);
    }
    KRILL_CHECK_CTX(save_vfs_base_scan(s.dir_), what);
  }
  Json layers = Json::array();
  for (const auto& l : s.layers_) layers.push_back(l.str());
  Json doc = {{"driver", options.driver},
              {"rootless", options.rootless},
              {"volatile", options.durability == Durability::kVolatile},
              {"image_id", image.id.str()},
              {"layers", layers}};
  KRILL_CHECK_CTX(
      write_file_atomic(s.dir_ + "/snapshot.json", doc.dump(), 0644, options.durability), what);
  return s;
}

Result<Snapshot> open_snapshot(ImageStore& store, const std::string& snapshot_dir) {
  std::string path = snapshot_dir + "/snapshot.json";
  std::string text = KRILL_TRY(read_file(path));
  Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail(path + ": invalid JSON");
  Snapshot s;
  s.dir_ = KRILL_TRY(absolute(snapshot_dir));
  s.options_.driver = doc.value("driver", "overlay");
  s.options_.rootless = doc.value("rootless", false);
  if (doc.value("volatile", false)) s.options_.durability = Durability::kVolatile;
  s.ref_ = snapshot_ref(s.dir_);
  s.image_id_ = KRILL_TRY(Digest::parse(doc.value("image_id", "")));
  for (const auto& l : doc.value("layers", Json::array())) {
    s.layers_.push_back(KRILL_TRY(Digest::parse(l.get<std::string>())));
  }
  for (auto it = s.layers_.rbegin(); it != s.layers_.rend(); ++it) {
    s.lower_dirs_.push_back(store.layer_dir(*it));
  }
  if (s.lower_dirs_.empty()) s.lower_dirs_.push_back(s.dir_ + "/empty");
  return s;
}

Result<void> remove_snapshot(ImageStore& store, const Snapshot& snapshot) {
  for (const auto& layer : snapshot.layers()) {
    KRILL_CHECK(store.remove_layer_ref(layer, snapshot.ref()));
  }
  return remove_all(snapshot.dir());
}

Result<ExtractResult> snapshot_diff(const Snapshot& snapshot, int out_fd,
                                    const DiffOptions& options) {
  SnapshotChanges changes = KRILL_TRY(SnapshotChanges::open(snapshot));
  return write_layer_from_upper(changes.upper(), out_fd, options);
}

}  // namespace krill::image
