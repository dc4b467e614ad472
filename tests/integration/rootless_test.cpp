// Rootless: the runtime run by an unprivileged user with `spec --rootless` (config-linux.md User
// namespace mappings: the user's uid is mapped to root in the container).
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "harness.h"
#include "test_user.h"

namespace krill::it {
namespace {

TEST(Rootless, RunsWithRootlessSpecAndMapping) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create the test user";
  if (!have_program("setpriv") || !have_program("useradd"))
    GTEST_SKIP() << "setpriv/useradd missing";
  if (read_file("/proc/sys/user/max_user_namespaces") == "0\n")
    GTEST_SKIP() << "user namespaces are disabled";
  TestUser user;
  ASSERT_TRUE(user.error().empty()) << user.error();

  TempDir home("rootless");
  std::string bundle = home.path() + "/bundle";
  std::string rootfs = bundle + "/rootfs";
  std::string state = home.path() + "/state";
  for (const auto& dir : {bundle, rootfs + "/bin", rootfs + "/proc", rootfs + "/dev",
                          rootfs + "/sys", rootfs + "/tmp", state, home.path() + "/xdg"})
    std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kBusybox, rootfs + "/bin/busybox");
  std::filesystem::copy_file(probe_binary(), rootfs + "/probe");
  for (const char* applet : {"sh", "cat", "id"})
    std::filesystem::create_symlink("busybox", rootfs + "/bin/" + applet);
  // The build tree may sit in a folder the test user cannot enter (a 0700 clone): run a copy.
  const std::string runtime = home.path() + "/krill-runtime";
  std::filesystem::copy_file(runtime_binary(), runtime);
  // Everything the user must own: its home, bundle and state dir.
  run_command(
      {"chown", "-R", std::to_string(user.uid()) + ":" + std::to_string(user.gid()), home.path()});
  chmod(state.c_str(), 0700);

  std::vector<std::string> prefix = user.as_user(home.path());
  auto as_user = [&](std::vector<std::string> args, CommandOptions options = {}) {
    std::vector<std::string> argv = prefix;
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, options);
  };
  CommandResult r = as_user({runtime, "spec", "--rootless"}, {.cwd = bundle});
  ASSERT_TRUE(r.ok()) << r.describe();
  json config = parse_json(read_file(bundle + "/config.json"));
  ASSERT_TRUE(config.is_object());
  config["process"]["terminal"] = false;
  config["process"]["args"] = {"/bin/sh", "-c", "cat /proc/self/uid_map; /probe report"};
  write_file(bundle + "/config.json", config.dump());

  std::string id = unique_id("rootless");
  struct Cleanup {
    std::function<void()> f;
    ~Cleanup() { f(); }
  } cleanup{[&] { as_user({runtime, "--root", state, "delete", "--force", id}); }};
  r = as_user({runtime, "--root", state, "run", "--bundle", bundle, id});
  ASSERT_TRUE(r.ok()) << r.describe();
  std::istringstream lines(r.out);
  std::string uid_map;
  std::getline(lines, uid_map);
  std::istringstream fields(uid_map);
  long inside = -1, outside = -1, size = -1;
  fields >> inside >> outside >> size;
  EXPECT_EQ(inside, 0) << uid_map;
  EXPECT_EQ(outside, static_cast<long>(user.uid())) << uid_map;
  EXPECT_GE(size, 1);
  json report = last_json_line(r.out);
  ASSERT_TRUE(report.is_object()) << r.out;
  EXPECT_EQ(report["uid"], 0);
  EXPECT_NE(report["namespaces"]["user"].get<unsigned long long>(), host_namespaces()["user"]);
}

}  // namespace
}  // namespace krill::it
