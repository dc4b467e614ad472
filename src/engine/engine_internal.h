// Helpers shared by the engine's files (not part of the engine's API).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/program_path.h"
#include "base/unique_fd.h"
#include "engine/engine.h"
#include "image/manifest.h"

namespace krill::engine {

// flock(LOCK_EX) on <store_root>/engine/locks/<id>; released by release() or destruction.
class ContainerLock {
 public:
  static Result<ContainerLock> acquire(const std::string& store_root, const std::string& id);
  // nullopt when another process holds the lock (it is working on the container right now).
  static Result<std::optional<ContainerLock>> try_acquire(const std::string& store_root,
                                                          const std::string& id);
  void release() { fd_.reset(); }
  // Removes the lock file (the container is gone); keeps holding it until release.
  void unlink_file();

 private:
  ContainerLock(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

// Runs `argv` (argv[0] a path) with stdin /dev/null, stdout and stderr captured.
Result<RuntimeOutput> run_captured(const std::vector<std::string>& argv);
// `start ID` and `delete --force ID` of the built-in runtime (state under `root`), run in this
// process (runtime_in_process.cpp); nullopt for every other verb, which is exec'd.
std::optional<RuntimeOutput> run_builtin_runtime_in_process(const std::string& root,
                                                            const std::vector<std::string>& args);
// Runs `argv` with the caller's stdio and returns its exit status (128+N when killed by N).
// With `stderr_tail`, stderr goes through a pipe (copied to ours) and its last bytes are kept.
Result<int> run_inherited(const std::vector<std::string>& argv, std::string* stderr_tail = nullptr);

// The last meaningful line of a runtime's stderr (runc prints logrus lines, krill-runtime
// "Error: ..."), for error messages.
std::string runtime_error_text(const RuntimeOutput& output);

// True when `path` is a mount point (listed in /proc/self/mountinfo).
bool is_mount_point(const std::string& path);
// umount2(MNT_DETACH); no error when not mounted.
Result<void> unmount_path(const std::string& path);

// Starts krill-monitor detached (double fork, setsid) with fd 3 = status pipe; returns the
// monitor pid and its ready message.
struct MonitorLaunch {
  pid_t monitor_pid = 0;
  monitor::MonitorReady ready;
};
Result<MonitorLaunch> launch_monitor(const std::string& monitor_binary,
                                     const std::string& monitor_json_path);

// The directory of /proc/self/exe.
std::string self_exe_dir();

// The volume `name`, created when missing; "" = a new anonymous volume.
Result<VolumeRecord> ensure_volume(ContainerStore& store, const std::string& store_root,
                                   const std::string& name);
// Removes the anonymous volumes of `config` that no other container uses.
Result<void> remove_anonymous_volumes(ContainerStore& store, const std::string& store_root,
                                      const ContainerConfig& config, const std::string& id);

}  // namespace krill::engine
