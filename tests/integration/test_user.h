// An unprivileged user for rootless tests: created (with subordinate id ranges) when absent and
// removed again by exactly what created it.
#pragma once

#include <pwd.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "harness.h"

namespace krill::it {

inline constexpr const char* kTestUser = "krill-test-user";

// Removes the lines starting with "krill-test-user:" from a file (subuid/subgid).
void remove_test_user_lines(const std::string& path);
bool has_test_user_line(const std::string& path);

// Creates the user and its subordinate id ranges if absent, and undoes exactly that once the
// last TestUser of any test process on the machine is gone (ctest runs tests in parallel
// processes: a shared lock on /run/krill-test-user.lock is held while one lives, and a marker
// file records what the tests created).
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
  gid_t gid() const { return gid_; }
  // argv prefix that runs a command as the user with a clean environment.
  std::vector<std::string> as_user(const std::string& home) const {
    return {"setpriv",
            "--reuid",
            std::to_string(uid_),
            "--regid",
            std::to_string(gid_),
            "--init-groups",
            "--reset-env",
            "--",
            "env",
            "HOME=" + home,
            "XDG_RUNTIME_DIR=" + home + "/xdg"};
  }

 private:
  int lock_fd_ = -1;
  std::string error_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace krill::it
