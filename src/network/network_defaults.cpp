// krill.conf is read with the shared TOML subset reader (base/toml_subset.h); this file only
// keeps its own wording of errors and checks that every value is a string or a string array.
#include "network/network_defaults.h"

#include <cstdlib>
#include <optional>

#include "base/file_io.h"
#include "base/toml_subset.h"
#include "network/ip_address.h"

namespace krill::network {
namespace {

using toml::Value;

std::string line_prefix(std::string_view file_name, int line) {
  return std::string(file_name) + ":" + std::to_string(line) + ": ";
}

constexpr std::string_view kExpectedValue = "expected key = \"value\" or key = [\"value\", ...]";

// A syntax error in krill.conf's words: "krill.conf:4: expected key = \"value\"".
std::string syntax_message(std::string_view file_name, const toml::SyntaxError& error) {
  using Part = toml::SyntaxError::Part;
  switch (error.part) {
    case Part::kHeader:
      return line_prefix(file_name, error.statement_line) + "expected [section]";
    case Part::kKey:
      return line_prefix(file_name, error.statement_line) + "expected key = \"value\"";
    case Part::kValue:
      return line_prefix(file_name, error.statement_line) + std::string(kExpectedValue);
    case Part::kAfterValue:
      return line_prefix(file_name, error.line) + "unexpected text after the value of " + error.key;
    case Part::kStructure:
      break;
  }
  return line_prefix(file_name, error.line) + error.what;
}

bool is_string_array(const Value& value) {
  if (value.kind != Value::Kind::kArray || value.is_table_array) return false;
  for (const Value& element : value.array)
    if (element.kind != Value::Kind::kString) return false;
  return true;
}

Result<void> apply_key(const std::string& key, const Value& value, const std::string& where,
                       NetworkSettingsFile& settings) {
  const std::string* text = value.kind == Value::Kind::kString ? &value.string : nullptr;
  std::optional<std::vector<std::string>> list;
  if (is_string_array(value)) {
    list.emplace();
    for (const Value& element : value.array) list->push_back(element.string);
  }
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

// Checks that every value in `table` (and in the tables in it) is a string or an array of
// strings. The keys directly in `table` apply to `section` when given ([network]); `root` is given
// for the document itself, whose "network" table is that section. Other sections and top-level
// keys belong to other parts of krill.
Result<void> visit_table(const Value& table, std::string_view file_name,
                         NetworkSettingsFile* section, NetworkSettingsFile* root) {
  for (const toml::Entry& entry : table.table) {
    const Value& value = entry.value;
    NetworkSettingsFile* child_section = root && entry.key == "network" ? root : nullptr;
    if (value.kind == Value::Kind::kTable) {
      KRILL_CHECK(visit_table(value, file_name, child_section, nullptr));
    } else if (value.kind == Value::Kind::kArray && value.is_table_array) {
      // [[network]]: each one applies in turn.
      for (const Value& element : value.array)
        KRILL_CHECK(visit_table(element, file_name, child_section, nullptr));
    } else if (value.kind != Value::Kind::kString && !is_string_array(value)) {
      return fail(line_prefix(file_name, value.line) + std::string(kExpectedValue));
    } else if (section) {
      KRILL_CHECK(apply_key(entry.key, value, line_prefix(file_name, value.line), *section));
    }
  }
  return {};
}

}  // namespace

Result<void> apply_network_settings(std::string_view file_name, std::string_view text,
                                    NetworkSettingsFile& settings) {
  auto document = toml::parse_detailed(text);
  if (!document) return fail(syntax_message(file_name, document.error()));
  return visit_table(*document, file_name, nullptr, &settings);
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
