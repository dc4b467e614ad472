// The copy engine between in-memory images: byte-preserving copies, conversion, platform
// selection, --all, skipping, failures and cancellation, parallelism.
#include "transport/copy.h"

#include <gtest/gtest.h>

#include <atomic>

#include "memory_image.h"

namespace krill::transport {
namespace {

using namespace testing;
namespace mt = image::media_types;

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

TEST(CopyEngine, KeepsManifestBytesWhenNoConversionIsNeeded) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 2, 5000, 1);
  MemorySource src(img);
  MemoryDestination dst;
  auto r = copy_image(src, dst, {});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->manifest_digest, m.digest);
  EXPECT_EQ(r->manifest_media_type, mt::kOciManifest);
  EXPECT_EQ(r->copied.size(), 3u);
  EXPECT_TRUE(r->skipped.empty());
  ASSERT_TRUE(dst.top);
  EXPECT_EQ(dst.top->bytes, m.bytes);
  EXPECT_TRUE(dst.committed);
  EXPECT_EQ(dst.blobs.size(), 3u);
}

TEST(CopyEngine, ConvertsToDockerWhenTheDestinationOnlyTakesDocker) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 2, 5000, 2);
  MemorySource src(img);
  MemoryDestination dst;
  dst.supported = {std::string(mt::kDockerManifest)};
  auto r = copy_image(src, dst, {});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_NE(r->manifest_digest, m.digest);
  EXPECT_EQ(r->manifest_media_type, mt::kDockerManifest);
  ASSERT_TRUE(dst.top);
  EXPECT_EQ(image::sha256_of(dst.top->bytes), r->manifest_digest);
  auto parsed = image::parse_manifest(dst.top->bytes, mt::kDockerManifest);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->config.media_type, mt::kDockerConfig);
  for (const auto& l : parsed->layers) EXPECT_EQ(l.media_type, mt::kDockerLayerGzip);
  // Blobs unchanged: same digests as the source's.
  auto orig = image::parse_manifest(m.bytes, mt::kOciManifest);
  EXPECT_EQ(parsed->config.digest, orig->config.digest);
  EXPECT_EQ(parsed->layers[1].digest, orig->layers[1].digest);
}

TEST(CopyEngine, PreserveDigestsRefusesAConversionBeforeCopying) {
  MemoryImage img;
  add_oci_image(img, "amd64", 1, 5000, 3);
  MemorySource src(img);
  MemoryDestination dst;
  CopyOptions o;
  o.format = "v2s2";
  o.preserve_digests = true;
  auto r = copy_image(src, dst, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("digest"), std::string::npos) << r.error().message();
  EXPECT_FALSE(dst.top);
  EXPECT_TRUE(dst.blobs.empty());
}

TEST(CopyEngine, ForcedFormatOciFromDocker) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 1, 5000, 4);
  MemorySource src(img);
  MemoryDestination mid;
  CopyOptions v2;
  v2.format = "v2s2";
  auto r1 = copy_image(src, mid, v2);
  ASSERT_TRUE(r1) << r1.error().message();
  MemoryImage docker;
  docker.blobs = mid.blobs;
  docker.add_manifest(mid.top->media_type, mid.top->bytes);
  MemorySource src2(docker);
  MemoryDestination dst;
  CopyOptions oci;
  oci.format = "oci";
  auto r2 = copy_image(src2, dst, oci);
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_EQ(r2->manifest_media_type, mt::kOciManifest);
  auto parsed = image::parse_manifest(dst.top->bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->config.media_type, mt::kOciConfig);
  EXPECT_EQ(parsed->layers[0].media_type, mt::kOciLayerGzip);
  (void)m;
}

TEST(CopyEngine, IndexPlatformSelectionAndAll) {
  MemoryImage img;
  auto amd = add_oci_image(img, "amd64", 1, 3000, 5);
  auto arm = add_oci_image(img, "arm64", 1, 3000, 6);
  auto index = add_index(img, {{amd, "amd64"}, {arm, "arm64"}});
  MemorySource src(img);
  {
    MemoryDestination dst;
    CopyOptions o;
    o.platform = image::Platform{.architecture = "arm64", .os = "linux"};
    auto r = copy_image(src, dst, o);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->manifest_digest, arm.digest);
    EXPECT_EQ(dst.top->bytes, arm.bytes);
    EXPECT_TRUE(dst.instances.empty());
    EXPECT_EQ(dst.blobs.size(), 2u);
  }
  {
    MemoryDestination dst;
    CopyOptions o;
    o.platform = image::Platform{.architecture = "s390x", .os = "linux"};
    auto r = copy_image(src, dst, o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("linux/s390x"), std::string::npos) << r.error().message();
  }
  {
    MemoryDestination dst;
    CopyOptions o;
    o.all = true;
    auto r = copy_image(src, dst, o);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->manifest_digest, index.digest);
    EXPECT_EQ(dst.top->bytes, index.bytes);
    EXPECT_EQ(dst.instances.size(), 2u);
    EXPECT_TRUE(dst.instances.count(amd.digest));
    EXPECT_TRUE(dst.instances.count(arm.digest));
    EXPECT_EQ(dst.blobs.size(), 4u);
  }
  {
    // --all with conversion: children and index converted, the index names the new digests.
    MemoryDestination dst;
    CopyOptions o;
    o.all = true;
    o.format = "v2s2";
    auto r = copy_image(src, dst, o);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->manifest_media_type, mt::kDockerManifestList);
    auto list = image::parse_index(dst.top->bytes);
    ASSERT_TRUE(list) << list.error().message();
    ASSERT_EQ(list->manifests.size(), 2u);
    for (const auto& e : list->manifests) {
      EXPECT_EQ(e.media_type, mt::kDockerManifest);
      ASSERT_TRUE(dst.instances.count(e.digest));
      EXPECT_EQ(e.size, static_cast<int64_t>(dst.instances[e.digest].bytes.size()));
    }
  }
}

TEST(CopyEngine, SkipsBlobsTheDestinationHas) {
  MemoryImage img;
  add_oci_image(img, "amd64", 2, 5000, 7);
  MemorySource src(img);
  MemoryDestination dst;
  ASSERT_TRUE(copy_image(src, dst, {}));
  int reads = src.reads;
  auto r = copy_image(src, dst, {});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->copied.empty());
  EXPECT_EQ(r->skipped.size(), 3u);
  EXPECT_EQ(src.reads, reads);
}

TEST(CopyEngine, SourceFailureMidBlobNamesTheBlobAndCommitsNothing) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 2, 200000, 8);
  auto parsed = image::parse_manifest(m.bytes);
  MemorySource src(img, "memory:src");
  src.fail_digest = parsed->layers[1].digest;
  src.fail_after = 70000;
  MemoryDestination dst;
  auto r = copy_image(src, dst, {});
  ASSERT_FALSE(r);
  const auto& msg = r.error().message();
  EXPECT_NE(msg.find(parsed->layers[1].digest.str()), std::string::npos) << msg;
  EXPECT_NE(msg.find("memory:src"), std::string::npos) << msg;
  EXPECT_NE(msg.find("memory:dest"), std::string::npos) << msg;
  EXPECT_NE(msg.find("simulated failure"), std::string::npos) << msg;
  EXPECT_FALSE(dst.top);
  EXPECT_FALSE(dst.committed);
  EXPECT_FALSE(dst.blobs.count(parsed->layers[1].digest));
}

TEST(CopyEngine, DestinationFailureStopsTheSource) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 1, 4 << 20, 9);
  auto parsed = image::parse_manifest(m.bytes);
  MemorySource src(img);
  MemoryDestination dst;
  dst.fail_digest = parsed->layers[0].digest;
  dst.fail_after = 10000;
  auto r = copy_image(src, dst, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("simulated write failure"), std::string::npos)
      << r.error().message();
  EXPECT_FALSE(dst.top);
}

TEST(CopyEngine, EightLayersThreeAtATimeWithProgress) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 8, 300000, 10);
  MemorySource src(img);
  MemoryDestination dst;
  std::atomic<uint64_t> bytes{0};
  std::atomic<int> started{0}, done{0};
  CopyProgress p;
  p.on_blob_start = [&](const image::Descriptor&) { ++started; };
  p.on_blob_bytes = [&](const image::Descriptor&, uint64_t n) { bytes += n; };
  p.on_blob_done = [&](const image::Descriptor&, bool) { ++done; };
  CopyOptions o;
  o.parallel_blobs = 3;
  o.progress = &p;
  auto r = copy_image(src, dst, o);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->copied.size(), 9u);
  uint64_t total = 0;
  for (const auto& [d, b] : img.blobs) total += b.size();
  EXPECT_EQ(bytes.load(), total);
  EXPECT_EQ(started.load(), 9);
  EXPECT_EQ(done.load(), 9);
  EXPECT_EQ(r->manifest_digest, m.digest);
}

TEST(CopyEngine, ManyFailuresInParallelReportOneAndDoNotHang) {
  MemoryImage img;
  auto m = add_oci_image(img, "amd64", 8, 400000, 11);
  auto parsed = image::parse_manifest(m.bytes);
  MemorySource src(img);
  src.fail_digest = parsed->layers[3].digest;
  src.fail_after = 1000;
  MemoryDestination dst;
  CopyOptions o;
  o.parallel_blobs = 3;
  auto r = copy_image(src, dst, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message().find("cancelled"), std::string::npos) << r.error().message();
  EXPECT_FALSE(dst.top);
}

TEST(Transports, UnavailableOrUnknownPrefixesAreClearErrors) {
  TransportOptions o;
  auto r = open_image_source("docker-daemon:busybox", o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("docker-daemon"), std::string::npos);
  auto d = open_image_destination("docker:no-slashes", o);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("docker://"), std::string::npos) << d.error().message();
}

}  // namespace
}  // namespace krill::transport
