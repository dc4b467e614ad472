// Rootless builds: `krill build` as an unprivileged user runs in the user's krill namespace
// (its subordinate ids mapped), mounts overlayfs there, runs RUN with chroot, and keeps the
// owners RUN sets; the image is exported and run by root to check it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine_test_support.h"
#include "rootless_session.h"

namespace krill::it {
namespace {

TEST(BuildRootless, UnprivilegedUserBuildsAMultiStageImage) {
  RootlessSession session;
  if (!session.skip_reason().empty()) GTEST_SKIP() << session.skip_reason();
  ASSERT_TRUE(session.error().empty()) << session.error();
  EngineEnv env;  // root's store, to run the result
  const std::string home = session.home();
  std::filesystem::create_directories(home + "/ctx");
  std::filesystem::copy_file(busybox_rootfs_tar(), home + "/rootfs.tar");
  std::ofstream(home + "/ctx/Dockerfile")
      << "FROM localhost/base:1 AS build\n"
         "RUN echo compiled > /artifact\n"
         "FROM localhost/base:1\n"
         "COPY --from=build /artifact /artifact\n"
         "RUN mkdir /owned && echo x > /owned/f && chown -R 1000:1000 /owned && rm /bin/yes\n"
         "CMD [\"cat\", \"/artifact\"]\n";
  session.give(home);
  auto as_user = [&](std::vector<std::string> args) { return session.krill(args); };
  auto imported = as_user({"import", "-q", home + "/rootfs.tar", "localhost/base:1"});
  ASSERT_TRUE(imported.ok()) << imported.describe();
  auto built =
      as_user({"build", "-q", "--pull=never", "-t", "localhost/rootless:1", home + "/ctx"});
  ASSERT_TRUE(built.ok()) << built.describe();
  // The user's store is in its home (XDG data dir), owned by the user.
  struct stat st {};
  ASSERT_EQ(::stat((home + "/.local/share/krill/images.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, session.user().uid());
  auto exported = as_user({"image", "copy", "-q", "containers-storage:localhost/rootless:1",
                           "oci-archive:" + home + "/out.tar"});
  ASSERT_TRUE(exported.ok()) << exported.describe();

  auto loaded = env.krill({"image", "copy", "-q", "oci-archive:" + home + "/out.tar",
                           "containers-storage:localhost/rootless:1"});
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  EXPECT_EQ(env.krill({"run", "--rm", "localhost/rootless:1"}).out, "compiled\n");
  auto owners = env.krill(
      {"run", "--rm", "localhost/rootless:1", "stat", "-c", "%u:%g", "/owned", "/owned/f"});
  EXPECT_EQ(owners.out, "1000:1000\n1000:1000\n") << owners.describe();
  auto listed = env.krill({"run", "--rm", "localhost/rootless:1", "ls", "/bin"});
  EXPECT_EQ(listed.out.find("yes"), std::string::npos) << listed.out;
  // The namespace's mounts went with it: nothing is left mounted on the host.
  EXPECT_EQ(read_file("/proc/self/mountinfo").find(home), std::string::npos);
}

}  // namespace
}  // namespace krill::it
