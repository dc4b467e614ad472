// features.json (runtime-spec features.md): what this build of the runtime supports.
#include <nlohmann/json.hpp>

#include "oci/spec.h"
#include "runtime/runtime.h"
#include "runtime/security/capabilities.h"
#include "runtime/security/lsm.h"
#include "runtime/security/seccomp.h"

namespace krill::runtime {

std::string features_json() {
  using nlohmann::json;
  json features;
  features["ociVersionMin"] = "1.0.0";
  features["ociVersionMax"] = oci::kRuntimeSpecVersion;
  features["hooks"] = {"prestart",       "createRuntime", "createContainer",
                       "startContainer", "poststart",     "poststop"};
  features["mountOptions"] = {
      "async",      "atime",   "bind",       "defaults",   "dev",         "diratime",
      "dirsync",    "exec",    "idmap",      "iversion",   "lazytime",    "loud",
      "mand",       "noatime", "nodev",      "nodiratime", "noexec",      "noiversion",
      "nolazytime", "nomand",  "norelatime", "nostrictatime", "nosuid",   "nosymfollow",
      "private",    "ratime",  "rbind",      "rdev",       "rdiratime",   "relatime",
      "remount",    "rexec",   "ridmap",     "rnoatime",   "rnodev",      "rnodiratime",
      "rnoexec",    "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro",
      "rprivate",   "rrelatime", "rro",      "rrw",        "rshared",     "rslave",
      "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw",         "shared",
      "silent",     "slave",   "strictatime", "suid",      "symfollow",   "sync",
      "tmpcopyup",  "unbindable"};
  json linux_features;
  linux_features["namespaces"] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user",
                                  "uts"};
  linux_features["capabilities"] = security::known_capability_names();
  linux_features["cgroup"] = {{"v1", true}, {"v2", true}, {"systemd", false},
                              {"systemdUser", false}, {"rdma", true}};
  linux_features["seccomp"] = {{"enabled", true},
                               {"actions", security::known_seccomp_actions()},
                               {"operators", security::known_seccomp_operators()},
                               {"archs", security::known_seccomp_architectures()},
                               {"knownFlags", security::known_seccomp_flags()},
                               {"supportedFlags", security::supported_seccomp_flags()}};
  linux_features["apparmor"] = {{"enabled", security::apparmor_enabled()}};
  linux_features["selinux"] = {{"enabled", security::selinux_enabled()}};
  linux_features["intelRdt"] = {{"enabled", true}, {"schemata", true}, {"monitoring", true}};
  linux_features["netDevices"] = {{"enabled", true}};
  linux_features["mountExtensions"] = {{"idmap", {{"enabled", true}}}};
  features["linux"] = linux_features;
  features["annotations"] = {{"org.opencontainers.runtime-spec.features.v1", "krill-runtime"}};
  return features.dump(4);
}

}  // namespace krill::runtime
