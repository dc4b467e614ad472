#include "network/cni_plugin.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/child_process.h"

namespace krill::network {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Running a plugin process.

// A plugin that hangs (an iptables lock, a stuck netlink call) must not hang the engine.
constexpr auto kPluginTimeout = std::chrono::seconds(60);
// A result is a few KiB; anything near this is a broken plugin, not a result to keep in memory.
constexpr size_t kStdoutLimit = 64 * 1024 * 1024;
constexpr size_t kStderrLimit = 64 * 1024;  // the tail of stderr kept for error messages

std::string trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

// The message of a CNI error object ({"code":N,"msg":"...","details":"..."}), or nothing when
// `output` is not one.
std::optional<std::string> cni_error_message(std::string_view output) {
  const json doc = json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("code")) return std::nullopt;
  std::string msg, details;
  if (auto it = doc.find("msg"); it != doc.end() && it->is_string()) msg = it->get<std::string>();
  if (auto it = doc.find("details"); it != doc.end() && it->is_string())
    details = it->get<std::string>();
  if (msg.empty()) msg = "CNI error code " + doc["code"].dump();
  if (!details.empty()) msg += ": " + details;
  return msg;
}

// Error text for a failed plugin: its CNI error object, else its exit status with stderr (or
// stdout when stderr is empty), shortened to its end.
std::string failure_message(int status, const std::string& stdout_text,
                            const std::string& stderr_text) {
  if (auto message = cni_error_message(stdout_text)) return *message;
  std::string message = describe_wait_status(status);
  std::string detail = trim(stderr_text);
  if (detail.empty()) detail = trim(stdout_text);
  constexpr size_t kDetailLimit = 2048;
  if (detail.size() > kDetailLimit) detail = "..." + detail.substr(detail.size() - kDetailLimit);
  if (!detail.empty()) message += ": " + detail;
  return message;
}

class ProcessPluginExecutor : public PluginExecutor {
 public:
  Result<std::string> exec(const std::string& path, const std::vector<std::string>& env,
                           std::string_view stdin_data) override;
};

Result<std::string> ProcessPluginExecutor::exec(const std::string& path,
                                                const std::vector<std::string>& env,
                                                std::string_view stdin_data) {
  ChildSpec spec;
  spec.path = path;
  spec.argv = {path};
  spec.env = env;
  spec.stdin_data = stdin_data;
  spec.timeout = kPluginTimeout;
  spec.stdout_cap = {kStdoutLimit, OutputCap::Keep::kHead};
  spec.stderr_cap = {kStderrLimit, OutputCap::Keep::kTail};
  ChildOutcome outcome = KRILL_TRY(run_child(spec));

  if (outcome.exec_errno != 0) return fail_errno("exec " + path, outcome.exec_errno);
  if (outcome.timed_out)
    return fail("timed out after " + std::to_string(kPluginTimeout.count()) + "s (killed)");
  if (!outcome.succeeded())
    return fail(failure_message(outcome.wait_status, outcome.stdout_text, outcome.stderr_text));
  if (outcome.stdout_truncated)
    return fail("output larger than " + std::to_string(kStdoutLimit >> 20) + " MiB");
  return std::move(outcome.stdout_text);
}

// ---------------------------------------------------------------------------------------------
// Running a network configuration list.

json parse_json(std::string_view text) { return json::parse(text, nullptr, false); }

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string joined;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) joined += separator;
    joined += items[i];
  }
  return joined;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

Result<std::string> find_plugin(const std::string& type, const std::vector<std::string>& dirs) {
  // A type is a file name; "../x" or "/bin/x" would run something outside the plugin dirs.
  if (type.empty() || type.find('/') != std::string::npos || type == "." || type == "..")
    return fail("invalid plugin type \"" + type + "\"");
  for (const auto& dir : dirs) {
    if (dir.empty()) continue;
    std::string path = dir;
    if (path.back() != '/') path += '/';
    path += type;
    if (is_executable_file(path)) return path;
  }
  return fail("failed to find plugin \"" + type + "\" in path [" + join(dirs, " ") + "]");
}

std::vector<std::string> plugin_env(std::string_view command, const CniInvocation& invocation,
                                    const std::vector<std::string>& plugin_dirs) {
  std::string args = "IgnoreUnknown=1";
  for (const auto& [key, value] : invocation.args) args += ";" + key + "=" + value;
  return {
      "CNI_COMMAND=" + std::string(command),
      "CNI_CONTAINERID=" + invocation.container_id,
      "CNI_NETNS=" + invocation.netns_path,
      "CNI_IFNAME=" + invocation.ifname,
      "CNI_ARGS=" + args,
      "CNI_PATH=" + join(plugin_dirs, ":"),
      // The plugins run iptables, ip6tables and modprobe by name.
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
  };
}

// The plugin's network configuration as the spec's runtime hands it over: its own keys, the
// list's name and cniVersion, runtimeConfig for the capabilities it declares, prevResult.
Result<std::string> plugin_stdin(json plugin, const std::string& name,
                                 const std::string& cni_version, const CniInvocation& invocation,
                                 const json* prev_result) {
  plugin["name"] = name;
  plugin["cniVersion"] = cni_version;
  json runtime_config = json::object();
  if (auto caps = plugin.find("capabilities"); caps != plugin.end() && caps->is_object()) {
    for (const auto& [capability, enabled] : caps->items()) {
      if (!enabled.is_boolean() || !enabled.get<bool>()) continue;
      auto arg = invocation.capability_args.find(capability);
      if (arg == invocation.capability_args.end()) continue;
      json value = parse_json(arg->second);
      if (value.is_discarded())
        return fail("runtimeConfig \"" + capability + "\": invalid JSON: " + arg->second);
      runtime_config[capability] = std::move(value);
    }
  }
  // Like libcni: runtimeConfig is only set when there is something to put in it.
  if (!runtime_config.empty()) plugin["runtimeConfig"] = std::move(runtime_config);
  if (prev_result) plugin["prevResult"] = *prev_result;
  return plugin.dump();
}

std::string plugin_type(const json& plugin) {
  auto it = plugin.find("type");
  return it != plugin.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Runs one plugin for `command`; errors carry "plugin <type> (<command>)".
Result<std::string> run_plugin(const std::string& plugin_text, std::string_view command,
                               const std::string& name, const std::string& cni_version,
                               const CniInvocation& invocation, const json* prev_result,
                               const std::vector<std::string>& plugin_dirs,
                               PluginExecutor& executor) {
  const json plugin = parse_json(plugin_text);  // validated by parse()
  const std::string type = plugin_type(plugin);
  const std::string context = "plugin " + type + " (" + std::string(command) + ")";
  auto path = find_plugin(type, plugin_dirs);
  if (!path) return std::unexpected(std::move(path.error()).context(context));
  auto input = plugin_stdin(plugin, name, cni_version, invocation, prev_result);
  if (!input) return std::unexpected(std::move(input.error()).context(context));
  auto output = executor.exec(*path, plugin_env(command, invocation, plugin_dirs), *input);
  if (!output) return std::unexpected(std::move(output.error()).context(context));
  return output;
}

bool is_blank(std::string_view text) { return trim(text).empty(); }

// CHECK came with spec 0.4.0; a list that says 0.1.0-0.3.1 cannot be checked.
bool supports_check(const std::string& version) {
  return !(version.starts_with("0.1.") || version.starts_with("0.2.") ||
           version.starts_with("0.3."));
}

}  // namespace

std::unique_ptr<PluginExecutor> make_process_plugin_executor() {
  return std::make_unique<ProcessPluginExecutor>();
}

Result<CniResult> parse_cni_result(std::string_view text) {
  const json doc = parse_json(text);
  if (!doc.is_object()) return fail("CNI result: not a JSON object");
  CniResult result;
  result.json = std::string(text);

  const auto string_field = [](const json& object, const char* key) -> Result<std::string> {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::string();
    if (!it->is_string()) return fail(std::string(key) + ": not a string");
    return it->get<std::string>();
  };

  if (auto it = doc.find("interfaces"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return fail("CNI result: interfaces: not an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& entry = (*it)[i];
      const std::string where = "CNI result: interfaces[" + std::to_string(i) + "]";
      if (!entry.is_object()) return fail(where + ": not an object");
      CniInterface interface;
      auto name = string_field(entry, "name");
      auto mac = string_field(entry, "mac");
      auto sandbox = string_field(entry, "sandbox");
      for (auto* field : {&name, &mac, &sandbox})
        if (!*field) return std::unexpected(std::move(field->error()).context(where));
      interface.name = std::move(*name);
      interface.mac = std::move(*mac);
      interface.sandbox = std::move(*sandbox);
      result.interfaces.push_back(std::move(interface));
    }
  }

  // 0.3.0 and later (the 0.3.x/0.4.0 "version" key is ignored): ips[] with an interface index.
  if (auto it = doc.find("ips"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return fail("CNI result: ips: not an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& entry = (*it)[i];
      const std::string where = "CNI result: ips[" + std::to_string(i) + "]";
      if (!entry.is_object()) return fail(where + ": not an object");
      CniIpConfig ip;
      auto address = string_field(entry, "address");
      if (!address) return std::unexpected(std::move(address.error()).context(where));
      if (address->empty()) return fail(where + ": address: missing");
      auto gateway = string_field(entry, "gateway");
      if (!gateway) return std::unexpected(std::move(gateway.error()).context(where));
      ip.address = std::move(*address);
      ip.gateway = std::move(*gateway);
      if (auto index = entry.find("interface"); index != entry.end() && !index->is_null()) {
        if (!index->is_number_integer()) return fail(where + ": interface: not an integer");
        const auto value = index->get<long long>();
        if (value < 0 || value >= static_cast<long long>(result.interfaces.size()))
          return fail(where + ": interface: index " + std::to_string(value) + " out of range");
        ip.interface = static_cast<int>(value);
      }
      result.ips.push_back(std::move(ip));
    }
  }

  // 0.1.0/0.2.0: "ip4" and "ip6" objects with "ip" and "gateway", no interfaces.
  for (const char* key : {"ip4", "ip6"}) {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) continue;
    const std::string where = std::string("CNI result: ") + key;
    if (!it->is_object()) return fail(where + ": not an object");
    auto address = string_field(*it, "ip");
    auto gateway = string_field(*it, "gateway");
    for (auto* field : {&address, &gateway})
      if (!*field) return std::unexpected(std::move(field->error()).context(where));
    if (address->empty()) return fail(where + ": ip: missing");
    result.ips.push_back(CniIpConfig{std::move(*address), std::move(*gateway), -1});
  }
  return result;
}

Result<CniNetworkList> CniNetworkList::parse(std::string_view conflist_json) {
  const json doc = parse_json(conflist_json);
  if (doc.is_discarded()) return fail("CNI config: invalid JSON");
  if (!doc.is_object()) return fail("CNI config: not a JSON object");
  CniNetworkList list;

  auto name = doc.find("name");
  if (name == doc.end()) return fail("CNI config: name: missing");
  if (!name->is_string() || name->get<std::string>().empty())
    return fail("CNI config: name: not a non-empty string");
  list.name_ = name->get<std::string>();

  auto version = doc.find("cniVersion");
  if (version == doc.end()) return fail("CNI config: cniVersion: missing");
  if (!version->is_string() || version->get<std::string>().empty())
    return fail("CNI config: cniVersion: not a non-empty string");
  list.cni_version_ = version->get<std::string>();

  auto plugins = doc.find("plugins");
  if (plugins == doc.end()) return fail("CNI config: plugins: missing");
  if (!plugins->is_array()) return fail("CNI config: plugins: not an array");
  if (plugins->empty()) return fail("CNI config: plugins: empty");
  for (size_t i = 0; i < plugins->size(); ++i) {
    const json& plugin = (*plugins)[i];
    const std::string where = "CNI config: plugins[" + std::to_string(i) + "]";
    if (!plugin.is_object()) return fail(where + ": not an object");
    if (plugin_type(plugin).empty()) return fail(where + ": type: missing");
    list.plugins_.push_back(plugin.dump());
  }
  return list;
}

Result<CniResult> CniNetworkList::add(const CniInvocation& invocation,
                                      const std::vector<std::string>& plugin_dirs,
                                      PluginExecutor& executor) const {
  std::optional<json> prev_result;
  std::string result_text;
  size_t added = 0;  // plugins whose ADD succeeded, to undo on a later failure

  // What an ADD leaves behind (veth pairs, leases, iptables rules) must not outlive the failure:
  // the plugins that ran get a DEL, newest first, with the last result as prevResult — the one
  // that failed too, as libcni's callers do (it may have done part of its work; DEL is
  // idempotent).
  const auto roll_back = [&](Error error) -> Result<CniResult> {
    const json* prev = prev_result ? &*prev_result : nullptr;
    for (size_t i = added; i-- > 0;) {
      (void)run_plugin(plugins_[i], "DEL", name_, cni_version_, invocation, prev, plugin_dirs,
                       executor);
    }
    return std::unexpected(std::move(error));
  };

  for (const auto& plugin : plugins_) {
    auto output = run_plugin(plugin, "ADD", name_, cni_version_, invocation,
                             prev_result ? &*prev_result : nullptr, plugin_dirs, executor);
    ++added;
    if (!output) return roll_back(std::move(output.error()));
    // A plugin that prints nothing passes the result before it on (lenient; the spec asks
    // every plugin to print one).
    if (is_blank(*output) && prev_result) continue;
    json parsed = parse_json(*output);
    if (!parsed.is_object()) {
      return roll_back(Error("plugin " + plugin_type(parse_json(plugin)) +
                             " (ADD): result is not a JSON object: " + trim(*output)));
    }
    prev_result = std::move(parsed);
    result_text = std::move(*output);
  }

  auto result = parse_cni_result(result_text);
  if (!result) return roll_back(std::move(result.error()));
  return result;
}

Result<void> CniNetworkList::del(const CniInvocation& invocation,
                                 const std::string& cached_result_json,
                                 const std::vector<std::string>& plugin_dirs,
                                 PluginExecutor& executor) const {
  // A cached result that cannot be read is left out rather than failing the DEL: plugins must
  // clean up what they can without one.
  std::optional<json> cached;
  if (!is_blank(cached_result_json)) {
    json parsed = parse_json(cached_result_json);
    if (parsed.is_object()) cached = std::move(parsed);
  }
  std::optional<Error> first_error;
  for (size_t i = plugins_.size(); i-- > 0;) {
    auto output = run_plugin(plugins_[i], "DEL", name_, cni_version_, invocation,
                             cached ? &*cached : nullptr, plugin_dirs, executor);
    if (!output && !first_error) first_error = std::move(output.error());
  }
  if (first_error) return std::unexpected(std::move(*first_error));
  return {};
}

Result<void> CniNetworkList::check(const CniInvocation& invocation,
                                   const std::string& cached_result_json,
                                   const std::vector<std::string>& plugin_dirs,
                                   PluginExecutor& executor) const {
  if (!supports_check(cni_version_))
    return fail("CNI CHECK: configuration version " + cni_version_ + " does not support CHECK");
  if (is_blank(cached_result_json)) return fail("CNI CHECK: no cached result");
  const json cached = parse_json(cached_result_json);
  if (!cached.is_object()) return fail("CNI CHECK: cached result is not a JSON object");
  for (const auto& plugin : plugins_) {
    KRILL_CHECK(run_plugin(plugin, "CHECK", name_, cni_version_, invocation, &cached, plugin_dirs,
                           executor));
  }
  return {};
}

}  // namespace krill::network
