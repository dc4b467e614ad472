#include "transport/layout_files.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <span>
#include <utility>

#include "base/file_io.h"
#include "base/unique_fd.h"
#include "image/layer_compression.h"

namespace krill::transport {
namespace {

constexpr size_t kBufferSize = 128 * 1024;

// A named temp file removed on destruction unless released.
class TempFile {
 public:
  static Result<TempFile> create(const std::string& dir) {
    std::string templ = dir + "/.krill-tmp-XXXXXX";
    int fd = ::mkostemp(templ.data(), O_CLOEXEC);
    if (fd < 0) return fail_errno("create temp file in " + dir);
    return TempFile(UniqueFd(fd), std::move(templ));
  }
  TempFile(TempFile&& o) noexcept : fd_(std::move(o.fd_)), path_(std::exchange(o.path_, {})) {}
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

  Result<void> write_all(const char* data, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_.get(), data, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return fail_errno("write " + path_);
      }
      data += w;
      n -= static_cast<size_t>(w);
    }
    return {};
  }

  // fsync, chmod 0644, rename to `final_path`; the file is then no longer removed.
  Result<void> commit(const std::string& final_path) {
    if (::fchmod(fd_.get(), 0644) != 0) return fail_errno("chmod " + path_);
    if (::fsync(fd_.get()) != 0) return fail_errno("fsync " + path_);
    fd_.reset();
    if (::rename(path_.c_str(), final_path.c_str()) != 0)
      return fail_errno("rename " + path_ + " to " + final_path);
    path_.clear();
    UniqueFd dir(::open(parent_directory(final_path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) ::fsync(dir.get());
    return {};
  }

 private:
  TempFile(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

Result<size_t> read_some(int fd, char* buf, size_t n, const std::string& what) {
  for (;;) {
    ssize_t r = ::read(fd, buf, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) return fail_errno("read " + what);
  }
}

Result<void> check_size_and_digest(const image::Descriptor& blob, uint64_t got_size,
                                   const image::Digest& got, const std::string& where) {
  std::string label = "blob " + blob.digest.str() + where;
  if (blob.size > 0 && got_size != static_cast<uint64_t>(blob.size))
    return fail(label + ": size mismatch: expected " + std::to_string(blob.size) + " bytes, got " +
                std::to_string(got_size));
  if (got != blob.digest) return fail(label + ": digest mismatch: got " + got.str());
  return {};
}

}  // namespace

Result<OwnedTempDir> OwnedTempDir::create(const std::string& parent, std::string_view prefix) {
  std::string base = parent;
  if (base.empty()) {
    const char* env = std::getenv("TMPDIR");
    base = env && *env ? env : "/var/tmp";
  }
  std::string templ = base + "/" + std::string(prefix) + "XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) return fail_errno("create temp dir in " + base);
  return OwnedTempDir(std::move(templ));
}

OwnedTempDir::OwnedTempDir(OwnedTempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

OwnedTempDir& OwnedTempDir::operator=(OwnedTempDir&& other) noexcept {
  if (this != &other) {
    if (!path_.empty()) (void)remove_all(path_);
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

OwnedTempDir::~OwnedTempDir() {
  if (!path_.empty()) (void)remove_all(path_);
}

Result<void> receive_blob(int in_fd, const image::Descriptor& blob, const std::string& final_path,
                          const std::string& temp_dir) {
  auto hasher = KRILL_TRY(image::Hasher::create(blob.digest.algorithm()));
  auto file = KRILL_TRY(TempFile::create(temp_dir));
  std::string buf(kBufferSize, '\0');
  uint64_t total = 0;
  for (;;) {
    size_t n = KRILL_TRY(read_some(in_fd, buf.data(), buf.size(), "blob " + blob.digest.str()));
    if (n == 0) break;
    total += n;
    if (blob.size > 0 && total > static_cast<uint64_t>(blob.size))
      return fail("blob " + blob.digest.str() + ": size mismatch: expected " +
                  std::to_string(blob.size) + " bytes, got at least " + std::to_string(total));
    hasher.update(std::string_view(buf.data(), n));
    KRILL_CHECK(file.write_all(buf.data(), n));
  }
  KRILL_CHECK(check_size_and_digest(blob, total, hasher.finish(), ""));
  return file.commit(final_path);
}

Result<DecompressedLayer> receive_layer_decompressed(int in_fd, const image::Descriptor& blob,
                                                     const std::string& final_path,
                                                     const std::string& temp_dir) {
  auto file = KRILL_TRY(TempFile::create(temp_dir));
  auto stream = KRILL_TRY(image::LayerStream::open(in_fd, {}));
  std::string buf(kBufferSize, '\0');
  for (;;) {
    size_t n = KRILL_TRY(stream->read(std::as_writable_bytes(std::span(buf.data(), buf.size()))));
    if (n == 0) break;
    KRILL_CHECK(file.write_all(buf.data(), n));
  }
  KRILL_CHECK(stream->drain());
  auto compressed = KRILL_TRY(image::Digest::parse(stream->compressed_digest()));
  if (blob.digest.algorithm() != "sha256") {
    return fail("blob " + blob.digest.str() + ": only sha256 layers can be decompressed");
  }
  KRILL_CHECK(check_size_and_digest(blob, stream->compressed_size(), compressed, ""));
  DecompressedLayer out;
  out.diff_id = KRILL_TRY(image::Digest::parse(stream->diff_id()));
  out.size = stream->uncompressed_size();
  KRILL_CHECK(file.commit(final_path));
  return out;
}

Result<uint64_t> send_file(const std::string& path, int out_fd, const image::Digest& expected,
                           int64_t expected_size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open " + path);
  std::optional<image::Hasher> hasher;
  if (!expected.empty()) hasher = KRILL_TRY(image::Hasher::create(expected.algorithm()));
  std::string buf(kBufferSize, '\0');
  uint64_t total = 0;
  for (;;) {
    size_t n = KRILL_TRY(read_some(fd.get(), buf.data(), buf.size(), path));
    if (n == 0) break;
    if (hasher) hasher->update(std::string_view(buf.data(), n));
    const char* p = buf.data();
    size_t left = n;
    while (left > 0) {
      ssize_t w = ::write(out_fd, p, left);
      if (w < 0) {
        if (errno == EINTR) continue;
        return fail_errno("write " + path);
      }
      p += w;
      left -= static_cast<size_t>(w);
    }
    total += n;
  }
  if (hasher) {
    image::Descriptor d;
    d.digest = expected;
    d.size = expected_size >= 0 ? expected_size : 0;
    if (expected_size == 0 && total != 0)
      return fail("blob " + expected.str() + " in " + path +
                  ": size mismatch: expected 0 bytes, got " + std::to_string(total));
    KRILL_CHECK(check_size_and_digest(d, total, hasher->finish(), " in " + path));
  }
  return total;
}

Result<std::string> read_verified(const std::string& path, const image::Digest& expected,
                                  uint64_t max_size) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail_errno("stat " + path);
  if (static_cast<uint64_t>(st.st_size) > max_size)
    return fail(path + ": " + std::to_string(st.st_size) + " bytes exceed the limit of " +
                std::to_string(max_size));
  auto data = KRILL_TRY(read_file(path));
  if (!expected.empty()) {
    auto hasher = KRILL_TRY(image::Hasher::create(expected.algorithm()));
    hasher.update(data);
    auto got = hasher.finish();
    if (got != expected)
      return fail("blob " + expected.str() + " in " + path + ": digest mismatch: got " + got.str());
  }
  return data;
}

Result<void> write_atomic(const std::string& final_path, std::string_view data) {
  auto file = KRILL_TRY(TempFile::create(parent_directory(final_path)));
  KRILL_CHECK(file.write_all(data.data(), data.size()));
  return file.commit(final_path);
}

PathAndRef split_path_and_ref(std::string_view rest) {
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return {std::string(rest), {}};
  return {std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 1))};
}

std::string parent_directory(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace krill::transport
