// Shared bits of the tests against the real docker-registry.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "image/digest.h"

namespace krill::transport::testing {

inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr const char* kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar.gzip";

// A reader over a string for put_blob, optionally handing out at most `step` bytes per call.
struct StringReader {
  std::string_view data;
  size_t step = 1 << 30;
  Result<size_t> operator()(std::span<char> out) {
    size_t n = std::min({out.size(), data.size(), step});
    std::copy_n(data.data(), n, out.data());
    data.remove_prefix(n);
    return n;
  }
};

inline std::string descriptor(const std::string& media_type, const std::string& data) {
  return R"({"mediaType":")" + media_type + R"(","digest":")" + image::sha256_of(data).str() +
         R"(","size":)" + std::to_string(data.size()) + "}";
}

inline std::string manifest_json(const std::string& manifest_type, const std::string& config_type,
                                 const std::string& config, const std::string& layer_type,
                                 const std::string& layer) {
  return R"({"schemaVersion":2,"mediaType":")" + manifest_type + R"(","config":)" +
         descriptor(config_type, config) + R"(,"layers":[)" + descriptor(layer_type, layer) + "]}";
}

}  // namespace krill::transport::testing
