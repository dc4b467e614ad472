// run_step: RUN through an OCI runtime or chroot, and the clean-up of the mount points it made.
#include "build/run_step.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "base/file_io.h"
#include "base/unique_fd.h"
#include "engine/spec_builder.h"
#include "oci/spec_json.h"

extern char** environ;

namespace krill::build {
namespace {

std::vector<std::string> path_components(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash - start);
    if (!part.empty() && part != ".") parts.push_back(part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool exists_in_root(const std::string& root, const std::string& path) {
  return open_in_root(root, path, O_PATH).has_value();
}

// The shallowest ancestor-or-self of `path` that does not exist in the rootfs yet (what
// mounting on `path` would create), or "" when `path` exists.
std::string first_missing(const std::string& root, const std::string& path) {
  std::string prefix;
  for (const auto& part : path_components(path)) {
    prefix += "/" + part;
    if (!exists_in_root(root, prefix)) return prefix;
  }
  return "";
}

// True when `path` holds nothing but directories and empty files: mount points, not content.
bool only_mount_points(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto status = fs::symlink_status(path, ec);
  if (ec) return false;
  if (fs::is_regular_file(status)) return fs::file_size(path, ec) == 0 && !ec;
  if (!fs::is_directory(status)) return false;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    auto entry_status = it->symlink_status(ec);
    if (ec) return false;
    if (fs::is_directory(entry_status)) continue;
    if (!fs::is_regular_file(entry_status) || it->file_size(ec) != 0 || ec) return false;
  }
  return !ec;
}

// Removes what a mount point creation left: `path` and below, when nothing but empty
// directories and empty files (the mount points) are there.
void remove_created_mount_point(const std::string& root, const std::string& path) {
  auto components = path_components(path);
  if (components.empty()) return;
  std::string parent;
  for (size_t i = 0; i + 1 < components.size(); ++i) parent += "/" + components[i];
  auto dir = open_in_root(root, parent.empty() ? "/" : parent, O_PATH | O_DIRECTORY);
  if (!dir) return;
  // Recursive removal through /proc/self/fd keeps it inside the root (the parent was resolved
  // inside it and remove_all does not follow symlinks).
  std::string target = "/proc/self/fd/" + std::to_string(dir->get()) + "/" + components.back();
  if (only_mount_points(target)) (void)remove_all(target);
}

// What mounting on each of `destinations` would create in the rootfs (the shallowest missing
// path of each), to remove after the run.
std::vector<std::string> missing_mount_points(const std::string& rootfs,
                                              const std::vector<std::string>& destinations) {
  std::vector<std::string> created;
  for (const auto& destination : destinations) {
    std::string missing = first_missing(rootfs, destination);
    if (!missing.empty() && std::find(created.begin(), created.end(), missing) == created.end())
      created.push_back(missing);
  }
  return created;
}

Result<int> wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail_errno("wait for RUN");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

Result<int> run_through_runtime(const RunStep& step, const RunEnvironment& environment) {
  engine::SpecInputs inputs;
  inputs.id = environment.container_id;
  inputs.config.entrypoint = std::vector<std::string>{};
  inputs.config.command = step.args;
  inputs.config.env = step.env;
  inputs.config.user = step.user;
  inputs.config.working_dir = step.workdir;
  inputs.config.network = step.network == "none" ? "none" : "host";
  inputs.config.mounts = step.mounts;
  inputs.config.hostname = environment.container_id.substr(0, 12);
  inputs.rootfs = environment.rootfs;
  inputs.userdata_dir = environment.bundle_dir;
  inputs.rootless = ::geteuid() != 0;
  auto built = KRILL_TRY(engine::build_spec(inputs));
  built.spec.process->cwd = step.workdir;
  std::vector<std::string> destinations;
  for (const auto& mount : built.spec.mounts) destinations.push_back(mount.destination);
  const std::vector<std::string> created = missing_mount_points(environment.rootfs, destinations);
  KRILL_CHECK(write_file_atomic(environment.bundle_dir + "/config.json",
                                oci::spec_to_json(built.spec), 0600, Durability::kVolatile));

  std::vector<std::string> argv = {environment.runtime_path,
                                   "--root",
                                   environment.runtime_root,
                                   "run",
                                   "--bundle",
                                   environment.bundle_dir,
                                   environment.container_id};
  std::vector<char*> raw;
  for (auto& arg : argv) raw.push_back(arg.data());
  raw.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, environment.stdout_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, environment.stderr_fd, 2);
  pid_t pid = 0;
  int spawned = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return fail_errno("run " + argv[0], spawned);
  auto status = wait_status(pid);
  for (const auto& path : created) remove_created_mount_point(environment.rootfs, path);
  return status;
}

// The child of run_in_chroot: only async-signal-safe calls until exec.
[[noreturn]] void exec_in_chroot(const char* rootfs, const char* cwd, uid_t uid, gid_t gid,
                                 const std::vector<gid_t>& groups, char** argv, char** envp,
                                 int out_fd, int err_fd, bool no_network) {
  int null_fd = ::open("/dev/null", O_RDONLY);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  if (null_fd > 2) ::close(null_fd);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  // Nothing else of this (multi-threaded) process reaches the RUN command.
  ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  if (no_network && ::unshare(CLONE_NEWNET) != 0) {
    static constexpr char kMessage[] =
        "RUN --network=none: cannot create a network namespace with --isolation chroot\n";
    (void)!::write(2, kMessage, sizeof kMessage - 1);
    ::_exit(125);
  }
  if (::chroot(rootfs) != 0 || ::chdir("/") != 0) ::_exit(125);
  if (::chdir(cwd) != 0) ::_exit(125);
  if (::setgroups(groups.size(), groups.data()) != 0 && errno != EPERM) ::_exit(125);
  if (::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(125);
  ::execve(argv[0], argv, envp);
  // PATH lookup inside the new root (execvpe reads PATH from our environment).
  for (char** e = envp; *e; ++e) {
    if (::strncmp(*e, "PATH=", 5) != 0 || ::strchr(argv[0], '/')) continue;
    const char* p = *e + 5;
    char candidate[4096];
    while (*p) {
      const char* colon = ::strchr(p, ':');
      size_t len = colon ? static_cast<size_t>(colon - p) : ::strlen(p);
      size_t name_len = ::strlen(argv[0]);
      if (len + name_len + 2 < sizeof(candidate)) {
        ::memcpy(candidate, p, len);
        candidate[len] = '/';
        ::memcpy(candidate + len + 1, argv[0], name_len + 1);
        ::execve(candidate, argv, envp);
      }
      if (!colon) break;
      p = colon + 1;
    }
  }
  ::_exit(errno == ENOENT ? 127 : 126);
}

// chroot(2) mounts nothing: the usual /dev nodes are made for the run (mknod with CAP_MKNOD, as
// an unprivileged container keeps it; else, in a user namespace, the host's node bind-mounted on
// an empty file) and removed after it.
struct DevNode {
  std::string name;
  bool bind_mounted = false;
};

std::vector<DevNode> make_dev_nodes(const std::string& rootfs) {
  struct Node {
    const char* name;
    unsigned major, minor;
  };
  static constexpr Node kNodes[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                                    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
  std::vector<DevNode> made;
  if (!make_directories_in_root(rootfs, "/dev")) return made;
  auto dev = open_in_root(rootfs, "/dev", O_PATH | O_DIRECTORY);
  if (!dev) return made;
  const std::string dev_path = "/proc/self/fd/" + std::to_string(dev->get());
  UniqueFd dir(::open(dev_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) return made;
  for (const Node& node : kNodes) {
    struct stat st {};
    if (::fstatat(dir.get(), node.name, &st, AT_SYMLINK_NOFOLLOW) == 0) continue;  // the image's
    if (::mknodat(dir.get(), node.name, S_IFCHR | 0666, makedev(node.major, node.minor)) == 0) {
      (void)::fchmodat(dir.get(), node.name, 0666, 0);
      made.push_back({node.name, false});
      continue;
    }
    UniqueFd file(::openat(dir.get(), node.name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (file.get() < 0) continue;
    std::string target = dev_path + "/" + node.name;
    bool bound = ::mount((std::string("/dev/") + node.name).c_str(), target.c_str(), nullptr,
                         MS_BIND, nullptr) == 0;
    made.push_back({node.name, bound});
  }
  return made;
}

void remove_dev_nodes(const std::string& rootfs, const std::vector<DevNode>& made) {
  auto dev = open_in_root(rootfs, "/dev", O_PATH | O_DIRECTORY);
  if (!dev) return;
  const std::string dev_path = "/proc/self/fd/" + std::to_string(dev->get());
  UniqueFd dir(::open(dev_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  for (const auto& node : made) {
    if (node.bind_mounted) (void)::umount2((dev_path + "/" + node.name).c_str(), MNT_DETACH);
    (void)::unlinkat(dir.get(), node.name.c_str(), 0);
  }
}

// RUN --mount for chroot isolation: bind and tmpfs mounts made here, resolved inside the rootfs
// (needs CAP_SYS_ADMIN, which a rootless build has in its user namespace); unmounted on
// destruction.
class ChrootMounts {
 public:
  ~ChrootMounts() {
    for (auto it = targets_.rbegin(); it != targets_.rend(); ++it)
      (void)::umount2(it->c_str(), MNT_DETACH);
  }
  Result<void> add(const std::string& rootfs, const engine::MountRequest& mount) {
    bool file = false;
    if (mount.type == "bind") {
      struct stat st {};
      if (::stat(mount.source.c_str(), &st) != 0) return fail_errno("stat " + mount.source);
      file = !S_ISDIR(st.st_mode);
    }
    std::string parent = mount.destination.substr(0, mount.destination.find_last_of('/'));
    KRILL_CHECK(make_directories_in_root(
        rootfs, file ? (parent.empty() ? "/" : parent) : mount.destination));
    if (file) {
      auto dir =
          KRILL_TRY(open_in_root(rootfs, parent.empty() ? "/" : parent, O_PATH | O_DIRECTORY));
      std::string name = mount.destination.substr(mount.destination.find_last_of('/') + 1);
      UniqueFd real(::open(("/proc/self/fd/" + std::to_string(dir.get())).c_str(),
                           O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      UniqueFd created(::openat(real.get(), name.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
      if (created.get() < 0) return fail_errno("create mount point " + mount.destination);
    }
    auto target_fd = KRILL_TRY(open_in_root(rootfs, mount.destination, O_PATH));
    char resolved[4096];
    std::string link = "/proc/self/fd/" + std::to_string(target_fd.get());
    ssize_t n = ::readlink(link.c_str(), resolved, sizeof resolved - 1);
    if (n <= 0) return fail_errno("resolve " + mount.destination);
    std::string target(resolved, static_cast<size_t>(n));
    std::string what = "RUN --mount on " + mount.destination;
    int done = 0;
    if (mount.type == "tmpfs") {
      std::string options;
      for (const auto& option : mount.options) options += (options.empty() ? "" : ",") + option;
      done = ::mount("tmpfs", link.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str());
    } else {
      done = ::mount(mount.source.c_str(), link.c_str(), nullptr, MS_BIND | MS_REC, nullptr);
    }
    if (done != 0)
      return fail_errno(what + " with --isolation chroot (mounting needs CAP_SYS_ADMIN)");
    targets_.push_back(target);
    if (mount.read_only && ::mount(nullptr, target.c_str(), nullptr,
                                   MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, nullptr) != 0)
      return fail_errno(what + ": make it read-only");
    return {};
  }

 private:
  std::vector<std::string> targets_;
};

Result<int> run_chrooted_process(const RunStep& step, const RunEnvironment& environment,
                                 const engine::ResolvedUser& user, const std::vector<gid_t>& groups,
                                 std::vector<char*>& argv, std::vector<char*>& envp);

Result<int> run_in_chroot(const RunStep& step, const RunEnvironment& environment) {
  auto user = KRILL_TRY(engine::resolve_user(environment.rootfs, step.user, {}));
  std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
  std::vector<std::string> args = step.args, env = step.env;
  if (std::none_of(env.begin(), env.end(), [](const auto& e) { return e.starts_with("PATH="); }))
    env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  std::vector<char*> argv, envp;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  for (auto& entry : env) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> destinations;
  for (const auto& mount : step.mounts) destinations.push_back(mount.destination);
  const std::vector<std::string> created = missing_mount_points(environment.rootfs, destinations);
  auto remove_created = [&] {
    for (const auto& path : created) remove_created_mount_point(environment.rootfs, path);
  };
  Result<int> status = 0;
  {
    ChrootMounts mounts;
    for (const auto& mount : step.mounts) {
      if (auto added = mounts.add(environment.rootfs, mount); !added) {
        status = std::unexpected(added.error());
        break;
      }
    }
    if (status) status = run_chrooted_process(step, environment, user, groups, argv, envp);
  }
  remove_created();
  return status;
}

Result<int> run_chrooted_process(const RunStep& step, const RunEnvironment& environment,
                                 const engine::ResolvedUser& user, const std::vector<gid_t>& groups,
                                 std::vector<char*>& argv, std::vector<char*>& envp) {
  std::vector<DevNode> dev_nodes = make_dev_nodes(environment.rootfs);
  pid_t pid = ::fork();
  if (pid < 0) {
    remove_dev_nodes(environment.rootfs, dev_nodes);
    return fail_errno("fork for RUN");
  }
  if (pid == 0)
    exec_in_chroot(environment.rootfs.c_str(), step.workdir.c_str(), user.uid, user.gid, groups,
                   argv.data(), envp.data(), environment.stdout_fd, environment.stderr_fd,
                   step.network == "none");
  auto status = wait_status(pid);
  remove_dev_nodes(environment.rootfs, dev_nodes);
  return status;
}

}  // namespace

Result<void> make_directories_in_root(const std::string& root, const std::string& path, uid_t uid,
                                      gid_t gid) {
  std::string prefix;
  for (const auto& part : path_components(path)) {
    std::string parent = prefix.empty() ? "/" : prefix;
    prefix += "/" + part;
    if (exists_in_root(root, prefix)) continue;
    auto dir = KRILL_TRY(open_in_root(root, parent, O_PATH | O_DIRECTORY));
    std::string at = "/proc/self/fd/" + std::to_string(dir.get());
    UniqueFd real(::open(at.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (real.get() < 0) return fail_errno("open " + parent + " in the root file system");
    if (::mkdirat(real.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
      return fail_errno("create directory " + prefix);
    if (::fchownat(real.get(), part.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
      return fail_errno("chown " + prefix);
  }
  return {};
}

Result<int> run_step(const RunStep& step, const RunEnvironment& environment) {
  if (step.args.empty()) return fail("RUN: no command");
  KRILL_CHECK(make_directories_in_root(environment.rootfs, step.workdir));
  return environment.isolation == "chroot" ? run_in_chroot(step, environment)
                                           : run_through_runtime(step, environment);
}

}  // namespace krill::build
