// The contract between the engine and krill-monitor, the small per-container process that does
// what conmon does for podman: it creates the container through an OCI runtime, owns its stdio,
// writes its log, serves attach clients over a unix socket, reaps it, records its exit status,
// deletes it from the runtime and runs the engine's exit command (clean-up, --rm, --restart).
//
// Files in the container's run directory (<run_root>/containers/<id>/):
//   monitor.json   MonitorConfig, written by the engine before it starts the monitor
//   monitor.pid    the monitor's pid
//   pidfile        the container's init pid (written by the runtime)
//   attach.sock    SOCK_SEQPACKET attach socket (see AttachFrame)
//   console.sock   the runtime's --console-socket for -t (internal)
//   exit.json      ExitRecord, written atomically when the container has exited
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::monitor {

struct MonitorConfig {
  std::string id;
  std::string bundle;                   // directory with config.json (root.path absolute)
  std::string run_dir;                  // <run_root>/containers/<id>
  std::string runtime_path;             // absolute path of krill-runtime, runc or crun
  std::string runtime_root;             // the runtime's --root
  bool tty = false;                     // -t: a pty via --console-socket
  bool stdin_open = false;              // -i: keep stdin open (a pipe, or the pty)
  std::string log_driver = "k8s-file";  // "k8s-file" | "json-file" | "none"
  std::string log_path;
  int64_t log_max_size = 0;  // bytes; 0 = no rotation
  int log_max_files = 1;     // files kept in all, incl. the current one
  // Run (with no stdio, after the runtime's delete) once the container has exited, e.g.
  // {"/usr/bin/krill", "--root", R, "--runroot", RR, "container", "cleanup", ID}.
  std::vector<std::string> exit_command;
};

std::string monitor_config_to_json(const MonitorConfig& config);
Result<MonitorConfig> monitor_config_from_json(std::string_view text);

// Written by the monitor once it has created the container (or failed to), on the status pipe
// the engine handed it as fd 3, as one line of JSON: {"pid":1234} or {"error":"..."}.
struct MonitorReady {
  pid_t container_pid = 0;
  std::string error;  // the runtime's stderr when create failed
};
std::string monitor_ready_to_json(const MonitorReady& ready);
Result<MonitorReady> monitor_ready_from_json(std::string_view text);

struct ExitRecord {
  int exit_code = 0;        // 128+N when killed by signal N (Docker's convention)
  int64_t finished_ns = 0;  // Unix time in nanoseconds
  bool oom_killed = false;
};
std::string exit_record_to_json(const ExitRecord& record);
Result<ExitRecord> exit_record_from_json(std::string_view text);
// Reads <run_dir>/exit.json; nullopt when the container has not exited (no file yet).
Result<std::optional<ExitRecord>> read_exit_record(const std::string& run_dir);

// Attach socket messages (SOCK_SEQPACKET, one message per frame): one type byte, then payload.
enum class FrameType : uint8_t {
  kStdin = 0,     // client -> monitor: bytes for the container's stdin
  kStdout = 1,    // monitor -> client
  kStderr = 2,    // monitor -> client
  kExit = 3,      // monitor -> client: 4-byte little-endian exit code; the last frame
  kResize = 4,    // client -> monitor: u16 rows, u16 cols (little-endian)
  kStdinEof = 5,  // client -> monitor: close the container's stdin
  // client -> monitor: "after the exit frame I delete the container from the runtime and clean
  // it up myself" (`krill run --rm`, attached). When the claiming client is still connected at
  // the exit and got the exit frame, the monitor skips its runtime delete and exit command, so
  // the clean-up is not done twice by two processes competing for the CPU. A client that
  // claimed and went away before the exit voids its claim.
  kClaimCleanup = 6,
};

// The attach client used by `krill run` (attached), `start -a` and `attach`.
struct AttachStreams {
  int stdin_fd = -1;  // -1: no stdin forwarded
  int stdout_fd = 1;
  int stderr_fd = 2;
  bool tty = false;  // put stdin_fd's terminal in raw mode and forward SIGWINCH sizes
  // Docker's --detach-keys ("ctrl-p,ctrl-q" by default; "" disables detaching).
  std::string detach_keys = "ctrl-p,ctrl-q";
  bool claim_cleanup = false;  // send kClaimCleanup (the caller cleans up after the exit)
};
struct AttachResult {
  bool detached = false;         // the user typed the detach keys
  std::optional<int> exit_code;  // from the kExit frame
};
// Connects to attach_socket and streams until the container exits (kExit), the user detaches,
// or the monitor goes away (error "lost the connection to the container's monitor").
// `on_connected` runs once connected (the engine starts the container then, so no output is
// missed).
Result<AttachResult> attach(const std::string& attach_socket, const AttachStreams& streams,
                            const std::function<Result<void>()>& on_connected = {});

// Parses Docker's detach key syntax ("ctrl-p,ctrl-q", "ctrl-a,x") into bytes.
Result<std::string> parse_detach_keys(std::string_view keys);

}  // namespace krill::monitor
