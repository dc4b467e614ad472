// Internal to krill_engine: the pieces build_spec (engine/spec_builder.h) is made of, exposed for
// the unit tests. Nothing here touches the host except where a function says so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "engine/spec_builder.h"
#include "oci/spec.h"

namespace krill::engine::spec_detail {

// ---- paths inside a root file system ----

// `path` (absolute, as seen in the container) resolved inside `rootfs` the way the container would
// see it: symlinks are followed but never lead out of `rootfs` (".." stops at its top, an absolute
// link target starts again at `rootfs`), like Docker's FollowSymlinkInScope. The result need not
// exist.
std::string path_in_rootfs(const std::string& rootfs, const std::string& path);

// A regular file's content, at most 16 MiB; "" when it does not exist (or is not a regular file:
// an image could make /etc/passwd a fifo or a device).
Result<std::string> read_small_regular_file(const std::string& path);

// ---- process ----

// Docker's environment: PATH (the default unless the image or -e sets it), HOSTNAME, TERM=xterm
// with a tty, then the -e values and the image's Env that -e does not override; HOME from the
// user's passwd entry when nobody set it.
std::vector<std::string> container_env(const ContainerConfig& config,
                                       const image::ContainerConfig& image_config,
                                       const std::string& hostname, const std::string& home);

// ---- capabilities ----

// "net_admin", "CAP_NET_ADMIN", "all" -> "CAP_NET_ADMIN" / "ALL". Error for unknown names.
Result<std::string> normalize_capability(std::string_view name);
// Every capability this kernel knows (up to /proc/sys/kernel/cap_last_cap) that is in our own
// bounding set (the most a container can get), "CAP_" prefixed.
std::vector<std::string> all_capabilities();
// Docker's TweakCapabilities: privileged = all; "ALL" in adds = all minus drops; "ALL" in drops =
// just the adds; else the basics minus drops plus adds (no duplicates).
Result<std::vector<std::string>> tweak_capabilities(const std::vector<std::string>& basics,
                                                    const std::vector<std::string>& adds,
                                                    const std::vector<std::string>& drops,
                                                    bool privileged);

// ---- seccomp ----

// A profile in Docker's seccomp JSON format (profiles/seccomp/default.json), before its
// conditions are applied to a container.
struct SeccompFilter {
  std::vector<std::string> caps;    // "CAP_SYS_ADMIN"
  std::vector<std::string> arches;  // Go names as Docker writes them: "amd64", "arm64", "s390x"
  std::optional<std::pair<int, int>> min_kernel;  // {major, minor}
};

struct SeccompRule {
  oci::SeccompSyscall syscall;
  SeccompFilter includes;
  SeccompFilter excludes;
};

struct SeccompArchMap {
  std::string architecture;  // SCMP_ARCH_X86_64
  std::vector<std::string> sub_architectures;
};

struct SeccompProfile {
  std::string default_action;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;
  std::vector<SeccompArchMap> arch_map;
  std::vector<std::string> flags;
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompRule> rules;
};

SeccompProfile docker_default_seccomp_profile();
// Docker's or the OCI format ("defaultAction", "syscalls", "architectures" or "archMap", ...).
// Errors name the member: "seccomp profile: syscalls[3].action: ...".
Result<SeccompProfile> parse_seccomp_profile(std::string_view json_text);

struct SeccompTarget {
  std::vector<std::string> capabilities;  // the container's bounding set
  std::string go_arch;                    // "amd64"
  std::pair<int, int> kernel{0, 0};       // running kernel {major, minor}
};
// The running machine: its architecture as Go names it and the kernel version.
SeccompTarget host_seccomp_target(std::vector<std::string> capabilities);
// Applies the profile's includes/excludes and archMap like Docker's setupSeccomp.
Result<oci::Seccomp> seccomp_for_target(const SeccompProfile& profile, const SeccompTarget& target);

// ---- /etc/hosts, /etc/hostname, /etc/resolv.conf ----

struct HostEntry {
  std::string name;
  std::string address;
};
// --add-host "name:ip" or "name=ip" (IPv6 addresses may be bracketed). host-gateway is resolved
// to 127.0.0.1 on the host network and refused otherwise (no bridge network yet).
Result<HostEntry> parse_add_host(std::string_view text, bool host_network,
                                 std::string_view gateway = "");

// The container's /etc/hosts. Own network namespace: Docker's localhost and IPv6 lines, the
// --add-host entries, then the hostname on 127.0.0.1 (there is no other address to give it).
// Host network: the host's hosts file followed by the --add-host entries.
std::string hosts_content(const std::string& hostname, const std::vector<HostEntry>& extra_hosts,
                          bool host_network, std::string_view host_hosts_file,
                          const std::vector<std::string>& own_addresses = {});

// The container's /etc/resolv.conf from the host's. Own network namespace: nameservers on
// loopback (127.0.0.0/8, ::1) are dropped, they cannot answer there. --dns, --dns-search and
// --dns-option replace the host's values ("--dns-search ." clears the search list).
std::string resolv_conf_content(const ContainerConfig& config, bool host_network,
                                std::string_view host_resolv_conf);

// Reads the host's files, writes <userdata>/hosts, hostname and resolv.conf (mode 0644).
Result<void> write_etc_files(const SpecInputs& inputs, const std::string& hostname);

// ---- mounts ----

// Docker's --tmpfs option merge: later flags win over earlier opposite ones (exec/noexec, ro/rw,
// ...) and later size=/mode=/... replace earlier ones.
std::vector<std::string> merge_tmpfs_options(const std::vector<std::string>& options);

// Every mount of the container, in the order the runtime must make them: the defaults, then the
// /etc files, volumes, binds and tmpfs mounts sorted by path depth. Also sets the rootfs
// propagation a shared or slave bind mount needs (rshared/rslave), "" otherwise.
struct MountPlan {
  std::vector<oci::Mount> mounts;
  std::string rootfs_propagation;
};
// `user` owns the tmpfs mounts that ask for it (:U).
Result<MountPlan> container_mounts(const SpecInputs& inputs, bool host_network,
                                   const ResolvedUser& user);

// ---- resources, devices, rlimits ----

struct DevicePlan {
  std::vector<oci::Device> devices;
  std::vector<oci::DeviceCgroupRule> rules;
};
// --device: the host node's type, numbers, mode and owner (a directory adds every device in it).
Result<DevicePlan> requested_devices(const std::vector<DeviceRequest>& requests);
// --privileged: every device node of the host's /dev (not pts, shm, mqueue, ...).
std::vector<oci::Device> host_devices();

// The memory, cpu and pids limits; warnings for what the host cannot enforce.
Result<oci::Resources> container_resources(const ResourceRequest& request,
                                           std::vector<std::string>& warnings);

// RLIMIT_NOFILE at min(1048576, the caller's hard limit), then the --ulimit values.
Result<std::vector<oci::Rlimit>> container_rlimits(const std::vector<UlimitRequest>& ulimits);

}  // namespace krill::engine::spec_detail
