// Volumes: create/inspect/list/remove/prune, names, in-use checks, and the copy-up.
#include "engine/volumes.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "base/file_io.h"
#include "container_store_test_support.h"

namespace krill::engine {
namespace {

using store_test::padded_id;
using store_test::sample_record;
using store_test::ScratchDir;

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  lstat(path.c_str(), &st);
  return st.st_mode & 07777;
}

// Entries of the volumes directory (none may be left over by a failure).
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

class VolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    root_ = dir_.path() + "/store";
    auto opened = ContainerStore::open(root_);
    ASSERT_TRUE(opened) << opened.error().message();
    store_.emplace(std::move(*opened));
    volumes_.emplace(*store_, root_);
  }

  VolumeRecord create(const std::string& name, std::map<std::string, std::string> labels = {}) {
    VolumeCreateRequest request;
    request.name = name;
    request.labels = std::move(labels);
    auto made = volumes_->create(request);
    EXPECT_TRUE(made) << made.error().message();
    return made ? *made : VolumeRecord{};
  }

  // A container whose config mounts volume `name`.
  void use_volume(const std::string& id, const std::string& name) {
    auto record = sample_record(id, "user-" + id.substr(0, 4));
    record.config.mounts.push_back({"volume", name, "/data"});
    ASSERT_TRUE(store_->insert(record));
  }

  ScratchDir dir_;
  std::string root_;
  std::optional<ContainerStore> store_;
  std::optional<VolumeManager> volumes_;
};

TEST_F(VolumesTest, CreateMakesRowAndDirectory) {
  auto volume = create("data", {{"a", "b"}});
  EXPECT_EQ(volume.mountpoint, root_ + "/volumes/data/_data");
  EXPECT_EQ(volume.driver, "local");
  EXPECT_FALSE(volume.anonymous);
  EXPECT_TRUE(volume.needs_copy_up);
  EXPECT_EQ(mode_of(volume.mountpoint), 0755u);
  auto found = volumes_->inspect("data");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->labels, (std::map<std::string, std::string>{{"a", "b"}}));
  EXPECT_EQ(found->created_ns, volume.created_ns);
  EXPECT_GT(found->created_ns, 0);
}

TEST_F(VolumesTest, AnonymousVolumesGetAnId) {
  auto volume = create("");
  EXPECT_TRUE(volume.anonymous);
  EXPECT_EQ(volume.name.size(), 64u);
  EXPECT_TRUE(exists(volume.mountpoint));
  EXPECT_TRUE(volumes_->inspect(volume.name)->anonymous);
}

TEST_F(VolumesTest, DuplicateNameLeavesTheExistingVolumeAlone) {
  auto volume = create("data");
  ASSERT_TRUE(write_file_atomic(volume.mountpoint + "/keep", "x"));
  VolumeCreateRequest again;
  again.name = "data";
  auto second = volumes_->create(again);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().errno_value(), EEXIST);
  EXPECT_NE(second.error().message().find("volume with name data already exists"),
            std::string::npos);
  EXPECT_TRUE(exists(volume.mountpoint + "/keep"));
}

TEST_F(VolumesTest, BadNamesAreRefusedAndNothingIsLeft) {
  for (const char* name : {"a", "-x", "_x", ".x", "a/b", "..", "x y", "x!", "../etc"}) {
    VolumeCreateRequest request;
    request.name = name;
    auto made = volumes_->create(request);
    ASSERT_FALSE(made) << name;
    EXPECT_EQ(made.error().errno_value(), EINVAL) << name;
    EXPECT_NE(made.error().message().find("[a-zA-Z0-9][a-zA-Z0-9_.-]+"), std::string::npos);
  }
  EXPECT_TRUE(is_valid_volume_name("ab"));
  EXPECT_TRUE(is_valid_volume_name("My_vol.1-x"));
  EXPECT_TRUE(entries(root_ + "/volumes").empty());
  EXPECT_TRUE(store_->list_volumes()->empty());
}

TEST_F(VolumesTest, BadDriverAndOptionsAreRefused) {
  VolumeCreateRequest plugin;
  plugin.name = "x1";
  plugin.driver = "nfs-plugin";
  EXPECT_FALSE(volumes_->create(plugin));
  VolumeCreateRequest option;
  option.name = "x2";
  option.options = {{"zz", "1"}};
  auto made = volumes_->create(option);
  ASSERT_FALSE(made);
  EXPECT_NE(made.error().message().find("invalid mount option zz for driver 'local'"),
            std::string::npos);
  VolumeCreateRequest bad_uid;
  bad_uid.name = "x3";
  bad_uid.options = {{"uid", "root"}};
  EXPECT_FALSE(volumes_->create(bad_uid));
  EXPECT_TRUE(entries(root_ + "/volumes").empty());
  EXPECT_TRUE(store_->list_volumes()->empty());
}

TEST_F(VolumesTest, UidGidOptionsOwnTheData) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  VolumeCreateRequest request;
  request.name = "owned";
  request.options = {{"uid", "1234"}, {"gid", "5678"}};
  auto made = volumes_->create(request);
  ASSERT_TRUE(made) << made.error().message();
  struct stat st;
  ASSERT_EQ(stat(made->mountpoint.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
}

TEST_F(VolumesTest, StaleDirectoryWithoutRowIsReplaced) {
  ASSERT_TRUE(mkdir_all(root_ + "/volumes/ghost/_data", 0755));
  ASSERT_TRUE(write_file_atomic(root_ + "/volumes/ghost/_data/old", "x"));
  auto volume = create("ghost");
  EXPECT_FALSE(exists(volume.mountpoint + "/old"));
}

TEST_F(VolumesTest, RemoveDeletesRowAndDirectory) {
  auto volume = create("data");
  ASSERT_TRUE(write_file_atomic(volume.mountpoint + "/f", "content"));
  ASSERT_TRUE(volumes_->remove("data", false));
  EXPECT_FALSE(exists(root_ + "/volumes/data"));
  EXPECT_TRUE(entries(root_ + "/volumes").empty());
  auto gone = volumes_->inspect("data");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().message(), "no volume with name \"data\" found: no such volume");
  auto again = volumes_->remove("data", false);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errno_value(), ENOENT);
  EXPECT_EQ(again.error().message(), "no volume with name \"data\" found: no such volume");
}

TEST_F(VolumesTest, VolumeInUseIsKeptUnlessForced) {
  create("data");
  use_volume(padded_id("aa"), "data");
  use_volume(padded_id("bb"), "data");
  auto refused = volumes_->remove("data", false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().errno_value(), EBUSY);
  EXPECT_EQ(refused.error().message(),
            "volume data is being used by the following container(s): " + padded_id("aa") + ", " +
                padded_id("bb") + ": volume is being used");
  EXPECT_TRUE(exists(root_ + "/volumes/data/_data"));
  EXPECT_TRUE(volumes_->inspect("data"));
  ASSERT_TRUE(volumes_->remove("data", true));
  EXPECT_FALSE(exists(root_ + "/volumes/data"));
}

TEST_F(VolumesTest, UsersMatchVolumeMountsOnly) {
  create("data");
  auto record = sample_record(padded_id("cc"), "bind-user");
  record.config.mounts.push_back({"bind", "data", "/data"});  // a bind of a path named data
  record.config.env = {"X=data"};
  ASSERT_TRUE(store_->insert(record));
  EXPECT_TRUE(store_->volume_users("data")->empty());
  EXPECT_TRUE(volumes_->remove("data", false));
}

TEST_F(VolumesTest, ListFilters) {
  create("alpha", {{"env", "prod"}, {"team", "a"}});
  create("beta", {{"env", "dev"}});
  create("gamma");
  use_volume(padded_id("aa"), "beta");
  auto names = [&](std::vector<std::string> filters) {
    std::vector<std::string> out;
    auto listed = volumes_->list(filters);
    EXPECT_TRUE(listed) << (listed ? "" : listed.error().message());
    if (listed)
      for (const auto& v : *listed) out.push_back(v.name);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names({}), (V{"alpha", "beta", "gamma"}));
  EXPECT_EQ(names({"name=a"}), (V{"alpha", "beta", "gamma"}));
  EXPECT_EQ(names({"name=^b"}), (V{"beta"}));
  EXPECT_EQ(names({"name=alpha", "name=gamma"}), (V{"alpha", "gamma"}));
  EXPECT_EQ(names({"label=env"}), (V{"alpha", "beta"}));
  EXPECT_EQ(names({"label=env=prod"}), (V{"alpha"}));
  EXPECT_EQ(names({"label=env", "label=team=a"}), (V{"alpha"}));
  EXPECT_EQ(names({"label!=env"}), (V{"gamma"}));
  EXPECT_EQ(names({"dangling=true"}), (V{"alpha", "gamma"}));
  EXPECT_EQ(names({"dangling=false"}), (V{"beta"}));
  EXPECT_EQ(names({"driver=local", "label=env=dev"}), (V{"beta"}));
  EXPECT_EQ(names({"until=1"}), V{});
  auto bad = volumes_->list({"foo=1"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "\"foo\" is an invalid volume filter");
  EXPECT_FALSE(volumes_->list({"dangling=maybe"}));
  EXPECT_FALSE(volumes_->list({"name=("}));
}

TEST_F(VolumesTest, PruneRemovesUnusedAndCountsBytes) {
  auto unused = create("unused");
  create("used");
  auto labelled = create("keep", {{"keep", "1"}});
  use_volume(padded_id("aa"), "used");
  ASSERT_TRUE(write_file_atomic(unused.mountpoint + "/ten", "0123456789"));
  ASSERT_TRUE(mkdir_all(unused.mountpoint + "/sub", 0755));
  ASSERT_TRUE(write_file_atomic(unused.mountpoint + "/sub/five", "01234"));
  ASSERT_EQ(link((unused.mountpoint + "/ten").c_str(), (unused.mountpoint + "/ten2").c_str()), 0);
  auto report = volumes_->prune({"label!=keep"});
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->removed, std::vector<std::string>{"unused"});
  EXPECT_EQ(report->reclaimed_bytes, 15u);
  EXPECT_TRUE(volumes_->inspect("used"));
  EXPECT_TRUE(volumes_->inspect("keep"));
  EXPECT_FALSE(exists(root_ + "/volumes/unused"));
  auto all = volumes_->prune();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->removed, std::vector<std::string>{"keep"});
  EXPECT_FALSE(volumes_->prune({"dangling=true"}));  // not a prune filter
  EXPECT_EQ(entries(root_ + "/volumes"), std::vector<std::string>{"used"});
}

TEST_F(VolumesTest, PopulateCopiesTheImageContent) {
  std::string source = dir_.path() + "/image-dir";
  ASSERT_TRUE(mkdir_all(source + "/sub/deeper", 0755));
  ASSERT_EQ(chmod(source.c_str(), 0750), 0);
  ASSERT_TRUE(write_file_atomic(source + "/file", "hello", 0640));
  ASSERT_TRUE(write_file_atomic(source + "/sub/deeper/x", "deep", 0600));
  ASSERT_EQ(chmod((source + "/sub").c_str(), 0711), 0);
  ASSERT_EQ(symlink("../file", (source + "/sub/link").c_str()), 0);
  ASSERT_EQ(symlink("/etc/passwd", (source + "/abs-link").c_str()), 0);
  ASSERT_EQ(link((source + "/file").c_str(), (source + "/hard").c_str()), 0);
  ASSERT_EQ(mkfifo((source + "/fifo").c_str(), 0620), 0);
  ASSERT_EQ(chmod((source + "/fifo").c_str(), 0620), 0);  // past the umask
  bool root = geteuid() == 0;
  if (root) {
    ASSERT_EQ(lchown((source + "/file").c_str(), 1234, 5678), 0);
    ASSERT_EQ(chmod((source + "/file").c_str(), 04750), 0);  // set-id kept after chown
    ASSERT_EQ(lchown((source + "/sub/link").c_str(), 42, 43), 0);
    ASSERT_EQ(chown(source.c_str(), 7, 8), 0);
  }
  struct timespec old_times[2] = {{1000000, 0}, {2000000, 5}};
  ASSERT_EQ(utimensat(AT_FDCWD, (source + "/sub/deeper/x").c_str(), old_times, 0), 0);

  auto volume = create("data");
  auto copied = volumes_->populate_from("data", source);
  ASSERT_TRUE(copied) << copied.error().message();
  EXPECT_TRUE(*copied);
  const std::string& data = volume.mountpoint;
  EXPECT_EQ(read_file(data + "/file").value_or(""), "hello");
  EXPECT_EQ(read_file(data + "/sub/deeper/x").value_or(""), "deep");
  EXPECT_EQ(mode_of(data), 0750u);
  EXPECT_EQ(mode_of(data + "/sub"), 0711u);
  EXPECT_EQ(mode_of(data + "/sub/deeper/x"), 0600u);
  char target[64] = {};
  ASSERT_GT(readlink((data + "/sub/link").c_str(), target, sizeof(target) - 1), 0);
  EXPECT_STREQ(target, "../file");
  struct stat file_st, hard_st, fifo_st, x_st;
  ASSERT_EQ(lstat((data + "/file").c_str(), &file_st), 0);
  ASSERT_EQ(lstat((data + "/hard").c_str(), &hard_st), 0);
  EXPECT_EQ(file_st.st_ino, hard_st.st_ino);
  ASSERT_EQ(lstat((data + "/fifo").c_str(), &fifo_st), 0);
  EXPECT_TRUE(S_ISFIFO(fifo_st.st_mode));
  EXPECT_EQ(fifo_st.st_mode & 07777, 0620u);
  ASSERT_EQ(lstat((data + "/sub/deeper/x").c_str(), &x_st), 0);
  EXPECT_EQ(x_st.st_mtim.tv_sec, 2000000);
  if (root) {
    EXPECT_EQ(file_st.st_uid, 1234u);
    EXPECT_EQ(file_st.st_gid, 5678u);
    EXPECT_EQ(file_st.st_mode & 07777, 04750u);
    struct stat link_st, root_st;
    ASSERT_EQ(lstat((data + "/sub/link").c_str(), &link_st), 0);
    EXPECT_EQ(link_st.st_uid, 42u);
    ASSERT_EQ(lstat(data.c_str(), &root_st), 0);
    EXPECT_EQ(root_st.st_uid, 7u);
  }
  EXPECT_FALSE(volumes_->inspect("data")->needs_copy_up);
  // No staging directory left beside _data.
  EXPECT_EQ(entries(root_ + "/volumes/data"), std::vector<std::string>{"_data"});
  // Once only.
  ASSERT_TRUE(remove_all(data + "/file"));
  EXPECT_FALSE(volumes_->populate_from("data", source).value_or(true));
  EXPECT_FALSE(exists(data + "/file"));
}

TEST_F(VolumesTest, PopulateKeepsANonEmptyVolume) {
  std::string source = dir_.path() + "/image-dir";
  ASSERT_TRUE(mkdir_all(source, 0755));
  ASSERT_TRUE(write_file_atomic(source + "/from-image", "x"));
  auto volume = create("data");
  ASSERT_TRUE(write_file_atomic(volume.mountpoint + "/mine", "y"));
  auto copied = volumes_->populate_from("data", source);
  ASSERT_TRUE(copied);
  EXPECT_FALSE(*copied);
  EXPECT_FALSE(exists(volume.mountpoint + "/from-image"));
  EXPECT_TRUE(exists(volume.mountpoint + "/mine"));
  EXPECT_FALSE(volumes_->inspect("data")->needs_copy_up);
}

TEST_F(VolumesTest, PopulateFromNothingMarksDone) {
  auto volume = create("data");
  auto copied = volumes_->populate_from("data", dir_.path() + "/does-not-exist");
  ASSERT_TRUE(copied) << copied.error().message();
  EXPECT_FALSE(*copied);
  EXPECT_FALSE(volumes_->inspect("data")->needs_copy_up);
  EXPECT_FALSE(volumes_->populate_from("missing-volume", dir_.path()));
}

TEST_F(VolumesTest, NocopyOptionSkipsCopyUp) {
  std::string source = dir_.path() + "/image-dir";
  ASSERT_TRUE(mkdir_all(source, 0755));
  ASSERT_TRUE(write_file_atomic(source + "/from-image", "x"));
  VolumeCreateRequest request;
  request.name = "plain";
  request.options = {{"nocopy", ""}};
  auto volume = volumes_->create(request);
  ASSERT_TRUE(volume);
  EXPECT_FALSE(volume->needs_copy_up);
  EXPECT_FALSE(volumes_->populate_from("plain", source).value_or(true));
  EXPECT_FALSE(exists(volume->mountpoint + "/from-image"));
}

TEST_F(VolumesTest, PopulateFailureLeavesNoStaging) {
  std::string source = dir_.path() + "/image-dir";
  ASSERT_TRUE(mkdir_all(source, 0755));
  ASSERT_TRUE(write_file_atomic(source + "/ok", "x"));
  create("data");
  // The volume's directory replaced by a file: the staging directory cannot be made.
  ASSERT_TRUE(remove_all(root_ + "/volumes/data"));
  ASSERT_TRUE(write_file_atomic(root_ + "/volumes/data", "not a directory"));
  auto copied = volumes_->populate_from("data", source);
  EXPECT_FALSE(copied);
  EXPECT_TRUE(volumes_->inspect("data")->needs_copy_up);
  EXPECT_EQ(entries(root_ + "/volumes"), std::vector<std::string>{"data"});
}

TEST_F(VolumesTest, PruneClearsLeftoversOfCrashedRemovals) {
  ASSERT_TRUE(mkdir_all(root_ + "/volumes/.removing-old-0123/_data", 0755));
  create("kept");
  use_volume(padded_id("aa"), "kept");
  ASSERT_TRUE(volumes_->prune());
  EXPECT_EQ(entries(root_ + "/volumes"), std::vector<std::string>{"kept"});
}

}  // namespace
}  // namespace krill::engine
