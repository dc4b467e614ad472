// Rootless builds: `krill build` as an unprivileged user re-executes itself in a user namespace
// (its subordinate ids mapped), mounts overlayfs there, runs RUN with chroot, and keeps the
// owners RUN sets; the image is exported and run by root to check it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine_test_support.h"
#include "test_user.h"

namespace krill::it {
namespace {

TEST(BuildRootless, UnprivilegedUserBuildsAMultiStageImage) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to create the test user";
  if (!have_program("setpriv") || !have_program("newuidmap"))
    GTEST_SKIP() << "setpriv/newuidmap missing";
  if (read_file("/proc/sys/user/max_user_namespaces") == "0\n")
    GTEST_SKIP() << "user namespaces are disabled";
  TestUser user;
  ASSERT_TRUE(user.error().empty()) << user.error();
  EngineEnv env;  // root's store, to run the result
  TempDir home("rootless-build");
  const std::string bin = home.path() + "/bin";
  std::filesystem::create_directories(bin);
  std::filesystem::create_directories(home.path() + "/ctx");
  std::filesystem::create_directories(home.path() + "/xdg");
  // The build tree may sit in a folder the user cannot enter: run copies.
  const std::string build_dir =
      std::string(KRILL_BINARY).substr(0, std::string(KRILL_BINARY).find_last_of('/'));
  for (const char* name : {"krill", "krill-runtime", "krill-monitor"})
    std::filesystem::copy_file(build_dir + "/" + name, bin + "/" + name);
  std::filesystem::copy_file(busybox_rootfs_tar(), home.path() + "/rootfs.tar");
  std::ofstream(home.path() + "/ctx/Dockerfile")
      << "FROM localhost/base:1 AS build\n"
         "RUN echo compiled > /artifact\n"
         "FROM localhost/base:1\n"
         "COPY --from=build /artifact /artifact\n"
         "RUN mkdir /owned && echo x > /owned/f && chown -R 1000:1000 /owned && rm /bin/yes\n"
         "CMD [\"cat\", \"/artifact\"]\n";
  run_command(
      {"chown", "-R", std::to_string(user.uid()) + ":" + std::to_string(user.gid()), home.path()});
  auto as_user = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = user.as_user(home.path());
    argv.push_back(bin + "/krill");
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, CommandOptions{.timeout = std::chrono::seconds(120)});
  };
  auto imported = as_user({"import", "-q", home.path() + "/rootfs.tar", "localhost/base:1"});
  ASSERT_TRUE(imported.ok()) << imported.describe();
  auto built =
      as_user({"build", "-q", "--pull=never", "-t", "localhost/rootless:1", home.path() + "/ctx"});
  ASSERT_TRUE(built.ok()) << built.describe();
  // The user's store is in its home (XDG data dir), owned by the user.
  struct stat st {};
  ASSERT_EQ(::stat((home.path() + "/.local/share/krill/images.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, user.uid());
  auto exported = as_user({"image", "copy", "-q", "containers-storage:localhost/rootless:1",
                           "oci-archive:" + home.path() + "/out.tar"});
  ASSERT_TRUE(exported.ok()) << exported.describe();

  auto loaded = env.krill({"image", "copy", "-q", "oci-archive:" + home.path() + "/out.tar",
                           "containers-storage:localhost/rootless:1"});
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  EXPECT_EQ(env.krill({"run", "--rm", "localhost/rootless:1"}).out, "compiled\n");
  auto owners = env.krill(
      {"run", "--rm", "localhost/rootless:1", "stat", "-c", "%u:%g", "/owned", "/owned/f"});
  EXPECT_EQ(owners.out, "1000:1000\n1000:1000\n") << owners.describe();
  auto listed = env.krill({"run", "--rm", "localhost/rootless:1", "ls", "/bin"});
  EXPECT_EQ(listed.out.find("yes"), std::string::npos) << listed.out;
  // The namespace's mounts went with it: nothing is left mounted on the host.
  EXPECT_EQ(read_file("/proc/self/mountinfo").find(home.path()), std::string::npos);
}

}  // namespace
}  // namespace krill::it
