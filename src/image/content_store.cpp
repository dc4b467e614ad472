#include "image/content_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "base/file_io.h"
#include "image/content_store_internal.h"

namespace krill::image {

using content_store_internal::ingest_file_abandoned;
using content_store_internal::list_dir;

namespace {

Result<void> require_digest(const Digest& digest, std::string_view what) {
  if (digest.empty()) return fail(std::string(what) + ": empty digest");
  return {};
}

// Removes ingest files older than max_age that no live writer holds. Best effort.
void remove_stale_ingest_files(const std::string& ingest_dir, std::chrono::seconds max_age) {
  Result<std::vector<std::string>> names = list_dir(ingest_dir);
  if (!names) return;
  const time_t now = ::time(nullptr);
  for (const std::string& name : *names) {
    const std::string path = ingest_dir + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (now - st.st_mtime < max_age.count()) continue;
    ingest_file_abandoned(path, /*remove=*/true);
  }
}

}  // namespace

ContentStore::ContentStore(std::string root, ContentStoreOptions options)
    : root_(std::move(root)), options_(options) {}

Result<ContentStore> ContentStore::open(const std::string& root, ContentStoreOptions options) {
  if (root.empty()) return fail("open content store: empty root path");
  std::string clean = root;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  ContentStore store(std::move(clean), options);
  KRILL_CHECK_CTX(mkdir_all(store.blobs_dir(), 0755), "open content store " + store.root_);
  KRILL_CHECK_CTX(mkdir_all(store.ingest_dir(), 0700), "open content store " + store.root_);
  // Linking an O_TMPFILE file needs /proc/self/fd (AT_EMPTY_PATH needs a capability).
  if (store.options_.use_tmpfile && ::access("/proc/self/fd", X_OK) != 0)
    store.options_.use_tmpfile = false;
  remove_stale_ingest_files(store.ingest_dir(), store.options_.stale_ingest_age);
  return store;
}

Result<UniqueFd> ContentStore::create_temp(std::string& temp_path) {
  const std::string dir = ingest_dir();
  if (options_.use_tmpfile) {
    UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0644));
    if (fd) {
      temp_path.clear();
      return fd;
    }
    // EOPNOTSUPP/EISDIR/EINVAL: no O_TMPFILE here; fall back to a named file.
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
      return fail_errno("create temp file in " + dir);
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string pattern = dir + "/blob-XXXXXX";
    UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC));
    if (!fd) return fail_errno("create temp file in " + dir);
    // Held until the writer finishes; check() removes only unlocked files. If a
    // check removed the file before we got the lock, start over.
    if (::flock(fd.get(), LOCK_EX) != 0 || ::fchmod(fd.get(), 0644) != 0) {
      Error error = Error::from_errno("prepare temp file " + pattern);
      ::unlink(pattern.c_str());
      return std::unexpected(std::move(error));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) == 0 && st.st_nlink > 0) {
      temp_path = std::move(pattern);
      return fd;
    }
  }
  return fail("create temp file in " + dir + ": removed concurrently, again and again");
}

Result<BlobWriter> ContentStore::writer(std::optional<Digest> expected,
                                        std::optional<uint64_t> expected_size) {
  if (expected) KRILL_CHECK(require_digest(*expected, "write blob"));
  Hasher hasher = KRILL_TRY(Hasher::create(expected ? expected->algorithm() : "sha256"));
  std::string temp_path;
  UniqueFd fd = KRILL_TRY(create_temp(temp_path));
  return BlobWriter(blobs_dir(), std::move(fd), std::move(temp_path), std::move(hasher),
                    std::move(expected), expected_size);
}

std::string ContentStore::blob_path(const Digest& digest) const {
  return blobs_dir() + "/" + digest.algorithm() + "/" + digest.hex();
}

bool ContentStore::contains(const Digest& digest) const {
  if (digest.empty()) return false;
  struct stat st {};
  return ::stat(blob_path(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<uint64_t> ContentStore::size_of(const Digest& digest) const {
  KRILL_CHECK(require_digest(digest, "stat blob"));
  struct stat st {};
  if (::stat(blob_path(digest).c_str(), &st) != 0) return fail_errno("stat blob " + digest.str());
  if (!S_ISREG(st.st_mode)) return fail("stat blob " + digest.str() + ": not a regular file");
  return static_cast<uint64_t>(st.st_size);
}

Result<UniqueFd> ContentStore::open_blob(const Digest& digest) const {
  KRILL_CHECK(require_digest(digest, "open blob"));
  UniqueFd fd(::open(blob_path(digest).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return fail_errno("open blob " + digest.str());
  return fd;
}

Result<std::string> ContentStore::read_blob(const Digest& digest, uint64_t max_size) const {
  UniqueFd fd = KRILL_TRY(open_blob(digest));
  const std::string what = "read blob " + digest.str();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno(what);
  if (static_cast<uint64_t>(st.st_size) > max_size)
    return fail(what + ": " + std::to_string(st.st_size) + " bytes exceed the limit of " +
                std::to_string(max_size));
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(what);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  Hasher hasher = KRILL_TRY(Hasher::create(digest.algorithm()));
  hasher.update(data);
  const Digest actual = hasher.finish();
  if (actual != digest)
    return fail(what + ": digest mismatch: got " + actual.str() +
                " (the store is corrupt; `krill system check --repair` removes the blob)");
  return data;
}

Result<Digest> ContentStore::put(std::string_view data, std::optional<Digest> expected) {
  BlobWriter writer = KRILL_TRY(this->writer(std::move(expected), data.size()));
  KRILL_CHECK(writer.write(data));
  return writer.commit();
}

Result<void> ContentStore::remove(const Digest& digest) {
  KRILL_CHECK(require_digest(digest, "remove blob"));
  if (::unlink(blob_path(digest).c_str()) != 0) return fail_errno("remove blob " + digest.str());
  return {};
}

Result<std::vector<Digest>> ContentStore::list() const {
  std::vector<Digest> digests;
  const std::vector<std::string> algorithms = KRILL_TRY(list_dir(blobs_dir()));
  for (const std::string& algorithm : algorithms) {
    if (!is_supported_digest_algorithm(algorithm)) continue;
    const std::string dir = blobs_dir() + "/" + algorithm;
    const std::vector<std::string> names = KRILL_TRY(list_dir(dir));
    for (const std::string& name : names) {
      Result<Digest> digest = Digest::parse(algorithm + ":" + name);
      if (!digest) continue;  // a stray file; check() reports it
      struct stat st {};
      if (::lstat((dir + "/" + name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      digests.push_back(std::move(*digest));
    }
  }
  std::sort(digests.begin(), digests.end());
  return digests;
}

Result<ContentStore::CheckReport> ContentStore::check(bool repair) {
  CheckReport report;
  KRILL_CHECK_CTX(check_blobs(repair, report), "check content store " + root_);
  KRILL_CHECK_CTX(check_ingest(repair, report), "check content store " + root_);
  std::sort(report.ok.begin(), report.ok.end());
  std::sort(report.corrupt.begin(), report.corrupt.end());
  std::sort(report.stray_files.begin(), report.stray_files.end());
  return report;
}

Result<void> ContentStore::check_blobs(bool repair, CheckReport& report) {
  const std::vector<std::string> algorithms = KRILL_TRY(list_dir(blobs_dir()));
  for (const std::string& algorithm : algorithms) {
    const std::string dir = blobs_dir() + "/" + algorithm;
    struct stat st {};
    if (!is_supported_digest_algorithm(algorithm) || ::lstat(dir.c_str(), &st) != 0 ||
        !S_ISDIR(st.st_mode)) {
      report.stray_files.push_back(dir);
      continue;
    }
    const std::vector<std::string> names = KRILL_TRY(list_dir(dir));
    for (const std::string& name : names) {
      const std::string path = dir + "/" + name;
      Result<Digest> digest = Digest::parse(algorithm + ":" + name);
      if (!digest) {
        report.stray_files.push_back(path);
        continue;
      }
      if (::lstat(path.c_str(), &st) != 0) continue;  // removed meanwhile
      if (!S_ISREG(st.st_mode)) {
        report.stray_files.push_back(path);
        continue;
      }
      Result<Digest> actual = digest_file(path, algorithm);
      if (!actual && actual.error().errno_value() == ENOENT) continue;  // removed meanwhile
      if (actual && *actual == *digest) {
        report.ok.push_back(std::move(*digest));
        continue;
      }
      // Content differs from its name, or unreadable.
      if (repair && ::unlink(path.c_str()) != 0 && errno != ENOENT)
        return fail_errno("remove corrupt blob " + digest->str());
      report.corrupt.push_back(std::move(*digest));
    }
  }
  return {};
}

Result<void> ContentStore::check_ingest(bool repair, CheckReport& report) {
  const std::vector<std::string> names = KRILL_TRY(list_dir(ingest_dir()));
  for (const std::string& name : names) {
    const std::string path = ingest_dir() + "/" + name;
    if (ingest_file_abandoned(path, repair)) report.stray_files.push_back(path);
  }
  return {};
}

}  // namespace krill::image
