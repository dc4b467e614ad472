// Builds small images (tar layers, config, OCI manifest) for the image store tests.
#pragma once

#include <nlohmann/json.hpp>

#include "image/image_store.h"
#include "layer_test_helpers.h"

namespace krill::image::test {

struct TestImage {
  std::vector<std::string> blobs;  // gzip layer blobs
  std::vector<std::string> diff_ids;
  std::string config;
  std::string manifest;
  ManifestBlob blob() const { return {manifest, "application/vnd.oci.image.manifest.v1+json", {}}; }
};

inline TestImage make_image(const std::vector<std::string>& tars, const std::string& tag = "x") {
  TestImage img;
  nlohmann::json diff_ids = nlohmann::json::array();
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& tar : tars) {
    std::string gz = gzip_bytes(tar);
    img.blobs.push_back(gz);
    img.diff_ids.push_back(sha256_of_bytes(tar));
    diff_ids.push_back(sha256_of_bytes(tar));
    layers.push_back({{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                      {"digest", sha256_of_bytes(gz)},
                      {"size", gz.size()}});
  }
  img.config = nlohmann::json({{"architecture", "amd64"},
                               {"os", "linux"},
                               {"created", "2024-01-01T00:00:00Z"},
                               {"config", {{"Labels", {{"t", tag}}}}},
                               {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}})
                   .dump();
  img.manifest = nlohmann::json({{"schemaVersion", 2},
                                 {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                                 {"config",
                                  {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                   {"digest", sha256_of_bytes(img.config)},
                                   {"size", img.config.size()}}},
                                 {"layers", layers}})
                     .dump();
  return img;
}

inline Descriptor layer_descriptor(const std::string& gz) {
  Descriptor d;
  d.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  d.digest = *Digest::parse(sha256_of_bytes(gz));
  d.size = static_cast<int64_t>(gz.size());
  return d;
}

inline ::testing::AssertionResult import_all(ImageStore& store, const TestImage& img) {
  for (const auto& gz : img.blobs) {
    auto fd = memfd_with(gz);
    auto r = store.import_layer(fd.get(), layer_descriptor(gz));
    if (!r) return ::testing::AssertionFailure() << r.error().message();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace krill::image::test
