// export_seccomp_bpf: the filter libseccomp builds from a config, checked in its BPF program.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/security/seccomp.h"

namespace krill::security {
namespace {

using ::testing::HasSubstr;

std::vector<sock_filter> program_of(const oci::Seccomp& config) {
  auto bytes = export_seccomp_bpf(config);
  EXPECT_TRUE(bytes.has_value()) << bytes.error().message();
  if (!bytes) return {};
  EXPECT_EQ(bytes->size() % sizeof(sock_filter), 0u);
  std::vector<sock_filter> program(bytes->size() / sizeof(sock_filter));
  std::memcpy(program.data(), bytes->data(), program.size() * sizeof(sock_filter));
  return program;
}

bool returns(const std::vector<sock_filter>& program, uint32_t value) {
  return std::any_of(program.begin(), program.end(), [&](const sock_filter& insn) {
    return insn.code == (BPF_RET | BPF_K) && insn.k == value;
  });
}

bool jumps_on(const std::vector<sock_filter>& program, uint16_t jump_op, uint32_t k) {
  return std::any_of(program.begin(), program.end(), [&](const sock_filter& insn) {
    return insn.code == (BPF_JMP | jump_op | BPF_K) && insn.k == k;
  });
}

bool has_insn(const std::vector<sock_filter>& program, uint16_t code, uint32_t k) {
  return std::any_of(program.begin(), program.end(),
                     [&](const sock_filter& insn) { return insn.code == code && insn.k == k; });
}

oci::Seccomp allow_by_default() {
  oci::Seccomp config;
  config.default_action = "SCMP_ACT_ALLOW";
  return config;
}

oci::SeccompSyscall rule(std::vector<std::string> names, std::string action,
                         std::optional<uint32_t> errno_ret = std::nullopt) {
  oci::SeccompSyscall syscall;
  syscall.names = std::move(names);
  syscall.action = std::move(action);
  syscall.errno_ret = errno_ret;
  return syscall;
}

std::string error_of(const oci::Seccomp& config) {
  auto result = export_seccomp_bpf(config);
  EXPECT_FALSE(result.has_value());
  return result ? std::string() : result.error().message();
}

TEST(SeccompBpf, DefaultActionAllowEndsInAllow) {
  auto program = program_of(allow_by_default());
  ASSERT_FALSE(program.empty());
  EXPECT_TRUE(returns(program, SECCOMP_RET_ALLOW));
}

struct ActionCase {
  const char* name;
  std::optional<uint32_t> errno_ret;
  uint32_t expected_ret;
};

class SeccompBpfAction : public ::testing::TestWithParam<ActionCase> {};

TEST_P(SeccompBpfAction, RuleActionBecomesReturnValue) {
  const ActionCase& c = GetParam();
  oci::Seccomp config = allow_by_default();
  config.syscalls.push_back(rule({"mkdir"}, c.name, c.errno_ret));
  auto program = program_of(config);
  EXPECT_TRUE(returns(program, c.expected_ret)) << c.name;
  EXPECT_TRUE(jumps_on(program, BPF_JEQ, __NR_mkdir)) << c.name;
}

TEST_P(SeccompBpfAction, DefaultActionBecomesReturnValue) {
  const ActionCase& c = GetParam();
  if (std::string(c.name) == "SCMP_ACT_NOTIFY") GTEST_SKIP() << "refused as default action";
  oci::Seccomp config;
  config.default_action = c.name;
  config.default_errno_ret = c.errno_ret;
  config.syscalls.push_back(rule({"getpid"}, "SCMP_ACT_ALLOW"));
  auto program = program_of(config);
  EXPECT_TRUE(returns(program, c.expected_ret)) << c.name;
  EXPECT_TRUE(returns(program, SECCOMP_RET_ALLOW));
}

INSTANTIATE_TEST_SUITE_P(
    AllActions, SeccompBpfAction,
    ::testing::Values(ActionCase{"SCMP_ACT_KILL", std::nullopt, SECCOMP_RET_KILL_THREAD},
                      ActionCase{"SCMP_ACT_KILL_THREAD", std::nullopt, SECCOMP_RET_KILL_THREAD},
                      ActionCase{"SCMP_ACT_KILL_PROCESS", std::nullopt, SECCOMP_RET_KILL_PROCESS},
                      ActionCase{"SCMP_ACT_TRAP", std::nullopt, SECCOMP_RET_TRAP},
                      ActionCase{"SCMP_ACT_ERRNO", std::nullopt, SECCOMP_RET_ERRNO | EPERM},
                      ActionCase{"SCMP_ACT_ERRNO", EXDEV, SECCOMP_RET_ERRNO | EXDEV},
                      ActionCase{"SCMP_ACT_TRACE", std::nullopt, SECCOMP_RET_TRACE | EPERM},
                      ActionCase{"SCMP_ACT_TRACE", 1234, SECCOMP_RET_TRACE | 1234},
                      ActionCase{"SCMP_ACT_LOG", std::nullopt, SECCOMP_RET_LOG},
                      ActionCase{"SCMP_ACT_NOTIFY", std::nullopt, SECCOMP_RET_USER_NOTIF}));

TEST(SeccompBpf, DefaultErrnoRetDefaultsToEperm) {
  oci::Seccomp config;
  config.default_action = "SCMP_ACT_ERRNO";
  config.syscalls.push_back(rule({"getpid"}, "SCMP_ACT_ALLOW"));
  EXPECT_TRUE(returns(program_of(config), SECCOMP_RET_ERRNO | EPERM));
  config.default_errno_ret = ENXIO;
  auto program = program_of(config);
  EXPECT_TRUE(returns(program, SECCOMP_RET_ERRNO | ENXIO));
  EXPECT_FALSE(returns(program, SECCOMP_RET_ERRNO | EPERM));
}

TEST(SeccompBpf, ErrnoRetOnActionWithoutErrnoIsAnError) {
  oci::Seccomp config = allow_by_default();
  config.syscalls.push_back(rule({"mkdir"}, "SCMP_ACT_KILL", EXDEV));
  std::string message = error_of(config);
  EXPECT_THAT(message, HasSubstr("linux.seccomp.syscalls[0].errnoRet"));
  EXPECT_THAT(message, HasSubstr("SCMP_ACT_KILL"));

  oci::Seccomp default_config = allow_by_default();
  default_config.default_errno_ret = EPERM;
  EXPECT_THAT(error_of(default_config), HasSubstr("linux.seccomp.defaultErrnoRet"));
}

TEST(SeccompBpf, ErrnoRetOutOfRangeIsAnError) {
  oci::Seccomp config = allow_by_default();
  config.syscalls.push_back(rule({"mkdir"}, "SCMP_ACT_ERRNO", 70000));
  EXPECT_THAT(error_of(config), HasSubstr("out of range"));
}

TEST(SeccompBpf, UnknownNamesAreErrorsNamingTheField) {
  oci::Seccomp bad_default;
  bad_default.default_action = "SCMP_ACT_EXPLODE";
  EXPECT_THAT(error_of(bad_default),
              HasSubstr("\"SCMP_ACT_EXPLODE\" in linux.seccomp.defaultAction"));

  oci::Seccomp bad_action = allow_by_default();
  bad_action.syscalls.push_back(rule({"mkdir"}, "SCMP_ACT_ERRNO"));
  bad_action.syscalls.push_back(rule({"mkdir"}, "allow"));
  EXPECT_THAT(error_of(bad_action), HasSubstr("\"allow\" in linux.seccomp.syscalls[1].action"));

  oci::Seccomp bad_arch = allow_by_default();
  bad_arch.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"};
  EXPECT_THAT(error_of(bad_arch),
              HasSubstr("architecture \"SCMP_ARCH_VAX\" in linux.seccomp.architectures[1]"));

  oci::Seccomp bad_op = allow_by_default();
  oci::SeccompSyscall with_arg = rule({"mkdir"}, "SCMP_ACT_ERRNO");
  with_arg.args.push_back({.index = 1, .value = 0, .value_two = 0, .op = "SCMP_CMP_ALMOST"});
  bad_op.syscalls.push_back(with_arg);
  EXPECT_THAT(error_of(bad_op),
              HasSubstr("operator \"SCMP_CMP_ALMOST\" in linux.seccomp.syscalls[0].args[0].op"));

  oci::Seccomp bad_flag = allow_by_default();
  bad_flag.flags = {"SECCOMP_FILTER_FLAG_NOPE"};
  EXPECT_THAT(error_of(bad_flag),
              HasSubstr("\"SECCOMP_FILTER_FLAG_NOPE\" in linux.seccomp.flags[0]"));

  oci::Seccomp empty_default;
  EXPECT_THAT(error_of(empty_default), HasSubstr("defaultAction is empty"));
}

TEST(SeccompBpf, ArgumentIndexAboveFiveIsAnError) {
  oci::Seccomp config = allow_by_default();
  oci::SeccompSyscall syscall = rule({"mkdir"}, "SCMP_ACT_ERRNO");
  syscall.args.push_back({.index = 6, .value = 1, .value_two = 0, .op = "SCMP_CMP_EQ"});
  config.syscalls.push_back(syscall);
  EXPECT_THAT(error_of(config), HasSubstr("linux.seccomp.syscalls[0].args[0].index 6"));
}

TEST(SeccompBpf, EmptyNamesAreErrors) {
  oci::Seccomp config = allow_by_default();
  config.syscalls.push_back(rule({}, "SCMP_ACT_ERRNO"));
  EXPECT_THAT(error_of(config), HasSubstr("linux.seccomp.syscalls[0].names is empty"));
  config.syscalls[0].names = {"mkdir", ""};
  EXPECT_THAT(error_of(config), HasSubstr("linux.seccomp.syscalls[0].names[1] is empty"));
}

TEST(SeccompBpf, NotifyIsRefusedAsDefaultAndForWrite) {
  oci::Seccomp notify_default;
  notify_default.default_action = "SCMP_ACT_NOTIFY";
  EXPECT_THAT(error_of(notify_default), HasSubstr("defaultAction SCMP_ACT_NOTIFY"));

  oci::Seccomp notify_write = allow_by_default();
  notify_write.syscalls.push_back(rule({"read", "write"}, "SCMP_ACT_NOTIFY"));
  EXPECT_THAT(error_of(notify_write), HasSubstr("write syscall"));
}

TEST(SeccompBpf, UnknownSyscallNamesAreSkipped) {
  oci::Seccomp base = allow_by_default();
  base.syscalls.push_back(rule({"mkdir"}, "SCMP_ACT_ERRNO", EXDEV));
  oci::Seccomp with_unknown = base;
  with_unknown.syscalls[0].names.push_back("no_such_syscall_krill");
  with_unknown.syscalls.push_back(rule({"another_made_up_syscall"}, "SCMP_ACT_KILL"));
  auto expected = export_seccomp_bpf(base);
  auto actual = export_seccomp_bpf(with_unknown);
  ASSERT_TRUE(expected.has_value());
  ASSERT_TRUE(actual.has_value()) << actual.error().message();
  EXPECT_EQ(*expected, *actual);
}

TEST(SeccompBpf, SyscallsOfOtherArchitecturesAreAccepted) {
  // socketcall only exists on 32-bit x86 and friends: libseccomp knows it, this arch does not.
  oci::Seccomp config = allow_by_default();
  config.syscalls.push_back(rule({"socketcall", "mkdir"}, "SCMP_ACT_ERRNO"));
  EXPECT_FALSE(program_of(config).empty());
}

TEST(SeccompBpf, RuleWithTheDefaultActionIsSkipped) {
  oci::Seccomp base;
  base.default_action = "SCMP_ACT_ERRNO";
  base.syscalls.push_back(rule({"getpid"}, "SCMP_ACT_ALLOW"));
  oci::Seccomp redundant = base;
  redundant.syscalls.push_back(rule({"mkdir"}, "SCMP_ACT_ERRNO"));  // EPERM, like the default
  EXPECT_EQ(*export_seccomp_bpf(base), *export_seccomp_bpf(redundant));
  oci::Seccomp different = base;
  different.syscalls.push_back(rule({"mkdir"}, "SCMP_ACT_ERRNO", EXDEV));
  EXPECT_NE(*export_seccomp_bpf(base), *export_seccomp_bpf(different));
}

struct OperatorCase {
  const char* op;
  uint16_t jump;  // the BPF jump libseccomp compares the low word with
};

class SeccompBpfOperator : public ::testing::TestWithParam<OperatorCase> {};

TEST_P(SeccompBpfOperator, ConditionComparesTheArgument) {
  const OperatorCase& c = GetParam();
  oci::Seccomp config = allow_by_default();
  oci::SeccompSyscall syscall = rule({"getpgid"}, "SCMP_ACT_ERRNO", EXDEV);
  syscall.args.push_back({.index = 0, .value = 0x1234, .value_two = 0, .op = c.op});
  config.syscalls.push_back(syscall);
  auto program = program_of(config);
  EXPECT_TRUE(returns(program, SECCOMP_RET_ERRNO | EXDEV)) << c.op;
  EXPECT_TRUE(jumps_on(program, c.jump, 0x1234)) << c.op;
  // Argument 0 is loaded from seccomp_data.args[0] (offset 16, low word on little endian).
  EXPECT_TRUE(has_insn(program, BPF_LD | BPF_W | BPF_ABS, 16)) << c.op;
}

INSTANTIATE_TEST_SUITE_P(
    AllOperators, SeccompBpfOperator,
    ::testing::Values(OperatorCase{"SCMP_CMP_NE", BPF_JEQ}, OperatorCase{"SCMP_CMP_EQ", BPF_JEQ},
                      OperatorCase{"SCMP_CMP_LT", BPF_JGE}, OperatorCase{"SCMP_CMP_LE", BPF_JGT},
                      OperatorCase{"SCMP_CMP_GE", BPF_JGE}, OperatorCase{"SCMP_CMP_GT", BPF_JGT}));

TEST(SeccompBpf, MaskedEqualUsesValueAsMaskAndValueTwoAsDatum) {
  oci::Seccomp config = allow_by_default();
  oci::SeccompSyscall syscall = rule({"getpgid"}, "SCMP_ACT_ERRNO", EXDEV);
  syscall.args.push_back(
      {.index = 0, .value = 0xff00, .value_two = 0x1200, .op = "SCMP_CMP_MASKED_EQ"});
  config.syscalls.push_back(syscall);
  auto program = program_of(config);
  EXPECT_TRUE(has_insn(program, BPF_ALU | BPF_AND | BPF_K, 0xff00));
  EXPECT_TRUE(jumps_on(program, BPF_JEQ, 0x1200));
}

TEST(SeccompBpf, SeveralConditionsOnOneArgumentBecomeSeparateRules) {
  oci::Seccomp config = allow_by_default();
  oci::SeccompSyscall syscall = rule({"getpgid"}, "SCMP_ACT_ERRNO", EXDEV);
  syscall.args.push_back({.index = 0, .value = 111, .value_two = 0, .op = "SCMP_CMP_EQ"});
  syscall.args.push_back({.index = 0, .value = 222, .value_two = 0, .op = "SCMP_CMP_EQ"});
  config.syscalls.push_back(syscall);
  auto program = program_of(config);  // libseccomp would refuse both in one rule
  EXPECT_TRUE(jumps_on(program, BPF_JEQ, 111));
  EXPECT_TRUE(jumps_on(program, BPF_JEQ, 222));
}

TEST(SeccompBpf, ArchitecturesAddArchChecks) {
#if defined(__x86_64__)
  oci::Seccomp config = allow_by_default();
  config.syscalls.push_back(rule({"mkdir"}, "SCMP_ACT_ERRNO"));
  EXPECT_FALSE(jumps_on(program_of(config), BPF_JEQ, AUDIT_ARCH_I386));
  // The native arch listed again is fine; x86 and x32 add their own sections.
  config.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
  auto program = program_of(config);
  EXPECT_TRUE(jumps_on(program, BPF_JEQ, AUDIT_ARCH_X86_64));
  EXPECT_TRUE(jumps_on(program, BPF_JEQ, AUDIT_ARCH_I386));
  EXPECT_TRUE(jumps_on(program, BPF_JEQ, 39));  // mkdir on i386
#else
  GTEST_SKIP() << "arch checks are written for x86_64 hosts";
#endif
}

TEST(SeccompBpf, EveryArchitectureNameOfTheSpecIsKnownOrClearlyUnsupported) {
  const std::vector<std::string> spec_arches = {
      "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
      "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
      "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
      "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
      "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
      "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB"};
  const auto known = known_seccomp_architectures();
  EXPECT_THAT(known, ::testing::Contains("SCMP_ARCH_X86_64"));
  for (const auto& arch : spec_arches) {
    oci::Seccomp config = allow_by_default();
    config.architectures = {arch};
    auto result = export_seccomp_bpf(config);
    bool is_known = std::find(known.begin(), known.end(), arch) != known.end();
    if (is_known) {
      // Some (e.g. big-endian ones next to a little-endian native arch) libseccomp refuses to mix.
      if (!result) {
        EXPECT_THAT(result.error().message(), HasSubstr(arch)) << arch;
      }
    } else {
      ASSERT_FALSE(result.has_value()) << arch;
      EXPECT_THAT(result.error().message(), HasSubstr("not supported by libseccomp")) << arch;
    }
  }
}

TEST(SeccompBpf, FlagsAreAcceptedAndDoNotChangeTheProgram) {
  oci::Seccomp base = allow_by_default();
  base.syscalls.push_back(rule({"mkdir"}, "SCMP_ACT_ERRNO"));
  const auto supported = supported_seccomp_flags();
  for (const char* flag :
       {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}) {
    if (std::find(supported.begin(), supported.end(), flag) == supported.end()) {
      ADD_FAILURE() << flag << " not supported on this host";
      continue;
    }
    oci::Seccomp config = base;
    config.flags = {flag};
    auto result = export_seccomp_bpf(config);
    ASSERT_TRUE(result.has_value()) << flag << ": " << result.error().message();
    EXPECT_EQ(*result, *export_seccomp_bpf(base)) << flag;
  }
}

TEST(SeccompBpf, WaitKillableRecvNeedsLibseccomp26) {
  oci::Seccomp config = allow_by_default();
  config.syscalls.push_back(rule({"mkdir"}, "SCMP_ACT_NOTIFY"));
  config.flags = {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
  auto result = export_seccomp_bpf(config);
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
  if (!result) {
    EXPECT_THAT(result.error().message(), HasSubstr("WAIT_KILLABLE_RECV"));
  }
#else
  ASSERT_FALSE(result.has_value());
  EXPECT_THAT(result.error().message(), HasSubstr("needs libseccomp 2.6.0"));
  EXPECT_THAT(result.error().message(), HasSubstr("linux.seccomp.flags[0]"));
#endif
}

TEST(SeccompBpf, LongRuleSetsBuild) {
  oci::Seccomp config;
  config.default_action = "SCMP_ACT_ERRNO";
  for (const char* name :
       {"read",        "write",    "openat",       "close",          "fstat",   "mmap",
        "munmap",      "brk",      "rt_sigaction", "rt_sigprocmask", "ioctl",   "pread64",
        "pwrite64",    "readv",    "writev",       "access",         "pipe",    "select",
        "sched_yield", "mremap",   "msync",        "mincore",        "madvise", "dup",
        "dup2",        "pause",    "nanosleep",    "getitimer",      "alarm",   "setitimer",
        "getpid",      "sendfile", "socket",       "connect",        "accept"})
    config.syscalls.push_back(rule({name}, "SCMP_ACT_ALLOW"));
  auto program = program_of(config);
  EXPECT_TRUE(returns(program, SECCOMP_RET_ALLOW));
  EXPECT_TRUE(returns(program, SECCOMP_RET_ERRNO | EPERM));
}

TEST(SeccompNames, KnownListsCoverTheSpec) {
  EXPECT_THAT(known_seccomp_actions(),
              ::testing::UnorderedElementsAre("SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                              "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                                              "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",
                                              "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"));
  EXPECT_THAT(
      known_seccomp_operators(),
      ::testing::UnorderedElementsAre("SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                                      "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"));
  EXPECT_THAT(known_seccomp_flags(),
              ::testing::UnorderedElementsAre(
                  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
}

TEST(SeccompNames, UsesNotify) {
  oci::Seccomp config = allow_by_default();
  EXPECT_FALSE(seccomp_uses_notify(config));
  config.syscalls.push_back(rule({"mkdir"}, "SCMP_ACT_NOTIFY"));
  EXPECT_TRUE(seccomp_uses_notify(config));
}

}  // namespace
}  // namespace krill::security
