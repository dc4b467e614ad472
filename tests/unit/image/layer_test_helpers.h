// Helpers for the layer tests: temp dirs, tar building with libarchive, compression,
// sha256, memfds, overlay mounts in a child.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "base/file_io.h"
#include "base/unique_fd.h"

namespace krill::image::test {

class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/krill-layer-test-XXXXXX";
    path_ = mkdtemp(templ);
  }
  ~TempDir() { (void)krill::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string sha256_of_bytes(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

struct Attr {
  mode_t perm = 0644;
  int64_t uid = 0, gid = 0;
  time_t mtime = 1700000000;
  long mtime_nsec = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

// Builds a pax tar in memory.
class TarBuilder {
 public:
  TarBuilder() {
    a_ = archive_write_new();
    archive_write_set_format_pax(a_);
    archive_write_set_bytes_in_last_block(a_, 1);
    archive_write_open(a_, this, nullptr, &write_cb, nullptr);
  }
  ~TarBuilder() {
    if (a_) archive_write_free(a_);
  }
  TarBuilder& file(const std::string& path, const std::string& content, Attr attr = {}) {
    archive_entry* e = make(path, AE_IFREG, attr);
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_write_header(a_, e);
    if (!content.empty()) archive_write_data(a_, content.data(), content.size());
    archive_entry_free(e);
    return *this;
  }
  TarBuilder& dir(const std::string& path, Attr attr = {.perm = 0755}) {
    return simple(path, AE_IFDIR, attr);
  }
  TarBuilder& symlink(const std::string& path, const std::string& target, Attr attr = {}) {
    archive_entry* e = make(path, AE_IFLNK, attr);
    archive_entry_set_symlink(e, target.c_str());
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  TarBuilder& hardlink(const std::string& path, const std::string& target) {
    archive_entry* e = make(path, AE_IFREG, {});
    archive_entry_set_hardlink(e, target.c_str());
    archive_entry_set_size(e, 0);
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  TarBuilder& device(const std::string& path, mode_t type, dev_t rdev, Attr attr = {}) {
    archive_entry* e = make(path, type, attr);
    archive_entry_set_rdev(e, rdev);
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  TarBuilder& fifo(const std::string& path, Attr attr = {}) { return simple(path, AE_IFIFO, attr); }
  std::string finish() {
    archive_write_close(a_);
    archive_write_free(a_);
    a_ = nullptr;
    return data_;
  }

 private:
  static la_ssize_t write_cb(archive*, void* client, const void* buf, size_t n) {
    static_cast<TarBuilder*>(client)->data_.append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  }
  archive_entry* make(const std::string& path, mode_t type, const Attr& attr) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, attr.perm);
    archive_entry_set_uid(e, attr.uid);
    archive_entry_set_gid(e, attr.gid);
    archive_entry_set_mtime(e, attr.mtime, attr.mtime_nsec);
    for (const auto& [name, value] : attr.xattrs) {
      archive_entry_xattr_add_entry(e, name.c_str(), value.data(), value.size());
    }
    return e;
  }
  TarBuilder& simple(const std::string& path, mode_t type, const Attr& attr) {
    archive_entry* e = make(path, type, attr);
    archive_write_header(a_, e);
    archive_entry_free(e);
    return *this;
  }
  archive* a_ = nullptr;
  std::string data_;
};

inline la_ssize_t append_cb(archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

inline std::string gzip_bytes(const std::string& data) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_raw(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, &append_cb, nullptr);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "x");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_write_header(a, e);
  archive_entry_free(e);
  archive_write_data(a, data.data(), data.size());
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

inline std::string zstd_bytes(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

// Decompresses gzip (through libarchive), for checking written layers.
inline std::string gunzip_bytes(const std::string& data) {
  archive* a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_format_raw(a);
  archive_read_open_memory(a, data.data(), data.size());
  archive_entry* e = nullptr;
  std::string out;
  if (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  }
  archive_read_free(a);
  return out;
}

// A memfd holding `data`, positioned at 0.
inline krill::UniqueFd memfd_with(const std::string& data) {
  krill::UniqueFd fd(memfd_create("layer", MFD_CLOEXEC));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd.get(), data.data() + done, data.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

inline std::string read_fd_all(int fd) {
  lseek(fd, 0, SEEK_SET);
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// Mounts an overlay of `lowers` (topmost first) in a child with its own mount
// namespace and reports which of `paths` (relative) exist in the merged view:
// a string of '1'/'0', or "mount failed".
inline std::string overlay_visibility(const std::vector<std::string>& lowers,
                                      const std::vector<std::string>& paths, const std::string& mnt,
                                      bool userxattr = false) {
  std::string options = "lowerdir=";
  for (size_t i = 0; i < lowers.size(); ++i) options += (i ? ":" : "") + lowers[i];
  if (userxattr) options += ",userxattr";
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) ||
        mount("overlay", mnt.c_str(), "overlay", 0, options.c_str()) != 0) {
      (void)!write(fds[1], "mount failed", 12);
      _exit(1);
    }
    std::string result;
    for (const auto& p : paths) {
      struct stat st;
      result +=
          fstatat(AT_FDCWD, (mnt + "/" + p).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? '1' : '0';
    }
    (void)!write(fds[1], result.data(), result.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

}  // namespace krill::image::test
