#include "oci/spec_names.h"

#include <cstdio>

namespace krill::oci::names {

namespace {

constexpr std::string_view kCapabilityList[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

constexpr std::string_view kRlimitList[] = {
    "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",        "RLIMIT_DATA",
    "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",      "RLIMIT_RSS",
    "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
};

constexpr std::string_view kSeccompActionList[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};

constexpr std::string_view kSeccompArchList[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",
};

constexpr std::string_view kSeccompOperatorList[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

constexpr std::string_view kSeccompFlagList[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

constexpr std::string_view kDeviceTypeList[] = {"c", "b", "u", "p"};
constexpr std::string_view kDeviceCgroupTypeList[] = {"a", "c", "b"};

constexpr std::string_view kRootfsPropagationList[] = {
    "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
};

constexpr std::string_view kIoPriorityClassList[] = {
    "IOPRIO_CLASS_RT",
    "IOPRIO_CLASS_BE",
    "IOPRIO_CLASS_IDLE",
};

constexpr std::string_view kSchedulerPolicyList[] = {
    "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
    "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE",
};

constexpr std::string_view kSchedulerFlagList[] = {
    "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",     "SCHED_FLAG_DL_OVERRUN",
    "SCHED_FLAG_KEEP_POLICY",    "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX",
};

constexpr std::string_view kMemoryPolicyModeList[] = {
    "MPOL_DEFAULT",   "MPOL_BIND",           "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
    "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL",
};

constexpr std::string_view kMemoryPolicyFlagList[] = {
    "MPOL_F_NUMA_BALANCING",
    "MPOL_F_RELATIVE_NODES",
    "MPOL_F_STATIC_NODES",
};

constexpr std::string_view kPersonalityDomainList[] = {"LINUX", "LINUX32"};
constexpr std::string_view kTimeOffsetClockList[] = {"monotonic", "boottime"};

}  // namespace

const std::span<const std::string_view> kCapabilities = kCapabilityList;
const std::span<const std::string_view> kRlimits = kRlimitList;
const std::span<const std::string_view> kSeccompActions = kSeccompActionList;
const std::span<const std::string_view> kSeccompArches = kSeccompArchList;
const std::span<const std::string_view> kSeccompOperators = kSeccompOperatorList;
const std::span<const std::string_view> kSeccompFlags = kSeccompFlagList;
const std::span<const std::string_view> kDeviceTypes = kDeviceTypeList;
const std::span<const std::string_view> kDeviceCgroupTypes = kDeviceCgroupTypeList;
const std::span<const std::string_view> kRootfsPropagations = kRootfsPropagationList;
const std::span<const std::string_view> kIoPriorityClasses = kIoPriorityClassList;
const std::span<const std::string_view> kSchedulerPolicies = kSchedulerPolicyList;
const std::span<const std::string_view> kSchedulerFlags = kSchedulerFlagList;
const std::span<const std::string_view> kMemoryPolicyModes = kMemoryPolicyModeList;
const std::span<const std::string_view> kMemoryPolicyFlags = kMemoryPolicyFlagList;
const std::span<const std::string_view> kPersonalityDomains = kPersonalityDomainList;
const std::span<const std::string_view> kTimeOffsetClocks = kTimeOffsetClockList;

bool contains(std::span<const std::string_view> set, std::string_view value) {
  for (auto item : set)
    if (item == value) return true;
  return false;
}

Result<void> check_one_of(std::string_view value, std::span<const std::string_view> allowed,
                          std::string_view what, const std::string& path) {
  if (contains(allowed, value)) return {};
  return fail(path + ": unknown " + std::string(what) + " " + quote(value));
}

bool is_valid_hugepage_size(std::string_view size) {
  if (size.size() < 3 || size.back() != 'B') return false;
  char unit = size[size.size() - 2];
  if (unit != 'K' && unit != 'M' && unit != 'G') return false;
  std::string_view digits = size.substr(0, size.size() - 2);
  if (digits.empty() || digits[0] < '1' || digits[0] > '9') return false;
  for (char c : digits)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace krill::oci::names
