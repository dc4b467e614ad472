// Helpers for the context, ignore and COPY tests: a self-removing temp dir, small file system
// builders and a tar writer.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/file_io.h"

namespace krill::build::test {

class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/krill-copy-test-XXXXXX";
    const char* made = ::mkdtemp(templ);
    path_ = made ? made : "";
  }
  ~TempDir() {
    if (!path_.empty()) (void)krill::remove_all(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_text(const std::string& path, const std::string& text, mode_t mode = 0644) {
  std::string dir = path.substr(0, path.rfind('/'));
  (void)krill::mkdir_all(dir, 0755);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd >= 0) {
    (void)!::write(fd, text.data(), text.size());
    ::fchmod(fd, mode);
    ::close(fd);
  }
}

inline std::string read_text(const std::string& path) {
  auto text = krill::read_file(path);
  return text ? *text : std::string("<missing>");
}

inline bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

inline struct stat lstat_of(const std::string& path) {
  struct stat st {};
  ::lstat(path.c_str(), &st);
  return st;
}

struct TarEntry {
  std::string name;
  char type = 'f';   // f file, d dir, l symlink, h hardlink
  std::string data;  // file content, or link target
  mode_t mode = 0644;
  int64_t uid = 0, gid = 0;
  time_t mtime = 1600000000;
};

// Writes a tar (filter: "none", "gzip", "bzip2", "xz", "zstd") to `path`.
inline void write_tar(const std::string& path, const std::vector<TarEntry>& entries,
                      const std::string& filter = "none") {
  archive* writer = archive_write_new();
  archive_write_set_format_pax_restricted(writer);
  if (filter == "gzip") archive_write_add_filter_gzip(writer);
  if (filter == "bzip2") archive_write_add_filter_bzip2(writer);
  if (filter == "xz") archive_write_add_filter_xz(writer);
  if (filter == "zstd") archive_write_add_filter_zstd(writer);
  archive_write_open_filename(writer, path.c_str());
  for (const TarEntry& e : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_uid(entry, e.uid);
    archive_entry_set_gid(entry, e.gid);
    archive_entry_set_mtime(entry, e.mtime, 0);
    archive_entry_set_perm(entry, e.mode);
    if (e.type == 'f') {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
    } else if (e.type == 'd') {
      archive_entry_set_filetype(entry, AE_IFDIR);
    } else if (e.type == 'l') {
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, e.data.c_str());
    } else {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_hardlink(entry, e.data.c_str());
    }
    archive_write_header(writer, entry);
    if (e.type == 'f') archive_write_data(writer, e.data.data(), e.data.size());
    archive_entry_free(entry);
  }
  archive_write_close(writer);
  archive_write_free(writer);
}

}  // namespace krill::build::test
