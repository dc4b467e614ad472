#include "runtime/security/lsm.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "base/unique_fd.h"

namespace krill::security {
namespace {

constexpr unsigned long kSelinuxMagic = 0xf97cff8c;  // SELINUX_MAGIC

// Reads up to 4 KiB of a small kernel file; empty on error.
std::string read_small_file(const char* path) {
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  char buffer[4096];
  ssize_t n;
  do {
    n = read(fd.get(), buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return {};
  return std::string(buffer, static_cast<size_t>(n));
}

bool is_directory(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// /proc/thread-self/<attr>, or /proc/self/task/<tid>/<attr> before Linux 3.17.
std::string thread_attr_path(std::string_view attr) {
  if (is_directory("/proc/thread-self")) return "/proc/thread-self/" + std::string(attr);
  return "/proc/self/task/" + std::to_string(syscall(SYS_gettid)) + "/" + std::string(attr);
}

// Writes value in one write(2), as LSM attribute files require; refuses anything that is not
// procfs (a container could have mounted something else over /proc).
Result<void> write_proc_attr(const std::string& path, const std::string& value) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return fail_errno("open " + path);
  struct statfs fs;
  if (fstatfs(fd.get(), &fs) != 0) return fail_errno("statfs " + path);
  if (static_cast<unsigned long>(fs.f_type) != PROC_SUPER_MAGIC)
    return fail("write " + path + ": not on procfs");
  ssize_t n;
  do {
    n = write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno("write \"" + value + "\" to " + path);
  if (static_cast<size_t>(n) != value.size())
    return fail("write \"" + value + "\" to " + path + ": short write");
  return {};
}

}  // namespace

bool apparmor_enabled() {
  const std::string enabled = read_small_file("/sys/module/apparmor/parameters/enabled");
  return !enabled.empty() && enabled[0] == 'Y';
}

bool selinux_enabled() {
  struct statfs fs;
  if (statfs("/sys/fs/selinux", &fs) != 0 || static_cast<unsigned long>(fs.f_type) != kSelinuxMagic)
    return false;
  std::string current = read_small_file("/proc/self/attr/current");
  while (!current.empty() && (current.back() == '\0' || current.back() == '\n')) current.pop_back();
  return !current.empty() && current != "kernel";
}

Result<void> apply_apparmor_profile(const std::string& profile) {
  if (profile.empty()) return {};
  if (!apparmor_enabled())
    return fail("apparmor profile " + profile +
                " requested but AppArmor is not enabled on this host");
  const std::string value = "exec " + profile;
  const std::string context = "apply apparmor profile " + profile;
  // The AppArmor-specific attribute directory exists since Linux 5.8 (LSM stacking).
  std::string path = thread_attr_path("attr/apparmor/exec");
  if (access(path.c_str(), F_OK) != 0) path = thread_attr_path("attr/exec");
  KRILL_CHECK_CTX(write_proc_attr(path, value), context);
  return {};
}

Result<void> apply_selinux_exec_label(const std::string& label) {
  if (label.empty()) return {};
  if (!selinux_enabled())
    return fail("SELinux label " + label + " requested but SELinux is not enabled on this host");
  KRILL_CHECK_CTX(write_proc_attr(thread_attr_path("attr/exec"), label),
                  "set SELinux exec label " + label);
  return {};
}

std::string selinux_mount_context(const std::string& mount_label) {
  if (mount_label.empty()) return {};
  return "context=\"" + mount_label + "\"";
}

}  // namespace krill::security
