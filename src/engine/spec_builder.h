// The OCI runtime spec for a container, made the way Docker/podman make it: the image config
// (Entrypoint/Cmd merging, Env, WorkingDir, User through the image's /etc/passwd and /etc/group,
// StopSignal) under the user's ContainerConfig, with Docker's defaults — its capability set,
// its default seccomp profile, masked and read-only paths, /dev/shm, /etc/hosts, /etc/hostname,
// /etc/resolv.conf — and the resources, devices, ulimits, mounts the flags ask for.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/user_namespace.h"
#include "engine/container_config.h"
#include "image/manifest.h"
#include "oci/spec.h"

namespace krill::engine {

// A volume mount already resolved to a host directory by the engine.
struct ResolvedVolume {
  std::string host_path;  // <store>/volumes/<name>/_data
  std::string destination;
  bool read_only = false;
};

// Rootless inside krill's shared user namespace (cli/krill/cmd_rootless.cpp): the container
// shares it rather than getting a one-id namespace of its own, so every id it maps is usable.
struct SharedUserNamespace {
  std::vector<IdMapRange> uids, gids;  // /proc/self/uid_map, gid_map
  bool setgroups_allowed = false;      // /proc/self/setgroups says "allow"
};

// --init: where the init binary is bind-mounted (read-only) in the container, as podman does;
// the process args become {kContainerInitPath, "--", args...}.
inline constexpr const char* kContainerInitPath = "/run/podman-init";

// The init binary for --init: `requested` (--init-path; must be an absolute path to an
// executable file), else catatonit (/usr/libexec/podman/catatonit, /usr/bin/catatonit, $PATH).
// Error "--init: container-init binary not found on the host: ..." when there is none.
Result<std::string> find_init_binary(const std::string& requested);

struct SpecInputs {
  std::string id;
  ContainerConfig config;
  image::ContainerConfig image_config;  // the image's config.config ({} when absent)
  std::string rootfs;                   // the mounted snapshot (absolute)
  // Where the engine keeps this container's generated files; the builder writes
  // hosts, hostname, resolv.conf there and bind-mounts them.
  std::string userdata_dir;
  std::vector<ResolvedVolume> volumes;  // for MountRequest{type="volume"} and image Volumes
  bool rootless = false;                // geteuid() != 0: a user namespace and rootless defaults
  std::optional<SharedUserNamespace> shared_user_namespace;  // rootless, inside krill's namespace
  std::string init_path;  // --init: the host binary bind-mounted at kContainerInitPath (pid 1)
  // The network namespace to join (bridge networks, container:, ns:); "" = a new one, or the
  // host's with --network host.
  std::string network_namespace_path;
  // The container's addresses on its networks (no prefix): /etc/hosts maps its hostname to
  // them rather than to 127.0.0.1.
  std::vector<std::string> network_addresses;
  // The gateway of its first network (--add-host NAME:host-gateway), "" when none.
  std::string network_gateway;
  // The /etc/hosts section naming the containers on its networks (engine/network_hosts.h).
  std::string network_peer_hosts;
};

struct BuiltSpec {
  oci::Spec spec;
  int stop_signal = 15;               // from the config, the image, or SIGTERM
  std::vector<std::string> warnings;  // e.g. "memory limit ignored: no memory cgroup"
};

// Errors name the flag and value: "--ulimit nofile=abc: not a number",
// "--device /dev/nope: no such device", "unable to find user nobody2: no matching entries in
// passwd file".
Result<BuiltSpec> build_spec(const SpecInputs& inputs);

// The user namespace this process runs in, when it is not the host's (rootless krill inside its
// shared namespace): its id maps and setgroups state. nullopt in the initial namespace.
Result<std::optional<SharedUserNamespace>> current_shared_user_namespace();

// The process args Docker runs: Entrypoint + Cmd with the overrides applied. Error "no command
// specified" (exit 125 in Docker) when empty.
Result<std::vector<std::string>> container_args(const ContainerConfig& config,
                                                const image::ContainerConfig& image_config);

// USER "name", "uid", "name:group", "uid:gid" resolved against <rootfs>/etc/passwd and
// /etc/group; numeric ids need no entry. Supplementary groups are the user's groups in
// /etc/group plus `group_add`.
struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  std::string home = "/";
};
Result<ResolvedUser> resolve_user(const std::string& rootfs, const std::string& user,
                                  const std::vector<std::string>& group_add);

// Docker's default seccomp profile as an OCI Seccomp for this architecture.
oci::Seccomp docker_default_seccomp();
// The same profile for a container with these capabilities (its bounding set): the
// capability-gated groups (CAP_SYS_ADMIN: mount, unshare, clone3, ...) follow them.
oci::Seccomp docker_default_seccomp_for(const std::vector<std::string>& capabilities);
// Docker's default capabilities (CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID
// SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE), "CAP_" prefixed.
std::vector<std::string> docker_default_capabilities();

// Flag value parsers shared with the command line (each error names the value):
// "512m", "1g", "100k", "1024" (bytes) -> bytes.
Result<int64_t> parse_byte_size(std::string_view text);
// "1.5" -> 1500000000 nano-CPUs.
Result<int64_t> parse_cpus(std::string_view text);
// "nofile=1024:2048", "nproc=100".
Result<UlimitRequest> parse_ulimit(std::string_view text);
// "/dev/sda:/dev/xvda:rwm".
Result<DeviceRequest> parse_device(std::string_view text);
// -v "SRC:DST[:OPTS]", "DST" (anonymous volume), "name:DST"; OPTS ro,rw,z,Z,U,shared,…
Result<MountRequest> parse_volume_flag(std::string_view text);
// --mount "type=bind,source=/a,target=/b,readonly" (also src/dst/destination/ro/tmpfs-size).
Result<MountRequest> parse_mount_flag(std::string_view text);
// --tmpfs "/run:rw,size=64m".
Result<MountRequest> parse_tmpfs_flag(std::string_view text);
// --restart "on-failure:3".
Result<RestartPolicy> parse_restart(std::string_view text);
// "SIGTERM", "TERM", "15" -> 15.
Result<int> parse_signal(std::string_view text);

}  // namespace krill::engine
