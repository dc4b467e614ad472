// Validation against the image-spec MUSTs and OCI <-> Docker conversion.
#include "image/manifest.h"

#include <algorithm>
#include <cctype>

#include "base/quoted.h"

namespace krill::image {
namespace {

namespace mt = media_types;

std::string child(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}
std::string item(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}
std::unexpected<Error> fail_at(std::string_view path, const std::string& what) {
  return fail(path.empty() ? what : std::string(path) + ": " + what);
}

// RFC 6838 section 4.2: type "/" subtype, restricted-name characters (+ parameters not
// allowed in descriptors).
bool valid_media_type(std::string_view t) {
  auto restricted = [](std::string_view name) {
    if (name.empty() || name.size() > 127) return false;
    if (!std::isalnum(static_cast<unsigned char>(name.front()))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) ||
             std::string_view("!#$&-^_.+").find(c) != std::string_view::npos;
    });
  };
  size_t slash = t.find('/');
  if (slash == std::string_view::npos) return false;
  return restricted(t.substr(0, slash)) && restricted(t.substr(slash + 1));
}

Result<std::string> base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (in.size() % 4 != 0) return fail("invalid base64: length is not a multiple of 4");
  std::string out;
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + k];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0 || (v[k] = value(c)) < 0)
        return fail("invalid base64 character at offset " + std::to_string(i + k));
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>(n >> 16);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(n & 0xFF);
  }
  return out;
}

Result<void> validate_annotations(const Annotations& a, std::string_view path) {
  for (const auto& [key, value] : a)
    if (key.empty()) return fail_at(child(path, "annotations"), "keys must not be empty");
  return {};
}

Result<void> validate_platform(const Platform& p, std::string_view path) {
  if (p.architecture.empty()) return fail_at(child(path, "architecture"), "required");
  if (p.os.empty()) return fail_at(child(path, "os"), "required");
  return {};
}

// The media types that may not appear as a config or layer.
bool is_manifest_like(std::string_view t) {
  return mt::is_manifest(t) || mt::is_index(t) || mt::is_docker_schema1(t);
}

}  // namespace

Result<void> validate(const Descriptor& d, std::string_view path) {
  if (d.media_type.empty()) return fail_at(child(path, "mediaType"), "required");
  if (!valid_media_type(d.media_type))
    return fail_at(child(path, "mediaType"), quote(d.media_type) + " is not a valid media type");
  if (d.digest.empty()) return fail_at(child(path, "digest"), "required");
  if (d.size < 0)
    return fail_at(child(path, "size"), "must not be negative, got " + std::to_string(d.size));
  for (size_t i = 0; i < d.urls.size(); ++i)
    if (d.urls[i].empty() || d.urls[i].find(':') == std::string::npos)
      return fail_at(item(child(path, "urls"), i), quote(d.urls[i]) + " is not a URL");
  KRILL_CHECK(validate_annotations(d.annotations, path));
  if (d.platform) KRILL_CHECK(validate_platform(*d.platform, child(path, "platform")));
  if (!d.artifact_type.empty() && !valid_media_type(d.artifact_type))
    return fail_at(child(path, "artifactType"), quote(d.artifact_type) + " is not a valid media type");
  if (d.data) {
    Result<std::string> bytes = base64_decode(*d.data);
    if (!bytes) return fail_at(child(path, "data"), bytes.error().message());
    if (static_cast<int64_t>(bytes->size()) != d.size)
      return fail_at(child(path, "data"), "decodes to " + std::to_string(bytes->size()) +
                                              " bytes but size is " + std::to_string(d.size));
    Result<Hasher> hasher = Hasher::create(d.digest.algorithm());
    if (hasher) {
      hasher->update(*bytes);
      Digest actual = hasher->finish();
      if (actual != d.digest)
        return fail_at(child(path, "data"),
                       "content has digest " + actual.str() + ", not " + d.digest.str());
    }
  }
  return {};
}

Result<void> validate(const ImageManifest& m) {
  if (m.schema_version != 2)
    return fail("schemaVersion: must be 2, got " + std::to_string(m.schema_version));
  if (!m.media_type.empty() && !mt::is_manifest(m.media_type))
    return fail("mediaType: " + quote(m.media_type) + " is not a manifest media type");
  KRILL_CHECK(validate(m.config, "config"));
  if (is_manifest_like(m.config.media_type))
    return fail("config.mediaType: " + quote(m.config.media_type) + " is not a config media type");
  if (m.config.media_type == mt::kOciEmpty && m.artifact_type.empty())
    return fail("artifactType: required when config.mediaType is " + std::string(mt::kOciEmpty));
  if (!m.artifact_type.empty() && !valid_media_type(m.artifact_type))
    return fail("artifactType: " + quote(m.artifact_type) + " is not a valid media type");
  if (m.is_docker()) {
    if (m.config.media_type != mt::kDockerConfig &&
        m.config.media_type != mt::kDockerPluginConfig && m.config.media_type != mt::kOciConfig)
      return fail("config.mediaType: " + quote(m.config.media_type) +
                  " is not valid in a Docker schema2 manifest");
  }
  for (size_t i = 0; i < m.layers.size(); ++i) {
    std::string path = item("layers", i);
    KRILL_CHECK(validate(m.layers[i], path));
    if (is_manifest_like(m.layers[i].media_type))
      return fail(path + ".mediaType: " + quote(m.layers[i].media_type) + " is not a layer media type");
  }
  if (m.subject) KRILL_CHECK(validate(*m.subject, "subject"));
  return validate_annotations(m.annotations, "");
}

Result<void> validate(const ImageIndex& index) {
  if (index.schema_version != 2)
    return fail("schemaVersion: must be 2, got " + std::to_string(index.schema_version));
  if (!index.media_type.empty() && !mt::is_index(index.media_type))
    return fail("mediaType: " + quote(index.media_type) + " is not an index media type");
  if (!index.artifact_type.empty() && !valid_media_type(index.artifact_type))
    return fail("artifactType: " + quote(index.artifact_type) + " is not a valid media type");
  for (size_t i = 0; i < index.manifests.size(); ++i) {
    std::string path = item("manifests", i);
    KRILL_CHECK(validate(index.manifests[i], path));
    if (index.is_docker() && !index.manifests[i].platform)
      return fail(path + ".platform: required in a Docker manifest list");
  }
  if (index.subject) KRILL_CHECK(validate(*index.subject, "subject"));
  return validate_annotations(index.annotations, "");
}

Result<void> validate(const ImageConfig& c) {
  if (c.architecture.empty()) return fail("architecture: required");
  if (c.os.empty()) return fail("os: required");
  if (c.rootfs.type != "layers")
    return fail("rootfs.type: must be \"layers\", got " + quote(c.rootfs.type));
  for (size_t i = 0; i < c.rootfs.diff_ids.size(); ++i)
    if (c.rootfs.diff_ids[i].empty()) return fail(item("rootfs.diff_ids", i) + ": empty digest");
  return {};
}

Platform ImageConfig::platform() const {
  Platform p;
  p.architecture = architecture;
  p.os = os;
  p.os_version = os_version;
  p.os_features = os_features;
  p.variant = variant;
  return p;
}

Result<std::string> oci_layer_media_type(std::string_view t) {
  if (t == mt::kDockerLayerGzip) return std::string(mt::kOciLayerGzip);
  if (t == mt::kDockerLayer) return std::string(mt::kOciLayer);
  if (t == mt::kDockerLayerZstd) return std::string(mt::kOciLayerZstd);
  if (t == mt::kDockerForeignLayerGzip) return std::string(mt::kOciLayerNondistributableGzip);
  if (t.starts_with("application/vnd.oci.image.layer.")) return std::string(t);
  return fail("layer media type " + quote(t) + " has no OCI equivalent");
}

Result<std::string> docker_layer_media_type(std::string_view t) {
  if (t == mt::kOciLayerGzip) return std::string(mt::kDockerLayerGzip);
  if (t == mt::kOciLayer) return std::string(mt::kDockerLayer);
  if (t == mt::kOciLayerNondistributableGzip) return std::string(mt::kDockerForeignLayerGzip);
  if (t == mt::kDockerLayerGzip || t == mt::kDockerLayer || t == mt::kDockerForeignLayerGzip)
    return std::string(t);
  if (t == mt::kOciLayerZstd || t == mt::kOciLayerNondistributableZstd || t == mt::kDockerLayerZstd)
    return fail("layer media type " + quote(t) +
                ": Docker schema2 does not support zstd layers (use --format oci)");
  return fail("layer media type " + quote(t) + " has no Docker schema2 equivalent");
}

Result<ImageManifest> to_oci(const ImageManifest& m) {
  if (m.media_type == mt::kOciManifest) return m;
  ImageManifest out = m;
  out.media_type = std::string(mt::kOciManifest);
  if (m.config.media_type == mt::kDockerConfig)
    out.config.media_type = std::string(mt::kOciConfig);
  else if (m.config.media_type == mt::kDockerPluginConfig)
    return fail("convert manifest to OCI: Docker plugin configs have no OCI equivalent");
  for (size_t i = 0; i < out.layers.size(); ++i) {
    Result<std::string> t = oci_layer_media_type(out.layers[i].media_type);
    if (!t)
      return std::unexpected(
          std::move(t.error()).context("convert manifest to OCI: " + item("layers", i)));
    out.layers[i].media_type = *t;
  }
  KRILL_CHECK_CTX(validate(out), "convert manifest to OCI");
  return out;
}

Result<ImageManifest> to_docker(const ImageManifest& m) {
  const std::string ctx = "convert manifest to Docker schema2";
  if (!m.artifact_type.empty())
    return fail(ctx + ": artifacts (artifactType " + quote(m.artifact_type) +
                ") cannot be represented");
  if (m.subject) return fail(ctx + ": subject cannot be represented");
  ImageManifest out = m;
  out.media_type = std::string(mt::kDockerManifest);
  out.annotations.clear();
  if (m.config.media_type == mt::kOciConfig)
    out.config.media_type = std::string(mt::kDockerConfig);
  else if (m.config.media_type != mt::kDockerConfig)
    return fail(ctx + ": config media type " + quote(m.config.media_type) + " is not an image config");
  for (size_t i = 0; i < out.layers.size(); ++i) {
    Result<std::string> t = docker_layer_media_type(out.layers[i].media_type);
    if (!t) return std::unexpected(std::move(t.error()).context(ctx + ": " + item("layers", i)));
    out.layers[i].media_type = *t;
    out.layers[i].annotations.clear();
  }
  out.config.annotations.clear();
  KRILL_CHECK_CTX(validate(out), ctx);
  return out;
}

Result<ImageIndex> to_oci(const ImageIndex& index) {
  ImageIndex out = index;
  out.media_type = std::string(mt::kOciIndex);
  for (Descriptor& d : out.manifests) {
    if (d.media_type == mt::kDockerManifest)
      d.media_type = std::string(mt::kOciManifest);
    else if (d.media_type == mt::kDockerManifestList)
      d.media_type = std::string(mt::kOciIndex);
  }
  KRILL_CHECK_CTX(validate(out), "convert manifest list to OCI index");
  return out;
}

Result<ImageIndex> to_docker(const ImageIndex& index) {
  const std::string ctx = "convert index to Docker manifest list";
  if (!index.artifact_type.empty() || index.subject)
    return fail(ctx + ": artifactType and subject cannot be represented");
  ImageIndex out = index;
  out.media_type = std::string(mt::kDockerManifestList);
  out.annotations.clear();
  for (size_t i = 0; i < out.manifests.size(); ++i) {
    Descriptor& d = out.manifests[i];
    if (d.media_type == mt::kOciManifest)
      d.media_type = std::string(mt::kDockerManifest);
    else if (d.media_type == mt::kOciIndex)
      d.media_type = std::string(mt::kDockerManifestList);
    else if (d.media_type != mt::kDockerManifest && d.media_type != mt::kDockerManifestList)
      return fail(ctx + ": " + item("manifests", i) + " has media type " + quote(d.media_type));
    if (!d.platform) return fail(ctx + ": " + item("manifests", i) + ".platform: required");
    d.annotations.clear();
  }
  KRILL_CHECK_CTX(validate(out), ctx);
  return out;
}

}  // namespace krill::image
