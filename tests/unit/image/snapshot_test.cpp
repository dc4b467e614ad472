#include "image/snapshot.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "image/overlay_mount.h"
#include "image_store_test_util.h"

namespace krill::image {
namespace {

using test::TarBuilder;
using test::TempDir;

// Runs `body` in a forked child with its own mount namespace; returns what it wrote.
std::string in_mount_ns(const std::function<std::string()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr)) {
      out = "unshare failed";
    } else {
      out = body();
    }
    (void)!write(fds[1], out.data(), out.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return out;
}

std::string visible(const std::string& root, const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) {
    struct stat st;
    out += lstat((root + "/" + p).c_str(), &st) == 0 ? '1' : '0';
  }
  return out;
}

struct Fixture {
  TempDir dir;
  ImageStore store = *ImageStore::open(dir.path());
  ImageRecord image;
  Fixture() {
    auto img = test::make_image({
        TarBuilder()
            .dir("etc")
            .file("etc/a", "1")
            .file("etc/b", "1")
            .dir("opq")
            .file("opq/old", "1")
            .finish(),
        TarBuilder().dir("etc").file("etc/.wh.a", "").file("etc/c", "2").finish(),
        TarBuilder().dir("opq").file("opq/.wh..wh..opq", "").file("opq/new", "3").finish(),
    });
    EXPECT_TRUE(test::import_all(store, img));
    image = *store.add_image(img.blob(), img.config, {"three"});
  }
};

const std::vector<std::string> kPaths = {"etc/a", "etc/b", "etc/c", "opq/old", "opq/new"};

TEST(Snapshot, OverlayOfThreeLayersWithWhiteouts) {
  Fixture f;
  auto snap = create_snapshot(f.store, f.image, f.dir / "c1", {});
  ASSERT_TRUE(snap) << snap.error().message();
  std::string seen = in_mount_ns([&] {
    auto m = snap->mount();
    if (!m) return m.error().message();
    return visible(m->path(), kPaths);
  });
  EXPECT_EQ(seen, "01101");
  // The snapshot references keep the layers.
  EXPECT_FALSE(f.store.remove("three"));
  ASSERT_TRUE(remove_snapshot(f.store, *snap));
  EXPECT_TRUE(f.store.remove("three"));
}

// A --rm container's snapshot: kept as volatile across open_snapshot, mounted with overlayfs'
// "volatile" (the kernel shows fsync=volatile), and it still holds its layers.
TEST(Snapshot, VolatileSnapshotMountsWithoutSyncs) {
  Fixture f;
  SnapshotOptions options;
  options.durability = Durability::kVolatile;
  auto made = create_snapshot(f.store, f.image, f.dir / "rm", options);
  ASSERT_TRUE(made) << made.error().message();
  auto snap = open_snapshot(f.store, f.dir / "rm");
  ASSERT_TRUE(snap) << snap.error().message();
  std::string seen = in_mount_ns([&] {
    auto m = snap->mount();
    if (!m) return m.error().message();
    std::string mounts;
    if (auto text = read_file("/proc/self/mountinfo")) mounts = *text;
    std::string line;
    for (size_t at = mounts.find(" " + m->path() + " "); at != std::string::npos;) {
      size_t begin = mounts.rfind('\n', at) + 1;
      line = mounts.substr(begin, mounts.find('\n', at) - begin);
      break;
    }
    return visible(m->path(), kPaths) + (line.find("volatile") != std::string::npos ? " volatile"
                                                                                    : " " + line);
  });
  EXPECT_EQ(seen, "01101 volatile");
  EXPECT_FALSE(f.store.remove("three")) << "the volatile snapshot's references keep the layers";
  ASSERT_TRUE(remove_snapshot(f.store, *snap));
  EXPECT_TRUE(f.store.remove("three"));
}

TEST(OverlayLegacyMount, VolatileIsInTheOptionString) {
  OverlayMountRequest request{.lower_dirs = {"/s/layers/a"},
                              .upper_dir = "/s/c/upper",
                              .work_dir = "/s/c/work",
                              .target = "/s/c/merged",
                              .volatile_upper = true};
  auto options = legacy_overlay_options(request);
  ASSERT_TRUE(options) << options.error().message();
  EXPECT_EQ(options->data,
            "lowerdir=a,upperdir=/s/c/upper,workdir=/s/c/work,redirect_dir=off,metacopy=off,"
            "index=off,volatile");
}

TEST(Snapshot, VfsGivesTheSameTree) {
  Fixture f;
  auto snap = create_snapshot(f.store, f.image, f.dir / "v1", {.driver = "vfs"});
  ASSERT_TRUE(snap) << snap.error().message();
  auto m = snap->mount();
  ASSERT_TRUE(m);
  EXPECT_EQ(visible(m->path(), kPaths), "01101");
  EXPECT_EQ(*krill::read_file(m->path() + "/etc/c"), "2");
}

std::vector<std::string> tar_names(int fd) {
  std::string tar = test::read_fd_all(fd);
  std::vector<std::string> names;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, tar.data(), tar.size());
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK)
    names.emplace_back(archive_entry_pathname(e));
  archive_read_free(a);
  return names;
}

TEST(Snapshot, VfsDiffHasTheChangesSinceCreation) {
  Fixture f;
  auto snap = create_snapshot(f.store, f.image, f.dir / "v1", {.driver = "vfs"});
  ASSERT_TRUE(snap) << snap.error().message();
  // Nothing changed yet: an empty layer.
  auto empty = test::memfd_with("");
  auto none = snapshot_diff(*snap, empty.get(), {});
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_TRUE(tar_names(empty.get()).empty());

  const std::string root = snap->rootfs_dir();
  ASSERT_EQ(unlink((root + "/etc/b").c_str()), 0);
  ASSERT_TRUE(krill::write_file_atomic(root + "/etc/new", "n"));
  ASSERT_EQ(chmod((root + "/etc/c").c_str(), 0600), 0);  // metadata only: still a change
  auto out = test::memfd_with("");
  auto diff = snapshot_diff(*snap, out.get(), {});
  ASSERT_TRUE(diff) << diff.error().message();
  EXPECT_EQ(tar_names(out.get()),
            (std::vector<std::string>{"etc/", "etc/.wh.b", "etc/c", "etc/new"}));
  // The scratch upper dir is gone again; reopening the snapshot gives the same diff.
  auto reopened = open_snapshot(f.store, f.dir / "v1");
  ASSERT_TRUE(reopened) << reopened.error().message();
  auto again = test::memfd_with("");
  ASSERT_TRUE(snapshot_diff(*reopened, again.get(), {}));
  EXPECT_EQ(tar_names(again.get()), tar_names(out.get()));
  std::vector<std::string> entries;
  for (const auto& e : std::filesystem::directory_iterator(snap->dir()))
    entries.push_back(e.path().filename());
  std::sort(entries.begin(), entries.end());
  EXPECT_EQ(entries, (std::vector<std::string>{"rootfs", "rootfs.scan", "snapshot.json"}));
  ASSERT_TRUE(remove_snapshot(f.store, *snap));
}

TEST(Snapshot, VfsDiffWithoutABaseScanFailsClearly) {
  Fixture f;
  auto snap = create_snapshot(f.store, f.image, f.dir / "v1", {.driver = "vfs"});
  ASSERT_TRUE(snap);
  ASSERT_EQ(unlink((snap->dir() + "/rootfs.scan").c_str()), 0);
  auto diff = snapshot_diff(*snap, 1, {});
  ASSERT_FALSE(diff);
  EXPECT_NE(diff.error().message().find("no base scan"), std::string::npos)
      << diff.error().message();
}

TEST(Snapshot, TwoHundredLayersMount) {
  TempDir dir;
  auto store = *ImageStore::open(dir.path());
  std::vector<std::string> tars;
  for (int i = 0; i < 200; ++i) {
    tars.push_back(TarBuilder().file("f" + std::to_string(i), std::to_string(i)).finish());
  }
  auto img = test::make_image(tars);
  ASSERT_TRUE(test::import_all(store, img));
  auto rec = store.add_image(img.blob(), img.config, {"many"});
  ASSERT_TRUE(rec) << rec.error().message();
  auto snap = create_snapshot(store, *rec, dir / "c", {});
  ASSERT_TRUE(snap);
  size_t total = 0;
  for (const auto& l : snap->lower_dirs()) total += l.size() + 1;
  EXPECT_GT(total, 4096u);
  std::string seen = in_mount_ns([&] {
    auto m = snap->mount();
    if (!m) return m.error().message();
    return visible(m->path(), {"f0", "f100", "f199"});
  });
  EXPECT_EQ(seen, "111");
}

// What kernels before 6.8 get: one mount(2) option string, the layers named relative to the
// store's layers/ directory from a child that changed into it.
TEST(OverlayLegacyMount, ThreeLayersWithWhiteoutsLikeTheNewApi) {
  Fixture f;
  auto snap = create_snapshot(f.store, f.image, f.dir / "legacy", {});
  ASSERT_TRUE(snap) << snap.error().message();
  OverlayMountRequest request{.lower_dirs = snap->lower_dirs(),
                              .upper_dir = snap->upper_dir(),
                              .work_dir = snap->work_dir(),
                              .target = snap->rootfs_dir()};
  auto options = legacy_overlay_options(request);
  ASSERT_TRUE(options) << options.error().message();
  EXPECT_FALSE(options->lower_parent.empty());
  EXPECT_EQ(options->data.find("lowerdir=/"), std::string::npos) << options->data;
  EXPECT_NE(options->data.find(",redirect_dir=off,metacopy=off,index=off"), std::string::npos);
  char cwd_before[4096];
  ASSERT_NE(getcwd(cwd_before, sizeof cwd_before), nullptr);
  std::string seen = in_mount_ns([&] {
    if (auto mounted = mount_overlay_legacy(request); !mounted) return mounted.error().message();
    std::string out = visible(request.target, kPaths);
    umount2(request.target.c_str(), MNT_DETACH);
    return out;
  });
  EXPECT_EQ(seen, "01101");
  char cwd_after[4096];
  ASSERT_NE(getcwd(cwd_after, sizeof cwd_after), nullptr);
  EXPECT_STREQ(cwd_before, cwd_after) << "the caller's cwd never moves";
  ASSERT_TRUE(remove_snapshot(f.store, *snap));
}

TEST(OverlayLegacyMount, OptionsRefuseWhatTheStringCannotCarry) {
  OverlayMountRequest request{.lower_dirs = {"/s/layers/a", "/s/layers/b"},
                              .upper_dir = "/s/c/upper",
                              .work_dir = "/s/c/work",
                              .target = "/s/c/merged",
                              .rootless = true};
  auto options = legacy_overlay_options(request);
  ASSERT_TRUE(options) << options.error().message();
  EXPECT_EQ(options->lower_parent, "/s/layers");
  EXPECT_EQ(options->data, "lowerdir=a:b,upperdir=/s/c/upper,workdir=/s/c/work,userxattr");
  request.lower_dirs = {"/s/layers/a/diff", "/s/layers/b/diff"};
  EXPECT_EQ(legacy_overlay_options(request)->data.rfind("lowerdir=a/diff:b/diff,", 0), 0u);
  // Layers with nothing but / in common stay absolute.
  request.lower_dirs = {"/s/layers/a", "/t/b"};
  options = legacy_overlay_options(request);
  ASSERT_TRUE(options);
  EXPECT_TRUE(options->lower_parent.empty());
  EXPECT_EQ(options->data.rfind("lowerdir=/s/layers/a:/t/b,", 0), 0u) << options->data;
  request.upper_dir = "/s/c,x/upper";
  auto bad = legacy_overlay_options(request);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("holds ',' or ':'"), std::string::npos);
  request.upper_dir = "/s/c/upper";
  request.lower_dirs.assign(200, "/s/layers/" + std::string(64, 'f'));
  bad = legacy_overlay_options(request);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("200 layers do not fit"), std::string::npos)
      << bad.error().message();
  request.lower_dirs.clear();
  EXPECT_FALSE(legacy_overlay_options(request));
}

TEST(Snapshot, DiffAfterChanges) {
  Fixture f;
  auto snap = create_snapshot(f.store, f.image, f.dir / "c1", {});
  ASSERT_TRUE(snap);
  std::string seen = in_mount_ns([&] {
    auto m = snap->mount();
    if (!m) return m.error().message();
    if (unlink((m->path() + "/etc/b").c_str()) != 0) return std::string("unlink failed");
    if (!krill::write_file_atomic(m->path() + "/etc/new", "n")) return std::string("write failed");
    return std::string("ok");
  });
  ASSERT_EQ(seen, "ok");
  auto out = test::memfd_with("");
  auto diff = snapshot_diff(*snap, out.get(), {});
  ASSERT_TRUE(diff) << diff.error().message();
  std::string tar = test::read_fd_all(out.get());
  std::vector<std::string> names;
  archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, tar.data(), tar.size());
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK)
    names.emplace_back(archive_entry_pathname(e));
  archive_read_free(a);
  EXPECT_EQ(names, (std::vector<std::string>{"etc/", "etc/.wh.b", "etc/new"}));
}

}  // namespace
}  // namespace krill::image
