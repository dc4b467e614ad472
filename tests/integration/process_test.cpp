// The container process: config.md "Process", "Hostname", "Domainname"; config-linux.md
// "Sysctl", "Seccomp", "Personality".
#include <errno.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include "harness.h"

namespace krill::it {
namespace {

std::set<std::string> as_set(const json& array) {
  std::set<std::string> out;
  for (const auto& item : array) out.insert(item.get<std::string>());
  return out;
}

bool contains(const json& array, const json& value) {
  return std::find(array.begin(), array.end(), value) != array.end();
}

// config.md Hostname / config.md Domainname.
TEST(Process, HostnameAndDomainname) {
  Bundle bundle;
  bundle.config["hostname"] = "kit-host";
  bundle.config["domainname"] = "kit.example";
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  EXPECT_EQ(probe.report["hostname"], "kit-host");
  if (runtime_is_runc() && probe.report["domainname"] != "kit.example")
    GTEST_SKIP() << "runc 1.1 deviates: it ignores config.md domainname";
  EXPECT_EQ(probe.report["domainname"], "kit.example");
}

// config.md Process: args are passed exactly; cwd is the working directory; env is the
// environment.
TEST(Process, ArgsCwdEnv) {
  Bundle bundle;
  bundle.config["process"]["cwd"] = "/tmp";
  bundle.config["process"]["env"] = {"PATH=/bin", "KIT_A=1", "KIT_B=with space",
                                     "KRILL_IT_MARKER=" + process_marker()};
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  EXPECT_EQ(probe.report["cwd"], "/tmp");
  for (const char* entry : {"PATH=/bin", "KIT_A=1", "KIT_B=with space"})
    EXPECT_TRUE(contains(probe.report["env"], entry)) << entry;

  bundle.set_args({"/probe", "echo", "one two", "", "three"});
  Container c(bundle);
  CommandResult r = c.run();
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "one two  three\n");
}

// config.md Process: a cwd that does not exist in the rootfs is created, as runc creates it
// (engines rely on it), even under root.readonly, before the switch to the process's user.
TEST(Process, MissingCwdIsCreated) {
  Bundle bundle;
  bundle.config["root"]["readonly"] = true;
  bundle.config["process"]["cwd"] = "/kit/work";
  bundle.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  EXPECT_EQ(probe.report["cwd"], "/kit/work");
  struct stat st {};
  ASSERT_EQ(stat((bundle.rootfs() + "/kit/work").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_uid, container_root_host_uid()) << "made by the container's root";
}

// CVE-2024-21626 rules for the created cwd: it is resolved inside the rootfs, so a symlink
// climbing out (absolute or with "..") lands inside it and nothing is made on the host.
TEST(Process, CreatedCwdStaysInsideTheRootfs) {
  TempDir outside("cwd-outside");
  Bundle bundle;
  std::string climb;
  for (int i = 0; i < 12; ++i) climb += "../";
  ASSERT_EQ(symlink((climb + outside.path().substr(1)).c_str(), (bundle.rootfs() + "/up").c_str()),
            0);
  ASSERT_EQ(symlink(outside.path().c_str(), (bundle.rootfs() + "/abs").c_str()), 0);
  for (const std::string cwd : {"/up/escaped", "/abs/escaped"}) {
    bundle.config["process"]["cwd"] = cwd;
    ProbeRun probe = run_probe(bundle);
    ASSERT_TRUE(probe.ok()) << cwd << "\n" << probe.result.describe();
    EXPECT_EQ(probe.report["cwd"], outside.path() + "/escaped") << cwd;
    EXPECT_FALSE(path_exists(outside.path() + "/escaped")) << cwd << " was made on the host";
    EXPECT_TRUE(path_exists(bundle.rootfs() + outside.path() + "/escaped")) << cwd;
    remove_tree(bundle.rootfs() + outside.path() + "/escaped");
  }
}

// A cwd that cannot be made (a file is in the way) fails the create, naming the field.
TEST(Process, CwdBlockedByAFileFails) {
  Bundle bundle;
  write_file(bundle.rootfs() + "/blocker", "x");
  bundle.config["process"]["cwd"] = "/blocker/sub";
  Container c(bundle);
  CommandResult r = c.create();
  EXPECT_NE(r.exit_code, 0) << r.describe();
  if (!runtime_is_runc()) {
    EXPECT_NE(r.err.find("cwd"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(c.state().ok());
}

// config.md User: uid, gid, additionalGids and umask.
TEST(Process, UserGroupsUmask) {
  Bundle bundle;
  bundle.config["process"]["user"] = {
      {"uid", 1000}, {"gid", 1001}, {"additionalGids", {5, 100}}, {"umask", 027}};
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  EXPECT_EQ(probe.report["uid"], 1000);
  EXPECT_EQ(probe.report["euid"], 1000);
  EXPECT_EQ(probe.report["gid"], 1001);
  EXPECT_EQ(probe.report["egid"], 1001);
  std::set<int> groups;
  for (const auto& g : probe.report["groups"]) groups.insert(g.get<int>());
  EXPECT_TRUE(groups.count(5) && groups.count(100)) << probe.report["groups"].dump();
  EXPECT_EQ(probe.report["umask"], "0027");
}

// config.md POSIX process rlimits: getrlimit matches soft and hard for each entry.
TEST(Process, Rlimits) {
  struct rlimit nofile {};
  getrlimit(RLIMIT_NOFILE, &nofile);
  uint64_t hard = std::min<uint64_t>(nofile.rlim_max, 4096);  // no CAP_SYS_RESOURCE needed
  Bundle bundle;
  bundle.config["process"]["rlimits"] = {
      {{"type", "RLIMIT_NOFILE"}, {"soft", 512}, {"hard", hard}},
      {{"type", "RLIMIT_CORE"}, {"soft", 0}, {"hard", 0}},
      {{"type", "RLIMIT_NPROC"}, {"soft", 300}, {"hard", 400}},
      {{"type", "RLIMIT_MSGQUEUE"}, {"soft", 8192}, {"hard", 8192}}};
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  for (const auto& limit : bundle.config["process"]["rlimits"]) {
    std::string type = limit["type"];
    EXPECT_EQ(probe.report["rlimits"][type]["soft"], limit["soft"]) << type;
    EXPECT_EQ(probe.report["rlimits"][type]["hard"], limit["hard"]) << type;
  }
}

// config.md rlimits: "The runtime MUST generate an error for any values which cannot be mapped
// to a relevant kernel interface."
TEST(Process, UnknownRlimitFails) {
  Bundle bundle;
  bundle.config["process"]["rlimits"].push_back({{"type", "RLIMIT_KIT"}, {"soft", 1}, {"hard", 1}});
  Container c(bundle);
  CommandResult r = c.run();
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE((r.out + r.err).find("RLIMIT_KIT"), std::string::npos) << r.describe();
}

// config.md rlimits: "If rlimits contains duplicated entries with same type, the runtime MUST
// generate an error."
TEST(Process, DuplicateRlimitFails) {
  Bundle bundle;
  bundle.config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 100}, {"hard", 100}},
                                         {{"type", "RLIMIT_NOFILE"}, {"soft", 200}, {"hard", 200}}};
  Container c(bundle);
  CommandResult r = c.run();
  if (runtime_is_runc() && r.ok())
    GTEST_SKIP() << "runc deviates from config.md: accepts duplicated rlimits";
  EXPECT_NE(r.exit_code, 0) << r.describe();
}

// config.md Linux process capabilities, root user: bounding is exact; effective and permitted
// are as configured (root keeps permitted = bounding across execve); inheritable and ambient
// exact.
TEST(Process, CapabilitiesAsRoot) {
  Bundle bundle;
  json caps = {{"bounding", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"}},
               {"effective", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"}},
               {"permitted", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"}},
               {"inheritable", {"CAP_KILL"}},
               {"ambient", {"CAP_KILL"}}};
  bundle.config["process"]["capabilities"] = caps;
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"})
    EXPECT_EQ(as_set(probe.report["capabilities"][set]), as_set(caps[set])) << set;
}

// config.md Linux process capabilities, non-root user: bounding, inheritable and ambient are
// exact; by execve(2) rules a non-root process keeps exactly its ambient set as permitted and
// effective.
TEST(Process, CapabilitiesAsUser) {
  Bundle bundle;
  json caps = {{"bounding", {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}},
               {"effective", {"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
               {"permitted", {"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
               {"inheritable", {"CAP_KILL", "CAP_NET_BIND_SERVICE"}},
               {"ambient", {"CAP_NET_BIND_SERVICE"}}};
  bundle.config["process"]["capabilities"] = caps;
  bundle.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}};
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  const json& seen = probe.report["capabilities"];
  EXPECT_EQ(as_set(seen["bounding"]), as_set(caps["bounding"]));
  EXPECT_EQ(as_set(seen["inheritable"]), as_set(caps["inheritable"]));
  EXPECT_EQ(as_set(seen["ambient"]), as_set(caps["ambient"]));
  EXPECT_EQ(as_set(seen["permitted"]), as_set(caps["ambient"]));
  EXPECT_EQ(as_set(seen["effective"]), as_set(caps["ambient"]));
}

// config.md Linux process capabilities: an empty capabilities object drops everything.
TEST(Process, NoCapabilities) {
  Bundle bundle;
  bundle.config["process"]["capabilities"] = json::object();
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"})
    EXPECT_TRUE(probe.report["capabilities"][set].empty()) << set;
}

// config.md noNewPrivileges.
TEST(Process, NoNewPrivileges) {
  for (bool value : {true, false}) {
    Bundle bundle;
    bundle.config["process"]["noNewPrivileges"] = value;
    ProbeRun probe = run_probe(bundle);
    ASSERT_TRUE(probe.ok()) << probe.result.describe();
    EXPECT_EQ(probe.report["no_new_privs"], value ? 1 : 0);
  }
}

// config.md oomScoreAdj: "If oomScoreAdj is set, the runtime MUST set oom_score_adj to the given
// value. If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj."
TEST(Process, OomScoreAdj) {
  Bundle bundle;
  bundle.config["process"]["oomScoreAdj"] = 432;
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  EXPECT_EQ(probe.report["oom_score_adj"], 432);

  Bundle unset;
  unset.config["process"].erase("oomScoreAdj");
  probe = run_probe(unset);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  int ours = std::stoi(read_file("/proc/self/oom_score_adj"));
  EXPECT_EQ(probe.report["oom_score_adj"], ours);
}

// config-linux.md Sysctl: values are set in the container (namespaced sysctls only).
TEST(Process, Sysctl) {
  Bundle bundle;
  bundle.config["linux"]["sysctl"] = {
      {"kernel.msgmax", "12345"}, {"net.ipv4.ip_forward", "1"}, {"kernel.shm_rmid_forced", "1"}};
  ProbeRun probe = run_probe(bundle, {"--sysctl", "kernel.msgmax", "--sysctl",
                                      "net.ipv4.ip_forward", "--sysctl", "kernel.shm_rmid_forced"});
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  EXPECT_EQ(probe.report["sysctl"]["kernel.msgmax"], "12345");
  EXPECT_EQ(probe.report["sysctl"]["net.ipv4.ip_forward"], "1");
  EXPECT_EQ(probe.report["sysctl"]["kernel.shm_rmid_forced"], "1");
  EXPECT_NE(read_file("/proc/sys/kernel/msgmax"), "12345\n") << "the host value changed";
}

// config-linux.md Seccomp: a rule with SCMP_ACT_ERRNO returns errnoRet; without errnoRet the
// errno is EPERM; syscalls without rules get defaultAction; the process runs in filter mode.
TEST(Process, SeccompErrnoRet) {
  Bundle bundle;
  bundle.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"syscalls",
       {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", EXDEV}},
        {{"names", {"rmdir"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  bundle.set_args({"/bin/sh", "-c",
                   "/probe syscall mkdir /tmp/kit-dir; rmdir /tmp 2>/dev/null; echo rmdir=$?; "
                   "/probe report"});
  Container c(bundle);
  CommandResult r = c.run();
  ASSERT_TRUE(r.ok()) << r.describe();
  json first = parse_json(r.out.substr(0, r.out.find('\n')));
  ASSERT_TRUE(first.is_object()) << r.out;
  EXPECT_EQ(first["errno"], EXDEV);
  json report = last_json_line(r.out);
  ASSERT_TRUE(report.is_object());
  EXPECT_EQ(report["seccomp"], 2);
}

TEST(Process, SeccompDefaultErrnoPerm) {
  Bundle bundle;
  bundle.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  bundle.set_args({"/probe", "syscall", "mkdir", "/tmp/kit-dir"});
  Container c(bundle);
  CommandResult r = c.run();
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(last_json_line(r.out)["errno"], EPERM) << r.out;
}

// config-linux.md Seccomp defaultAction: every syscall without a rule gets it. The allow list is
// every syscall the kernel headers know except mkdir/mkdirat, which then fail with
// defaultErrnoRet.
TEST(Process, SeccompDefaultAction) {
  std::ifstream header("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
  if (!header) GTEST_SKIP() << "no x86_64 syscall table header to build the allow list from";
  std::regex define("#define __NR_([a-z0-9_]+) ");
  json names = json::array();
  std::string line;
  std::smatch match;
  while (std::getline(header, line))
    if (std::regex_search(line, match, define) && match[1] != "mkdir" && match[1] != "mkdirat")
      names.push_back(match[1].str());
  Bundle bundle;
  bundle.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"defaultErrnoRet", ENOTSUP},
      {"architectures", {"SCMP_ARCH_X86_64"}},
      {"syscalls", {{{"names", names}, {"action", "SCMP_ACT_ALLOW"}}}}};
  bundle.set_args({"/probe", "syscall", "mkdir", "/tmp/kit-dir"});
  Container c(bundle);
  CommandResult r = c.run();
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(last_json_line(r.out)["errno"], ENOTSUP) << r.out;
}

// config-linux.md Personality: domain LINUX32 sets PER_LINUX32 (runc 1.1 does not implement it).
TEST(Process, Personality) {
  if (runtime_is_runc()) GTEST_SKIP() << "runc 1.1 does not implement linux.personality";
  Bundle bundle;
  bundle.config["linux"]["personality"] = {{"domain", "LINUX32"}};
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  EXPECT_EQ(probe.report["personality"].get<int>() & 0xff, 0x0008);
}

}  // namespace
}  // namespace krill::it
