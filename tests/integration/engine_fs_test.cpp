// cp, diff, export, commit, stats, port through the real krill binary (engine_test_support.h).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine_test_support.h"

namespace krill::it {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

// No mounts and, once the monitors' exit commands finished (rm -f returns before), no processes.
void expect_clean(const EngineEnv& env) {
  for (int i = 0; i < 100 && !env.leftover_processes().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(env.leftover_processes().empty());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

TEST(EngineFs, CpOutOfAndIntoAStoppedContainer) {
  EngineEnv env;
  TempDir host("fs-cp");
  auto run =
      env.krill({"run", "--name", "c1", EngineEnv::kImage, "sh", "-c",
                 "mkdir -p /d/sub && echo one > /d/a && echo two > /d/sub/b && "
                 "ln -s /etc /d/link && ln -s ../../../../.. /d/up && echo in-ctr > /etc/marker"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();

  // file -> new file name, file -> dir (into), dir -> new dir, dir/. -> contents.
  auto cp = env.krill({"cp", "c1:/d/a", host.path() + "/a-copy"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(slurp(host.path() + "/a-copy"), "one\n");
  cp = env.krill({"cp", "c1:/d/a", host.path()});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(slurp(host.path() + "/a"), "one\n");
  cp = env.krill({"cp", "c1:/d", host.path() + "/dcopy"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(slurp(host.path() + "/dcopy/sub/b"), "two\n");
  EXPECT_TRUE(std::filesystem::is_symlink(host.path() + "/dcopy/link"));
  std::filesystem::create_directory(host.path() + "/into");
  cp = env.krill({"cp", "c1:/d/.", host.path() + "/into"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(slurp(host.path() + "/into/a"), "one\n");
  cp = env.krill({"cp", "c1:/d", host.path() + "/into"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(slurp(host.path() + "/into/d/sub/b"), "two\n");

  // A symlink pointing out of the rootfs resolves inside it.
  cp = env.krill({"cp", "c1:/d/up/etc/marker", host.path() + "/marker"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(slurp(host.path() + "/marker"), "in-ctr\n");

  // Missing source / missing destination parent.
  cp = env.krill({"cp", "c1:/no/such", host.path() + "/x"});
  EXPECT_NE(cp.exit_code, 0);
  EXPECT_NE(cp.err.find("no such file or directory"), std::string::npos) << cp.err;
  cp = env.krill({"cp", "c1:/d/a", host.path() + "/missing/x"});
  EXPECT_NE(cp.exit_code, 0);
  EXPECT_NE(cp.err.find("no such file or directory"), std::string::npos) << cp.err;

  // Host -> container, then read it back by running the container again.
  spit(host.path() + "/in.txt", "from host\n");
  cp = env.krill({"cp", host.path() + "/in.txt", "c1:/d/sub/"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  cp = env.krill({"cp", host.path() + "/in.txt", "c1:/renamed.txt"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  cp = env.krill({"cp", host.path() + "/in.txt", "c1:/nodir/x.txt"});
  EXPECT_NE(cp.exit_code, 0);
  cp = env.krill({"cp", "c1:/d/sub/in.txt", host.path() + "/back.txt"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(slurp(host.path() + "/back.txt"), "from host\n");
  cp = env.krill({"cp", "c1:/renamed.txt", host.path() + "/back2.txt"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(slurp(host.path() + "/back2.txt"), "from host\n");

  // A tar stream out.
  cp = env.krill({"cp", "c1:/d/a", "-"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_NE(cp.out.find("one\n"), std::string::npos);
  EXPECT_EQ(cp.out.substr(0, 1), "a");
  expect_clean(env);
}

// Docker's cp sees a stopped container's volumes and bind mounts too: their paths are read and
// written in the mount's source, not in the container's own file system under them.
TEST(EngineFs, CpReachesAStoppedContainersVolumesAndBindMounts) {
  EngineEnv env;
  TempDir host("fs-cp-volumes");
  const std::string bound = host.path() + "/bound";
  std::filesystem::create_directories(bound);
  write_file(bound + "/from-host", "host side\n");
  auto run = env.krill({"run", "--name", "v1", "-v", "vdata:/data", "-v", bound + ":/bound",
                        EngineEnv::kImage, "sh", "-c",
                        "mkdir -p /data/sub && echo in-volume > /data/sub/f"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();

  auto cp = env.krill({"cp", "v1:/data/sub/f", host.path() + "/f"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(slurp(host.path() + "/f"), "in-volume\n");
  cp = env.krill({"cp", "v1:/data/.", host.path() + "/whole"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(slurp(host.path() + "/whole/sub/f"), "in-volume\n");
  cp = env.krill({"cp", "v1:/bound/from-host", host.path() + "/b"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(slurp(host.path() + "/b"), "host side\n");

  // Into the stopped container's volume: the next run sees it there.
  write_file(host.path() + "/new", "copied in\n");
  cp = env.krill({"cp", host.path() + "/new", "v1:/data/sub/new"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  auto seen =
      env.krill({"run", "--rm", "-v", "vdata:/data", EngineEnv::kImage, "cat", "/data/sub/new"});
  EXPECT_EQ(seen.out, "copied in\n") << seen.describe();
  // A path outside any mount still comes from the container's own files.
  cp = env.krill({"cp", "v1:/data/../etc/hostname", host.path() + "/hn"});
  EXPECT_EQ(cp.exit_code, 0) << cp.describe();
  // Nothing climbs out of the volume.
  cp = env.krill({"cp", "v1:/data/../../../../etc/shadow", host.path() + "/shadow"});
  EXPECT_NE(slurp(host.path() + "/shadow"), slurp("/etc/shadow"));
  ASSERT_EQ(env.krill({"rm", "v1"}).exit_code, 0);
  ASSERT_EQ(env.krill({"volume", "rm", "vdata"}).exit_code, 0);
  expect_clean(env);
}

TEST(EngineFs, CpIntoARunningContainer) {
  EngineEnv env;
  TempDir host("fs-cp-run");
  auto run = env.krill({"run", "-d", "--name", "r1", EngineEnv::kImage, "sleep", "1000"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  spit(host.path() + "/f", "running\n");
  auto cp = env.krill({"cp", host.path() + "/f", "r1:/tmp/f"});
  EXPECT_EQ(cp.exit_code, 0) << cp.describe();
  auto exec = env.krill({"exec", "r1", "cat", "/tmp/f"});
  EXPECT_EQ(exec.out, "running\n") << exec.describe();
  auto in =
      env.krill({"cp", "-", "r1:/tmp"}, {.stdin_data = env.krill({"cp", "r1:/tmp/f", "-"}).out});
  EXPECT_EQ(in.exit_code, 0) << in.describe();
  auto diff = env.krill({"diff", "r1"});
  EXPECT_EQ(diff.exit_code, 0) << diff.describe();
  EXPECT_TRUE(has_line(diff.out, "A /tmp/f")) << diff.out;
  auto port = env.krill({"port", "r1"});
  EXPECT_EQ(port.exit_code, 0) << port.describe();
  EXPECT_EQ(port.out, "");
  auto stats = env.krill({"stats", "--no-stream", "r1"});
  EXPECT_EQ(stats.exit_code, 0) << stats.describe();
  EXPECT_NE(stats.out.find("MEM USAGE / LIMIT"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("r1"), std::string::npos) << stats.out;
  auto json_stats = env.krill({"stats", "--no-stream", "--format", "json", "r1"});
  EXPECT_EQ(json_stats.exit_code, 0) << json_stats.describe();
  EXPECT_NE(json_stats.out.find("\"pids\""), std::string::npos) << json_stats.out;
  auto rm = env.krill({"rm", "-f", "r1"});
  EXPECT_EQ(rm.exit_code, 0) << rm.describe();
  expect_clean(env);
}

TEST(EngineFs, DiffShowsAddedChangedDeleted) {
  EngineEnv env;
  auto run = env.krill({"run", "--name", "d1", EngineEnv::kImage, "sh", "-c",
                        "echo x > /new && echo y >> /etc/passwd && rm /etc/group"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  auto diff = env.krill({"diff", "d1"});
  ASSERT_EQ(diff.exit_code, 0) << diff.describe();
  EXPECT_TRUE(has_line(diff.out, "A /new")) << diff.out;
  EXPECT_TRUE(has_line(diff.out, "C /etc")) << diff.out;
  EXPECT_TRUE(has_line(diff.out, "C /etc/passwd")) << diff.out;
  EXPECT_TRUE(has_line(diff.out, "D /etc/group")) << diff.out;
  auto json = env.krill({"diff", "--format", "json", "d1"});
  ASSERT_EQ(json.exit_code, 0) << json.describe();
  EXPECT_NE(json.out.find("\"deleted\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("/etc/group"), std::string::npos) << json.out;
  auto missing = env.krill({"diff", "no-such"});
  EXPECT_EQ(missing.exit_code, 125);
  auto port = env.krill({"port", "no-such"});
  EXPECT_NE(port.exit_code, 0);
  expect_clean(env);
}

TEST(EngineFs, ExportWritesTheWholeRootfs) {
  EngineEnv env;
  TempDir host("fs-export");
  auto run = env.krill({"run", "--name", "e1", EngineEnv::kImage, "sh", "-c", "echo hi > /hello"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  std::string tar = host.path() + "/rootfs.tar";
  auto exported = env.krill({"export", "-o", tar, "e1"});
  ASSERT_EQ(exported.exit_code, 0) << exported.describe();
  auto list = run_command({"tar", "-tf", tar});
  EXPECT_TRUE(has_line(list.out, "hello")) << list.out;
  EXPECT_TRUE(has_line(list.out, "bin/busybox")) << list.out;
  auto to_stdout = env.krill({"container", "export", "e1"});
  EXPECT_EQ(to_stdout.exit_code, 0) << to_stdout.describe();
  EXPECT_GT(to_stdout.out.size(), 10000u);
  expect_clean(env);
}

TEST(EngineFs, CommitMakesAnImageWithTheChanges) {
  EngineEnv env;
  auto run = env.krill({"run", "--name", "m1", "-e", "FROM_CTR=1", EngineEnv::kImage, "sh", "-c",
                        "echo committed > /marker && rm /etc/group"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  auto commit = env.krill({"commit", "-m", "msg", "-a", "me", "-c", "CMD [\"cat\", \"/marker\"]",
                           "m1", "localhost/committed:v1"});
  ASSERT_EQ(commit.exit_code, 0) << commit.describe();
  EXPECT_TRUE(commit.out.starts_with("sha256:")) << commit.out;
  auto again = env.krill({"run", "--rm", "localhost/committed:v1"});
  EXPECT_EQ(again.exit_code, 0) << again.describe();
  EXPECT_EQ(again.out, "committed\n");
  auto gone = env.krill({"run", "--rm", "localhost/committed:v1", "sh", "-c",
                         "test -e /etc/group && echo present || echo gone; echo $FROM_CTR"});
  EXPECT_EQ(gone.out, "gone\n1\n") << gone.describe();
  auto rm = env.krill({"rm", "m1"});
  EXPECT_EQ(rm.exit_code, 0) << rm.describe();
  // podman's exit code 2: a container uses the image; it stays.
  ASSERT_EQ(env.krill({"create", "--name", "user", "localhost/committed:v1"}).exit_code, 0);
  auto in_use = env.krill({"rmi", "localhost/committed:v1"});
  EXPECT_EQ(in_use.exit_code, 2) << in_use.describe();
  EXPECT_NE(in_use.err.find("in use by a container"), std::string::npos) << in_use.err;
  EXPECT_EQ(env.krill({"image", "inspect", "localhost/committed:v1"}).exit_code, 0);
  ASSERT_EQ(env.krill({"rm", "user"}).exit_code, 0);
  auto rmi = env.krill({"rmi", "localhost/committed:v1"});
  EXPECT_EQ(rmi.exit_code, 0) << rmi.describe();
  expect_clean(env);
}

}  // namespace
}  // namespace krill::it
