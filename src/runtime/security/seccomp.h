// Seccomp filters from the OCI config (linux.seccomp), built with libseccomp.
//
// Semantics follow runc:
// - Every action of the spec is supported; SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD.
//   errnoRet / defaultErrnoRet default to EPERM for SCMP_ACT_ERRNO and SCMP_ACT_TRACE (where it
//   is the tracer's message); on any other action they are an error (the spec says MUST fail).
// - Syscall names this libseccomp cannot resolve are skipped: they may not exist on this arch.
//   Unknown action, architecture, operator and flag names are errors naming the field.
// - A rule whose action equals the default action is redundant and skipped.
// - When several conditions of one syscall test the same argument index, each condition becomes
//   its own rule (any of them matches), as runc does; otherwise all conditions form one rule
//   (all of them must match).
// - SCMP_ACT_NOTIFY is refused as the default action and for the "write" syscall: the init could
//   no longer hand the listener fd over and would hang (runc and youki refuse the same).
// - The filter does not set no_new_privs itself (SCMP_FLTATR_CTL_NNP off): loading it then needs
//   CAP_SYS_ADMIN unless set_no_new_privileges() ran first. Like runc, the init should load the
//   filter late when noNewPrivileges is true, and before dropping capabilities otherwise.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"
#include "oci/spec.h"

namespace krill::security {

// Builds the filter and returns it as a BPF program (struct sock_filter array, native endian),
// for tests and debugging. Flags are validated but do not change the program (they apply at load).
Result<std::vector<uint8_t>> export_seccomp_bpf(const oci::Seccomp& config);

// Loads the filter into the calling process. Returns the notify listener fd (close-on-exec) when
// a rule uses SCMP_ACT_NOTIFY, else an invalid UniqueFd.
Result<UniqueFd> apply_seccomp(const oci::Seccomp& config);

// A filter compiled before the process that loads it exists: the BPF program libseccomp makes
// and the seccomp(2) flags its load would use. The runtime compiles it before it forks the init,
// which then loads it with one system call (load_compiled_seccomp).
struct CompiledSeccomp {
  std::vector<uint8_t> program;  // struct sock_filter[], native endian
  unsigned int flags = 0;        // SECCOMP_FILTER_FLAG_*: linux.seccomp.flags, NEW_LISTENER
  bool uses_notify = false;
};

// Compiles `config` with libseccomp; the errors are apply_seccomp's.
Result<CompiledSeccomp> compile_seccomp(const oci::Seccomp& config);

// compile_seccomp, through a cache of compiled programs in `cache_dir` (seccomp_cache.cpp):
// libseccomp takes ~12 ms for Docker's default profile, which every `krill run` uses, and the
// program depends only on the config and the libseccomp that made it. Each entry holds its
// whole key, so a different config never loads another's program. Empty cache_dir: no cache.
// A cache that cannot be read or written is skipped (the filter is compiled as without one).
Result<CompiledSeccomp> compile_seccomp_cached(const oci::Seccomp& config,
                                               const std::string& cache_dir);

// Loads a compiled filter into the calling process (seccomp(2)). Returns the notify listener fd
// (close-on-exec) when it uses SCMP_ACT_NOTIFY, else an invalid UniqueFd.
Result<UniqueFd> load_compiled_seccomp(const CompiledSeccomp& filter);

// True when a rule of the config uses SCMP_ACT_NOTIFY (so apply_seccomp returns a listener fd
// and listenerPath matters).
bool seccomp_uses_notify(const oci::Seccomp& config);

// Sends the listener fd to the seccomp agent at listener_path (AF_UNIX, SOCK_STREAM; the fd goes
// as SCM_RIGHTS with the first bytes) with the container process state JSON:
//   {"ociVersion", "fds": ["seccompFd"], "pid", "metadata" (omitted when empty), "state"}
// state_json is the container state object already serialised; it must be a JSON object.
// One connection, one state; the connection is closed afterwards.
Result<void> send_seccomp_listener(const std::string& listener_path, int listener_fd, pid_t pid,
                                   const std::string& metadata, const std::string& state_json);

// For features.json.
std::vector<std::string> known_seccomp_actions();
std::vector<std::string> known_seccomp_operators();
std::vector<std::string> known_seccomp_architectures();  // names this libseccomp can resolve
std::vector<std::string> known_seccomp_flags();
std::vector<std::string> supported_seccomp_flags();  // known flags this libseccomp+kernel accept

}  // namespace krill::security
