// krill's OCI runtime as a library (what libcrun is to crun): the lifecycle
// verbs of runtime-spec runtime.md plus runc's extra commands. The
// `krill-runtime` binary is a thin command line over this class.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/spec.h"
#include "runtime/cgroups/oom_events.h"

namespace krill::runtime {

struct GlobalOptions {
  std::string root;        // state directory; empty: /run/krill or $XDG_RUNTIME_DIR/krill
  std::string log_file;    // empty: stderr
  std::string log_format = "text";  // "text" | "json"
  bool debug = false;
  bool systemd_cgroup = false;
};

struct CreateOptions {
  std::string id;
  std::string bundle = ".";  // resolved to an absolute path
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;  // fds 3 .. 3+N-1 are passed to the container
};

struct RunOptions {
  CreateOptions create;
  bool detach = false;
  bool keep = false;  // runc --keep: do not delete the container after it exits
};

struct ExecOptions {
  std::string id;
  std::string process_file;  // --process process.json; overrides the fields below
  std::vector<std::string> args;
  bool tty = false;
  std::vector<std::string> env;
  std::string cwd;
  std::string user;  // "uid[:gid]"
  std::vector<uint32_t> additional_gids;
  std::vector<std::string> caps;
  bool no_new_privs = false;
  std::string apparmor;
  std::string process_label;
  bool detach = false;
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
};

struct ContainerSummary {
  oci::State state;
  std::string created;  // RFC 3339 with nanoseconds, as runc prints
  std::string owner;    // user name of the state directory's owner
  std::string rootfs;   // absolute path of the root filesystem
};

struct ProcessInfo {
  pid_t pid = 0;
};

class Runtime {
 public:
  static Result<Runtime> open(const GlobalOptions& options);

  Result<void> create(const CreateOptions& options);
  Result<void> start(const std::string& id);
  Result<oci::State> state(const std::string& id);
  // The state plus what runc's `state` and `list` also show (created, owner, rootfs).
  Result<ContainerSummary> describe(const std::string& id);
  // `all`: signal every process in the container's cgroup.
  Result<void> kill(const std::string& id, int signal, bool all);
  Result<void> remove(const std::string& id, bool force);
  // create + start; attached runs wait and return the container's exit status
  // (128+signal when killed by a signal); detached runs return 0.
  Result<int> run(const RunOptions& options);
  // Exit status of the executed process when attached; 0 when detached.
  Result<int> exec(const ExecOptions& options);
  Result<std::vector<ContainerSummary>> list();
  Result<std::vector<pid_t>> processes(const std::string& id);
  Result<void> pause(const std::string& id);
  Result<void> resume(const std::string& id);
  Result<void> update(const std::string& id, const oci::Resources& resources);
  // runc's `events --stats` document for one container, as JSON text.
  Result<std::string> stats_json(const std::string& id);
  // OOM notifications of a running container's memory cgroup, for `events`.
  Result<cgroups::OomWatch> watch_oom(const std::string& id);

  const GlobalOptions& options() const { return options_; }
  const std::string& state_root() const { return state_root_; }
  // Where warnings go (failed poststart/poststop hooks); the CLI logs them.
  void set_warning_sink(std::function<void(const std::string&)> sink) {
    warning_sink_ = std::move(sink);
  }

 private:
  struct Created;
  // `attached`: the caller (run) keeps the terminal instead of a console socket.
  Result<Created> create_container(const CreateOptions& options, bool attached);
  void log_warning(const std::string& message) const;

  Runtime(GlobalOptions options, std::string state_root)
      : options_(std::move(options)), state_root_(std::move(state_root)) {}

  GlobalOptions options_;
  std::string state_root_;
  std::function<void(const std::string&)> warning_sink_;
};

// features.json (runtime-spec features.md) describing what this build supports.
std::string features_json();

}  // namespace krill::runtime
