#include "image/registries_conf.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "base/quoted.h"
#include "base/toml_subset.h"

namespace krill::image {
namespace {

using toml::Value;


// containers/image refMatchingPrefix: the length of `ref` matched by `prefix` (which
// must end at ':', '/', '@' or the end), or -1. "*.host" matches any subdomain.
long match_prefix(std::string_view ref, std::string_view prefix) {
  if (prefix.starts_with("*.")) {
    std::string_view suffix = prefix.substr(1);  // ".host"
    size_t index = ref.find(suffix);
    if (index == std::string_view::npos) return -1;
    if (ref.substr(0, index).find('/') != std::string_view::npos) return -1;
    index += suffix.size();
    if (index == ref.size()) return static_cast<long>(index);
    char c = ref[index];
    return (c == ':' || c == '/' || c == '@') ? static_cast<long>(index) : -1;
  }
  if (ref.size() < prefix.size() || !ref.starts_with(prefix)) return -1;
  if (ref.size() == prefix.size()) return static_cast<long>(prefix.size());
  char c = ref[prefix.size()];
  return (c == ':' || c == '/' || c == '@') ? static_cast<long>(prefix.size()) : -1;
}

std::string host_of(std::string_view location) {
  return std::string(location.substr(0, location.find('/')));
}

class FileReader {
 public:
  explicit FileReader(std::string_view file) : file_(file) {}

  std::unexpected<Error> error(const Value& v, const std::string& what) const {
    return fail(std::string(file_) + ":" + std::to_string(v.line) + ": " + what);
  }

  Result<void> expect(const Value& v, Value::Kind kind, std::string_view key) const {
    if (v.kind == kind) return {};
    return error(
        v, quote(key) + " must be " + Value::kind_name(kind) + ", not " + Value::kind_name(v.kind));
  }

  Result<std::string> string(const Value& v, std::string_view key) const {
    KRILL_CHECK(expect(v, Value::Kind::kString, key));
    return v.string;
  }
  Result<bool> boolean(const Value& v, std::string_view key) const {
    KRILL_CHECK(expect(v, Value::Kind::kBool, key));
    return v.boolean;
  }
  Result<std::vector<std::string>> strings(const Value& v, std::string_view key) const {
    KRILL_CHECK(expect(v, Value::Kind::kArray, key));
    std::vector<std::string> out;
    for (const Value& item : v.array) {
      if (item.kind != Value::Kind::kString)
        return error(item, quote(key) + " must be an array of strings");
      out.push_back(item.string);
    }
    return out;
  }
  // Tables from [[key]] or key = [ {...}, ... ].
  Result<std::vector<const Value*>> tables(const Value& v, std::string_view key) const {
    KRILL_CHECK(expect(v, Value::Kind::kArray, key));
    std::vector<const Value*> out;
    for (const Value& item : v.array) {
      if (item.kind != Value::Kind::kTable)
        return error(item, quote(key) + " must be an array of tables");
      out.push_back(&item);
    }
    return out;
  }

  void unknown(RegistriesConf& conf, const Value& v, std::string_view where,
               std::string_view key) const {
    conf.warnings.push_back(std::string(file_) + ":" + std::to_string(v.line) + ": unknown key " +
                            quote(key) + (where.empty() ? "" : " in " + std::string(where)) +
                            " ignored");
  }

  // parseLocation: no URL scheme; a trailing '/' is dropped.
  Result<std::string> location(const Value& v, std::string_view key) const {
    std::string loc = KRILL_TRY(string(v, key));
    if (loc.find("://") != std::string::npos)
      return error(v, "invalid location " + quote(loc) + ": URI schemes are not supported");
    while (!loc.empty() && loc.back() == '/') loc.pop_back();
    return loc;
  }

  Result<RegistryMirror> mirror(RegistriesConf& conf, const Value& table) const {
    RegistryMirror m;
    bool has_location = false;
    for (const toml::Entry& e : table.table) {
      if (e.key == "location") {
        m.location = KRILL_TRY(location(e.value, e.key));
        has_location = true;
      } else if (e.key == "insecure") {
        m.insecure = KRILL_TRY(boolean(e.value, e.key));
      } else if (e.key == "pull-from-mirror") {
        std::string mode = KRILL_TRY(string(e.value, e.key));
        if (mode == "all" || mode.empty())
          m.pull_from_mirror = PullFromMirror::kAll;
        else if (mode == "digest-only")
          m.pull_from_mirror = PullFromMirror::kDigestOnly;
        else if (mode == "tag-only")
          m.pull_from_mirror = PullFromMirror::kTagOnly;
        else
          return error(e.value, "unsupported pull-from-mirror " + quote(mode) +
                                    " (expected all, digest-only or tag-only)");
      } else {
        unknown(conf, e.value, "[[registry.mirror]]", e.key);
      }
    }
    if (!has_location || m.location.empty())
      return error(table, "[[registry.mirror]] needs a location");
    return m;
  }

  Result<RegistryEntry> registry(RegistriesConf& conf, const Value& table) const {
    RegistryEntry r;
    const Value* pull_from_mirror_set = nullptr;
    const Value* mirrors = nullptr;
    for (const toml::Entry& e : table.table) {
      if (e.key == "prefix") {
        r.prefix = KRILL_TRY(string(e.value, e.key));
      } else if (e.key == "location") {
        r.location = KRILL_TRY(location(e.value, e.key));
      } else if (e.key == "insecure") {
        r.insecure = KRILL_TRY(boolean(e.value, e.key));
      } else if (e.key == "blocked") {
        r.blocked = KRILL_TRY(boolean(e.value, e.key));
      } else if (e.key == "mirror-by-digest-only") {
        r.mirror_by_digest_only = KRILL_TRY(boolean(e.value, e.key));
      } else if (e.key == "pull-from-mirror") {
        pull_from_mirror_set = &e.value;
      } else if (e.key == "mirror") {
        mirrors = &e.value;
      } else {
        unknown(conf, e.value, "[[registry]]", e.key);
      }
    }
    if (pull_from_mirror_set != nullptr)
      return error(*pull_from_mirror_set,
                   "pull-from-mirror must not be set for a non-mirror registry " +
                       quote(r.prefix.empty() ? r.location : r.prefix));
    if (r.prefix.empty() && r.location.empty())
      return error(table, "[[registry]] needs a prefix or a location");
    if (r.prefix.starts_with("*.")) {
      std::string_view host = std::string_view(r.prefix).substr(2);
      if (host.empty() || host.find_first_of("/:@*") != std::string_view::npos)
        return error(table, "invalid prefix " + quote(r.prefix) +
                                ": a wildcard prefix must be of the form *.example.com");
    } else if (r.prefix.find('*') != std::string::npos) {
      return error(table,
                   "invalid prefix " + quote(r.prefix) + ": '*' is only allowed as a leading \"*.\"");
    } else if (r.prefix.find("://") != std::string::npos) {
      return error(table, "invalid prefix " + quote(r.prefix) + ": URI schemes are not supported");
    }
    if (r.prefix.empty()) r.prefix = r.location;
    if (r.location.empty() && !r.is_wildcard()) r.location = r.prefix;
    if (mirrors != nullptr) {
      for (const Value* m : KRILL_TRY(tables(*mirrors, "mirror"))) {
        RegistryMirror mirror_entry = KRILL_TRY(mirror(conf, *m));
        if (r.mirror_by_digest_only && mirror_entry.pull_from_mirror != PullFromMirror::kAll)
          return error(*m, "cannot set mirror-by-digest-only for registry " + quote(r.prefix) +
                               " and pull-from-mirror for its mirror " + quote(mirror_entry.location) +
                               " at the same time");
        r.mirrors.push_back(std::move(mirror_entry));
      }
    }
    return r;
  }

  Result<void> aliases(RegistriesConf& conf, const Value& table) const {
    KRILL_CHECK(expect(table, Value::Kind::kTable, "aliases"));
    for (const toml::Entry& e : table.table) {
      std::string target = KRILL_TRY(string(e.value, e.key));
      Result<Reference> key_ref = parse_reference(e.key);
      if (!key_ref || !key_ref->is_unqualified || e.key.find_first_of(":@") != std::string::npos)
        return error(e.value,
                     "alias " + quote(e.key) + " must be a short name without registry, tag or digest");
      Result<Reference> target_ref = parse_reference(target);
      if (!target_ref)
        return error(e.value, "alias " + quote(e.key) + ": " + target_ref.error().message());
      if (target_ref->is_unqualified)
        return error(e.value, "alias " + quote(e.key) + ": " + quote(target) +
                                  " must be a fully-qualified reference with a registry");
      if (target_ref->has_digest())
        return error(e.value,
                     "alias " + quote(e.key) + ": " + quote(target) + " must not contain a digest");
      conf.aliases[e.key] = target;
    }
    return {};
  }

  // The V1 format: [registries.search|insecure|block] registries = [...].
  Result<void> v1(RegistriesConf& conf, const Value& table) const {
    KRILL_CHECK(expect(table, Value::Kind::kTable, "registries"));
    auto entry_for = [&conf](const std::string& host) -> RegistryEntry& {
      for (RegistryEntry& r : conf.registries)
        if (r.prefix == host) return r;
      RegistryEntry entry;
      entry.prefix = host;
      entry.location = host;
      conf.registries.push_back(std::move(entry));
      return conf.registries.back();
    };
    for (const toml::Entry& e : table.table) {
      KRILL_CHECK(expect(e.value, Value::Kind::kTable, "registries." + e.key));
      const Value* list = e.value.find("registries");
      if (list == nullptr) continue;
      std::vector<std::string> hosts = KRILL_TRY(strings(*list, "registries"));
      if (e.key == "search") {
        conf.unqualified_search_registries = hosts;
        conf.has_search_registries = true;
      } else if (e.key == "insecure") {
        for (const std::string& h : hosts) entry_for(h).insecure = true;
      } else if (e.key == "block") {
        for (const std::string& h : hosts) entry_for(h).blocked = true;
      } else {
        unknown(conf, e.value, "[registries]", e.key);
      }
    }
    return {};
  }

 private:
  std::string_view file_;
};

}  // namespace

const RegistryEntry* RegistriesConf::find(const Reference& ref) const {
  std::string text = ref.str();
  const RegistryEntry* best = nullptr;
  size_t best_len = 0;
  for (const RegistryEntry& r : registries) {
    if (match_prefix(text, r.prefix) == -1) continue;
    if (r.prefix.size() > best_len) {
      best = &r;
      best_len = r.prefix.size();
    }
  }
  return best;
}

std::vector<Endpoint> RegistriesConf::pull_endpoints(const Reference& ref) const {
  const RegistryEntry* entry = find(ref);
  if (entry == nullptr)
    return {
        Endpoint{.location = ref.domain, .reference = ref, .insecure = false, .is_mirror = false}};
  std::string text = ref.str();
  long matched = match_prefix(text, entry->prefix);
  auto rewrite = [&](const std::string& location) -> Result<Reference> {
    if (location.empty()) return ref;
    return parse_reference(location + text.substr(static_cast<size_t>(matched)));
  };
  std::vector<Endpoint> out;
  for (const RegistryMirror& m : entry->mirrors) {
    if (entry->mirror_by_digest_only && !ref.has_digest()) continue;
    if (m.pull_from_mirror == PullFromMirror::kDigestOnly && !ref.has_digest()) continue;
    if (m.pull_from_mirror == PullFromMirror::kTagOnly && ref.has_digest()) continue;
    Result<Reference> rewritten = rewrite(m.location);
    if (!rewritten) continue;  // a mirror that cannot hold this name is skipped
    out.push_back(Endpoint{.location = m.location,
                           .reference = *rewritten,
                           .insecure = m.insecure,
                           .is_mirror = true});
  }
  Result<Reference> primary = rewrite(entry->location);
  out.push_back(Endpoint{.location = entry->location.empty() ? ref.domain : entry->location,
                         .reference = primary ? *primary : ref,
                         .insecure = entry->insecure,
                         .is_mirror = false});
  return out;
}

bool RegistriesConf::is_blocked(const Reference& ref) const {
  const RegistryEntry* entry = find(ref);
  return entry != nullptr && entry->blocked;
}

bool RegistriesConf::is_insecure(std::string_view host) const {
  const RegistryEntry* best = nullptr;
  size_t best_len = 0;
  for (const RegistryEntry& r : registries) {
    if (host_of(r.location) == host && r.insecure) return true;
    for (const RegistryMirror& m : r.mirrors)
      if (host_of(m.location) == host && m.insecure) return true;
    if (match_prefix(host, r.prefix) != -1 && r.prefix.size() > best_len) {
      best = &r;
      best_len = r.prefix.size();
    }
  }
  return best != nullptr && best->insecure;
}

const std::string* RegistriesConf::find_alias(std::string_view short_name) const {
  auto it = aliases.find(std::string(short_name));
  return it == aliases.end() ? nullptr : &it->second;
}

void RegistriesConf::merge(RegistriesConf later) {
  if (later.has_search_registries) {
    unqualified_search_registries = std::move(later.unqualified_search_registries);
    has_search_registries = true;
  }
  if (later.has_credential_helpers) {
    credential_helpers = std::move(later.credential_helpers);
    has_credential_helpers = true;
  }
  if (later.short_name_mode != ShortNameMode::kUnset) short_name_mode = later.short_name_mode;
  for (RegistryEntry& r : later.registries) {
    auto same = std::find_if(registries.begin(), registries.end(),
                             [&](const RegistryEntry& e) { return e.prefix == r.prefix; });
    if (same != registries.end())
      *same = std::move(r);
    else
      registries.push_back(std::move(r));
  }
  for (auto& [name, target] : later.aliases) aliases[name] = std::move(target);
  for (std::string& w : later.warnings) warnings.push_back(std::move(w));
}

Result<RegistriesConf> parse_registries_conf(std::string_view text, std::string_view file_name) {
  Value doc = KRILL_TRY(toml::parse(text, file_name));
  FileReader reader(file_name);
  RegistriesConf conf;
  const Value* v1_table = nullptr;
  bool has_v2 = false;
  for (const toml::Entry& e : doc.table) {
    const Value& v = e.value;
    if (e.key == "unqualified-search-registries") {
      conf.unqualified_search_registries = KRILL_TRY(reader.strings(v, e.key));
      conf.has_search_registries = true;
      for (const std::string& host : conf.unqualified_search_registries)
        if (host.empty() || host.find_first_of("/@") != std::string::npos ||
            host.find("://") != std::string::npos || !parse_reference(host + "/x"))
          return reader.error(v, "invalid unqualified-search-registries entry " + quote(host) +
                                     ": expected a registry host[:port]");
      has_v2 = true;
    } else if (e.key == "short-name-mode") {
      std::string mode = KRILL_TRY(reader.string(v, e.key));
      if (mode == "disabled")
        conf.short_name_mode = ShortNameMode::kDisabled;
      else if (mode == "permissive")
        conf.short_name_mode = ShortNameMode::kPermissive;
      else if (mode == "enforcing")
        conf.short_name_mode = ShortNameMode::kEnforcing;
      else if (!mode.empty())
        return reader.error(v, "invalid short-name-mode " + quote(mode) +
                                   " (expected disabled, permissive or enforcing)");
    } else if (e.key == "credential-helpers") {
      conf.credential_helpers = KRILL_TRY(reader.strings(v, e.key));
      conf.has_credential_helpers = true;
    } else if (e.key == "registry") {
      has_v2 = true;
      std::set<std::string> seen;
      for (const Value* table : KRILL_TRY(reader.tables(v, e.key))) {
        RegistryEntry r = KRILL_TRY(reader.registry(conf, *table));
        if (!seen.insert(r.prefix).second)
          return reader.error(*table,
                              "registry prefix " + quote(r.prefix) + " is defined multiple times");
        conf.registries.push_back(std::move(r));
      }
    } else if (e.key == "aliases") {
      KRILL_CHECK(reader.aliases(conf, v));
    } else if (e.key == "registries") {
      v1_table = &v;
    } else {
      reader.unknown(conf, v, "", e.key);
    }
  }
  if (v1_table != nullptr) {
    if (has_v2)
      return reader.error(*v1_table,
                          "mixing the V1 [registries.*] tables with V2 keys is not supported");
    KRILL_CHECK(reader.v1(conf, *v1_table));
  }
  return conf;
}

Result<RegistriesConf> load_registries_conf(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  RegistriesConf conf;
  auto load_file = [&conf](const fs::path& file) -> Result<void> {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail_errno("open registries configuration " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return fail_errno("read registries configuration " + file.string());
    conf.merge(KRILL_TRY(parse_registries_conf(text.str(), file.string())));
    return {};
  };
  for (const std::string& path : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) continue;
    if (!fs::is_directory(st)) {
      KRILL_CHECK(load_file(path));
      continue;
    }
    std::vector<fs::path> files;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".conf" && !fs::is_directory(it->status()))
        files.push_back(it->path());
    if (ec) return fail("list registries drop-in directory " + path + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) KRILL_CHECK(load_file(f));
  }
  return conf;
}

std::vector<std::string> default_registries_conf_paths(std::string_view home,
                                                       std::string_view env_override) {
  if (!env_override.empty()) return {std::string(env_override)};
  std::vector<std::string> out;
  std::string user_dir = home.empty() ? "" : std::string(home) + "/.config/containers";
  std::error_code ec;
  if (!user_dir.empty() && std::filesystem::exists(user_dir + "/registries.conf", ec))
    out.push_back(user_dir + "/registries.conf");
  else
    out.push_back("/etc/containers/registries.conf");
  out.push_back("/etc/containers/registries.conf.d");
  if (!user_dir.empty()) out.push_back(user_dir + "/registries.conf.d");
  return out;
}

}  // namespace krill::image
