// Ship (issue 3): `krill image copy` round trips through oci:, oci-archive:, dir: and
// docker-archive:, keeping the manifest digest when no conversion is needed; --format v2s2
// converts.
#include <gtest/gtest.h>

#include "ship_harness.h"

namespace krill::it::ship {
namespace {

constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";

TEST(ShipTransports, CopyRoundTripsKeepDigestsAndV2s2Converts) {
  ShipEnv env("transports");
  const std::string tar = make_busybox_tarball(env.dir());
  ASSERT_FALSE(tar.empty());
  CommandResult r = env.krill({"import", tar, "localhost/ship-copy:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json image = env.inspect("localhost/ship-copy:1");
  ASSERT_TRUE(image.is_object());
  const std::string digest = image.value("Digest", "");
  const std::string id = image.value("Id", "");
  ASSERT_FALSE(digest.empty()) << image.dump(2);

  // containers-storage → oci → oci-archive → dir → oci → containers-storage (another store).
  const std::string d = env.dir();
  const std::vector<std::string> chain = {
      "containers-storage:localhost/ship-copy:1", "oci:" + d + "/layout:t",
      "oci-archive:" + d + "/image.oci.tar:t", "dir:" + d + "/dir-copy",
      "oci:" + d + "/layout-again:t2"};
  for (size_t i = 0; i + 1 < chain.size(); ++i) {
    SCOPED_TRACE(chain[i] + " -> " + chain[i + 1]);
    r = env.krill({"image", "copy", "-q", "--preserve-digests", chain[i], chain[i + 1]});
    ASSERT_TRUE(r.ok()) << r.describe();
    RawManifest raw = raw_manifest(env, chain[i + 1]);
    ASSERT_TRUE(raw.result.ok()) << raw.result.describe();
    EXPECT_EQ(raw.digest, digest);
    EXPECT_EQ(raw.manifest.value("mediaType", ""), kOciManifest);
    json inspected = env.inspect(chain[i + 1]);
    EXPECT_EQ(inspected.value("Digest", ""), digest) << inspected.dump(2);
  }
  ShipEnv other("transports-back");
  r = other.krill({"image", "copy", "-q", chain.back(), "containers-storage:localhost/back:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json back = other.inspect("localhost/back:1");
  EXPECT_EQ(back.value("Digest", ""), digest) << back.dump(2);
  EXPECT_EQ(back.value("Id", ""), id);

  // docker-archive has no manifest of its own (Docker's manifest.json): the image id (config
  // digest) and the layers survive the round trip.
  const std::string docker_archive = d + "/image.docker.tar";
  r = env.krill({"image", "copy", "-q", chain[0],
                 "docker-archive:" + docker_archive + ":localhost/ship-copy:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  ShipEnv loaded("transports-docker");
  r = loaded.krill({"image", "copy", "-q", "docker-archive:" + docker_archive,
                    "containers-storage:localhost/from-docker-archive:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json from_docker = loaded.inspect("localhost/from-docker-archive:1");
  ASSERT_TRUE(from_docker.is_object());
  EXPECT_EQ(from_docker.value("Id", ""), id);
  EXPECT_EQ(from_docker["RootFS"]["Layers"], image["RootFS"]["Layers"]);
  r = loaded.krill({"load", "-i", docker_archive});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(loaded.image_ids(), std::vector<std::string>{id});

  // --format v2s2: a Docker schema 2 manifest with Docker media types, so a new digest; the
  // config blob is the same. --preserve-digests refuses that conversion.
  r = env.krill({"image", "copy", "-q", "--format", "v2s2", "--preserve-digests",
                 "oci:" + d + "/layout:t", "dir:" + d + "/refused"});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  r = env.krill(
      {"image", "copy", "-q", "--format", "v2s2", "oci:" + d + "/layout:t", "dir:" + d + "/v2s2"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json v2s2 = parse_json(read_file(d + "/v2s2/manifest.json"));
  ASSERT_TRUE(v2s2.is_object()) << read_file(d + "/v2s2/manifest.json");
  EXPECT_EQ(v2s2.value("mediaType", ""), kDockerManifest);
  EXPECT_EQ(v2s2["config"].value("mediaType", ""),
            "application/vnd.docker.container.image.v1+json");
  for (const auto& layer : v2s2["layers"])
    EXPECT_EQ(layer.value("mediaType", "").rfind("application/vnd.docker.image.rootfs.diff.tar", 0),
              0u)
        << layer.dump();
  EXPECT_EQ(v2s2["config"].value("digest", ""), "sha256:" + id);
  RawManifest converted = raw_manifest(env, "dir:" + d + "/v2s2");
  EXPECT_NE(converted.digest, digest);
  // And back to OCI, into another store: the image id is unchanged.
  ShipEnv reconverted("transports-oci");
  r = reconverted.krill({"image", "copy", "-q", "--format", "oci", "dir:" + d + "/v2s2",
                         "containers-storage:localhost/reconverted:1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json again = reconverted.inspect("localhost/reconverted:1");
  EXPECT_EQ(again.value("Id", ""), id);
  EXPECT_EQ(again.value("ManifestType", ""), kOciManifest) << again.dump(2);
  r = reconverted.krill({"system", "check"});
  EXPECT_TRUE(r.ok()) << r.describe();
}

}  // namespace
}  // namespace krill::it::ship
