// Ship (issue 3): `krill image copy SRC DST` for every ordered pair of transports (docker://,
// oci:, oci-archive:, docker-archive:, dir:, containers-storage:), same-kind pairs included
// (another location of the same kind).
//
// Each case puts one two-layer image (a gzip busybox layer and a plain tar layer) into the source
// kind, copies it to the destination kind and reads the destination back into a fresh store.
// The image id (config digest) and the layers' diffIDs must survive every pair; as the store
// checks each layer's diffID against the config while extracting it, equal ids mean equal layer
// content. The manifest digest must be kept exactly when the destination takes the source's
// manifest type:
//   - oci: and oci-archive: take OCI manifests only, docker-archive: Docker schema2 only, dir:,
//     docker:// and the store take both;
//   - every source holds the OCI manifest it was given, except docker-archive:, which has no
//     manifest of its own (krill synthesises a schema2 one from manifest.json).
// So docker-archive: → oci:/oci-archive: and anything else → docker-archive: convert; every
// other pair keeps the digest.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <tuple>

#include "ship_harness.h"
#include "ship_suite_registry.h"

namespace krill::it::ship {
namespace {

constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

enum class Kind { kDocker, kOci, kOciArchive, kDockerArchive, kDir, kStore };

constexpr Kind kAllKinds[] = {Kind::kDocker,        Kind::kOci, Kind::kOciArchive,
                              Kind::kDockerArchive, Kind::kDir, Kind::kStore};

std::string kind_name(Kind kind) {
  switch (kind) {
    case Kind::kDocker:
      return "docker";
    case Kind::kOci:
      return "oci";
    case Kind::kOciArchive:
      return "oci_archive";
    case Kind::kDockerArchive:
      return "docker_archive";
    case Kind::kDir:
      return "dir";
    case Kind::kStore:
      return "containers_storage";
  }
  return "?";
}

// For gtest's messages ("where GetParam() = ...").
void PrintTo(Kind kind, std::ostream* out) { *out << kind_name(kind); }

bool takes_oci(Kind kind) { return kind != Kind::kDockerArchive; }
bool takes_docker_schema2(Kind kind) { return kind != Kind::kOci && kind != Kind::kOciArchive; }

// The manifest type an image put into `kind` from an OCI layout reads back as.
const char* source_manifest_type(Kind kind) {
  return kind == Kind::kDockerArchive ? kDockerManifest : kOciManifest;
}

bool keeps_manifest(Kind from, Kind to) {
  return source_manifest_type(from) == kOciManifest ? takes_oci(to) : takes_docker_schema2(to);
}

// The image every case starts from, as an OCI layout in `env`'s directory.
struct Seed {
  std::string layout;
  std::string reference;  // oci:DIR:v1
  std::string manifest_digest;
  std::vector<std::string> layer_digests;
  std::string id;  // the config's hex digest, as `image inspect` shows it
  json diff_ids;
};

Seed make_seed(const ShipEnv& env, std::string* why) {
  Seed seed;
  const std::string busybox = make_busybox_tarball(env.dir());
  const std::string second = env.dir() + "/second-layer.tar";
  if (busybox.empty() ||
      !write_file(second, make_tar({tar_file("etc/second", "second layer\n", 0600),
                                    tar_symlink("etc/second-link", "second")}))) {
    *why = "could not make the layer tarballs";
    return seed;
  }
  const std::string layout = env.dir() + "/seed";
  seed.manifest_digest = write_oci_layout(layout, "v1", {{busybox, true}, {second, false}});
  if (seed.manifest_digest.empty()) {
    *why = "could not write the seed layout";
    return seed;
  }
  json manifest = parse_json(read_file(layout + "/blobs/sha256/" + seed.manifest_digest.substr(7)));
  const std::string config_digest = manifest["config"]["digest"];
  json config = parse_json(read_file(layout + "/blobs/sha256/" + config_digest.substr(7)));
  for (const auto& layer : manifest["layers"]) seed.layer_digests.push_back(layer["digest"]);
  seed.layout = layout;
  seed.reference = "oci:" + layout + ":v1";
  seed.id = config_digest.substr(7);
  seed.diff_ids = config["rootfs"]["diff_ids"];
  return seed;
}

// Where a case keeps its image of `kind`; `role` ("src", "dst") makes same-kind pairs use two
// places. Registry repositories are named after the case, as the registry is shared by the suite.
std::string location(Kind kind, const ShipEnv& env, const std::string& role,
                     const Registry* registry) {
  const std::string& d = env.dir();
  std::string case_name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  case_name = case_name.substr(case_name.find('/') + 1);
  switch (kind) {
    case Kind::kDocker:
      return "docker://" + registry->host() + "/matrix/" + case_name + "-" + role + ":1";
    case Kind::kOci:
      return "oci:" + d + "/" + role + "-layout:" + role;
    case Kind::kOciArchive:
      return "oci-archive:" + d + "/" + role + ".oci.tar:" + role;
    case Kind::kDockerArchive:
      return "docker-archive:" + d + "/" + role + ".docker.tar:localhost/matrix-" + role + ":1";
    case Kind::kDir:
      return "dir:" + d + "/" + role + "-dir";
    case Kind::kStore:
      return "containers-storage:localhost/matrix-" + role + ":1";
  }
  return "";
}

CommandResult copy(const ShipEnv& env, const std::string& from, const std::string& to) {
  return env.krill(
      {"image", "copy", "-q", "--src-tls-verify=false", "--dest-tls-verify=false", from, to});
}

// For SetUp: skips a case that needs the registry when docker-registry is not installed (gtest
// runs no test body after a skip or fatal failure in SetUp).
void require_registry_for(std::initializer_list<Kind> kinds, const Registry* registry) {
  for (Kind kind : kinds) {
    if (kind != Kind::kDocker) continue;
    if (!registry) GTEST_SKIP() << "docker-registry is not installed";
    ASSERT_TRUE(registry->ok()) << registry->error();
    return;
  }
}

class ShipMatrix : public WithSuiteRegistry<::testing::TestWithParam<std::tuple<Kind, Kind>>> {
 protected:
  void SetUp() override {
    auto [from, to] = GetParam();
    require_registry_for({from, to}, registry_);
  }
};

TEST_P(ShipMatrix, CopyKeepsTheImageAndTheDigestWhereNoConversionIsNeeded) {
  const auto [from, to] = GetParam();
  // `source_env` holds the seed (and the source image when it is in the store); a copy into the
  // store runs in `destination_env`, whose store starts empty, unless both ends are the store.
  ShipEnv source_env("matrix-src");
  ShipEnv destination_env("matrix-dst");
  std::string why;
  const Seed seed = make_seed(source_env, &why);
  ASSERT_FALSE(seed.reference.empty()) << why;

  const std::string source = location(from, source_env, "src", registry_);
  CommandResult r = copy(source_env, seed.reference, source);
  ASSERT_TRUE(r.ok()) << "putting the seed into " << source << ":\n" << r.describe();
  RawManifest source_manifest = raw_manifest(source_env, source);
  ASSERT_TRUE(source_manifest.result.ok()) << source_manifest.result.describe();
  ASSERT_EQ(source_manifest.manifest.value("mediaType", ""), source_manifest_type(from))
      << source << " reads back as:\n"
      << source_manifest.result.out;
  if (from != Kind::kDockerArchive)
    ASSERT_EQ(source_manifest.digest, seed.manifest_digest)
        << "putting the seed into " << source << " changed its manifest";

  const ShipEnv& copier = to == Kind::kStore && from != Kind::kStore ? destination_env : source_env;
  const std::string destination = location(to, copier, "dst", registry_);
  r = copy(copier, source, destination);
  ASSERT_TRUE(r.ok()) << r.describe();

  RawManifest written = raw_manifest(copier, destination);
  ASSERT_TRUE(written.result.ok()) << written.result.describe();
  const std::string written_type = written.manifest.value("mediaType", "");
  if (keeps_manifest(from, to)) {
    EXPECT_EQ(written.digest, source_manifest.digest)
        << "no conversion is needed, so the manifest must be copied as it is; " << destination
        << " has:\n"
        << written.result.out << "\nthe source had:\n"
        << source_manifest.result.out;
  } else {
    EXPECT_NE(written.digest, source_manifest.digest)
        << destination << " cannot take " << source_manifest_type(from);
    EXPECT_EQ(written_type, takes_oci(to) ? kOciManifest : kDockerManifest) << written.result.out;
  }
  EXPECT_EQ(written.manifest["config"].value("digest", ""), "sha256:" + seed.id)
      << written.result.out;

  // Read back through the store: a fresh one unless the destination is a store already.
  ShipEnv reader_env("matrix-read");
  const ShipEnv* reader = &copier;
  std::string read_back = destination.substr(std::string("containers-storage:").size());
  if (to != Kind::kStore) {
    reader = &reader_env;
    read_back = "localhost/matrix-read-back:1";
    r = copy(reader_env, destination, "containers-storage:" + read_back);
    ASSERT_TRUE(r.ok()) << "reading " << destination << " back:\n" << r.describe();
  }
  json image = reader->inspect(read_back);
  ASSERT_TRUE(image.is_object()) << reader->krill({"images"}).describe();
  EXPECT_EQ(image.value("Id", ""), seed.id) << image.dump(2);
  EXPECT_EQ(image["RootFS"]["Layers"], seed.diff_ids) << image.dump(2);
  EXPECT_EQ(image.value("Digest", ""), written.digest) << image.dump(2);
  EXPECT_EQ(image.value("ManifestType", ""), written_type) << image.dump(2);
  r = reader->krill({"system", "check"});
  EXPECT_TRUE(r.ok()) << r.describe();
}

INSTANTIATE_TEST_SUITE_P(ShipEveryPair, ShipMatrix,
                         ::testing::Combine(::testing::ValuesIn(kAllKinds),
                                            ::testing::ValuesIn(kAllKinds)),
                         [](const ::testing::TestParamInfo<std::tuple<Kind, Kind>>& info) {
                           return kind_name(std::get<0>(info.param)) + "_to_" +
                                  kind_name(std::get<1>(info.param));
                         });

// The entries of a directory.
std::set<std::string> directory_entries(const std::string& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    names.insert(entry.path().filename().string());
  return names;
}

// A copy that fails half-way (a layer of the source does not match its digest) says which blob,
// and leaves no image at the destination, whatever its kind, and no temp files.
class ShipMatrixFailure : public WithSuiteRegistry<::testing::TestWithParam<Kind>> {
 protected:
  void SetUp() override { require_registry_for({GetParam()}, registry_); }
};

TEST_P(ShipMatrixFailure, CorruptLayerFailsTheCopyAndLeavesNoImage) {
  const Kind to = GetParam();
  ShipEnv env("matrix-fail");
  std::string why;
  const Seed seed = make_seed(env, &why);
  ASSERT_FALSE(seed.reference.empty()) << why;
  // One byte of the plain second layer's file data changed, its size kept.
  const std::string& bad = seed.layer_digests.at(1);
  const std::string blob = seed.layout + "/blobs/sha256/" + bad.substr(7);
  std::string bytes = read_file(blob);
  const size_t at = bytes.find("second layer");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'S';
  ASSERT_TRUE(write_file(blob, bytes));

  env.images();  // the store exists before the copy
  const std::set<std::string> before = directory_entries(env.dir());
  const std::string destination = location(to, env, "dst", registry_);
  CommandResult r = copy(env, seed.reference, destination);
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("copy blob " + bad), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("digest mismatch"), std::string::npos) << r.describe();

  RawManifest left = raw_manifest(env, destination);
  EXPECT_FALSE(left.result.ok()) << "the failed copy left an image at " << destination << ":\n"
                                 << left.result.out;
  std::set<std::string> added;
  for (const auto& name : directory_entries(env.dir()))
    if (!before.contains(name)) added.insert(name);
  // oci: and dir: directories are made when the copy starts (as skopeo does), but hold no image.
  if (to == Kind::kOci) {
    EXPECT_EQ(added, std::set<std::string>{"dst-layout"});
    EXPECT_FALSE(path_exists(env.dir() + "/dst-layout/index.json"));
  } else if (to == Kind::kDir) {
    EXPECT_EQ(added, std::set<std::string>{"dst-dir"});
    EXPECT_FALSE(path_exists(env.dir() + "/dst-dir/manifest.json"));
  } else {
    EXPECT_EQ(added, std::set<std::string>{}) << "left next to the destination";
  }
  if (to == Kind::kStore) {
    EXPECT_EQ(env.image_ids(), std::vector<std::string>{}) << env.images().dump(2);
    r = env.krill({"system", "check"});
    EXPECT_TRUE(r.ok()) << r.describe();
  }
}

INSTANTIATE_TEST_SUITE_P(ShipEveryDestination, ShipMatrixFailure, ::testing::ValuesIn(kAllKinds),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           return "to_" + kind_name(info.param);
                         });

}  // namespace
}  // namespace krill::it::ship
