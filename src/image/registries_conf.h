// containers-registries.conf(5), version 2: search registries, short-name aliases,
// per-prefix registry entries with location rewriting, insecure/blocked flags and
// pull mirrors. Parsed with a small strict TOML subset (base/toml_subset.h).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/reference.h"

namespace krill::image {

enum class ShortNameMode { kUnset, kDisabled, kPermissive, kEnforcing };

// pull-from-mirror: which references a mirror serves.
enum class PullFromMirror { kAll, kDigestOnly, kTagOnly };

struct RegistryMirror {
  std::string location;  // "mirror.example.com/ns", no scheme
  bool insecure = false;
  PullFromMirror pull_from_mirror = PullFromMirror::kAll;

  friend bool operator==(const RegistryMirror&, const RegistryMirror&) = default;
};

struct RegistryEntry {
  // "host[:port][/ns...][/repo[:tag|@digest]]" or "*.host"; defaults to location.
  std::string prefix;
  // Where the prefix is rewritten to; empty for wildcard prefixes (kept as typed).
  std::string location;
  bool insecure = false;
  bool blocked = false;
  // Legacy mirror-by-digest-only: all mirrors serve digest references only.
  bool mirror_by_digest_only = false;
  std::vector<RegistryMirror> mirrors;

  bool is_wildcard() const { return prefix.starts_with("*."); }
  friend bool operator==(const RegistryEntry&, const RegistryEntry&) = default;
};

// One place to pull a reference from: the reference rewritten to a mirror or location.
struct Endpoint {
  std::string location;   // the registry location (mirror or primary), as configured
  Reference reference;    // the reference with its prefix rewritten for this endpoint
  bool insecure = false;  // plain HTTP / unverified TLS allowed
  bool is_mirror = false;

  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

class RegistriesConf {
 public:
  std::vector<std::string> unqualified_search_registries;
  ShortNameMode short_name_mode = ShortNameMode::kUnset;
  std::vector<RegistryEntry> registries;
  // Short name ("fedora", "containers/buildah") -> fully-qualified reference text.
  std::map<std::string, std::string> aliases;
  // credential-helpers (kept for the auth code; "containers-auth.json" by default).
  std::vector<std::string> credential_helpers;
  // Whether the file set these lists (an explicit empty list still replaces on merge).
  bool has_search_registries = false;
  bool has_credential_helpers = false;
  // Non-fatal findings, e.g. "registries.conf:12: unknown key \"foo\" ignored".
  std::vector<std::string> warnings;

  // The entry whose prefix matches `ref` longest (exact path-boundary prefixes beat
  // wildcard "*.host" prefixes of the same matched length), or nullptr.
  const RegistryEntry* find(const Reference& ref) const;
  // Mirrors (in order, filtered by pull-from-mirror / mirror-by-digest-only for the
  // reference kind) then the primary location, each with the reference rewritten.
  // An unmatched reference yields just itself.
  std::vector<Endpoint> pull_endpoints(const Reference& ref) const;
  bool is_blocked(const Reference& ref) const;
  // `host` is "host[:port]"; true when a registry entry or mirror for it is insecure.
  bool is_insecure(std::string_view host) const;
  // The alias for a short name, or nullptr.
  const std::string* find_alias(std::string_view short_name) const;

  // Merges a later file (drop-in) over this one as containers/image does: set scalars
  // and the search list replace, registries with the same prefix replace, others
  // append, aliases merge with later entries winning.
  void merge(RegistriesConf later);
};

// Parses one file's text; errors name the file and line ("x.conf:3: ...").
Result<RegistriesConf> parse_registries_conf(std::string_view text, std::string_view file_name);

// Loads and merges `paths` in order. A directory contributes its "*.conf" files in
// lexical order; paths that do not exist are skipped. No paths -> empty config.
Result<RegistriesConf> load_registries_conf(const std::vector<std::string>& paths);

// podman's lookup order: $CONTAINERS_REGISTRIES_CONF alone when set (pass it as
// env_override); else the user file $HOME/.config/containers/registries.conf when it
// exists, otherwise /etc/containers/registries.conf; then the drop-in directories
// /etc/containers/registries.conf.d and $HOME/.config/containers/registries.conf.d.
std::vector<std::string> default_registries_conf_paths(std::string_view home,
                                                       std::string_view env_override = {});

}  // namespace krill::image
