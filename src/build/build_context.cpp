// The build context: a host directory or an unpacked tar, its ignore file and its Dockerfile.
#include "build/build_context.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <utility>

#include "base/file_io.h"
#include "build/file_copy_internal.h"

namespace krill::build {
namespace {

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// The ignore file at the root: .containerignore wins over .dockerignore; none = empty.
Result<IgnoreMatcher> read_ignore_file(const std::string& root) {
  for (const char* name : {".containerignore", ".dockerignore"}) {
    std::string path = root + "/" + name;
    if (!exists(path)) continue;
    std::string text = KRILL_TRY(read_file(path));
    auto matcher = IgnoreMatcher::parse(text);
    if (!matcher) return std::unexpected(std::move(matcher.error()).context("parse " + path));
    return matcher;
  }
  return IgnoreMatcher();
}

Result<std::string> make_temp_dir(const std::string& parent) {
  std::string templ = parent + "/krill-context-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) return fail_errno("create a directory in " + parent);
  return templ;
}

}  // namespace

Result<BuildContext> BuildContext::from_directory(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return fail_errno("context directory " + dir);
  if (!S_ISDIR(st.st_mode)) return fail_errno("context directory " + dir, ENOTDIR);
  char resolved[PATH_MAX];
  if (::realpath(dir.c_str(), resolved) == nullptr) return fail_errno("context directory " + dir);
  BuildContext context;
  context.root_ = resolved;
  context.ignore_ = KRILL_TRY(read_ignore_file(context.root_));
  return context;
}

Result<BuildContext> BuildContext::from_tar(int fd, const std::string& temp_parent) {
  BuildContext context;
  context.root_ = KRILL_TRY(make_temp_dir(temp_parent));
  context.owned_ = true;  // removed by the destructor on every error below
  UniqueFd root_fd(::open(context.root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return fail_errno("open " + context.root_);
  detail::UnpackOptions options;
  options.resolve = RESOLVE_BENEATH;
  options.refuse_absolute = true;
  options.what = "context archive";
  KRILL_CHECK(detail::unpack_archive(fd, root_fd.get(), "", options));
  if (::chmod(context.root_.c_str(), 0755) != 0) return fail_errno("chmod " + context.root_);
  context.ignore_ = KRILL_TRY(read_ignore_file(context.root_));
  return context;
}

BuildContext::BuildContext(BuildContext&& other) noexcept
    : root_(std::move(other.root_)),
      owned_(std::exchange(other.owned_, false)),
      ignore_(std::move(other.ignore_)) {}

BuildContext& BuildContext::operator=(BuildContext&& other) noexcept {
  if (this != &other) {
    if (owned_) (void)remove_all(root_);
    root_ = std::move(other.root_);
    owned_ = std::exchange(other.owned_, false);
    ignore_ = std::move(other.ignore_);
  }
  return *this;
}

BuildContext::~BuildContext() {
  if (owned_) (void)remove_all(root_);
}

Result<std::string> BuildContext::dockerfile_path(const std::string& file) const {
  if (!file.empty()) {
    if (file.front() == '/') return file;
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) return fail_errno("get the current directory");
    return std::string(cwd) + "/" + file;
  }
  for (const char* name : {"Containerfile", "Dockerfile"}) {
    std::string path = root_ + "/" + name;
    if (exists(path)) return path;
  }
  return fail("no Containerfile or Dockerfile specified or found in context " + root_);
}

}  // namespace krill::build
