// kaniko's case: `krill build` inside a krill container started without --privileged (Docker's
// default capabilities: no CAP_SYS_ADMIN, so no overlayfs and no namespaces). The builder falls
// back to copying layers (vfs) and to chroot for RUN; the image it makes is exported to an
// oci-archive, loaded on the host and run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine_test_support.h"

namespace krill::it {
namespace {

std::string directory_of(const std::string& path) { return path.substr(0, path.find_last_of('/')); }

TEST(BuildUnprivileged, BuildInsideAnUnprivilegedContainerWithChrootIsolation) {
  EngineEnv env;
  TempDir context("unprivileged-context");
  TempDir out("unprivileged-out");
  std::filesystem::copy_file(busybox_rootfs_tar(), context.path() + "/rootfs.tar");
  std::ofstream(context.path() + "/Dockerfile")
      << "FROM localhost/base:1 AS build\n"
         "RUN echo compiled > /artifact && rm /bin/yes && echo ok > /dev/null\n"
         "FROM localhost/base:1\n"
         "COPY --from=build /artifact /artifact\n"
         "RUN rm /bin/wc && echo \"made by $(id -u)\" > /who\n"
         "CMD [\"cat\", \"/artifact\", \"/who\"]\n";
  const std::string bin = directory_of(KRILL_BINARY);
  std::vector<std::string> args = {"run", "--rm",
                                   "-v",  "/usr:/usr:ro",
                                   "-v",  "/lib:/lib:ro",
                                   "-v",  bin + ":" + bin + ":ro",
                                   "-v",  context.path() + ":/ctx:ro",
                                   "-v",  out.path() + ":/out"};
  if (std::filesystem::exists("/lib64")) {
    args.push_back("-v");
    args.push_back("/lib64:/lib64:ro");
  }
  const std::string krill = std::string(KRILL_BINARY);
  args.insert(args.end(),
              {EngineEnv::kImage, "sh", "-c",
               krill + " import -q /ctx/rootfs.tar localhost/base:1 >/dev/null && " + krill +
                   " build -q --pull=never -t localhost/inner:1 /ctx && " + krill +
                   " image copy -q containers-storage:localhost/inner:1 "
                   "oci-archive:/out/inner.tar"});
  auto inner = env.krill(args, CommandOptions{.timeout = std::chrono::seconds(120)});
  ASSERT_TRUE(inner.ok()) << inner.describe();
  EXPECT_NE(inner.err.find("chroot"), std::string::npos) << inner.describe();

  auto loaded = env.krill({"image", "copy", "-q", "oci-archive:" + out.path() + "/inner.tar",
                           "containers-storage:localhost/inner:1"});
  ASSERT_TRUE(loaded.ok()) << loaded.describe();
  auto ran = env.krill({"run", "--rm", "localhost/inner:1"});
  EXPECT_EQ(ran.out, "compiled\nmade by 0\n") << ran.describe();
  // Deletions in RUN became whiteouts; the first stage's deletion is not in the final image.
  auto listed = env.krill({"run", "--rm", "localhost/inner:1", "ls", "/bin"});
  EXPECT_EQ(listed.out.find("\nwc\n"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("yes"), std::string::npos) << listed.out;
  EXPECT_TRUE(env.leftover_mounts().empty());
}

}  // namespace
}  // namespace krill::it
