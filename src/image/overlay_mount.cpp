#include "image/overlay_mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/unique_fd.h"

namespace krill::image {
namespace {

// The kernel's limit for mount(2)'s data.
constexpr size_t kMountDataLimit = 4095;

// The deepest directory that holds every path ("" when that is only "/").
std::string common_directory(const std::vector<std::string>& paths) {
  std::string common = paths.front().substr(0, paths.front().rfind('/'));
  for (const auto& path : paths) {
    while (!common.empty() &&
           !(path.starts_with(common) && path.size() > common.size() && path[common.size()] == '/'))
      common.resize(common.rfind('/'));
  }
  return common;
}

std::string what_of(const OverlayMountRequest& request) {
  return "mount overlay on " + request.target;
}

}  // namespace

Result<LegacyOverlayOptions> legacy_overlay_options(const OverlayMountRequest& request) {
  const std::string what = what_of(request);
  if (request.lower_dirs.empty()) return fail(what + ": no lower directory");
  LegacyOverlayOptions out;
  // Names relative to the directory that holds every layer (the store's layers/).
  out.lower_parent = common_directory(request.lower_dirs);
  auto refuse = [&](const std::string& path) {
    return fail(what + ": the path " + path +
                " holds ',' or ':', which this kernel's overlay options cannot carry");
  };
  std::string lowers;
  for (const auto& lower : request.lower_dirs) {
    if (lower.find_first_of(",:") != std::string::npos) return refuse(lower);
    if (!lowers.empty()) lowers += ':';
    lowers += out.lower_parent.empty() ? lower : lower.substr(out.lower_parent.size() + 1);
  }
  for (const std::string* path : {&request.upper_dir, &request.work_dir})
    if (path->find_first_of(",:") != std::string::npos) return refuse(*path);
  out.data =
      "lowerdir=" + lowers + ",upperdir=" + request.upper_dir + ",workdir=" + request.work_dir;
  out.data += request.rootless ? ",userxattr" : ",redirect_dir=off,metacopy=off,index=off";
  if (request.volatile_upper) out.data += ",volatile";
  if (out.data.size() > kMountDataLimit)
    return fail(what + ": " + std::to_string(request.lower_dirs.size()) +
                " layers do not fit in this kernel's mount options (a page); Linux 6.8 or later "
                "mounts any number");
  return out;
}

Result<void> mount_overlay_legacy(const OverlayMountRequest& request) {
  const std::string what = what_of(request);
  auto options = KRILL_TRY(legacy_overlay_options(request));
  if (options.lower_parent.empty()) {
    if (::mount("overlay", request.target.c_str(), "overlay", 0, options.data.c_str()) != 0)
      return fail_errno(what);
    return {};
  }
  // Relative lower dirs resolve against the caller's cwd: a child changes into their parent so
  // that this process's cwd (shared by its threads) never moves.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return fail_errno(what + ": pipe");
  UniqueFd read_end(report[0]), write_end(report[1]);
  const pid_t child = ::fork();
  if (child < 0) return fail_errno(what + ": fork");
  if (child == 0) {
    int error = 0;
    if (::chdir(options.lower_parent.c_str()) != 0 ||
        ::mount("overlay", request.target.c_str(), "overlay", 0, options.data.c_str()) != 0)
      error = errno;
    (void)!::write(write_end.get(), &error, sizeof error);
    ::_exit(error == 0 ? 0 : 1);
  }
  write_end.reset();
  int error = EIO;
  ssize_t n;
  do n = ::read(read_end.get(), &error, sizeof error);
  while (n < 0 && errno == EINTR);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof error)) return fail(what + ": the mounting child died");
  if (error != 0) return std::unexpected(Error(what + ": " + std::strerror(error), error));
  return {};
}

Result<void> mount_overlay(const OverlayMountRequest& request) {
  if (!request.uid_map.empty()) return mount_overlay_idmapped(request);
  const std::string what = what_of(request);
  UniqueFd fs(fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) return fail_errno(what + ": fsopen");
  auto set = [&](const char* key, const std::string& value) -> Result<void> {
    if (fsconfig(fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0)
      return fail_errno(what + ": " + key + "=" + value);
    return {};
  };
  for (size_t i = 0; i < request.lower_dirs.size(); ++i) {
    if (fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", request.lower_dirs[i].c_str(), 0) == 0)
      continue;
    // A kernel before 6.8 refuses the parameter itself, at the first layer.
    if (i == 0 && errno == EINVAL) return mount_overlay_legacy(request);
    return fail_errno(what + ": lowerdir+=" + request.lower_dirs[i]);
  }
  KRILL_CHECK(set("upperdir", request.upper_dir));
  KRILL_CHECK(set("workdir", request.work_dir));
  // The upper dir must stay a plain layer (commit and build read it as one): no renamed
  // directories as redirect xattrs, no metadata-only copy-ups, no index, whatever the kernel's
  // defaults. (With userxattr the kernel keeps them off and refuses the options.)
  if (!request.rootless) {
    KRILL_CHECK(set("redirect_dir", "off"));
    KRILL_CHECK(set("metacopy", "off"));
    KRILL_CHECK(set("index", "off"));
  } else if (fsconfig(fs.get(), FSCONFIG_SET_FLAG, "userxattr", nullptr, 0) != 0) {
    return fail_errno(what + ": userxattr");
  }
  if (request.volatile_upper && fsconfig(fs.get(), FSCONFIG_SET_FLAG, "volatile", nullptr, 0) != 0)
    return fail_errno(what + ": volatile");
  if (fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return fail_errno(what + ": create");
  UniqueFd mnt(fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (!mnt) return fail_errno(what + ": fsmount");
  if (move_mount(mnt.get(), "", AT_FDCWD, request.target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return fail_errno(what + ": move_mount");
  return {};
}

}  // namespace krill::image
