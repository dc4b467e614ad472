#include "transport/store_transport.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "../image/image_store_test_util.h"
#include "image/image_store.h"

namespace krill::transport {
namespace {

using image::test::TarBuilder;
using image::test::TempDir;

class MemorySource : public ImageSource {
 public:
  explicit MemorySource(const image::test::TestImage& img) : img_(img) {
    blobs_[image::test::sha256_of_bytes(img.config)] = img.config;
    for (const auto& b : img.blobs) blobs_[image::test::sha256_of_bytes(b)] = b;
  }
  std::string name() const override { return "memory:"; }
  Result<RawManifest> manifest(const std::optional<image::Digest>&) override {
    return RawManifest{img_.manifest, std::string(image::media_types::kOciManifest),
                       *image::Digest::parse(image::test::sha256_of_bytes(img_.manifest))};
  }
  Result<uint64_t> read_blob(const image::Descriptor& blob, int out_fd) override {
    const std::string& data = blobs_.at(blob.digest.str());
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = write(out_fd, data.data() + off, std::min<size_t>(4096, data.size() - off));
      if (n <= 0) return fail_errno("write");
      off += static_cast<size_t>(n);
    }
    return data.size();
  }

 private:
  image::test::TestImage img_;
  std::map<std::string, std::string> blobs_;
};

// What the copy engine does: every blob through a pipe, reader and writer threads.
Result<void> copy_blob(ImageSource& src, ImageDestination& dst, const image::Descriptor& d) {
  int fds[2];
  if (pipe(fds) != 0) return fail_errno("pipe");
  Result<uint64_t> read_result = 0;
  std::thread reader([&] {
    read_result = src.read_blob(d, fds[1]);
    close(fds[1]);
  });
  auto w = dst.write_blob(d, fds[0]);
  close(fds[0]);
  reader.join();
  KRILL_CHECK(read_result);
  return w;
}

TEST(StoreTransport, WriteThroughDestinationReadBackThroughSource) {
  TempDir dir;
  TransportOptions options;
  options.store_root = dir.path();
  auto img = image::test::make_image(
      {TarBuilder().file("a", "A").finish(), TarBuilder().dir("d").file("d/b", "B").finish()});
  MemorySource src(img);
  auto dst = open_store_destination("busybox", options);
  ASSERT_TRUE(dst) << dst.error().message();
  auto m = src.manifest({});
  auto parsed = image::parse_manifest(m->bytes, m->media_type);
  ASSERT_TRUE(parsed);
  std::vector<image::Descriptor> blobs = parsed->layers;
  blobs.push_back(parsed->config);
  std::vector<std::thread> threads;
  std::vector<std::string> errors(blobs.size());
  for (size_t i = 0; i < blobs.size(); ++i) {
    threads.emplace_back([&, i] {
      auto r = copy_blob(src, **dst, blobs[i]);
      if (!r) errors[i] = r.error().message();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  for (const auto& b : blobs) EXPECT_TRUE(*(*dst)->has_blob(b));
  ASSERT_TRUE((*dst)->put_manifest(*m, false));
  EXPECT_FALSE(open_store_source("busybox", options));  // nothing named before commit
  auto committed = (*dst)->commit();
  ASSERT_TRUE(committed) << committed.error().message();

  auto back = open_store_source("docker.io/library/busybox:latest", options);
  ASSERT_TRUE(back) << back.error().message();
  auto m2 = (*back)->manifest({});
  ASSERT_TRUE(m2);
  EXPECT_EQ(m2->bytes, m->bytes);
  EXPECT_EQ(m2->digest, m->digest);
  for (const auto& b : blobs) {
    auto out = image::test::memfd_with("");
    auto n = (*back)->read_blob(b, out.get());
    ASSERT_TRUE(n);
    EXPECT_EQ(image::test::sha256_of_bytes(image::test::read_fd_all(out.get())), b.digest.str());
  }
  auto store = image::ImageStore::open(dir.path());
  auto rec = store->find("busybox");
  ASSERT_TRUE(rec && *rec);
  EXPECT_EQ((*rec)->layers.size(), 2u);
}

TEST(StoreTransport, BadDigestIsRefused) {
  TempDir dir;
  TransportOptions options;
  options.store_root = dir.path();
  auto img = image::test::make_image({TarBuilder().file("a", "A").finish()});
  auto dst = open_store_destination("x", options);
  ASSERT_TRUE(dst);
  auto d = image::test::layer_descriptor(img.blobs[0]);
  auto other = image::test::gzip_bytes(TarBuilder().file("b", "B").finish());
  d.size = static_cast<int64_t>(other.size());
  auto fd = image::test::memfd_with(other);
  EXPECT_FALSE((*dst)->write_blob(d, fd.get()));
  EXPECT_FALSE(*(*dst)->has_blob(d));
}

}  // namespace
}  // namespace krill::transport
