// Ship (issue 3): registries.conf as podman reads it, through the CLI against two of Debian's
// docker-registry servers — a primary and its mirror. Pulls try the mirrors first and fall back
// to the primary; the stored name is the one the user typed; pushes go to the primary only;
// `pull-from-mirror = "digest-only"` keeps tags off the mirror; `blocked` refuses both ways;
// `insecure = true` replaces --tls-verify=false.
#include <gtest/gtest.h>

#include <string>

#include "ship_harness.h"

namespace krill::it::ship {
namespace {

// registries.conf with one [[registry]] for `prefix` at `location` and one mirror.
std::string mirrored_registry(const std::string& prefix, const std::string& location,
                              const std::string& mirror, const std::string& mirror_extra = "") {
  return "unqualified-search-registries = []\n\n[[registry]]\nprefix = \"" + prefix +
         "\"\nlocation = \"" + location +
         "\"\ninsecure = true\n\n[[registry.mirror]]\nlocation = \"" + mirror +
         "\"\ninsecure = true\n" + mirror_extra;
}

class ShipMirror : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_registry()) return;
    primary_ = new Registry();
    mirror_ = new Registry();
  }
  static void TearDownTestSuite() {
    delete primary_;
    delete mirror_;
    primary_ = mirror_ = nullptr;
  }
  void SetUp() override {
    if (!have_registry()) GTEST_SKIP() << "docker-registry is not installed";
    ASSERT_TRUE(primary_->ok()) << primary_->error();
    ASSERT_TRUE(mirror_->ok()) << mirror_->error();
  }
  // Imports busybox in `env` and pushes it to `remote` (as a user would fill a mirror); returns
  // the image id.
  static std::string put_image(const ShipEnv& env, const std::string& remote) {
    std::string why;
    std::string id = import_busybox(env, "localhost/mirror-src:1", &why);
    EXPECT_FALSE(id.empty()) << why;
    CommandResult r = env.krill({"push", "--tls-verify=false", "localhost/mirror-src:1", remote});
    EXPECT_TRUE(r.ok()) << r.describe();
    return id;
  }
  static Registry* primary_;
  static Registry* mirror_;
};
Registry* ShipMirror::primary_ = nullptr;
Registry* ShipMirror::mirror_ = nullptr;

TEST_F(ShipMirror, PullComesFromTheMirrorUnderTheTypedNameAndPushGoesToThePrimary) {
  ShipEnv maker("mirror-maker");
  const std::string id = put_image(maker, mirror_->host() + "/proxy/team/app:1");
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(registry_manifest_digest(*primary_, "team/app", "1").empty())
      << "the primary must not have the image yet";

  ShipEnv user("mirror-user");
  write_file(user.registries_conf(),
             mirrored_registry(primary_->host(), primary_->host(), mirror_->host() + "/proxy"));
  const std::string typed = primary_->host() + "/team/app:1";
  // No --tls-verify=false: `insecure = true` on the registry and the mirror allows plain HTTP.
  CommandResult r = user.krill({"pull", typed});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.out.find(id), std::string::npos) << r.describe();
  json inspected = user.inspect(typed);
  ASSERT_TRUE(inspected.is_object()) << user.krill({"images"}).describe();
  EXPECT_EQ(inspected.value("Id", ""), id);
  EXPECT_EQ(inspected.value("Digest", ""),
            registry_manifest_digest(*mirror_, "proxy/team/app", "1"));
  EXPECT_TRUE(registry_manifest_digest(*primary_, "team/app", "1").empty())
      << "the pull must not have reached the primary";

  // A push never goes to a mirror: a new tag lands on the primary only.
  const std::string pushed = primary_->host() + "/team/app:2";
  r = user.krill({"tag", typed, pushed});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = user.krill({"push", pushed});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(registry_manifest_digest(*primary_, "team/app", "2").empty());
  EXPECT_TRUE(registry_manifest_digest(*mirror_, "proxy/team/app", "2").empty());
}

TEST_F(ShipMirror, PullFallsBackToThePrimaryWhenTheMirrorLacksTheImageOrIsDown) {
  ShipEnv maker("fallback-maker");
  const std::string id = put_image(maker, primary_->host() + "/team/only-primary:1");
  ASSERT_FALSE(id.empty());
  const std::string typed = primary_->host() + "/team/only-primary:1";

  ShipEnv lacking("mirror-lacks");
  write_file(lacking.registries_conf(),
             mirrored_registry(primary_->host(), primary_->host(), mirror_->host() + "/empty"));
  CommandResult r = lacking.krill({"pull", typed});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(lacking.inspect(typed).value("Id", ""), id);

  ShipEnv down("mirror-down");
  const std::string nobody = "127.0.0.1:" + std::to_string(free_port());
  write_file(down.registries_conf(), mirrored_registry(primary_->host(), primary_->host(), nobody));
  r = down.krill({"pull", typed});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(down.inspect(typed).value("Id", ""), id);
}

TEST_F(ShipMirror, DigestOnlyMirrorServesDigestsButNotTags) {
  ShipEnv maker("digest-maker");
  const std::string id = put_image(maker, mirror_->host() + "/proxy/team/pinned:1");
  ASSERT_FALSE(id.empty());
  const std::string digest = registry_manifest_digest(*mirror_, "proxy/team/pinned", "1");
  ASSERT_FALSE(digest.empty());

  ShipEnv user("digest-user");
  write_file(user.registries_conf(),
             mirrored_registry(primary_->host(), primary_->host(), mirror_->host() + "/proxy",
                               "pull-from-mirror = \"digest-only\"\n"));
  // By tag only the primary is asked, and it does not have the image.
  CommandResult r = user.krill({"pull", primary_->host() + "/team/pinned:1"});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find(primary_->host() + "/team/pinned:1"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("manifest unknown"), std::string::npos) << r.describe();
  EXPECT_TRUE(user.image_ids().empty()) << "a failed pull stores nothing";

  // By digest the mirror serves it.
  r = user.krill({"pull", primary_->host() + "/team/pinned@" + digest});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(user.image_ids(), std::vector<std::string>{id});
  // Named as podman names a pull by digest: found by it, listed without a tag.
  const std::string pinned = primary_->host() + "/team/pinned@" + digest;
  json inspected = user.inspect(pinned);
  ASSERT_TRUE(inspected.is_object()) << user.krill({"image", "inspect", pinned}).describe();
  EXPECT_EQ(inspected["RepoTags"], json::array()) << inspected.dump(2);
  EXPECT_EQ(inspected["RepoDigests"], json::array({pinned})) << inspected.dump(2);
  r = user.krill({"images", "--format", "{{.Repository}} {{.Tag}}"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(trim(r.out), primary_->host() + "/team/pinned <none>");
}

TEST_F(ShipMirror, BlockedRegistryRefusesPullAndPush) {
  ShipEnv user("blocked");
  write_file(user.registries_conf(),
             "unqualified-search-registries = []\n\n[[registry]]\n"
             "prefix = \"" +
                 primary_->host() + "/forbidden\"\nblocked = true\n");
  std::string why;
  ASSERT_FALSE(import_busybox(user, "localhost/blocked-src:1", &why).empty()) << why;
  const std::string remote = primary_->host() + "/forbidden/app:1";

  CommandResult r = user.krill({"push", "--tls-verify=false", "localhost/blocked-src:1", remote});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("blocked in registries.conf"), std::string::npos) << r.describe();
  EXPECT_TRUE(registry_manifest_digest(*primary_, "forbidden/app", "1").empty());

  r = user.krill({"pull", "--tls-verify=false", remote});
  EXPECT_EQ(r.exit_code, 125) << r.describe();
  EXPECT_NE(r.err.find("blocked in registries.conf"), std::string::npos) << r.describe();
  EXPECT_EQ(user.image_ids().size(), 1u) << "only the imported image";

  // Outside the blocked prefix the same registry works.
  r = user.krill({"push", "--tls-verify=false", "localhost/blocked-src:1",
                  primary_->host() + "/allowed/app:1"});
  EXPECT_TRUE(r.ok()) << r.describe();
}

}  // namespace
}  // namespace krill::it::ship
