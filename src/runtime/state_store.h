// The runtime's on-disk records of its containers, one directory per container
// under the state root:
//
//   <root>/                 mode 0700 (/run/krill, or $XDG_RUNTIME_DIR/krill rootless)
//   <root>/<id>/            mode 0711, created atomically by create_dir()
//   <root>/<id>/lock        the container's lock file (see ContainerLock)
//   <root>/<id>/state.json  the ContainerRecord, replaced atomically by save()
//
// Other files the runtime keeps for a container (the exec fifo, ...) go in the
// same directory; remove_dir() removes them all.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace krill::runtime {

// What the runtime remembers about a container between commands.
struct ContainerRecord {
  std::string id;
  std::string bundle;  // absolute
  std::string rootfs;  // absolute
  pid_t init_pid = 0;
  uint64_t init_start_time = 0;  // field 22 of /proc/<pid>/stat; guards against pid reuse
  std::string created;           // rfc3339_nano_now() at create
  std::string cgroups_path;      // as given in config.json
  // The creating process's /proc/self/cgroup, against which a relative cgroups_path resolves.
  std::string creator_cgroups;
  bool rootless = false;
  bool systemd_cgroup = false;
  std::map<std::string, std::string> annotations;
  // Namespace type name ("pid", "network", ...) -> /proc/<pid>/ns/<x> or the
  // joined path, in the order exec must enter them.
  std::vector<std::pair<std::string, std::string>> namespace_paths;
  bool paused = false;  // set by pause, cleared by resume
  // config.json as loaded at create: delete runs poststop hooks from it and
  // exec takes its defaults from it.
  std::string config_json;
  // What start and delete need of config_json, noted at create so that they parse it only when
  // there are hooks to run (parsing it was a fifth of an in-process start). Absent in state
  // files of older krill versions: then they parse it.
  struct SpecFacts {
    bool poststart_hooks = true;
    bool poststop_hooks = true;
    bool own_pid_namespace = false;  // a new pid namespace, not a joined one
    bool operator==(const SpecFacts&) const = default;
  };
  std::optional<SpecFacts> spec_facts;
  // linux.intelRdt: the resctrl group the init joined, whether create made it (then delete
  // removes it), and the MON group of enableMonitoring (always removed); empty without.
  std::string rdt_group;
  bool rdt_created_group = false;
  std::string rdt_monitor_group;

  bool operator==(const ContainerRecord&) const = default;
};

std::string record_to_json(const ContainerRecord& record);
Result<ContainerRecord> record_from_json(std::string_view json);

// runc's rule: non-empty, only [A-Za-z0-9_+.-], not "." or "..". krill also
// rejects ids longer than 255 bytes, which cannot name a directory.
// Error: `invalid container id "a/b": only letters, digits, '_', '+', '-' and '.' are allowed`.
Result<void> validate_container_id(std::string_view id);

// /run/krill for real root; $XDG_RUNTIME_DIR/krill when not root (or root
// inside a user namespace with $XDG_RUNTIME_DIR set and $USER not "root"), or
// /run/user/<euid>/krill when $XDG_RUNTIME_DIR is unset.
std::string default_state_root();

// The name of `uid` in /etc/passwd, or "#<uid>" when it has none (as runc's `list` prints
// owners). The file is read directly, not through NSS (process::name_from_passwd).
std::string user_name_for_uid(uid_t uid);

// Exclusive lock on one container, released on destruction.
//
// Design: a POSIX record lock (fcntl F_SETLKW, whole file, write lock) on
// <root>/<id>/lock, which create_dir() makes together with the directory.
// - POSIX locks belong to the process and are NOT inherited across fork(). The
//   container's init is forked while `create` holds the lock and then sits in
//   the `created` state; with flock() or OFD locks it would keep holding the
//   lock through its inherited fd and every later command (start, kill,
//   delete) would block on it.
// - The lock file lives inside the container directory, so remove_dir() may
//   delete it while the lock is held: a waiter that then acquires the lock on
//   the unlinked file sees st_nlink == 0, reopens, and reports the container
//   as gone (or locks the new container that reused the id). Nothing is
//   leaked and no file name outside the id namespace is needed.
// Caveats of POSIX locks: closing ANY fd of the lock file in this process
// drops the lock, and a second lock() on the same id in the same process
// succeeds at once instead of blocking. So: hold at most one ContainerLock
// per container per process, and never open <id>/lock elsewhere.
class ContainerLock {
 public:
  ContainerLock(ContainerLock&&) = default;
  ContainerLock& operator=(ContainerLock&&) = default;

  const std::string& id() const { return id_; }
  // The locked file (for diagnostics); do not close it.
  int fd() const { return fd_.get(); }

 private:
  friend class StateStore;
  ContainerLock(std::string id, UniqueFd fd) : id_(std::move(id)), fd_(std::move(fd)) {}

  std::string id_;
  UniqueFd fd_;
};

class StateStore {
 public:
  // Creates `root` (mkdir -p, mode 0700) when missing. A relative root is
  // made absolute against the current directory.
  static Result<StateStore> open(const std::string& root);

  const std::string& root() const { return root_; }
  std::string container_dir(const std::string& id) const { return root_ + "/" + id; }

  // Blocks until this process holds the container's lock. Fails with
  // `container "ID" does not exist` when its directory (or lock file) is gone,
  // including when the holder removed it while we waited.
  Result<ContainerLock> lock(const std::string& id);
  // Like lock(), but returns std::nullopt instead of waiting when another
  // process holds the lock.
  Result<std::optional<ContainerLock>> try_lock(const std::string& id);

  // mkdir <root>/<id> (mode 0711) and its lock file. Fails with
  // `container with id exists: ID` when the directory exists (EEXIST from
  // mkdir, so two racing creates cannot both succeed).
  Result<void> create_dir(const std::string& id);
  // Writes <id>/state.json atomically (write_file_atomic, mode 0600).
  Result<void> save(const ContainerRecord& record);
  // `container "ID" does not exist` when the directory or state.json is missing.
  Result<ContainerRecord> load(const std::string& id);
  // Removes <root>/<id> and everything in it; succeeds when it is already gone.
  Result<void> remove_dir(const std::string& id);
  // Ids of containers that have a state.json, sorted; directories without one
  // (a create in progress or one that died half-way) are skipped.
  Result<std::vector<std::string>> list_ids();
  // The user name of the owner of <root>/<id> (user_name_for_uid), as runc's `list` shows it;
  // empty when the directory is gone. Resolved only when asked, so that create and run never
  // look up a user.
  std::string owner(const std::string& id) const;

 private:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  Result<std::optional<ContainerLock>> acquire(const std::string& id, bool wait);

  std::string root_;
};

// <root>/@seccomp-cache: compiled seccomp filters (security::compile_seccomp_cached). '@' is
// not allowed in container ids, so it is never taken for a container.
std::string seccomp_cache_dir(const StateStore& store);

}  // namespace krill::runtime
