// An unprivileged user for rootless tests: created (with subordinate id ranges) when absent and
// removed again by exactly what created it.
#pragma once

#include <pwd.h>
#include <sys/types.h>

#include <fstream>
#include <string>
#include <vector>

#include "harness.h"

namespace krill::it {

inline constexpr const char* kTestUser = "krill-test-user";

// Removes the lines starting with "krill-test-user:" from a file (subuid/subgid).
void remove_test_user_lines(const std::string& path);
bool has_test_user_line(const std::string& path);

// Creates the user and its subordinate id ranges if absent; undoes exactly what it did.
class TestUser {
 public:
  TestUser() {
    if (!getpwnam(kTestUser)) {
      CommandResult r = run_command({"useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
                                     "--user-group", kTestUser});
      if (!r.ok()) {
        error_ = r.describe();
        return;
      }
      created_user_ = true;
    }
    for (const char* file : {"/etc/subuid", "/etc/subgid"}) {
      if (has_test_user_line(file)) continue;
      std::ofstream(file, std::ios::app) << kTestUser << ":3100000:65536\n";
      added_ranges_.push_back(file);
    }
    struct passwd* pw = getpwnam(kTestUser);
    if (!pw) {
      error_ = "user lookup failed after useradd";
      return;
    }
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
  }
  ~TestUser() {
    for (const auto& file : added_ranges_) remove_test_user_lines(file);
    if (created_user_) run_command({"userdel", kTestUser});
  }
  const std::string& error() const { return error_; }
  uid_t uid() const { return uid_; }
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
  bool created_user_ = false;
  std::vector<std::string> added_ranges_;
  std::string error_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

}  // namespace krill::it
