// Ship (issue 3): `krill save` / `krill load` with docker-archive and oci-archive: several images
// in one archive (`save -m`), each name restored by `load`, and an image saved by id loaded
// without a name and reported as podman does ("Loaded image: sha256:<id>").
#include <gtest/gtest.h>

#include "ship_harness.h"

namespace krill::it::ship {
namespace {

constexpr const char* kRefName = "org.opencontainers.image.ref.name";

// The names an archive gives its images, in order ("" for an unnamed one): RepoTags[0] of
// manifest.json, or the ref.name annotations of index.json.
std::vector<std::string> archive_names(const ShipEnv& env, const std::string& format,
                                       const std::string& archive) {
  const bool oci = format == "oci-archive";
  CommandResult r = env.run({"tar", "-xOf", archive, oci ? "index.json" : "manifest.json"});
  json document = parse_json(r.out);
  std::vector<std::string> names;
  const json entries = oci ? document.value("manifests", json::array()) : document;
  if (!entries.is_array()) return {"(no entries: " + r.describe() + ")"};
  for (const auto& entry : entries) {
    if (oci) {
      json annotations = entry.value("annotations", json::object());
      names.push_back(annotations.value(kRefName, ""));
    } else {
      json tags = entry.value("RepoTags", json::array());
      names.push_back(tags.empty() ? "" : tags[0].get<std::string>());
    }
  }
  return names;
}

class ShipSaveLoad : public ::testing::TestWithParam<std::string> {};

// save -m a b ID, then load into another store: both names and the unnamed image come back, and
// load says so in podman's words.
TEST_P(ShipSaveLoad, MultiImageArchiveRestoresEveryName) {
  const std::string format = GetParam();
  ShipEnv env("save-multi");
  std::string why;
  const std::string id_a = import_busybox(env, "localhost/multi-a:1", &why);
  ASSERT_FALSE(id_a.empty()) << why;
  const std::string id_b =
      import_tar(env, {tar_file("b-only", "image b\n")}, "localhost/multi-b:2", &why);
  ASSERT_FALSE(id_b.empty()) << why;
  const std::string id_c =
      import_tar(env, {tar_file("c-only", "image c, saved by id\n")}, "", &why);
  ASSERT_EQ(id_c.size(), 64u) << why;

  const std::string archive = env.dir() + "/multi." + format + ".tar";
  CommandResult r = env.krill({"save", "-q", "-m", "--format", format, "-o", archive,
                               "localhost/multi-a:1", "localhost/multi-b:2", id_c.substr(0, 12)});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(archive_names(env, format, archive),
            (std::vector<std::string>{"localhost/multi-a:1", "localhost/multi-b:2", ""}));
  // Nothing of the archive's making is left next to it.
  r = env.run({"sh", "-c", "ls -A " + env.dir() + " | grep krill || true"});
  EXPECT_EQ(r.out, "") << "temp files left next to the archive";

  ShipEnv loader("load-multi");
  r = loader.krill({"load", "-q", "-i", archive});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out,
            "Loaded image: localhost/multi-a:1\nLoaded image: localhost/multi-b:2\n"
            "Loaded image: sha256:" +
                id_c + "\n");
  EXPECT_EQ(loader.inspect("localhost/multi-a:1").value("Id", ""), id_a);
  EXPECT_EQ(loader.inspect("localhost/multi-b:2").value("Id", ""), id_b);
  json c = loader.inspect(id_c);
  ASSERT_TRUE(c.is_object()) << loader.krill({"images"}).describe();
  EXPECT_EQ(c.value("RepoTags", json::array()), json::array()) << c.dump(2);
  EXPECT_EQ(loader.image_ids().size(), 3u) << loader.images().dump(2);
  r = loader.krill({"system", "check"});
  EXPECT_TRUE(r.ok()) << r.describe();
}

// An image saved by id alone has no name in the archive; load reports its id.
TEST_P(ShipSaveLoad, LoadOfAnUnnamedImagePrintsItsId) {
  const std::string format = GetParam();
  ShipEnv env("save-unnamed");
  std::string why;
  const std::string id = import_busybox(env, "localhost/by-id:1", &why);
  ASSERT_FALSE(id.empty()) << why;
  const std::string archive = env.dir() + "/by-id.tar";
  CommandResult r = env.krill({"save", "-q", "--format", format, "-o", archive, id});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(archive_names(env, format, archive), std::vector<std::string>{""});

  ShipEnv loader("load-unnamed");
  r = loader.krill({"load", "-i", archive});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "Loaded image: sha256:" + id + "\n");
  EXPECT_EQ(loader.image_ids(), std::vector<std::string>{id});
}

INSTANTIATE_TEST_SUITE_P(ShipFormats, ShipSaveLoad,
                         ::testing::Values("docker-archive", "oci-archive"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param == "oci-archive" ? "OciArchive" : "DockerArchive";
                         });

}  // namespace
}  // namespace krill::it::ship
