// An unprivileged user for rootless tests: created (with subordinate id ranges) when absent and
// removed again by exactly what created it.
#pragma once

#include <pwd.h>
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "harness.h"

namespace krill::it {

inline constexpr const char* kTestUser = "krill-test-user";

// Every edit tests make to /etc/subuid and /etc/subgid holds this lock (ctest runs test
// processes in parallel; an edit reads and rewrites the file).
class SubordinateFilesLock {
 public:
  SubordinateFilesLock();
  ~SubordinateFilesLock();
  SubordinateFilesLock(const SubordinateFilesLock&) = delete;
  SubordinateFilesLock& operator=(const SubordinateFilesLock&) = delete;

 private:
  int fd_ = -1;
};

// Gives `owner` the range start:count in /etc/subuid and /etc/subgid where it has none, and
// removes exactly the lines tests added once the last SubordinateIdsFor of any test process on
// the machine is gone (--userns=auto tests: owner "containers"). Like TestUser: a shared lock
// on a file while one lives, a marker file listing what was added.
class SubordinateIdsFor {
 public:
  SubordinateIdsFor(std::string owner, unsigned long start, unsigned long count);
  ~SubordinateIdsFor();
  SubordinateIdsFor(const SubordinateIdsFor&) = delete;
  SubordinateIdsFor& operator=(const SubordinateIdsFor&) = delete;
  // The owner's first range start in `file` (the one added, or one that was there).
  unsigned long start(const std::string& file) const;

 private:
  std::string owner_;
  std::string marker_;  // the lines tests added, "file line" per line
  int lifetime_fd_ = -1;
};

// Removes the lines starting with "krill-test-user:" from a file (subuid/subgid).
void remove_test_user_lines(const std::string& path);
bool has_test_user_line(const std::string& path);

// Creates the user and its subordinate id ranges if absent, and undoes exactly that once the
// last TestUser of any test process on the machine is gone (ctest runs tests in parallel
// processes: a shared lock on /run/krill-test-user.lock is held while one lives, and a marker
// file records what the tests created). One TestUser a process: a second would wait for the
// first's shared lock.
class TestUser {
 public:
  TestUser();
  ~TestUser();
  TestUser(const TestUser&) = delete;
  TestUser& operator=(const TestUser&) = delete;
  const std::string& error() const { return error_; }
  uid_t uid() const { return uid_; }
  // The first id of the user's first range in /etc/subuid or /etc/subgid (useradd may have made
  // one itself): container id N (N >= 1) is this + N - 1 on the host.
  unsigned long subordinate_start(const std::string& file = "/etc/subuid") const;
  // The size of that range.
  unsigned long subordinate_count(const std::string& file = "/etc/subuid") const;
  gid_t gid() const { return gid_; }
  // What the user's commands keep of the caller's environment: nothing but HOME and
  // XDG_RUNTIME_DIR (kReset), or all of it with those two (and USER, LOGNAME) replaced (kKeep).
  enum class Environment { kReset, kKeep };
  // argv prefix that runs a command as the user.
  std::vector<std::string> as_user(const std::string& home,
                                   Environment environment = Environment::kReset) const;

 private:
  // Makes what is missing of the user and its ranges, under the exclusive lock.
  void create();

  int lock_fd_ = -1;
  std::string error_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace krill::it
