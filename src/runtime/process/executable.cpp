#include "runtime/process/executable.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

#include "runtime/process/errno_text.h"

namespace krill::process {
namespace {

// `path` as the kernel will see it once the process runs in `cwd`.
std::string against_cwd(std::string_view path, const std::string& cwd) {
  if (path.starts_with('/') || cwd.empty()) return std::string(path);
  std::string joined = cwd;
  if (!joined.ends_with('/')) joined += '/';
  joined += path;
  return joined;
}

// 0 when `path` is an executable non-directory, else the errno that says why not.
int check_executable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno;
  if (S_ISDIR(st.st_mode)) return EACCES;
  if (::faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) != 0) return errno;
  return 0;
}

Error exec_error(const std::string& arg0, const std::string& reason, int err) {
  return Error("exec: \"" + arg0 + "\": " + reason, err);
}

std::string_view path_from_env(const std::vector<std::string>& env) {
  const std::string* found = nullptr;
  for (const auto& entry : env)
    if (std::string_view(entry).starts_with("PATH=")) found = &entry;
  if (found == nullptr) return kDefaultPath;
  return std::string_view(*found).substr(5);
}

}  // namespace

Result<std::string> find_executable(const std::string& arg0, const std::vector<std::string>& env,
                                    const std::string& cwd) {
  if (arg0.find('/') != std::string::npos) {
    std::string path = against_cwd(arg0, cwd);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      int err = errno;
      return std::unexpected(exec_error(arg0, "stat " + arg0 + ": " + errno_text(err), err));
    }
    if (int err = check_executable(path); err != 0)
      return std::unexpected(exec_error(arg0, errno_text(err), err));
    return arg0;
  }
  std::string_view search = path_from_env(env);
  if (!arg0.empty() && !search.empty()) {
    while (true) {
      size_t colon = search.find(':');
      std::string_view dir = search.substr(0, colon);
      std::string candidate(dir.empty() ? std::string_view(".") : dir);
      candidate += '/';
      candidate += arg0;
      if (!candidate.starts_with('/')) candidate = against_cwd(candidate, cwd);
      if (check_executable(candidate) == 0) return candidate;
      if (colon == std::string_view::npos) break;
      search.remove_prefix(colon + 1);
    }
  }
  return std::unexpected(exec_error(arg0, "executable file not found in $PATH", ENOENT));
}

Result<void> enter_working_directory(const std::string& cwd) {
  if (::chdir(cwd.c_str()) != 0) {
    int err = errno;
    return std::unexpected(
        Error("chdir to cwd (\"" + cwd + "\") set in config.json failed: " + errno_text(err), err));
  }
  return {};
}

}  // namespace krill::process
