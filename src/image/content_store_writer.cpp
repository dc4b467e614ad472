// BlobWriter: stage, verify, sync, then link into place.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file_io.h"
#include "image/content_store.h"
#include "image/content_store_internal.h"

namespace krill::image {

using content_store_internal::fsync_dir;

namespace {
constexpr uint64_t kWritebackChunk = 8 << 20;
}  // namespace

BlobWriter::BlobWriter(std::string blobs_dir, UniqueFd fd, std::string temp_path, Hasher hasher,
                       std::optional<Digest> expected, std::optional<uint64_t> expected_size)
    : blobs_dir_(std::move(blobs_dir)),
      fd_(std::move(fd)),
      temp_path_(std::move(temp_path)),
      hasher_(std::move(hasher)),
      expected_(std::move(expected)),
      expected_size_(expected_size) {}

BlobWriter::BlobWriter(BlobWriter&& other) noexcept
    : blobs_dir_(std::move(other.blobs_dir_)),
      fd_(std::move(other.fd_)),
      temp_path_(std::exchange(other.temp_path_, {})),
      hasher_(std::move(other.hasher_)),
      expected_(std::move(other.expected_)),
      expected_size_(other.expected_size_),
      size_(other.size_),
      writeback_from_(other.writeback_from_),
      verified_(std::move(other.verified_)),
      finished_(std::exchange(other.finished_, true)) {}

BlobWriter& BlobWriter::operator=(BlobWriter&& other) noexcept {
  if (this != &other) {
    discard();
    blobs_dir_ = std::move(other.blobs_dir_);
    fd_ = std::move(other.fd_);
    temp_path_ = std::exchange(other.temp_path_, {});
    hasher_ = std::move(other.hasher_);
    expected_ = std::move(other.expected_);
    expected_size_ = other.expected_size_;
    size_ = other.size_;
    writeback_from_ = other.writeback_from_;
    verified_ = std::move(other.verified_);
    finished_ = std::exchange(other.finished_, true);
  }
  return *this;
}

BlobWriter::~BlobWriter() { discard(); }

void BlobWriter::discard() {
  // Unlink before closing: closing drops the lock that keeps check() away.
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
  fd_.reset();  // an O_TMPFILE file vanishes with its last fd
  finished_ = true;
}

std::string BlobWriter::label() const { return expected_ ? "blob " + expected_->str() : "blob"; }

Result<void> BlobWriter::write(std::string_view data) {
  return write(std::as_bytes(std::span(data)));
}

Result<void> BlobWriter::write(std::span<const std::byte> data) {
  if (finished_ || verified_) return fail(label() + ": write after the writer finished");
  if (expected_size_ && data.size() > *expected_size_ - size_) {
    const uint64_t got = size_ + data.size();
    discard();
    return fail(label() + ": size mismatch: expected " + std::to_string(*expected_size_) +
                " bytes, got at least " + std::to_string(got));
  }
  hasher_.update(data);
  size_ += data.size();
  const std::byte* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_.get(), p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error error = Error::from_errno("write " + label() + " to ingest");
      discard();
      return std::unexpected(std::move(error));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  // Start writing big blobs back as they arrive, so that the fsync at the end has little
  // left to do (a pull would otherwise wait for a whole layer's writeback).
  if (size_ - writeback_from_ >= kWritebackChunk) {
    (void)::sync_file_range(fd_.get(), static_cast<off_t>(writeback_from_),
                            static_cast<off_t>(size_ - writeback_from_), SYNC_FILE_RANGE_WRITE);
    writeback_from_ = size_;
  }
  return {};
}

Result<Digest> BlobWriter::verify() {
  if (verified_) return *verified_;
  if (finished_) return fail(label() + ": verify after the writer finished");
  const Digest digest = hasher_.finish();
  const std::string name = "blob " + (expected_ ? expected_->str() : digest.str());
  if (expected_size_ && size_ != *expected_size_) {
    discard();
    return fail(name + ": size mismatch: expected " + std::to_string(*expected_size_) +
                " bytes, got " + std::to_string(size_));
  }
  if (expected_ && digest != *expected_) {
    discard();
    return fail(name + ": digest mismatch: got " + digest.str());
  }
  if (::fsync(fd_.get()) != 0) {
    Error error = Error::from_errno("fsync " + name);
    discard();
    return std::unexpected(std::move(error));
  }
  verified_ = digest;
  return digest;
}

Result<Digest> BlobWriter::commit() {
  if (finished_) return fail(label() + ": commit after the writer finished");
  const Digest digest = KRILL_TRY(verify());
  Result<void> linked = link_into_place(digest);
  discard();  // drops our copy unless it was renamed into place (temp_path_ cleared)
  if (!linked) return std::unexpected(std::move(linked.error()));
  return digest;
}

Result<void> BlobWriter::link_into_place(const Digest& digest) {
  const std::string dir = blobs_dir_ + "/" + digest.algorithm();
  const std::string final_path = dir + "/" + digest.hex();
  KRILL_CHECK_CTX(mkdir_all(dir, 0755), "store blob " + digest.str());
  if (temp_path_.empty()) {
    // O_TMPFILE: give the unnamed file its final name in one step. linkat never
    // replaces, so an existing blob (another writer won) keeps its name.
    const std::string proc_path = "/proc/self/fd/" + std::to_string(fd_.get());
    if (::linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, final_path.c_str(), AT_SYMLINK_FOLLOW) !=
            0 &&
        errno != EEXIST)
      return fail_errno("link blob " + digest.str() + " into " + final_path);
  } else {
    if (::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, final_path.c_str(), RENAME_NOREPLACE) ==
        0) {
      temp_path_.clear();
    } else if (errno == EEXIST) {
      // Another writer won; ours is dropped by discard().
    } else if (errno == EINVAL || errno == ENOSYS) {
      // No RENAME_NOREPLACE on this file system: the content is identical, so
      // replacing is harmless.
      if (::rename(temp_path_.c_str(), final_path.c_str()) != 0)
        return fail_errno("rename blob " + digest.str() + " into " + final_path);
      temp_path_.clear();
    } else {
      return fail_errno("rename blob " + digest.str() + " into " + final_path);
    }
  }
  KRILL_CHECK_CTX(fsync_dir(dir), "store blob " + digest.str());
  return {};
}

}  // namespace krill::image
