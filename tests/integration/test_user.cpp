// The rootless tests' user (test_user.h).
#include "test_user.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "harness.h"

namespace krill::it {

namespace {
constexpr const char* kSubordinateFilesLock = "/run/krill-test-subordinate-ids.lock";

std::vector<std::string> lines_of(const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}
}  // namespace

SubordinateFilesLock::SubordinateFilesLock() {
  fd_ = ::open(kSubordinateFilesLock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ >= 0) (void)::flock(fd_, LOCK_EX);
}

SubordinateFilesLock::~SubordinateFilesLock() {
  if (fd_ >= 0) ::close(fd_);
}

SubordinateIdsFor::SubordinateIdsFor(std::string owner, unsigned long start, unsigned long count)
    : owner_(std::move(owner)), marker_("/run/krill-test-subids-" + owner_ + ".added") {
  // First the shared lifetime lock: a last holder removing the lines holds it exclusively, so
  // the check below never sees lines that are about to go.
  const std::string lifetime = "/run/krill-test-subids-" + owner_ + ".lock";
  lifetime_fd_ = ::open(lifetime.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lifetime_fd_ >= 0) (void)::flock(lifetime_fd_, LOCK_SH);
  SubordinateFilesLock lock;
  for (const char* file : {"/etc/subuid", "/etc/subgid"}) {
    bool present = false;
    for (const auto& line : lines_of(file)) present = present || line.rfind(owner_ + ":", 0) == 0;
    if (present) continue;
    std::string line = owner_ + ":" + std::to_string(start) + ":" + std::to_string(count);
    std::ofstream(file, std::ios::app) << line << "\n";
    std::ofstream(marker_, std::ios::app) << file << " " << line << "\n";
  }
}

SubordinateIdsFor::~SubordinateIdsFor() {
  if (lifetime_fd_ < 0) return;
  if (::flock(lifetime_fd_, LOCK_EX | LOCK_NB) == 0) {  // the last one: undo what tests added
    SubordinateFilesLock lock;
    for (const auto& entry : lines_of(marker_)) {
      const size_t space = entry.find(' ');
      if (space == std::string::npos) continue;
      const std::string file = entry.substr(0, space), added = entry.substr(space + 1);
      std::string kept;
      bool removed = false;
      for (const auto& line : lines_of(file)) {
        if (!removed && line == added) {
          removed = true;
          continue;
        }
        kept += line + "\n";
      }
      write_file(file, kept);
    }
    ::unlink(marker_.c_str());
  }
  ::close(lifetime_fd_);
}

unsigned long SubordinateIdsFor::start(const std::string& file) const {
  for (const auto& line : lines_of(file))
    if (line.rfind(owner_ + ":", 0) == 0) return std::stoul(line.substr(owner_.size() + 1));
  return 0;
}

// Removes the lines starting with "krill-test-user:" from a file (subuid/subgid).
void remove_test_user_lines(const std::string& path) {
  SubordinateFilesLock lock;
  std::istringstream in(read_file(path));
  std::string line, kept;
  while (std::getline(in, line))
    if (line.rfind(std::string(kTestUser) + ":", 0) != 0) kept += line + "\n";
  write_file(path, kept);
}

bool has_test_user_line(const std::string& path) {
  return read_file(path).find(std::string("\n") + kTestUser + ":") != std::string::npos ||
         read_file(path).rfind(std::string(kTestUser) + ":", 0) == 0;
}

namespace {

constexpr const char* kLockFile = "/run/krill-test-user.lock";
// What the tests created: "user" and/or the files that got a range, one per line.
constexpr const char* kCreatedMarker = "/run/krill-test-user.created";

bool user_is_complete() {
  return getpwnam(kTestUser) && has_test_user_line("/etc/subuid") &&
         has_test_user_line("/etc/subgid");
}

}  // namespace

TestUser::TestUser() {
  lock_fd_ = ::open(kLockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_SH) != 0) {
    error_ = "lock " + std::string(kLockFile) + " failed";
    return;
  }
  // Another test process made the user and holds it: share it (processes run in parallel).
  if (!user_is_complete()) create();
  struct passwd* pw = getpwnam(kTestUser);
  if (error_.empty() && !pw) error_ = "user lookup failed after useradd";
  if (pw) {
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
  }
}

void TestUser::create() {
  if (::flock(lock_fd_, LOCK_EX) != 0) {
    error_ = "lock " + std::string(kLockFile) + " failed";
    return;
  }
  std::string created;
  if (!getpwnam(kTestUser)) {
    CommandResult r = run_command(
        {"useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", kTestUser});
    if (!r.ok())
      error_ = r.describe();
    else
      created += "user\n";
  }
  for (const char* file : {"/etc/subuid", "/etc/subgid"}) {
    SubordinateFilesLock edit;
    if (!error_.empty() || has_test_user_line(file)) continue;
    std::ofstream(file, std::ios::app) << kTestUser << ":3100000:65536\n";
    created += std::string(file) + "\n";
  }
  if (!created.empty()) std::ofstream(kCreatedMarker, std::ios::app) << created;
  ::flock(lock_fd_, LOCK_SH);  // others may use the user now; the last one out cleans up
}

std::vector<std::string> TestUser::as_user(const std::string& home, Environment environment) const {
  std::vector<std::string> argv = {
      "setpriv", "--reuid", std::to_string(uid_), "--regid", std::to_string(gid_), "--init-groups"};
  if (environment == Environment::kReset) argv.push_back("--reset-env");
  for (const std::string& arg :
       {std::string("--"), std::string("env"), "HOME=" + home, "XDG_RUNTIME_DIR=" + home + "/xdg"})
    argv.push_back(arg);
  if (environment == Environment::kKeep) {
    argv.push_back(std::string("USER=") + kTestUser);
    argv.push_back(std::string("LOGNAME=") + kTestUser);
  }
  return argv;
}

unsigned long TestUser::subordinate_start(const std::string& file) const {
  std::istringstream lines(read_file(file));
  const std::string prefix = std::string(kTestUser) + ":";
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0) return std::stoul(line.substr(prefix.size()));
  return 0;
}

unsigned long TestUser::subordinate_count(const std::string& file) const {
  std::istringstream lines(read_file(file));
  const std::string prefix = std::string(kTestUser) + ":";
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const size_t colon = line.find(':', prefix.size());
    return colon == std::string::npos ? 0 : std::stoul(line.substr(colon + 1));
  }
  return 0;
}

TestUser::~TestUser() {
  if (lock_fd_ < 0) return;
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) == 0) {
    std::istringstream created(read_file(kCreatedMarker));
    bool remove_user = false;
    for (std::string line; std::getline(created, line);) {
      if (line == "user")
        remove_user = true;
      else if (!line.empty())
        remove_test_user_lines(line);
    }
    if (remove_user) run_command({"userdel", kTestUser});
    ::unlink(kCreatedMarker);
  }
  ::close(lock_fd_);
}

}  // namespace krill::it
