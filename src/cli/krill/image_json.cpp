#include "cli/krill/image_json.h"

#include <algorithm>
#include <cstdio>

#include "cli/krill/progress.h"

namespace krill::cli {

using nlohmann::json;

std::optional<std::time_t> parse_rfc3339(const std::string& text) {
  int y, mo, d, h, mi, s;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  std::time_t t = timegm(&tm);
  size_t zone = text.find_first_of("Zz+-", 19);
  if (zone != std::string::npos && (text[zone] == '+' || text[zone] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(text.c_str() + zone + 1, "%2d:%2d", &oh, &om) >= 1) {
      long offset = oh * 3600L + om * 60L;
      t -= text[zone] == '+' ? offset : -offset;
    }
  }
  return t;
}

std::string human_duration(std::time_t seconds) {
  auto plural = [](long n, const char* unit) { return std::to_string(n) + " " + unit; };
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return plural(seconds, "seconds");
  long minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return plural(minutes, "minutes");
  long hours = (seconds + 1800) / 3600;  // rounded, as go-units
  if (hours == 1) return "About an hour";
  if (hours < 48) return plural(hours, "hours");
  if (hours < 24 * 7 * 2) return plural(hours / 24, "days");
  if (hours < 24 * 30 * 2) return plural(hours / 24 / 7, "weeks");
  if (hours < 24 * 365 * 2) return plural(hours / 24 / 30, "months");
  return plural(hours / 24 / 365, "years");
}

std::string time_ago(const std::string& rfc3339, std::time_t now) {
  auto t = parse_rfc3339(rfc3339);
  if (!t) return "";
  return human_duration(now - *t) + " ago";
}

std::pair<std::string, std::string> split_repository_tag(const std::string& name) {
  auto at = name.find('@');
  if (at != std::string::npos) return {name.substr(0, at), "<none>"};
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    return {name.substr(0, colon), name.substr(colon + 1)};
  return {name, "<none>"};
}

json container_config_json(const image::ContainerConfig& c) {
  json j = json::object();
  if (!c.user.empty()) j["User"] = c.user;
  if (!c.exposed_ports.empty()) {
    json ports = json::object();
    for (const auto& p : c.exposed_ports) ports[p] = json::object();
    j["ExposedPorts"] = ports;
  }
  if (!c.env.empty()) j["Env"] = c.env;
  if (c.entrypoint) j["Entrypoint"] = *c.entrypoint;
  if (c.cmd) j["Cmd"] = *c.cmd;
  if (!c.volumes.empty()) {
    json vols = json::object();
    for (const auto& v : c.volumes) vols[v] = json::object();
    j["Volumes"] = vols;
  }
  if (!c.working_dir.empty()) j["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) j["Labels"] = c.labels;
  if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
  return j;
}

namespace {

json labels_of(const image::ImageConfig& config) {
  if (config.config && !config.config->labels.empty()) return config.config->labels;
  return nullptr;
}

std::string extra_string(const image::ImageConfig& config, const std::string& key) {
  auto it = config.extra.find(key);
  if (it == config.extra.end()) return "";
  auto v = json::parse(it->second, nullptr, false);
  return v.is_string() ? v.get<std::string>() : "";
}

std::vector<std::string> repo_digests(const image::ImageRecord& record) {
  std::vector<std::string> out;
  for (const auto& name : record.names) {
    auto repo = split_repository_tag(name).first;
    std::string d = repo + "@" + record.manifest_digest.str();
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  }
  return out;
}

std::vector<std::string> repo_tags(const image::ImageRecord& record) {
  std::vector<std::string> out;
  for (const auto& name : record.names)
    if (name.find('@') == std::string::npos) out.push_back(name);
  return out;
}

}  // namespace

json skopeo_inspect_json(const std::string& name, const image::Digest& digest,
                         const std::vector<std::string>& tags, const image::ImageManifest& manifest,
                         const image::ImageConfig& config) {
  json layers = json::array(), layers_data = json::array();
  for (const auto& l : manifest.layers) {
    layers.push_back(l.digest.str());
    layers_data.push_back(
        {{"MIMEType", l.media_type},
         {"Digest", l.digest.str()},
         {"Size", l.size},
         {"Annotations", l.annotations.empty() ? json(nullptr) : json(l.annotations)}});
  }
  json doc = {{"Name", name},
              {"Digest", digest.str()},
              {"RepoTags", tags},
              {"Created", config.created},
              {"DockerVersion", extra_string(config, "docker_version")},
              {"Labels", labels_of(config)},
              {"Architecture", config.architecture},
              {"Os", config.os},
              {"Layers", layers},
              {"LayersData", layers_data},
              {"Env", config.config ? json(config.config->env) : json(nullptr)}};
  if (!config.variant.empty()) doc["Variant"] = config.variant;
  return doc;
}

json podman_inspect_json(const image::ImageRecord& record, const image::ImageManifest& manifest,
                         const image::ImageConfig& config, const std::string& manifest_bytes) {
  json history = json::array();
  for (const auto& h : config.history) {
    json e = json::object();
    if (!h.created.empty()) e["created"] = h.created;
    if (!h.created_by.empty()) e["created_by"] = h.created_by;
    if (!h.author.empty()) e["author"] = h.author;
    if (!h.comment.empty()) e["comment"] = h.comment;
    if (h.empty_layer) e["empty_layer"] = true;
    history.push_back(e);
  }
  json diff_ids = json::array();
  for (const auto& d : config.rootfs.diff_ids) diff_ids.push_back(d.str());
  json doc = {
      {"Id", record.id.hex()},
      {"Digest", record.manifest_digest.str()},
      {"RepoTags", repo_tags(record)},
      {"RepoDigests", repo_digests(record)},
      {"Parent", ""},
      {"Comment", config.history.empty() ? "" : config.history.back().comment},
      {"Created", config.created.empty() ? record.created : config.created},
      {"Config", config.config ? container_config_json(*config.config) : json::object()},
      {"Version", extra_string(config, "docker_version")},
      {"Author", config.author},
      {"Architecture", config.architecture},
      {"Os", config.os},
      {"Size", record.size},
      {"VirtualSize", record.size},
      {"GraphDriver", {{"Name", "overlay"}, {"Data", json::object()}}},
      {"RootFS", {{"Type", config.rootfs.type}, {"Layers", diff_ids}}},
      {"Labels", labels_of(config)},
      {"Annotations", manifest.annotations.empty() ? json::object() : json(manifest.annotations)},
      {"ManifestType", record.manifest_media_type},
      {"User", config.config ? config.config->user : ""},
      {"History", history},
      {"NamesHistory", record.names},
  };
  if (!config.variant.empty()) doc["Variant"] = config.variant;
  (void)manifest_bytes;
  return doc;
}

json image_json(const image::ImageRecord& record) {
  auto created = parse_rfc3339(record.created);
  return {{"Id", record.id.hex()},
          {"ParentId", ""},
          {"RepoTags", record.names.empty() ? json(nullptr) : json(repo_tags(record))},
          {"RepoDigests", repo_digests(record)},
          {"Size", record.size},
          {"SharedSize", 0},
          {"VirtualSize", record.size},
          {"Labels", json::object()},
          {"Containers", 0},
          {"Names", record.names.empty() ? json(nullptr) : json(record.names)},
          {"Digest", record.manifest_digest.str()},
          {"Dangling", record.names.empty()},
          {"Created", created ? *created : 0},
          {"CreatedAt", record.created}};
}

std::vector<json> image_rows(const image::ImageRecord& record, bool no_trunc, std::time_t now) {
  std::vector<json> rows;
  std::string id = no_trunc ? record.id.str() : record.id.hex().substr(0, 12);
  std::vector<std::pair<std::string, std::string>> names;
  for (const auto& n : record.names) names.push_back(split_repository_tag(n));
  if (names.empty()) names.push_back({"<none>", "<none>"});
  for (const auto& [repo, tag] : names) {
    json row = image_json(record);
    row["Repository"] = repo;
    row["Tag"] = tag;
    row["ID"] = id;
    row["Created"] = time_ago(record.created, now);
    row["CreatedSince"] = row["Created"];
    row["Size"] = human_size(static_cast<uint64_t>(record.size));
    row["ReadOnly"] = false;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<json> history_rows(const image::ImageRecord& record, const image::ImageConfig& config,
                               const std::vector<uint64_t>& layer_sizes, bool no_trunc, bool human,
                               std::time_t now) {
  std::vector<json> rows;
  size_t layer = 0;
  for (const auto& h : config.history) {
    uint64_t size = 0;
    if (!h.empty_layer && layer < layer_sizes.size()) size = layer_sizes[layer++];
    rows.push_back({{"ID", "<missing>"},
                    {"Created", human ? time_ago(h.created, now) : h.created},
                    {"CreatedAt", h.created},
                    {"CreatedBy", h.created_by},
                    {"Size", human ? human_size(size) : std::to_string(size)},
                    {"Comment", h.comment},
                    {"Tags", nullptr}});
  }
  std::reverse(rows.begin(), rows.end());
  if (!rows.empty())
    rows.front()["ID"] = no_trunc ? record.id.str() : record.id.hex().substr(0, 12);
  if (!no_trunc)
    for (auto& r : rows) {
      std::string by = r["CreatedBy"].get<std::string>();
      if (by.size() > 45) r["CreatedBy"] = by.substr(0, 42) + "...";
    }
  return rows;
}

}  // namespace krill::cli
