// A reader for the few TOML forms krill.conf uses: [section] headers, key = "string" and
// key = ["string", ...] (an array may span lines), comments. No TOML library for five keys.
#include "network/network_defaults.h"

#include <cstdlib>
#include <optional>
#include <variant>

#include "base/file_io.h"
#include "network/ip_address.h"

namespace krill::network {
namespace {

using Value = std::variant<std::string, std::vector<std::string>>;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

void skip_space(std::string_view& text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
}

// The rest of a line holds nothing but blanks and perhaps a comment.
bool only_comment_left(std::string_view text) {
  skip_space(text);
  return text.empty() || text.front() == '#';
}

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// A basic ("...", with escapes) or literal ('...') string at the front of `text`; consumes it.
std::optional<std::string> take_string(std::string_view& text) {
  if (text.empty() || (text.front() != '"' && text.front() != '\'')) return std::nullopt;
  const char quote = text.front();
  text.remove_prefix(1);
  std::string out;
  while (!text.empty()) {
    const char c = text.front();
    text.remove_prefix(1);
    if (c == quote) return out;
    if (c == '\n') return std::nullopt;
    if (c != '\\' || quote == '\'') {
      out += c;
      continue;
    }
    if (text.empty()) return std::nullopt;
    const char escaped = text.front();
    text.remove_prefix(1);
    switch (escaped) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      default:
        return std::nullopt;  // \uXXXX and friends have no use in these keys
    }
  }
  return std::nullopt;
}

// `["a", "b",]` with comments and newlines allowed between elements; consumes it.
std::optional<std::vector<std::string>> take_array(std::string_view& text, int& extra_lines) {
  if (text.empty() || text.front() != '[') return std::nullopt;
  text.remove_prefix(1);
  std::vector<std::string> out;
  bool want_value = true;  // after '[' or ','
  while (true) {
    // Blanks, newlines and comments between elements.
    while (true) {
      skip_space(text);
      if (!text.empty() && text.front() == '#') {
        const size_t newline = text.find('\n');
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline);
      }
      if (!text.empty() && text.front() == '\n') {
        ++extra_lines;
        text.remove_prefix(1);
        continue;
      }
      break;
    }
    if (text.empty()) return std::nullopt;
    if (text.front() == ']') {
      text.remove_prefix(1);
      return out;
    }
    if (text.front() == ',') {
      if (want_value) return std::nullopt;  // "[," or ",,"
      want_value = true;
      text.remove_prefix(1);
      continue;
    }
    if (!want_value) return std::nullopt;  // two values without a comma
    auto element = take_string(text);
    if (!element) return std::nullopt;
    out.push_back(std::move(*element));
    want_value = false;
  }
}

std::string line_prefix(std::string_view file_name, int line) {
  return std::string(file_name) + ":" + std::to_string(line) + ": ";
}

Result<void> apply_key(const std::string& key, const Value& value, const std::string& where,
                       NetworkSettingsFile& settings) {
  const std::string* text = std::get_if<std::string>(&value);
  const std::vector<std::string>* list = std::get_if<std::vector<std::string>>(&value);
  auto need_string = [&]() -> Result<void> {
    if (!text) return fail(where + key + " must be a string");
    return {};
  };
  auto need_list = [&]() -> Result<void> {
    if (!list) return fail(where + key + " must be an array of strings");
    return {};
  };
  NetworkDefaults& defaults = settings.defaults;
  if (key == "default_network") {
    KRILL_CHECK(need_string());
    if (!is_valid_network_name(*text))
      return fail(where + "default_network: invalid network name \"" + *text + "\"");
    defaults.default_network = *text;
  } else if (key == "default_subnet") {
    KRILL_CHECK(need_string());
    auto subnet = Subnet::parse(*text);
    if (!subnet) return fail(where + "default_subnet: " + subnet.error().message());
    defaults.default_subnet = *text;
  } else if (key == "default_interface") {
    KRILL_CHECK(need_string());
    if (text->empty() || text->size() > 15)
      return fail(where + "default_interface: \"" + *text +
                  "\" is not an interface name of 1 to 15 bytes");
    defaults.default_interface = *text;
  } else if (key == "default_subnet_pools") {
    KRILL_CHECK(need_list());
    for (const std::string& pool : *list) {
      auto subnet = Subnet::parse(pool);
      if (!subnet) return fail(where + "default_subnet_pools: " + subnet.error().message());
    }
    defaults.subnet_pools = *list;
  } else if (key == "cni_plugin_dirs") {
    KRILL_CHECK(need_list());
    settings.cni_plugin_dirs = *list;
  } else {
    // A typo here would silently leave a default in place.
    return fail(where + "unknown key \"" + key + "\" in [network]");
  }
  return {};
}

}  // namespace

Result<void> apply_network_settings(std::string_view file_name, std::string_view text,
                                    NetworkSettingsFile& settings) {
  std::string section;
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const int first_line = line_number;
    skip_space(text);
    if (text.empty()) break;
    if (text.front() == '\n' || text.front() == '#') {
      const size_t newline = text.find('\n');
      text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
      continue;
    }
    const std::string where = line_prefix(file_name, first_line);
    const size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    if (line.front() == '[') {
      // [section] or [[array-of-tables]]: only the name matters here.
      const bool double_bracket = line.starts_with("[[");
      const std::string_view closing = double_bracket ? "]]" : "]";
      const size_t close = line.find(closing);
      if (close == std::string_view::npos ||
          !only_comment_left(line.substr(close + closing.size())))
        return fail(where + "expected [section]");
      std::string_view name = line.substr(double_bracket ? 2 : 1, close - (double_bracket ? 2 : 1));
      skip_space(name);
      while (!name.empty() && is_space(name.back())) name.remove_suffix(1);
      if (name.empty()) return fail(where + "expected [section]");
      section = std::string(name);
      text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
      continue;
    }
    // key = value
    std::string_view rest = text;
    size_t key_length = 0;
    while (key_length < rest.size() && is_bare_key_char(rest[key_length])) ++key_length;
    const std::string key(rest.substr(0, key_length));
    rest.remove_prefix(key_length);
    skip_space(rest);
    if (key.empty() || rest.empty() || rest.front() != '=')
      return fail(where + "expected key = \"value\"");
    rest.remove_prefix(1);
    skip_space(rest);
    Value value;
    int extra_lines = 0;
    if (auto string_value = take_string(rest)) {
      value = std::move(*string_value);
    } else if (auto array_value = take_array(rest, extra_lines)) {
      value = std::move(*array_value);
    } else {
      return fail(where + "expected key = \"value\" or key = [\"value\", ...]");
    }
    const size_t end_of_line = rest.find('\n');
    if (!only_comment_left(rest.substr(0, end_of_line)))
      return fail(line_prefix(file_name, first_line + extra_lines) +
                  "unexpected text after the value of " + key);
    line_number += extra_lines;
    text =
        end_of_line == std::string_view::npos ? std::string_view() : rest.substr(end_of_line + 1);
    // Other sections (and top-level keys) belong to other parts of krill.
    if (section == "network") KRILL_CHECK(apply_key(key, value, where, settings));
  }
  return {};
}

Result<NetworkSettingsFile> load_network_settings() {
  std::vector<std::string> paths = {"/etc/krill/krill.conf"};
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  // The XDG base directory spec ignores relative paths.
  if (xdg && xdg[0] == '/')
    paths.push_back(std::string(xdg) + "/krill/krill.conf");
  else if (home && home[0] == '/')
    paths.push_back(std::string(home) + "/.config/krill/krill.conf");
  NetworkSettingsFile settings;
  for (const std::string& path : paths) {
    auto text = read_file(path);
    if (!text) {
      if (text.error().errno_value() == ENOENT) continue;
      return std::unexpected(std::move(text.error()));
    }
    KRILL_CHECK(apply_network_settings(path, *text, settings));
  }
  return settings;
}

}  // namespace krill::network
