// Ship (issue 3) interop with Debian's peers: skopeo + umoci see the same image krill pushed,
// krill pulls what skopeo pushed, and podman and krill load each other's archives.
#include <gtest/gtest.h>

#include <filesystem>

#include "ship_harness.h"

namespace krill::it::ship {
namespace {

bool have_tools(std::initializer_list<const char*> tools, std::string* missing) {
  for (const char* tool : tools)
    if (!have_program(tool)) {
      *missing = tool;
      return false;
    }
  return true;
}

std::string manifest_digest_of_layout(const std::string& dir, const std::string& tag) {
  json index = parse_json(read_file(dir + "/index.json"));
  if (!index.is_object()) return "";
  for (const auto& m : index.value("manifests", json::array()))
    if (m.contains("annotations") &&
        m["annotations"].value("org.opencontainers.image.ref.name", "") == tag)
      return m.value("digest", "");
  return "";
}

// `umoci unpack` of DIR:TAG into BUNDLE; the rootfs tree, or an empty map with `why` set.
std::map<std::string, std::string> umoci_tree(const ShipEnv& env, const std::string& layout,
                                              const std::string& tag, const std::string& bundle,
                                              std::string* why) {
  CommandResult r = env.run({"umoci", "unpack", "--image", layout + ":" + tag, bundle});
  if (!r.ok()) {
    *why = r.describe();
    return {};
  }
  return file_tree(bundle + "/rootfs");
}

class ShipInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (path_exists("/usr/bin/docker-registry")) registry_ = new Registry();
  }
  static void TearDownTestSuite() {
    delete registry_;
    registry_ = nullptr;
  }
  void SetUp() override {
    std::string missing;
    if (!have_tools({"docker-registry", "skopeo", "umoci"}, &missing))
      GTEST_SKIP() << missing << " is not installed";
    ASSERT_TRUE(registry_->ok()) << registry_->error();
  }
  static Registry* registry_;
};
Registry* ShipInterop::registry_ = nullptr;

// krill push → skopeo copy → umoci unpack gives the tree of the imported rootfs, the same as
// krill's own oci: export unpacked by umoci.
TEST_F(ShipInterop, SkopeoAndUmociSeeWhatKrillPushed) {
  ShipEnv env("interop-push");
  const std::string tar = make_busybox_tarball(env.dir());
  ASSERT_FALSE(tar.empty());
  CommandResult r = env.krill({"import", tar, "localhost/ship-interop:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  const std::string remote = registry_->host() + "/ship/interop:1";
  r = env.krill({"push", "--tls-verify=false", "localhost/ship-interop:1", remote});
  ASSERT_TRUE(r.ok()) << r.describe();

  const std::string from_registry = env.dir() + "/skopeo-layout";
  r = env.skopeo(
      {"copy", "--src-tls-verify=false", "docker://" + remote, "oci:" + from_registry + ":tag"});
  ASSERT_TRUE(r.ok()) << r.describe();
  const std::string from_store = env.dir() + "/krill-layout";
  r = env.krill({"image", "copy", "-q", "containers-storage:localhost/ship-interop:1",
                 "oci:" + from_store + ":tag"});
  ASSERT_TRUE(r.ok()) << r.describe();
  // krill's export and krill's push carry the same manifest. (skopeo gzips the uncompressed
  // layer when it writes an oci: layout, so its manifest differs; the config does not.)
  EXPECT_EQ(manifest_digest_of_layout(from_store, "tag"),
            registry_manifest_digest(*registry_, "ship/interop", "1"));
  auto config_of = [](const std::string& layout, const std::string& digest) {
    if (digest.size() < 8) return json();
    json manifest = parse_json(read_file(layout + "/blobs/sha256/" + digest.substr(7)));
    return manifest.is_object() ? manifest["config"] : json();
  };
  EXPECT_EQ(config_of(from_registry, manifest_digest_of_layout(from_registry, "tag")),
            config_of(from_store, manifest_digest_of_layout(from_store, "tag")));

  std::string why;
  auto skopeo_tree = umoci_tree(env, from_registry, "tag", env.dir() + "/bundle-skopeo", &why);
  ASSERT_FALSE(skopeo_tree.empty()) << why;
  auto krill_tree = umoci_tree(env, from_store, "tag", env.dir() + "/bundle-krill", &why);
  ASSERT_FALSE(krill_tree.empty()) << why;
  EXPECT_EQ(tree_difference(krill_tree, skopeo_tree), "");
  // And both are the rootfs the tarball was made from.
  EXPECT_EQ(tree_difference(file_tree(env.dir() + "/busybox-rootfs"), skopeo_tree), "");
  EXPECT_EQ(skopeo_tree["/bin/sh"], "l 0777 -> busybox");
  EXPECT_EQ(skopeo_tree["/tmp"], "d 1777");
}

// skopeo pushes a hand-built OCI layout (gzip layer); krill pulls it with the same manifest,
// config and layers, and exports the same tree.
TEST_F(ShipInterop, KrillPullsWhatSkopeoPushed) {
  ShipEnv env("interop-pull");
  const std::string tar = make_busybox_tarball(env.dir());
  ASSERT_FALSE(tar.empty());
  const std::string layout = env.dir() + "/layout";
  const std::string digest = write_oci_layout(layout, "v1", {{tar, /*gzip=*/true}});
  ASSERT_FALSE(digest.empty());
  const std::string remote = registry_->host() + "/ship/from-skopeo:v1";
  CommandResult r = env.skopeo(
      {"copy", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://" + remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  ASSERT_EQ(registry_manifest_digest(*registry_, "ship/from-skopeo", "v1"), digest);

  r = env.krill({"pull", "--tls-verify=false", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  json manifest = parse_json(read_file(layout + "/blobs/sha256/" + digest.substr(7)));
  const std::string config_digest = manifest["config"]["digest"];
  json config = parse_json(read_file(layout + "/blobs/sha256/" + config_digest.substr(7)));
  json inspected = env.inspect(remote);
  ASSERT_TRUE(inspected.is_object());
  EXPECT_EQ(inspected.value("Digest", ""), digest);
  EXPECT_EQ("sha256:" + inspected.value("Id", ""), config_digest);
  EXPECT_EQ(inspected["RootFS"]["Layers"], config["rootfs"]["diff_ids"]) << inspected.dump(2);
  EXPECT_EQ(inspected["Config"]["Cmd"], config["config"]["Cmd"]) << inspected.dump(2);
  // The registry-side view krill gives without pulling agrees.
  r = env.krill({"image", "inspect", "--raw", "--tls-verify=false", "docker://" + remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(parse_json(r.out), manifest);

  // Exported from the store and unpacked by umoci: the source tree.
  const std::string exported = env.dir() + "/exported";
  r = env.krill({"image", "copy", "-q", "containers-storage:" + remote, "oci:" + exported + ":x"});
  ASSERT_TRUE(r.ok()) << r.describe();
  std::string why;
  auto tree = umoci_tree(env, exported, "x", env.dir() + "/bundle", &why);
  ASSERT_FALSE(tree.empty()) << why;
  EXPECT_EQ(tree_difference(file_tree(env.dir() + "/busybox-rootfs"), tree), "");
}

// podman with a private store (vfs) under the test's directory.
class PrivatePodman {
 public:
  explicit PrivatePodman(const ShipEnv& env) : env_(env), dir_(env.dir() + "/podman") {}
  CommandResult operator()(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {
        "podman",      "--root",           dir_ + "/root", "--runroot",
        dir_ + "/run", "--tmpdir",         dir_ + "/tmp",  "--storage-driver",
        "vfs",         "--cgroup-manager", "cgroupfs",     "--events-backend",
        "file"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandOptions options;
    options.timeout = std::chrono::seconds(120);
    return env_.run(argv, options);
  }

 private:
  const ShipEnv& env_;
  std::string dir_;
};

TEST(ShipPodman, PodmanLoadsKrillSaveAndKrillLoadsPodmanSave) {
  if (!have_program("podman")) GTEST_SKIP() << "podman is not installed";
  ShipEnv env("podman");
  PrivatePodman podman(env);
  const std::string tar = make_busybox_tarball(env.dir());
  ASSERT_FALSE(tar.empty());

  // krill save (docker-archive) → podman load.
  CommandResult r = env.krill({"import", tar, "localhost/ship-saved:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json krill_image = env.inspect("localhost/ship-saved:1");
  ASSERT_TRUE(krill_image.is_object());
  const std::string archive = env.dir() + "/krill-saved.tar";
  r = env.krill({"save", "-o", archive, "localhost/ship-saved:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = podman({"load", "-i", archive});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = podman({"image", "inspect", "localhost/ship-saved:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json podman_image = parse_json(r.out);
  ASSERT_TRUE(podman_image.is_array() && podman_image.size() == 1) << r.out;
  EXPECT_EQ(podman_image[0].value("Id", ""), krill_image.value("Id", ""));
  EXPECT_EQ(podman_image[0]["RootFS"]["Layers"], krill_image["RootFS"]["Layers"]);

  // podman import + save → krill load.
  r = podman({"import", tar, "localhost/ship-podman:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = podman({"image", "inspect", "localhost/ship-podman:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json podman_made = parse_json(r.out);
  ASSERT_TRUE(podman_made.is_array() && podman_made.size() == 1) << r.out;
  for (const char* format : {"docker-archive", "oci-archive"}) {
    SCOPED_TRACE(format);
    const std::string podman_archive = env.dir() + "/podman-" + format + ".tar";
    r = podman({"save", "--format", format, "-o", podman_archive, "localhost/ship-podman:1"});
    ASSERT_TRUE(r.ok()) << r.describe();
    ShipEnv loader(std::string("load-") + format);
    r = loader.krill({"load", "-i", podman_archive});
    ASSERT_TRUE(r.ok()) << r.describe();
    std::vector<std::string> ids = loader.image_ids();
    ASSERT_EQ(ids.size(), 1u) << loader.images().dump(2);
    EXPECT_EQ(ids[0], podman_made[0].value("Id", ""));
    json loaded = loader.inspect(ids[0]);
    ASSERT_TRUE(loaded.is_object());
    EXPECT_EQ(loaded["RootFS"]["Layers"], podman_made[0]["RootFS"]["Layers"]);
    r = loader.krill({"system", "check"});
    EXPECT_TRUE(r.ok()) << r.describe();
  }
  // The docker-archive names the image: krill keeps the name.
  ShipEnv named("load-named");
  r = named.krill({"load", "-i", env.dir() + "/podman-docker-archive.tar"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(named.inspect("localhost/ship-podman:1").is_object())
      << named.krill({"images"}).describe();
}

}  // namespace
}  // namespace krill::it::ship
