// Test-only in-memory images: a source that can be made to fail mid-blob, and a destination that
// verifies blobs and records what was written. Used by the copy engine and docker transport tests.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "image/digest.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "transport/image_transport.h"

namespace krill::transport::testing {

namespace mtypes = image::media_types;

struct MemoryImage {
  std::map<image::Digest, std::string> blobs;
  std::map<image::Digest, RawManifest> manifests;
  image::Digest top;

  image::Descriptor add_blob(const std::string& media_type, const std::string& data) {
    image::Descriptor d;
    d.media_type = media_type;
    d.digest = image::sha256_of(data);
    d.size = static_cast<int64_t>(data.size());
    blobs[d.digest] = data;
    return d;
  }
  RawManifest add_manifest(const std::string& media_type, const std::string& json) {
    RawManifest m{json, media_type, image::sha256_of(json)};
    manifests[m.digest] = m;
    top = m.digest;
    return m;
  }
};

// Deterministic pseudo-random bytes (incompressible enough for a "gzip layer").
inline std::string pseudo_random(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

// An OCI image (config + `layers` layers) for `arch`; returns the manifest.
inline RawManifest add_oci_image(MemoryImage& img, const std::string& arch, int layers,
                                 size_t layer_size, uint32_t seed) {
  std::vector<image::Descriptor> ls;
  std::string diff_ids;
  for (int i = 0; i < layers; ++i) {
    auto d = img.add_blob(std::string(mtypes::kOciLayerGzip),
                          pseudo_random(layer_size + i * 1000, seed * 100 + i));
    ls.push_back(d);
    diff_ids += std::string(i ? "," : "") + "\"" + d.digest.str() + "\"";
  }
  std::string config =
      R"({"architecture":")" + arch +
      R"(","os":"linux","config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":[)" +
      diff_ids + "]}}";
  image::ImageManifest m;
  m.media_type = std::string(mtypes::kOciManifest);
  m.config = img.add_blob(std::string(mtypes::kOciConfig), config);
  m.layers = ls;
  return img.add_manifest(std::string(mtypes::kOciManifest), image::to_json(m));
}

class MemorySource : public ImageSource {
 public:
  explicit MemorySource(const MemoryImage& img, std::string name = "memory:test")
      : img_(img), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  Result<RawManifest> manifest(const std::optional<image::Digest>& instance) override {
    auto it = img_.manifests.find(instance ? *instance : img_.top);
    if (it == img_.manifests.end()) return fail(name_ + ": manifest unknown");
    return it->second;
  }
  Result<uint64_t> read_blob(const image::Descriptor& blob, int out_fd) override {
    auto it = img_.blobs.find(blob.digest);
    if (it == img_.blobs.end()) return fail(name_ + ": blob unknown " + blob.digest.str());
    std::string_view data = it->second;
    size_t limit = data.size();
    bool failing = fail_digest && *fail_digest == blob.digest;
    if (failing) limit = std::min(limit, fail_after);
    size_t off = 0;
    while (off < limit) {
      size_t n = std::min<size_t>(4096, limit - off);
      ssize_t w = ::write(out_fd, data.data() + off, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return fail_errno(name_ + ": write blob");
      }
      off += static_cast<size_t>(w);
    }
    reads++;
    if (failing) return fail(name_ + ": simulated failure after " + std::to_string(off) + " bytes");
    return off;
  }

  std::optional<image::Digest> fail_digest;
  size_t fail_after = 0;
  std::atomic<int> reads{0};

 private:
  const MemoryImage& img_;
  std::string name_;
};

class MemoryDestination : public ImageDestination {
 public:
  std::string name() const override { return "memory:dest"; }
  std::vector<std::string> supported_manifest_types() const override { return supported; }
  Result<bool> has_blob(const image::Descriptor& blob) override {
    std::lock_guard lock(mutex);
    return blobs.count(blob.digest) > 0;
  }
  Result<void> write_blob(const image::Descriptor& blob, int in_fd) override {
    std::string data;
    char buf[8192];
    for (;;) {
      ssize_t n = ::read(in_fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_errno("read blob");
      }
      if (n == 0) break;
      data.append(buf, static_cast<size_t>(n));
      if (fail_digest && *fail_digest == blob.digest && data.size() >= fail_after)
        return fail("memory:dest: simulated write failure");
    }
    if (static_cast<int64_t>(data.size()) != blob.size || image::sha256_of(data) != blob.digest)
      return fail("memory:dest: blob " + blob.digest.str() + " does not match (got " +
                  std::to_string(data.size()) + " bytes)");
    std::lock_guard lock(mutex);
    blobs[blob.digest] = std::move(data);
    return {};
  }
  Result<void> put_manifest(const RawManifest& m, bool is_instance) override {
    std::lock_guard lock(mutex);
    if (is_instance)
      instances[m.digest] = m;
    else
      top = m;
    return {};
  }
  Result<void> commit() override {
    committed = true;
    return {};
  }

  std::vector<std::string> supported = {
      std::string(mtypes::kOciManifest), std::string(mtypes::kDockerManifest),
      std::string(mtypes::kOciIndex), std::string(mtypes::kDockerManifestList)};
  std::optional<image::Digest> fail_digest;
  size_t fail_after = 0;
  std::mutex mutex;
  std::map<image::Digest, std::string> blobs;
  std::map<image::Digest, RawManifest> instances;
  std::optional<RawManifest> top;
  bool committed = false;
};

}  // namespace krill::transport::testing
