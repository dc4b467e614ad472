// Running a program to completion: fork+execve with a given argv and environment, data on its
// stdin, stdout and stderr captured, an optional timeout. For OCI hooks and CNI plugins.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill {

// How much of one output stream is kept.
struct OutputCap {
  enum class Keep {
    kHead,  // the first `limit` bytes; the rest is dropped and `truncated` set
    kTail,  // at least the last `limit` bytes (trimmed in chunks, so up to twice that)
  };
  size_t limit = 64 * 1024;
  Keep keep = Keep::kTail;
};

struct ChildSpec {
  std::string path;               // execve'd as given: no PATH search
  std::vector<std::string> argv;  // argv[0] first; {path} when empty
  std::vector<std::string> env;   // exactly the child's environment (empty when none)
  // Written to the child's stdin through a pipe, which is then closed (at once when empty). The
  // child need not read it: EPIPE ends the writing and is not an error. Must outlive the call.
  std::string_view stdin_data;
  std::optional<std::chrono::milliseconds> timeout;  // none: wait as long as it runs
  OutputCap stdout_cap;
  OutputCap stderr_cap;
  // The child's working directory; empty: the caller's. A failed chdir is reported as
  // ChildOutcome::chdir_errno and nothing runs.
  std::string cwd;
  // In the child before execve: default signal dispositions and an empty signal mask.
  bool reset_signals = true;
  // In the child before execve: every fd but 0-2 marked close-on-exec, so none leaks into it.
  bool close_other_fds = true;
};

struct ChildOutcome {
  // Non-zero: execve (or the fd setup before it) failed with this errno; nothing ran.
  int exec_errno = 0;
  // Non-zero: chdir to ChildSpec::cwd failed with this errno; nothing ran (exec_errno is 0).
  int chdir_errno = 0;
  // The timeout passed: the child was killed with SIGKILL and reaped.
  bool timed_out = false;
  // The waitpid status, when the program ran and ended by itself.
  int wait_status = 0;
  std::string stdout_text;
  std::string stderr_text;
  bool stdout_truncated = false;  // only with OutputCap::Keep::kHead
  bool stderr_truncated = false;

  // The program ran and exited with status 0.
  bool succeeded() const;
  // "exit status 3", "killed by signal 9 (Killed)".
  std::string describe() const;
};

// "exit status 3", "killed by signal 9 (Killed)", "wait status N".
std::string describe_wait_status(int status);

// Runs `spec` to completion. Stdin, stdout and stderr are served together with poll, so neither
// side blocks the other. Only the child's own pid is waited for (other children are left alone)
// and no signal disposition of this process changes: SIGPIPE is blocked in the calling thread
// while stdin is written, then any SIGPIPE it raised is consumed and the mask restored. Output
// the child wrote before it exited is collected without waiting for EOF (a daemon it started may
// keep the pipes open).
//
// Between fork and execve the child makes async-signal-safe calls only and allocates nothing:
// argv and envp are built before fork, so this may run in a process where another thread could
// hold the allocator's lock.
//
// Errors (pipe, fork, poll, wait) read "pipe: Too many open files"; how the program ended,
// including a failed execve and a timeout, is in the outcome. An early return kills and reaps
// the child.
Result<ChildOutcome> run_child(const ChildSpec& spec);

}  // namespace krill
