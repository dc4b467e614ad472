// Capabilities (--cap-add/--cap-drop/--privileged) and seccomp (Docker's default profile,
// profiles in Docker's JSON format).
#include <gtest/gtest.h>

#include <cerrno>

#include "engine/spec_builder.h"
#include "engine/spec_internal.h"

namespace krill::engine {
namespace {

using spec_detail::tweak_capabilities;
using Strings = std::vector<std::string>;

bool contains(const Strings& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

TEST(SpecCapabilitiesTest, DockerDefaults) {
  Strings caps = docker_default_capabilities();
  EXPECT_EQ(caps.size(), 14u);
  for (const char* cap : {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
                          "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
                          "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"})
    EXPECT_TRUE(contains(caps, cap)) << cap;
  auto unchanged = tweak_capabilities(caps, {}, {}, false);
  ASSERT_TRUE(unchanged.has_value());
  EXPECT_EQ(*unchanged, caps);
}

TEST(SpecCapabilitiesTest, AddAndDropWithOrWithoutPrefix) {
  auto caps = tweak_capabilities(docker_default_capabilities(), {"net_admin", "CAP_SYS_TIME"},
                                 {"CAP_CHOWN", "mknod"}, false);
  ASSERT_TRUE(caps.has_value()) << caps.error().message();
  EXPECT_TRUE(contains(*caps, "CAP_NET_ADMIN"));
  EXPECT_TRUE(contains(*caps, "CAP_SYS_TIME"));
  EXPECT_FALSE(contains(*caps, "CAP_CHOWN"));
  EXPECT_FALSE(contains(*caps, "CAP_MKNOD"));
  EXPECT_EQ(caps->size(), 14u);
  // Adding one already there does not repeat it.
  auto again = tweak_capabilities(docker_default_capabilities(), {"KILL"}, {}, false);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->size(), 14u);
}

TEST(SpecCapabilitiesTest, All) {
  Strings all = spec_detail::all_capabilities();
  EXPECT_GE(all.size(), 38u);
  auto add_all = tweak_capabilities(docker_default_capabilities(), {"ALL"}, {"SYS_ADMIN"}, false);
  ASSERT_TRUE(add_all.has_value());
  EXPECT_EQ(add_all->size(), all.size() - 1);
  EXPECT_FALSE(contains(*add_all, "CAP_SYS_ADMIN"));
  auto drop_all =
      tweak_capabilities(docker_default_capabilities(), {"NET_BIND_SERVICE"}, {"all"}, false);
  ASSERT_TRUE(drop_all.has_value());
  EXPECT_EQ(*drop_all, Strings{"CAP_NET_BIND_SERVICE"});
  auto privileged = tweak_capabilities(docker_default_capabilities(), {}, {"ALL"}, true);
  ASSERT_TRUE(privileged.has_value());
  EXPECT_EQ(*privileged, all);
}

TEST(SpecCapabilitiesTest, UnknownNameIsAnError) {
  auto add = tweak_capabilities(docker_default_capabilities(), {"CAP_FLY"}, {}, false);
  ASSERT_FALSE(add.has_value());
  EXPECT_EQ(add.error().message(), "--cap-add CAP_FLY: unknown capability: \"CAP_FLY\"");
  auto drop = tweak_capabilities(docker_default_capabilities(), {}, {"bogus"}, false);
  ASSERT_FALSE(drop.has_value());
  EXPECT_EQ(drop.error().message(), "--cap-drop bogus: unknown capability: \"bogus\"");
}

// The action the filter takes for a syscall with no argument conditions: ALLOW, ERRNO(n) or the
// default.
std::string action_for(const oci::Seccomp& seccomp, const std::string& name) {
  for (const auto& rule : seccomp.syscalls)
    if (contains(rule.names, name) && rule.args.empty())
      return rule.action + (rule.errno_ret ? "(" + std::to_string(*rule.errno_ret) + ")" : "");
  for (const auto& rule : seccomp.syscalls)
    if (contains(rule.names, name)) return "CONDITIONAL";
  return "DEFAULT";
}

TEST(SpecSeccompTest, DefaultProfileSanity) {
  oci::Seccomp seccomp = docker_default_seccomp();
  EXPECT_EQ(seccomp.default_action, "SCMP_ACT_ERRNO");
  ASSERT_TRUE(seccomp.default_errno_ret.has_value());
  EXPECT_EQ(*seccomp.default_errno_ret, static_cast<uint32_t>(EPERM));
#if defined(__x86_64__)
  EXPECT_EQ(seccomp.architectures, (Strings{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_EQ(action_for(seccomp, "arch_prctl"), "SCMP_ACT_ALLOW");
#endif
  // What busybox and a shell need.
  for (const char* name :
       {"read",         "write",  "execve", "openat",     "close",      "mmap",  "brk",
        "rt_sigaction", "wait4",  "fork",   "vfork",      "getdents64", "ioctl", "exit_group",
        "chdir",        "setuid", "fstat",  "newfstatat", "statx",      "pipe2", "dup2",
        "kill",         "uname",  "getpid", "nanosleep"})
    EXPECT_EQ(action_for(seccomp, name), "SCMP_ACT_ALLOW") << name;
  // Not without CAP_SYS_ADMIN and friends.
  for (const char* name : {"keyctl", "add_key", "request_key", "unshare", "mount", "umount2",
                           "reboot", "setns", "init_module", "kexec_load", "swapon", "pivot_root",
                           "open_by_handle_at", "bpf", "settimeofday"})
    EXPECT_EQ(action_for(seccomp, name), "DEFAULT") << name;
  // clone without namespace flags; clone3 reports ENOSYS so libc falls back to clone.
  EXPECT_EQ(action_for(seccomp, "clone"), "CONDITIONAL");
  EXPECT_EQ(action_for(seccomp, "clone3"), "SCMP_ACT_ERRNO(38)");
  EXPECT_EQ(action_for(seccomp, "socket"), "CONDITIONAL");
  EXPECT_EQ(action_for(seccomp, "personality"), "CONDITIONAL");
  // ptrace since 4.8 (the running kernel is newer).
  EXPECT_EQ(action_for(seccomp, "ptrace"), "SCMP_ACT_ALLOW");
  // chroot comes with CAP_SYS_CHROOT, which Docker grants.
  EXPECT_EQ(action_for(seccomp, "chroot"), "SCMP_ACT_ALLOW");
}

TEST(SpecSeccompTest, CapabilityGatedGroupsFollowTheCapabilities) {
  Strings caps = docker_default_capabilities();
  caps.push_back("CAP_SYS_ADMIN");
  caps.push_back("CAP_SYS_MODULE");
  oci::Seccomp seccomp = docker_default_seccomp_for(caps);
  for (const char* name : {"mount", "unshare", "setns", "clone", "clone3", "init_module"})
    EXPECT_EQ(action_for(seccomp, name), "SCMP_ACT_ALLOW") << name;
  EXPECT_EQ(action_for(seccomp, "keyctl"), "DEFAULT");
  EXPECT_EQ(action_for(seccomp, "reboot"), "DEFAULT");

  Strings no_chroot = {"CAP_CHOWN"};
  EXPECT_EQ(action_for(docker_default_seccomp_for(no_chroot), "chroot"), "DEFAULT");
}

TEST(SpecSeccompTest, DockerFormatProfile) {
  const char* text = R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "archMap": [
      {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
      {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
    ],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
      {"name": "getpid", "action": "SCMP_ACT_ALLOW"},
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
       "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
      {"names": ["newthing"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "99.0"}},
      {"names": ["oldthing"], "action": "SCMP_ACT_LOG", "excludes": {"minKernel": "3.0"}},
      {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "comment": "no"}
    ]
  })";
  auto profile = spec_detail::parse_seccomp_profile(text);
  ASSERT_TRUE(profile.has_value()) << profile.error().message();
  spec_detail::SeccompTarget target{{"CAP_CHOWN"}, "amd64", {6, 1}};
  auto seccomp = spec_detail::seccomp_for_target(*profile, target);
  ASSERT_TRUE(seccomp.has_value());
  EXPECT_EQ(seccomp->architectures, (Strings{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
  EXPECT_EQ(action_for(*seccomp, "getpid"), "SCMP_ACT_ALLOW");
  EXPECT_EQ(action_for(*seccomp, "mount"), "DEFAULT");
  EXPECT_EQ(action_for(*seccomp, "clone"), "CONDITIONAL");
  EXPECT_EQ(action_for(*seccomp, "arch_prctl"), "SCMP_ACT_ALLOW");
  EXPECT_EQ(action_for(*seccomp, "newthing"), "DEFAULT");
  EXPECT_EQ(action_for(*seccomp, "oldthing"), "DEFAULT");
  EXPECT_EQ(action_for(*seccomp, "kill"), "SCMP_ACT_ERRNO(13)");

  spec_detail::SeccompTarget admin{{"CAP_SYS_ADMIN"}, "arm64", {6, 1}};
  auto other = spec_detail::seccomp_for_target(*profile, admin);
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->architectures, (Strings{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
  EXPECT_EQ(action_for(*other, "mount"), "SCMP_ACT_ALLOW");
  EXPECT_EQ(action_for(*other, "clone"), "DEFAULT");
  EXPECT_EQ(action_for(*other, "arch_prctl"), "DEFAULT");
}

TEST(SpecSeccompTest, OciFormatProfileAndErrors) {
  auto oci_format = spec_detail::parse_seccomp_profile(
      R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
          "syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ERRNO"}]})");
  ASSERT_TRUE(oci_format.has_value()) << oci_format.error().message();
  EXPECT_EQ(oci_format->architectures, Strings{"SCMP_ARCH_X86_64"});
  ASSERT_EQ(oci_format->rules.size(), 1u);

  auto not_json = spec_detail::parse_seccomp_profile("{");
  ASSERT_FALSE(not_json.has_value());
  EXPECT_EQ(not_json.error().message(), "seccomp profile: invalid JSON");
  auto no_default = spec_detail::parse_seccomp_profile(R"({"syscalls": []})");
  ASSERT_FALSE(no_default.has_value());
  EXPECT_EQ(no_default.error().message(), "seccomp profile: defaultAction: missing");
  auto both = spec_detail::parse_seccomp_profile(
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]})");
  ASSERT_FALSE(both.has_value());
  EXPECT_NE(both.error().message().find("syscalls[0]"), std::string::npos);
  auto bad_arg = spec_detail::parse_seccomp_profile(
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":"x","op":"SCMP_CMP_EQ"}]}]})");
  ASSERT_FALSE(bad_arg.has_value());
  EXPECT_NE(bad_arg.error().message().find("syscalls[0].args[0].index"), std::string::npos);
}

}  // namespace
}  // namespace krill::engine
