// `system df` and `system prune` / `image prune` through the CLI, as podman users read them:
// images, containers and local volumes with what is in use and what pruning frees, and what
// each prune removes and keeps.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine_test_support.h"

namespace krill::it {
namespace {

using nlohmann::json;

// `system df --format json` by type.
std::map<std::string, json> disk_usage(const EngineEnv& env) {
  auto df = env.krill({"system", "df", "--format", "json"});
  EXPECT_EQ(df.exit_code, 0) << df.describe();
  std::map<std::string, json> by_type;
  auto rows = json::parse(df.out, nullptr, false);
  if (!rows.is_array()) {
    ADD_FAILURE() << "not a JSON array: " << df.out;
    return by_type;
  }
  for (const auto& row : rows) by_type[row.value("Type", "")] = row;
  return by_type;
}

TEST(SystemUsage, DfCountsWhatIsInUseAndWhatPruningFrees) {
  EngineEnv env;
  auto usage = disk_usage(env);
  ASSERT_EQ(usage.size(), 3u);
  EXPECT_EQ(usage["Images"]["Total"], 1);
  EXPECT_EQ(usage["Images"]["Active"], 0);
  EXPECT_GT(usage["Images"]["RawSize"].get<uint64_t>(), 500000u) << "busybox is in the image";
  EXPECT_EQ(usage["Images"]["RawReclaimable"], usage["Images"]["RawSize"]);
  EXPECT_EQ(usage["Containers"]["Total"], 0);
  EXPECT_EQ(usage["Local Volumes"]["Total"], 0);

  // A stopped container that wrote 300000 bytes, one that runs, a volume it fills, and a volume
  // nobody uses.
  ASSERT_EQ(env.krill({"volume", "create", "spare"}).exit_code, 0);
  auto wrote =
      env.krill({"run", "--name", "writer", "-v", "data:/data", EngineEnv::kImage, "sh", "-c",
                 "head -c 300000 /dev/zero > /big && head -c 200000 /dev/zero > "
                 "/data/f"});
  ASSERT_EQ(wrote.exit_code, 0) << wrote.describe();
  ASSERT_EQ(
      env.krill({"run", "-d", "--name", "runner", EngineEnv::kImage, "sleep", "1000"}).exit_code,
      0);
  usage = disk_usage(env);
  EXPECT_EQ(usage["Images"]["Active"], 1);
  EXPECT_EQ(usage["Images"]["RawReclaimable"], 0) << "the image is in use";
  EXPECT_EQ(usage["Containers"]["Total"], 2);
  EXPECT_EQ(usage["Containers"]["Active"], 1);
  EXPECT_GE(usage["Containers"]["RawSize"].get<uint64_t>(), 300000u);
  EXPECT_GE(usage["Containers"]["RawReclaimable"].get<uint64_t>(), 300000u) << "writer stopped";
  EXPECT_EQ(usage["Local Volumes"]["Total"], 2);
  EXPECT_EQ(usage["Local Volumes"]["Active"], 1);
  EXPECT_GE(usage["Local Volumes"]["RawSize"].get<uint64_t>(), 200000u);
  EXPECT_LT(usage["Local Volumes"]["RawSize"].get<uint64_t>(), 210000u);
  EXPECT_EQ(usage["Local Volumes"]["RawReclaimable"], 0) << "spare is empty, data is used";

  auto table = env.krill({"system", "df"});
  ASSERT_EQ(table.exit_code, 0) << table.describe();
  EXPECT_NE(table.out.find("Local Volumes"), std::string::npos) << table.out;
  auto verbose = env.krill({"system", "df", "-v"});
  ASSERT_EQ(verbose.exit_code, 0) << verbose.describe();
  EXPECT_NE(verbose.out.find("writer"), std::string::npos) << verbose.out;
  EXPECT_NE(verbose.out.find("spare"), std::string::npos) << verbose.out;
  ASSERT_EQ(env.krill({"rm", "-f", "runner"}).exit_code, 0);
}

TEST(SystemUsage, PruneRemovesWhatNothingUsesAndKeepsTheRest) {
  EngineEnv env;
  ASSERT_EQ(env.krill({"volume", "create", "spare"}).exit_code, 0);
  ASSERT_EQ(env.krill({"network", "create", "unused-net"}).exit_code, 0);
  ASSERT_EQ(env.krill({"create", "--name", "stopped", EngineEnv::kImage, "true"}).exit_code, 0);
  ASSERT_EQ(
      env.krill({"run", "-d", "--name", "runner", EngineEnv::kImage, "sleep", "1000"}).exit_code,
      0);
  // A dangling image: imported without a name.
  auto dangling = env.krill({"import", "-q", busybox_rootfs_tar()});
  ASSERT_EQ(dangling.exit_code, 0) << dangling.describe();

  // Without -f it asks, and "no" changes nothing.
  auto asked = env.krill({"system", "prune"}, {.stdin_data = "n\n"});
  EXPECT_EQ(asked.exit_code, 0) << asked.describe();
  EXPECT_NE(asked.out.find("Are you sure"), std::string::npos) << asked.out;
  EXPECT_EQ(env.container_ids().size(), 2u);

  auto pruned = env.krill({"system", "prune", "-f"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.describe();
  EXPECT_NE(pruned.out.find("Deleted Containers"), std::string::npos) << pruned.out;
  EXPECT_NE(pruned.out.find("Deleted Networks\nunused-net\n"), std::string::npos) << pruned.out;
  EXPECT_NE(pruned.out.find("Deleted Images"), std::string::npos) << pruned.out;
  EXPECT_NE(pruned.out.find("Total reclaimed space: "), std::string::npos) << pruned.out;
  EXPECT_EQ(env.krill({"ps", "-a", "--format", "{{.Names}}"}).out, "runner\n");
  EXPECT_EQ(env.krill({"images", "-q"}).out.size(), 13u) << "only the named image is left";
  EXPECT_EQ(env.krill({"volume", "ls", "-q"}).out, "spare\n") << "volumes only with --volumes";

  ASSERT_EQ(env.krill({"rm", "-f", "runner"}).exit_code, 0);
  pruned = env.krill({"system", "prune", "-f", "-a", "--volumes"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.describe();
  EXPECT_NE(pruned.out.find("Deleted Volumes\nspare\n"), std::string::npos) << pruned.out;
  EXPECT_EQ(env.krill({"images", "-q"}).out, "") << "-a: no container uses the image now";
  auto usage = disk_usage(env);
  EXPECT_EQ(usage["Images"]["Total"], 0);
  EXPECT_EQ(usage["Local Volumes"]["Total"], 0);
  auto check = env.krill({"system", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.describe();
}

TEST(SystemUsage, ImagePruneTakesDanglingImagesOnly) {
  EngineEnv env;
  auto dangling = env.krill({"import", "-q", busybox_rootfs_tar()});
  ASSERT_EQ(dangling.exit_code, 0) << dangling.describe();
  const std::string id = dangling.out.substr(dangling.out.find(':') + 1, 64);
  auto pruned = env.krill({"image", "prune", "-f"});
  ASSERT_EQ(pruned.exit_code, 0) << pruned.describe();
  EXPECT_EQ(pruned.out, id + "\n");
  EXPECT_EQ(env.krill({"image", "inspect", EngineEnv::kImage}).exit_code, 0);
}

}  // namespace
}  // namespace krill::it
