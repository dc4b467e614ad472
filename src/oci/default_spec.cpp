// The config.json `krill spec` writes: the same as `runc spec` / `runc spec --rootless`.
#include <unistd.h>

#include "oci/spec_json.h"

namespace krill::oci {

namespace {

Mount mount(std::string destination, std::string type, std::string source,
            std::vector<std::string> options = {}) {
  Mount m;
  m.destination = std::move(destination);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

}  // namespace

Spec default_spec(bool rootless) {
  Spec spec;
  spec.oci_version = kRuntimeSpecVersion;

  Process process;
  process.terminal = true;
  process.user.uid = 0;
  process.user.gid = 0;
  process.args = {"sh"};
  process.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  process.cwd = "/";
  const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  // runc writes every set but the inheritable one.
  process.capabilities = Capabilities{
      .bounding = caps, .effective = caps, .inheritable = {}, .permitted = caps, .ambient = caps};
  process.rlimits = {Rlimit{.type = "RLIMIT_NOFILE", .soft = 1024, .hard = 1024}};
  process.no_new_privileges = true;
  spec.process = std::move(process);

  spec.root = Root{.path = "rootfs", .readonly = true};
  spec.hostname = "krill";

  std::vector<std::string> devpts_options = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                             "mode=0620"};
  // An unprivileged user cannot pick the tty group in its user namespace.
  if (!rootless) devpts_options.push_back("gid=5");
  spec.mounts = {
      mount("/proc", "proc", "proc"),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts", devpts_options),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      // Without a network namespace of its own, a rootless container cannot mount sysfs.
      rootless ? mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"})
               : mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  };

  Linux lx;
  if (rootless) {
    lx.uid_mappings = {IdMapping{.container_id = 0, .host_id = ::geteuid(), .size = 1}};
    lx.gid_mappings = {IdMapping{.container_id = 0, .host_id = ::getegid(), .size = 1}};
  } else {
    Resources resources;
    resources.devices = {DeviceCgroupRule{.allow = false, .access = "rwm"}};
    lx.resources = std::move(resources);
  }
  lx.namespaces.push_back({NamespaceType::kPid, {}});
  if (!rootless) lx.namespaces.push_back({NamespaceType::kNetwork, {}});
  lx.namespaces.push_back({NamespaceType::kIpc, {}});
  lx.namespaces.push_back({NamespaceType::kUts, {}});
  lx.namespaces.push_back({NamespaceType::kMount, {}});
  // runc 1.2 and later also give the container its own cgroup namespace.
  lx.namespaces.push_back({NamespaceType::kCgroup, {}});
  if (rootless) lx.namespaces.push_back({NamespaceType::kUser, {}});
  lx.masked_paths = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                     "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                     "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                     "/proc/scsi"};
  lx.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  spec.linux_config = std::move(lx);
  return spec;
}

}  // namespace krill::oci
