#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "full_config.h"
#include "oci/spec_json.h"

namespace krill::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Spec parse_ok(std::string_view text) {
  auto spec = parse_spec(text);
  EXPECT_TRUE(spec.has_value()) << spec.error().message();
  return spec ? *spec : Spec{};
}

// The error message of a config that must fail to parse.
std::string parse_error(std::string_view text) {
  auto spec = parse_spec(text);
  EXPECT_FALSE(spec.has_value()) << "parsed: " << text;
  return spec ? std::string() : spec.error().message();
}

TEST(ParseSpec, ReadsProcess) {
  Spec spec = parse_ok(testing::kFullConfig);
  EXPECT_EQ(spec.oci_version, "1.3.0");
  ASSERT_TRUE(spec.process);
  const Process& p = *spec.process;
  EXPECT_TRUE(p.terminal);
  ASSERT_TRUE(p.console_size);
  EXPECT_EQ(p.console_size->height, 25u);
  EXPECT_EQ(p.console_size->width, 80u);
  EXPECT_EQ(p.user.uid, 1u);
  EXPECT_EQ(p.user.gid, 2u);
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_THAT(p.user.additional_gids, ElementsAre(5u, 6u));
  EXPECT_EQ(p.user.username, "me");
  EXPECT_THAT(p.args, ElementsAre("sh", "-c", "true"));
  EXPECT_EQ(p.command_line, "sh -c true");
  EXPECT_THAT(p.env, ElementsAre("PATH=/bin", "TERM=xterm"));
  EXPECT_EQ(p.cwd, "/root");
  ASSERT_TRUE(p.capabilities);
  EXPECT_THAT(p.capabilities->effective, ElementsAre("CAP_KILL", "CAP_CHOWN"));
  EXPECT_THAT(p.capabilities->inheritable, ElementsAre("CAP_NET_RAW"));
  EXPECT_THAT(p.capabilities->ambient, ElementsAre("CAP_BPF"));
  ASSERT_EQ(p.rlimits.size(), 2u);
  EXPECT_EQ(p.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(p.rlimits[0].soft, 1024u);
  EXPECT_EQ(p.rlimits[0].hard, 4096u);
  EXPECT_EQ(p.rlimits[1].hard, UINT64_MAX);
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.apparmor_profile, "acme");
  EXPECT_EQ(p.oom_score_adj, -500);
  EXPECT_THAT(p.selinux_label, HasSubstr("svirt_lxc_net_t"));
  ASSERT_TRUE(p.scheduler);
  EXPECT_EQ(p.scheduler->policy, "SCHED_DEADLINE");
  EXPECT_EQ(p.scheduler->nice, -5);
  EXPECT_EQ(p.scheduler->priority, 3);
  EXPECT_THAT(p.scheduler->flags, ElementsAre("SCHED_FLAG_RESET_ON_FORK"));
  EXPECT_EQ(p.scheduler->runtime, 10u);
  EXPECT_EQ(p.scheduler->deadline, 20u);
  EXPECT_EQ(p.scheduler->period, 30u);
  ASSERT_TRUE(p.io_priority);
  EXPECT_EQ(p.io_priority->io_class, "IOPRIO_CLASS_IDLE");
  EXPECT_EQ(p.io_priority->priority, 4);
  ASSERT_TRUE(p.exec_cpu_affinity);
  EXPECT_EQ(p.exec_cpu_affinity->initial, "7");
  EXPECT_EQ(p.exec_cpu_affinity->final_cpus, "0-3,7");
}

TEST(ParseSpec, ReadsRootMountsHooksAnnotations) {
  Spec spec = parse_ok(testing::kFullConfig);
  ASSERT_TRUE(spec.root);
  EXPECT_EQ(spec.root->path, "rootfs");
  EXPECT_TRUE(spec.root->readonly);
  EXPECT_EQ(spec.hostname, "box");
  EXPECT_EQ(spec.domainname, "example.test");
  ASSERT_EQ(spec.mounts.size(), 2u);
  EXPECT_EQ(spec.mounts[0].destination, "/proc");
  EXPECT_EQ(spec.mounts[0].type, "proc");
  EXPECT_TRUE(spec.mounts[0].options.empty());
  EXPECT_THAT(spec.mounts[1].options, ElementsAre("rbind", "idmap"));
  ASSERT_EQ(spec.mounts[1].uid_mappings.size(), 1u);
  EXPECT_EQ(spec.mounts[1].uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(spec.mounts[1].gid_mappings[0].host_id, 200000u);
  EXPECT_EQ(spec.mounts[1].gid_mappings[0].size, 65536u);
  ASSERT_EQ(spec.hooks.prestart.size(), 1u);
  EXPECT_EQ(spec.hooks.prestart[0].path, "/bin/pre");
  EXPECT_THAT(spec.hooks.prestart[0].args, ElementsAre("pre", "1"));
  EXPECT_THAT(spec.hooks.prestart[0].env, ElementsAre("A=1"));
  EXPECT_EQ(spec.hooks.prestart[0].timeout, 5);
  EXPECT_EQ(spec.hooks.create_runtime.at(0).path, "/bin/cr");
  EXPECT_EQ(spec.hooks.create_container.at(0).path, "/bin/cc");
  EXPECT_EQ(spec.hooks.start_container.at(0).path, "/bin/sc");
  EXPECT_EQ(spec.hooks.poststart.at(0).timeout, 1);
  EXPECT_FALSE(spec.hooks.poststop.at(0).timeout);
  EXPECT_EQ(spec.annotations.at("com.example.key"), "value");
}

TEST(ParseSpec, ReadsLinux) {
  Spec spec = parse_ok(testing::kFullConfig);
  ASSERT_TRUE(spec.linux_config);
  const Linux& l = *spec.linux_config;
  ASSERT_EQ(l.devices.size(), 2u);
  EXPECT_EQ(l.devices[0].type, "c");
  EXPECT_EQ(l.devices[0].major, 10);
  EXPECT_EQ(l.devices[0].minor, 229);
  EXPECT_EQ(l.devices[0].file_mode, 438u);
  EXPECT_EQ(l.devices[0].uid, 0u);
  EXPECT_FALSE(l.devices[1].uid);
  EXPECT_EQ(l.net_devices.at("eth1").name, "ctr1");
  EXPECT_EQ(l.net_devices.at("ens4").name, "");
  EXPECT_EQ(l.uid_mappings.at(0).size, 32000u);
  EXPECT_EQ(l.sysctl.at("net.ipv4.ip_forward"), "1");
  EXPECT_EQ(l.cgroups_path, "/krill/c1");
  EXPECT_EQ(l.rootfs_propagation, "slave");
  ASSERT_EQ(l.namespaces.size(), 8u);
  EXPECT_EQ(l.namespaces[1].type, NamespaceType::kNetwork);
  EXPECT_EQ(l.namespaces[1].path, "/var/run/netns/a");
  EXPECT_EQ(l.namespaces[7].type, NamespaceType::kTime);
  EXPECT_TRUE(l.has_namespace(NamespaceType::kCgroup));
  EXPECT_EQ(l.time_offsets.at("boottime").secs, -604800);
  EXPECT_EQ(l.time_offsets.at("monotonic").nanosecs, 999999999u);
  EXPECT_THAT(l.masked_paths, ElementsAre("/proc/kcore"));
  EXPECT_THAT(l.readonly_paths, ElementsAre("/proc/sys"));
  EXPECT_THAT(l.mount_label, HasSubstr("c715"));
  ASSERT_TRUE(l.intel_rdt);
  EXPECT_EQ(l.intel_rdt->clos_id, "guaranteed");
  EXPECT_EQ(l.intel_rdt->l3_cache_schema, "L3:0=7f0;1=1f");
  EXPECT_EQ(l.intel_rdt->mem_bw_schema, "MB:0=20;1=70");
  EXPECT_THAT(l.intel_rdt->schemata, ElementsAre("L2:0=f"));
  EXPECT_TRUE(l.intel_rdt->enable_monitoring);
  ASSERT_TRUE(l.personality);
  EXPECT_EQ(l.personality->domain, "LINUX32");
  ASSERT_TRUE(l.memory_policy);
  EXPECT_EQ(l.memory_policy->mode, "MPOL_INTERLEAVE");
  EXPECT_EQ(l.memory_policy->nodes, "2-3");
  EXPECT_THAT(l.memory_policy->flags, ElementsAre("MPOL_F_STATIC_NODES"));

  ASSERT_TRUE(l.seccomp);
  const Seccomp& s = *l.seccomp;
  EXPECT_EQ(s.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(s.default_errno_ret, 1u);
  EXPECT_THAT(s.architectures, ElementsAre("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"));
  EXPECT_THAT(s.flags, ElementsAre("SECCOMP_FILTER_FLAG_LOG"));
  EXPECT_EQ(s.listener_path, "/run/agent.sock");
  EXPECT_EQ(s.listener_metadata, "meta");
  ASSERT_EQ(s.syscalls.size(), 3u);
  EXPECT_THAT(s.syscalls[0].names, ElementsAre("read", "write"));
  EXPECT_FALSE(s.syscalls[0].errno_ret);
  EXPECT_EQ(s.syscalls[1].errno_ret, 38u);
  ASSERT_EQ(s.syscalls[1].args.size(), 2u);
  EXPECT_EQ(s.syscalls[1].args[0].value_two, 255u);
  EXPECT_EQ(s.syscalls[1].args[0].op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(s.syscalls[1].args[1].value, UINT64_MAX);
  EXPECT_EQ(s.syscalls[1].args[1].value_two, 0u);
}

TEST(ParseSpec, ReadsResources) {
  Spec spec = parse_ok(testing::kFullConfig);
  ASSERT_TRUE(spec.linux_config && spec.linux_config->resources);
  const Resources& r = *spec.linux_config->resources;
  ASSERT_EQ(r.devices.size(), 3u);
  EXPECT_FALSE(r.devices[0].allow);
  EXPECT_EQ(r.devices[0].type, "");
  EXPECT_FALSE(r.devices[0].major);
  EXPECT_EQ(r.devices[0].access, "rwm");
  EXPECT_EQ(r.devices[1].major, 10);
  EXPECT_EQ(r.devices[2].major, 8);
  EXPECT_FALSE(r.devices[2].minor);
  ASSERT_TRUE(r.memory);
  EXPECT_EQ(r.memory->limit, INT64_MAX);
  EXPECT_EQ(r.memory->reservation, 1024);
  EXPECT_EQ(r.memory->swap, -1);
  EXPECT_EQ(r.memory->kernel, -1);
  EXPECT_EQ(r.memory->kernel_tcp, 0);
  EXPECT_EQ(r.memory->swappiness, 60u);
  EXPECT_EQ(r.memory->disable_oom_killer, true);
  EXPECT_EQ(r.memory->use_hierarchy, false);
  EXPECT_EQ(r.memory->check_before_update, true);
  ASSERT_TRUE(r.cpu);
  EXPECT_EQ(r.cpu->shares, 1024u);
  EXPECT_EQ(r.cpu->quota, -1);
  EXPECT_EQ(r.cpu->burst, 5000u);
  EXPECT_EQ(r.cpu->period, 100000u);
  EXPECT_EQ(r.cpu->realtime_runtime, 950000);
  EXPECT_EQ(r.cpu->realtime_period, 1000000u);
  EXPECT_EQ(r.cpu->cpus, "2-3");
  EXPECT_EQ(r.cpu->mems, "0");
  EXPECT_EQ(r.cpu->idle, 1);
  ASSERT_TRUE(r.pids);
  EXPECT_EQ(r.pids->limit, -1);
  ASSERT_TRUE(r.block_io);
  EXPECT_EQ(r.block_io->weight, 10);
  EXPECT_EQ(r.block_io->leaf_weight, 20);
  ASSERT_EQ(r.block_io->weight_device.size(), 2u);
  EXPECT_EQ(r.block_io->weight_device[0].leaf_weight, 300);
  EXPECT_FALSE(r.block_io->weight_device[1].leaf_weight);
  EXPECT_EQ(r.block_io->throttle_read_bps_device.at(0).rate, 600u);
  EXPECT_EQ(r.block_io->throttle_write_bps_device.at(0).rate, 700u);
  EXPECT_EQ(r.block_io->throttle_read_iops_device.at(0).rate, 800u);
  EXPECT_EQ(r.block_io->throttle_write_iops_device.at(0).minor, 16);
  ASSERT_EQ(r.hugepage_limits.size(), 1u);
  EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(r.hugepage_limits[0].limit, 9223372036854772000u);
  ASSERT_TRUE(r.network);
  EXPECT_EQ(r.network->class_id, 1048577u);
  EXPECT_EQ(r.network->priorities.at(0).name, "eth0");
  EXPECT_EQ(r.network->priorities.at(0).priority, 500u);
  EXPECT_EQ(r.rdma.at("mlx5_1").hca_handles, 3u);
  EXPECT_FALSE(r.rdma.at("rxe3").hca_handles);
  EXPECT_EQ(r.rdma.at("rxe3").hca_objects, 1u);
  EXPECT_EQ(r.unified.at("memory.high"), "max");
}

TEST(ParseSpec, MinimalConfigLeavesDefaults) {
  Spec spec = parse_ok(R"({"ociVersion": "1.0.0"})");
  EXPECT_FALSE(spec.process);
  EXPECT_FALSE(spec.root);
  EXPECT_FALSE(spec.linux_config);
  EXPECT_TRUE(spec.mounts.empty());
}

TEST(ParseSpec, IgnoresUnknownFieldsAndNulls) {
  Spec spec = parse_ok(R"({"ociVersion": "1.0.0", "future": {"x": [1]},
      "windows": {"layerFolders": []}, "hostname": null,
      "process": {"cwd": "/", "args": ["sh"], "newThing": true, "env": null},
      "linux": {"namespaces": [{"type": "pid", "extra": 1}], "seccomp": null}})");
  EXPECT_EQ(spec.hostname, "");
  ASSERT_TRUE(spec.process);
  EXPECT_TRUE(spec.process->env.empty());
  ASSERT_TRUE(spec.linux_config);
  EXPECT_FALSE(spec.linux_config->seccomp);
  EXPECT_EQ(spec.linux_config->namespaces.at(0).type, NamespaceType::kPid);
}

TEST(ParseSpecErrors, InvalidJsonSaysWhere) {
  std::string error = parse_error("{\"ociVersion\": \"1.0.0\",]");
  EXPECT_THAT(error, StartsWith("config.json is not valid JSON"));
  EXPECT_THAT(error, HasSubstr("byte 24"));
  EXPECT_THAT(parse_error(""), HasSubstr("config.json is not valid JSON"));
  EXPECT_THAT(parse_error("{} trailing"), HasSubstr("config.json is not valid JSON"));
}

TEST(ParseSpecErrors, TopLevelMustBeAnObject) {
  EXPECT_EQ(parse_error("[1, 2]"), "expected a JSON object, got array");
}

TEST(ParseSpecErrors, MissingRequiredFields) {
  EXPECT_EQ(parse_error("{}"), "ociVersion: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": null})"), "ociVersion: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "root": {}})"),
            "root.path: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "process": {"args": ["sh"]}})"),
            "process.cwd: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "user": {"uid": 0}}})"),
            "process.user.gid: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "mounts": [{"destination": "/a"}, {}]})"),
            "mounts[1].destination: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "hooks": {"poststop": [{"args": []}]}})"),
            "hooks.poststop[0].path: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"namespaces": [{"path": "/x"}]}})"),
            "linux.namespaces[0].type: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "linux": {"uidMappings": [{"containerID": 0, "hostID": 1}]}})"),
            "linux.uidMappings[0].size: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "linux": {"devices": [{"type": "c", "path": "/dev/x", "major": 1}]}})"),
            "linux.devices[0].minor: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"resources": {"pids": {}}}})"),
            "linux.resources.pids.limit: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"resources": {
                "devices": [{"access": "rwm"}]}}})"),
            "linux.resources.devices[0].allow: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"seccomp": {"syscalls": []}}})"),
            "linux.seccomp.defaultAction: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"seccomp": {
                "defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG",
                              "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]}]}}})"),
            "linux.seccomp.syscalls[0].args[0].value: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "ioPriority": {"class": "IOPRIO_CLASS_BE"}}})"),
            "process.ioPriority.priority: missing required field");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "rlimits": [{"type": "RLIMIT_CPU", "soft": 1}]}})"),
            "process.rlimits[0].hard: missing required field");
}

TEST(ParseSpecErrors, FifoDevicesNeedNoNumbers) {
  Spec spec = parse_ok(R"({"ociVersion": "1.0.0",
      "linux": {"devices": [{"type": "p", "path": "/dev/fifo"}]}})");
  EXPECT_EQ(spec.linux_config->devices.at(0).major, 0);
}

TEST(ParseSpecErrors, WrongTypes) {
  EXPECT_EQ(parse_error(R"({"ociVersion": 1})"), "ociVersion: expected a string, got number");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "user": {"uid": "0", "gid": 0}}})"),
            "process.user.uid: expected an unsigned integer, got string");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "process": {"cwd": "/", "terminal": "yes"}})"),
            "process.terminal: expected a boolean, got string");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "process": {"cwd": "/", "args": "sh"}})"),
            "process.args: expected an array, got string");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "process": {"cwd": "/", "args": ["sh", 1]}})"),
            "process.args[1]: expected a string, got number");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "process": []})"),
            "process: expected an object, got array");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "annotations": {"a": 1}})"),
            "annotations[\"a\"]: expected a string, got number");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"sysctl": []}})"),
            "linux.sysctl: expected an object, got array");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "linux": {"resources": {"memory": {"disableOOMKiller": 1}}}})"),
            "linux.resources.memory.disableOOMKiller: expected a boolean, got number");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "linux": {"resources": {"memory": {"limit": "1G"}}}})"),
            "linux.resources.memory.limit: expected an integer, got string");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "linux": {"resources": {"cpu": {"shares": 1.5}}}})"),
            "linux.resources.cpu.shares: expected an unsigned integer, got number 1.5");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"timeOffsets": {
                "monotonic": {"secs": true}}}})"),
            "linux.timeOffsets[\"monotonic\"].secs: expected an integer, got boolean");
}

TEST(ParseSpecErrors, NumbersOutOfRange) {
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "user": {"uid": -1, "gid": 0}}})"),
            "process.user.uid: value -1 is out of range (0..4294967295)");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "user": {"uid": 4294967296, "gid": 0}}})"),
            "process.user.uid: value 4294967296 is out of range (0..4294967295)");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "linux": {"resources": {"blockIO": {"weight": 65536}}}})"),
            "linux.resources.blockIO.weight: value 65536 is out of range (0..65535)");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "linux": {"resources": {"memory": {"limit": 9223372036854775808}}}})"),
            "linux.resources.memory.limit: value 9223372036854775808 is out of range "
            "(-9223372036854775808..9223372036854775807)");
  EXPECT_THAT(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "rlimits": [{"type": "RLIMIT_CPU", "soft": 1,
                "hard": 18446744073709551616}]}})"),
              StartsWith("process.rlimits[0].hard: value "));
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "oomScoreAdj": 2147483648}})"),
            "process.oomScoreAdj: value 2147483648 is out of range (-2147483648..2147483647)");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "oomScoreAdj": -2147483649}})"),
            "process.oomScoreAdj: value -2147483649 is out of range (-2147483648..2147483647)");
}

TEST(ParseSpecErrors, InvalidEnumValues) {
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"namespaces": [
                {"type": "pid"}, {"type": "ipc"}, {"type": "foo"}]}})"),
            "linux.namespaces[2].type: unknown namespace type \"foo\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"rootfsPropagation": "up"}})"),
            "linux.rootfsPropagation: unknown rootfs propagation \"up\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "linux": {"devices": [{"type": "x", "path": "/dev/x"}]}})"),
            "linux.devices[0].type: unknown device type \"x\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "linux": {"seccomp": {"defaultAction": "SCMP_ACT_MAYBE"}}})"),
            "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_MAYBE\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"seccomp": {
                "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]}}})"),
            "linux.seccomp.architectures[0]: unknown seccomp architecture \"SCMP_ARCH_Z80\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"seccomp": {
                "defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_X"]}}})"),
            "linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_X\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"seccomp": {
                "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
                "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1,
                "op": "SCMP_CMP_ABOUT"}]}]}}})"),
            "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_ABOUT\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"seccomp": {
                "defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [],
                "action": "SCMP_ACT_ERRNO"}]}}})"),
            "linux.seccomp.syscalls[0].names: must contain at least one syscall name");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "ioPriority": {"class": "RT", "priority": 0}}})"),
            "process.ioPriority.class: unknown I/O priority class \"RT\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "scheduler": {"policy": "SCHED_FAST"}}})"),
            "process.scheduler.policy: unknown scheduler policy \"SCHED_FAST\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "rlimits": [{"type": "nofile", "soft": 1, "hard": 1}]}})"),
            "process.rlimits[0].type: invalid rlimit type \"nofile\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "linux": {"memoryPolicy": {"mode": "MPOL_ANY"}}})"),
            "linux.memoryPolicy.mode: unknown memory policy mode \"MPOL_ANY\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "linux": {"personality": {"domain": "BSD"}}})"),
            "linux.personality.domain: unknown personality domain \"BSD\"");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0", "linux": {"resources": {
                "devices": [{"allow": true, "access": "rwx"}]}}})"),
            "linux.resources.devices[0].access: invalid device access \"rwx\" "
            "(a subset of \"rwm\" is expected)");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "hooks": {"prestart": [{"path": "/x", "timeout": 0}]}})"),
            "hooks.prestart[0].timeout: must be greater than zero, got 0");
  EXPECT_EQ(parse_error(R"({"ociVersion": "1.0.0",
                "process": {"cwd": "/", "execCPUAffinity": {"initial": "a"}}})"),
            "process.execCPUAffinity.initial: invalid CPU list \"a\"");
}

TEST(LoadSpecFile, PrefixesErrorsWithThePath) {
  std::string dir = ::testing::TempDir();
  std::string path = dir + "/krill_oci_load_spec_test.json";
  {
    FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(R"({"ociVersion": "1.0.0", "linux": {"namespaces": [{"type": "pid"},
        {"type": "ipc"}, {"type": "foo"}]}})",
               f);
    std::fclose(f);
  }
  auto spec = load_spec_file(path);
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message(),
            path + ": linux.namespaces[2].type: unknown namespace type \"foo\"");
  std::remove(path.c_str());

  auto missing = load_spec_file(dir + "/no/such/config.json");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), HasSubstr("no/such/config.json"));
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
}

TEST(NamespaceType, NamesRoundTrip) {
  for (auto type :
       {NamespaceType::kPid, NamespaceType::kNetwork, NamespaceType::kMount, NamespaceType::kIpc,
        NamespaceType::kUts, NamespaceType::kUser, NamespaceType::kCgroup, NamespaceType::kTime}) {
    auto parsed = parse_namespace_type(to_string(type));
    ASSERT_TRUE(parsed) << to_string(type);
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_STREQ(to_string(NamespaceType::kNetwork), "network");
  EXPECT_STREQ(to_string(NamespaceType::kTime), "time");
  EXPECT_FALSE(parse_namespace_type("net"));
  EXPECT_EQ(parse_namespace_type("net").error().message(), "unknown namespace type \"net\"");
}

TEST(StatusNames, AreTheSpecOnes) {
  EXPECT_STREQ(to_string(Status::kCreating), "creating");
  EXPECT_STREQ(to_string(Status::kCreated), "created");
  EXPECT_STREQ(to_string(Status::kRunning), "running");
  EXPECT_STREQ(to_string(Status::kStopped), "stopped");
  EXPECT_STREQ(to_string(Status::kPaused), "paused");
}

}  // namespace
}  // namespace krill::oci
