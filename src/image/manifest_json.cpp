// JSON reading and canonical writing of manifests, indexes, descriptors and configs.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/quoted.h"
#include "image/manifest.h"

namespace krill::image {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;


std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string item(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

std::unexpected<Error> fail_at(const std::string& path, const std::string& what) {
  return fail(path.empty() ? what : path + ": " + what);
}
std::unexpected<Error> wrong_type(const std::string& path, std::string_view want, const Json& v) {
  return fail_at(path, "expected " + std::string(want) + ", got " + v.type_name());
}

Result<Json> parse_json(std::string_view text) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail("invalid JSON");
  if (!doc.is_object()) return fail("expected a JSON object, got " + std::string(doc.type_name()));
  return doc;
}

// Member lookup: nullptr when absent or null (Docker writes null for empty fields).
const Json* member(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::string> opt_string(const Json& obj, const std::string& path, std::string_view key) {
  const Json* v = member(obj, key);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return wrong_type(child(path, key), "a string", *v);
  return v->get<std::string>();
}

Result<std::string> req_string(const Json& obj, const std::string& path, std::string_view key) {
  if (member(obj, key) == nullptr) return fail_at(child(path, key), "required");
  return opt_string(obj, path, key);
}

Result<std::optional<int64_t>> opt_int(const Json& obj, const std::string& path,
                                       std::string_view key) {
  const Json* v = member(obj, key);
  if (v == nullptr) return std::optional<int64_t>();
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return fail_at(child(path, key), "out of range");
    return std::optional<int64_t>(static_cast<int64_t>(u));
  }
  if (v->is_number_integer()) return std::optional<int64_t>(v->get<int64_t>());
  return wrong_type(child(path, key), "an integer", *v);
}

Result<bool> opt_bool(const Json& obj, const std::string& path, std::string_view key) {
  const Json* v = member(obj, key);
  if (v == nullptr) return false;
  if (!v->is_boolean()) return wrong_type(child(path, key), "a boolean", *v);
  return v->get<bool>();
}

Result<std::vector<std::string>> string_array(const Json& v, const std::string& path) {
  if (!v.is_array()) return wrong_type(path, "an array of strings", v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) return wrong_type(item(path, i), "a string", v[i]);
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

Result<std::vector<std::string>> opt_strings(const Json& obj, const std::string& path,
                                             std::string_view key) {
  const Json* v = member(obj, key);
  if (v == nullptr) return std::vector<std::string>();
  return string_array(*v, child(path, key));
}

Result<std::optional<std::vector<std::string>>> nullable_strings(const Json& obj,
                                                                 const std::string& path,
                                                                 std::string_view key) {
  const Json* v = member(obj, key);
  if (v == nullptr) return std::optional<std::vector<std::string>>();
  return KRILL_TRY(string_array(*v, child(path, key)));
}

Result<std::map<std::string, std::string>> opt_string_map(const Json& obj, const std::string& path,
                                                          std::string_view key) {
  std::map<std::string, std::string> out;
  const Json* v = member(obj, key);
  if (v == nullptr) return out;
  std::string p = child(path, key);
  if (!v->is_object()) return wrong_type(p, "an object of strings", *v);
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it->is_string()) return wrong_type(p + "[" + quote(it.key()) + "]", "a string", *it);
    out[it.key()] = it->get<std::string>();
  }
  return out;
}

// {"80/tcp": {}, ...} -> keys.
Result<std::vector<std::string>> opt_key_set(const Json& obj, const std::string& path,
                                             std::string_view key) {
  std::vector<std::string> out;
  const Json* v = member(obj, key);
  if (v == nullptr) return out;
  if (!v->is_object()) return wrong_type(child(path, key), "an object", *v);
  for (auto it = v->begin(); it != v->end(); ++it) out.push_back(it.key());
  return out;
}

Result<Digest> read_digest(const Json& obj, const std::string& path, std::string_view key) {
  std::string text = KRILL_TRY(req_string(obj, path, key));
  Result<Digest> d = Digest::parse(text);
  if (!d) return fail_at(child(path, key), d.error().message());
  return *d;
}

Result<Platform> read_platform(const Json& v, const std::string& path) {
  if (!v.is_object()) return wrong_type(path, "an object", v);
  Platform p;
  p.architecture = KRILL_TRY(req_string(v, path, "architecture"));
  p.os = KRILL_TRY(req_string(v, path, "os"));
  p.os_version = KRILL_TRY(opt_string(v, path, "os.version"));
  p.os_features = KRILL_TRY(opt_strings(v, path, "os.features"));
  p.variant = KRILL_TRY(opt_string(v, path, "variant"));
  p.features = KRILL_TRY(opt_strings(v, path, "features"));
  return p;
}

Result<Descriptor> read_descriptor(const Json& v, const std::string& path) {
  if (!v.is_object()) return wrong_type(path, "an object", v);
  Descriptor d;
  d.media_type = KRILL_TRY(req_string(v, path, "mediaType"));
  d.digest = KRILL_TRY(read_digest(v, path, "digest"));
  std::optional<int64_t> size = KRILL_TRY(opt_int(v, path, "size"));
  if (!size) return fail_at(child(path, "size"), "required");
  d.size = *size;
  d.urls = KRILL_TRY(opt_strings(v, path, "urls"));
  d.annotations = KRILL_TRY(opt_string_map(v, path, "annotations"));
  if (const Json* p = member(v, "platform"))
    d.platform = KRILL_TRY(read_platform(*p, child(path, "platform")));
  d.artifact_type = KRILL_TRY(opt_string(v, path, "artifactType"));
  if (member(v, "data") != nullptr) d.data = KRILL_TRY(opt_string(v, path, "data"));
  return d;
}

Result<std::vector<Descriptor>> read_descriptors(const Json& obj, const std::string& path,
                                                 std::string_view key) {
  const Json* v = member(obj, key);
  std::string p = child(path, key);
  if (v == nullptr) return fail_at(p, "required");
  if (!v->is_array()) return wrong_type(p, "an array", *v);
  std::vector<Descriptor> out;
  for (size_t i = 0; i < v->size(); ++i)
    out.push_back(KRILL_TRY(read_descriptor((*v)[i], item(p, i))));
  return out;
}

Result<int> read_schema_version(const Json& doc) {
  std::optional<int64_t> v = KRILL_TRY(opt_int(doc, "", "schemaVersion"));
  if (!v) return fail("schemaVersion: required");
  if (*v != 2) return fail("schemaVersion: must be 2, got " + std::to_string(*v));
  return 2;
}

// Reconciles the document's mediaType with the transport's content type.
Result<std::string> effective_media_type(const Json& doc, std::string_view content_type,
                                         std::string_view kind, bool (*accepts)(std::string_view)) {
  std::string declared = KRILL_TRY(opt_string(doc, "", "mediaType"));
  std::string_view given = strip_media_type_parameters(content_type);
  if (!given.empty() && !declared.empty() && given != declared)
    return fail("mediaType: " + quote(declared) + " does not match the content type " + quote(given));
  std::string type = declared.empty() ? std::string(given) : declared;
  if (type.empty()) type = KRILL_TRY(detect_media_type(doc.dump()));
  if (!accepts(type)) {
    if (media_types::is_docker_schema1(type))
      return fail("Docker schema1 manifests (" + type + ") are not supported");
    return fail("mediaType: " + quote(type) + " is not " + std::string(kind) + " media type");
  }
  return type;
}

// --- writing ---

OrderedJson write_platform(const Platform& p) {
  OrderedJson j = OrderedJson::object();
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  if (!p.os_features.empty()) j["os.features"] = p.os_features;
  if (!p.variant.empty()) j["variant"] = p.variant;
  if (!p.features.empty()) j["features"] = p.features;
  return j;
}

OrderedJson write_map(const std::map<std::string, std::string>& m) {
  OrderedJson j = OrderedJson::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

OrderedJson write_key_set(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  OrderedJson j = OrderedJson::object();
  for (const std::string& k : keys) j[k] = OrderedJson::object();
  return j;
}

OrderedJson write_descriptor(const Descriptor& d) {
  OrderedJson j = OrderedJson::object();
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest.str();
  j["size"] = d.size;
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (!d.annotations.empty()) j["annotations"] = write_map(d.annotations);
  if (d.data) j["data"] = *d.data;
  if (d.platform) j["platform"] = write_platform(*d.platform);
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  return j;
}

OrderedJson write_descriptors(const std::vector<Descriptor>& ds) {
  OrderedJson j = OrderedJson::array();
  for (const Descriptor& d : ds) j.push_back(write_descriptor(d));
  return j;
}

std::string dump(const OrderedJson& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string_view strip_media_type_parameters(std::string_view content_type) {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  return t;
}

Result<std::string> detect_media_type(std::string_view json) {
  Json doc = KRILL_TRY(parse_json(json));
  std::string declared = KRILL_TRY(opt_string(doc, "", "mediaType"));
  if (!declared.empty()) return declared;
  std::optional<int64_t> version = KRILL_TRY(opt_int(doc, "", "schemaVersion"));
  if (version == 1 || doc.contains("fsLayers"))
    return std::string(doc.contains("signatures") ? media_types::kDockerManifestSchema1Signed
                                                  : media_types::kDockerManifestSchema1);
  if (doc.contains("manifests")) return std::string(media_types::kOciIndex);
  if (doc.contains("config") && doc.contains("layers"))
    return std::string(media_types::kOciManifest);
  return fail("cannot tell the media type of the document: no mediaType, manifests or config");
}

Result<Descriptor> parse_descriptor(std::string_view json) {
  Json doc = KRILL_TRY(parse_json(json));
  Descriptor d = KRILL_TRY(read_descriptor(doc, ""));
  KRILL_CHECK(validate(d, ""));
  return d;
}

Result<ImageManifest> parse_manifest(std::string_view json, std::string_view content_type) {
  Result<Json> parsed = parse_json(json);
  if (!parsed) return std::unexpected(std::move(parsed.error()).context("parse image manifest"));
  const Json& doc = *parsed;
  auto body = [&]() -> Result<ImageManifest> {
    ImageManifest m;
    m.media_type =
        KRILL_TRY(effective_media_type(doc, content_type, "a manifest", [](std::string_view t) {
          return media_types::is_manifest(t);
        }));
    m.schema_version = KRILL_TRY(read_schema_version(doc));
    m.artifact_type = KRILL_TRY(opt_string(doc, "", "artifactType"));
    const Json* config = member(doc, "config");
    if (config == nullptr) return fail("config: required");
    m.config = KRILL_TRY(read_descriptor(*config, "config"));
    m.layers = KRILL_TRY(read_descriptors(doc, "", "layers"));
    if (const Json* s = member(doc, "subject"))
      m.subject = KRILL_TRY(read_descriptor(*s, "subject"));
    m.annotations = KRILL_TRY(opt_string_map(doc, "", "annotations"));
    KRILL_CHECK(validate(m));
    return m;
  };
  Result<ImageManifest> m = body();
  if (!m) return std::unexpected(std::move(m.error()).context("parse image manifest"));
  return m;
}

Result<ImageIndex> parse_index(std::string_view json, std::string_view content_type) {
  auto body = [&]() -> Result<ImageIndex> {
    Json doc = KRILL_TRY(parse_json(json));
    ImageIndex index;
    index.media_type =
        KRILL_TRY(effective_media_type(doc, content_type, "an index", [](std::string_view t) {
          return media_types::is_index(t);
        }));
    index.schema_version = KRILL_TRY(read_schema_version(doc));
    index.artifact_type = KRILL_TRY(opt_string(doc, "", "artifactType"));
    index.manifests = KRILL_TRY(read_descriptors(doc, "", "manifests"));
    if (const Json* s = member(doc, "subject"))
      index.subject = KRILL_TRY(read_descriptor(*s, "subject"));
    index.annotations = KRILL_TRY(opt_string_map(doc, "", "annotations"));
    KRILL_CHECK(validate(index));
    return index;
  };
  Result<ImageIndex> index = body();
  if (!index) return std::unexpected(std::move(index.error()).context("parse image index"));
  return index;
}

Result<ImageConfig> parse_image_config(std::string_view json) {
  auto body = [&]() -> Result<ImageConfig> {
    Json doc = KRILL_TRY(parse_json(json));
    ImageConfig c;
    c.created = KRILL_TRY(opt_string(doc, "", "created"));
    c.author = KRILL_TRY(opt_string(doc, "", "author"));
    c.architecture = KRILL_TRY(req_string(doc, "", "architecture"));
    c.os = KRILL_TRY(req_string(doc, "", "os"));
    c.os_version = KRILL_TRY(opt_string(doc, "", "os.version"));
    c.os_features = KRILL_TRY(opt_strings(doc, "", "os.features"));
    c.variant = KRILL_TRY(opt_string(doc, "", "variant"));
    if (const Json* cc = member(doc, "config")) {
      const std::string p = "config";
      if (!cc->is_object()) return wrong_type(p, "an object", *cc);
      ContainerConfig x;
      x.user = KRILL_TRY(opt_string(*cc, p, "User"));
      x.exposed_ports = KRILL_TRY(opt_key_set(*cc, p, "ExposedPorts"));
      x.env = KRILL_TRY(opt_strings(*cc, p, "Env"));
      x.entrypoint = KRILL_TRY(nullable_strings(*cc, p, "Entrypoint"));
      x.cmd = KRILL_TRY(nullable_strings(*cc, p, "Cmd"));
      x.volumes = KRILL_TRY(opt_key_set(*cc, p, "Volumes"));
      x.working_dir = KRILL_TRY(opt_string(*cc, p, "WorkingDir"));
      x.labels = KRILL_TRY(opt_string_map(*cc, p, "Labels"));
      x.stop_signal = KRILL_TRY(opt_string(*cc, p, "StopSignal"));
      x.args_escaped = KRILL_TRY(opt_bool(*cc, p, "ArgsEscaped"));
      x.shell = KRILL_TRY(opt_strings(*cc, p, "Shell"));
      x.on_build = KRILL_TRY(opt_strings(*cc, p, "OnBuild"));
      if (const Json* h = member(*cc, "Healthcheck")) {
        const std::string hp = child(p, "Healthcheck");
        if (!h->is_object()) return wrong_type(hp, "an object", *h);
        HealthConfig hc;
        hc.test = KRILL_TRY(opt_strings(*h, hp, "Test"));
        hc.interval = KRILL_TRY(opt_int(*h, hp, "Interval")).value_or(0);
        hc.timeout = KRILL_TRY(opt_int(*h, hp, "Timeout")).value_or(0);
        hc.start_period = KRILL_TRY(opt_int(*h, hp, "StartPeriod")).value_or(0);
        hc.start_interval = KRILL_TRY(opt_int(*h, hp, "StartInterval")).value_or(0);
        int64_t retries = KRILL_TRY(opt_int(*h, hp, "Retries")).value_or(0);
        if (retries < 0 || retries > INT32_MAX)
          return fail_at(child(hp, "Retries"), "out of range");
        hc.retries = static_cast<int>(retries);
        x.healthcheck = hc;
      }
      c.config = std::move(x);
    }
    const Json* rootfs = member(doc, "rootfs");
    if (rootfs == nullptr) return fail("rootfs: required");
    if (!rootfs->is_object()) return wrong_type("rootfs", "an object", *rootfs);
    c.rootfs.type = KRILL_TRY(req_string(*rootfs, "rootfs", "type"));
    const Json* diff_ids = member(*rootfs, "diff_ids");
    if (diff_ids == nullptr) return fail("rootfs.diff_ids: required");
    std::vector<std::string> ids = KRILL_TRY(string_array(*diff_ids, "rootfs.diff_ids"));
    for (size_t i = 0; i < ids.size(); ++i) {
      Result<Digest> d = Digest::parse(ids[i]);
      if (!d) return fail_at(item("rootfs.diff_ids", i), d.error().message());
      c.rootfs.diff_ids.push_back(*d);
    }
    if (const Json* history = member(doc, "history")) {
      if (!history->is_array()) return wrong_type("history", "an array", *history);
      for (size_t i = 0; i < history->size(); ++i) {
        const Json& h = (*history)[i];
        std::string hp = item("history", i);
        if (!h.is_object()) return wrong_type(hp, "an object", h);
        HistoryEntry e;
        e.created = KRILL_TRY(opt_string(h, hp, "created"));
        e.created_by = KRILL_TRY(opt_string(h, hp, "created_by"));
        e.author = KRILL_TRY(opt_string(h, hp, "author"));
        e.comment = KRILL_TRY(opt_string(h, hp, "comment"));
        e.empty_layer = KRILL_TRY(opt_bool(h, hp, "empty_layer"));
        c.history.push_back(std::move(e));
      }
    }
    static constexpr std::string_view kModelled[] = {
        "created",     "author",  "architecture", "os",     "os.version",
        "os.features", "variant", "config",       "rootfs", "history"};
    for (auto it = doc.begin(); it != doc.end(); ++it)
      if (std::find(std::begin(kModelled), std::end(kModelled), it.key()) == std::end(kModelled))
        c.extra[it.key()] = it->dump(-1, ' ', false, Json::error_handler_t::replace);
    KRILL_CHECK(validate(c));
    return c;
  };
  Result<ImageConfig> c = body();
  if (!c) return std::unexpected(std::move(c.error()).context("parse image config"));
  return c;
}

std::string to_json(const Descriptor& d) { return dump(write_descriptor(d)); }

std::string to_json(const ImageManifest& m) {
  OrderedJson j = OrderedJson::object();
  j["schemaVersion"] = m.schema_version;
  if (!m.media_type.empty()) j["mediaType"] = m.media_type;
  if (!m.artifact_type.empty()) j["artifactType"] = m.artifact_type;
  j["config"] = write_descriptor(m.config);
  j["layers"] = write_descriptors(m.layers);
  if (m.subject) j["subject"] = write_descriptor(*m.subject);
  if (!m.annotations.empty()) j["annotations"] = write_map(m.annotations);
  return dump(j);
}

std::string to_json(const ImageIndex& index) {
  OrderedJson j = OrderedJson::object();
  j["schemaVersion"] = index.schema_version;
  if (!index.media_type.empty()) j["mediaType"] = index.media_type;
  if (!index.artifact_type.empty()) j["artifactType"] = index.artifact_type;
  j["manifests"] = write_descriptors(index.manifests);
  if (index.subject) j["subject"] = write_descriptor(*index.subject);
  if (!index.annotations.empty()) j["annotations"] = write_map(index.annotations);
  return dump(j);
}

std::string to_json(const ImageConfig& c) {
  OrderedJson j = OrderedJson::object();
  if (!c.created.empty()) j["created"] = c.created;
  if (!c.author.empty()) j["author"] = c.author;
  j["architecture"] = c.architecture;
  j["os"] = c.os;
  if (!c.os_version.empty()) j["os.version"] = c.os_version;
  if (!c.os_features.empty()) j["os.features"] = c.os_features;
  if (!c.variant.empty()) j["variant"] = c.variant;
  if (c.config) {
    const ContainerConfig& x = *c.config;
    OrderedJson cc = OrderedJson::object();
    if (!x.user.empty()) cc["User"] = x.user;
    if (!x.exposed_ports.empty()) cc["ExposedPorts"] = write_key_set(x.exposed_ports);
    if (!x.env.empty()) cc["Env"] = x.env;
    if (x.entrypoint) cc["Entrypoint"] = *x.entrypoint;
    if (x.cmd) cc["Cmd"] = *x.cmd;
    if (x.healthcheck) {
      const HealthConfig& h = *x.healthcheck;
      OrderedJson hj = OrderedJson::object();
      if (!h.test.empty()) hj["Test"] = h.test;
      if (h.interval) hj["Interval"] = h.interval;
      if (h.timeout) hj["Timeout"] = h.timeout;
      if (h.start_period) hj["StartPeriod"] = h.start_period;
      if (h.start_interval) hj["StartInterval"] = h.start_interval;
      if (h.retries) hj["Retries"] = h.retries;
      cc["Healthcheck"] = hj;
    }
    if (!x.volumes.empty()) cc["Volumes"] = write_key_set(x.volumes);
    if (!x.working_dir.empty()) cc["WorkingDir"] = x.working_dir;
    if (!x.labels.empty()) cc["Labels"] = write_map(x.labels);
    if (!x.stop_signal.empty()) cc["StopSignal"] = x.stop_signal;
    if (x.args_escaped) cc["ArgsEscaped"] = true;
    if (!x.on_build.empty()) cc["OnBuild"] = x.on_build;
    if (!x.shell.empty()) cc["Shell"] = x.shell;
    j["config"] = cc;
  }
  OrderedJson rootfs = OrderedJson::object();
  rootfs["type"] = c.rootfs.type;
  rootfs["diff_ids"] = OrderedJson::array();
  for (const Digest& d : c.rootfs.diff_ids) rootfs["diff_ids"].push_back(d.str());
  j["rootfs"] = rootfs;
  if (!c.history.empty()) {
    OrderedJson history = OrderedJson::array();
    for (const HistoryEntry& e : c.history) {
      OrderedJson h = OrderedJson::object();
      if (!e.created.empty()) h["created"] = e.created;
      if (!e.created_by.empty()) h["created_by"] = e.created_by;
      if (!e.author.empty()) h["author"] = e.author;
      if (!e.comment.empty()) h["comment"] = e.comment;
      if (e.empty_layer) h["empty_layer"] = true;
      history.push_back(h);
    }
    j["history"] = history;
  }
  for (const auto& [key, text] : c.extra) {
    OrderedJson v = OrderedJson::parse(text, nullptr, false);
    if (!v.is_discarded()) j[key] = v;
  }
  return dump(j);
}

}  // namespace krill::image
