// oci: — round trips, index.json maintenance, errors, and interop with skopeo and umoci.
#include <sys/stat.h>

#include "base/file_io.h"
#include "image_fixture.h"
#include "transport/dir_transport.h"
#include "transport/oci_layout_transport.h"

namespace krill::transport {
namespace {

using test::TestDir;
namespace mt = image::media_types;
using nlohmann::json;

TransportOptions opts() { return {}; }

void write_image(const std::string& ref, const test::TestImage& img) {
  test::MemorySource src(img);
  auto dst = open_oci_layout_destination(ref, opts());
  ASSERT_TRUE(dst) << dst.error().message();
  auto copied = test::copy_image(src, **dst);
  ASSERT_TRUE(copied) << copied.error().message();
}

void expect_same_image(ImageSource& src, const test::TestImage& img) {
  auto raw = src.manifest();
  ASSERT_TRUE(raw) << raw.error().message();
  EXPECT_EQ(raw->bytes, img.manifest_bytes);
  EXPECT_EQ(raw->media_type, img.media_type);
  EXPECT_EQ(raw->digest, image::sha256_of(img.manifest_bytes));
  auto config = test::read_blob_bytes(src, img.manifest.config);
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(*config, img.config);
  for (size_t i = 0; i < img.layers.size(); ++i) {
    auto layer = test::read_blob_bytes(src, img.manifest.layers[i]);
    ASSERT_TRUE(layer) << layer.error().message();
    EXPECT_EQ(*layer, img.layers[i]);
  }
}

void expect_required(const json& doc, const std::string& schema) {
  auto required = test::schema_required(schema);
  ASSERT_FALSE(required.empty()) << "schema " << schema << " not found in "
                                 << test::image_spec_schema_dir();
  for (const auto& r : required) EXPECT_TRUE(doc.contains(r)) << schema << " requires " << r;
}

TEST(OciLayout, RoundTripWithRef) {
  KRILL_SKIP_WITHOUT_SPECS(test::image_spec_schema_dir());
  TestDir t;
  auto img = test::make_test_image(false);
  write_image(t / "layout:v1", img);

  auto layout = read_file(t / "layout/oci-layout");
  ASSERT_TRUE(layout);
  EXPECT_EQ(json::parse(*layout), json::parse(R"({"imageLayoutVersion":"1.0.0"})"));
  expect_required(json::parse(*layout), "image-layout-schema.json");

  auto index_text = read_file(t / "layout/index.json");
  ASSERT_TRUE(index_text);
  json index = json::parse(*index_text);
  expect_required(index, "image-index-schema.json");
  ASSERT_EQ(index["manifests"].size(), 1u);
  expect_required(index["manifests"][0], "content-descriptor.json");
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "v1");
  EXPECT_EQ(index["manifests"][0]["mediaType"], mt::kOciManifest);
  EXPECT_TRUE(image::parse_index(*index_text));

  std::string hex = image::sha256_of(img.manifest_bytes).hex();
  auto manifest = read_file(t / ("layout/blobs/sha256/" + hex));
  ASSERT_TRUE(manifest);
  expect_required(json::parse(*manifest), "image-manifest-schema.json");
  struct stat st {};
  for (const auto& l : img.manifest.layers)
    EXPECT_EQ(::stat((t / ("layout/blobs/sha256/" + l.digest.hex())).c_str(), &st), 0);

  auto src = open_oci_layout_source(t / "layout:v1", opts());
  ASSERT_TRUE(src) << src.error().message();
  expect_same_image(**src, img);
  // Without a ref: the single image.
  auto single = open_oci_layout_source(t / "layout", opts());
  ASSERT_TRUE(single) << single.error().message();
  expect_same_image(**single, img);
}

TEST(OciLayout, IndexEntriesReplacedByRef) {
  TestDir t;
  auto one = test::make_test_image(false, "one");
  auto two = test::make_test_image(false, "two");
  write_image(t / "l:a", one);
  write_image(t / "l:a", two);  // replaces "a"
  write_image(t / "l:b", one);
  json index = json::parse(*read_file(t / "l/index.json"));
  ASSERT_EQ(index["manifests"].size(), 2u);
  auto a = open_oci_layout_source(t / "l:a", opts());
  ASSERT_TRUE(a);
  expect_same_image(**a, two);
  auto b = open_oci_layout_source(t / "l:b", opts());
  ASSERT_TRUE(b);
  expect_same_image(**b, one);

  auto ambiguous = open_oci_layout_source(t / "l", opts());
  ASSERT_FALSE(ambiguous);
  EXPECT_THAT(ambiguous.error().message(), testing::HasSubstr("index.json has 2 images"));

  // A destination without a ref adds an unnamed entry.
  write_image(t / "plain", one);
  json plain = json::parse(*read_file(t / "plain/index.json"));
  ASSERT_EQ(plain["manifests"].size(), 1u);
  EXPECT_FALSE(plain["manifests"][0].contains("annotations"));
}

TEST(OciLayout, Errors) {
  TestDir t;
  auto img = test::make_test_image(false);
  write_image(t / "l:v1", img);

  auto missing_ref = open_oci_layout_source(t / "l:nope", opts());
  ASSERT_FALSE(missing_ref);
  EXPECT_THAT(missing_ref.error().message(),
              testing::HasSubstr("no image named \"nope\" in index.json (names: v1)"));

  ASSERT_TRUE(mkdir_all(t / "empty", 0755));
  ASSERT_TRUE(write_file_atomic(t / "empty/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  auto no_index = open_oci_layout_source(t / "empty", opts());
  ASSERT_FALSE(no_index);
  EXPECT_THAT(no_index.error().message(), testing::HasSubstr("index.json"));
  EXPECT_THAT(no_index.error().message(), testing::HasSubstr("No such file"));

  auto no_layout = open_oci_layout_source(t / "nothing", opts());
  ASSERT_FALSE(no_layout);
  EXPECT_THAT(no_layout.error().message(), testing::HasSubstr("oci-layout"));

  // A corrupt blob: the read fails with a digest mismatch.
  const auto& layer = img.manifest.layers[1];
  std::string path = t / ("l/blobs/sha256/" + layer.digest.hex());
  std::string bytes = *read_file(path);
  bytes[bytes.size() / 2] ^= 1;
  ASSERT_TRUE(write_file_atomic(path, bytes));
  auto src = open_oci_layout_source(t / "l:v1", opts());
  ASSERT_TRUE(src);
  auto read = test::read_blob_bytes(**src, layer);
  ASSERT_FALSE(read);
  EXPECT_THAT(read.error().message(), testing::HasSubstr("digest mismatch"));
}

TEST(OciLayout, FailedCopyLeavesNothingVisible) {
  TestDir t;
  auto img = test::make_test_image(false);
  write_image(t / "l:v1", img);
  std::string before = *read_file(t / "l/index.json");

  auto other = test::make_test_image(false, "other");
  test::MemorySource src(other);
  src.corrupt(other.manifest.layers[0].digest);
  auto dst = open_oci_layout_destination(t / "l:v2", opts());
  ASSERT_TRUE(dst);
  auto copied = test::copy_image(src, **dst);
  ASSERT_FALSE(copied);
  EXPECT_THAT(copied.error().message(), testing::HasSubstr("digest mismatch"));
  EXPECT_EQ(*read_file(t / "l/index.json"), before);
  struct stat st {};
  EXPECT_NE(::stat((t / ("l/blobs/sha256/" + other.manifest.layers[0].digest.hex())).c_str(), &st),
            0);
  // No temp files left behind.
  auto listing = test::run("find " + t.path() + "/l -name '.krill-tmp*'");
  EXPECT_EQ(listing.output, "");
}

TEST(OciLayoutInterop, SkopeoInspectAndCopyToDir) {
  if (!test::have_tool("skopeo")) GTEST_SKIP() << "skopeo not installed";
  TestDir t;
  auto img = test::make_test_image(false);
  write_image(t / "l:v1", img);
  auto inspect = test::run("skopeo inspect oci:" + t.path() + "/l:v1");
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  json j = json::parse(inspect.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << inspect.output;
  EXPECT_EQ(j["Digest"], image::sha256_of(img.manifest_bytes).str());
  EXPECT_EQ(j["Layers"].size(), 2u);
  EXPECT_EQ(j["Labels"]["tag"], "one");

  auto copy = test::run("skopeo copy oci:" + t.path() + "/l:v1 dir:" + t.path() + "/out");
  ASSERT_EQ(copy.status, 0) << copy.output;
  auto src = open_dir_source(t / "out", opts());
  ASSERT_TRUE(src) << src.error().message();
  expect_same_image(**src, img);
}

TEST(OciLayoutInterop, UmociUnpack) {
  if (!test::have_tool("umoci")) GTEST_SKIP() << "umoci not installed";
  if (::geteuid() != 0) GTEST_SKIP() << "umoci unpack without --rootless needs root";
  TestDir t;
  auto img = test::make_test_image(false);
  write_image(t / "l:v1", img);
  auto unpack = test::run("umoci unpack --image " + t.path() + "/l:v1 " + t.path() + "/bundle");
  ASSERT_EQ(unpack.status, 0) << unpack.output;
  auto hello = read_file(t / "bundle/rootfs/etc/hello");
  ASSERT_TRUE(hello) << hello.error().message();
  EXPECT_EQ(*hello, "hello one\n");
  EXPECT_TRUE(read_file(t / "bundle/rootfs/etc/world"));
  EXPECT_TRUE(read_file(t / "bundle/config.json"));
}

}  // namespace
}  // namespace krill::transport
