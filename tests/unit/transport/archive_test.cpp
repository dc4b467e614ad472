// oci-archive: and docker-archive: — round trips, multi-image archives, errors, and
// interop with skopeo and podman (a private store under a temp dir).
#include <sys/stat.h>

#include "base/file_io.h"
#include "image_fixture.h"
#include "transport/docker_archive_transport.h"
#include "transport/oci_archive_transport.h"
#include "transport/oci_layout_transport.h"
#include "transport/tar_stream.h"

namespace krill::transport {
namespace {

using nlohmann::json;
using test::TestDir;
namespace mt = image::media_types;

TransportOptions opts() { return {}; }

bool exists(const std::string& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

std::vector<std::string> dir_entries(const std::string& dir) {
  auto r = test::run("ls -A " + dir);
  std::vector<std::string> out;
  size_t i = 0;
  while (i < r.output.size()) {
    size_t j = r.output.find('\n', i);
    if (j == std::string::npos) j = r.output.size();
    if (j > i) out.push_back(r.output.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

Result<void> copy_into(const test::TestImage& img, Result<std::unique_ptr<ImageDestination>> dst) {
  if (!dst) return std::unexpected(dst.error());
  test::MemorySource src(img);
  return test::copy_image(src, **dst);
}

// ---- oci-archive ----

TEST(OciArchive, RoundTrip) {
  TestDir t;
  auto img = test::make_test_image(false);
  auto copied = copy_into(img, open_oci_archive_destination(t / "img.tar:v1", opts()));
  ASSERT_TRUE(copied) << copied.error().message();
  EXPECT_EQ(dir_entries(t.path()), std::vector<std::string>{"img.tar"});  // no temp leftovers

  auto layout = read_tar_member(t / "img.tar", "oci-layout");
  ASSERT_TRUE(layout) << layout.error().message();
  EXPECT_EQ(json::parse(*layout)["imageLayoutVersion"], "1.0.0");
  auto index = read_tar_member(t / "img.tar", "index.json");
  ASSERT_TRUE(index);
  EXPECT_TRUE(image::parse_index(*index));

  auto src = open_oci_archive_source(t / "img.tar:v1", opts());
  ASSERT_TRUE(src) << src.error().message();
  auto raw = (*src)->manifest();
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->bytes, img.manifest_bytes);
  auto layer = test::read_blob_bytes(**src, img.manifest.layers[1]);
  ASSERT_TRUE(layer);
  EXPECT_EQ(*layer, img.layers[1]);

  auto missing = open_oci_archive_source(t / "img.tar:v2", opts());
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), testing::HasSubstr("no image named \"v2\""));
  EXPECT_THAT(missing.error().message(), testing::HasSubstr(t / "img.tar"));
}

TEST(OciArchive, FailedCopyWritesNoFile) {
  TestDir t;
  auto img = test::make_test_image(false);
  test::MemorySource src(img);
  src.corrupt(img.manifest.layers[0].digest);
  {
    auto dst = open_oci_archive_destination(t / "img.tar", opts());
    ASSERT_TRUE(dst);
    auto copied = test::copy_image(src, **dst);
    ASSERT_FALSE(copied);
  }
  EXPECT_TRUE(dir_entries(t.path()).empty());
}

TEST(OciArchive, SkopeoReadsIt) {
  if (!test::have_tool("skopeo")) GTEST_SKIP() << "skopeo not installed";
  TestDir t;
  auto img = test::make_test_image(false);
  ASSERT_TRUE(copy_into(img, open_oci_archive_destination(t / "img.tar:v1", opts())));
  auto inspect = test::run("skopeo inspect oci-archive:" + t.path() + "/img.tar:v1");
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  EXPECT_EQ(json::parse(inspect.output)["Digest"], image::sha256_of(img.manifest_bytes).str());
  // And we read what skopeo writes.
  auto copy = test::run("skopeo copy oci-archive:" + t.path() +
                        "/img.tar:v1 oci-archive:" + t.path() + "/theirs.tar:x");
  ASSERT_EQ(copy.status, 0) << copy.output;
  auto src = open_oci_archive_source(t / "theirs.tar:x", opts());
  ASSERT_TRUE(src) << src.error().message();
  auto config = test::read_blob_bytes(**src, img.manifest.config);
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(*config, img.config);
}

// ---- docker-archive ----

void expect_docker_archive_image(ImageSource& src, const test::TestImage& img) {
  auto raw = src.manifest();
  ASSERT_TRUE(raw) << raw.error().message();
  EXPECT_EQ(raw->media_type, mt::kDockerManifest);
  auto m = image::parse_manifest(raw->bytes, raw->media_type);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->config.digest, img.manifest.config.digest);
  EXPECT_EQ(m->config.media_type, mt::kDockerConfig);
  auto config = test::read_blob_bytes(src, m->config);
  ASSERT_TRUE(config);
  EXPECT_EQ(*config, img.config);
  ASSERT_EQ(m->layers.size(), img.layer_tars.size());
  for (size_t i = 0; i < m->layers.size(); ++i) {
    EXPECT_EQ(m->layers[i].media_type, mt::kDockerLayer);
    EXPECT_EQ(m->layers[i].digest, image::sha256_of(img.layer_tars[i]));  // = diffID
    EXPECT_EQ(m->layers[i].size, static_cast<int64_t>(img.layer_tars[i].size()));
    auto bytes = test::read_blob_bytes(src, m->layers[i]);
    ASSERT_TRUE(bytes);
    EXPECT_EQ(*bytes, img.layer_tars[i]);
  }
}

TEST(DockerArchive, RoundTrip) {
  TestDir t;
  auto img = test::make_test_image(true);
  auto dst = open_docker_archive_destination(t / "img.tar:test/img:1", opts());
  ASSERT_TRUE(dst) << dst.error().message();
  EXPECT_EQ((*dst)->supported_manifest_types(),
            std::vector<std::string>{std::string(mt::kDockerManifest)});
  {
    test::MemorySource src(img);
    auto copied = test::copy_image(src, **dst);
    ASSERT_TRUE(copied) << copied.error().message();
  }
  dst->reset();
  EXPECT_EQ(dir_entries(t.path()), std::vector<std::string>{"img.tar"});

  auto manifest = read_tar_member(t / "img.tar", "manifest.json");
  ASSERT_TRUE(manifest) << manifest.error().message();
  json j = json::parse(*manifest);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["Config"], img.manifest.config.digest.hex() + ".json");
  EXPECT_EQ(j[0]["RepoTags"], json::array({"docker.io/test/img:1"}));
  EXPECT_EQ(j[0]["Layers"][0], image::sha256_of(img.layer_tars[0]).hex() + ".tar");

  auto listed = list_docker_archive(t / "img.tar");
  ASSERT_TRUE(listed) << listed.error().message();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].repo_tags, std::vector<std::string>{"docker.io/test/img:1"});

  for (std::string ref : {"", ":test/img:1", ":docker.io/test/img:1", ":@0"}) {
    auto src = open_docker_archive_source(t / "img.tar" + ref, opts());
    ASSERT_TRUE(src) << ref << ": " << src.error().message();
    expect_docker_archive_image(**src, img);
  }
  auto wrong = open_docker_archive_source(t / "img.tar:test/img:2", opts());
  ASSERT_FALSE(wrong);
  EXPECT_THAT(wrong.error().message(), testing::HasSubstr("no image tagged \"test/img:2\""));
  auto out_of_range = open_docker_archive_source(t / "img.tar:@1", opts());
  ASSERT_FALSE(out_of_range);
  EXPECT_THAT(out_of_range.error().message(), testing::HasSubstr("no image @1"));
}

TEST(DockerArchive, RejectsMismatchedDiffIdsAndOciManifests) {
  TestDir t;
  auto bad = test::make_test_image(true, "bad", /*bad_diff_ids=*/true);
  auto copied = copy_into(bad, open_docker_archive_destination(t / "bad.tar:a:1", opts()));
  ASSERT_FALSE(copied);
  EXPECT_THAT(copied.error().message(), testing::HasSubstr("rootfs.diff_ids do not match"));

  auto oci = test::make_test_image(false);
  auto refused = copy_into(oci, open_docker_archive_destination(t / "oci.tar:a:1", opts()));
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message(), testing::HasSubstr("not supported"));
  EXPECT_TRUE(dir_entries(t.path()).empty());  // no archive, no temp dirs

  ASSERT_TRUE(write_file_atomic(t / "notar", "hello"));
  auto not_tar = open_docker_archive_source(t / "notar", opts());
  ASSERT_FALSE(not_tar);
  auto missing = open_docker_archive_source(t / "missing.tar", opts());
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), testing::HasSubstr("No such file"));
}

TEST(DockerArchive, MultiImageWriter) {
  TestDir t;
  auto one = test::make_test_image(true, "one");
  auto two = test::make_test_image(true, "two");
  auto writer = DockerArchiveWriter::create(t / "multi.tar");
  ASSERT_TRUE(writer) << writer.error().message();
  for (auto [img, tags] : {std::pair{&one, std::vector<std::string>{"one:1", "one:latest"}},
                           std::pair{&two, std::vector<std::string>{"quay.io/x/two:2"}}}) {
    auto dst = (*writer)->add_image(tags);
    ASSERT_TRUE(dst) << dst.error().message();
    test::MemorySource src(*img);
    auto copied = test::copy_image(src, **dst);
    ASSERT_TRUE(copied) << copied.error().message();
  }
  EXPECT_FALSE(exists(t / "multi.tar"));  // nothing before finish()
  ASSERT_TRUE((*writer)->finish());
  writer->reset();
  EXPECT_EQ(dir_entries(t.path()), std::vector<std::string>{"multi.tar"});

  auto listed = list_docker_archive(t / "multi.tar");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].repo_tags,
            (std::vector<std::string>{"docker.io/library/one:1", "docker.io/library/one:latest"}));
  EXPECT_EQ((*listed)[1].repo_tags, std::vector<std::string>{"quay.io/x/two:2"});

  auto ambiguous = open_docker_archive_source(t / "multi.tar", opts());
  ASSERT_FALSE(ambiguous);
  EXPECT_THAT(ambiguous.error().message(), testing::HasSubstr("holds 2 images"));
  auto first = open_docker_archive_source(t / "multi.tar:one:latest", opts());
  ASSERT_TRUE(first) << first.error().message();
  expect_docker_archive_image(**first, one);
  auto second = open_docker_archive_source(t / "multi.tar:@1", opts());
  ASSERT_TRUE(second) << second.error().message();
  expect_docker_archive_image(**second, two);
}

TEST(DockerArchive, WriterWithoutFinishLeavesNothing) {
  TestDir t;
  auto one = test::make_test_image(true);
  {
    auto writer = DockerArchiveWriter::create(t / "multi.tar");
    ASSERT_TRUE(writer);
    auto dst = (*writer)->add_image({"one:1"});
    ASSERT_TRUE(dst);
    test::MemorySource src(one);
    ASSERT_TRUE(test::copy_image(src, **dst));
  }
  EXPECT_TRUE(dir_entries(t.path()).empty());
}

TEST(DockerArchiveInterop, SkopeoCopiesOursToOciLayout) {
  if (!test::have_tool("skopeo")) GTEST_SKIP() << "skopeo not installed";
  TestDir t;
  auto img = test::make_test_image(true);
  ASSERT_TRUE(copy_into(img, open_docker_archive_destination(t / "img.tar:test/img:1", opts())));
  auto copy = test::run("skopeo copy docker-archive:" + t.path() + "/img.tar oci:" + t.path() +
                        "/layout:back");
  ASSERT_EQ(copy.status, 0) << copy.output;
  auto src = open_oci_layout_source(t / "layout:back", opts());
  ASSERT_TRUE(src) << src.error().message();
  auto raw = (*src)->manifest();
  ASSERT_TRUE(raw);
  auto m = image::parse_manifest(raw->bytes, raw->media_type);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->layers.size(), 2u);
  auto config_bytes = test::read_blob_bytes(**src, m->config);
  ASSERT_TRUE(config_bytes);
  auto config = image::parse_image_config(*config_bytes);
  ASSERT_TRUE(config);
  EXPECT_EQ(config->rootfs.diff_ids[0], image::sha256_of(img.layer_tars[0]));
  EXPECT_EQ(config->rootfs.diff_ids[1], image::sha256_of(img.layer_tars[1]));
  EXPECT_EQ(config->config->labels.at("tag"), "one");
}

class PodmanStore {
 public:
  explicit PodmanStore(const TestDir& t)
      : base_("podman --root " + t.path() + "/root --runroot " + t.path() +
              "/runroot --storage-driver vfs --events-backend none --cgroup-manager cgroupfs "),
        root_(t.path() + "/root") {}
  ~PodmanStore() {
    // vfs layers are plain directories; `podman system reset` would touch more.
    (void)test::run(base_ + "rmi -a -f");
  }
  test::CommandResult operator()(const std::string& args) const { return test::run(base_ + args); }

 private:
  std::string base_;
  std::string root_;
};

TEST(DockerArchiveInterop, PodmanLoadsOursAndWeReadPodmanSave) {
  if (!test::have_tool("podman")) GTEST_SKIP() << "podman not installed";
  if (::geteuid() != 0) GTEST_SKIP() << "a private podman store is simplest as root";
  TestDir t;
  PodmanStore podman(t);
  auto img = test::make_test_image(true);
  ASSERT_TRUE(copy_into(img, open_docker_archive_destination(t / "ours.tar:test/img:1", opts())));
  auto load = podman("load -i " + t.path() + "/ours.tar");
  ASSERT_EQ(load.status, 0) << load.output;
  auto inspect = podman("image inspect docker.io/test/img:1");
  ASSERT_EQ(inspect.status, 0) << inspect.output;
  json info = json::parse(inspect.output, nullptr, false);
  ASSERT_TRUE(info.is_array()) << inspect.output;
  EXPECT_EQ(info[0]["Id"], img.manifest.config.digest.hex());
  EXPECT_EQ(info[0]["RootFS"]["Layers"].size(), 2u);

  // An image podman made itself, saved by podman, read by us.
  ASSERT_TRUE(write_file_atomic(t / "layer.tar", img.layer_tars[0]));
  auto import = podman("import " + t.path() + "/layer.tar localhost/imported:1");
  ASSERT_EQ(import.status, 0) << import.output;
  auto save =
      podman("save --format docker-archive -o " + t.path() + "/theirs.tar localhost/imported:1");
  ASSERT_EQ(save.status, 0) << save.output;
  auto listed = list_docker_archive(t / "theirs.tar");
  ASSERT_TRUE(listed) << listed.error().message();
  ASSERT_EQ(listed->size(), 1u);
  auto src = open_docker_archive_source(t / "theirs.tar:localhost/imported:1", opts());
  ASSERT_TRUE(src) << src.error().message();
  auto raw = (*src)->manifest();
  ASSERT_TRUE(raw);
  auto m = image::parse_manifest(raw->bytes, raw->media_type);
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_EQ(m->layers.size(), 1u);
  auto layer = test::read_blob_bytes(**src, m->layers[0]);
  ASSERT_TRUE(layer) << layer.error().message();
  auto config_bytes = test::read_blob_bytes(**src, m->config);
  ASSERT_TRUE(config_bytes);
  auto config = image::parse_image_config(*config_bytes);
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->rootfs.diff_ids.at(0), image::sha256_of(*layer));

  // And podman's archive round-trips through our destination into podman again.
  auto again = test::copy_image(
      **src, **open_docker_archive_destination(t / "again.tar:localhost/again:2", opts()));
  ASSERT_TRUE(again) << again.error().message();
  auto reload = podman("load -i " + t.path() + "/again.tar");
  ASSERT_EQ(reload.status, 0) << reload.output;
  EXPECT_EQ(podman("image exists localhost/again:2").status, 0);
}

}  // namespace
}  // namespace krill::transport
