// A krill store and run root per test, with a busybox image imported from a rootfs tarball, and
// clean-up that leaves nothing (containers, monitors, mounts, dirs) even when a test fails.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "harness.h"

namespace krill::it {

// The busybox rootfs tarball (built once per test process): /bin/busybox + applets,
// /etc/passwd, /etc/group, /tmp, /data (a directory with a file, for volume copy-up).
const std::string& busybox_rootfs_tar();

class EngineEnv {
 public:
  EngineEnv();
  ~EngineEnv();
  EngineEnv(const EngineEnv&) = delete;
  EngineEnv& operator=(const EngineEnv&) = delete;

  // `krill --root S --runroot R args...`
  CommandResult krill(const std::vector<std::string>& args, CommandOptions options = {}) const;
  std::vector<std::string> global_args() const;
  const std::string& store() const { return store_; }
  const std::string& runroot() const { return runroot_; }
  static constexpr const char* kImage = "localhost/kbox:latest";

  // Ids of every container (`ps -a -q --no-trunc`).
  std::vector<std::string> container_ids() const;
  // Mount points under the store or the run root (from /proc/self/mountinfo).
  std::vector<std::string> leftover_mounts() const;
  // Processes whose command line mentions the run root (monitors, runtimes).
  std::vector<pid_t> leftover_processes() const;
  // `inspect --format F NAME` output without the trailing newline.
  std::string inspect(const std::string& name, const std::string& format) const;

 private:
  TempDir dir_;
  std::string store_, runroot_;
};

}  // namespace krill::it
