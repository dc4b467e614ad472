#include "transport/tar_stream.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "base/unique_fd.h"
// Last: its macros route the libarchive calls of this file (see the header).
#include "image/archive_library.h"

namespace krill::transport {
namespace {

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ReadArchive = std::unique_ptr<archive, ArchiveReadFree>;
using WriteArchive = std::unique_ptr<archive, ArchiveWriteFree>;

std::string archive_error(archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
}

Result<ReadArchive> open_for_reading(const std::string& path) {
  ReadArchive a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK)
    return fail("open archive " + path + ": " + archive_error(a.get()));
  return a;
}

// "./a/b" -> "a/b"; "a//b/" -> "a/b".
std::string clean_member_name(std::string_view name) {
  std::string out;
  size_t i = 0;
  while (i < name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string_view::npos) j = name.size();
    std::string_view part = name.substr(i, j - i);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    i = j + 1;
  }
  return out;
}

bool has_dotdot(const std::string& cleaned) {
  size_t i = 0;
  while (i <= cleaned.size()) {
    size_t j = cleaned.find('/', i);
    if (j == std::string::npos) j = cleaned.size();
    if (cleaned.compare(i, j - i, "..") == 0 && j - i == 2) return true;
    i = j + 1;
  }
  return false;
}

Result<void> collect(const std::string& root, const std::string& rel,
                     std::vector<std::string>& out) {
  std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail_errno("open directory " + dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string child = rel.empty() ? n : rel + "/" + n;
    struct stat st {};
    if (::lstat((root + "/" + child).c_str(), &st) != 0)
      return fail_errno("stat " + root + "/" + child);
    if (S_ISDIR(st.st_mode)) {
      out.push_back(child + "/");
      KRILL_CHECK(collect(root, child, out));
    } else if (S_ISREG(st.st_mode)) {
      out.push_back(child);
    }
  }
  return {};
}

}  // namespace

Result<void> tar_directory(const std::string& dir, const std::string& archive_path) {
  std::vector<std::string> members;
  KRILL_CHECK(collect(dir, "", members));
  WriteArchive a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open_filename(a.get(), archive_path.c_str()) != ARCHIVE_OK)
    return fail("create archive " + archive_path + ": " + archive_error(a.get()));
  std::string buf(128 * 1024, '\0');
  for (const auto& m : members) {
    bool is_dir = m.back() == '/';
    std::string path = dir + "/" + (is_dir ? m.substr(0, m.size() - 1) : m);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return fail_errno("stat " + path);
    std::unique_ptr<archive_entry, EntryFree> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), m.c_str());
    archive_entry_set_filetype(e.get(), is_dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e.get(), st.st_mode & 07777);
    archive_entry_set_uid(e.get(), 0);
    archive_entry_set_gid(e.get(), 0);
    archive_entry_set_mtime(e.get(), st.st_mtim.tv_sec, 0);
    archive_entry_set_size(e.get(), is_dir ? 0 : st.st_size);
    if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK)
      return fail("write " + m + " to " + archive_path + ": " + archive_error(a.get()));
    if (is_dir) continue;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_errno("open " + path);
    int64_t left = st.st_size;
    while (left > 0) {
      ssize_t n = ::read(fd.get(), buf.data(), std::min<int64_t>(left, buf.size()));
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_errno("read " + path);
      }
      if (n == 0) return fail("read " + path + ": file shrank while archiving");
      if (archive_write_data(a.get(), buf.data(), static_cast<size_t>(n)) < 0)
        return fail("write " + m + " to " + archive_path + ": " + archive_error(a.get()));
      left -= n;
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK)
    return fail("finish archive " + archive_path + ": " + archive_error(a.get()));
  UniqueFd fd(::open(archive_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd && ::fsync(fd.get()) != 0) return fail_errno("fsync " + archive_path);
  return {};
}

Result<void> publish_tar(const std::string& dir, const std::string& temp_path,
                         const std::string& path, const std::string& what) {
  auto written = tar_directory(dir, temp_path);
  if (written) {
    if (::rename(temp_path.c_str(), path.c_str()) == 0) return {};
    written = fail_errno("rename " + temp_path + " to " + path);
  }
  ::unlink(temp_path.c_str());
  return std::unexpected(std::move(written.error()).context("write " + what + " " + path));
}

Result<void> untar_to_directory(const std::string& archive_path, const std::string& dir) {
  auto a = KRILL_TRY(open_for_reading(archive_path));
  WriteArchive disk(archive_write_disk_new());
  // Names are checked below and then made absolute (inside `dir`), so libarchive's
  // absolute-path refusal cannot be used; it still refuses writing through symlinks.
  archive_write_disk_set_options(disk.get(),
                                 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  archive_entry* e = nullptr;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      return fail("read archive " + archive_path + ": " + archive_error(a.get()));
    std::string name = clean_member_name(archive_entry_pathname(e));
    if (name.empty()) continue;
    if (archive_entry_pathname(e)[0] == '/' || has_dotdot(name))
      return fail("extract " + archive_path + ": unsafe member name \"" +
                  std::string(archive_entry_pathname(e)) + "\"");
    mode_t type = archive_entry_filetype(e);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) continue;
    if (const char* link = archive_entry_hardlink(e)) {
      std::string target = clean_member_name(link);
      if (link[0] == '/' || has_dotdot(target))
        return fail("extract " + archive_path + ": unsafe hardlink \"" + std::string(link) + "\"");
      archive_entry_copy_hardlink(e, (dir + "/" + target).c_str());
    }
    if (type == AE_IFLNK) {
      std::string target = archive_entry_symlink(e) ? archive_entry_symlink(e) : "";
      if (!target.empty() && target[0] == '/')
        return fail("extract " + archive_path + ": absolute symlink \"" + name + "\"");
    }
    archive_entry_set_pathname(e, (dir + "/" + name).c_str());
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    if (archive_write_header(disk.get(), e) < ARCHIVE_WARN)
      return fail("extract " + name + " from " + archive_path + ": " + archive_error(disk.get()));
    if (type == AE_IFREG && archive_entry_size(e) > 0) {
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      for (;;) {
        int rr = archive_read_data_block(a.get(), &block, &size, &offset);
        if (rr == ARCHIVE_EOF) break;
        if (rr < ARCHIVE_WARN)
          return fail("read " + name + " from " + archive_path + ": " + archive_error(a.get()));
        if (archive_write_data_block(disk.get(), block, size, offset) < ARCHIVE_WARN)
          return fail("extract " + name + " from " + archive_path + ": " +
                      archive_error(disk.get()));
      }
    }
    if (archive_write_finish_entry(disk.get()) < ARCHIVE_WARN)
      return fail("extract " + name + " from " + archive_path + ": " + archive_error(disk.get()));
  }
  if (archive_write_close(disk.get()) != ARCHIVE_OK)
    return fail("extract " + archive_path + ": " + archive_error(disk.get()));
  return {};
}

Result<std::string> read_tar_member(const std::string& archive_path, const std::string& name,
                                    uint64_t max_size) {
  auto a = KRILL_TRY(open_for_reading(archive_path));
  std::string wanted = clean_member_name(name);
  archive_entry* e = nullptr;
  for (;;) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN)
      return fail("read " + name + " from " + archive_path + ": " + archive_error(a.get()));
    if (clean_member_name(archive_entry_pathname(e)) != wanted ||
        archive_entry_filetype(e) != AE_IFREG)
      continue;
    if (static_cast<uint64_t>(archive_entry_size(e)) > max_size)
      return fail("read " + name + " from " + archive_path + ": larger than " +
                  std::to_string(max_size) + " bytes");
    std::string out(static_cast<size_t>(archive_entry_size(e)), '\0');
    la_ssize_t n = archive_read_data(a.get(), out.data(), out.size());
    if (n < 0 || static_cast<size_t>(n) != out.size())
      return fail("read " + name + " from " + archive_path + ": " + archive_error(a.get()));
    return out;
  }
  return fail("read " + name + " from " + archive_path + ": no such member");
}

Result<std::string> resolve_member_path(const std::string& dir, const std::string& member) {
  std::string cleaned = clean_member_name(member);
  if (member.empty() || member[0] == '/' || has_dotdot(cleaned) || cleaned.empty())
    return fail("unsafe archive member name \"" + member + "\"");
  char root_buf[PATH_MAX];
  char path_buf[PATH_MAX];
  if (!::realpath(dir.c_str(), root_buf)) return fail_errno("resolve " + dir);
  std::string full = dir + "/" + cleaned;
  if (!::realpath(full.c_str(), path_buf)) return fail_errno("archive member " + member);
  std::string root = root_buf;
  std::string path = path_buf;
  if (path.compare(0, root.size() + 1, root + "/") != 0)
    return fail("archive member \"" + member + "\" points outside the archive");
  return path;
}

}  // namespace krill::transport
