// COPY/ADD into a container root file system: destinations resolved inside the rootfs, files
// written under a temporary name and renamed into place, metadata as Docker sets it.
#include "build/file_copy.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>

#include "build/file_copy_internal.h"
#include "image/digest.h"

namespace krill::build {
namespace {

using detail::join_path;
using detail::MatchedSource;
using detail::open_resolved;
using detail::Owner;
using detail::SourceEntry;
using detail::SourceSet;
using detail::split_parent;

std::string temp_name() {
  static std::atomic<unsigned> counter{0};
  return ".krill-copy-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

std::string errno_text() { return std::strerror(errno); }

struct DirectoryTime {
  std::string path;
  timespec mtime;
};

class RootfsWriter {
 public:
  RootfsWriter(const CopyRequest& request, int rootfs_fd, int source_fd)
      : request_(request), rootfs_fd_(rootfs_fd), source_fd_(source_fd) {
    owner_ = Owner{true, request.uid.value_or(0), request.gid.value_or(0)};
  }

  std::unexpected<Error> failure(const std::string& what) const {
    return fail(request_.instruction + " failed: " + what);
  }

  Result<UniqueFd> make_parents(const std::string& dir) {
    auto fd = detail::mkdir_all_resolved(rootfs_fd_, dir, RESOLVE_IN_ROOT, 0755, owner_);
    if (!fd) return failure(fd.error().message());
    return fd;
  }

  bool is_directory(const std::string& path) const {
    return open_resolved(rootfs_fd_, path, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT).has_value();
  }

  // Writes one source object (not a directory's contents) at `target` below the rootfs.
  Result<void> write(const std::string& source_rel, const struct stat& st,
                     const std::string& target) {
    if (target.empty()) {  // the rootfs itself: only a directory can go there
      if (S_ISDIR(st.st_mode)) return {};
      return failure("cannot replace / with a file");
    }
    auto [parent_path, leaf] = split_parent(target);
    auto parent = open_resolved(rootfs_fd_, parent_path, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT);
    if (!parent) return failure("destination " + parent_path + ": " + parent.error().message());
    int fd = parent->get();
    if (S_ISDIR(st.st_mode)) return write_directory(st, fd, leaf, target);
    if (S_ISREG(st.st_mode)) return write_regular(source_rel, st, fd, leaf, target);
    if (S_ISLNK(st.st_mode)) return write_symlink(source_rel, st, fd, leaf, target);
    if (S_ISSOCK(st.st_mode)) return {};
    return write_node(st, fd, leaf, target);
  }

  void apply_directory_times() {
    for (auto it = directory_times_.rbegin(); it != directory_times_.rend(); ++it) {
      auto fd = open_resolved(rootfs_fd_, it->path, O_RDONLY | O_DIRECTORY, RESOLVE_IN_ROOT);
      if (!fd) continue;
      timespec times[2] = {it->mtime, it->mtime};
      ::futimens(fd->get(), times);
    }
  }

 private:
  mode_t mode_for(const struct stat& st) const {
    return request_.mode ? *request_.mode & 07777 : st.st_mode & 07777;
  }

  Result<void> set_metadata(int parent_fd, const std::string& leaf, const struct stat& st,
                            const std::string& target) {
    if (::fchownat(parent_fd, leaf.c_str(), owner_.uid, owner_.gid, AT_SYMLINK_NOFOLLOW) != 0) {
      return failure("chown " + target + ": " + errno_text());
    }
    if (!S_ISLNK(st.st_mode) && ::fchmodat(parent_fd, leaf.c_str(), mode_for(st), 0) != 0) {
      return failure("chmod " + target + ": " + errno_text());
    }
    timespec times[2] = {st.st_mtim, st.st_mtim};
    ::utimensat(parent_fd, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW);
    return {};
  }

  Result<void> write_directory(const struct stat& st, int parent_fd, const std::string& leaf,
                               const std::string& target) {
    if (is_directory(target)) return {};  // existing directories (or links to them) stay
    struct stat existing;
    if (::fstatat(parent_fd, leaf.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
        ::unlinkat(parent_fd, leaf.c_str(), 0) != 0) {
      return failure("replace " + target + ": " + errno_text());
    }
    if (::mkdirat(parent_fd, leaf.c_str(), 0700) != 0) {
      return failure("mkdir " + target + ": " + errno_text());
    }
    KRILL_CHECK(set_metadata(parent_fd, leaf, st, target));
    directory_times_.push_back({target, st.st_mtim});
    return {};
  }

  // Renames the finished temporary object over `leaf`; removes it on failure.
  Result<void> commit(Result<void> written, int parent_fd, const std::string& temp,
                      const std::string& leaf, const std::string& target) {
    if (written && ::renameat(parent_fd, temp.c_str(), parent_fd, leaf.c_str()) != 0) {
      written = failure("rename to " + target + ": " + errno_text());
    }
    if (!written) ::unlinkat(parent_fd, temp.c_str(), 0);
    return written;
  }

  Result<void> copy_contents(const std::string& source_rel, int out_fd, off_t size) {
    auto in = detail::open_source(source_fd_, source_rel, O_RDONLY);
    if (!in) return failure("open source " + source_rel + ": " + in.error().message());
    off_t done = 0;
    while (done < size) {
      ssize_t n = ::copy_file_range(in->get(), nullptr, out_fd, nullptr,
                                    static_cast<size_t>(size - done), 0);
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
        n = ::sendfile(out_fd, in->get(), nullptr, static_cast<size_t>(size - done));
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return failure("copy " + source_rel + ": " + errno_text());
      if (n == 0) break;  // the file shrank meanwhile
      done += n;
    }
    return {};
  }

  Result<void> write_regular(const std::string& source_rel, const struct stat& st, int parent_fd,
                             const std::string& leaf, const std::string& target) {
    if (st.st_nlink > 1) {
      auto first = hardlinks_.find({st.st_dev, st.st_ino});
      if (first != hardlinks_.end()) return link_to(first->second, parent_fd, leaf, target);
    }
    std::string temp = temp_name();
    UniqueFd out(::openat(parent_fd, temp.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) return failure("create " + target + ": " + errno_text());
    Result<void> written = copy_contents(source_rel, out.get(), st.st_size);
    out.reset();
    if (written) written = set_metadata(parent_fd, temp, st, target);
    KRILL_CHECK(commit(std::move(written), parent_fd, temp, leaf, target));
    if (st.st_nlink > 1) hardlinks_[{st.st_dev, st.st_ino}] = target;
    return {};
  }

  Result<void> link_to(const std::string& first, int parent_fd, const std::string& leaf,
                       const std::string& target) {
    auto [first_parent, first_leaf] = split_parent(first);
    auto dir = open_resolved(rootfs_fd_, first_parent, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT);
    if (!dir) return failure("link " + target + ": " + dir.error().message());
    std::string temp = temp_name();
    Result<void> linked;
    if (::linkat(dir->get(), first_leaf.c_str(), parent_fd, temp.c_str(), 0) != 0) {
      return failure("link " + target + " to " + first + ": " + errno_text());
    }
    return commit(std::move(linked), parent_fd, temp, leaf, target);
  }

  Result<void> write_symlink(const std::string& source_rel, const struct stat& st, int parent_fd,
                             const std::string& leaf, const std::string& target) {
    auto [source_parent, source_leaf] = split_parent(source_rel);
    auto dir = detail::open_source(source_fd_, source_parent, O_PATH | O_DIRECTORY);
    if (!dir) return failure("open source " + source_parent + ": " + dir.error().message());
    std::string link(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = ::readlinkat(dir->get(), source_leaf.c_str(), link.data(), link.size());
    if (n < 0) return failure("readlink " + source_rel + ": " + errno_text());
    link.resize(static_cast<size_t>(n));
    std::string temp = temp_name();
    if (::symlinkat(link.c_str(), parent_fd, temp.c_str()) != 0) {
      return failure("symlink " + target + ": " + errno_text());
    }
    return commit(set_metadata(parent_fd, temp, st, target), parent_fd, temp, leaf, target);
  }

  Result<void> write_node(const struct stat& st, int parent_fd, const std::string& leaf,
                          const std::string& target) {
    std::string temp = temp_name();
    if (::mknodat(parent_fd, temp.c_str(), (st.st_mode & S_IFMT) | 0600, st.st_rdev) != 0) {
      return failure("mknod " + target + ": " + errno_text());
    }
    return commit(set_metadata(parent_fd, temp, st, target), parent_fd, temp, leaf, target);
  }

  const CopyRequest& request_;
  int rootfs_fd_;
  int source_fd_;
  Owner owner_;
  std::map<std::pair<dev_t, ino_t>, std::string> hardlinks_;
  std::vector<DirectoryTime> directory_times_;
};

// The destination below the rootfs ("" = "/") and whether it names a directory.
struct Destination {
  std::string path;
  bool directory = false;
};

Destination parse_destination(const CopyRequest& request) {
  std::string full = request.destination;
  if (full.empty() || full.front() != '/') full = join_path(request.workdir, full);
  if (full.empty() || full.front() != '/') full = "/" + full;
  std::string cleaned = detail::clean_path(full);
  Destination destination;
  destination.path = cleaned == "/" ? "" : cleaned.substr(1);
  std::string_view written = request.destination;
  destination.directory = written.empty() || written.ends_with('/') || written == "." ||
                          written.ends_with("/.") || written == ".." || written.ends_with("/..");
  return destination;
}

Result<void> unpack_into(const CopyRequest& request, int rootfs_fd, int source_fd,
                         const MatchedSource& source, const std::string& dir) {
  auto file = detail::open_source(source_fd, source.rel, O_RDONLY);
  if (!file) return fail(request.instruction + " failed: open " + source.name);
  detail::UnpackOptions options;
  options.resolve = RESOLVE_IN_ROOT;
  options.keep_owner = true;
  if (request.uid) options.owner = Owner{true, *request.uid, request.gid.value_or(*request.uid)};
  options.what = request.instruction + " failed: archive " + source.name;
  return detail::unpack_archive(file->get(), rootfs_fd, dir, options);
}

bool is_local_archive(const CopyRequest& request, int source_fd, const MatchedSource& source) {
  if (!request.extract_archives || !S_ISREG(source.st.st_mode)) return false;
  auto file = detail::open_source(source_fd, source.rel, O_RDONLY);
  return file && detail::is_tar_archive(file->get());
}

std::string base_name(const MatchedSource& source) {
  std::string name = split_parent(source.name).second;
  return name.empty() ? split_parent(source.rel).second : name;
}

Result<void> copy_source(const CopyRequest& request, RootfsWriter& writer, int rootfs_fd,
                         int source_fd, const MatchedSource& source,
                         const Destination& destination) {
  if (is_local_archive(request, source_fd, source)) {
    KRILL_TRY(writer.make_parents(destination.path));
    return unpack_into(request, rootfs_fd, source_fd, source, destination.path);
  }
  if (S_ISDIR(source.st.st_mode)) {
    KRILL_TRY(writer.make_parents(split_parent(destination.path).first));
    KRILL_CHECK(writer.write(source.rel, source.st, destination.path));
    for (const SourceEntry& entry : source.entries) {
      KRILL_CHECK(writer.write(entry.rel, entry.st, join_path(destination.path, entry.dest)));
    }
    return {};
  }
  std::string target = destination.path;
  if (destination.directory) {
    KRILL_TRY(writer.make_parents(destination.path));
    target = join_path(destination.path, base_name(source));
  } else {
    KRILL_TRY(writer.make_parents(split_parent(target).first));
  }
  return writer.write(source.rel, source.st, target);
}

void hash_entry(image::Hasher& hasher, int source_fd, const std::string& rel,
                const struct stat& st) {
  hasher.update(std::to_string(st.st_mode & S_IFMT) + " " + rel + " " +
                std::to_string(st.st_mode & 07777) + " " + std::to_string(st.st_size) + "\n");
  if (S_ISREG(st.st_mode)) {
    auto fd = detail::open_source(source_fd, rel, O_RDONLY);
    char buffer[65536];
    ssize_t n;
    while (fd && (n = ::read(fd->get(), buffer, sizeof buffer)) > 0) {
      hasher.update(std::string_view(buffer, static_cast<size_t>(n)));
    }
  } else if (S_ISLNK(st.st_mode)) {
    auto [parent, leaf] = split_parent(rel);
    auto dir = detail::open_source(source_fd, parent, O_PATH | O_DIRECTORY);
    char link[4096];
    ssize_t n = dir ? ::readlinkat(dir->get(), leaf.c_str(), link, sizeof link) : -1;
    if (n > 0) hasher.update(std::string_view(link, static_cast<size_t>(n)));
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    hasher.update(std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)));
  }
  hasher.update("\n");
}

}  // namespace

Result<void> copy_into_rootfs(const CopyRequest& request, const std::string& rootfs) {
  SourceSet sources = KRILL_TRY(detail::resolve_sources(request));
  UniqueFd rootfs_fd(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfs_fd) return fail_errno(request.instruction + " failed: open rootfs " + rootfs);
  Destination destination = parse_destination(request);
  bool existing_dir =
      open_resolved(rootfs_fd.get(), destination.path, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT)
          .has_value();
  if (sources.several && !destination.directory && !existing_dir) {
    return fail(request.instruction +
                " failed: copying several sources requires the destination /" + destination.path +
                " to end with /");
  }
  destination.directory = destination.directory || existing_dir || sources.wildcard_several;
  RootfsWriter writer(request, rootfs_fd.get(), sources.root_fd.get());
  for (const MatchedSource& source : sources.sources) {
    KRILL_CHECK(
        copy_source(request, writer, rootfs_fd.get(), sources.root_fd.get(), source, destination));
  }
  writer.apply_directory_times();
  return {};
}

Result<std::string> sources_digest(const CopyRequest& request) {
  SourceSet sources = KRILL_TRY(detail::resolve_sources(request));
  image::Hasher hasher = KRILL_TRY(image::Hasher::create("sha256"));
  for (const MatchedSource& source : sources.sources) {
    hasher.update("source " + source.name + "\n");
    hash_entry(hasher, sources.root_fd.get(), source.rel, source.st);
    for (const SourceEntry& entry : source.entries) {
      hash_entry(hasher, sources.root_fd.get(), entry.rel, entry.st);
    }
  }
  return hasher.finish().str();
}

}  // namespace krill::build
