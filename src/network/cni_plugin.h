// Running a CNI network configuration list the way libcni does (CNI spec 1.0.0): each plugin
// executable found in the plugin directories, CNI_* variables in its environment, its network
// configuration on stdin (name, cniVersion, the plugin's own keys, runtimeConfig for the
// capabilities it declares, prevResult from the plugin before it), its result on stdout.
// ADD runs the plugins in order (a failure runs DEL for the ones that succeeded, in reverse),
// DEL in reverse order with the cached ADD result as prevResult and keeps going past errors
// (reporting the first), CHECK in order.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::network {

// How a plugin binary is run: exec `path` with exactly `env`, `stdin_data` on its stdin.
// Returns its stdout when it exits 0; otherwise an error with the message of the CNI error
// object it printed ({"code":N,"msg":"...","details":"..."} -> "msg: details"), or its stderr
// / exit status when it printed none. The real one forks and execs; tests substitute a fake.
class PluginExecutor {
 public:
  virtual ~PluginExecutor() = default;
  virtual Result<std::string> exec(const std::string& path, const std::vector<std::string>& env,
                                   std::string_view stdin_data) = 0;
};
std::unique_ptr<PluginExecutor> make_process_plugin_executor();

struct CniInvocation {
  std::string container_id;  // CNI_CONTAINERID
  std::string netns_path;    // CNI_NETNS
  std::string ifname;        // CNI_IFNAME, e.g. "eth0"
  // CNI_ARGS as "K=V;K=V" (IgnoreUnknown=1 is added first).
  std::vector<std::pair<std::string, std::string>> args;
  // runtimeConfig values by capability name, as JSON text: "portMappings" ->
  // [{"hostPort":8080,"containerPort":80,"protocol":"tcp","hostIP":""}], "ips" ->
  // ["10.88.0.5/16"], "mac" -> "\"aa:bb:..\"". A plugin gets only the capabilities it declares
  // with `"capabilities": {"portMappings": true}`.
  std::map<std::string, std::string> capability_args;
};

struct CniIpConfig {
  std::string address;  // CIDR: "10.88.0.5/16"
  std::string gateway;  // "" when none
  int interface = -1;   // index into interfaces, -1 when absent
};
struct CniInterface {
  std::string name;
  std::string mac;
  std::string sandbox;  // the netns path for interfaces inside the container
};
struct CniResult {
  std::string json;  // the last plugin's result as it printed it (for the DEL cache)
  std::vector<CniInterface> interfaces;
  std::vector<CniIpConfig> ips;
};

Result<CniResult> parse_cni_result(std::string_view json);

class CniNetworkList {
 public:
  // Error when it is not a conflist: "CNI config: plugins: missing".
  static Result<CniNetworkList> parse(std::string_view conflist_json);

  const std::string& name() const { return name_; }
  const std::string& cni_version() const { return cni_version_; }

  // `plugin_dirs` are searched in order for each plugin's "type"; a missing one is an error
  // "failed to find plugin \"bridge\" in path [/usr/lib/cni /opt/cni/bin]".
  Result<CniResult> add(const CniInvocation& invocation,
                        const std::vector<std::string>& plugin_dirs,
                        PluginExecutor& executor) const;
  // `cached_result_json`: what add() returned (its json), "" when unknown.
  Result<void> del(const CniInvocation& invocation, const std::string& cached_result_json,
                   const std::vector<std::string>& plugin_dirs, PluginExecutor& executor) const;
  Result<void> check(const CniInvocation& invocation, const std::string& cached_result_json,
                     const std::vector<std::string>& plugin_dirs, PluginExecutor& executor) const;

 private:
  std::string name_;
  std::string cni_version_;
  std::vector<std::string> plugins_;  // each plugin's JSON object text, in order
};

}  // namespace krill::network
