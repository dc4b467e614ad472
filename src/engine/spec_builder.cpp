// build_spec: the OCI config.json of a container from the image's config and the user's flags,
// with Docker's defaults (see spec_builder.h; the parts live in spec_*.cpp).
#include "engine/spec_builder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_io.h"
#include "engine/spec_internal.h"
#include "oci/spec_json.h"

namespace krill::engine {

namespace {

constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string_view env_key(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// Docker's ReplaceOrAppendEnvValues: a key already present is replaced in place; an entry
// without "=" removes the key.
void replace_or_append(std::vector<std::string>& env, const std::string& entry) {
  std::string_view key = env_key(entry);
  bool remove = entry.find('=') == std::string::npos;
  for (auto it = env.begin(); it != env.end(); ++it) {
    if (env_key(*it) != key) continue;
    if (remove)
      env.erase(it);
    else
      *it = entry;
    return;
  }
  if (!remove) env.push_back(entry);
}

struct SecurityOptions {
  enum class Seccomp { kDefault, kUnconfined, kFile } seccomp = Seccomp::kDefault;
  std::string seccomp_file;
  bool no_new_privileges = false;
  std::string apparmor_profile;
  bool unconfined_system_paths = false;
  std::vector<std::string> mask;    // podman's mask=P1:P2: masked as well
  std::vector<std::string> unmask;  // unmask=P1:P2 or ALL: neither masked nor read-only
};

// "P1:P2" as absolute paths (podman's mask= and unmask= values); ALL is allowed for unmask.
Result<std::vector<std::string>> colon_separated_paths(const std::string& option,
                                                       const std::string& value, bool allow_all) {
  std::vector<std::string> paths;
  size_t start = 0;
  while (start <= value.size()) {
    size_t colon = value.find(':', start);
    std::string path = value.substr(start, colon == std::string::npos ? colon : colon - start);
    if (!(allow_all && path == "ALL") && (path.empty() || path.front() != '/'))
      return fail("--security-opt " + option + ": \"" + path + "\" is not an absolute path" +
                  (allow_all ? " (or ALL)" : ""));
    paths.push_back(std::move(path));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return paths;
}

Result<SecurityOptions> parse_security_options(const std::vector<std::string>& options,
                                               std::vector<std::string>& warnings) {
  SecurityOptions parsed;
  for (const auto& option : options) {
    // Docker accepts "key=value" and the older "key:value".
    size_t separator = option.find('=');
    size_t colon = option.find(':');
    if (separator == std::string::npos || (colon != std::string::npos && colon < separator))
      separator = colon;
    std::string key = option.substr(0, separator);
    std::string value = separator == std::string::npos ? "" : option.substr(separator + 1);
    auto invalid = [&](std::string_view why) -> Result<SecurityOptions> {
      return fail("--security-opt " + option + ": " + std::string(why));
    };
    if (key == "no-new-privileges") {
      if (value.empty() || value == "true")
        parsed.no_new_privileges = true;
      else if (value == "false")
        parsed.no_new_privileges = false;
      else
        return invalid("expected true or false");
    } else if (key == "seccomp") {
      if (value.empty()) return invalid("expected seccomp=unconfined or seccomp=FILE");
      if (value == "unconfined") {
        parsed.seccomp = SecurityOptions::Seccomp::kUnconfined;
      } else if (value == "builtin" || value == "default") {
        parsed.seccomp = SecurityOptions::Seccomp::kDefault;
      } else {
        parsed.seccomp = SecurityOptions::Seccomp::kFile;
        parsed.seccomp_file = value;
      }
    } else if (key == "label") {
      // SELinux labels: accepted (podman scripts pass label=disable); no SELinux here.
    } else if (key == "apparmor") {
      if (value.empty()) return invalid("expected apparmor=PROFILE");
      auto enabled = read_file("/sys/module/apparmor/parameters/enabled");
      if (value == "unconfined") {
        parsed.apparmor_profile.clear();
      } else if (enabled && enabled->starts_with("Y")) {
        parsed.apparmor_profile = value;
      } else {
        warnings.push_back("apparmor profile " + value + " ignored: AppArmor is not enabled");
      }
    } else if (key == "mask" || key == "unmask") {
      auto paths = KRILL_TRY(colon_separated_paths(option, value, key == "unmask"));
      auto& into = key == "mask" ? parsed.mask : parsed.unmask;
      into.insert(into.end(), paths.begin(), paths.end());
    } else if (key == "systempaths") {
      if (value != "unconfined") return invalid("only systempaths=unconfined is supported");
      parsed.unconfined_system_paths = true;
    } else {
      return invalid("unknown security option " + key);
    }
  }
  return parsed;
}

Result<oci::Seccomp> load_seccomp_file(const std::string& path,
                                       const std::vector<std::string>& capabilities) {
  std::string flag = "--security-opt seccomp=" + path;
  auto text = read_file(path);
  if (!text) return fail(flag + ": " + text.error().message());
  auto profile = spec_detail::parse_seccomp_profile(*text);
  if (!profile) return fail(flag + ": " + profile.error().message());
  auto seccomp =
      spec_detail::seccomp_for_target(*profile, spec_detail::host_seccomp_target(capabilities));
  if (!seccomp) return fail(flag + ": " + seccomp.error().message());
  return seccomp;
}

std::string container_hostname(const SpecInputs& inputs, bool host_network) {
  if (!inputs.config.hostname.empty()) return inputs.config.hostname;
  if (host_network) {
    // Docker: a container on the host's network has the host's name.
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') return name;
  }
  return inputs.id.substr(0, 12);
}

bool cgroup_v2_host() {
  struct stat st {};
  return ::stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
}

oci::Capabilities capability_sets(const std::vector<std::string>& caps, uint32_t uid) {
  oci::Capabilities sets;
  sets.bounding = caps;
  // Docker (SetCapabilities): only root starts with effective and permitted capabilities; for
  // anyone else they are what execve would give, none.
  if (uid == 0) {
    sets.effective = caps;
    sets.permitted = caps;
  }
  return sets;
}

// Fails, through `unmapped(what, id)`, on the first of the user's uid, gid and groups that the
// container's user namespace does not map.
Result<void> check_user_mapped(
    const ResolvedUser& user, const std::vector<IdMapRange>& uids,
    const std::vector<IdMapRange>& gids,
    const std::function<std::unexpected<Error>(const char*, unsigned long)>& unmapped) {
  if (!id_is_mapped(uids, user.uid)) return unmapped("uid", user.uid);
  if (!id_is_mapped(gids, user.gid)) return unmapped("gid", user.gid);
  for (uint32_t gid : user.additional_gids)
    if (!id_is_mapped(gids, gid)) return unmapped("group", gid);
  return {};
}

}  // namespace

Result<std::vector<std::string>> container_args(const ContainerConfig& config,
                                                const image::ContainerConfig& image_config) {
  std::vector<std::string> args;
  if (config.entrypoint) {
    // --entrypoint replaces the image's and drops its Cmd; --entrypoint "" means none.
    const auto& entrypoint = *config.entrypoint;
    bool empty = entrypoint.empty() || (entrypoint.size() == 1 && entrypoint[0].empty());
    if (!empty) args = entrypoint;
    args.insert(args.end(), config.command.begin(), config.command.end());
  } else {
    if (image_config.entrypoint) args = *image_config.entrypoint;
    if (!config.command.empty())
      args.insert(args.end(), config.command.begin(), config.command.end());
    else if (image_config.cmd)
      args.insert(args.end(), image_config.cmd->begin(), image_config.cmd->end());
  }
  if (args.empty()) return fail("no command specified");
  return args;
}

namespace spec_detail {

std::vector<std::string> container_env(const ContainerConfig& config,
                                       const image::ContainerConfig& image_config,
                                       const std::string& hostname, const std::string& home) {
  // The container's Env as Docker stores it: -e values, then the image's not overridden.
  std::vector<std::string> merged = config.env;
  for (const auto& entry : image_config.env) {
    bool overridden = false;
    for (const auto& user_entry : config.env)
      overridden = overridden || env_key(user_entry) == env_key(entry);
    if (!overridden) merged.push_back(entry);
  }
  std::vector<std::string> env = {kDefaultPath, "HOSTNAME=" + hostname};
  if (config.tty) env.push_back("TERM=xterm");
  for (const auto& entry : merged) replace_or_append(env, entry);
  // runc (and krill-runtime) add HOME from the passwd file inside the container; set it here so
  // that every runtime, and `inspect`, agree.
  bool has_home = false;
  for (const auto& entry : env) has_home = has_home || env_key(entry) == "HOME";
  if (!has_home) env.push_back("HOME=" + (home.empty() ? std::string("/") : home));
  return env;
}

}  // namespace spec_detail

Result<BuiltSpec> build_spec(const SpecInputs& inputs) {
  using namespace spec_detail;
  const ContainerConfig& config = inputs.config;
  const image::ContainerConfig& image = inputs.image_config;
  BuiltSpec built;

  if (inputs.rootfs.empty() || inputs.rootfs.front() != '/')
    return fail("container rootfs \"" + inputs.rootfs + "\" is not an absolute path");
  if (inputs.userdata_dir.empty()) return fail("container userdata directory not set");
  if (config.network != "" && config.network != "none" && config.network != "host" &&
      !config.network.starts_with("container:") && !config.network.starts_with("ns:"))
    return fail("--network " + config.network +
                ": not supported (a network name, none, host, container:ID or ns:PATH)");
  bool host_network = config.network == "host";
  const bool own_user_namespace = !config.uid_map.empty() && !config.gid_map.empty();
  if (!config.userns.empty() && config.userns != "host" && !own_user_namespace)
    return fail("--userns " + config.userns + ": not supported (host or auto[:size=N])");

  std::vector<std::string> args = KRILL_TRY(container_args(config, image));
  if (config.init) args.insert(args.begin(), {kContainerInitPath, "--"});

  std::string hostname = container_hostname(inputs, host_network);
  ResolvedUser user = KRILL_TRY(resolve_user(
      inputs.rootfs, config.user.empty() ? image.user : config.user, config.group_add));
  if (const auto& shared = inputs.shared_user_namespace; inputs.rootless && shared) {
    if (!shared->setgroups_allowed) {
      if (!config.group_add.empty())
        built.warnings.push_back(
            "--group-add ignored: setgroups is denied without subordinate "
            "group ids (/etc/subgid)");
      user.additional_gids.clear();
    }
    KRILL_CHECK(check_user_mapped(user, shared->uids, shared->gids, [](const char* what,
                                                                        unsigned long id) {
      return fail(std::string(what) + " " + std::to_string(id) +
                  " is not mapped in the rootless user namespace: give the user more "
                  "subordinate ids in /etc/subuid and /etc/subgid, then run krill system migrate");
    }));
  } else if (inputs.rootless && (user.uid != 0 || user.gid != 0)) {
    return fail("user " + std::to_string(user.uid) + ":" + std::to_string(user.gid) +
                " is not mapped in a rootless container (only root is)");
  } else if (own_user_namespace) {
    KRILL_CHECK(check_user_mapped(
        user, config.uid_map, config.gid_map, [&](const char* what, unsigned long id) {
          return fail("--userns " + config.userns + ": " + what + " " + std::to_string(id) +
                      " is outside the container's " +
                      std::to_string(config.uid_map.front().count) +
                      " ids: give it more with auto:size=N");
        }));
  } else if (inputs.rootless) {
    // A user namespace made by an unprivileged user has setgroups(2) denied: no supplementary
    // groups at all (runc refuses them: "cannot set any additional groups").
    if (!config.group_add.empty())
      built.warnings.push_back("--group-add ignored: a rootless container has only group 0");
    user.additional_gids.clear();
  }

  std::string cwd = config.working_dir;
  if (cwd.empty()) {
    cwd = image.working_dir.empty() ? "/" : image.working_dir;
    if (cwd.front() != '/') cwd = "/" + cwd;  // Docker makes an image's relative WORKDIR absolute
  } else if (cwd.front() != '/') {
    return fail("-w " + cwd + ": the working directory is not an absolute path");
  }

  std::vector<std::string> caps = KRILL_TRY(tweak_capabilities(
      docker_default_capabilities(), config.cap_add, config.cap_drop, config.privileged));
  SecurityOptions security = KRILL_TRY(parse_security_options(config.security_opt, built.warnings));

  // ---- process ----
  oci::Process process;
  process.terminal = config.tty;
  process.user.uid = user.uid;
  process.user.gid = user.gid;
  process.user.additional_gids = user.additional_gids;
  process.args = std::move(args);
  process.env = container_env(config, image, hostname, user.home);
  process.cwd = cwd;
  process.capabilities = capability_sets(caps, user.uid);
  process.rlimits = KRILL_TRY(container_rlimits(config.ulimits));
  process.no_new_privileges = security.no_new_privileges;
  process.apparmor_profile = security.apparmor_profile;

  oci::Spec spec;
  spec.oci_version = oci::kRuntimeSpecVersion;
  spec.process = std::move(process);
  spec.root = oci::Root{.path = inputs.rootfs, .readonly = config.read_only};
  spec.hostname = hostname;
  spec.annotations = config.annotations;

  // ---- mounts and the files they bind ----
  MountPlan mounts = KRILL_TRY(container_mounts(inputs, host_network, user));
  spec.mounts = std::move(mounts.mounts);

  // ---- linux ----
  oci::Linux lx;
  lx.namespaces.push_back({oci::NamespaceType::kPid, {}});
  if (!host_network)
    lx.namespaces.push_back({oci::NamespaceType::kNetwork, inputs.network_namespace_path});
  lx.namespaces.push_back({oci::NamespaceType::kIpc, {}});
  lx.namespaces.push_back({oci::NamespaceType::kUts, {}});
  lx.namespaces.push_back({oci::NamespaceType::kMount, {}});
  lx.namespaces.push_back({oci::NamespaceType::kCgroup, {}});
  auto oci_map = [](const std::vector<IdMapRange>& ranges) {
    std::vector<oci::IdMapping> mappings;
    for (const auto& r : ranges)
      mappings.push_back(oci::IdMapping{.container_id = static_cast<uint32_t>(r.inside),
                                        .host_id = static_cast<uint32_t>(r.outside),
                                        .size = static_cast<uint32_t>(r.count)});
    return mappings;
  };
  if (own_user_namespace) {
    lx.namespaces.push_back({oci::NamespaceType::kUser, {}});
    lx.uid_mappings = oci_map(config.uid_map);
    lx.gid_mappings = oci_map(config.gid_map);
  } else if (inputs.rootless && !inputs.shared_user_namespace) {
    lx.namespaces.push_back({oci::NamespaceType::kUser, {}});
    lx.uid_mappings = {oci::IdMapping{.container_id = 0, .host_id = ::geteuid(), .size = 1}};
    lx.gid_mappings = {oci::IdMapping{.container_id = 0, .host_id = ::getegid(), .size = 1}};
  }
  lx.rootfs_propagation = mounts.rootfs_propagation;
  if (!config.privileged && !security.unconfined_system_paths) {
    lx.masked_paths = {"/proc/asound",
                       "/proc/acpi",
                       "/proc/kcore",
                       "/proc/keys",
                       "/proc/latency_stats",
                       "/proc/timer_list",
                       "/proc/timer_stats",
                       "/proc/sched_debug",
                       "/proc/scsi",
                       "/sys/firmware",
                       "/sys/devices/virtual/powercap"};
    lx.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  }
  for (const auto& path : security.mask)
    if (std::find(lx.masked_paths.begin(), lx.masked_paths.end(), path) == lx.masked_paths.end())
      lx.masked_paths.push_back(path);
  for (const auto& path : security.unmask) {
    auto unmasked = [&](const std::string& p) { return path == "ALL" || p == path; };
    std::erase_if(lx.masked_paths, unmasked);
    std::erase_if(lx.readonly_paths, unmasked);
  }

  oci::Resources resources = KRILL_TRY(container_resources(config.resources, built.warnings));
  if (inputs.rootless && (resources.memory || resources.cpu || resources.pids) &&
      !cgroup_v2_host()) {
    // As podman: an unprivileged user has no cgroup v1 hierarchy of its own to limit.
    built.warnings.push_back(
        "resource limits are not supported and ignored on cgroups v1 rootless systems");
    resources.memory.reset();
    resources.cpu.reset();
    resources.pids.reset();
  }
  if (config.privileged) {
    lx.devices = host_devices();
    if (!inputs.rootless)
      resources.devices = {oci::DeviceCgroupRule{.allow = true, .access = "rwm"}};
  } else {
    DevicePlan devices = KRILL_TRY(requested_devices(config.devices));
    lx.devices = std::move(devices.devices);
    // An unprivileged user cannot use the devices cgroup; the user namespace limits devices.
    if (!inputs.rootless) {
      resources.devices = {oci::DeviceCgroupRule{.allow = false, .access = "rwm"}};
      for (auto& rule : devices.rules) resources.devices.push_back(std::move(rule));
    }
  }
  lx.resources = std::move(resources);

  if (!config.privileged) {
    if (security.seccomp == SecurityOptions::Seccomp::kDefault)
      lx.seccomp = docker_default_seccomp_for(caps);
    else if (security.seccomp == SecurityOptions::Seccomp::kFile)
      lx.seccomp = KRILL_TRY(load_seccomp_file(security.seccomp_file, caps));
  }
  spec.linux_config = std::move(lx);

  // ---- stop signal ----
  if (config.stop_signal > 0) {
    built.stop_signal = config.stop_signal;
  } else if (!image.stop_signal.empty()) {
    auto signal = parse_signal(image.stop_signal);
    if (!signal) return fail("image StopSignal: " + signal.error().message());
    built.stop_signal = *signal;
  }

  // The runtime refuses an invalid config; find out here, with the builder's context.
  if (auto valid = oci::validate_spec_for_create(spec); !valid)
    return fail("generated OCI spec is invalid: " + valid.error().message());

  KRILL_CHECK(write_etc_files(inputs, hostname));
  built.spec = std::move(spec);
  return built;
}

}  // namespace krill::engine
