// build_spec end to end: the spec's parts, the generated /etc files, and that the result is a
// config a runtime accepts.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/file_io.h"
#include "engine/spec_builder.h"
#include "engine/spec_internal.h"
#include "oci/spec_json.h"

namespace krill::engine {
namespace {

using Strings = std::vector<std::string>;

const oci::Mount* find_mount(const oci::Spec& spec, const std::string& destination) {
  for (const auto& mount : spec.mounts)
    if (mount.destination == destination) return &mount;
  return nullptr;
}

Strings destinations(const oci::Spec& spec) {
  Strings out;
  for (const auto& mount : spec.mounts) out.push_back(mount.destination);
  return out;
}

bool contains(const Strings& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

class SpecBuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/krill-spec-build-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_TRUE(mkdir_all(dir_ + "/rootfs/etc", 0755).has_value());
    ASSERT_TRUE(mkdir_all(dir_ + "/userdata", 0700).has_value());
    ASSERT_TRUE(mkdir_all(dir_ + "/host-src", 0755).has_value());
    ASSERT_TRUE(write_file_atomic(dir_ + "/rootfs/etc/passwd",
                                  "root:x:0:0:root:/root:/bin/sh\n"
                                  "app:x:1000:1000::/home/app:/bin/sh\n",
                                  0644)
                    .has_value());
    ASSERT_TRUE(write_file_atomic(dir_ + "/rootfs/etc/group", "root:x:0:\napp:x:1000:\n", 0644)
                    .has_value());
    inputs_.id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    inputs_.rootfs = dir_ + "/rootfs";
    inputs_.userdata_dir = dir_ + "/userdata";
    inputs_.image_config.cmd = Strings{"sh"};
  }
  void TearDown() override { (void)remove_all(dir_); }

  // Builds, checks that the runtime would accept the JSON, returns the spec.
  BuiltSpec build() {
    auto built = build_spec(inputs_);
    EXPECT_TRUE(built.has_value()) << (built ? "" : built.error().message());
    if (!built) return {};
    auto parsed = oci::parse_spec(oci::spec_to_json(built->spec));
    EXPECT_TRUE(parsed.has_value()) << (parsed ? "" : parsed.error().message());
    if (parsed) {
      auto valid = oci::validate_spec_for_create(*parsed);
      EXPECT_TRUE(valid.has_value()) << (valid ? "" : valid.error().message());
    }
    return std::move(*built);
  }
  std::string build_error() {
    auto built = build_spec(inputs_);
    EXPECT_FALSE(built.has_value());
    return built ? "" : built.error().message();
  }

  std::string dir_;
  SpecInputs inputs_;
};

TEST_F(SpecBuildTest, DefaultContainer) {
  BuiltSpec built = build();
  const oci::Spec& spec = built.spec;
  EXPECT_EQ(built.stop_signal, 15);
  EXPECT_EQ(spec.hostname, "0123456789ab");
  ASSERT_TRUE(spec.root.has_value());
  EXPECT_EQ(spec.root->path, dir_ + "/rootfs");
  EXPECT_FALSE(spec.root->readonly);

  ASSERT_TRUE(spec.process.has_value());
  const oci::Process& process = *spec.process;
  EXPECT_EQ(process.args, Strings{"sh"});
  EXPECT_EQ(process.cwd, "/");
  EXPECT_FALSE(process.terminal);
  EXPECT_EQ(process.user.uid, 0u);
  EXPECT_EQ(process.user.additional_gids, (std::vector<uint32_t>{0}));
  EXPECT_EQ(process.env,
            (Strings{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                     "HOSTNAME=0123456789ab", "HOME=/root"}));
  ASSERT_TRUE(process.capabilities.has_value());
  EXPECT_EQ(process.capabilities->bounding, docker_default_capabilities());
  EXPECT_EQ(process.capabilities->effective, docker_default_capabilities());
  EXPECT_EQ(process.capabilities->permitted, docker_default_capabilities());
  EXPECT_TRUE(process.capabilities->inheritable.empty());
  EXPECT_TRUE(process.capabilities->ambient.empty());
  EXPECT_FALSE(process.no_new_privileges);
  EXPECT_FALSE(process.oom_score_adj.has_value());
  ASSERT_EQ(process.rlimits.size(), 1u);
  EXPECT_EQ(process.rlimits[0].type, "RLIMIT_NOFILE");
  struct rlimit nofile {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &nofile), 0);
  uint64_t expected = std::min<uint64_t>(1048576, nofile.rlim_max);
  EXPECT_EQ(process.rlimits[0].soft, expected);
  EXPECT_EQ(process.rlimits[0].hard, expected);

  EXPECT_EQ(destinations(spec),
            (Strings{"/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue",
                     "/dev/shm", "/etc/resolv.conf", "/etc/hostname", "/etc/hosts"}));
  const oci::Mount* shm = find_mount(spec, "/dev/shm");
  ASSERT_NE(shm, nullptr);
  EXPECT_EQ(shm->type, "tmpfs");
  EXPECT_TRUE(contains(shm->options, "size=67108864"));
  EXPECT_TRUE(contains(shm->options, "mode=1777"));
  const oci::Mount* pts = find_mount(spec, "/dev/pts");
  EXPECT_TRUE(contains(pts->options, "gid=5"));
  EXPECT_TRUE(contains(pts->options, "ptmxmode=0666"));
  EXPECT_TRUE(contains(find_mount(spec, "/sys")->options, "ro"));
  const oci::Mount* hosts = find_mount(spec, "/etc/hosts");
  EXPECT_EQ(hosts->source, dir_ + "/userdata/hosts");
  EXPECT_EQ(hosts->options, (Strings{"rbind", "rprivate"}));

  ASSERT_TRUE(spec.linux_config.has_value());
  const oci::Linux& lx = *spec.linux_config;
  for (auto type :
       {oci::NamespaceType::kPid, oci::NamespaceType::kNetwork, oci::NamespaceType::kIpc,
        oci::NamespaceType::kUts, oci::NamespaceType::kMount, oci::NamespaceType::kCgroup})
    EXPECT_TRUE(lx.has_namespace(type)) << oci::to_string(type);
  EXPECT_FALSE(lx.has_namespace(oci::NamespaceType::kUser));
  EXPECT_TRUE(contains(lx.masked_paths, "/proc/kcore"));
  EXPECT_TRUE(contains(lx.masked_paths, "/sys/devices/virtual/powercap"));
  EXPECT_EQ(lx.readonly_paths,
            (Strings{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}));
  ASSERT_TRUE(lx.seccomp.has_value());
  EXPECT_EQ(lx.seccomp->default_action, "SCMP_ACT_ERRNO");
  ASSERT_TRUE(lx.resources.has_value());
  ASSERT_EQ(lx.resources->devices.size(), 1u);
  EXPECT_FALSE(lx.resources->devices[0].allow);
  EXPECT_FALSE(lx.resources->memory.has_value());
  EXPECT_FALSE(lx.resources->cpu.has_value());
  EXPECT_FALSE(lx.resources->pids.has_value());
  EXPECT_TRUE(lx.sysctl.empty());
  EXPECT_TRUE(lx.devices.empty());

  // The generated files.
  auto hostname = read_file(dir_ + "/userdata/hostname");
  ASSERT_TRUE(hostname.has_value());
  EXPECT_EQ(*hostname, "0123456789ab\n");
  auto hosts_file = read_file(dir_ + "/userdata/hosts");
  ASSERT_TRUE(hosts_file.has_value());
  EXPECT_NE(hosts_file->find("127.0.0.1\tlocalhost\n"), std::string::npos);
  EXPECT_NE(hosts_file->find("127.0.0.1\t0123456789ab\n"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/userdata/resolv.conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(SpecBuildTest, ImageConfigAndUserOverrides) {
  inputs_.image_config.entrypoint = Strings{"/entry"};
  inputs_.image_config.env = {"A=1"};
  inputs_.image_config.working_dir = "srv";
  inputs_.image_config.user = "app";
  inputs_.image_config.stop_signal = "SIGQUIT";
  BuiltSpec from_image = build();
  EXPECT_EQ(from_image.spec.process->args, (Strings{"/entry", "sh"}));
  EXPECT_EQ(from_image.spec.process->cwd, "/srv");
  EXPECT_EQ(from_image.spec.process->user.uid, 1000u);
  EXPECT_EQ(from_image.stop_signal, 3);
  // Not root: capabilities only in the bounding set.
  EXPECT_EQ(from_image.spec.process->capabilities->bounding, docker_default_capabilities());
  EXPECT_TRUE(from_image.spec.process->capabilities->effective.empty());
  EXPECT_TRUE(from_image.spec.process->capabilities->permitted.empty());
  EXPECT_TRUE(contains(from_image.spec.process->env, "HOME=/home/app"));

  inputs_.config.user = "0";
  inputs_.config.working_dir = "/tmp";
  inputs_.config.hostname = "box";
  inputs_.config.tty = true;
  inputs_.config.stop_signal = 9;
  inputs_.config.command = {"echo", "hi"};
  inputs_.config.annotations = {{"org.example/a", "b"}};
  inputs_.config.security_opt = {"no-new-privileges"};
  BuiltSpec overridden = build();
  EXPECT_EQ(overridden.spec.process->args, (Strings{"/entry", "echo", "hi"}));
  EXPECT_EQ(overridden.spec.process->cwd, "/tmp");
  EXPECT_EQ(overridden.spec.process->user.uid, 0u);
  EXPECT_TRUE(overridden.spec.process->terminal);
  EXPECT_TRUE(overridden.spec.process->no_new_privileges);
  EXPECT_EQ(overridden.spec.hostname, "box");
  EXPECT_TRUE(contains(overridden.spec.process->env, "TERM=xterm"));
  EXPECT_TRUE(contains(overridden.spec.process->env, "HOSTNAME=box"));
  EXPECT_EQ(overridden.stop_signal, 9);
  EXPECT_EQ(overridden.spec.annotations.at("org.example/a"), "b");

  inputs_.config.working_dir = "relative";
  EXPECT_NE(build_error().find("not an absolute path"), std::string::npos);
}

TEST_F(SpecBuildTest, Errors) {
  inputs_.config.user = "nobody2";
  EXPECT_EQ(build_error(), "unable to find user nobody2: no matching entries in passwd file");
  inputs_.config.user = "";
  inputs_.image_config.cmd.reset();
  EXPECT_EQ(build_error(), "no command specified");
  inputs_.image_config.cmd = Strings{"sh"};
  inputs_.config.cap_add = {"CAP_NOPE"};
  EXPECT_NE(build_error().find("unknown capability"), std::string::npos);
  inputs_.config.cap_add.clear();
  inputs_.config.security_opt = {"bogus=1"};
  EXPECT_NE(build_error().find("--security-opt bogus=1"), std::string::npos);
  inputs_.config.security_opt.clear();
  inputs_.config.network = "bridge";
  EXPECT_NE(build_error().find("--network bridge"), std::string::npos);
}

TEST_F(SpecBuildTest, ReadOnlyTmpfsVolumesAndBinds) {
  inputs_.config.read_only = true;
  inputs_.volumes = {ResolvedVolume{dir_ + "/vol/_data", "/data", false},
                     ResolvedVolume{dir_ + "/vol2/_data", "/data/sub/deeper", true}};
  inputs_.config.mounts = {
      MountRequest{.type = "tmpfs", .destination = "/run", .options = {"size=64m", "exec"}},
      MountRequest{
          .type = "bind", .source = dir_ + "/host-src", .destination = "/src", .read_only = true},
      MountRequest{.type = "bind",
                   .source = dir_ + "/host-src",
                   .destination = "/data/sub",
                   .propagation = "rslave"},
      MountRequest{.type = "volume", .source = "data", .destination = "/data"},
  };
  BuiltSpec built = build();
  const oci::Spec& spec = built.spec;
  EXPECT_TRUE(spec.root->readonly);
  EXPECT_TRUE(contains(find_mount(spec, "/etc/hosts")->options, "ro"));
  Strings order = destinations(spec);
  // Defaults, then by depth: parents before what is mounted inside them.
  auto index = [&](const std::string& d) {
    return std::find(order.begin(), order.end(), d) - order.begin();
  };
  EXPECT_LT(index("/data"), index("/data/sub"));
  EXPECT_LT(index("/data/sub"), index("/data/sub/deeper"));
  EXPECT_LT(index("/dev/shm"), index("/data"));

  const oci::Mount* run = find_mount(spec, "/run");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->type, "tmpfs");
  EXPECT_EQ(run->options, (Strings{"nosuid", "nodev", "rprivate", "size=64m", "exec"}));
  const oci::Mount* src = find_mount(spec, "/src");
  EXPECT_EQ(src->type, "bind");
  EXPECT_EQ(src->options, (Strings{"rbind", "ro", "rprivate"}));
  const oci::Mount* sub = find_mount(spec, "/data/sub");
  EXPECT_EQ(sub->options, (Strings{"rbind", "rslave"}));
  EXPECT_EQ(spec.linux_config->rootfs_propagation, "rslave");
  const oci::Mount* data = find_mount(spec, "/data");
  EXPECT_EQ(data->source, dir_ + "/vol/_data");
  EXPECT_EQ(data->options, Strings{"rbind"});
  EXPECT_EQ(find_mount(spec, "/data/sub/deeper")->options, (Strings{"rbind", "ro"}));

  inputs_.config.mounts = {
      MountRequest{.type = "bind", .source = "/no/such/dir", .destination = "/x"}};
  EXPECT_EQ(build_error(), "bind source path does not exist: /no/such/dir");
}

TEST_F(SpecBuildTest, UserMountReplacesDefaultAndEtcFile) {
  inputs_.config.mounts = {
      MountRequest{.type = "tmpfs", .destination = "/dev/shm", .options = {"size=1m"}},
      MountRequest{.type = "bind", .source = dir_ + "/host-src", .destination = "/etc/hosts"}};
  BuiltSpec built = build();
  int shm_count = 0;
  for (const auto& mount : built.spec.mounts) shm_count += mount.destination == "/dev/shm";
  EXPECT_EQ(shm_count, 1);
  EXPECT_TRUE(contains(find_mount(built.spec, "/dev/shm")->options, "size=1m"));
  EXPECT_EQ(find_mount(built.spec, "/etc/hosts")->source, dir_ + "/host-src");
}

TEST_F(SpecBuildTest, ShmSizeAndResources) {
  inputs_.config.resources.shm_size = 128 << 20;
  inputs_.config.resources.memory = 256 << 20;
  inputs_.config.resources.nano_cpus = 500000000;
  inputs_.config.resources.cpu_shares = 512;
  inputs_.config.resources.cpuset_cpus = "0";
  inputs_.config.resources.pids_limit = 100;
  BuiltSpec built = build();
  EXPECT_TRUE(contains(find_mount(built.spec, "/dev/shm")->options, "size=134217728"));
  const oci::Resources& resources = *built.spec.linux_config->resources;
  ASSERT_TRUE(resources.memory.has_value());
  EXPECT_EQ(resources.memory->limit, 256 << 20);
  // This host limits swap (memsw); where it cannot, the swap limit is left out.
  if (resources.memory->swap) {
    EXPECT_EQ(*resources.memory->swap, 512 << 20);
  }
  ASSERT_TRUE(resources.cpu.has_value());
  EXPECT_EQ(resources.cpu->period, 100000u);
  EXPECT_EQ(resources.cpu->quota, 50000);
  EXPECT_EQ(resources.cpu->shares, 512u);
  EXPECT_EQ(resources.cpu->cpus, "0");
  ASSERT_TRUE(resources.pids.has_value());
  EXPECT_EQ(resources.pids->limit, 100);

  inputs_.config.resources.memory_swap = -1;
  built = build();
  if (built.spec.linux_config->resources->memory->swap) {
    EXPECT_EQ(*built.spec.linux_config->resources->memory->swap, -1);
  }
  inputs_.config.resources.memory_swap = 300 << 20;
  built = build();
  if (built.spec.linux_config->resources->memory->swap) {
    EXPECT_EQ(*built.spec.linux_config->resources->memory->swap, 300 << 20);
  }

  inputs_.config.resources.memory_swap = 100 << 20;
  EXPECT_NE(build_error().find("memory-swap limit should be larger"), std::string::npos);
  inputs_.config.resources.memory_swap = 0;
  inputs_.config.resources.memory = 4 << 20;
  EXPECT_EQ(build_error(), "minimum memory limit allowed is 6MB");
  inputs_.config.resources.memory = 0;
  inputs_.config.resources.memory_swap = 1 << 30;
  EXPECT_NE(build_error().find("memory limit when using the memory-swap"), std::string::npos);
  inputs_.config.resources.memory_swap = 0;
  inputs_.config.resources.nano_cpus = 1000LL * 1000000000LL;
  EXPECT_NE(build_error().find("range of CPUs"), std::string::npos);
  inputs_.config.resources.nano_cpus = 0;
  inputs_.config.resources.cpuset_cpus = "0-9999";
  EXPECT_NE(build_error().find("requested CPUs are not available"), std::string::npos);
  inputs_.config.resources.cpuset_cpus = "x";
  EXPECT_NE(build_error().find("cpuset"), std::string::npos);
}

TEST_F(SpecBuildTest, DevicesAndUlimits) {
  inputs_.config.devices = {DeviceRequest{"/dev/null", "/dev/mynull", "rw"},
                            DeviceRequest{"/dev/zero", "/dev/zero", "rwm"}};
  inputs_.config.ulimits = {UlimitRequest{"nproc", 50, 100}, UlimitRequest{"nofile", 64, 128}};
  BuiltSpec built = build();
  const oci::Linux& lx = *built.spec.linux_config;
  ASSERT_EQ(lx.devices.size(), 2u);
  EXPECT_EQ(lx.devices[0].path, "/dev/mynull");
  EXPECT_EQ(lx.devices[0].type, "c");
  EXPECT_EQ(lx.devices[0].major, 1);
  EXPECT_EQ(lx.devices[0].minor, 3);
  EXPECT_EQ(lx.devices[1].minor, 5);
  ASSERT_TRUE(lx.devices[0].file_mode.has_value());
  EXPECT_EQ(*lx.devices[0].file_mode, 0666u);
  const auto& rules = lx.resources->devices;
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_FALSE(rules[0].allow);
  EXPECT_TRUE(rules[1].allow);
  EXPECT_EQ(rules[1].type, "c");
  EXPECT_EQ(rules[1].major, 1);
  EXPECT_EQ(rules[1].minor, 3);
  EXPECT_EQ(rules[1].access, "rw");
  const auto& rlimits = built.spec.process->rlimits;
  ASSERT_EQ(rlimits.size(), 2u);
  EXPECT_EQ(rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(rlimits[0].soft, 64u);
  EXPECT_EQ(rlimits[0].hard, 128u);
  EXPECT_EQ(rlimits[1].type, "RLIMIT_NPROC");

  inputs_.config.devices = {DeviceRequest{"/dev/nope", "/dev/nope", "rwm"}};
  EXPECT_EQ(build_error(), "--device /dev/nope: no such device");
  inputs_.config.devices = {DeviceRequest{dir_ + "/rootfs/etc/passwd", "/dev/x", "rwm"}};
  EXPECT_NE(build_error().find("not a device node"), std::string::npos);
}

TEST_F(SpecBuildTest, CapabilitiesAndPrivileged) {
  inputs_.config.cap_add = {"SYS_ADMIN"};
  inputs_.config.cap_drop = {"CAP_NET_RAW"};
  BuiltSpec admin = build();
  const auto& caps = admin.spec.process->capabilities->bounding;
  EXPECT_TRUE(contains(caps, "CAP_SYS_ADMIN"));
  EXPECT_FALSE(contains(caps, "CAP_NET_RAW"));
  // The seccomp profile follows: mount and unshare allowed with CAP_SYS_ADMIN.
  bool mount_allowed = false;
  for (const auto& rule : admin.spec.linux_config->seccomp->syscalls)
    mount_allowed =
        mount_allowed || (contains(rule.names, "mount") && rule.action == "SCMP_ACT_ALLOW");
  EXPECT_TRUE(mount_allowed);

  inputs_.config.cap_add.clear();
  inputs_.config.cap_drop.clear();
  inputs_.config.privileged = true;
  BuiltSpec privileged = build();
  const oci::Linux& lx = *privileged.spec.linux_config;
  EXPECT_EQ(privileged.spec.process->capabilities->bounding, spec_detail::all_capabilities());
  EXPECT_FALSE(lx.seccomp.has_value());
  EXPECT_TRUE(lx.masked_paths.empty());
  EXPECT_TRUE(lx.readonly_paths.empty());
  ASSERT_EQ(lx.resources->devices.size(), 1u);
  EXPECT_TRUE(lx.resources->devices[0].allow);
  bool has_null = false;
  for (const auto& device : lx.devices) has_null = has_null || device.path == "/dev/null";
  EXPECT_TRUE(has_null);
  EXPECT_TRUE(contains(find_mount(privileged.spec, "/sys")->options, "rw"));
}

TEST_F(SpecBuildTest, SeccompOptions) {
  inputs_.config.security_opt = {"seccomp=unconfined"};
  EXPECT_FALSE(build().spec.linux_config->seccomp.has_value());

  std::string profile_path = dir_ + "/profile.json";
  ASSERT_TRUE(write_file_atomic(profile_path,
                                R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
                                    "archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}],
                                    "syscalls":[{"names":["read","write","execve"],"action":"SCMP_ACT_ALLOW"},
                                                {"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}]})",
                                0644)
                  .has_value());
  inputs_.config.security_opt = {"seccomp=" + profile_path};
  BuiltSpec from_file = build();
  ASSERT_TRUE(from_file.spec.linux_config->seccomp.has_value());
  const oci::Seccomp& seccomp = *from_file.spec.linux_config->seccomp;
  ASSERT_EQ(seccomp.syscalls.size(), 1u);
  EXPECT_EQ(seccomp.syscalls[0].names, (Strings{"read", "write", "execve"}));

  inputs_.config.security_opt = {"seccomp=" + dir_ + "/missing.json"};
  EXPECT_NE(build_error().find("--security-opt seccomp=" + dir_ + "/missing.json"),
            std::string::npos);
  ASSERT_TRUE(write_file_atomic(profile_path, "{nope", 0644).has_value());
  inputs_.config.security_opt = {"seccomp:" + profile_path};
  EXPECT_NE(build_error().find("invalid JSON"), std::string::npos);
}

TEST_F(SpecBuildTest, HostNetworkAndInit) {
  std::string init = dir_ + "/init";
  ASSERT_TRUE(write_file_atomic(init, "#!/bin/sh\n", 0755).has_value());
  inputs_.config.network = "host";
  inputs_.config.init = true;
  inputs_.init_path = init;
  BuiltSpec built = build();
  EXPECT_FALSE(built.spec.linux_config->has_namespace(oci::NamespaceType::kNetwork));
  EXPECT_TRUE(built.spec.linux_config->has_namespace(oci::NamespaceType::kUts));
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  EXPECT_EQ(built.spec.hostname, host);
  EXPECT_EQ(built.spec.process->args, (Strings{"/run/podman-init", "--", "sh"}));
  const oci::Mount* init_mount = find_mount(built.spec, "/run/podman-init");
  ASSERT_NE(init_mount, nullptr);
  EXPECT_EQ(init_mount->source, init);
  EXPECT_TRUE(contains(init_mount->options, "ro"));

  inputs_.init_path.clear();
  EXPECT_NE(build_error().find("--init"), std::string::npos);
}

TEST_F(SpecBuildTest, Rootless) {
  inputs_.rootless = true;
  BuiltSpec built = build();
  const oci::Linux& lx = *built.spec.linux_config;
  EXPECT_TRUE(lx.has_namespace(oci::NamespaceType::kUser));
  ASSERT_EQ(lx.uid_mappings.size(), 1u);
  EXPECT_EQ(lx.uid_mappings[0].container_id, 0u);
  EXPECT_EQ(lx.uid_mappings[0].host_id, ::geteuid());
  EXPECT_TRUE(lx.resources->devices.empty());
  EXPECT_TRUE(built.spec.process->user.additional_gids.empty());
  EXPECT_FALSE(contains(find_mount(built.spec, "/dev/pts")->options, "gid=5"));

  // Resource limits: kept on cgroup v2, dropped with a warning on v1 (as podman does).
  inputs_.config.resources.memory = 64 << 20;
  BuiltSpec limited = build();
  struct stat st {};
  bool v2 = ::stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
  EXPECT_EQ(limited.spec.linux_config->resources->memory.has_value(), v2);
  EXPECT_EQ(limited.warnings.empty(), v2);

  inputs_.config.user = "app";
  EXPECT_NE(build_error().find("not mapped"), std::string::npos);
}

TEST_F(SpecBuildTest, RootlessInsideKrillsUserNamespace) {
  inputs_.rootless = true;
  SharedUserNamespace shared;
  shared.uids = {{0, 1000, 1}, {1, 3100000, 65536}};
  shared.gids = shared.uids;
  shared.setgroups_allowed = true;
  inputs_.shared_user_namespace = shared;
  inputs_.config.user = "1000:1000";
  inputs_.config.group_add = {"5"};
  BuiltSpec built = build();
  const oci::Linux& lx = *built.spec.linux_config;
  // The container shares the namespace: no user namespace of its own, image users as they are.
  EXPECT_FALSE(lx.has_namespace(oci::NamespaceType::kUser));
  EXPECT_TRUE(lx.uid_mappings.empty());
  EXPECT_EQ(built.spec.process->user.uid, 1000u);
  const auto& gids = built.spec.process->user.additional_gids;
  EXPECT_NE(std::find(gids.begin(), gids.end(), 5u), gids.end());
  EXPECT_TRUE(lx.resources->devices.empty());
  EXPECT_TRUE(contains(find_mount(built.spec, "/dev/pts")->options, "gid=5"));

  // Without subordinate group ids: setgroups is denied and gid 5 is not mapped.
  inputs_.shared_user_namespace->setgroups_allowed = false;
  inputs_.shared_user_namespace->gids = {{0, 1000, 1}};
  inputs_.config.user = "0:0";
  BuiltSpec single = build();
  EXPECT_TRUE(single.spec.process->user.additional_gids.empty());
  EXPECT_FALSE(contains(find_mount(single.spec, "/dev/pts")->options, "gid=5"));
  EXPECT_FALSE(single.warnings.empty());

  inputs_.config.group_add.clear();
  inputs_.config.user = "70000";
  EXPECT_NE(build_error().find("uid 70000 is not mapped in the rootless user namespace"),
            std::string::npos);
}

TEST(SpecEtcFilesTest, HostsContent) {
  std::vector<spec_detail::HostEntry> extra = {{"db", "10.0.0.5"}, {"v6", "fd00::1"}};
  std::string hosts = spec_detail::hosts_content("box", extra, false, "");
  EXPECT_EQ(hosts,
            "127.0.0.1\tlocalhost\n"
            "::1\tlocalhost ip6-localhost ip6-loopback\n"
            "fe00::0\tip6-localnet\n"
            "ff00::0\tip6-mcastprefix\n"
            "ff02::1\tip6-allnodes\n"
            "ff02::2\tip6-allrouters\n"
            "10.0.0.5\tdb\n"
            "fd00::1\tv6\n"
            "127.0.0.1\tbox\n");
  EXPECT_EQ(spec_detail::hosts_content("box", extra, true, "127.0.0.1 localhost"),
            "127.0.0.1 localhost\n10.0.0.5\tdb\nfd00::1\tv6\n");
}

TEST(SpecEtcFilesTest, AddHostParsing) {
  auto colon = spec_detail::parse_add_host("db:10.0.0.5", false);
  ASSERT_TRUE(colon.has_value());
  EXPECT_EQ(colon->name, "db");
  EXPECT_EQ(colon->address, "10.0.0.5");
  auto v6 = spec_detail::parse_add_host("v6:::1", false);
  ASSERT_TRUE(v6.has_value()) << v6.error().message();
  EXPECT_EQ(v6->address, "::1");
  auto equals = spec_detail::parse_add_host("v6=[fd00::2]", false);
  ASSERT_TRUE(equals.has_value()) << equals.error().message();
  EXPECT_EQ(equals->address, "fd00::2");
  EXPECT_EQ(spec_detail::parse_add_host("gw:host-gateway", true)->address, "127.0.0.1");
  EXPECT_FALSE(spec_detail::parse_add_host("gw:host-gateway", false).has_value());
  EXPECT_EQ(spec_detail::parse_add_host("gw:host-gateway", false, "10.90.0.1")->address,
            "10.90.0.1");
  auto bad = spec_detail::parse_add_host("db:not-an-ip", false);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message().rfind("--add-host db:not-an-ip", 0), 0u);
  EXPECT_FALSE(spec_detail::parse_add_host("noseparator", false).has_value());
  EXPECT_FALSE(spec_detail::parse_add_host(":1.2.3.4", false).has_value());
}

TEST(SpecEtcFilesTest, ResolvConfFromHost) {
  const char* host =
      "# comment\n"
      "nameserver 127.0.0.53\n"
      "nameserver 10.1.2.3\n"
      "nameserver ::1\n"
      "nameserver 2001:db8::53\n"
      "search example.com corp.example\n"
      "options ndots:2 edns0\n";
  ContainerConfig config;
  EXPECT_EQ(spec_detail::resolv_conf_content(config, false, host),
            "# Generated by krill\n"
            "nameserver 10.1.2.3\n"
            "nameserver 2001:db8::53\n"
            "search example.com corp.example\n"
            "options ndots:2 edns0\n");
  // On the host's network, loopback resolvers work: kept.
  EXPECT_NE(spec_detail::resolv_conf_content(config, true, host).find("nameserver 127.0.0.53"),
            std::string::npos);
}

TEST(SpecEtcFilesTest, ResolvConfOnlyLoopbackLeavesNoNameserver) {
  ContainerConfig config;
  std::string out = spec_detail::resolv_conf_content(config, false, "nameserver 127.0.0.1\n");
  EXPECT_EQ(out.find("nameserver"), std::string::npos);
  EXPECT_EQ(out.find("8.8.8.8"), std::string::npos);
}

TEST(SpecEtcFilesTest, ResolvConfFlagsOverride) {
  ContainerConfig config;
  config.dns_servers = {"192.0.2.1", "192.0.2.2"};
  config.dns_search = {"a.example"};
  config.dns_options = {"ndots:1"};
  EXPECT_EQ(
      spec_detail::resolv_conf_content(config, false, "nameserver 10.0.0.1\nsearch host.example\n"),
      "# Generated by krill\n"
      "nameserver 192.0.2.1\n"
      "nameserver 192.0.2.2\n"
      "search a.example\n"
      "options ndots:1\n");
  ContainerConfig dot;
  dot.dns_search = {"."};
  EXPECT_EQ(spec_detail::resolv_conf_content(dot, false, "nameserver 10.0.0.1\nsearch h.example\n"),
            "# Generated by krill\nnameserver 10.0.0.1\n");
}

TEST(SpecMountsTest, MergeTmpfsOptions) {
  EXPECT_EQ(spec_detail::merge_tmpfs_options(
                {"noexec", "nosuid", "nodev", "rprivate", "exec", "size=1m", "size=2m", "rshared"}),
            (Strings{"nosuid", "nodev", "exec", "size=2m", "rshared"}));
}

}  // namespace
}  // namespace krill::engine
