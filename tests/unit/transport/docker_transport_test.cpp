// docker:// against two real docker-registry instances on 127.0.0.1, driven by the copy engine.
#include "transport/docker_transport.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>

#include "memory_image.h"
#include "registry_server.h"
#include "transport/copy.h"
#include "transport/registry_client.h"

namespace krill::transport {
namespace {

using namespace testing;
namespace mt = image::media_types;

class DockerTransport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto a = RegistryServer::start({});
    ASSERT_TRUE(a) << a.error().message();
    a_ = std::move(*a).release();
    auto b = RegistryServer::start({});
    ASSERT_TRUE(b) << b.error().message();
    b_ = std::move(*b).release();
    dir_ = new TempDir();
    conf_ = dir_->path() + "/registries.conf";
    std::ofstream f(conf_);
    f << "unqualified-search-registries = [\"" << a_->host() << "\"]\n"
      << "[[registry]]\nlocation = \"" << a_->host() << "\"\ninsecure = true\n"
      << "[[registry]]\nlocation = \"" << b_->host() << "\"\ninsecure = true\n"
      << "[[registry]]\nprefix = \"mirrored.invalid\"\nlocation = \"mirrored.invalid\"\n"
      << "[[registry.mirror]]\nlocation = \"" << a_->host() << "\"\ninsecure = true\n"
      << "[[registry]]\nlocation = \"blocked.invalid\"\nblocked = true\n";
  }
  static void TearDownTestSuite() {
    delete a_;
    delete b_;
    delete dir_;
    a_ = b_ = nullptr;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
    options_.registries_conf = conf_;
    options_.auth_file = dir_->path() + "/no-auth.json";
  }

  std::string a(const std::string& name) { return "docker://" + a_->host() + "/" + name; }
  std::string b(const std::string& name) { return "docker://" + b_->host() + "/" + name; }

  std::unique_ptr<ImageSource> source(const std::string& ref) {
    auto s = open_image_source(ref, options_);
    EXPECT_TRUE(s) << s.error().message();
    return s ? std::move(*s) : nullptr;
  }
  std::unique_ptr<ImageDestination> destination(const std::string& ref) {
    auto d = open_image_destination(ref, options_);
    EXPECT_TRUE(d) << d.error().message();
    return d ? std::move(*d) : nullptr;
  }

  // Pushes an in-memory image to `ref` (a docker:// reference).
  void push(const MemoryImage& img, const std::string& ref, bool all = false) {
    MemorySource src(img);
    auto dst = destination(ref);
    ASSERT_TRUE(dst);
    CopyOptions o;
    o.all = all;
    auto r = copy_image(src, *dst, o);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->manifest_digest, img.top);
  }

  Result<CopyResult> copy(const std::string& from, const std::string& to, CopyOptions o = {}) {
    auto s = open_image_source(from, options_);
    if (!s) return std::unexpected(s.error());
    auto d = open_image_destination(to, options_);
    if (!d) return std::unexpected(d.error());
    return copy_image(**s, **d, o);
  }

  static RegistryClient client(RegistryServer* server) {
    ClientOptions o;
    o.plain_http = true;
    o.auth_files = std::vector<std::string>{};
    return std::move(*RegistryClient::create(server->host(), o));
  }

  static RegistryServer* a_;
  static RegistryServer* b_;
  static TempDir* dir_;
  static std::string conf_;
  TransportOptions options_;
};

RegistryServer* DockerTransport::a_ = nullptr;
RegistryServer* DockerTransport::b_ = nullptr;
TempDir* DockerTransport::dir_ = nullptr;
std::string DockerTransport::conf_;

RawManifest add_index(MemoryImage& img,
                      const std::vector<std::pair<RawManifest, std::string>>& ms) {
  image::ImageIndex index;
  index.media_type = std::string(mt::kOciIndex);
  for (const auto& [m, arch] : ms) {
    image::Descriptor d;
    d.media_type = m.media_type;
    d.digest = m.digest;
    d.size = static_cast<int64_t>(m.bytes.size());
    d.platform = image::Platform{.architecture = arch, .os = "linux"};
    index.manifests.push_back(d);
  }
  return img.add_manifest(std::string(mt::kOciIndex), image::to_json(index));
}

TEST_F(DockerTransport, CopyBetweenRegistriesKeepsTheDigest) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 2, 20000, 21);
  push(img, a("round/trip:1"));
  auto r = copy(a("round/trip:1"), b("round/trip:copy"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->manifest_digest, m.digest);
  EXPECT_EQ(r->copied.size(), 3u);
  auto back = source(b("round/trip:copy"));
  ASSERT_TRUE(back);
  auto got = back->manifest({});
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->digest, m.digest);
  EXPECT_EQ(got->bytes, m.bytes);
  EXPECT_EQ(got->media_type, mt::kOciManifest);
  // And by digest.
  auto by_digest = source(b("round/trip@" + m.digest.str()));
  ASSERT_TRUE(by_digest);
  EXPECT_EQ(by_digest->manifest({})->digest, m.digest);
}

TEST_F(DockerTransport, FormatV2s2ConvertsAndIsPullableAsDocker) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 2, 20000, 22);
  push(img, a("conv/img:1"));
  CopyOptions o;
  o.format = "v2s2";
  auto r = copy(a("conv/img:1"), b("conv/img:docker"), o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_NE(r->manifest_digest, m.digest);
  EXPECT_EQ(r->manifest_media_type, mt::kDockerManifest);
  auto c = client(b_);
  auto f = c.get_manifest("conv/img", "docker", {std::string(mt::kDockerManifest)});
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->media_type, mt::kDockerManifest);
  EXPECT_EQ(f->digest, r->manifest_digest.str());
  auto parsed = image::parse_manifest(f->body, f->media_type);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->config.media_type, mt::kDockerConfig);
  for (const auto& l : parsed->layers) EXPECT_EQ(l.media_type, mt::kDockerLayerGzip);
  // The converted image copies back with its (new) digest kept.
  auto again = copy(b("conv/img:docker"), a("conv/img:docker"));
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->manifest_digest, r->manifest_digest);
  // --preserve-digests refuses the conversion.
  o.preserve_digests = true;
  auto refused = copy(a("conv/img:1"), b("conv/img:refused"), o);
  ASSERT_FALSE(refused);
  EXPECT_FALSE(c.head_manifest("conv/img", "refused", {}).value_or(std::nullopt));
}

TEST_F(DockerTransport, IndexPlatformSelectionAndAll) {
  MemoryImage img;
  auto amd = add_oci_image(img, "amd64", 1, 10000, 23);
  auto arm = add_oci_image(img, "arm64", 1, 10000, 24);
  auto index = add_index(img, {{amd, "amd64"}, {arm, "arm64"}});
  push(img, a("multi/img:1"), /*all=*/true);

  CopyOptions one;
  one.platform = image::Platform{.architecture = "arm64", .os = "linux"};
  auto r = copy(a("multi/img:1"), b("multi/img:arm"), one);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->manifest_digest, arm.digest);
  EXPECT_EQ(source(b("multi/img:arm"))->manifest({})->digest, arm.digest);

  CopyOptions all;
  all.all = true;
  auto r2 = copy(a("multi/img:1"), b("multi/img:all"), all);
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_EQ(r2->manifest_digest, index.digest);
  auto back = source(b("multi/img:all"));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->manifest({})->digest, index.digest);
  auto child = back->manifest(amd.digest);
  ASSERT_TRUE(child) << child.error().message();
  EXPECT_EQ(child->bytes, amd.bytes);
}

TEST_F(DockerTransport, SecondCopySkipsEveryBlob) {
  MemoryImage img;
  add_oci_image(img, "amd64", 2, 20000, 25);
  push(img, a("skip/img:1"));
  auto r1 = copy(a("skip/img:1"), b("skip/img:1"));
  ASSERT_TRUE(r1) << r1.error().message();
  EXPECT_EQ(r1->copied.size(), 3u);
  auto r2 = copy(a("skip/img:1"), b("skip/img:1"));
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_TRUE(r2->copied.empty());
  EXPECT_EQ(r2->skipped.size(), 3u);
}

TEST_F(DockerTransport, FailureMidBlobTagsNothing) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 2, 300000, 26);
  auto parsed = image::parse_manifest(m.bytes);
  MemorySource src(img);
  src.fail_digest = parsed->layers[1].digest;
  src.fail_after = 100000;
  auto dst = destination(b("broken/img:1"));
  ASSERT_TRUE(dst);
  auto r = copy_image(src, *dst, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find(parsed->layers[1].digest.str()), std::string::npos)
      << r.error().message();
  EXPECT_NE(r.error().message().find("docker://" + b_->host() + "/broken/img:1"), std::string::npos)
      << r.error().message();
  auto c = client(b_);
  auto head = c.head_manifest("broken/img", "1", {std::string(mt::kOciManifest)});
  ASSERT_TRUE(head) << head.error().message();
  EXPECT_FALSE(*head);
  auto exists = c.blob_exists("broken/img", parsed->layers[1].digest.str());
  ASSERT_TRUE(exists);
  EXPECT_FALSE(*exists);
}

TEST_F(DockerTransport, EightLayersThreeInParallel) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 8, 200000, 27);
  push(img, a("par/img:1"));
  CopyOptions o;
  o.parallel_blobs = 3;
  auto r = copy(a("par/img:1"), b("par/img:1"), o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->copied.size(), 9u);
  EXPECT_EQ(r->manifest_digest, m.digest);
}

TEST_F(DockerTransport, ErrorsNameTheReference) {
  auto s = open_image_source(a("missing/img:nope"), options_);
  ASSERT_FALSE(s);
  const auto& msg = s.error().message();
  EXPECT_NE(msg.find("docker://" + a_->host() + "/missing/img:nope"), std::string::npos) << msg;
  EXPECT_NE(msg.find("manifest unknown"), std::string::npos) << msg;
}

TEST_F(DockerTransport, BlockedRegistriesAreRefused) {
  auto s = open_image_source("docker://blocked.invalid/x:1", options_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("blocked"), std::string::npos) << s.error().message();
  auto d = open_image_destination("docker://blocked.invalid/x:1", options_);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("blocked"), std::string::npos) << d.error().message();
}

TEST_F(DockerTransport, PullsThroughAMirrorAndResolvesShortNames) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 1, 5000, 28);
  push(img, a("mirror/img:1"));
  // mirrored.invalid is unreachable; its mirror (registry A) serves it.
  auto s = source("docker://mirrored.invalid/mirror/img:1");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->manifest({})->digest, m.digest);
  // A short name resolves through unqualified-search-registries (registry A).
  auto r = copy("docker://mirror/img:1", b("short/img:1"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->manifest_digest, m.digest);
}

}  // namespace
}  // namespace krill::transport
