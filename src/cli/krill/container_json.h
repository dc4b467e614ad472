// What `ps` and `inspect` show of a container: Docker-shaped inspect JSON (podman's variant:
// Name without a leading slash), ps rows for --format templates, and Docker's human texts
// ("Up 3 seconds", "Exited (0) 2 seconds ago", "2 minutes ago").
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/container_record.h"
#include "engine/health.h"
#include "network/container_network.h"

namespace krill::cli {

// Docker's units.HumanDuration: "Less than a second", "1 second", "5 seconds",
// "About a minute", "3 minutes", "About an hour", "5 hours", "3 days", "2 weeks", ...
std::string human_duration_ns(int64_t ns);

// STATUS column: "Created", "Up 3 seconds", "Up 3 seconds (Paused)", "Exited (0) 2 seconds ago",
// "Removal In Progress".
std::string status_text(const engine::ContainerRecord& record, int64_t now_ns);

// The command as `ps` shows it: the args joined with spaces; truncated to 20 characters
// ("...") unless no_trunc. `args` are the process args (entrypoint + cmd).
std::string command_text(const std::vector<std::string>& args, bool no_trunc);

struct ContainerPaths {
  std::string log_path;
  std::string snapshot_dir;  // <store>/containers/<id>/snapshot
  std::string rootfs;        // merged/ or rootfs/
  std::string driver = "overlay";
  std::string hostname_path, hosts_path, resolv_conf_path;
  std::vector<std::string> mount_sources;  // host paths of config.mounts, same order
  std::vector<std::string> args;           // the process args (entrypoint + cmd)
  // Its networks while it runs with a namespace of its own (nullopt otherwise).
  std::optional<network::ContainerNetworkState> network;
  std::string default_network = "krill";  // what "" / "bridge" means
  // Config.Healthcheck: the flags merged over the image's HEALTHCHECK (nullopt: none).
  std::optional<engine::HealthcheckRequest> healthcheck;
  // State.Health: the recorded health (nullopt: no check ever ran).
  std::optional<engine::HealthState> health;
};

// ps's STATUS suffix of a running container: " (healthy)", " (unhealthy)", " (health: starting)";
// "" without a recorded health or when it is not running.
std::string health_suffix(const engine::ContainerRecord& record,
                          const std::optional<engine::HealthState>& health);

// "0.0.0.0:8080->80/tcp, 0.0.0.0:5353->53/udp" (ps's Ports column).
std::string ports_text(const std::vector<network::PortMapping>& ports);

// One `ps` row: ID (12 hex, or 64 with no_trunc), Names, Image, ImageID, Command, Created (Unix
// seconds), CreatedAt ("2026-11-28 11:00:00 +0000 UTC"), RunningFor ("2 minutes ago"), Status,
// State, Ports, Labels (map), Mounts, ExitCode, Exited, Pid, AutoRemove.
nlohmann::json ps_row(const engine::ContainerRecord& record, const ContainerPaths& paths,
                      bool no_trunc, int64_t now_ns);

// `inspect` of a container (one element of the array), members in Docker's order.
nlohmann::ordered_json container_inspect_json(const engine::ContainerRecord& record,
                                              const ContainerPaths& paths);

// ps --filter: status=, name=, id=, label=KEY[=VALUE], ancestor=, exited=N, before=, since=,
// health=starting|healthy|unhealthy|none (`health_of` gives a record's health status, "none"
// without one; asked only for health filters). Values of one key are alternatives; different
// keys must all match. Error for unknown keys.
Result<bool> ps_filter_matches(
    const engine::ContainerRecord& record, const std::vector<std::string>& filters,
    const std::vector<engine::ContainerRecord>& all,
    const std::function<std::string(const engine::ContainerRecord&)>& health_of = {});

// RFC 3339 with nanoseconds in UTC ("2026-11-28T11:00:00.123456789Z"); "0001-01-01T00:00:00Z"
// for 0 (Go's zero time, as Docker prints it).
std::string time_text(int64_t unix_ns);

}  // namespace krill::cli
