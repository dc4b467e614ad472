// Fixture library for the runtime acceptance tests.
//
// The tests drive a runc-compatible binary exactly as a user would: the binary is
// $KRILL_TEST_RUNTIME if set, else the compiled-in krill-runtime (KRILL_RUNTIME_BINARY). Every
// test process uses its own --root under /tmp, so it never sees other users' containers, and
// every resource a test makes (bundle dirs, containers, cgroups) is owned by an RAII guard.
// With KRILL_IT_ROOTLESS=1 the runtime runs rootless as an unprivileged test user
// (rootless_mode.h); tests that cannot run so say why with KRILL_SKIP_IF_ROOTLESS.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rootless_mode.h"

namespace krill::it {

using nlohmann::json;

// ---- running commands -------------------------------------------------------------------

struct CommandOptions {
  std::string cwd;                        // working directory of the child ("" = inherit)
  std::optional<std::string> stdin_data;  // fed to stdin; /dev/null when unset
  std::chrono::milliseconds timeout{60000};
  std::vector<int> pass_fds;     // placed at fds 3, 4, ... in the child, in this order
  std::vector<std::string> env;  // "K=V" entries added to (or overriding) our environment
  std::string stdout_path;       // when set, stdout goes to this file (appended)
  std::string stderr_path;       // when set, stderr goes to this file (appended)
};

struct CommandResult {
  std::vector<std::string> argv;
  int exit_code = -1;  // exit status, or -1 if killed by a signal / not started
  int signal = 0;      // terminating signal, if any
  bool timed_out = false;
  std::string out;  // stdout (or the stdout_path file's content)
  std::string err;  // stderr (or the stderr_path file's content)

  bool ok() const { return exit_code == 0 && !timed_out; }
  // Multi-line description for assertion messages.
  std::string describe() const;
};

// Runs argv[0] (looked up in PATH) and waits for it, killing it after the timeout. Returns as
// soon as the child exits even if a grandchild still holds the output pipes.
CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options = {});

// ---- environment ------------------------------------------------------------------------

// The runtime under test: $KRILL_TEST_RUNTIME, else KRILL_RUNTIME_BINARY.
const std::string& runtime_binary();
// True when the runtime under test is runc (used only to disable checks where runc deviates
// from the specification; the expectation in the test stays the spec's).
bool runtime_is_runc();
// The static probe ($KRILL_TEST_PROBE, else KRILL_PROBE_BINARY).
const std::string& probe_binary();
// Debian's busybox-static.
inline constexpr const char* kBusybox = "/bin/busybox";

// A per-process scratch directory under /tmp (created on first use, removed at exit).
const std::string& test_dir();
// The --root passed to every runtime invocation.
const std::string& state_root();
// A fresh container id, unique on the host: "kit<pid>-<n>" (+ "-" + hint).
std::string unique_id(std::string_view hint = "");
// A marker placed in the environment of every runtime invocation and container process, so
// that leftover processes can be found in /proc/*/environ.
const std::string& process_marker();

// `<runtime> --root <state_root> args...` (rootless mode: as the test user).
CommandResult runtime(const std::vector<std::string>& args, const CommandOptions& options = {});

// Pids whose environment carries process_marker() (optionally only those with `extra` too).
std::vector<pid_t> marked_processes(std::string_view extra = "");

// ---- files --------------------------------------------------------------------------------

std::string read_file(const std::string& path);
bool write_file(const std::string& path, const std::string& content);
bool path_exists(const std::string& path);
// Removes a tree without crossing into other mounts; returns false if anything remains.
bool remove_tree(const std::string& path);
// Parses JSON; returns a discarded value on error (check with is_discarded()).
json parse_json(const std::string& text);
// The last line of `text` that parses as a JSON object (probe output may follow other lines).
json last_json_line(const std::string& text);
// Polls `predicate` every 20 ms until it holds or `timeout` passes.
template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A directory removed (without crossing mounts) when the guard goes away.
class TempDir {
 public:
  explicit TempDir(std::string_view hint = "tmp");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---- cgroups ----------------------------------------------------------------------------

// Mount points of the cgroup hierarchies on the host: controller name ("memory", "cpu",
// "name=systemd", "" for cgroup2) -> mount point.
std::map<std::string, std::string> host_cgroup_mounts();
// The host cgroup directory of `pid` for `controller` (v1 name, or "" for cgroup2), or "".
std::string cgroup_dir_of(pid_t pid, const std::string& controller);
// Our own cgroup path (relative to the hierarchy root) for `controller`.
std::string own_cgroup_path(const std::string& controller);

// Records the directories a container's cgroupsPath would create below every hierarchy, and
// on destruction removes (rmdir, empty dirs only) the ones that did not exist before.
class CgroupGuard {
 public:
  explicit CgroupGuard(std::string cgroups_path);
  ~CgroupGuard();
  CgroupGuard(const CgroupGuard&) = delete;
  CgroupGuard& operator=(const CgroupGuard&) = delete;
  const std::string& cgroups_path() const { return path_; }
  // Host directories of the leaf in every hierarchy.
  std::vector<std::string> leaf_dirs() const;

 private:
  std::string path_;
  std::vector<std::string> created_;  // deepest first
};

// ---- bundles and containers ---------------------------------------------------------------

// A temporary OCI bundle: rootfs with busybox and its applets, /probe, /etc/passwd+group, and
// config.json from `<runtime> spec` with process.terminal=false and args ["/probe","report"].
class Bundle {
 public:
  explicit Bundle(std::string_view hint = "bundle");
  ~Bundle();
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;

  const std::string& path() const { return path_; }
  std::string rootfs() const { return path_ + "/rootfs"; }
  std::string config_path() const { return path_ + "/config.json"; }

  json config;  // edit, then save()
  void save() const;

  void set_args(const std::vector<std::string>& args);
  // Bind-mounts a fresh host directory read-write at `destination` (default /shared) and
  // returns the host path.
  std::string share_dir(const std::string& destination = "/shared");
  // Sets linux.cgroupsPath to a unique path below our own cgroup and guards it.
  const CgroupGuard& use_test_cgroup(const std::string& id);
  const CgroupGuard* cgroup_guard() const { return cgroup_guard_.get(); }
  // Removes a namespace type from linux.namespaces (no-op if absent).
  void remove_namespace(const std::string& type);
  // Adds (or replaces) a namespace entry.
  void set_namespace(const std::string& type, const std::string& path = "");
  bool has_namespace(const std::string& type) const;

 private:
  std::string path_;
  std::vector<std::string> shared_;
  std::unique_ptr<CgroupGuard> cgroup_guard_;
};

// One container id in our --root; the destructor always runs `delete --force`.
class Container {
 public:
  explicit Container(Bundle& bundle, std::string id = "");
  ~Container();
  Container(const Container&) = delete;
  Container& operator=(const Container&) = delete;

  const std::string& id() const { return id_; }
  Bundle& bundle() { return bundle_; }

  // create --bundle B [extra...] ID; container stdio goes to files (see output()).
  CommandResult create(const std::vector<std::string>& extra = {}, CommandOptions options = {});
  CommandResult start();
  // run --bundle B [extra...] ID in the foreground, stdio captured.
  CommandResult run(const std::vector<std::string>& extra = {}, CommandOptions options = {});
  // run -d; container stdio goes to files.
  CommandResult run_detached(const std::vector<std::string>& extra = {});
  CommandResult state() const;
  CommandResult kill(const std::string& signal, const std::vector<std::string>& extra = {});
  CommandResult remove(bool force = false);  // `delete`
  // exec [flags...] ID [args...]
  CommandResult exec(const std::vector<std::string>& flags, const std::vector<std::string>& args,
                     CommandOptions options = {});

  // state parsed (discarded on error).
  json state_json() const;
  std::string status() const;  // "" if state failed
  pid_t pid() const;           // 0 if unknown
  bool wait_for_status(const std::string& status,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  // What the container process wrote to stdout/stderr when started by create/run -d.
  std::string output() const;
  std::string error_output() const;

 private:
  Bundle& bundle_;
  std::string id_;
  bool touched_ = false;
};

// Runs the probe with `report` + args in a fresh container (run, foreground) and returns its
// report; on failure the report is discarded and `result` tells why.
struct ProbeRun {
  CommandResult result;
  json report;
  bool ok() const { return result.ok() && report.is_object(); }
};
ProbeRun run_probe(Bundle& bundle, const std::vector<std::string>& report_args = {},
                   const std::vector<std::string>& run_flags = {});

// Host-side facts for comparisons.
std::map<std::string, unsigned long long> host_namespaces(pid_t pid = 0);  // 0 = self
// Mount entry of a probe report with the given destination (last one wins), or null.
json find_mount(const json& report, const std::string& destination);
bool has_option(const json& mount, const std::string& option);

// Unix-socket receiver for --console-socket: listens at a path; receive() accepts one
// connection and returns the pty master fd passed with SCM_RIGHTS (-1 on timeout/error).
class ConsoleSocket {
 public:
  ConsoleSocket();
  ~ConsoleSocket();
  ConsoleSocket(const ConsoleSocket&) = delete;
  ConsoleSocket& operator=(const ConsoleSocket&) = delete;
  const std::string& path() const { return path_; }
  int receive(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
};

// Reads from fd until EOF/EIO or until `until` appears or the timeout passes.
std::string read_until(int fd, std::string_view until, std::chrono::milliseconds timeout);

// Skip helpers.
bool have_program(const std::string& name);

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    struct timespec ts {
      0, 20 * 1000 * 1000
    };
    nanosleep(&ts, nullptr);
  }
}

}  // namespace krill::it
