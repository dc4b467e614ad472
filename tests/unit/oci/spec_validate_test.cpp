#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "oci/spec_json.h"

namespace krill::oci {
namespace {

using ::testing::HasSubstr;

// A valid container config that each test breaks in one way.
Spec valid_spec() {
  Spec spec;
  spec.oci_version = "1.0.2";
  Process p;
  p.args = {"/bin/true"};
  p.cwd = "/";
  spec.process = p;
  spec.root = Root{.path = "rootfs", .readonly = false};
  Linux l;
  for (auto type : {NamespaceType::kPid, NamespaceType::kMount, NamespaceType::kIpc,
                    NamespaceType::kUts, NamespaceType::kNetwork})
    l.namespaces.push_back({type, {}});
  spec.linux_config = l;
  return spec;
}

std::string invalid(const Spec& spec) {
  auto result = validate_spec_for_create(spec);
  EXPECT_FALSE(result) << "validated";
  return result ? std::string() : result.error().message();
}

Linux& lx(Spec& spec) { return *spec.linux_config; }

TEST(ValidateSpec, AcceptsValidSpec) {
  auto result = validate_spec_for_create(valid_spec());
  EXPECT_TRUE(result) << result.error().message();
}

TEST(ValidateSpec, OciVersion) {
  Spec spec = valid_spec();
  spec.oci_version = "";
  EXPECT_EQ(invalid(spec), "ociVersion: missing required field");
  spec.oci_version = "2.0.0";
  EXPECT_THAT(invalid(spec), HasSubstr("ociVersion: unsupported version \"2.0.0\""));
  spec.oci_version = "0.5.0-dev";
  EXPECT_THAT(invalid(spec), HasSubstr("ociVersion: unsupported version"));
  spec.oci_version = "v1";
  EXPECT_EQ(invalid(spec), "ociVersion: \"v1\" is not a semantic version");
  spec.oci_version = "1.1.0-rc.1";
  EXPECT_TRUE(validate_spec_for_create(spec));
}

TEST(ValidateSpec, ProcessAndRoot) {
  Spec spec = valid_spec();
  spec.process.reset();
  EXPECT_THAT(invalid(spec), HasSubstr("process: missing"));
  spec = valid_spec();
  spec.process->args.clear();
  EXPECT_EQ(invalid(spec), "process.args: must contain at least one entry");
  spec = valid_spec();
  spec.process->cwd = "work";
  EXPECT_EQ(invalid(spec), "process.cwd: \"work\" is not an absolute path");
  spec = valid_spec();
  spec.root.reset();
  EXPECT_EQ(invalid(spec), "root: missing required field");
  spec = valid_spec();
  spec.root->path = "";
  EXPECT_EQ(invalid(spec), "root.path: missing required field");
}

TEST(ValidateSpec, MountDestinationsMustBeAbsolute) {
  Spec spec = valid_spec();
  spec.mounts.push_back(Mount{.destination = "/proc", .type = "proc", .source = "proc"});
  spec.mounts.push_back(Mount{.destination = "data", .type = "none", .source = "/d"});
  EXPECT_EQ(invalid(spec), "mounts[1].destination: \"data\" is not an absolute path");
}

TEST(ValidateSpec, MountIdMappingsComeInPairs) {
  Spec spec = valid_spec();
  Mount m{.destination = "/data", .type = "none", .source = "/d", .options = {"rbind", "idmap"}};
  m.uid_mappings = {IdMapping{0, 1000, 1}};
  spec.mounts.push_back(m);
  EXPECT_EQ(invalid(spec), "mounts[0]: uidMappings and gidMappings must be given together");
  spec.mounts[0].gid_mappings = {IdMapping{0, 1000, 1}};
  EXPECT_TRUE(validate_spec_for_create(spec));
  spec.mounts[0].uid_mappings.clear();
  spec.mounts[0].gid_mappings.clear();
  EXPECT_THAT(invalid(spec), HasSubstr("mounts[0].options: an idmapped mount needs"));
}

TEST(ValidateSpec, DuplicateNamespaces) {
  Spec spec = valid_spec();
  lx(spec).namespaces.push_back({NamespaceType::kPid, "/proc/1/ns/pid"});
  EXPECT_EQ(invalid(spec), "linux.namespaces[5].type: duplicate namespace \"pid\"");
}

TEST(ValidateSpec, NamespacePathsMustBeAbsolute) {
  Spec spec = valid_spec();
  lx(spec).namespaces.push_back({NamespaceType::kCgroup, "proc/1/ns/cgroup"});
  EXPECT_EQ(invalid(spec),
            "linux.namespaces[5].path: \"proc/1/ns/cgroup\" is not an absolute path");
}

TEST(ValidateSpec, InvalidNamespaceEnumValue) {
  Spec spec = valid_spec();
  lx(spec).namespaces.push_back({static_cast<NamespaceType>(42), {}});
  EXPECT_THAT(invalid(spec), HasSubstr("linux.namespaces[5].type: invalid namespace type"));
}

TEST(ValidateSpec, IdMappingsNeedAUserNamespace) {
  Spec spec = valid_spec();
  lx(spec).uid_mappings = {IdMapping{0, 1000, 1}};
  lx(spec).gid_mappings = {IdMapping{0, 1000, 1}};
  EXPECT_EQ(invalid(spec), "linux.uidMappings: given without a user namespace in linux.namespaces");
  lx(spec).namespaces.push_back({NamespaceType::kUser, {}});
  EXPECT_TRUE(validate_spec_for_create(spec));
  lx(spec).gid_mappings.clear();
  EXPECT_EQ(invalid(spec), "linux.gidMappings: a new user namespace needs gid mappings");
  // Joining an existing user namespace needs no mappings.
  lx(spec).uid_mappings.clear();
  lx(spec).namespaces.back().path = "/proc/1/ns/user";
  EXPECT_TRUE(validate_spec_for_create(spec));
}

TEST(ValidateSpec, TimeOffsetsNeedATimeNamespace) {
  Spec spec = valid_spec();
  lx(spec).namespaces.push_back({NamespaceType::kTime, {}});
  EXPECT_TRUE(validate_spec_for_create(spec));  // a time namespace without offsets is fine
  lx(spec).time_offsets["monotonic"] = TimeOffset{.secs = 10, .nanosecs = 0};
  EXPECT_TRUE(validate_spec_for_create(spec));
  lx(spec).time_offsets["realtime"] = TimeOffset{};
  EXPECT_EQ(invalid(spec), "linux.timeOffsets[\"realtime\"]: unknown clock \"realtime\"");
  lx(spec).time_offsets.erase("realtime");
  lx(spec).namespaces.pop_back();
  EXPECT_EQ(invalid(spec), "linux.timeOffsets: given without a time namespace in linux.namespaces");
}

TEST(ValidateSpec, Sysctls) {
  Spec spec = valid_spec();
  lx(spec).sysctl = {{"net.ipv4.ip_forward", "1"},
                     {"kernel.shmmax", "1"},
                     {"fs.mqueue.msg_max", "1"},
                     {"kernel.domainname", "x"}};
  EXPECT_TRUE(validate_spec_for_create(spec));

  Spec no_net = spec;
  std::erase_if(lx(no_net).namespaces,
                [](const Namespace& ns) { return ns.type == NamespaceType::kNetwork; });
  EXPECT_THAT(invalid(no_net),
              HasSubstr("linux.sysctl[\"net.ipv4.ip_forward\"]: not allowed without a network "
                        "namespace"));

  Spec no_ipc = spec;
  std::erase_if(lx(no_ipc).namespaces,
                [](const Namespace& ns) { return ns.type == NamespaceType::kIpc; });
  EXPECT_THAT(invalid(no_ipc), HasSubstr("not allowed without an ipc namespace"));

  Spec hostname = valid_spec();
  lx(hostname).sysctl = {{"kernel.hostname", "x"}};
  EXPECT_THAT(invalid(hostname), HasSubstr("linux.sysctl[\"kernel.hostname\"]: not allowed"));
  std::erase_if(lx(hostname).namespaces,
                [](const Namespace& ns) { return ns.type == NamespaceType::kUts; });
  EXPECT_THAT(invalid(hostname), HasSubstr("not allowed without a uts namespace"));

  Spec other = valid_spec();
  lx(other).sysctl = {{"vm.swappiness", "1"}};
  EXPECT_EQ(invalid(other), "linux.sysctl[\"vm.swappiness\"]: not in a separate kernel namespace");

  Spec slashes = valid_spec();
  lx(slashes).sysctl = {{"net/ipv4/ip_forward", "1"}};
  EXPECT_TRUE(validate_spec_for_create(slashes));
}

TEST(ValidateSpec, HostnameNeedsAUtsNamespace) {
  Spec spec = valid_spec();
  spec.hostname = "box";
  spec.domainname = "example.test";
  EXPECT_TRUE(validate_spec_for_create(spec));
  std::erase_if(lx(spec).namespaces,
                [](const Namespace& ns) { return ns.type == NamespaceType::kUts; });
  EXPECT_EQ(invalid(spec), "hostname: cannot be set without a uts namespace in linux.namespaces");
  spec.hostname.clear();
  EXPECT_THAT(invalid(spec), HasSubstr("domainname: cannot be set"));
  spec.linux_config.reset();
  EXPECT_THAT(invalid(spec), HasSubstr("domainname: cannot be set"));
}

TEST(ValidateSpec, Rlimits) {
  Spec spec = valid_spec();
  spec.process->rlimits = {{"RLIMIT_NOFILE", 1, 2}, {"RLIMIT_CORE", 0, 0}};
  EXPECT_TRUE(validate_spec_for_create(spec));
  spec.process->rlimits.push_back({"RLIMIT_NOFILE", 3, 3});
  EXPECT_EQ(invalid(spec), "process.rlimits[2].type: duplicate rlimit \"RLIMIT_NOFILE\"");
  spec.process->rlimits.back().type = "RLIMIT_BOGUS";
  EXPECT_EQ(invalid(spec), "process.rlimits[2].type: unknown rlimit type \"RLIMIT_BOGUS\"");
  spec.process->rlimits.back() = {"RLIMIT_STACK", 10, 5};
  EXPECT_EQ(invalid(spec), "process.rlimits[2]: soft limit 10 exceeds hard limit 5");
}

TEST(ValidateSpec, Capabilities) {
  Spec spec = valid_spec();
  spec.process->capabilities = Capabilities{};
  spec.process->capabilities->bounding = {"CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"};
  spec.process->capabilities->ambient = {"CAP_KILL"};
  EXPECT_TRUE(validate_spec_for_create(spec));
  spec.process->capabilities->permitted = {"CAP_KILL", "CAP_FLY"};
  EXPECT_EQ(invalid(spec), "process.capabilities.permitted[1]: unknown capability \"CAP_FLY\"");
  spec.process->capabilities->permitted = {"kill"};
  EXPECT_EQ(invalid(spec), "process.capabilities.permitted[0]: unknown capability \"kill\"");
}

TEST(ValidateSpec, IoPriorityRange) {
  Spec spec = valid_spec();
  spec.process->io_priority = IoPriority{.io_class = "IOPRIO_CLASS_BE", .priority = 8};
  EXPECT_EQ(invalid(spec), "process.ioPriority.priority: 8 is out of range (0..7)");
}

TEST(ValidateSpec, Seccomp) {
  Spec spec = valid_spec();
  Seccomp s;
  s.default_action = "SCMP_ACT_ERRNO";
  s.default_errno_ret = 1;
  s.architectures = {"SCMP_ARCH_X86_64"};
  s.syscalls = {SeccompSyscall{.names = {"read"}, .action = "SCMP_ACT_ALLOW"}};
  lx(spec).seccomp = s;
  EXPECT_TRUE(validate_spec_for_create(spec));

  Spec bad = spec;
  lx(bad).seccomp->default_action = "SCMP_ACT_NOPE";
  EXPECT_EQ(invalid(bad), "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_NOPE\"");
  bad = spec;
  lx(bad).seccomp->architectures.push_back("SCMP_ARCH_VAX");
  EXPECT_EQ(invalid(bad),
            "linux.seccomp.architectures[1]: unknown seccomp architecture \"SCMP_ARCH_VAX\"");
  bad = spec;
  lx(bad).seccomp->flags = {"SECCOMP_FILTER_FLAG_TSYNC", "TSYNC"};
  EXPECT_EQ(invalid(bad), "linux.seccomp.flags[1]: unknown seccomp flag \"TSYNC\"");
  bad = spec;
  lx(bad).seccomp->syscalls[0].action = "ALLOW";
  EXPECT_EQ(invalid(bad), "linux.seccomp.syscalls[0].action: unknown seccomp action \"ALLOW\"");
  bad = spec;
  lx(bad).seccomp->syscalls[0].args = {SeccompArg{.index = 0, .value = 1, .op = "EQ"}};
  EXPECT_EQ(invalid(bad), "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"EQ\"");
  bad = spec;
  lx(bad).seccomp->syscalls[0].args = {SeccompArg{.index = 6, .value = 1, .op = "SCMP_CMP_EQ"}};
  EXPECT_THAT(invalid(bad), HasSubstr("linux.seccomp.syscalls[0].args[0].index: 6"));
  bad = spec;
  lx(bad).seccomp->syscalls[0].names.clear();
  EXPECT_THAT(invalid(bad), HasSubstr("linux.seccomp.syscalls[0].names: must contain"));
  bad = spec;
  lx(bad).seccomp->syscalls[0].errno_ret = 5;
  EXPECT_EQ(invalid(bad),
            "linux.seccomp.syscalls[0].errnoRet: not allowed with action \"SCMP_ACT_ALLOW\"");
  bad = spec;
  lx(bad).seccomp->default_action = "SCMP_ACT_KILL";
  EXPECT_THAT(invalid(bad), HasSubstr("linux.seccomp.defaultErrnoRet: not allowed"));
  bad = spec;
  lx(bad).seccomp->default_action = "SCMP_ACT_NOTIFY";
  lx(bad).seccomp->default_errno_ret.reset();
  EXPECT_THAT(invalid(bad), HasSubstr("cannot be the default action"));
  bad = spec;
  lx(bad).seccomp->syscalls[0].action = "SCMP_ACT_NOTIFY";
  EXPECT_THAT(invalid(bad), HasSubstr("SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath"));
  lx(bad).seccomp->listener_path = "/run/agent.sock";
  EXPECT_TRUE(validate_spec_for_create(bad));
  bad = spec;
  lx(bad).seccomp->listener_metadata = "x";
  EXPECT_EQ(invalid(bad), "linux.seccomp.listenerMetadata: set without listenerPath");
}

TEST(ValidateSpec, Devices) {
  Spec spec = valid_spec();
  lx(spec).devices = {Device{.type = "c", .path = "/dev/fuse", .major = 10, .minor = 229}};
  EXPECT_TRUE(validate_spec_for_create(spec));
  lx(spec).devices.push_back(Device{.type = "d", .path = "/dev/x"});
  EXPECT_EQ(invalid(spec), "linux.devices[1].type: unknown device type \"d\"");
  lx(spec).devices.back() = Device{.type = "u", .path = "dev/x"};
  EXPECT_EQ(invalid(spec), "linux.devices[1].path: \"dev/x\" is not an absolute path");
}

TEST(ValidateSpec, RootfsPropagation) {
  Spec spec = valid_spec();
  for (const char* value : {"shared", "slave", "private", "unbindable", "rprivate"}) {
    lx(spec).rootfs_propagation = value;
    EXPECT_TRUE(validate_spec_for_create(spec)) << value;
  }
  lx(spec).rootfs_propagation = "bogus";
  EXPECT_EQ(invalid(spec), "linux.rootfsPropagation: unknown rootfs propagation \"bogus\"");
}

TEST(ValidateSpec, MaskedAndReadonlyPathsAbsolute) {
  Spec spec = valid_spec();
  lx(spec).masked_paths = {"/proc/kcore", "proc/keys"};
  EXPECT_EQ(invalid(spec), "linux.maskedPaths[1]: \"proc/keys\" is not an absolute path");
  lx(spec).masked_paths.pop_back();
  lx(spec).readonly_paths = {""};
  EXPECT_EQ(invalid(spec), "linux.readonlyPaths[0]: must be an absolute path, got an empty string");
}

TEST(ValidateSpec, Hooks) {
  Spec spec = valid_spec();
  spec.hooks.create_runtime = {Hook{.path = "/bin/hook"}};
  EXPECT_TRUE(validate_spec_for_create(spec));
  spec.hooks.poststop = {Hook{.path = "hook"}};
  EXPECT_EQ(invalid(spec), "hooks.poststop[0].path: \"hook\" is not an absolute path");
  spec.hooks.poststop = {Hook{.path = "/hook", .timeout = 0}};
  EXPECT_EQ(invalid(spec), "hooks.poststop[0].timeout: must be greater than zero, got 0");
}

TEST(ValidateSpec, ResourcesAndNetDevices) {
  Spec spec = valid_spec();
  Resources r;
  r.hugepage_limits = {HugepageLimit{.page_size = "64kB", .limit = 1}};
  lx(spec).resources = r;
  EXPECT_EQ(invalid(spec),
            "linux.resources.hugepageLimits[0].pageSize: invalid hugepage size \"64kB\"");
  lx(spec).resources.reset();
  lx(spec).net_devices["eth1"] = NetDevice{.name = "ctr0"};
  EXPECT_TRUE(validate_spec_for_create(spec));
  lx(spec).net_devices["eth1"].name = "a/b";
  EXPECT_THAT(invalid(spec), HasSubstr("linux.netDevices[\"eth1\"].name: invalid"));
  lx(spec).net_devices["eth1"].name = "";
  std::erase_if(lx(spec).namespaces,
                [](const Namespace& ns) { return ns.type == NamespaceType::kNetwork; });
  EXPECT_THAT(invalid(spec), HasSubstr("linux.netDevices: given without a network namespace"));
}

}  // namespace
}  // namespace krill::oci
