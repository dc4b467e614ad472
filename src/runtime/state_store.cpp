#include "runtime/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "base/user_namespace.h"
#include "runtime/process/environment.h"

namespace krill::runtime {
namespace {

constexpr int kStateVersion = 1;
constexpr const char* kStateFile = "state.json";
constexpr const char* kLockFile = "lock";
constexpr size_t kMaxIdLength = 255;

// The id as Go's %q would show it: quoted, control bytes escaped.
std::string quoted(std::string_view id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : id) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::unexpected<Error> does_not_exist(const std::string& id) {
  return std::unexpected(Error("container \"" + id + "\" does not exist", ENOENT));
}

}  // namespace

std::string record_to_json(const ContainerRecord& r) {
  nlohmann::json ns = nlohmann::json::array();
  for (const auto& [type, path] : r.namespace_paths) ns.push_back({{"type", type}, {"path", path}});
  nlohmann::json j = {
      {"krill_state_version", kStateVersion},
      {"id", r.id},
      {"bundle", r.bundle},
      {"rootfs", r.rootfs},
      {"init_pid", r.init_pid},
      {"init_start_time", r.init_start_time},
      {"created", r.created},
      {"cgroups_path", r.cgroups_path},
      {"creator_cgroups", r.creator_cgroups},
      {"rootless", r.rootless},
      {"systemd_cgroup", r.systemd_cgroup},
      {"annotations", r.annotations},
      {"namespace_paths", ns},
      {"paused", r.paused},
      {"config", r.config_json},
  };
  if (r.spec_facts) {
    j["spec_facts"] = {{"poststart_hooks", r.spec_facts->poststart_hooks},
                       {"poststop_hooks", r.spec_facts->poststop_hooks},
                       {"own_pid_namespace", r.spec_facts->own_pid_namespace}};
  }
  if (!r.rdt_group.empty()) {
    j["rdt_group"] = r.rdt_group;
    j["rdt_created_group"] = r.rdt_created_group;
    j["rdt_monitor_group"] = r.rdt_monitor_group;
  }
  return j.dump();
}

Result<ContainerRecord> record_from_json(std::string_view json) {
  try {
    const nlohmann::json j = nlohmann::json::parse(json);
    if (!j.is_object()) return fail("parse container state: not a JSON object");
    ContainerRecord r;
    r.id = j.at("id").get<std::string>();
    r.bundle = j.value("bundle", "");
    r.rootfs = j.value("rootfs", "");
    r.init_pid = j.value("init_pid", 0);
    r.init_start_time = j.value("init_start_time", uint64_t{0});
    r.created = j.value("created", "");
    r.cgroups_path = j.value("cgroups_path", "");
    r.creator_cgroups = j.value("creator_cgroups", "");
    r.rootless = j.value("rootless", false);
    r.systemd_cgroup = j.value("systemd_cgroup", false);
    if (j.contains("annotations") && !j["annotations"].is_null())
      r.annotations = j["annotations"].get<std::map<std::string, std::string>>();
    if (j.contains("namespace_paths") && !j["namespace_paths"].is_null()) {
      for (const auto& entry : j["namespace_paths"])
        r.namespace_paths.emplace_back(entry.at("type").get<std::string>(),
                                       entry.at("path").get<std::string>());
    }
    r.paused = j.value("paused", false);
    r.config_json = j.value("config", "");
    if (auto facts = j.find("spec_facts"); facts != j.end() && facts->is_object()) {
      r.spec_facts = ContainerRecord::SpecFacts{
          .poststart_hooks = facts->value("poststart_hooks", true),
          .poststop_hooks = facts->value("poststop_hooks", true),
          .own_pid_namespace = facts->value("own_pid_namespace", false)};
    }
    r.rdt_group = j.value("rdt_group", "");
    r.rdt_created_group = j.value("rdt_created_group", false);
    r.rdt_monitor_group = j.value("rdt_monitor_group", "");
    return r;
  } catch (const nlohmann::json::exception& e) {
    return fail(std::string("parse container state: ") + e.what());
  }
}

Result<void> validate_container_id(std::string_view id) {
  const std::string prefix = "invalid container id " + quoted(id) + ": ";
  if (id.empty()) return fail(prefix + "it is empty");
  for (unsigned char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok) return fail(prefix + "only letters, digits, '_', '+', '-' and '.' are allowed");
  }
  if (id == "." || id == "..") return fail(prefix + "it is not a valid file name");
  if (id.size() > kMaxIdLength)
    return fail(prefix + "longer than " + std::to_string(kMaxIdLength) + " bytes");
  return {};
}

std::string seccomp_cache_dir(const StateStore& store) { return store.root() + "/@seccomp-cache"; }

std::string default_state_root() {
  const uid_t euid = ::geteuid();
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  const bool has_xdg = xdg != nullptr && xdg[0] != '\0';
  if (euid == 0) {
    // Root in a user namespace (rootless podman and the like) cannot write
    // /run; follow runc and honour $XDG_RUNTIME_DIR there unless $USER=root.
    const char* user = std::getenv("USER");
    const bool honour_xdg = has_xdg && !in_initial_user_namespace() &&
                            !(user != nullptr && std::string_view(user) == "root");
    return honour_xdg ? std::string(xdg) + "/krill" : "/run/krill";
  }
  if (has_xdg) return std::string(xdg) + "/krill";
  return "/run/user/" + std::to_string(euid) + "/krill";
}

std::string user_name_for_uid(uid_t uid) {
  return process::name_from_passwd(uid, "/etc/passwd").value_or("#" + std::to_string(uid));
}

Result<StateStore> StateStore::open(const std::string& root) {
  if (root.empty()) return fail("open state directory: empty path");
  std::string absolute = root;
  if (absolute.front() != '/') {
    char* cwd = ::getcwd(nullptr, 0);
    if (cwd == nullptr) return fail_errno("open state directory " + root + ": getcwd");
    absolute = std::string(cwd) + "/" + root;
    std::free(cwd);
  }
  while (absolute.size() > 1 && absolute.back() == '/') absolute.pop_back();
  KRILL_CHECK_CTX(mkdir_all(absolute, 0700), "create state directory " + absolute);
  return StateStore(std::move(absolute));
}

Result<std::optional<ContainerLock>> StateStore::acquire(const std::string& id, bool wait) {
  KRILL_CHECK(validate_container_id(id));
  const std::string path = container_dir(id) + "/" + kLockFile;
  for (;;) {
    // No O_CREAT: a lock file appearing in a directory being removed would
    // make its rmdir fail.
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
      if (errno == ENOENT || errno == ENOTDIR) return does_not_exist(id);
      return fail_errno("open lock file " + path);
    }
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int rc;
    do {
      rc = ::fcntl(fd.get(), wait ? F_SETLKW : F_SETLK, &fl);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
      if (!wait && (errno == EAGAIN || errno == EACCES)) return std::optional<ContainerLock>();
      return fail_errno("lock container " + id);
    }
    // The holder may have removed the container (and its lock file) while we
    // waited; then our lock is on an orphaned inode. Look again.
    struct stat st {};
    if (::fstat(fd.get(), &st) < 0) return fail_errno("stat lock file " + path);
    if (st.st_nlink == 0) continue;
    return std::optional<ContainerLock>(ContainerLock(id, std::move(fd)));
  }
}

Result<ContainerLock> StateStore::lock(const std::string& id) {
  std::optional<ContainerLock> lock = KRILL_TRY(acquire(id, true));
  return std::move(*lock);
}

Result<std::optional<ContainerLock>> StateStore::try_lock(const std::string& id) {
  return acquire(id, false);
}

Result<void> StateStore::create_dir(const std::string& id) {
  KRILL_CHECK(validate_container_id(id));
  const std::string dir = container_dir(id);
  if (::mkdir(dir.c_str(), 0711) < 0) {
    if (errno == EEXIST) return std::unexpected(Error("container with id exists: " + id, EEXIST));
    return fail_errno("create container directory " + dir);
  }
  // mkdir applies the umask; the directory must be traversable as documented.
  if (::chmod(dir.c_str(), 0711) < 0) {
    const int err = errno;
    ::rmdir(dir.c_str());
    return fail_errno("chmod container directory " + dir, err);
  }
  const std::string lock_path = dir + "/" + kLockFile;
  UniqueFd lock_fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!lock_fd) {
    const int err = errno;
    ::rmdir(dir.c_str());
    return fail_errno("create lock file " + lock_path, err);
  }
  return {};
}

Result<void> StateStore::save(const ContainerRecord& record) {
  KRILL_CHECK(validate_container_id(record.id));
  KRILL_CHECK_CTX(
      // The state root lives in /run, which a reboot empties anyway: no fsync
      // (it cost ~7 ms per create where /run is on disk, docs/benchmarks.md).
      write_file_atomic(container_dir(record.id) + "/" + kStateFile, record_to_json(record), 0600,
                        Durability::kVolatile),
      "save state of container " + record.id);
  return {};
}

Result<ContainerRecord> StateStore::load(const std::string& id) {
  KRILL_CHECK(validate_container_id(id));
  auto text = read_file(container_dir(id) + "/" + kStateFile);
  if (!text) {
    if (text.error().errno_value() == ENOENT || text.error().errno_value() == ENOTDIR)
      return does_not_exist(id);
    return std::unexpected(std::move(text.error()));
  }
  auto record = record_from_json(*text);
  if (!record) return std::unexpected(std::move(record.error()).context("load container " + id));
  if (record->id != id)
    return fail("load container " + id + ": its state names container \"" + record->id + "\"");
  return record;
}

Result<void> StateStore::remove_dir(const std::string& id) {
  KRILL_CHECK(validate_container_id(id));
  return remove_all(container_dir(id));
}

Result<std::vector<std::string>> StateStore::list_ids() {
  UniqueFd root_fd(::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return fail_errno("open state directory " + root_);
  DIR* dir = ::fdopendir(root_fd.get());
  if (dir == nullptr) return fail_errno("read state directory " + root_);
  root_fd.release();  // owned by `dir` now

  std::vector<std::string> ids;
  errno = 0;
  while (dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    errno = 0;
    if (!validate_container_id(name)) continue;
    const std::string state = name + "/" + kStateFile;
    struct stat st {};
    if (::fstatat(::dirfd(dir), state.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode))
      ids.push_back(name);
    errno = 0;
  }
  const int read_errno = errno;
  ::closedir(dir);
  if (read_errno != 0) return fail_errno("read state directory " + root_, read_errno);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string StateStore::owner(const std::string& id) const {
  struct stat st {};
  if (::stat(container_dir(id).c_str(), &st) != 0) return {};
  return user_name_for_uid(st.st_uid);
}

}  // namespace krill::runtime
