// Ship (issue 3) interop with Debian's peers: skopeo + umoci see the same image krill pushed,
// krill pulls what skopeo pushed, and podman and krill load each other's archives.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "ship_harness.h"
#include "ship_suite_registry.h"

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

class ShipInterop : public WithSuiteRegistry<> {
 protected:
  void SetUp() override {
    std::string missing;
    if (!have_tools({"docker-registry", "skopeo", "umoci"}, &missing))
      GTEST_SKIP() << missing << " is not installed";
    ASSERT_TRUE(registry_->ok()) << registry_->error();
  }
};

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

// The layers of an image whose upper layer changes the lower one in every way a layer can: a
// whiteout deletes a file, an opaque whiteout hides a directory's old content, and it adds a
// setuid file, a setgid file of another group, a hardlink and a symlink; the lower layer has
// files of a non-root owner.
std::vector<LayoutLayer> whiteout_layers(const std::string& dir) {
  const std::string lower = dir + "/lower.tar", upper = dir + "/upper.tar";
  write_file(
      lower,
      make_tar({tar_directory("etc/"), tar_file("etc/keep", "kept\n"),
                tar_file("etc/gone", "deleted by the upper layer\n"), tar_directory("opaque/"),
                tar_file("opaque/old", "hidden by the opaque whiteout\n"),
                tar_directory("opaque/sub/"), tar_file("opaque/sub/older", "hidden too\n"),
                tar_directory("home/"), owned_by(tar_directory("home/user/", 0700), 1000, 1000),
                owned_by(tar_file("home/user/notes", "a user's file\n", 0640), 1000, 1000)}));
  write_file(upper,
             make_tar({tar_directory("etc/"), tar_file("etc/.wh.gone", ""),
                       tar_directory("opaque/"), tar_file("opaque/.wh..wh..opq", ""),
                       tar_file("opaque/new", "after the opaque whiteout\n"), tar_directory("usr/"),
                       tar_directory("usr/bin/"),
                       tar_file("usr/bin/tool", "#!/bin/sh\necho tool\n", 04755),
                       tar_hardlink("usr/bin/tool-hardlink", "usr/bin/tool"),
                       tar_symlink("usr/bin/tool-link", "tool"),
                       owned_by(tar_file("usr/bin/group-tool", "setgid\n", 02750), 0, 1000)}));
  return {{lower, /*gzip=*/true}, {upper, /*gzip=*/false}};
}

// skopeo pushes that image; the rootfs of a container krill creates from its pull (krill export,
// extracted keeping owners) is the tree umoci unpacks from the same registry image: types, modes,
// owners, content and hardlinks.
TEST_F(ShipInterop, KrillAndUmociApplyWhiteoutsAndKeepOwnersAlike) {
  if (::geteuid() != 0) GTEST_SKIP() << "owners can only be kept as root";
  ShipEnv env("interop-tree");
  const std::string layout = env.dir() + "/layout";
  ASSERT_FALSE(write_oci_layout(layout, "v1", whiteout_layers(env.dir())).empty());
  const std::string remote = registry_->host() + "/ship/whiteouts:v1";
  CommandResult r = env.skopeo(
      {"copy", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://" + remote});
  ASSERT_TRUE(r.ok()) << r.describe();

  r = env.krill({"pull", "-q", "--tls-verify=false", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = env.krill({"create", "--name", "tree", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  const std::string exported = env.dir() + "/exported.tar";
  r = env.krill({"export", "-o", exported, "tree"});
  ASSERT_TRUE(r.ok()) << r.describe();
  const std::string krill_rootfs = env.dir() + "/krill-rootfs";
  std::filesystem::create_directories(krill_rootfs);
  r = env.run({"tar", "--numeric-owner", "--same-owner", "-xpf", exported, "-C", krill_rootfs});
  ASSERT_TRUE(r.ok()) << r.describe();

  const std::string pulled = env.dir() + "/umoci-layout";
  r = env.skopeo({"copy", "--src-tls-verify=false", "docker://" + remote, "oci:" + pulled + ":v1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = env.run({"umoci", "unpack", "--image", pulled + ":v1", env.dir() + "/bundle"});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto umoci = file_tree(env.dir() + "/bundle/rootfs", kEveryTreeDetail);
  auto krill = file_tree(krill_rootfs, kEveryTreeDetail);
  EXPECT_EQ(tree_difference(umoci, krill), "") << "expected: umoci's rootfs; got: krill's";

  // And umoci's tree is the one the layers describe (so that agreeing is not agreeing on wrong).
  for (const char* gone :
       {"/etc/gone", "/etc/.wh.gone", "/opaque/old", "/opaque/sub", "/opaque/.wh..wh..opq"})
    EXPECT_FALSE(umoci.contains(gone)) << gone;
  EXPECT_TRUE(umoci.contains("/opaque/new"));
  EXPECT_TRUE(umoci["/etc/keep"].starts_with("f 0644 0:0 5 ")) << umoci["/etc/keep"];
  EXPECT_TRUE(umoci["/usr/bin/tool"].starts_with("f 4755 0:0 ")) << umoci["/usr/bin/tool"];
  EXPECT_TRUE(umoci["/usr/bin/tool"].ends_with(" =/usr/bin/tool")) << umoci["/usr/bin/tool"];
  EXPECT_TRUE(umoci["/usr/bin/tool-hardlink"].ends_with(" =/usr/bin/tool"));
  EXPECT_EQ(umoci["/usr/bin/tool-link"], "l 0777 0:0 -> tool");
  EXPECT_TRUE(umoci["/usr/bin/group-tool"].starts_with("f 2750 0:1000 "));
  EXPECT_EQ(umoci["/home/user"], "d 0700 1000:1000");
  EXPECT_TRUE(umoci["/home/user/notes"].starts_with("f 0640 1000:1000 "));
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

// podman's view of an image: its id and layers, or an error in `why`.
json podman_image(const PrivatePodman& podman, const std::string& name, std::string* why) {
  CommandResult r = podman({"image", "inspect", name});
  json parsed = parse_json(r.out);
  if (!r.ok() || !parsed.is_array() || parsed.size() != 1) {
    *why = r.describe();
    return json();
  }
  return parsed[0];
}

// podman reads what `krill save` writes: an oci-archive of one image (podman load), a
// multi-image docker-archive (podman load restores both names) and a multi-image oci-archive
// (podman 4 loads no such archive, "more than one image in oci", but pulls each image from it
// by name).
TEST(ShipPodman, PodmanReadsKrillsOciArchivesAndMultiImageArchives) {
  if (!have_program("podman")) GTEST_SKIP() << "podman is not installed";
  ShipEnv env("podman-multi");
  std::string why;
  const std::string id_a = import_busybox(env, "localhost/krill-a:1", &why);
  ASSERT_FALSE(id_a.empty()) << why;
  const std::string id_b =
      import_tar(env, {tar_file("b-only", "image b\n")}, "localhost/krill-b:2", &why);
  ASSERT_FALSE(id_b.empty()) << why;
  const std::map<std::string, std::string> ids = {{"localhost/krill-a:1", id_a},
                                                  {"localhost/krill-b:2", id_b}};

  const std::string single = env.dir() + "/single.oci.tar";
  CommandResult r =
      env.krill({"save", "-q", "--format", "oci-archive", "-o", single, "localhost/krill-a:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  {
    ShipEnv podman_env("pm1");  // podman wants a runroot of at most 50 characters
    PrivatePodman podman(podman_env);
    r = podman({"load", "-i", single});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(podman_image(podman, "localhost/krill-a:1", &why).value("Id", ""), id_a) << why;
  }
  for (const char* format : {"docker-archive", "oci-archive"}) {
    SCOPED_TRACE(format);
    const std::string archive = env.dir() + "/multi-" + format + ".tar";
    r = env.krill({"save", "-q", "-m", "--format", format, "-o", archive, "localhost/krill-a:1",
                   "localhost/krill-b:2"});
    ASSERT_TRUE(r.ok()) << r.describe();
    ShipEnv podman_env(std::string("pm-") + format[0]);
    PrivatePodman podman(podman_env);
    // podman pull reads $REGISTRY_AUTH_FILE even for an archive, and refuses a missing one.
    ASSERT_TRUE(write_file(podman_env.auth_file(), R"({"auths":{}})"));
    if (std::string(format) == "docker-archive") {
      r = podman({"load", "-i", archive});
      ASSERT_TRUE(r.ok()) << r.describe();
    }
    for (const auto& [name, id] : ids) {
      if (std::string(format) == "oci-archive") {
        r = podman({"pull", "-q", "oci-archive:" + archive + ":" + name});
        ASSERT_TRUE(r.ok()) << r.describe();
      }
      EXPECT_EQ(podman_image(podman, name, &why).value("Id", ""), id) << name << ": " << why;
    }
  }
}

}  // namespace
}  // namespace krill::it::ship
