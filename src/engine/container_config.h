// What a user asked for when creating a container (`krill run`/`create` flags, already parsed and
// validated), kept with the container so that `start`, `restart`, `inspect` and `commit` see the
// same request. Values are stored as given after parsing: sizes in bytes, CPU quotas in
// nano-CPUs, signals as numbers. The OCI spec is generated from this plus the image's config
// (engine/spec_builder.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/user_namespace.h"

namespace krill::engine {

// -v / --mount / --tmpfs, normalised.
struct MountRequest {
  std::string type;         // "bind" | "volume" | "tmpfs"
  std::string source;       // host path (bind), volume name ("" = anonymous volume), "" (tmpfs)
  std::string destination;  // absolute path in the container
  bool read_only = false;
  bool chown = false;                // ":U"
  std::string relabel;               // "z" | "Z" | "" (accepted, no SELinux here)
  std::string propagation;           // "rprivate" | "shared" | "slave" | ... | ""
  std::vector<std::string> options;  // extra mount options (tmpfs: size=64m,mode=1777, ...)
  friend bool operator==(const MountRequest&, const MountRequest&) = default;
};

// --device HOST[:CONTAINER[:PERMS]]
struct DeviceRequest {
  std::string host_path;
  std::string container_path;
  std::string permissions = "rwm";
  friend bool operator==(const DeviceRequest&, const DeviceRequest&) = default;
};

// --ulimit name=soft[:hard]
struct UlimitRequest {
  std::string name;  // "nofile", "nproc", ... (without RLIMIT_)
  uint64_t soft = 0;
  uint64_t hard = 0;
  friend bool operator==(const UlimitRequest&, const UlimitRequest&) = default;
};

// One network a container joins (--network NAME, --network-alias, --ip, --mac-address; network
// connect). The engine resolves the name when the container starts.
struct NetworkRequest {
  std::string name;
  std::vector<std::string> aliases;
  std::string ip;   // "" = from the network's pool
  std::string mac;  // "" = random
  friend bool operator==(const NetworkRequest&, const NetworkRequest&) = default;
};

// -p [ip:][hostPort:]containerPort[/protocol]; host_port 0 = any free port.
struct PublishedPort {
  std::string host_ip;
  uint16_t host_port = 0;
  uint16_t container_port = 0;
  std::string protocol = "tcp";
  // Docker's -p 8000-8010:80: any free host port of [host_port, host_port_last]; 0 = just one.
  uint16_t host_port_last = 0;
  friend bool operator==(const PublishedPort&, const PublishedPort&) = default;
};

// --restart no|always|on-failure[:N]|unless-stopped
struct RestartPolicy {
  std::string name = "no";
  int max_retries = 0;  // on-failure only; 0 = unlimited
  friend bool operator==(const RestartPolicy&, const RestartPolicy&) = default;
};

// --health-* flags (or the image's HEALTHCHECK when none is given).
struct HealthcheckRequest {
  std::vector<std::string> test;  // ["CMD-SHELL", "..."] | ["CMD", ...] | ["NONE"]
  int64_t interval_ns = 0;        // 0 = default (30 s)
  int64_t timeout_ns = 0;         // 0 = default (30 s)
  int64_t start_period_ns = 0;
  int retries = 0;  // 0 = default (3)
  friend bool operator==(const HealthcheckRequest&, const HealthcheckRequest&) = default;
};

// podman's --health-startup-* flags: a check that runs first and gates the regular one. Until it
// has succeeded `successes` times the regular check does not run and the status stays
// "starting"; after `retries` failures the container is restarted.
struct StartupHealthcheckRequest {
  std::vector<std::string> test;  // ["CMD-SHELL", "..."] | ["CMD", ...]
  int64_t interval_ns = 0;        // 0 = default (30 s)
  int64_t timeout_ns = 0;         // 0 = default (30 s)
  int retries = 0;                // failures before a restart; 0 = never restart
  int successes = 0;              // successes needed; 0 = the first one
  friend bool operator==(const StartupHealthcheckRequest&,
                         const StartupHealthcheckRequest&) = default;
};

struct ResourceRequest {
  int64_t memory = 0;       // bytes, 0 = unlimited
  int64_t memory_swap = 0;  // bytes incl. memory; -1 = unlimited swap; 0 = unset
  int64_t nano_cpus = 0;    // --cpus 1.5 = 1500000000
  uint64_t cpu_shares = 0;  // 0 = unset
  std::string cpuset_cpus;
  int64_t pids_limit = 0;  // 0 = unset, -1 = unlimited
  int64_t shm_size = 0;    // bytes; 0 = default 64 MiB
  friend bool operator==(const ResourceRequest&, const ResourceRequest&) = default;
};

// Marks a buildah-style working container (`krill from`): created for `krill run CTR -- CMD`,
// `copy`, `config` and `commit`, not to be started, so it needs no command. An annotation, not a
// label: commit copies labels into the image.
inline constexpr const char* kWorkingContainerAnnotation = "io.krill.working-container";

struct ContainerConfig {
  // The image as the user named it, its resolved store name ("docker.io/library/busybox:latest",
  // or "" for an image referred to by id) and its id ("sha256:...").
  std::string image_ref;
  std::string image_name;
  std::string image_id;

  // Overrides; nullopt keeps the image's value. An empty --entrypoint "" clears it.
  std::optional<std::vector<std::string>> entrypoint;
  std::vector<std::string> command;  // args after the image name; empty = the image's Cmd
  std::vector<std::string> env;      // -e / --env-file, "K=V" (a bare "K" already resolved)
  std::string working_dir;           // "" = the image's
  std::string user;                  // "" = the image's; "name", "uid", "uid:gid", "name:group"
  std::vector<std::string> group_add;
  std::string hostname;                // "" = the first 12 hex digits of the id
  std::vector<std::string> add_hosts;  // "name:ip"
  std::vector<std::string> dns_servers;
  std::vector<std::string> dns_search;
  std::vector<std::string> dns_options;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;

  bool tty = false;          // -t
  bool interactive = false;  // -i: stdin kept open
  bool read_only = false;
  bool privileged = false;
  bool init = false;  // --init: catatonit as pid 1 (forwards signals, reaps), as podman runs it
  // --init-path: the host binary to run as the init ("" = catatonit found on the host).
  std::string init_path;
  bool auto_remove = false;
  std::vector<std::string> cap_add;  // "NET_ADMIN" or "CAP_NET_ADMIN" or "ALL"
  std::vector<std::string> cap_drop;
  std::vector<std::string> security_opt;  // seccomp=FILE|unconfined, no-new-privileges, label=…
  std::vector<MountRequest> mounts;
  std::vector<DeviceRequest> devices;
  std::vector<UlimitRequest> ulimits;
  ResourceRequest resources;
  // "" = bridge networks (`networks`, or the default network when empty) | "none" | "host" |
  // "container:NAME_OR_ID" | "ns:PATH".
  std::string network = "";
  std::vector<NetworkRequest> networks;
  std::vector<PublishedPort> ports;
  bool publish_all = false;  // -P: every EXPOSEd port of the image on a free host port
  // "" | "host" | "auto" | "auto:size=N" (root only: a user namespace of its own, N ids, 65536
  // by default, from the "containers" ranges of /etc/subuid and /etc/subgid).
  std::string userns;
  // --userns=auto: the ranges allocated at create (container id -> host id), kept for the
  // container's life so that its files keep their owners; empty otherwise.
  std::vector<IdMapRange> uid_map, gid_map;
  int stop_signal = 0;    // 0 = the image's StopSignal or SIGTERM
  int stop_timeout = -1;  // seconds; -1 = default 10
  RestartPolicy restart;
  std::optional<HealthcheckRequest> healthcheck;
  bool no_healthcheck = false;  // --no-healthcheck
  std::optional<StartupHealthcheckRequest> startup_healthcheck;
  std::string log_driver = "k8s-file";             // "k8s-file" | "json-file" | "none"
  std::map<std::string, std::string> log_options;  // max-size=10m, max-file=3, path=...
  std::string runtime;  // "" = krill's built-in runtime; else a name on PATH or a path (runc)

  friend bool operator==(const ContainerConfig&, const ContainerConfig&) = default;
};

// JSON round trip (stored in the container database). Unknown members are ignored.
std::string container_config_to_json(const ContainerConfig& config);
Result<ContainerConfig> container_config_from_json(std::string_view json_text);

}  // namespace krill::engine
