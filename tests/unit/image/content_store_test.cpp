#include "image/content_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "image/digest.h"
#include "image/store_paths.h"

namespace krill::image {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/krill-content-store-test-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    if (!path_.empty()) (void)remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> entries_of(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
  }
  return names;
}

std::string pattern_data(size_t size, unsigned seed) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 2654435761u + seed) >> 13);
  return data;
}

// Runs `body` in a forked child; the child exits with body's return value.
template <typename Body>
pid_t fork_child(Body body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  return pid;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Every writer test runs with O_TMPFILE staging and with named mkstemp files.
class ContentStoreTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(scratch_.path().empty());
    root_ = scratch_.path() + "/store";
    Result<ContentStore> store = ContentStore::open(root_, options());
    ASSERT_TRUE(store) << store.error().message();
    store_.emplace(std::move(*store));
  }
  ContentStoreOptions options() const {
    ContentStoreOptions o;
    o.use_tmpfile = GetParam();
    return o;
  }
  std::string ingest() const { return root_ + "/ingest"; }
  bool named_temp_files() const { return !GetParam(); }

  ScratchDir scratch_;
  std::string root_;
  std::optional<ContentStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Staging, ContentStoreTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "tmpfile" : "named"; });

TEST_P(ContentStoreTest, OpenCreatesLayout) {
  struct stat st {};
  EXPECT_EQ(::stat((root_ + "/blobs").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(::stat(ingest().c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(store_->root(), root_);
}

TEST_P(ContentStoreTest, WriterCommitMakesBlobVisible) {
  const std::string data = pattern_data(300000, 1);
  const Digest expected = sha256_of(data);
  Result<BlobWriter> writer = store_->writer(expected, data.size());
  ASSERT_TRUE(writer) << writer.error().message();
  EXPECT_FALSE(store_->contains(expected));
  for (size_t off = 0; off < data.size(); off += 4096) {
    ASSERT_TRUE(writer->write(std::string_view(data).substr(off, 4096)));
    EXPECT_FALSE(store_->contains(expected));  // nothing visible before commit
  }
  EXPECT_EQ(writer->size(), data.size());
  Result<Digest> committed = writer->commit();
  ASSERT_TRUE(committed) << committed.error().message();
  EXPECT_EQ(*committed, expected);

  EXPECT_TRUE(store_->contains(expected));
  EXPECT_EQ(store_->blob_path(expected), root_ + "/blobs/sha256/" + expected.hex());
  EXPECT_EQ(*store_->size_of(expected), data.size());
  EXPECT_EQ(*read_file(store_->blob_path(expected)), data);
  Result<std::string> read = store_->read_blob(expected);
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(*read, data);
  Result<UniqueFd> fd = store_->open_blob(expected);
  ASSERT_TRUE(fd);
  EXPECT_TRUE(fd->valid());
  EXPECT_EQ(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  struct stat st {};
  ASSERT_EQ(::stat(store_->blob_path(expected).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_THAT(entries_of(ingest()), IsEmpty());

  // The writer is finished.
  EXPECT_FALSE(writer->write(std::string_view("x")));
  EXPECT_FALSE(writer->commit());
}

TEST_P(ContentStoreTest, WriterWithoutExpectationsComputesDigest) {
  Result<BlobWriter> writer = store_->writer();
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->write(std::string_view("abc")));
  Result<Digest> d = writer->commit();
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(*d, sha256_of("abc"));
  EXPECT_TRUE(store_->contains(*d));
}

TEST_P(ContentStoreTest, Sha512Blob) {
  Hasher h = *Hasher::create("sha512");
  h.update(std::string_view("hello"));
  const Digest d = h.finish();
  Result<Digest> put = store_->put("hello", d);
  ASSERT_TRUE(put) << put.error().message();
  EXPECT_EQ(*put, d);
  EXPECT_EQ(store_->blob_path(d), root_ + "/blobs/sha512/" + d.hex());
  EXPECT_EQ(*store_->read_blob(d), "hello");
}

TEST_P(ContentStoreTest, DigestMismatchLeavesNothing) {
  const Digest expected = sha256_of("abc");
  Result<BlobWriter> writer = store_->writer(expected);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->write(std::string_view("abd")));
  Result<Digest> d = writer->commit();
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(),
            "blob " + expected.str() + ": digest mismatch: got " + sha256_of("abd").str());
  EXPECT_FALSE(store_->contains(expected));
  EXPECT_FALSE(store_->contains(sha256_of("abd")));
  EXPECT_THAT(entries_of(root_ + "/blobs/sha256"), IsEmpty());
  EXPECT_THAT(entries_of(ingest()), IsEmpty());
  EXPECT_THAT(*store_->list(), IsEmpty());
}

TEST_P(ContentStoreTest, ShortSizeMismatchLeavesNothing) {
  const std::string data = "12345678";
  Result<BlobWriter> writer = store_->writer(std::nullopt, 10);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->write(data));
  Result<Digest> d = writer->commit();
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(),
            "blob " + sha256_of(data).str() + ": size mismatch: expected 10 bytes, got 8");
  EXPECT_FALSE(store_->contains(sha256_of(data)));
  EXPECT_THAT(entries_of(ingest()), IsEmpty());
  EXPECT_THAT(*store_->list(), IsEmpty());
}

TEST_P(ContentStoreTest, OversizeFailsAtWriteAndLeavesNothing) {
  const std::string data = "123456789012";
  const Digest expected = sha256_of(data);
  Result<BlobWriter> writer = store_->writer(expected, 10);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->write(std::string_view(data).substr(0, 6)));
  Result<void> w = writer->write(std::string_view(data).substr(6));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message(),
            "blob " + expected.str() + ": size mismatch: expected 10 bytes, got at least 12");
  EXPECT_THAT(entries_of(ingest()), IsEmpty());  // discarded at once
  EXPECT_FALSE(writer->commit());
  EXPECT_FALSE(store_->contains(expected));
  EXPECT_THAT(*store_->list(), IsEmpty());
}

TEST_P(ContentStoreTest, AbandonedWriterRemovesTempFile) {
  {
    Result<BlobWriter> writer = store_->writer();
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->write(std::string_view("partial")));
    if (named_temp_files()) {
      EXPECT_EQ(entries_of(ingest()).size(), 1u);
    }
    BlobWriter moved = std::move(*writer);  // the moved-from writer owns nothing
  }
  EXPECT_THAT(entries_of(ingest()), IsEmpty());
  EXPECT_THAT(*store_->list(), IsEmpty());
}

TEST_P(ContentStoreTest, CommittingAnExistingBlobKeepsIt) {
  const Digest d = sha256_of("same");
  ASSERT_TRUE(store_->put("same"));
  struct stat before {};
  ASSERT_EQ(::stat(store_->blob_path(d).c_str(), &before), 0);
  Result<Digest> again = store_->put("same", d);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(*again, d);
  EXPECT_THAT(*store_->list(), ElementsAre(d));
  EXPECT_THAT(entries_of(ingest()), IsEmpty());
}

TEST_P(ContentStoreTest, PutVerifiesExpectedDigest) {
  Result<Digest> d = store_->put("manifest", sha256_of("other"));
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message(), HasSubstr("digest mismatch"));
  EXPECT_THAT(*store_->list(), IsEmpty());
}

TEST_P(ContentStoreTest, ConcurrentWritersOfTheSameBlob) {
  const std::string data = pattern_data(4 << 20, 7);
  const Digest expected = sha256_of(data);
  int gate[2];
  ASSERT_EQ(::pipe(gate), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    children.push_back(fork_child([&]() -> int {
      ::close(gate[1]);
      char c;
      (void)!::read(gate[0], &c, 1);  // released together when the parent closes the pipe
      Result<ContentStore> store = ContentStore::open(root_, options());
      if (!store) return 10;
      Result<BlobWriter> writer = store->writer(expected, data.size());
      if (!writer) return 11;
      for (size_t off = 0; off < data.size(); off += 65536)
        if (!writer->write(std::string_view(data).substr(off, 65536))) return 12;
      Result<Digest> d = writer->commit();
      if (!d) return 13;
      return *d == expected ? 0 : 14;
    }));
    ASSERT_GT(children.back(), 0);
  }
  ::close(gate[0]);
  ::close(gate[1]);
  for (pid_t pid : children) EXPECT_EQ(wait_exit_code(pid), 0);

  EXPECT_TRUE(store_->contains(expected));
  EXPECT_EQ(*digest_file(store_->blob_path(expected)), expected);
  EXPECT_THAT(*store_->list(), ElementsAre(expected));
  EXPECT_THAT(entries_of(ingest()), IsEmpty());
}

TEST_P(ContentStoreTest, WriterKilledMidWriteLeavesBlobInvisible) {
  const std::string data = pattern_data(1 << 20, 3);
  const Digest expected = sha256_of(data);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = fork_child([&]() -> int {
    ::close(ready[0]);
    Result<ContentStore> store = ContentStore::open(root_, options());
    if (!store) return 10;
    Result<BlobWriter> writer = store->writer(expected, data.size());
    if (!writer) return 11;
    if (!writer->write(std::string_view(data).substr(0, data.size() / 2))) return 12;
    (void)!::write(ready[1], "x", 1);
    for (;;) ::pause();  // killed here, mid-blob
  });
  ASSERT_GT(pid, 0);
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_EQ(wait_exit_code(pid), 128 + SIGKILL);

  EXPECT_FALSE(store_->contains(expected));
  EXPECT_THAT(*store_->list(), IsEmpty());
  const std::vector<std::string> leftovers = entries_of(ingest());
  if (named_temp_files()) {
    EXPECT_EQ(leftovers.size(), 1u);
  }

  Result<ContentStore::CheckReport> report = store_->check(/*repair=*/false);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->stray_files.size(), leftovers.size());
  EXPECT_EQ(entries_of(ingest()).size(), leftovers.size());  // only reported

  report = store_->check(/*repair=*/true);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_EQ(report->stray_files.size(), leftovers.size());
  EXPECT_THAT(entries_of(ingest()), IsEmpty());

  // The next writer completes.
  ASSERT_TRUE(store_->put(data, expected));
  EXPECT_TRUE(store_->contains(expected));
}

TEST_P(ContentStoreTest, CheckDetectsAndRepairsCorruptBlob) {
  const Digest a = *store_->put("alpha");
  const Digest b = *store_->put("bravo");
  const Digest c = *store_->put(pattern_data(100000, 5));
  // Flip one byte of b in place.
  {
    const int fd = ::open(store_->blob_path(b).c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char byte;
    ASSERT_EQ(::pread(fd, &byte, 1, 2), 1);
    byte ^= 0x01;
    ASSERT_EQ(::pwrite(fd, &byte, 1, 2), 1);
    ::close(fd);
  }
  Result<std::string> read = store_->read_blob(b);
  ASSERT_FALSE(read);
  EXPECT_THAT(read.error().message(), HasSubstr("read blob " + b.str() + ": digest mismatch"));

  Result<ContentStore::CheckReport> report = store_->check(/*repair=*/false);
  ASSERT_TRUE(report) << report.error().message();
  std::vector<Digest> ok{a, c};
  std::sort(ok.begin(), ok.end());
  EXPECT_EQ(report->ok, ok);
  EXPECT_THAT(report->corrupt, ElementsAre(b));
  EXPECT_THAT(report->stray_files, IsEmpty());
  EXPECT_TRUE(store_->contains(b));  // only reported

  report = store_->check(/*repair=*/true);
  ASSERT_TRUE(report);
  EXPECT_THAT(report->corrupt, ElementsAre(b));
  EXPECT_FALSE(store_->contains(b));
  EXPECT_EQ(*store_->list(), ok);

  report = store_->check(/*repair=*/false);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->ok, ok);
  EXPECT_THAT(report->corrupt, IsEmpty());
}

TEST_P(ContentStoreTest, CheckReportsStrayFilesAndSparesLiveWriters) {
  ASSERT_TRUE(mkdir_all(root_ + "/blobs/sha256", 0755));
  ASSERT_TRUE(write_file_atomic(root_ + "/blobs/sha256/not-a-digest", "junk"));
  ASSERT_TRUE(mkdir_all(root_ + "/blobs/md5", 0755));
  ASSERT_TRUE(write_file_atomic(ingest() + "/abandoned", "old"));
  // A live writer (another process or this one) holds its temp file locked.
  ASSERT_TRUE(write_file_atomic(ingest() + "/live", "in progress"));
  const int live_fd = ::open((ingest() + "/live").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(live_fd, 0);
  ASSERT_EQ(::flock(live_fd, LOCK_EX), 0);
  Result<BlobWriter> writer = store_->writer();  // and one of ours in progress
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->write(std::string_view("busy")));

  Result<ContentStore::CheckReport> report = store_->check(/*repair=*/true);
  ASSERT_TRUE(report) << report.error().message();
  EXPECT_THAT(report->stray_files,
              ElementsAre(root_ + "/blobs/md5", root_ + "/blobs/sha256/not-a-digest",
                          ingest() + "/abandoned"));
  // Strays in blobs/ are only reported; abandoned ingest files are removed.
  EXPECT_EQ(::access((root_ + "/blobs/sha256/not-a-digest").c_str(), F_OK), 0);
  EXPECT_NE(::access((ingest() + "/abandoned").c_str(), F_OK), 0);
  EXPECT_EQ(::access((ingest() + "/live").c_str(), F_OK), 0);
  ::close(live_fd);

  // Our writer survived the repair.
  Result<Digest> d = writer->commit();
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_THAT(*store_->list(), ElementsAre(sha256_of("busy")));
}

TEST_P(ContentStoreTest, OpenRemovesIngestFilesOlderThanAnHour) {
  ASSERT_TRUE(write_file_atomic(ingest() + "/old", "x"));
  ASSERT_TRUE(write_file_atomic(ingest() + "/fresh", "y"));
  const struct timespec two_hours_ago[2] = {{::time(nullptr) - 7200, 0},
                                            {::time(nullptr) - 7200, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (ingest() + "/old").c_str(), two_hours_ago, 0), 0);
  ASSERT_TRUE(ContentStore::open(root_, options()));
  EXPECT_THAT(entries_of(ingest()), ElementsAre("fresh"));
}

TEST_P(ContentStoreTest, ListAndRemove) {
  EXPECT_THAT(*store_->list(), IsEmpty());
  const Digest a = *store_->put("one");
  const Digest b = *store_->put("two");
  Hasher h = *Hasher::create("sha512");
  h.update(std::string_view("three"));
  const Digest c = *store_->put("three", h.finish());
  std::vector<Digest> all{a, b, c};
  std::sort(all.begin(), all.end());
  EXPECT_EQ(*store_->list(), all);

  ASSERT_TRUE(store_->remove(a));
  EXPECT_FALSE(store_->contains(a));
  std::vector<Digest> rest{b, c};
  std::sort(rest.begin(), rest.end());
  EXPECT_EQ(*store_->list(), rest);

  Result<void> again = store_->remove(a);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().errno_value(), ENOENT);
  EXPECT_EQ(again.error().message(), "remove blob " + a.str() + ": No such file or directory");
}

TEST_P(ContentStoreTest, MissingBlobErrors) {
  const Digest d = sha256_of("absent");
  EXPECT_FALSE(store_->contains(d));
  Result<uint64_t> size = store_->size_of(d);
  ASSERT_FALSE(size);
  EXPECT_EQ(size.error().errno_value(), ENOENT);
  EXPECT_THAT(size.error().message(), HasSubstr("stat blob " + d.str()));
  Result<UniqueFd> fd = store_->open_blob(d);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().message(), "open blob " + d.str() + ": No such file or directory");
  EXPECT_FALSE(store_->read_blob(d));
  EXPECT_FALSE(store_->contains(Digest()));
  EXPECT_FALSE(store_->writer(Digest()));
}

TEST_P(ContentStoreTest, ReadBlobRefusesBlobsOverTheLimit) {
  const Digest d = *store_->put(std::string(1000, 'z'));
  Result<std::string> read = store_->read_blob(d, 999);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().message(),
            "read blob " + d.str() + ": 1000 bytes exceed the limit of 999");
  EXPECT_EQ(store_->read_blob(d, 1000)->size(), 1000u);
}

// Sets an environment variable (or unsets it, for nullopt) for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(StorePaths, RootUsesSystemDirectories) {
  ScopedEnv data("XDG_DATA_HOME", "/home/u/.data");
  ScopedEnv run("XDG_RUNTIME_DIR", "/run/user/1000");
  EXPECT_EQ(store_root_for(0), "/var/lib/krill");
  EXPECT_EQ(run_root_for(0), "/run/krill");
}

TEST(StorePaths, RootlessUsesXdgDirectories) {
  ScopedEnv data("XDG_DATA_HOME", "/home/u/.data");
  ScopedEnv run("XDG_RUNTIME_DIR", "/run/user/1000");
  EXPECT_EQ(store_root_for(1000), "/home/u/.data/krill");
  EXPECT_EQ(run_root_for(1000), "/run/user/1000/krill");
}

TEST(StorePaths, RootlessFallbacks) {
  ScopedEnv data("XDG_DATA_HOME", std::nullopt);
  ScopedEnv run("XDG_RUNTIME_DIR", std::nullopt);
  ScopedEnv home("HOME", "/home/u");
  EXPECT_EQ(store_root_for(1000), "/home/u/.local/share/krill");
  EXPECT_EQ(run_root_for(1000), "/tmp/krill-run-1000/krill");
  // Relative or empty XDG values are ignored, as the XDG spec requires.
  ScopedEnv relative_data("XDG_DATA_HOME", "relative/data");
  ScopedEnv empty_run("XDG_RUNTIME_DIR", "");
  EXPECT_EQ(store_root_for(1000), "/home/u/.local/share/krill");
  EXPECT_EQ(run_root_for(1000), "/tmp/krill-run-1000/krill");
}

TEST(StorePaths, DefaultsFollowTheEffectiveUid) {
  ScopedEnv data("XDG_DATA_HOME", "/home/u/.data");
  ScopedEnv run("XDG_RUNTIME_DIR", "/run/user/1000");
  EXPECT_EQ(default_store_root(), store_root_for(::geteuid()));
  EXPECT_EQ(default_run_root(), run_root_for(::geteuid()));
}

}  // namespace
}  // namespace krill::image
