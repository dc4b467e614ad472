// Real kernel tests: network namespaces, bind mounts, and the Debian "loopback" CNI plugin.
// Each test first moves this test process into a private network namespace (and, when it can,
// a private mount namespace), so nothing here touches the host's network or mount table.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "base/unique_fd.h"
#include "network/cni_plugin.h"
#include "network/netns.h"

namespace krill::network {
namespace {

using ::testing::HasSubstr;

constexpr long kNsfsMagic = 0x6e736673;  // NSFS_MAGIC

ino_t inode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Whether something is mounted exactly on `path` (field 5 of /proc/self/mountinfo).
bool is_mount_point(const std::string& path) {
  auto mountinfo = read_file("/proc/self/mountinfo");
  if (!mountinfo) return false;
  std::istringstream lines(*mountinfo);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    fields >> id >> parent >> devno >> root >> mount_point;
    if (mount_point == path) return true;
  }
  return false;
}

bool mountinfo_mentions(const std::string& text) {
  auto mountinfo = read_file("/proc/self/mountinfo");
  return mountinfo && mountinfo->find(text) != std::string::npos;
}

// The flags of "lo" in the calling thread's network namespace, or -1.
int loopback_flags() {
  UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return -1;
  struct ifreq request {};
  std::memcpy(request.ifr_name, "lo", 3);
  if (::ioctl(sock.get(), SIOCGIFFLAGS, &request) < 0) return -1;
  return request.ifr_flags;
}

// A temporary directory for namespace files: unmounts and removes whatever is in it on the
// way out, even after a failed assertion.
class NetnsDir {
 public:
  NetnsDir() {
    char templ[] = "/tmp/krill-netns-test-XXXXXX";
    if (::mkdtemp(templ)) path_ = templ;
  }
  NetnsDir(const NetnsDir&) = delete;
  NetnsDir& operator=(const NetnsDir&) = delete;
  ~NetnsDir() {
    if (path_.empty()) return;
    for (const auto& file : files_) {
      for (int i = 0; i < 16 && ::umount2(file.c_str(), MNT_DETACH) == 0; ++i) {
      }
    }
    (void)remove_all(path_);
  }
  const std::string& path() const { return path_; }
  // A path in the directory, registered for unmounting.
  std::string file(const std::string& name) {
    files_.push_back(path_ + "/" + name);
    return files_.back();
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

class NetnsKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    // Before anything else: from here on this process's network is its own.
    if (::unshare(CLONE_NEWNET) != 0)
      GTEST_SKIP() << "unshare(CLONE_NEWNET) not permitted: " << std::strerror(errno);
    // Private mounts as well when the kernel allows (it does not for a threaded process): a
    // crash mid-test then cannot leave a bind mount in the host's mount table.
    if (::unshare(CLONE_NEWNS) == 0) {
      ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0)
          << std::strerror(errno);
    }
    dir_ = std::make_unique<NetnsDir>();
    ASSERT_FALSE(dir_->path().empty());
  }

  std::unique_ptr<NetnsDir> dir_;
};

TEST_F(NetnsKernelTest, CreatesAMountedNamespaceOtherThanOurs) {
  const std::string path = dir_->file("ns1");
  auto created = create_persistent_netns(path);
  ASSERT_TRUE(created) << created.error().message();

  // The child that made it is gone; the bind mount keeps the namespace alive.
  EXPECT_TRUE(is_mount_point(path));
  struct statfs fs {};
  ASSERT_EQ(::statfs(path.c_str(), &fs), 0);
  EXPECT_EQ(static_cast<long>(fs.f_type), kNsfsMagic);
  const ino_t ours = inode_of("/proc/self/ns/net");
  ASSERT_NE(ours, 0u);
  EXPECT_NE(inode_of(path), ours);

  // Two namespaces are two namespaces.
  const std::string other = dir_->file("ns2");
  ASSERT_TRUE(create_persistent_netns(other));
  EXPECT_NE(inode_of(other), inode_of(path));
}

TEST_F(NetnsKernelTest, LoopbackIsUpInsideAndTheThreadComesBack) {
  const std::string path = dir_->file("ns");
  ASSERT_TRUE(create_persistent_netns(path));
  const ino_t ours = inode_of("/proc/thread-self/ns/net");

  int flags = -1;
  ino_t inside = 0;
  auto entered = in_netns(path, [&]() -> Result<void> {
    flags = loopback_flags();
    inside = inode_of("/proc/thread-self/ns/net");
    return {};
  });
  ASSERT_TRUE(entered) << entered.error().message();
  ASSERT_NE(flags, -1);
  EXPECT_TRUE(flags & IFF_UP);
  EXPECT_TRUE(flags & IFF_RUNNING);
  EXPECT_EQ(inside, inode_of(path));
  EXPECT_EQ(inode_of("/proc/thread-self/ns/net"), ours);
}

TEST_F(NetnsKernelTest, InNetnsReturnsTheFunctionsErrorAndStillComesBack) {
  const std::string path = dir_->file("ns");
  ASSERT_TRUE(create_persistent_netns(path));
  const ino_t ours = inode_of("/proc/thread-self/ns/net");
  auto result = in_netns(path, []() -> Result<void> { return fail("inner failure"); });
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "inner failure");
  EXPECT_EQ(inode_of("/proc/thread-self/ns/net"), ours);
}

TEST_F(NetnsKernelTest, InNetnsOnSomethingElseFailsWithoutMoving) {
  const ino_t ours = inode_of("/proc/thread-self/ns/net");
  const std::string plain = dir_->file("plain");
  ASSERT_TRUE(write_file_atomic(plain, "x", 0644, Durability::kVolatile));
  bool ran = false;
  auto result = in_netns(plain, [&]() -> Result<void> {
    ran = true;
    return {};
  });
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr("enter network namespace " + plain));
  EXPECT_FALSE(ran);
  EXPECT_FALSE(in_netns(dir_->path() + "/absent", [] { return Result<void>{}; }));
  EXPECT_EQ(inode_of("/proc/thread-self/ns/net"), ours);
}

TEST_F(NetnsKernelTest, RemoveUnmountsAndDeletesAndCanRepeat) {
  const std::string path = dir_->file("ns");
  ASSERT_TRUE(create_persistent_netns(path));
  ASSERT_TRUE(is_mount_point(path));

  auto removed = remove_persistent_netns(path);
  ASSERT_TRUE(removed) << removed.error().message();
  EXPECT_FALSE(is_mount_point(path));
  EXPECT_FALSE(mountinfo_mentions(dir_->path()));
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
  EXPECT_EQ(errno, ENOENT);

  auto again = remove_persistent_netns(path);
  EXPECT_TRUE(again) << again.error().message();
}

TEST_F(NetnsKernelTest, RemoveOfAnUnmountedFileDeletesIt) {
  const std::string path = dir_->file("stale");
  ASSERT_TRUE(write_file_atomic(path, "", 0444, Durability::kVolatile));
  ASSERT_TRUE(remove_persistent_netns(path));
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

TEST_F(NetnsKernelTest, CreateOnAnExistingPathFailsAndLeavesItAlone) {
  const std::string path = dir_->file("taken");
  ASSERT_TRUE(write_file_atomic(path, "someone else's", 0644, Durability::kVolatile));
  auto created = create_persistent_netns(path);
  ASSERT_FALSE(created);
  EXPECT_THAT(created.error().message(), HasSubstr("create network namespace " + path));
  EXPECT_EQ(created.error().errno_value(), EEXIST);
  auto content = read_file(path);
  ASSERT_TRUE(content);
  EXPECT_EQ(*content, "someone else's");
  EXPECT_FALSE(is_mount_point(path));

  // Nor is a live namespace taken over.
  const std::string live = dir_->file("live");
  ASSERT_TRUE(create_persistent_netns(live));
  const ino_t before = inode_of(live);
  EXPECT_FALSE(create_persistent_netns(live));
  EXPECT_EQ(inode_of(live), before);
  EXPECT_TRUE(is_mount_point(live));
}

TEST_F(NetnsKernelTest, PathInAMissingDirectoryFailsCleanly) {
  const std::string path = dir_->path() + "/missing/ns";
  auto created = create_persistent_netns(path);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().errno_value(), ENOENT);
  EXPECT_THAT(created.error().message(), HasSubstr("create network namespace " + path));
  EXPECT_NE(::access((dir_->path() + "/missing").c_str(), F_OK), 0);
  EXPECT_FALSE(mountinfo_mentions(dir_->path()));
}

TEST_F(NetnsKernelTest, LoopbackPluginAddAndDel) {
  const std::string plugin_dir = "/usr/lib/cni";
  if (::access((plugin_dir + "/loopback").c_str(), X_OK) != 0)
    GTEST_SKIP() << "no " << plugin_dir << "/loopback (containernetworking-plugins)";
  const std::string path = dir_->file("ns");
  ASSERT_TRUE(create_persistent_netns(path));
  // Start from lo down so that ADD visibly does something.
  ASSERT_TRUE(in_netns(path, []() -> Result<void> {
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    struct ifreq request {};
    std::memcpy(request.ifr_name, "lo", 3);
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &request) < 0) return fail_errno("get lo flags");
    request.ifr_flags &= ~IFF_UP;
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &request) < 0) return fail_errno("set lo down");
    return {};
  }));

  auto list = CniNetworkList::parse(
      R"({"cniVersion":"1.0.0","name":"krill-lo-test","plugins":[{"type":"loopback"}]})");
  ASSERT_TRUE(list) << list.error().message();
  CniInvocation invocation;
  invocation.container_id = "krill-netns-kernel-test";
  invocation.netns_path = path;
  invocation.ifname = "lo";
  auto executor = make_process_plugin_executor();

  auto added = list->add(invocation, {"/nonexistent/cni", plugin_dir}, *executor);
  ASSERT_TRUE(added) << added.error().message();
  ASSERT_FALSE(added->interfaces.empty());
  EXPECT_EQ(added->interfaces[0].name, "lo");
  EXPECT_EQ(added->interfaces[0].sandbox, path);
  bool has_127 = false;
  for (const auto& ip : added->ips) has_127 = has_127 || ip.address == "127.0.0.1/8";
  EXPECT_TRUE(has_127) << added->json;
  int flags = -1;
  ASSERT_TRUE(in_netns(path, [&]() -> Result<void> {
    flags = loopback_flags();
    return {};
  }));
  EXPECT_TRUE(flags != -1 && (flags & IFF_UP));

  auto deleted = list->del(invocation, added->json, {plugin_dir}, *executor);
  ASSERT_TRUE(deleted) << deleted.error().message();
  ASSERT_TRUE(in_netns(path, [&]() -> Result<void> {
    flags = loopback_flags();
    return {};
  }));
  EXPECT_TRUE(flags != -1 && !(flags & IFF_UP));

  ASSERT_TRUE(remove_persistent_netns(path));
  EXPECT_FALSE(is_mount_point(path));
}

}  // namespace
}  // namespace krill::network
