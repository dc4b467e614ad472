// --userns=auto as root: each container gets a block of the "containers" subordinate ids of its
// own, its root is not the host's, its rootfs is an id-mapped overlay whose upper dir keeps the
// container's ids on disk (so commit sees them), and bad values fail before anything is made.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "engine_test_support.h"
#include "test_user.h"

namespace krill::it {
namespace {

// Far from the rootless test user's 3100000 range.
constexpr unsigned long kStart = 5200000;
constexpr unsigned long kCount = 200000;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// "0 <host> <count>" of a container's /proc/<pid>/uid_map, spaces squeezed.
std::string uid_map_of(const EngineEnv& env, const std::string& name) {
  std::string pid = env.inspect(name, "{{.State.Pid}}");
  std::string map = read_file("/proc/" + pid + "/uid_map");
  std::string squeezed;
  for (char c : map) {
    if (c == ' ' && (squeezed.empty() || squeezed.back() == ' ')) continue;
    squeezed += c;
  }
  if (!squeezed.empty() && squeezed.front() == ' ') squeezed.erase(0, 1);
  return trimmed(squeezed);
}

TEST(EngineUserns, AutoGivesEachContainerItsOwnIds) {
  SubordinateIdsFor ids("containers", kStart, kCount);
  const unsigned long start = ids.start("/etc/subuid");
  ASSERT_GT(start, 0u);
  EngineEnv env;
  auto first = env.krill({"run", "-d", "--name", "a", "--network", "none", "--userns", "auto",
                          EngineEnv::kImage, "sh", "-c",
                          "echo a > /owned; chown 1000:1000 /owned; sleep 100"});
  ASSERT_EQ(first.exit_code, 0) << first.describe();
  auto second = env.krill({"run", "-d", "--name", "b", "--network", "none", "--userns",
                           "auto:size=2000", "-u", "1000", EngineEnv::kImage, "sleep", "100"});
  ASSERT_EQ(second.exit_code, 0) << second.describe();
  // Disjoint blocks, the first one from the start of the range, 65536 ids by default.
  EXPECT_EQ(uid_map_of(env, "a"), "0 " + std::to_string(start) + " 65536");
  EXPECT_EQ(uid_map_of(env, "b"), "0 " + std::to_string(start + 65536) + " 2000");
  EXPECT_EQ(env.inspect("a", "{{.HostConfig.UsernsMode}}"), "auto");
  // The host sees b's process as the mapped id of its user 1000.
  struct stat st {};
  ASSERT_EQ(::stat(("/proc/" + env.inspect("b", "{{.State.Pid}}")).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, start + 65536 + 1000);
  // Inside, a is root and owns its rootfs; /etc/hosts is its own to rewrite.
  auto inside = env.krill({"exec", "a", "sh", "-c",
                           "id -u; stat -c %u:%g / /bin/busybox /owned; echo x >> /etc/hosts && "
                           "echo hosts-writable; touch /new && echo rootfs-writable"});
  EXPECT_EQ(inside.out, "0\n0:0\n0:0\n1000:1000\nhosts-writable\nrootfs-writable\n")
      << inside.describe();
  // On disk the upper dir holds the container's ids, not the host's: a plain layer.
  std::string upper =
      env.store() + "/containers/" + env.inspect("a", "{{.Id}}") + "/snapshot/upper/owned";
  ASSERT_EQ(::stat(upper.c_str(), &st), 0) << upper;
  EXPECT_EQ(st.st_uid, 1000u);
  auto committed = env.krill({"commit", "a", "localhost/userns-commit:1"});
  ASSERT_EQ(committed.exit_code, 0) << committed.describe();
  auto from_commit = env.krill({"run", "--rm", "--network", "none", "localhost/userns-commit:1",
                                "stat", "-c", "%u:%g", "/owned"});
  EXPECT_EQ(from_commit.out, "1000:1000\n") << from_commit.describe();
  // A third container after a's removal reuses a's block.
  ASSERT_TRUE(env.krill({"rm", "-f", "-t", "0", "a"}).ok());
  ASSERT_TRUE(env.krill({"run", "-d", "--name", "c", "--network", "none", "--userns", "auto",
                         EngineEnv::kImage, "sleep", "100"})
                  .ok());
  EXPECT_EQ(uid_map_of(env, "c"), "0 " + std::to_string(start) + " 65536");
  ASSERT_TRUE(env.krill({"rm", "-f", "-t", "0", "b", "c"}).ok());
  ASSERT_TRUE(env.krill({"rmi", "localhost/userns-commit:1"}).ok());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

// A named volume is mounted through the same id maps: container root owns it and its files keep
// container ids on disk, so a container without --userns sees the same owners.
TEST(EngineUserns, VolumesAreIdMappedToo) {
  SubordinateIdsFor ids("containers", kStart, kCount);
  EngineEnv env;
  auto wrote = env.krill(
      {"run", "--rm", "--network", "none", "--userns", "auto", "-v", "data:/data",
       EngineEnv::kImage, "sh", "-c",
       "stat -c %u /data /data/seed.txt; echo x > /data/f; chown 7:7 /data/f && echo ok"});
  // The image's /data/seed.txt, copied in (through the id-mapped rootfs), keeps its owner.
  EXPECT_EQ(wrote.out, "0\n0\nok\n") << wrote.describe();
  auto read = env.krill({"run", "--rm", "--network", "none", "-v", "data:/data", EngineEnv::kImage,
                         "stat", "-c", "%u:%g", "/data/f"});
  EXPECT_EQ(read.out, "7:7\n") << read.describe();
  ASSERT_TRUE(env.krill({"volume", "rm", "data"}).ok());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

// :U on a plain bind mount (not id-mapped) gives the source to the container user's host ids.
TEST(EngineUserns, ChownOfABindMountUsesHostIds) {
  SubordinateIdsFor ids("containers", kStart, kCount);
  const unsigned long start = ids.start("/etc/subuid");
  EngineEnv env;
  TempDir dir("userns-bind");
  auto run =
      env.krill({"run", "--rm", "--network", "none", "--userns", "auto", "-v", dir.path() + ":/b:U",
                 EngineEnv::kImage, "sh", "-c", "stat -c %u /b; touch /b/made && echo writable"});
  EXPECT_EQ(run.out, "0\nwritable\n") << run.describe();
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() + "/made").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, start);
  EXPECT_TRUE(env.leftover_mounts().empty());
}

// Namespaces given by path belong to the host's user namespace: the runtime joins them before
// it makes the container's (here another container's network namespace).
TEST(EngineUserns, JoinsAnotherContainersNetwork) {
  SubordinateIdsFor ids("containers", kStart, kCount);
  EngineEnv env;
  ASSERT_TRUE(env.krill({"run", "-d", "--name", "owner", "--network", "none", EngineEnv::kImage,
                         "sleep", "100"})
                  .ok());
  auto joined = env.krill({"run", "--rm", "--network", "container:owner", "--userns", "auto",
                           EngineEnv::kImage, "stat", "-L", "-c", "%i", "/proc/self/ns/net"});
  EXPECT_EQ(joined.exit_code, 0) << joined.describe();
  std::string owner_ns =
      trimmed(run_command({"stat", "-L", "-c", "%i",
                           "/proc/" + env.inspect("owner", "{{.State.Pid}}") + "/ns/net"})
                  .out);
  EXPECT_EQ(trimmed(joined.out), owner_ns) << joined.describe();
  ASSERT_TRUE(env.krill({"rm", "-f", "-t", "0", "owner"}).ok());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

// `krill mount` leaves the plain overlay mounted; start puts the id-mapped one in its place.
TEST(EngineUserns, StartAfterKrillMountIsIdMapped) {
  SubordinateIdsFor ids("containers", kStart, kCount);
  EngineEnv env;
  ASSERT_TRUE(env.krill({"create", "--name", "m", "--network", "none", "--userns", "auto",
                         EngineEnv::kImage, "stat", "-c", "%u", "/bin"})
                  .ok());
  auto mounted = env.krill({"mount", "m"});
  ASSERT_EQ(mounted.exit_code, 0) << mounted.describe();
  auto started = env.krill({"start", "-a", "m"});
  EXPECT_EQ(started.out, "0\n") << started.describe();
  ASSERT_TRUE(env.krill({"rm", "-f", "m"}).ok());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

TEST(EngineUserns, RunRmWithAutoLeavesNothing) {
  SubordinateIdsFor ids("containers", kStart, kCount);
  EngineEnv env;
  auto run = env.krill({"run", "--rm", "--network", "none", "--userns", "auto", EngineEnv::kImage,
                        "sh", "-c", "cat /proc/self/uid_map | wc -l; id -u"});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.out, "1\n0\n") << run.describe();
  EXPECT_TRUE(env.container_ids().empty());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

TEST(EngineUserns, BadValuesFailBeforeAnythingIsMade) {
  SubordinateIdsFor ids("containers", kStart, kCount);
  EngineEnv env;
  struct Case {
    std::vector<std::string> flags;
    const char* says;
  };
  const Case cases[] = {
      {{"--userns", "keep-id"}, "\"--userns\" flag"},
      {{"--userns", "nomap"}, "\"--userns\" flag"},
      {{"--userns", "auto:size=abc"}, "size \"abc\""},
      {{"--userns", "auto:size=0"}, "size \"0\""},
      {{"--userns", "auto:uidmapping=0:1:2"}, "unknown option"},
      {{"--userns", "auto:size=10", "-u", "20"}, "uid 20 is outside"},
      {{"--userns", "auto:size=" + std::to_string(kCount + 1)}, "no block of"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"run", "--rm", "--network", "none"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    args.insert(args.end(), {EngineEnv::kImage, "true"});
    auto r = env.krill(args);
    EXPECT_EQ(r.exit_code, 125) << r.describe();
    EXPECT_NE(r.err.find(c.says), std::string::npos) << r.describe();
  }
  EXPECT_TRUE(env.container_ids().empty());
  // The vfs driver has no layers to id-map.
  auto vfs = env.krill(
      {"--storage-driver", "vfs", "create", "--userns", "auto", EngineEnv::kImage, "true"});
  EXPECT_EQ(vfs.exit_code, 125) << vfs.describe();
  EXPECT_NE(vfs.err.find("needs the overlay storage driver"), std::string::npos) << vfs.describe();
  EXPECT_TRUE(env.container_ids().empty());
  // A store below a directory others cannot search: the container's root could not reach it.
  const std::string parent = env.store().substr(0, env.store().rfind('/'));
  struct stat before {};
  ASSERT_EQ(::stat(parent.c_str(), &before), 0);
  ASSERT_EQ(::chmod(parent.c_str(), 0700), 0);
  auto closed = env.krill({"run", "--rm", "--network", "none", "--userns", "auto",
                           EngineEnv::kImage, "true"});
  ::chmod(parent.c_str(), before.st_mode & 07777);
  EXPECT_EQ(closed.exit_code, 125) << closed.describe();
  EXPECT_NE(closed.err.find("cannot reach the store through " + parent), std::string::npos)
      << closed.describe();
  EXPECT_TRUE(env.container_ids().empty());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

}  // namespace
}  // namespace krill::it
