// The JSON shapes krill's image commands print: podman's `image inspect`, skopeo's `inspect`,
// and the rows of `images` and `history` that --format templates see.
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "image/digest.h"
#include "image/image_store.h"
#include "image/manifest.h"

namespace krill::cli {

// RFC 3339 ("2024-05-01T10:00:00.123456789Z", "+02:00" offsets) -> seconds since the epoch.
std::optional<std::time_t> parse_rfc3339(const std::string& text);
// go-units HumanDuration: "Less than a second", "About a minute", "3 hours", "2 weeks" ...
std::string human_duration(std::time_t seconds);
// "2 weeks ago" from an RFC 3339 time and now; "" for an unparseable time.
std::string time_ago(const std::string& rfc3339, std::time_t now);

// skopeo inspect's document: Name, Digest, RepoTags, Created, DockerVersion, Labels,
// Architecture, Variant, Os, Layers, LayersData, Env.
nlohmann::json skopeo_inspect_json(const std::string& name, const image::Digest& digest,
                                   const std::vector<std::string>& tags,
                                   const image::ImageManifest& manifest,
                                   const image::ImageConfig& config);

// podman image inspect's document for a stored image.
nlohmann::json podman_inspect_json(const image::ImageRecord& record,
                                   const image::ImageManifest& manifest,
                                   const image::ImageConfig& config,
                                   const std::string& manifest_bytes);

// One `images` row per name of the record (one "<none>" row when it has none): Repository, Tag,
// ID (12 hex unless no_trunc), Digest, Created ("2 weeks ago"), CreatedAt, Size (human),
// Names, Dangling, and podman's --format json members (Id, RepoTags, RepoDigests, ...).
std::vector<nlohmann::json> image_rows(const image::ImageRecord& record, bool no_trunc,
                                       std::time_t now);
// podman's `images --format json` element for a record.
nlohmann::json image_json(const image::ImageRecord& record);

// `history` rows, newest first: ID, Created, CreatedBy, Size, Comment.
std::vector<nlohmann::json> history_rows(const image::ImageRecord& record,
                                         const image::ImageConfig& config,
                                         const std::vector<uint64_t>& layer_sizes, bool no_trunc,
                                         bool human, std::time_t now);

// "repo:tag" split of a normalised name "docker.io/library/busybox:latest" ->
// {"docker.io/library/busybox", "latest"}; digests give tag "<none>".
std::pair<std::string, std::string> split_repository_tag(const std::string& name);

// The config's config section in podman's JSON spelling (Env, Cmd, Entrypoint, Labels, ...).
nlohmann::json container_config_json(const image::ContainerConfig& c);

}  // namespace krill::cli
