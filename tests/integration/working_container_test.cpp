// buildah's scripted builds through the krill binary: from, run CTR -- CMD, copy, config, commit,
// mount, umount (engine_test_support.h for the private store and the busybox image).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "engine_test_support.h"

namespace krill::it {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

TEST(WorkingContainer, FromRunCopyConfigCommitMakesAnImage) {
  EngineEnv env;
  auto from = env.krill({"from", "--pull=never", EngineEnv::kImage});
  ASSERT_TRUE(from.ok()) << from.describe();
  const std::string ctr = trimmed(from.out);
  EXPECT_EQ(ctr, "kbox-working-container");
  // Like podman: working containers are listed with --external only.
  EXPECT_EQ(env.krill({"ps", "-a", "-q"}).out, "");
  EXPECT_NE(env.krill({"ps", "-a", "--external", "--format", "{{.Names}}"}).out.find(ctr),
            std::string::npos);

  auto ran = env.krill({"run", ctr, "--", "sh", "-c", "echo made > /made.txt"});
  ASSERT_TRUE(ran.ok()) << ran.describe();

  TempDir host;
  std::ofstream(host.path() + "/app.conf") << "level=3\n";
  auto copied = env.krill(
      {"copy", "--chmod", "640", "--chown", "7:8", ctr, host.path() + "/app.conf", "/etc/app/"});
  ASSERT_TRUE(copied.ok()) << copied.describe();

  auto configured = env.krill({"config", "--cmd", R"(["cat","/made.txt"])", "--env", "MODE=prod",
                               "--label", "tier=web", "--workingdir", "/etc/app", ctr});
  ASSERT_TRUE(configured.ok()) << configured.describe();
  auto committed = env.krill({"commit", ctr, "localhost/scripted:1"});
  ASSERT_TRUE(committed.ok()) << committed.describe();

  EXPECT_EQ(env.krill({"run", "--rm", "localhost/scripted:1"}).out, "made\n");
  auto look = env.krill({"run", "--rm", "localhost/scripted:1", "sh", "-c",
                         "stat -c '%a %u %g' app.conf; cat app.conf; echo $MODE"});
  EXPECT_EQ(look.out, "640 7 8\nlevel=3\nprod\n") << look.describe();
  auto labels =
      env.krill({"image", "inspect", "--format", "{{.Config.Labels}}", "localhost/scripted:1"});
  EXPECT_EQ(trimmed(labels.out), "map[tier:web]");
  // The marker of working containers is not part of the image.
  auto annotations = env.krill({"image", "inspect", "localhost/scripted:1"});
  EXPECT_EQ(annotations.out.find("working-container"), std::string::npos);

  ASSERT_TRUE(env.krill({"rm", ctr}).ok());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

TEST(WorkingContainer, RunFailureIsTheCommandsExitStatus) {
  EngineEnv env;
  auto from = env.krill({"from", "--pull=never", "--name", "work", EngineEnv::kImage});
  ASSERT_TRUE(from.ok()) << from.describe();
  auto ran = env.krill({"run", "work", "--", "sh", "-c", "exit 7"});
  EXPECT_EQ(ran.exit_code, 7) << ran.describe();
  auto missing = env.krill({"run", "work", "--", "no-such-command"});
  EXPECT_NE(missing.exit_code, 0) << missing.describe();
  EXPECT_NE(missing.err.find("no-such-command"), std::string::npos) << missing.describe();
  ASSERT_TRUE(env.krill({"rm", "work"}).ok());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

TEST(WorkingContainer, MountShowsTheRootFileSystemUntilUmount) {
  EngineEnv env;
  auto from = env.krill({"from", "--pull=never", "--name", "m", EngineEnv::kImage});
  ASSERT_TRUE(from.ok()) << from.describe();
  auto mounted = env.krill({"mount", "m"});
  ASSERT_TRUE(mounted.ok()) << mounted.describe();
  const std::string path = trimmed(mounted.out);
  EXPECT_TRUE(std::filesystem::exists(path + "/bin/busybox")) << path;
  std::ofstream(path + "/written-through-mount") << "x";
  ASSERT_TRUE(env.krill({"umount", "m"}).ok());
  EXPECT_FALSE(std::filesystem::exists(path + "/bin/busybox"));
  EXPECT_TRUE(env.leftover_mounts().empty());
  auto seen = env.krill({"run", "m", "--", "cat", "/written-through-mount"});
  EXPECT_EQ(seen.out, "x") << seen.describe();
  ASSERT_TRUE(env.krill({"rm", "m"}).ok());
}

TEST(WorkingContainer, BadInputIsAClearError) {
  EngineEnv env;
  auto unknown_image = env.krill({"from", "--pull=never", "localhost/nope:1"});
  EXPECT_EQ(unknown_image.exit_code, 125);
  EXPECT_NE(unknown_image.err.find("localhost/nope:1"), std::string::npos) << unknown_image.err;
  auto unknown_ctr = env.krill({"copy", "nope", "/etc/hostname", "/"});
  EXPECT_EQ(unknown_ctr.exit_code, 125);
  EXPECT_NE(unknown_ctr.err.find("nope"), std::string::npos) << unknown_ctr.err;
  auto from = env.krill({"from", "--pull=never", "--name", "w", EngineEnv::kImage});
  ASSERT_TRUE(from.ok()) << from.describe();
  auto bad_cmd = env.krill({"config", "--cmd", "[1,2]", "w"});
  EXPECT_EQ(bad_cmd.exit_code, 125) << bad_cmd.describe();
  auto missing_source = env.krill({"copy", "w", "/no/such/file", "/"});
  EXPECT_EQ(missing_source.exit_code, 125) << missing_source.describe();
  ASSERT_TRUE(env.krill({"rm", "w"}).ok());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

}  // namespace
}  // namespace krill::it
