// Runs test code that changes process-wide state (seccomp filters, credentials, capabilities)
// in a forked child, never in the test runner.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>

namespace krill::security::test_support {

struct ChildResult {
  int status = -1;     // as from waitpid
  std::string output;  // everything the child wrote to its output fd
  bool exited_with(int code) const { return WIFEXITED(status) && WEXITSTATUS(status) == code; }
  bool killed_by(int sig) const { return WIFSIGNALED(status) && WTERMSIG(status) == sig; }
  std::string describe() const {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status)) + ": " + output;
    if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status)) + ": " + output;
    return "status " + std::to_string(status);
  }
};

// Forks; the child runs body(out_fd) and _exits with its return value (SIGALRM after 20 s in case
// it hangs). The parent reads the output until EOF and reaps the child.
inline ChildResult run_in_child(const std::function<int(int out_fd)>& body) {
  ChildResult result;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return result;
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return result;
  }
  if (pid == 0) {
    close(fds[0]);
    alarm(20);
    int code = body(fds[1]);
    _exit(code);
  }
  close(fds[1]);
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  while (waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
  }
  return result;
}

inline void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// The value of "Key:" in /proc/self/status-like text, or "" when absent.
inline std::string status_field(const std::string& status, const std::string& key) {
  std::istringstream lines(status);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::string value = line.substr(key.size() + 1);
    size_t start = value.find_first_not_of(" \t");
    return start == std::string::npos ? "" : value.substr(start);
  }
  return "";
}

inline uint64_t status_mask(const std::string& status, const std::string& key) {
  return std::strtoull(status_field(status, key).c_str(), nullptr, 16);
}

}  // namespace krill::security::test_support
