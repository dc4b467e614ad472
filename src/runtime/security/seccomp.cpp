#include "runtime/security/seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>

namespace krill::security {
namespace {

constexpr uint32_t kMaxErrnoRet = 0xffff;  // SECCOMP_RET_DATA
constexpr uint32_t kSyscallMaxArgs = 6;
// seccomp(2) flags newer than some kernel headers (Linux 5.19 and 6.0).
constexpr unsigned int kFilterFlagTsyncEsrch = 1U << 4;
constexpr unsigned int kFilterFlagWaitKillableRecv = 1U << 5;

// libseccomp negative return codes as errors.
std::unexpected<Error> fail_rc(std::string_view what, int rc) { return fail_errno(what, -rc); }

// Owns a libseccomp filter context.
class FilterContext {
 public:
  explicit FilterContext(scmp_filter_ctx ctx) : ctx_(ctx) {}
  FilterContext(const FilterContext&) = delete;
  FilterContext& operator=(const FilterContext&) = delete;
  FilterContext(FilterContext&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
  ~FilterContext() {
    if (ctx_ != nullptr) seccomp_release(ctx_);
  }
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

struct BuiltFilter {
  FilterContext ctx;
  bool uses_notify = false;
};

struct ActionName {
  std::string_view name;
  uint32_t action;  // errno-carrying actions with 0 data
  bool takes_errno;
};

constexpr std::array<ActionName, 9> kActions = {{
    {"SCMP_ACT_KILL", SCMP_ACT_KILL, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
}};

struct OperatorName {
  std::string_view name;
  scmp_compare op;
};

constexpr std::array<OperatorName, 7> kOperators = {{
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
}};

// Spec name -> libseccomp's own architecture name (seccomp_arch_resolve_name).
struct ArchName {
  std::string_view name;
  const char* libseccomp_name;
};

constexpr std::array<ArchName, 23> kArchitectures = {{
    {"SCMP_ARCH_X86", "x86"},
    {"SCMP_ARCH_X86_64", "x86_64"},
    {"SCMP_ARCH_X32", "x32"},
    {"SCMP_ARCH_ARM", "arm"},
    {"SCMP_ARCH_AARCH64", "aarch64"},
    {"SCMP_ARCH_MIPS", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64"},
    {"SCMP_ARCH_MIPS64N32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL", "mipsel"},
    {"SCMP_ARCH_MIPSEL64", "mipsel64"},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
    {"SCMP_ARCH_PPC", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64"},
    {"SCMP_ARCH_PPC64LE", "ppc64le"},
    {"SCMP_ARCH_S390", "s390"},
    {"SCMP_ARCH_S390X", "s390x"},
    {"SCMP_ARCH_PARISC", "parisc"},
    {"SCMP_ARCH_PARISC64", "parisc64"},
    {"SCMP_ARCH_RISCV64", "riscv64"},
    {"SCMP_ARCH_LOONGARCH64", "loongarch64"},
    {"SCMP_ARCH_M68K", "m68k"},
    {"SCMP_ARCH_SH", "sh"},
    {"SCMP_ARCH_SHEB", "sheb"},
}};

constexpr std::string_view kFlagTsync = "SECCOMP_FILTER_FLAG_TSYNC";
constexpr std::string_view kFlagLog = "SECCOMP_FILTER_FLAG_LOG";
constexpr std::string_view kFlagSpecAllow = "SECCOMP_FILTER_FLAG_SPEC_ALLOW";
constexpr std::string_view kFlagWaitKillableRecv = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";
constexpr std::array<std::string_view, 4> kFlags = {kFlagTsync, kFlagLog, kFlagSpecAllow,
                                                    kFlagWaitKillableRecv};

std::string libseccomp_version() {
  const scmp_version* v = seccomp_version();
  if (v == nullptr) return "unknown";
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

// `field` names the config field, e.g. "linux.seccomp.syscalls[3]".
Result<uint32_t> resolve_action(const std::string& name, const std::optional<uint32_t>& errno_ret,
                                const std::string& action_field, const std::string& errno_field) {
  for (const auto& entry : kActions) {
    if (entry.name != name) continue;
    if (!entry.takes_errno) {
      if (errno_ret)
        return fail(errno_field + " is set but " + name + " does not take an errno (" +
                    action_field + ")");
      return entry.action;
    }
    const uint32_t value = errno_ret.value_or(EPERM);
    if (value > kMaxErrnoRet)
      return fail(errno_field + " " + std::to_string(value) + " is out of range (at most " +
                  std::to_string(kMaxErrnoRet) + ")");
    return entry.action | value;
  }
  return fail("unknown seccomp action \"" + name + "\" in " + action_field);
}

Result<void> set_flag(scmp_filter_ctx ctx, const std::string& flag, const std::string& field) {
  auto set_attr = [&](scmp_filter_attr attr) -> Result<void> {
    int rc = seccomp_attr_set(ctx, attr, 1);
    if (rc < 0)
      return fail_rc("seccomp flag " + flag + " (" + field + ") is not supported by libseccomp " +
                         libseccomp_version() + " or this kernel",
                     rc);
    return {};
  };
  if (flag == kFlagTsync) return set_attr(SCMP_FLTATR_CTL_TSYNC);
  if (flag == kFlagLog) return set_attr(SCMP_FLTATR_CTL_LOG);
  if (flag == kFlagSpecAllow) return set_attr(SCMP_FLTATR_CTL_SSB);
  if (flag == kFlagWaitKillableRecv) {
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
    return set_attr(SCMP_FLTATR_CTL_WAITKILL);
#else
    return fail("seccomp flag " + flag + " (" + field +
                ") needs libseccomp 2.6.0 or newer; krill was built with libseccomp " +
                std::to_string(SCMP_VER_MAJOR) + "." + std::to_string(SCMP_VER_MINOR) + "." +
                std::to_string(SCMP_VER_MICRO));
#endif
  }
  return fail("unknown seccomp flag \"" + flag + "\" in " + field);
}

Result<scmp_compare> resolve_operator(const std::string& name, const std::string& field) {
  for (const auto& entry : kOperators)
    if (entry.name == name) return entry.op;
  return fail("unknown seccomp operator \"" + name + "\" in " + field);
}

Result<void> add_syscall_rules(scmp_filter_ctx ctx, const oci::SeccompSyscall& syscall,
                               uint32_t action, const std::string& field) {
  // Conditions first: they are the same for every name of the entry.
  std::vector<scmp_arg_cmp> conditions;
  conditions.reserve(syscall.args.size());
  std::array<unsigned, kSyscallMaxArgs> per_index{};
  bool repeated_index = false;
  for (size_t i = 0; i < syscall.args.size(); ++i) {
    const oci::SeccompArg& arg = syscall.args[i];
    const std::string arg_field = field + ".args[" + std::to_string(i) + "]";
    if (arg.index >= kSyscallMaxArgs)
      return fail(arg_field + ".index " + std::to_string(arg.index) +
                  " is out of range (syscalls have at most 6 arguments)");
    const scmp_compare op = KRILL_TRY(resolve_operator(arg.op, arg_field + ".op"));
    // For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the datum compared with.
    conditions.push_back(scmp_arg_cmp{arg.index, op, arg.value, arg.value_two});
    if (++per_index[arg.index] > 1) repeated_index = true;
  }

  for (size_t n = 0; n < syscall.names.size(); ++n) {
    const std::string& name = syscall.names[n];
    if (name.empty()) return fail(field + ".names[" + std::to_string(n) + "] is empty");
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not known here: may not exist on this arch
    auto add = [&](unsigned count, const scmp_arg_cmp* conds) -> Result<void> {
      int rc = seccomp_rule_add_array(ctx, action, nr, count, conds);
      if (rc < 0) return fail_rc("add seccomp rule for syscall " + name + " (" + field + ")", rc);
      return {};
    };
    if (conditions.empty()) {
      KRILL_CHECK(add(0, nullptr));
    } else if (repeated_index) {
      // libseccomp cannot AND two conditions on one argument; like runc, each becomes a rule.
      for (const auto& cond : conditions) KRILL_CHECK(add(1, &cond));
    } else {
      KRILL_CHECK(add(static_cast<unsigned>(conditions.size()), conditions.data()));
    }
  }
  return {};
}

Result<BuiltFilter> build_filter(const oci::Seccomp& config) {
  const std::string base = "linux.seccomp";
  if (config.default_action.empty()) return fail(base + ".defaultAction is empty");
  const uint32_t default_action =
      KRILL_TRY(resolve_action(config.default_action, config.default_errno_ret,
                               base + ".defaultAction", base + ".defaultErrnoRet"));
  if (default_action == SCMP_ACT_NOTIFY)
    return fail(base +
                ".defaultAction SCMP_ACT_NOTIFY is not supported: the container init could not "
                "pass the listener on");

  // Resolve all rule actions before touching libseccomp, to report config errors first.
  std::vector<uint32_t> actions;
  actions.reserve(config.syscalls.size());
  bool uses_notify = false;
  for (size_t i = 0; i < config.syscalls.size(); ++i) {
    const oci::SeccompSyscall& syscall = config.syscalls[i];
    const std::string field = base + ".syscalls[" + std::to_string(i) + "]";
    if (syscall.names.empty()) return fail(field + ".names is empty");
    const uint32_t action = KRILL_TRY(
        resolve_action(syscall.action, syscall.errno_ret, field + ".action", field + ".errnoRet"));
    if (action == SCMP_ACT_NOTIFY) {
      for (const auto& name : syscall.names)
        if (name == "write")
          return fail(field + ": SCMP_ACT_NOTIFY cannot be used for the write syscall");
      uses_notify = true;
    }
    actions.push_back(action);
  }
  if (uses_notify && seccomp_api_get() < 6)
    return fail(
        "seccomp SCMP_ACT_NOTIFY needs libseccomp API level 6 (libseccomp >= 2.5.0 and "
        "Linux >= 5.7); this host has API level " +
        std::to_string(seccomp_api_get()));

  FilterContext ctx(seccomp_init(default_action));
  if (ctx.get() == nullptr)
    return fail("create seccomp filter with default action " + config.default_action +
                ": libseccomp rejected it (is it supported by this kernel?)");

  for (size_t i = 0; i < config.architectures.size(); ++i) {
    const std::string& name = config.architectures[i];
    const std::string field = base + ".architectures[" + std::to_string(i) + "]";
    const ArchName* found = nullptr;
    for (const auto& entry : kArchitectures)
      if (entry.name == name) found = &entry;
    if (found == nullptr) return fail("unknown seccomp architecture \"" + name + "\" in " + field);
    const uint32_t arch = seccomp_arch_resolve_name(found->libseccomp_name);
    if (arch == 0)
      return fail("seccomp architecture " + name + " (" + field +
                  ") is not supported by libseccomp " + libseccomp_version());
    if (seccomp_arch_exist(ctx.get(), arch) == 0) continue;  // the native arch is always there
    int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc == -EDOM)
      return fail("add seccomp architecture " + name + " (" + field +
                  "): libseccomp cannot mix it with the native architecture (other endianness)");
    if (rc < 0) return fail_rc("add seccomp architecture " + name + " (" + field + ")", rc);
  }

  for (size_t i = 0; i < config.flags.size(); ++i)
    KRILL_CHECK(set_flag(ctx.get(), config.flags[i], base + ".flags[" + std::to_string(i) + "]"));

  // no_new_privs is the caller's decision (process.noNewPrivileges).
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc < 0) return fail_rc("clear the seccomp no_new_privs attribute", rc);
  // Report the kernel's errno on load instead of a generic -ECANCELED; not fatal if missing.
  (void)seccomp_attr_set(ctx.get(), SCMP_FLTATR_API_SYSRAWRC, 1);
  // Binary tree of syscalls for long rule sets (libseccomp <= 2.5.4 misbehaves on empty ones).
  if (config.syscalls.size() > 32) (void)seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);

  for (size_t i = 0; i < config.syscalls.size(); ++i) {
    if (actions[i] == default_action) continue;  // redundant; libseccomp would refuse it
    KRILL_CHECK(add_syscall_rules(ctx.get(), config.syscalls[i], actions[i],
                                  base + ".syscalls[" + std::to_string(i) + "]"));
  }
  return BuiltFilter{std::move(ctx), uses_notify};
}

}  // namespace

Result<std::vector<uint8_t>> export_seccomp_bpf(const oci::Seccomp& config) {
  return KRILL_TRY(compile_seccomp(config)).program;
}

Result<CompiledSeccomp> compile_seccomp(const oci::Seccomp& config) {
  BuiltFilter filter = KRILL_TRY(build_filter(config));
  UniqueFd memfd(memfd_create("krill-seccomp-bpf", MFD_CLOEXEC));
  if (!memfd) return fail_errno("create memfd for the seccomp BPF program");
  int rc = seccomp_export_bpf(filter.ctx.get(), memfd.get());
  if (rc < 0) return fail_rc("export seccomp BPF program", rc);
  if (lseek(memfd.get(), 0, SEEK_SET) < 0) return fail_errno("rewind seccomp BPF memfd");
  CompiledSeccomp compiled;
  uint8_t buffer[4096];
  for (;;) {
    ssize_t n = read(memfd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read seccomp BPF program");
    }
    if (n == 0) break;
    compiled.program.insert(compiled.program.end(), buffer, buffer + n);
  }
  // The flags libseccomp's own load would pass to seccomp(2).
  compiled.uses_notify = filter.uses_notify;
  for (const auto& flag : config.flags) {
    if (flag == kFlagTsync) compiled.flags |= SECCOMP_FILTER_FLAG_TSYNC;
    if (flag == kFlagLog) compiled.flags |= SECCOMP_FILTER_FLAG_LOG;
    if (flag == kFlagSpecAllow) compiled.flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    if (flag == kFlagWaitKillableRecv) compiled.flags |= kFilterFlagWaitKillableRecv;
  }
  if (compiled.uses_notify) {
    compiled.flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // With TSYNC the kernel would otherwise return a thread id instead of the listener.
    if (compiled.flags & SECCOMP_FILTER_FLAG_TSYNC) compiled.flags |= kFilterFlagTsyncEsrch;
  }
  return compiled;
}

Result<UniqueFd> load_compiled_seccomp(const CompiledSeccomp& filter) {
  if (filter.program.empty() || filter.program.size() % sizeof(sock_filter) != 0)
    return fail("load seccomp filter: the compiled program is malformed");
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(filter.program.size() / sizeof(sock_filter));
  prog.filter = reinterpret_cast<sock_filter*>(const_cast<uint8_t*>(filter.program.data()));
  const long rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, filter.flags, &prog);
  if (rc < 0) return fail_errno("load seccomp filter");
  if (!filter.uses_notify) return UniqueFd();
  // The listener, close-on-exec as the kernel makes it; the caller owns it now.
  return UniqueFd(static_cast<int>(rc));
}

// The same path as the runtime's: compiled, then loaded with seccomp(2).
Result<UniqueFd> apply_seccomp(const oci::Seccomp& config) {
  return load_compiled_seccomp(KRILL_TRY(compile_seccomp(config)));
}

bool seccomp_uses_notify(const oci::Seccomp& config) {
  if (config.default_action == "SCMP_ACT_NOTIFY") return true;
  for (const auto& syscall : config.syscalls)
    if (syscall.action == "SCMP_ACT_NOTIFY") return true;
  return false;
}

std::vector<std::string> known_seccomp_actions() {
  std::vector<std::string> names;
  for (const auto& entry : kActions) names.emplace_back(entry.name);
  return names;
}

std::vector<std::string> known_seccomp_operators() {
  std::vector<std::string> names;
  for (const auto& entry : kOperators) names.emplace_back(entry.name);
  return names;
}

std::vector<std::string> known_seccomp_architectures() {
  std::vector<std::string> names;
  for (const auto& entry : kArchitectures)
    if (seccomp_arch_resolve_name(entry.libseccomp_name) != 0) names.emplace_back(entry.name);
  return names;
}

std::vector<std::string> known_seccomp_flags() {
  std::vector<std::string> names;
  for (const auto flag : kFlags) names.emplace_back(flag);
  return names;
}

std::vector<std::string> supported_seccomp_flags() {
  std::vector<std::string> names;
  for (const auto flag : kFlags) {
    FilterContext ctx(seccomp_init(SCMP_ACT_ALLOW));
    if (ctx.get() == nullptr) return names;
    if (set_flag(ctx.get(), std::string(flag), "probe")) names.emplace_back(flag);
  }
  return names;
}

}  // namespace krill::security
