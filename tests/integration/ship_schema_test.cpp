// Ship (issue 3): the oci: layouts krill writes validate against the image-spec JSON schemas
// (../shared/specs/image-spec/schema), checked by Debian's python3-jsonschema through
// oci_layout_validate.py: images copied from the store, from a registry, converted from a
// docker-archive, and an oci-archive written by `krill save`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>

#include "ship_harness.h"
#include "spec_dir.h"

namespace krill::it::ship {
namespace {

std::string schema_dir() {
  return (krill::spec_files::oci_spec_dir() / "image-spec/schema").string();
}
std::string validator() { return source_dir() + "/tests/integration/oci_layout_validate.py"; }

// Runs the validator on a layout directory.
CommandResult validate_layout(const std::string& layout) {
  return run_command({"/usr/bin/python3", validator(), schema_dir(), layout});
}

#define EXPECT_VALID_LAYOUT(layout)                                                        \
  do {                                                                                     \
    CommandResult v = validate_layout(layout);                                             \
    EXPECT_TRUE(v.ok()) << v.describe();                                                   \
    EXPECT_NE(v.out.find("valid: "), std::string::npos) << v.describe();                   \
    EXPECT_NE(v.out.find("ok: index.json -> "), std::string::npos) << "no image checked\n" \
                                                                   << v.describe();        \
  } while (0)

class ShipSchema : public ::testing::Test {
 protected:
  void SetUp() override {
    // Without the specs next to the checkout (or $KRILL_SPEC_DIR) there is nothing to check
    // against: skip, naming the path. The validator is part of the acceptance: a missing one fails.
    KRILL_SKIP_WITHOUT_SPECS(schema_dir() + "/image-manifest-schema.json");
    CommandResult probe = run_command({"/usr/bin/python3", "-c", "import jsonschema"});
    ASSERT_TRUE(probe.ok()) << "python3-jsonschema is missing (scripts/install-deps.sh)\n"
                            << probe.describe();
  }
};

TEST_F(ShipSchema, ValidatorRefusesBrokenLayouts) {
  // The check must be able to fail: a valid layout, then broken copies of it.
  ShipEnv env("schema-broken");
  const std::string tar = make_busybox_tarball(env.dir());
  ASSERT_FALSE(tar.empty());
  ASSERT_TRUE(env.krill({"import", tar, "localhost/schema-broken:1"}).ok());
  const std::string good = env.dir() + "/good";
  CommandResult r =
      env.krill({"image", "copy", "-q", "containers-storage:localhost/schema-broken:1",
                 "oci:" + good + ":t"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_VALID_LAYOUT(good);

  json index = parse_json(read_file(good + "/index.json"));
  ASSERT_TRUE(index.is_object());
  struct Breakage {
    std::string what;
    std::function<void(json&)> apply;
    std::string expected;  // in the validator's message
  };
  const std::vector<Breakage> breakages = {
      {"schemaVersion 1", [](json& j) { j["schemaVersion"] = 1; }, "schemaVersion"},
      {"bad media type", [](json& j) { j["manifests"][0]["mediaType"] = "not a type"; },
       "mediaType"},
      {"annotation not a string", [](json& j) { j["manifests"][0]["annotations"]["x"] = 1; },
       "annotations"},
      {"wrong size", [](json& j) { j["manifests"][0]["size"] = 1; }, "bytes"},
  };
  for (const auto& b : breakages) {
    SCOPED_TRACE(b.what);
    const std::string broken = env.dir() + "/broken";
    ASSERT_TRUE(run_command({"rm", "-rf", broken}).ok());
    ASSERT_TRUE(run_command({"cp", "-a", good, broken}).ok());
    json changed = index;
    b.apply(changed);
    write_file(broken + "/index.json", changed.dump());
    CommandResult v = validate_layout(broken);
    EXPECT_EQ(v.exit_code, 1) << v.describe();
    EXPECT_NE(v.err.find("invalid: "), std::string::npos) << v.describe();
    EXPECT_NE(v.err.find(b.expected), std::string::npos) << v.describe();
  }
  write_file(env.dir() + "/broken/index.json", index.dump());
  write_file(env.dir() + "/broken/oci-layout", R"({"imageLayoutVersion":"2.0.0"})");
  CommandResult v = validate_layout(env.dir() + "/broken");
  EXPECT_EQ(v.exit_code, 1) << v.describe();
  EXPECT_NE(v.err.find("imageLayoutVersion"), std::string::npos) << v.describe();
}

TEST_F(ShipSchema, LayoutsFromStoreRegistryAndDockerArchiveValidate) {
  if (!path_exists("/usr/bin/docker-registry")) GTEST_SKIP() << "docker-registry not installed";
  Registry registry;
  ASSERT_TRUE(registry.ok()) << registry.error();
  ShipEnv env("schema");
  const std::string d = env.dir();
  const std::string tar = make_busybox_tarball(d);
  ASSERT_FALSE(tar.empty());
  // A config with Cmd/Env/Labels (import --change); a multi-image layout (two refs in one
  // index.json).
  CommandResult r = env.krill({"import", "--change", "CMD [\"/bin/sh\"]", "--change", "ENV A=b",
                               "--change", "LABEL org.example=1", tar, "localhost/schema:1"});
  ASSERT_TRUE(r.ok()) << r.describe();

  // 1. From the store, two images into one layout.
  ASSERT_TRUE(env.krill({"tag", "localhost/schema:1", "localhost/schema:2"}).ok());
  for (const std::string tag : {"1", "2"}) {
    r = env.krill({"image", "copy", "-q", "containers-storage:localhost/schema:" + tag,
                   "oci:" + d + "/from-store:" + tag});
    ASSERT_TRUE(r.ok()) << r.describe();
  }
  EXPECT_VALID_LAYOUT(d + "/from-store");
  EXPECT_EQ(parse_json(read_file(d + "/from-store/index.json"))["manifests"].size(), 2u);

  // 2. From a registry (pushed by krill), including a v2s2 copy converted back to OCI.
  const std::string remote = registry.host() + "/schema/img:1";
  r = env.krill({"push", "--tls-verify=false", "localhost/schema:1", remote});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = env.krill({"image", "copy", "-q", "--src-tls-verify=false", "docker://" + remote,
                 "oci:" + d + "/from-registry:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_VALID_LAYOUT(d + "/from-registry");
  r = env.krill({"image", "copy", "-q", "--format", "v2s2", "--dest-tls-verify=false",
                 "containers-storage:localhost/schema:1",
                 "docker://" + registry.host() + "/schema/v2s2:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = env.krill({"image", "copy", "-q", "--src-tls-verify=false",
                 "docker://" + registry.host() + "/schema/v2s2:1", "oci:" + d + "/from-v2s2:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_VALID_LAYOUT(d + "/from-v2s2");

  // 3. Converted from a docker-archive (Docker media types, no OCI manifest of its own).
  r = env.krill({"save", "-o", d + "/image.docker.tar", "localhost/schema:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  r = env.krill({"image", "copy", "-q", "docker-archive:" + d + "/image.docker.tar",
                 "oci:" + d + "/from-docker-archive:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_VALID_LAYOUT(d + "/from-docker-archive");
  json converted = parse_json(read_file(d + "/from-docker-archive/index.json"));
  ASSERT_TRUE(converted.is_object());
  EXPECT_EQ(converted["manifests"][0].value("mediaType", ""),
            "application/vnd.oci.image.manifest.v1+json");

  // 4. An oci-archive from `krill save`: the layout inside the tar.
  r = env.krill(
      {"save", "--format", "oci-archive", "-o", d + "/image.oci.tar", "localhost/schema:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE(run_command({"mkdir", d + "/from-oci-archive"}).ok());
  r = run_command({"tar", "-xf", d + "/image.oci.tar", "-C", d + "/from-oci-archive"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_VALID_LAYOUT(d + "/from-oci-archive");
}

}  // namespace
}  // namespace krill::it::ship
