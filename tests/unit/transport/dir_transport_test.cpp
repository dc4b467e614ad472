// dir: — skopeo's directory format: round trip, layout on disk, errors, skopeo interop.
#include "transport/dir_transport.h"

#include <sys/stat.h>

#include "base/file_io.h"
#include "image_fixture.h"
#include "transport/oci_layout_transport.h"

namespace krill::transport {
namespace {

using nlohmann::json;
using test::TestDir;

TransportOptions opts() { return {}; }

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

TEST(DirTransport, RoundTrip) {
  TestDir t;
  auto img = test::make_test_image(false);
  {
    test::MemorySource src(img);
    auto dst = open_dir_destination(t / "d", opts());
    ASSERT_TRUE(dst) << dst.error().message();
    auto copied = test::copy_image(src, **dst);
    ASSERT_TRUE(copied) << copied.error().message();
  }
  EXPECT_EQ(*read_file(t / "d/version"), "Directory Transport Version: 1.1\n");
  EXPECT_EQ(*read_file(t / "d/manifest.json"), img.manifest_bytes);
  EXPECT_EQ(*read_file(t / ("d/" + img.manifest.config.digest.hex())), img.config);
  for (size_t i = 0; i < img.layers.size(); ++i)
    EXPECT_EQ(*read_file(t / ("d/" + img.manifest.layers[i].digest.hex())), img.layers[i]);

  auto src = open_dir_source(t / "d", opts());
  ASSERT_TRUE(src) << src.error().message();
  auto raw = (*src)->manifest();
  ASSERT_TRUE(raw) << raw.error().message();
  EXPECT_EQ(raw->bytes, img.manifest_bytes);
  EXPECT_EQ(raw->media_type, img.media_type);
  EXPECT_EQ(raw->digest, image::sha256_of(img.manifest_bytes));
  auto layer = test::read_blob_bytes(**src, img.manifest.layers[0]);
  ASSERT_TRUE(layer);
  EXPECT_EQ(*layer, img.layers[0]);

  // Overwriting an existing dir: image works (old contents go).
  auto docker = test::make_test_image(true, "two");
  test::MemorySource src2(docker);
  auto dst2 = open_dir_destination(t / "d", opts());
  ASSERT_TRUE(dst2) << dst2.error().message();
  ASSERT_TRUE(test::copy_image(src2, **dst2));
  EXPECT_EQ(*read_file(t / "d/manifest.json"), docker.manifest_bytes);
  EXPECT_FALSE(exists(t / ("d/" + img.manifest.layers[0].digest.hex())));
}

TEST(DirTransport, Errors) {
  TestDir t;
  ASSERT_TRUE(mkdir_all(t / "busy", 0755));
  ASSERT_TRUE(write_file_atomic(t / "busy/precious", "x"));
  auto refused = open_dir_destination(t / "busy", opts());
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), testing::HasSubstr("refusing to overwrite"));
  EXPECT_TRUE(exists(t / "busy/precious"));

  auto missing = open_dir_source(t / "nothing", opts());
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), testing::HasSubstr("manifest.json"));

  // A failed copy leaves no manifest.json; a corrupt blob is caught on reading.
  auto img = test::make_test_image(false);
  test::MemorySource bad(img);
  bad.corrupt(img.manifest.layers[1].digest);
  auto dst = open_dir_destination(t / "d", opts());
  ASSERT_TRUE(dst);
  auto copied = test::copy_image(bad, **dst);
  ASSERT_FALSE(copied);
  EXPECT_THAT(copied.error().message(), testing::HasSubstr("digest mismatch"));
  EXPECT_FALSE(exists(t / "d/manifest.json"));
  EXPECT_FALSE(exists(t / ("d/" + img.manifest.layers[1].digest.hex())));

  test::MemorySource good(img);
  ASSERT_TRUE(test::copy_image(good, **open_dir_destination(t / "e", opts())));
  std::string path = t / ("e/" + img.manifest.layers[0].digest.hex());
  std::string bytes = *read_file(path);
  bytes[10] ^= 1;
  ASSERT_TRUE(write_file_atomic(path, bytes));
  auto src = open_dir_source(t / "e", opts());
  ASSERT_TRUE(src);
  auto read = test::read_blob_bytes(**src, img.manifest.layers[0]);
  ASSERT_FALSE(read);
  EXPECT_THAT(read.error().message(), testing::HasSubstr("digest mismatch"));
}

TEST(DirTransport, SkopeoInterop) {
  if (!test::have_tool("skopeo")) GTEST_SKIP() << "skopeo not installed";
  TestDir t;
  auto img = test::make_test_image(true);
  test::MemorySource src(img);
  ASSERT_TRUE(test::copy_image(src, **open_dir_destination(t / "ours", opts())));
  auto inspect = test::run("skopeo inspect dir:" + t.path() + "/ours");
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  EXPECT_EQ(json::parse(inspect.output)["Digest"], image::sha256_of(img.manifest_bytes).str());
  // skopeo copies our dir: to another dir:; we read that back with the same digests.
  auto copy = test::run("skopeo copy dir:" + t.path() + "/ours dir:" + t.path() + "/theirs");
  ASSERT_EQ(copy.status, 0) << copy.output;
  auto theirs = open_dir_source(t / "theirs", opts());
  ASSERT_TRUE(theirs) << theirs.error().message();
  auto raw = (*theirs)->manifest();
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->bytes, img.manifest_bytes);
  auto config = test::read_blob_bytes(**theirs, img.manifest.config);
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(*config, img.config);
}

}  // namespace
}  // namespace krill::transport
