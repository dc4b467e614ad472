// What the container commands' flags parse into (docker/podman flags). Parsing fills these
// (cmd_container_line.cpp); container_flags turns RunFlags into an engine::ContainerConfig.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/krill/options.h"

namespace krill::cli {

// `run` / `create` flags, as typed (validated when converted to a ContainerConfig).
struct RunFlags {
  bool detach = false;       // -d (run only)
  bool interactive = false;  // -i
  bool tty = false;          // -t
  bool rm = false;
  std::string name;
  std::vector<std::string> env;       // -e K=V | K (from our environment)
  std::vector<std::string> env_file;  // --env-file
  std::string workdir;                // -w
  std::string user;                   // -u
  std::string entrypoint;             // --entrypoint (set_entrypoint when given)
  bool entrypoint_given = false;
  std::vector<std::string> volumes;  // -v
  std::vector<std::string> mounts;   // --mount
  std::vector<std::string> tmpfs;    // --tmpfs
  bool read_only = false;
  std::string hostname;
  std::vector<std::string> add_host;
  std::vector<std::string> dns, dns_search, dns_option;
  std::vector<std::string> cap_add, cap_drop;
  bool privileged = false;
  std::vector<std::string> security_opt;
  std::string memory, memory_swap, cpus, cpu_shares, cpuset_cpus, pids_limit, shm_size;
  std::vector<std::string> ulimit;
  std::vector<std::string> device;
  bool init = false;
  std::string init_path;
  std::string restart;
  std::vector<std::string> label;
  std::vector<std::string> label_file;
  std::vector<std::string> annotation;
  std::string stop_signal;
  std::string stop_timeout;
  std::string log_driver;
  std::vector<std::string> log_opt;
  std::string health_cmd, health_interval, health_timeout, health_start_period, health_retries;
  bool no_healthcheck = false;
  std::string health_startup_cmd, health_startup_interval, health_startup_timeout,
      health_startup_retries, health_startup_success;
  std::string userns;
  std::vector<std::string> group_add;
  std::string pull = "missing";  // always | missing | never
  std::vector<std::string>
      network;  // NAME[:alias=A,ip=IP,mac=MAC] | none | host | container:ID | ns:PATH
  std::vector<std::string> network_alias;
  std::string ip, ip6, mac_address;
  std::string runtime;
  std::vector<std::string> attach;  // -a stdin|stdout|stderr
  bool sig_proxy = true;
  std::string detach_keys = "ctrl-p,ctrl-q";
  bool quiet = false;  // -q: no pull progress
  std::string platform;
  RegistryFlags registry;            // for pulling the image
  std::vector<std::string> publish;  // -p [ip:][hostPort:]containerPort[/proto]
  bool publish_all = false;          // -P
  // IMAGE [COMMAND [ARG...]]
  std::string image;
  std::vector<std::string> command;
};

struct StartFlags {
  std::vector<std::string> containers;
  bool attach = false;
  bool interactive = false;
  std::string detach_keys = "ctrl-p,ctrl-q";
  bool sig_proxy = true;
};

struct StopFlags {
  std::vector<std::string> containers;
  int time = -1;  // -t seconds; -1 = the container's
  bool all = false;
  bool ignore = false;
};

struct KillFlags {
  std::vector<std::string> containers;
  std::string signal = "KILL";
  bool all = false;
};

struct RmFlags {
  std::vector<std::string> containers;
  bool force = false;
  std::optional<int> time;  // -t: with -f, stop (signal, then SIGKILL after this) first
  bool volumes = false;
  bool all = false;
  bool ignore = false;
};

struct PsFlags {
  bool all = false;
  bool quiet = false;
  bool no_trunc = false;
  bool latest = false;
  int last = -1;
  bool size = false;
  std::vector<std::string> filters;
  std::string format;
  bool noheading = false;
  bool external = false;  // also list working containers of `krill from` (podman's --external)
};

struct LogsFlags {
  std::string container;
  bool follow = false;
  std::string since, until;
  std::string tail = "all";
  bool timestamps = false;
  bool details = false;
};

struct ContainerInspectFlags {
  std::vector<std::string> names;
  std::string format;
  bool size = false;
  std::string type;  // "" (container, then image) | container | image
};

struct WaitFlags {
  std::vector<std::string> containers;
  std::vector<std::string> conditions;  // engine::parse_wait_condition; none = stopped
  std::string interval = "250ms";       // podman's default
};

struct AttachFlags {
  std::string container;
  bool no_stdin = false;
  std::string detach_keys = "ctrl-p,ctrl-q";
  bool sig_proxy = true;
};

struct ExecFlags {
  bool detach = false;
  bool interactive = false;
  bool tty = false;
  std::vector<std::string> env;
  std::vector<std::string> env_file;
  std::string user;
  std::string workdir;
  bool privileged = false;
  std::string detach_keys;
  std::string container;
  std::vector<std::string> command;
};

struct NamesFlags {  // pause, unpause, restart
  std::vector<std::string> containers;
  bool all = false;
  int time = -1;  // restart -t
};

struct RenameFlags {
  std::string container;
  std::string new_name;
};

struct TopFlags {
  std::string container;
  std::vector<std::string> ps_args;
};

struct ContainerPruneFlags {
  bool force = false;
  std::vector<std::string> filters;
};

struct CleanupFlags {
  std::string container;
};

// cp, diff, commit, stats, port (cmd_container_fs.cpp).
struct CpFlags {
  std::string source;
  std::string destination;
  bool archive = false;
  bool follow_link = false;
  bool overwrite = false;  // podman's --overwrite
};

struct DiffFlags {
  std::string container;
  std::string format;
};

struct CommitFlags {
  std::string container;
  std::string image;
  std::string message;
  std::string author;
  std::vector<std::string> changes;
  bool pause = false;
  bool quiet = false;
};

struct StatsFlags {
  std::vector<std::string> containers;
  bool no_stream = false;
  bool all = false;
  bool no_trunc = false;
  bool no_reset = false;  // podman's: no clearing of the terminal between samples
  int interval = 1;       // seconds between samples while streaming
  std::string format;
};

struct PortFlags {
  std::string container;
  std::string port;
};

struct ContainerFsFlags {
  CpFlags cp;
  DiffFlags diff;
  CommitFlags commit;
  StatsFlags stats;
  PortFlags port;
};

struct ContainerOptions {
  RunFlags run;
  StartFlags start;
  StopFlags stop;
  KillFlags kill;
  RmFlags rm;
  PsFlags ps;
  LogsFlags logs;
  ContainerInspectFlags inspect;
  WaitFlags wait;
  AttachFlags attach;
  ExecFlags exec;
  NamesFlags pause, unpause, restart;
  RenameFlags rename;
  TopFlags top;
  ContainerPruneFlags prune;
  CleanupFlags cleanup;
  ContainerFsFlags fs;
};

}  // namespace krill::cli
