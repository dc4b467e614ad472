// Docker's default seccomp profile (moby profiles/seccomp/default.json), written out as a table:
// everything not listed fails with EPERM; the listed calls are allowed, some only for certain
// architectures, capabilities or arguments. Not listed, so denied: keyctl, add_key,
// request_key, io_uring_*, kexec_*, swapon/swapoff, pivot_root, userfaultfd, nfsservctl, ...
#include <cerrno>
#include <string>
#include <vector>

#include "engine/spec_builder.h"
#include "engine/spec_internal.h"

namespace krill::engine {

namespace spec_detail {

namespace {

SeccompRule allow(std::vector<std::string> names) {
  SeccompRule rule;
  rule.syscall.names = std::move(names);
  rule.syscall.action = "SCMP_ACT_ALLOW";
  return rule;
}

SeccompRule allow_with_cap(std::vector<std::string> names, std::string cap) {
  SeccompRule rule = allow(std::move(names));
  rule.includes.caps = {std::move(cap)};
  return rule;
}

SeccompRule allow_on_arches(std::vector<std::string> names, std::vector<std::string> arches) {
  SeccompRule rule = allow(std::move(names));
  rule.includes.arches = std::move(arches);
  return rule;
}

SeccompRule personality(uint64_t value) {
  SeccompRule rule = allow({"personality"});
  rule.syscall.args = {oci::SeccompArg{.index = 0, .value = value, .op = "SCMP_CMP_EQ"}};
  return rule;
}

// The namespace flags of clone(2): without CAP_SYS_ADMIN a container may not create namespaces.
constexpr uint64_t kCloneNamespaceFlags =
    0x00020000 /* CLONE_NEWNS */ | 0x04000000 /* CLONE_NEWUTS */ | 0x08000000 /* CLONE_NEWIPC */ |
    0x10000000 /* CLONE_NEWUSER */ | 0x20000000 /* CLONE_NEWPID */ | 0x40000000 /* CLONE_NEWNET */ |
    0x02000000 /* CLONE_NEWCGROUP */;

constexpr uint64_t kAfVsock = 40;

}  // namespace

SeccompProfile docker_default_seccomp_profile() {
  SeccompProfile profile;
  profile.default_action = "SCMP_ACT_ERRNO";
  profile.default_errno_ret = EPERM;
  profile.arch_map = {
      {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
      {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
      {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
      {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
      {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
      {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
      {"SCMP_ARCH_RISCV64", {}},
  };
  std::vector<SeccompRule>& rules = profile.rules;

  rules.push_back(allow({
      "accept",
      "accept4",
      "access",
      "adjtimex",
      "alarm",
      "bind",
      "brk",
      "cachestat",
      "capget",
      "capset",
      "chdir",
      "chmod",
      "chown",
      "chown32",
      "clock_adjtime",
      "clock_adjtime64",
      "clock_getres",
      "clock_getres_time64",
      "clock_gettime",
      "clock_gettime64",
      "clock_nanosleep",
      "clock_nanosleep_time64",
      "close",
      "close_range",
      "connect",
      "copy_file_range",
      "creat",
      "dup",
      "dup2",
      "dup3",
      "epoll_create",
      "epoll_create1",
      "epoll_ctl",
      "epoll_ctl_old",
      "epoll_pwait",
      "epoll_pwait2",
      "epoll_wait",
      "epoll_wait_old",
      "eventfd",
      "eventfd2",
      "execve",
      "execveat",
      "exit",
      "exit_group",
      "faccessat",
      "faccessat2",
      "fadvise64",
      "fadvise64_64",
      "fallocate",
      "fanotify_mark",
      "fchdir",
      "fchmod",
      "fchmodat",
      "fchmodat2",
      "fchown",
      "fchown32",
      "fchownat",
      "fcntl",
      "fcntl64",
      "fdatasync",
      "fgetxattr",
      "flistxattr",
      "flock",
      "fork",
      "fremovexattr",
      "fsetxattr",
      "fstat",
      "fstat64",
      "fstatat64",
      "fstatfs",
      "fstatfs64",
      "fsync",
      "ftruncate",
      "ftruncate64",
      "futex",
      "futex_requeue",
      "futex_time64",
      "futex_wait",
      "futex_waitv",
      "futex_wake",
      "futimesat",
      "getcpu",
      "getcwd",
      "getdents",
      "getdents64",
      "getegid",
      "getegid32",
      "geteuid",
      "geteuid32",
      "getgid",
      "getgid32",
      "getgroups",
      "getgroups32",
      "getitimer",
      "getpeername",
      "getpgid",
      "getpgrp",
      "getpid",
      "getppid",
      "getpriority",
      "getrandom",
      "getresgid",
      "getresgid32",
      "getresuid",
      "getresuid32",
      "getrlimit",
      "get_robust_list",
      "getrusage",
      "getsid",
      "getsockname",
      "getsockopt",
      "get_thread_area",
      "gettid",
      "gettimeofday",
      "getuid",
      "getuid32",
      "getxattr",
      "inotify_add_watch",
      "inotify_init",
      "inotify_init1",
      "inotify_rm_watch",
      "io_cancel",
      "ioctl",
      "io_destroy",
      "io_getevents",
      "io_pgetevents",
      "io_pgetevents_time64",
      "ioprio_get",
      "ioprio_set",
      "io_setup",
      "io_submit",
      "ipc",
      "kill",
      "landlock_add_rule",
      "landlock_create_ruleset",
      "landlock_restrict_self",
      "lchown",
      "lchown32",
      "lgetxattr",
      "link",
      "linkat",
      "listen",
      "listxattr",
      "llistxattr",
      "_llseek",
      "lremovexattr",
      "lseek",
      "lsetxattr",
      "lstat",
      "lstat64",
      "madvise",
      "map_shadow_stack",
      "membarrier",
      "memfd_create",
      "memfd_secret",
      "mincore",
      "mkdir",
      "mkdirat",
      "mknod",
      "mknodat",
      "mlock",
      "mlock2",
      "mlockall",
      "mmap",
      "mmap2",
      "mprotect",
      "mq_getsetattr",
      "mq_notify",
      "mq_open",
      "mq_timedreceive",
      "mq_timedreceive_time64",
      "mq_timedsend",
      "mq_timedsend_time64",
      "mq_unlink",
      "mremap",
      "msgctl",
      "msgget",
      "msgrcv",
      "msgsnd",
      "msync",
      "munlock",
      "munlockall",
      "munmap",
      "name_to_handle_at",
      "nanosleep",
      "newfstatat",
      "_newselect",
      "open",
      "openat",
      "openat2",
      "pause",
      "pidfd_open",
      "pidfd_send_signal",
      "pipe",
      "pipe2",
      "pkey_alloc",
      "pkey_free",
      "pkey_mprotect",
      "poll",
      "ppoll",
      "ppoll_time64",
      "prctl",
      "pread64",
      "preadv",
      "preadv2",
      "prlimit64",
      "process_mrelease",
      "pselect6",
      "pselect6_time64",
      "pwrite64",
      "pwritev",
      "pwritev2",
      "read",
      "readahead",
      "readlink",
      "readlinkat",
      "readv",
      "recv",
      "recvfrom",
      "recvmmsg",
      "recvmmsg_time64",
      "recvmsg",
      "remap_file_pages",
      "removexattr",
      "rename",
      "renameat",
      "renameat2",
      "restart_syscall",
      "rmdir",
      "rseq",
      "rt_sigaction",
      "rt_sigpending",
      "rt_sigprocmask",
      "rt_sigqueueinfo",
      "rt_sigreturn",
      "rt_sigsuspend",
      "rt_sigtimedwait",
      "rt_sigtimedwait_time64",
      "rt_tgsigqueueinfo",
      "sched_getaffinity",
      "sched_getattr",
      "sched_getparam",
      "sched_get_priority_max",
      "sched_get_priority_min",
      "sched_getscheduler",
      "sched_rr_get_interval",
      "sched_rr_get_interval_time64",
      "sched_setaffinity",
      "sched_setattr",
      "sched_setparam",
      "sched_setscheduler",
      "sched_yield",
      "seccomp",
      "select",
      "semctl",
      "semget",
      "semop",
      "semtimedop",
      "semtimedop_time64",
      "send",
      "sendfile",
      "sendfile64",
      "sendmmsg",
      "sendmsg",
      "sendto",
      "setfsgid",
      "setfsgid32",
      "setfsuid",
      "setfsuid32",
      "setgid",
      "setgid32",
      "setgroups",
      "setgroups32",
      "setitimer",
      "setpgid",
      "setpriority",
      "setregid",
      "setregid32",
      "setresgid",
      "setresgid32",
      "setresuid",
      "setresuid32",
      "setreuid",
      "setreuid32",
      "setrlimit",
      "set_robust_list",
      "setsid",
      "setsockopt",
      "set_thread_area",
      "set_tid_address",
      "setuid",
      "setuid32",
      "setxattr",
      "shmat",
      "shmctl",
      "shmdt",
      "shmget",
      "shutdown",
      "sigaltstack",
      "signalfd",
      "signalfd4",
      "sigprocmask",
      "sigreturn",
      "socketcall",
      "socketpair",
      "splice",
      "stat",
      "stat64",
      "statfs",
      "statfs64",
      "statx",
      "symlink",
      "symlinkat",
      "sync",
      "sync_file_range",
      "syncfs",
      "sysinfo",
      "tee",
      "tgkill",
      "time",
      "timer_create",
      "timer_delete",
      "timer_getoverrun",
      "timer_gettime",
      "timer_gettime64",
      "timer_settime",
      "timer_settime64",
      "timerfd_create",
      "timerfd_gettime",
      "timerfd_gettime64",
      "timerfd_settime",
      "timerfd_settime64",
      "times",
      "tkill",
      "truncate",
      "truncate64",
      "ugetrlimit",
      "umask",
      "uname",
      "unlink",
      "unlinkat",
      "utime",
      "utimensat",
      "utimensat_time64",
      "utimes",
      "vfork",
      "vmsplice",
      "wait4",
      "waitid",
      "waitpid",
      "write",
      "writev",
  }));

  // Harmless since Linux 4.8, where ptrace can no longer bypass seccomp.
  SeccompRule ptrace = allow({"process_vm_readv", "process_vm_writev", "ptrace"});
  ptrace.includes.min_kernel = std::pair{4, 8};
  rules.push_back(std::move(ptrace));

  // Any socket family but AF_VSOCK (a way out of a virtual machine's guest).
  SeccompRule socket = allow({"socket"});
  socket.syscall.args = {oci::SeccompArg{.index = 0, .value = kAfVsock, .op = "SCMP_CMP_NE"}};
  rules.push_back(std::move(socket));

  // personality: PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26 and the query 0xffffffff.
  for (uint64_t persona : {0x0ull, 0x0008ull, 0x20000ull, 0x20008ull, 0xffffffffull})
    rules.push_back(personality(persona));

  rules.push_back(allow_on_arches({"sync_file_range2", "swapcontext"}, {"ppc64le"}));
  rules.push_back(allow_on_arches({"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                                   "breakpoint", "cacheflush", "set_tls"},
                                  {"arm", "arm64"}));
  rules.push_back(allow_on_arches({"arch_prctl"}, {"amd64", "x32"}));
  rules.push_back(allow_on_arches({"modify_ldt"}, {"amd64", "x32", "x86"}));
  rules.push_back(allow_on_arches(
      {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"}, {"s390", "s390x"}));
  rules.push_back(allow_on_arches({"riscv_flush_icache"}, {"riscv64"}));

  rules.push_back(allow_with_cap({"open_by_handle_at"}, "CAP_DAC_READ_SEARCH"));
  rules.push_back(allow_with_cap(
      {"bpf",           "clone",         "clone3",      "fanotify_init",   "fsconfig",
       "fsmount",       "fsopen",        "fspick",      "lookup_dcookie",  "mount",
       "mount_setattr", "move_mount",    "open_tree",   "perf_event_open", "quotactl",
       "quotactl_fd",   "setdomainname", "sethostname", "setns",           "syslog",
       "umount",        "umount2",       "unshare"},
      "CAP_SYS_ADMIN"));

  // Without CAP_SYS_ADMIN: clone without namespace flags (s390 swaps the first two arguments).
  SeccompRule clone = allow({"clone"});
  clone.syscall.args = {oci::SeccompArg{
      .index = 0, .value = kCloneNamespaceFlags, .value_two = 0, .op = "SCMP_CMP_MASKED_EQ"}};
  clone.excludes.caps = {"CAP_SYS_ADMIN"};
  clone.excludes.arches = {"s390", "s390x"};
  rules.push_back(std::move(clone));
  SeccompRule clone_s390 = allow({"clone"});
  clone_s390.syscall.args = {oci::SeccompArg{
      .index = 1, .value = kCloneNamespaceFlags, .value_two = 0, .op = "SCMP_CMP_MASKED_EQ"}};
  clone_s390.includes.arches = {"s390", "s390x"};
  clone_s390.excludes.caps = {"CAP_SYS_ADMIN"};
  rules.push_back(std::move(clone_s390));
  // clone3 passes its flags in memory seccomp cannot read: ENOSYS makes the C library fall back
  // to clone, which the rule above checks.
  SeccompRule clone3;
  clone3.syscall.names = {"clone3"};
  clone3.syscall.action = "SCMP_ACT_ERRNO";
  clone3.syscall.errno_ret = ENOSYS;
  clone3.excludes.caps = {"CAP_SYS_ADMIN"};
  rules.push_back(std::move(clone3));

  rules.push_back(allow_with_cap({"reboot"}, "CAP_SYS_BOOT"));
  rules.push_back(allow_with_cap({"chroot"}, "CAP_SYS_CHROOT"));
  rules.push_back(
      allow_with_cap({"delete_module", "init_module", "finit_module"}, "CAP_SYS_MODULE"));
  rules.push_back(allow_with_cap({"acct"}, "CAP_SYS_PACCT"));
  rules.push_back(allow_with_cap(
      {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"},
      "CAP_SYS_PTRACE"));
  rules.push_back(allow_with_cap({"iopl", "ioperm"}, "CAP_SYS_RAWIO"));
  rules.push_back(allow_with_cap({"settimeofday", "stime", "clock_settime", "clock_settime64"},
                                 "CAP_SYS_TIME"));
  rules.push_back(allow_with_cap({"vhangup"}, "CAP_SYS_TTY_CONFIG"));
  rules.push_back(allow_with_cap(
      {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}, "CAP_SYS_NICE"));
  rules.push_back(allow_with_cap({"syslog"}, "CAP_SYSLOG"));
  rules.push_back(allow_with_cap({"bpf"}, "CAP_BPF"));
  rules.push_back(allow_with_cap({"perf_event_open"}, "CAP_PERFMON"));
  return profile;
}

}  // namespace spec_detail

oci::Seccomp docker_default_seccomp_for(const std::vector<std::string>& capabilities) {
  auto seccomp = spec_detail::seccomp_for_target(spec_detail::docker_default_seccomp_profile(),
                                                 spec_detail::host_seccomp_target(capabilities));
  // The built-in profile has no errors to report; an empty filter would be a bug.
  return seccomp ? std::move(*seccomp) : oci::Seccomp{};
}

oci::Seccomp docker_default_seccomp() {
  return docker_default_seccomp_for(docker_default_capabilities());
}

}  // namespace krill::engine
