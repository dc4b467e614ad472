// OCI image manifests, indexes and configs (image-spec v1.1) and their Docker
// counterparts (schema2 manifest, manifest list, container image config): parsing
// with field-named errors, validation of the spec's MUSTs, canonical serialisation
// and OCI <-> Docker conversion.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/digest.h"
#include "image/media_types.h"
#include "image/platform.h"

namespace krill::image {

using Annotations = std::map<std::string, std::string>;

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  Annotations annotations;
  std::optional<Platform> platform;  // in indexes
  std::string artifact_type;
  std::optional<std::string> data;  // base64, as in the JSON

  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

struct ImageManifest {
  int schema_version = 2;
  std::string media_type;  // may be empty in OCI manifests
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  Annotations annotations;

  bool is_docker() const { return media_type == media_types::kDockerManifest; }
  friend bool operator==(const ImageManifest&, const ImageManifest&) = default;
};

struct ImageIndex {
  int schema_version = 2;
  std::string media_type;  // may be empty in OCI indexes
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::optional<Descriptor> subject;
  Annotations annotations;

  bool is_docker() const { return media_type == media_types::kDockerManifestList; }
  friend bool operator==(const ImageIndex&, const ImageIndex&) = default;
};

struct HealthConfig {             // Docker extension ("Healthcheck"); durations in nanoseconds
  std::vector<std::string> test;  // ["NONE"], ["CMD", ...], ["CMD-SHELL", "..."]
  int64_t interval = 0;
  int64_t timeout = 0;
  int64_t start_period = 0;
  int64_t start_interval = 0;
  int retries = 0;

  friend bool operator==(const HealthConfig&, const HealthConfig&) = default;
};

// config.config: the execution parameters.
struct ContainerConfig {
  std::string user;
  std::vector<std::string> exposed_ports;  // keys of ExposedPorts: "80/tcp"
  std::vector<std::string> env;
  // Null and [] differ for Docker (null inherits, [] clears), so both are optional.
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> volumes;  // keys of Volumes
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  std::optional<HealthConfig> healthcheck;
  bool args_escaped = false;          // deprecated, Windows only
  std::vector<std::string> shell;     // Docker extension ("Shell")
  std::vector<std::string> on_build;  // Docker extension ("OnBuild")

  friend bool operator==(const ContainerConfig&, const ContainerConfig&) = default;
};

struct RootFs {
  std::string type = "layers";
  std::vector<Digest> diff_ids;

  friend bool operator==(const RootFs&, const RootFs&) = default;
};

struct HistoryEntry {
  std::string created;  // RFC 3339, as in the JSON
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;

  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

struct ImageConfig {
  std::string created;  // RFC 3339, as in the JSON
  std::string author;
  std::string architecture;
  std::string os;
  std::string os_version;
  std::vector<std::string> os_features;
  std::string variant;
  std::optional<ContainerConfig> config;
  RootFs rootfs;
  std::vector<HistoryEntry> history;
  // Top-level members this struct does not model (Docker's "container_config",
  // "docker_version", "id", ...), as compact JSON text by key; serialised back in
  // key order after the modelled members. config.config members are not kept.
  std::map<std::string, std::string> extra;

  Platform platform() const;
  friend bool operator==(const ImageConfig&, const ImageConfig&) = default;
};

// "application/json; charset=utf-8" -> "application/json" (trimmed, parameters dropped).
std::string_view strip_media_type_parameters(std::string_view content_type);

// The media type of a manifest-like document when no Content-Type is known: its
// "mediaType" member, else by shape ("manifests" -> OCI index, "config" + "layers" ->
// OCI manifest, schemaVersion 1 -> Docker schema1 (signed when it has "signatures")).
// Errors for invalid JSON or an unrecognisable document.
Result<std::string> detect_media_type(std::string_view json);

// Parse and validate. `content_type` (parameters allowed) may be empty; when given it
// must be a manifest (resp. index) type and agree with the document's mediaType.
// Errors name the field: "layers[1].digest: invalid digest ...".
Result<ImageManifest> parse_manifest(std::string_view json, std::string_view content_type = {});
Result<ImageIndex> parse_index(std::string_view json, std::string_view content_type = {});
Result<ImageConfig> parse_image_config(std::string_view json);
Result<Descriptor> parse_descriptor(std::string_view json);

// The spec's MUSTs: schemaVersion 2, media types consistent (Docker types require the
// mediaType member; OCI ones, when present, must be the OCI type), every descriptor
// with mediaType, a digest and size >= 0, config/layer types not index/manifest
// types, artifactType required for an empty-config manifest, platform
// architecture/os set when present, Docker manifest list entries with platforms,
// annotation keys non-empty, data (when present) valid base64 of `size` bytes.
Result<void> validate(const Descriptor& d, std::string_view field = "descriptor");
Result<void> validate(const ImageManifest& m);
Result<void> validate(const ImageIndex& index);
Result<void> validate(const ImageConfig& config);

// Canonical JSON: members in the specs-go struct order (maps sorted by key), empty
// optional members omitted, no whitespace. Serialising a parsed document does not
// necessarily reproduce its bytes; keep the original bytes where digests matter.
std::string to_json(const Descriptor& d);
std::string to_json(const ImageManifest& m);
std::string to_json(const ImageIndex& index);
std::string to_json(const ImageConfig& config);

// Conversions for --format oci|v2s2. Layer media types map tar/gzip/zstd (and
// nondistributable <-> Docker foreign gzip), config types map OCI <-> Docker.
// Docker has no zstd layers, artifacts, subjects or (in manifests) annotations:
// to_docker fails for zstd/encrypted/unknown layers, artifactType, subject and
// non-image configs; manifest annotations are dropped. Already-converted input is
// returned unchanged.
Result<ImageManifest> to_oci(const ImageManifest& m);
Result<ImageManifest> to_docker(const ImageManifest& m);
// Index <-> manifest list: entry media types mapped, platforms kept.
Result<ImageIndex> to_oci(const ImageIndex& index);
Result<ImageIndex> to_docker(const ImageIndex& index);

// Layer media type conversions alone (errors name the type).
Result<std::string> oci_layer_media_type(std::string_view media_type);
Result<std::string> docker_layer_media_type(std::string_view media_type);

}  // namespace krill::image
