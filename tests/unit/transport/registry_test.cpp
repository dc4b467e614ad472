// The client against Debian's docker-registry (plain HTTP on 127.0.0.1).
#include <gtest/gtest.h>

#include <memory>

#include "registry_server.h"
#include "registry_test_util.h"
#include "transport/registry_client.h"

namespace krill::transport {
namespace {

using namespace testing;

class PlainRegistry : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = RegistryServer::start({});
    ASSERT_TRUE(s) << s.error().message();
    server_ = std::move(*s).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ClientOptions o;
    o.plain_http = true;
    o.auth_files = std::vector<std::string>{};
    o.retry_delay_ms = 10;
    auto c = RegistryClient::create(server_->host(), o);
    ASSERT_TRUE(c) << c.error().message();
    client_ = std::make_unique<RegistryClient>(std::move(*c));
  }

  // Pushes a blob, checking it did not exist and exists afterwards.
  void push(const std::string& repo, const std::string& data, uint64_t chunk = 8 << 20) {
    std::string digest = image::sha256_of(data).str();
    auto r = client_->put_blob(repo, digest, data.size(), StringReader{data, 7000}, chunk);
    ASSERT_TRUE(r) << r.error().message();
    auto exists = client_->blob_exists(repo, digest);
    ASSERT_TRUE(exists) << exists.error().message();
    EXPECT_TRUE(*exists);
  }

  std::string pull(const std::string& repo, const std::string& data) {
    std::string got;
    size_t chunks = 0;
    auto n = client_->get_blob(
        repo, image::sha256_of(data).str(),
        [&](std::string_view c) -> Result<void> {
          got.append(c);
          ++chunks;
          return {};
        },
        data.size());
    EXPECT_TRUE(n) << n.error().message();
    return got;
  }

  static RegistryServer* server_;
  std::unique_ptr<RegistryClient> client_;
};

RegistryServer* PlainRegistry::server_ = nullptr;

std::string pattern(size_t size, char seed) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + i * 31 + (i >> 8));
  return s;
}

TEST_F(PlainRegistry, Ping) { ASSERT_TRUE(client_->ping()); }

TEST_F(PlainRegistry, MonolithicBlobRoundTrip) {
  std::string data = pattern(3000, 'm');
  auto before = client_->blob_exists("blobs/mono", image::sha256_of(data).str());
  ASSERT_TRUE(before);
  EXPECT_FALSE(*before);
  push("blobs/mono", data);
  EXPECT_EQ(pull("blobs/mono", data), data);
}

TEST_F(PlainRegistry, ChunkedBlobRoundTrip) {
  std::string data = pattern(300000, 'c');
  int before = client_->stats().requests;
  push("blobs/chunked", data, 64 * 1024);
  // POST, 5 PATCHes, PUT, HEAD.
  EXPECT_EQ(client_->stats().requests - before, 8);
  EXPECT_EQ(pull("blobs/chunked", data), data);
}

TEST_F(PlainRegistry, LargeBlobIsOneStreamedPatch) {
  std::string data = pattern((9 << 20) + 123, 'L');
  std::string digest = image::sha256_of(data).str();
  int before = client_->stats().requests;
  auto r = client_->put_blob("blobs/streamed", digest, data.size(), StringReader{data, 70000});
  ASSERT_TRUE(r) << r.error().message();
  // POST, one PATCH with the whole blob, PUT.
  EXPECT_EQ(client_->stats().requests - before, 3);
  EXPECT_EQ(pull("blobs/streamed", data), data);
}

TEST_F(PlainRegistry, StreamedSourceShorterThanAnnouncedFails) {
  std::string data = pattern(9 << 20, 'S');
  auto r = client_->put_blob("blobs/streamed-short", image::sha256_of(data).str(),
                             data.size() + 10, StringReader{data});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("ended after"), std::string::npos) << r.error().message();
  EXPECT_FALSE(*client_->blob_exists("blobs/streamed-short", image::sha256_of(data).str()));
}

TEST_F(PlainRegistry, WrongDigestIsRejectedByTheRegistry) {
  std::string data = pattern(100, 'w');
  std::string claimed = image::sha256_of("something else").str();
  for (uint64_t chunk : {uint64_t(8 << 20), uint64_t(32)}) {
    auto r = client_->put_blob("blobs/wrong", claimed, data.size(), StringReader{data}, chunk);
    ASSERT_FALSE(r);
    const std::string& msg = r.error().message();
    EXPECT_NE(msg.find("push blob " + claimed + " to " + server_->host() + "/blobs/wrong: "),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("(400 DIGEST_INVALID)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("the data read hashes to " + image::sha256_of(data).str()),
              std::string::npos)
        << msg;
  }
  EXPECT_FALSE(*client_->blob_exists("blobs/wrong", claimed));
}

TEST_F(PlainRegistry, SourceShorterThanAnnouncedFails) {
  std::string data = pattern(100, 's');
  auto r = client_->put_blob("blobs/short", image::sha256_of(data).str(), 200, StringReader{data});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("ended after 100 of 200 bytes"), std::string::npos)
      << r.error().message();
}

TEST_F(PlainRegistry, ManifestsOciAndDockerWithAcceptNegotiation) {
  const std::string repo = "app/web";
  std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  std::string layer = pattern(5000, 'l');
  push(repo, config);
  push(repo, layer);

  std::string oci = manifest_json(kOciManifest, kOciConfig, config, kOciLayer, layer);
  auto oci_digest = client_->put_manifest(repo, "oci", kOciManifest, oci);
  ASSERT_TRUE(oci_digest) << oci_digest.error().message();
  EXPECT_EQ(*oci_digest, image::sha256_of(oci).str());

  std::string docker = manifest_json(kDockerManifest, kDockerConfig, config, kDockerLayer, layer);
  auto docker_digest = client_->put_manifest(repo, "docker", kDockerManifest, docker);
  ASSERT_TRUE(docker_digest) << docker_digest.error().message();

  auto m = client_->get_manifest(repo, "oci", {kOciManifest, kDockerManifest});
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->media_type, kOciManifest);
  EXPECT_EQ(m->digest, *oci_digest);
  EXPECT_EQ(m->body, oci);

  m = client_->get_manifest(repo, "docker", {kDockerManifest});
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->media_type, kDockerManifest);
  EXPECT_EQ(m->body, docker);

  m = client_->get_manifest(repo, *docker_digest, {kDockerManifest, kOciManifest});
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(m->digest, *docker_digest);

  // The registry refuses an OCI manifest to a client that does not accept OCI.
  auto refused = client_->get_manifest(repo, "oci", {kDockerManifest});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("(404 MANIFEST_UNKNOWN)"), std::string::npos)
      << refused.error().message();

  auto head = client_->head_manifest(repo, "oci", {kOciManifest});
  ASSERT_TRUE(head) << head.error().message();
  ASSERT_TRUE(*head);
  EXPECT_EQ((*head)->digest, *oci_digest);
  EXPECT_EQ((*head)->media_type, kOciManifest);
  auto missing = client_->head_manifest(repo, "nope", {kOciManifest});
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);

  auto unknown = client_->get_manifest(repo, "nope", {kOciManifest});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(),
            "pull " + server_->host() + "/app/web:nope: manifest unknown (404 MANIFEST_UNKNOWN)");

  // A manifest naming a blob the registry does not have is refused.
  std::string dangling = manifest_json(kOciManifest, kOciConfig, config, kOciLayer, "absent");
  auto bad = client_->put_manifest(repo, "bad", kOciManifest, dangling);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("MANIFEST_BLOB_UNKNOWN"), std::string::npos)
      << bad.error().message();
}

TEST_F(PlainRegistry, TagsPaginationCatalogAndDelete) {
  const std::string repo = "paged/repo";
  std::string config = R"({"architecture":"amd64","os":"linux"})";
  std::string layer = pattern(100, 't');
  push(repo, config);
  push(repo, layer);
  std::vector<std::string> tags;
  std::string digest;
  for (int i = 0; i < 5; ++i) {
    // Distinct manifests per tag (annotations differ) so deleting one leaves the others.
    std::string m = manifest_json(kOciManifest, kOciConfig, config, kOciLayer, layer);
    m.insert(m.size() - 1, R"(,"annotations":{"i":")" + std::to_string(i) + "\"}");
    auto d = client_->put_manifest(repo, "v" + std::to_string(i), kOciManifest, m);
    ASSERT_TRUE(d) << d.error().message();
    if (i == 0) digest = *d;
    tags.push_back("v" + std::to_string(i));
  }
  // docker-registry 2.8 ignores n= on tags/list (one unsorted page, no Link); pagination of
  // tags is covered by FakeRegistry.TagsPaginationFollowsLink, of the catalog below.
  auto listed = client_->list_tags(repo, 2);
  ASSERT_TRUE(listed) << listed.error().message();
  std::sort(listed->begin(), listed->end());
  EXPECT_EQ(*listed, tags);

  push("catalog/one", config);
  int before = client_->stats().requests;
  auto repos = client_->catalog(1);
  ASSERT_TRUE(repos) << repos.error().message();
  EXPECT_GE(client_->stats().requests - before, 2);  // paginated
  EXPECT_NE(std::find(repos->begin(), repos->end(), repo), repos->end());
  EXPECT_NE(std::find(repos->begin(), repos->end(), "catalog/one"), repos->end());
  EXPECT_TRUE(std::is_sorted(repos->begin(), repos->end()));

  auto deleted = client_->delete_manifest(repo, digest);
  ASSERT_TRUE(deleted) << deleted.error().message();
  auto gone = client_->get_manifest(repo, digest, {kOciManifest});
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message().find("404"), std::string::npos) << gone.error().message();
  listed = client_->list_tags(repo);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 4u);
  auto again = client_->delete_manifest(repo, digest);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message().find("delete " + server_->host() + "/paged/repo@" + digest),
            std::string::npos)
      << again.error().message();
}

TEST_F(PlainRegistry, CrossRepositoryMount) {
  std::string data = pattern(2000, 'x');
  std::string digest = image::sha256_of(data).str();
  push("mount/source", data);
  auto mounted = client_->mount_blob("mount/target", digest, "mount/source");
  ASSERT_TRUE(mounted) << mounted.error().message();
  EXPECT_TRUE(*mounted);
  EXPECT_TRUE(*client_->blob_exists("mount/target", digest));
  EXPECT_EQ(pull("mount/target", data), data);

  std::string absent = image::sha256_of("never pushed").str();
  mounted = client_->mount_blob("mount/target", absent, "mount/source");
  ASSERT_TRUE(mounted) << mounted.error().message();
  EXPECT_FALSE(*mounted);
}

TEST_F(PlainRegistry, MissingBlobIsAClearError) {
  std::string digest = image::sha256_of("nothing").str();
  auto n =
      client_->get_blob("blobs/none", digest, [](std::string_view) -> Result<void> { return {}; });
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().message(), "pull blob " + digest + " from " + server_->host() +
                                     "/blobs/none: blob unknown to registry (404 BLOB_UNKNOWN)");
}

}  // namespace
}  // namespace krill::transport
