// Content-addressed blob storage: <root>/blobs/<alg>/<hex>, staged through <root>/ingest/.
//
// Nothing becomes visible under blobs/ before all of its bytes have been verified
// against the expected size and digest and synced to disk. Writers of the same
// blob may run in parallel (in threads or processes): each verifies its own copy,
// the first to link it into place wins, the others drop theirs. A writer killed
// mid-write leaves at most an unnamed (O_TMPFILE) or a named, unlocked temp file
// in ingest/, never a partial blob.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "image/digest.h"

namespace krill::image {

struct ContentStoreOptions {
  // Stage blobs in unnamed O_TMPFILE files (a crash leaves nothing behind) where
  // the file system and /proc allow it; false always uses named mkstemp files.
  bool use_tmpfile = true;
  // open() removes abandoned ingest files older than this.
  std::chrono::seconds stale_ingest_age{3600};
};

// One blob being written. Move-only; destroying an uncommitted writer removes its
// temp file. Obtained from ContentStore::writer().
class BlobWriter {
 public:
  BlobWriter(BlobWriter&& other) noexcept;
  BlobWriter& operator=(BlobWriter&& other) noexcept;
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;
  ~BlobWriter();

  // Appends bytes. Writing past an expected size fails at once
  // ("blob sha256:..: size mismatch: expected 10 bytes, got at least 12") and
  // discards the writer; so does an I/O error.
  Result<void> write(std::span<const std::byte> data);
  Result<void> write(std::string_view data);
  // Bytes written so far.
  uint64_t size() const { return size_; }

  // Verifies the size (if expected) and the digest (if expected) and fsyncs the
  // file, without making it visible: a caller with more to check (the one-pass pull
  // checks the layer's diffID) calls commit() after. On failure the writer is
  // discarded. Errors:
  //   blob sha256:ab..: digest mismatch: got sha256:cd..
  //   blob sha256:ab..: size mismatch: expected 10 bytes, got 12
  Result<Digest> verify();
  // verify() (unless done), then links the blob into place (when the blob already
  // exists, ours is dropped) and fsyncs the directory. On failure nothing becomes
  // visible and the temp file is gone. The writer is finished afterwards, whatever
  // the outcome.
  Result<Digest> commit();

 private:
  friend class ContentStore;
  BlobWriter(std::string blobs_dir, UniqueFd fd, std::string temp_path, Hasher hasher,
             std::optional<Digest> expected, std::optional<uint64_t> expected_size);
  // What error messages call this blob: the expected digest, else "blob".
  std::string label() const;
  // Closes and removes the temp file; the writer is finished.
  void discard();
  Result<void> link_into_place(const Digest& digest);

  std::string blobs_dir_;
  UniqueFd fd_;
  std::string temp_path_;  // empty for an O_TMPFILE file
  Hasher hasher_;
  std::optional<Digest> expected_;
  std::optional<uint64_t> expected_size_;
  uint64_t size_ = 0;
  uint64_t writeback_from_ = 0;     // bytes already handed to the kernel's writeback
  std::optional<Digest> verified_;  // set by verify()
  bool finished_ = false;
};

class ContentStore {
 public:
  // Opens (creating with `mkdir -p`) <root>/blobs and <root>/ingest, and removes
  // ingest files abandoned longer than options.stale_ingest_age.
  static Result<ContentStore> open(const std::string& root, ContentStoreOptions options = {});

  const std::string& root() const { return root_; }

  // A writer staging into <root>/ingest/. The blob is hashed with the expected
  // digest's algorithm, else sha256.
  Result<BlobWriter> writer(std::optional<Digest> expected = {},
                            std::optional<uint64_t> expected_size = {});

  bool contains(const Digest& digest) const;
  // Error: "stat blob sha256:..: No such file or directory" (errno kept).
  Result<uint64_t> size_of(const Digest& digest) const;
  // <root>/blobs/<alg>/<hex>, whether or not it exists.
  std::string blob_path(const Digest& digest) const;
  // Read-only, close-on-exec. Error: "open blob sha256:..: No such file or directory".
  Result<UniqueFd> open_blob(const Digest& digest) const;
  // The whole blob, re-verified against its digest; refuses blobs above max_size.
  Result<std::string> read_blob(const Digest& digest, uint64_t max_size = 64 << 20) const;
  // Stores a small blob (manifest, config) in one go, verified against `expected`.
  Result<Digest> put(std::string_view data, std::optional<Digest> expected = {});
  // Error: "remove blob sha256:..: No such file or directory" (errno ENOENT kept).
  Result<void> remove(const Digest& digest);
  // Every blob in the store, sorted.
  Result<std::vector<Digest>> list() const;

  struct CheckReport {
    std::vector<Digest> ok;       // content matches the name
    std::vector<Digest> corrupt;  // content differs or unreadable (removed when repairing)
    // Paths of abandoned ingest files (removed when repairing) and of entries
    // under blobs/ that are not blobs (only reported).
    std::vector<std::string> stray_files;
  };
  // `krill system check`: re-hashes every blob. With `repair`, deletes corrupt
  // blobs and abandoned ingest files (those no live writer holds locked).
  Result<CheckReport> check(bool repair);

 private:
  ContentStore(std::string root, ContentStoreOptions options);
  std::string blobs_dir() const { return root_ + "/blobs"; }
  std::string ingest_dir() const { return root_ + "/ingest"; }
  Result<UniqueFd> create_temp(std::string& temp_path);
  Result<void> check_blobs(bool repair, CheckReport& report);
  Result<void> check_ingest(bool repair, CheckReport& report);

  std::string root_;
  ContentStoreOptions options_;
};

}  // namespace krill::image
