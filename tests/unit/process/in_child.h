// Test helper: runs a check in a forked child so credential, limit and namespace changes never
// touch the test runner. The body returns "" on success or a description of what went wrong.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string>

namespace krill::process::testing {

inline std::string run_in_child(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "pipe2 failed";
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(30);  // a hung check dies instead of hanging the suite
    std::string result = body();
    if (result.empty()) result = "ok";
    size_t done = 0;
    while (done < result.size()) {
      ssize_t n = ::write(fds[1], result.data() + done, result.size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string output;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof(buffer))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    output.append(buffer, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) return "child killed by signal " + std::to_string(WTERMSIG(status));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "child exited with " + std::to_string(WEXITSTATUS(status));
  if (output == "ok") return "";
  return output.empty() ? "child reported nothing" : output;
}

// "" when ok, else `what` — for composing checks inside a child body.
inline std::string expect_that(bool ok, const std::string& what) { return ok ? "" : what; }

}  // namespace krill::process::testing
