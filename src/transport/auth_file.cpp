#include "transport/auth_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/file_io.h"

namespace krill::transport {

namespace {

using nlohmann::json;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// The key of an auths entry, reduced to a host: strips a scheme and, with it, a legacy path.
std::string normalize_key(std::string_view key) {
  bool had_scheme = false;
  for (std::string_view scheme : {"https://", "http://"}) {
    if (key.starts_with(scheme)) {
      key.remove_prefix(scheme.size());
      had_scheme = true;
    }
  }
  if (had_scheme) {
    size_t slash = key.find('/');
    if (slash != std::string_view::npos) key = key.substr(0, slash);
  }
  return normalize_registry_host(key);
}

Result<json> read_json_file(const std::string& path, bool missing_ok) {
  auto text = read_file(path);
  if (!text) {
    if (missing_ok && text.error().errno_value() == ENOENT) return json::object();
    return std::unexpected(std::move(text.error()));
  }
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json doc = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return fail(path + ": invalid JSON");
  return doc;
}

Result<std::optional<Credentials>> credentials_from_entry(const json& entry,
                                                          const std::string& key) {
  if (!entry.is_object()) return fail("entry \"" + key + "\" is not an object");
  Credentials creds;
  if (auto it = entry.find("identitytoken"); it != entry.end() && it->is_string())
    creds.identity_token = it->get<std::string>();
  if (auto it = entry.find("auth");
      it != entry.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
    auto decoded = base64_decode(it->get<std::string>());
    if (!decoded) return fail("entry \"" + key + "\": auth is not valid base64");
    size_t colon = decoded->find(':');
    if (colon == std::string::npos)
      return fail("entry \"" + key + "\": auth is not base64 of user:password");
    creds.username = decoded->substr(0, colon);
    creds.password = decoded->substr(colon + 1);
  } else {
    if (auto it = entry.find("username"); it != entry.end() && it->is_string())
      creds.username = it->get<std::string>();
    if (auto it = entry.find("password"); it != entry.end() && it->is_string())
      creds.password = it->get<std::string>();
  }
  if (creds.username.empty() && creds.password.empty() && creds.identity_token.empty())
    return std::optional<Credentials>();
  return std::optional<Credentials>(std::move(creds));
}

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string normalize_registry_host(std::string_view host) {
  if (host == "index.docker.io" || host == "registry-1.docker.io" || host == "docker.io")
    return "docker.io";
  return std::string(host);
}

std::vector<std::string> default_auth_files() {
  std::vector<std::string> files;
  std::string home = env("HOME");
  if (std::string f = env("REGISTRY_AUTH_FILE"); !f.empty()) {
    files.push_back(f);
  } else {
    if (std::string run = env("XDG_RUNTIME_DIR"); !run.empty())
      files.push_back(run + "/containers/auth.json");
    if (!home.empty()) files.push_back(home + "/.config/containers/auth.json");
  }
  if (std::string docker = env("DOCKER_CONFIG"); !docker.empty())
    files.push_back(docker + "/config.json");
  else if (!home.empty())
    files.push_back(home + "/.docker/config.json");
  return files;
}

std::string default_auth_file_for_writing() {
  if (std::string f = env("REGISTRY_AUTH_FILE"); !f.empty()) return f;
  if (std::string run = env("XDG_RUNTIME_DIR"); !run.empty()) return run + "/containers/auth.json";
  return env("HOME") + "/.config/containers/auth.json";
}

Result<std::optional<Credentials>> lookup_credentials(const std::string& registry_host,
                                                      const std::vector<std::string>& auth_files) {
  const std::string wanted = normalize_registry_host(registry_host);
  for (const auto& path : auth_files) {
    auto doc = read_json_file(path, /*missing_ok=*/true);
    if (!doc) return std::unexpected(std::move(doc.error()).context("read credentials"));
    auto auths = doc->find("auths");
    if (auths == doc->end() || !auths->is_object()) continue;
    // An exact key wins over a normalized match.
    const json* found = nullptr;
    std::string found_key;
    for (auto it = auths->begin(); it != auths->end(); ++it) {
      if (it.key() == registry_host) {
        found = &it.value();
        found_key = it.key();
        break;
      }
      if (!found && normalize_key(it.key()) == wanted) {
        found = &it.value();
        found_key = it.key();
      }
    }
    if (!found) continue;
    auto creds = credentials_from_entry(*found, found_key);
    if (!creds)
      return std::unexpected(std::move(creds.error()).context("read credentials from " + path));
    if (*creds) return creds;
  }
  return std::optional<Credentials>();
}

Result<void> store_credentials(const std::string& path, const std::string& registry_host,
                               const Credentials& credentials) {
  const std::string what = "store credentials for " + registry_host + " in " + path;
  auto doc = read_json_file(path, /*missing_ok=*/true);
  if (!doc) return std::unexpected(std::move(doc.error()).context(what));
  if (!(*doc)["auths"].is_object()) (*doc)["auths"] = json::object();
  json entry = json::object();
  if (!credentials.username.empty() || !credentials.password.empty())
    entry["auth"] = base64_encode(credentials.username + ":" + credentials.password);
  if (!credentials.identity_token.empty()) entry["identitytoken"] = credentials.identity_token;
  (*doc)["auths"][registry_host] = std::move(entry);
  KRILL_CHECK_CTX(mkdir_all(parent_dir(path), 0700), what);
  KRILL_CHECK_CTX(write_file_atomic(path, doc->dump(1, '\t') + "\n", 0600), what);
  return {};
}

Result<bool> remove_credentials(const std::string& path, const std::string& registry_host) {
  const std::string what = "remove credentials for " + registry_host + " from " + path;
  auto doc = read_json_file(path, /*missing_ok=*/true);
  if (!doc) return std::unexpected(std::move(doc.error()).context(what));
  auto auths = doc->find("auths");
  if (auths == doc->end() || !auths->is_object()) return false;
  const std::string wanted = normalize_registry_host(registry_host);
  std::vector<std::string> keys;
  for (auto it = auths->begin(); it != auths->end(); ++it) {
    if (it.key() == registry_host || normalize_key(it.key()) == wanted) keys.push_back(it.key());
  }
  if (keys.empty()) return false;
  for (const auto& k : keys) auths->erase(k);
  KRILL_CHECK_CTX(write_file_atomic(path, doc->dump(1, '\t') + "\n", 0600), what);
  return true;
}

std::string base64_encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (size_t rest = data.size() - i; rest > 0) {
    uint32_t v = uint8_t(data[i]) << 16;
    if (rest == 2) v |= uint8_t(data[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else if (c == '=') {
      padding = true;
      continue;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
      continue;
    else
      return fail(std::string("invalid base64 character '") + c + "'");
    if (padding) return fail("invalid base64: data after padding");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (bits >= 6) return fail("invalid base64: truncated input");
  return out;
}

}  // namespace krill::transport
