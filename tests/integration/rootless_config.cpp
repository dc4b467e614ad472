// rootless_config (rootless_config.h).
#include "rootless_config.h"

#include <cctype>
#include <string>

namespace krill::it {
namespace {

using nlohmann::json;

// "/proc/PID" of a namespace path "/proc/PID/ns/TYPE" (PID numeric), else "".
std::string owning_process(const std::string& path) {
  const std::string prefix = "/proc/";
  if (path.rfind(prefix, 0) != 0) return {};
  size_t end = prefix.size();
  while (end < path.size() && std::isdigit(static_cast<unsigned char>(path[end]))) ++end;
  if (end == prefix.size() || path.compare(end, 4, "/ns/") != 0) return {};
  return path.substr(0, end);
}

json own_and_subordinate(unsigned long own, unsigned long subordinate_start, unsigned long count) {
  json mappings = json::array({{{"containerID", 0}, {"hostID", own}, {"size", 1}}});
  if (count > 0)
    mappings.push_back({{"containerID", 1}, {"hostID", subordinate_start}, {"size", count}});
  return mappings;
}

bool has_namespace(const json& namespaces, const std::string& type) {
  for (const auto& ns : namespaces)
    if (ns.is_object() && ns.value("type", "") == type) return true;
  return false;
}

// The mounts a container without its own pid or ipc namespace can have rootless.
void adapt_mounts(json& config, bool own_pid, bool own_ipc, bool host_has_mqueue) {
  if (!config.contains("mounts") || !config["mounts"].is_array()) return;
  json kept = json::array();
  for (json mount : config["mounts"]) {
    const std::string type = mount.is_object() ? mount.value("type", "") : "";
    if (type == "proc" && !own_pid) {
      mount["type"] = "bind";
      mount["source"] = "/proc";
      mount["options"] = {"rbind", "nosuid", "noexec", "nodev"};
    }
    if (type == "mqueue" && !own_ipc && !host_has_mqueue) continue;
    kept.push_back(mount);
  }
  config["mounts"] = kept;
}

// The user namespace: the test's own, the owner's of a joined namespace, or a new one.
void add_user_namespace(json& linux_config, const UserIds& ids) {
  json& namespaces = linux_config["namespaces"];
  std::string joined_owner;
  for (const auto& ns : namespaces) {
    if (ns.value("type", "") == "user") return;
    if (joined_owner.empty() && ns.contains("path") && ns["path"].is_string())
      joined_owner = owning_process(ns["path"].get<std::string>());
  }
  if (!joined_owner.empty()) {
    namespaces.push_back({{"type", "user"}, {"path", joined_owner + "/ns/user"}});
    return;
  }
  namespaces.push_back({{"type", "user"}});
  if (!linux_config.contains("uidMappings"))
    linux_config["uidMappings"] =
        own_and_subordinate(ids.uid, ids.subuid_start, ids.subordinate_count);
  if (!linux_config.contains("gidMappings"))
    linux_config["gidMappings"] =
        own_and_subordinate(ids.gid, ids.subgid_start, ids.subordinate_count);
}

}  // namespace

json rootless_config(json config, const UserIds& ids, bool host_has_mqueue) {
  if (!config.is_object()) return config;
  json& linux_config = config["linux"];
  if (!linux_config.is_object()) return config;
  if (!linux_config["namespaces"].is_array()) linux_config["namespaces"] = json::array();
  add_user_namespace(linux_config, ids);
  const json& namespaces = linux_config["namespaces"];
  adapt_mounts(config, has_namespace(namespaces, "pid"), has_namespace(namespaces, "ipc"),
               host_has_mqueue);
  return config;
}

}  // namespace krill::it
