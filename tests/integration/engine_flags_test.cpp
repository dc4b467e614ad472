// `krill run` flags as root, each checked by its effect inside the container or on the host (the
// capability sets and seccomp mode in /proc/self/status, the container's v1 cgroup files, rlimits,
// devices, mounts), and each with bad values: exit 125, the flag named, nothing left.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "engine_test_support.h"
#include "ship_harness.h"

namespace krill::it {
namespace {

using Args = std::vector<std::string>;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

// `run --rm FLAGS... IMAGE sh -c SCRIPT`.
CommandResult run_script(const EngineEnv& env, const Args& flags, const std::string& script,
                         CommandOptions options = {}) {
  Args args = {"run", "--rm"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {EngineEnv::kImage, "sh", "-c", script});
  return env.krill(args, std::move(options));
}

// The value of a "Key:\tvalue" line of /proc/self/status inside a container run with FLAGS.
std::string status_field(const EngineEnv& env, const Args& flags, const std::string& key) {
  auto run = run_script(env, flags, "grep '^" + key + ":' /proc/self/status");
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  std::string line = trimmed(run.out);
  size_t tab = line.find_first_of(" \t");
  return tab == std::string::npos ? line : line.substr(line.find_first_not_of(" \t", tab));
}

// A bad value for a run flag: 125, the flag (or what is wrong) on stderr, nothing left behind.
void expect_refused(const EngineEnv& env, const Args& flags, const std::string& named) {
  Args args = {"run", "--rm"};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {EngineEnv::kImage, "true"});
  auto run = env.krill(args);
  EXPECT_EQ(run.exit_code, 125) << run.describe();
  EXPECT_NE(run.err.find(named), std::string::npos) << "want \"" << named << "\"\n"
                                                   << run.describe();
  EXPECT_TRUE(env.container_ids().empty()) << run.describe();
  EXPECT_TRUE(env.leftover_mounts().empty()) << run.describe();
}

// A detached `sleep` with FLAGS; returns its host pid (0 on failure).
pid_t run_detached(const EngineEnv& env, const std::string& name, const Args& flags) {
  Args args = {"run", "-d", "--name", name};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {EngineEnv::kImage, "sleep", "100"});
  auto run = env.krill(args);
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  if (!run.ok()) return 0;
  return static_cast<pid_t>(std::stoi(env.inspect(name, "{{.State.Pid}}")));
}

std::string cgroup_value(pid_t pid, const std::string& controller, const std::string& file) {
  std::string dir = cgroup_dir_of(pid, controller);
  if (dir.empty()) return "(no " + controller + " cgroup)";
  return trimmed(read_file(dir + "/" + file));
}

bool cgroup_v1_controller(const std::string& controller) {
  return !cgroup_dir_of(::getpid(), controller).empty() &&
         path_exists("/sys/fs/cgroup/" + controller);
}

constexpr const char* kDockerDefaultCaps = "00000000a80425fb";

// Every capability this process may hand on (its bounding set: these hosts withhold
// CAP_SYS_RESOURCE even from root), as /proc/PID/status prints it.
std::string all_caps_hex() {
  std::string status = read_file("/proc/self/status");
  size_t at = status.find("CapBnd:\t");
  return at == std::string::npos ? "" : status.substr(at + 8, 16);
}

TEST(EngineFlags, EnvFileAndEnv) {
  EngineEnv env;
  TempDir dir("envfile");
  std::string file = dir.path() + "/vars.env";
  ASSERT_TRUE(write_file(file,
                         "# a comment\n"
                         "\n"
                         "FROM_FILE=one\n"
                         "SPACED=two words\n"
                         "OVERRIDDEN=from-file\n"
                         "PASSED_THROUGH\n"));
  CommandOptions options;
  options.env = {"PASSED_THROUGH=from-krill"};
  auto run = run_script(env, {"--env-file", file, "-e", "OVERRIDDEN=from-flag"},
                        "echo \"$FROM_FILE|$SPACED|$OVERRIDDEN|$PASSED_THROUGH\"", options);
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.out, "one|two words|from-flag|from-krill\n");

  expect_refused(env, {"--env-file", dir.path() + "/missing.env"}, "missing.env");
}

TEST(EngineFlags, MountOfEachType) {
  EngineEnv env;
  TempDir dir("mounts");
  ASSERT_TRUE(write_file(dir.path() + "/file", "from the host\n"));
  auto run = run_script(env,
                        {"--mount", "type=bind,source=" + dir.path() + ",target=/b,readonly",
                         "--mount", "type=tmpfs,target=/t,tmpfs-size=1m", "--mount",
                         "type=volume,source=named,target=/v"},
                        "cat /b/file; touch /b/new 2>/dev/null && echo writable;"
                        "grep ' /t ' /proc/mounts; echo kept > /v/data");
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_NE(run.out.find("from the host\n"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("writable"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("tmpfs /t tmpfs"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("size=1024k"), std::string::npos) << run.out;
  EXPECT_FALSE(path_exists(dir.path() + "/new"));
  // The named volume outlives the --rm container.
  auto again = run_script(env, {"--mount", "type=volume,src=named,dst=/v"}, "cat /v/data");
  EXPECT_EQ(again.out, "kept\n") << again.describe();
  EXPECT_EQ(env.krill({"volume", "ls", "-q"}).out, "named\n");
  EXPECT_TRUE(env.krill({"volume", "rm", "named"}).ok());

  expect_refused(env, {"--mount", "type=bind,target=/x"}, "--mount");
  expect_refused(env, {"--mount", "type=bind,source=" + dir.path() + "/absent,target=/x"},
                 "absent");
  expect_refused(env, {"--mount", "type=nfs,source=/a,target=/x"}, "--mount");
  expect_refused(env, {"--mount", "type=bind,source=" + dir.path() + ",target=/x,bogus=1"},
                 "bogus");
}

TEST(EngineFlags, CapabilitiesAndPrivileged) {
  EngineEnv env;
  EXPECT_EQ(status_field(env, {}, "CapEff"), kDockerDefaultCaps);
  EXPECT_EQ(status_field(env, {}, "CapBnd"), kDockerDefaultCaps);
  EXPECT_EQ(status_field(env, {"--cap-drop", "ALL"}, "CapEff"), "0000000000000000");
  EXPECT_EQ(status_field(env, {"--cap-drop", "chown"}, "CapEff"), "00000000a80425fa");
  EXPECT_EQ(status_field(env, {"--cap-add", "SYS_ADMIN"}, "CapEff"), "00000000a82425fb");
  EXPECT_EQ(status_field(env, {"--cap-drop", "ALL", "--cap-add", "CAP_KILL"}, "CapEff"),
            "0000000000000020");
  EXPECT_EQ(status_field(env, {"--cap-add", "ALL"}, "CapEff"), all_caps_hex());

  // Without CAP_CHOWN, root cannot give a file away.
  auto chown = run_script(env, {"--cap-drop", "CHOWN"},
                          "touch /tmp/f && busybox chown 65534 /tmp/f 2>&1; echo rc=$?");
  EXPECT_NE(chown.out.find("rc=1"), std::string::npos) << chown.describe();

  // --privileged: every capability, no seccomp, no masked paths, the host's devices.
  EXPECT_EQ(status_field(env, {"--privileged"}, "CapEff"), all_caps_hex());
  EXPECT_EQ(status_field(env, {"--privileged"}, "Seccomp"), "0");
  const std::string keys_mounts = "grep -c ' /proc/keys ' /proc/self/mountinfo; ls /dev";
  auto masked = run_script(env, {}, keys_mounts);
  auto privileged = run_script(env, {"--privileged"}, keys_mounts);
  EXPECT_EQ(masked.out.rfind("1\n", 0), 0u) << masked.describe();  // /dev/null over /proc/keys
  EXPECT_EQ(privileged.out.rfind("0\n", 0), 0u) << privileged.describe();
  if (path_exists("/dev/loop-control")) {
    EXPECT_EQ(masked.out.find("loop-control"), std::string::npos) << masked.out;
    EXPECT_NE(privileged.out.find("loop-control"), std::string::npos) << privileged.out;
  }

  expect_refused(env, {"--cap-add", "NOT_A_CAP"}, "NOT_A_CAP");
  expect_refused(env, {"--cap-drop", "CAP_BOGUS"}, "CAP_BOGUS");
}

TEST(EngineFlags, SecurityOptions) {
  EngineEnv env;
  EXPECT_EQ(status_field(env, {}, "Seccomp"), "2");
  EXPECT_EQ(status_field(env, {}, "NoNewPrivs"), "0");
  EXPECT_EQ(status_field(env, {"--security-opt", "seccomp=unconfined"}, "Seccomp"), "0");
  EXPECT_EQ(status_field(env, {"--security-opt", "no-new-privileges"}, "NoNewPrivs"), "1");
  EXPECT_EQ(status_field(env, {"--security-opt", "no-new-privileges:true"}, "NoNewPrivs"), "1");
  EXPECT_EQ(status_field(env, {"--security-opt", "label=disable"}, "Seccomp"), "2");
  EXPECT_EQ(status_field(env, {"--security-opt", "apparmor=unconfined"}, "Seccomp"), "2");

  // podman's mask= and unmask=: more masked paths, or fewer.
  auto mask = run_script(env, {"--security-opt", "mask=/data:/etc/hostname"},
                         "ls /data; wc -c < /etc/hostname; grep -c ' /data ' /proc/self/mountinfo");
  EXPECT_EQ(mask.out, "0\n1\n") << mask.describe();  // /data empty, hostname /dev/null
  auto unmask = run_script(env, {"--security-opt", "unmask=/proc/keys:/proc/sys"},
                           "grep -c ' /proc/keys ' /proc/self/mountinfo; "
                           "grep ' /proc/sys ' /proc/self/mountinfo | grep -c ' ro,'");
  EXPECT_EQ(unmask.out, "0\n0\n") << unmask.describe();
  auto unmask_all = run_script(env, {"--security-opt", "unmask=ALL"},
                               "grep -c -E ' /proc/(keys|timer_list|bus) ' /proc/self/mountinfo");
  EXPECT_EQ(unmask_all.out, "0\n") << unmask_all.describe();
  auto system_paths = run_script(env, {"--security-opt", "systempaths=unconfined"},
                                 "grep -c ' /proc/keys ' /proc/self/mountinfo");
  EXPECT_EQ(system_paths.out, "0\n") << system_paths.describe();

  // A profile of our own (Docker's JSON format): mkdir is refused with EPERM, the rest allowed.
  TempDir dir("seccomp");
  std::string profile = dir.path() + "/no-mkdir.json";
  ASSERT_TRUE(write_file(profile, R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]})"));
  auto blocked = run_script(env, {"--security-opt", "seccomp=" + profile},
                            "mkdir /tmp/d 2>&1; echo rc=$?; touch /tmp/f && echo touched");
  EXPECT_EQ(blocked.exit_code, 0) << blocked.describe();
  EXPECT_NE(blocked.out.find("Operation not permitted"), std::string::npos) << blocked.out;
  EXPECT_NE(blocked.out.find("rc=1"), std::string::npos) << blocked.out;
  EXPECT_NE(blocked.out.find("touched"), std::string::npos) << blocked.out;
  auto allowed = run_script(env, {}, "mkdir /tmp/d && echo made");
  EXPECT_EQ(allowed.out, "made\n") << allowed.describe();

  ASSERT_TRUE(write_file(dir.path() + "/broken.json", "{\"defaultAction\": "));
  expect_refused(env, {"--security-opt", "seccomp=" + dir.path() + "/broken.json"},
                 "broken.json");
  expect_refused(env, {"--security-opt", "seccomp=" + dir.path() + "/absent.json"},
                 "absent.json");
  expect_refused(env, {"--security-opt", "bogus=1"}, "bogus");
  expect_refused(env, {"--security-opt", "mask=relative/path"}, "relative/path");
  expect_refused(env, {"--security-opt", "systempaths=confined"}, "systempaths");
  expect_refused(env, {"--security-opt", "no-new-privileges=maybe"}, "no-new-privileges");
}

TEST(EngineFlags, CgroupLimits) {
  if (!cgroup_v1_controller("memory") || !cgroup_v1_controller("cpu") ||
      !cgroup_v1_controller("pids") || !cgroup_v1_controller("cpuset"))
    GTEST_SKIP() << "this test reads cgroup v1 files (memory, cpu, pids, cpuset)";
  EngineEnv env;
  pid_t pid = run_detached(env, "limited",
                           {"--memory", "64m", "--memory-swap", "96m", "--cpus", "1.5",
                            "--cpu-shares", "512", "--cpuset-cpus", "0", "--pids-limit", "50"});
  ASSERT_GT(pid, 0);
  EXPECT_EQ(cgroup_value(pid, "memory", "memory.limit_in_bytes"), std::to_string(64 << 20));
  if (path_exists(cgroup_dir_of(pid, "memory") + "/memory.memsw.limit_in_bytes")) {
    EXPECT_EQ(cgroup_value(pid, "memory", "memory.memsw.limit_in_bytes"),
              std::to_string(96 << 20));
  }
  EXPECT_EQ(cgroup_value(pid, "cpu", "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(cgroup_value(pid, "cpu", "cpu.cfs_quota_us"), "150000");
  EXPECT_EQ(cgroup_value(pid, "cpu", "cpu.shares"), "512");
  EXPECT_EQ(cgroup_value(pid, "cpuset", "cpuset.cpus"), "0");
  EXPECT_EQ(cgroup_value(pid, "pids", "pids.max"), "50");
  auto inside = env.krill({"exec", "limited", "grep", "Cpus_allowed_list", "/proc/self/status"});
  EXPECT_NE(inside.out.find("\t0\n"), std::string::npos) << inside.describe();
  // The limits are the container's: a small pids limit stops a fork bomb in its tracks.
  auto forks = run_script(env, {"--pids-limit", "4"},
                          "for i in 1 2 3 4 5 6; do sleep 5 & done 2>&1; echo done");
  EXPECT_NE(forks.out.find("can't fork"), std::string::npos) << forks.describe();
  EXPECT_TRUE(env.krill({"rm", "-f", "limited"}).ok());

  expect_refused(env, {"--memory", "lots"}, "--memory");
  expect_refused(env, {"--memory", "64m", "--memory-swap", "32m"}, "memoryswap");
  expect_refused(env, {"--memory-swap", "64m"}, "memory limit");
  expect_refused(env, {"--cpus", "many"}, "--cpus");
  expect_refused(env, {"--cpu-shares", "-5"}, "--cpu-shares");
  expect_refused(env, {"--cpuset-cpus", "first"}, "--cpuset-cpus");
  expect_refused(env, {"--pids-limit", "ten"}, "--pids-limit");
}

TEST(EngineFlags, UlimitAndShmSize) {
  EngineEnv env;
  auto limits = run_script(env, {"--ulimit", "nofile=1024:2048", "--ulimit", "nproc=500"},
                           "ulimit -Sn; ulimit -Hn; ulimit -u");
  EXPECT_EQ(limits.exit_code, 0) << limits.describe();
  EXPECT_EQ(limits.out, "1024\n2048\n500\n");
  auto shm = run_script(env, {"--shm-size", "16m"}, "busybox df -k /dev/shm | tail -1");
  EXPECT_NE(shm.out.find(" 16384 "), std::string::npos) << shm.describe();
  auto default_shm = run_script(env, {}, "busybox df -k /dev/shm | tail -1");
  EXPECT_NE(default_shm.out.find(" 65536 "), std::string::npos) << default_shm.describe();

  expect_refused(env, {"--ulimit", "bogus=1"}, "bogus");
  expect_refused(env, {"--ulimit", "nofile=20:10"}, "--ulimit");
  expect_refused(env, {"--ulimit", "nofile"}, "--ulimit");
  expect_refused(env, {"--shm-size", "huge"}, "--shm-size");
}

TEST(EngineFlags, DevicesWithTheirPermissions) {
  EngineEnv env;
  auto absent = run_script(env, {}, "test -e /dev/myzero && echo present || echo absent");
  EXPECT_EQ(absent.out, "absent\n") << absent.describe();
  auto device = run_script(env, {"--device", "/dev/zero:/dev/myzero"},
                           "busybox stat -c '%F %t:%T' /dev/myzero; head -c 3 /dev/myzero | wc -c;"
                           "echo x > /dev/myzero && echo written");
  EXPECT_EQ(device.exit_code, 0) << device.describe();
  EXPECT_EQ(device.out, "character special file 1:5\n3\nwritten\n");
  // Read-only in the devices cgroup: opening it for writing is refused. (Not /dev/zero: it is
  // one of the devices every container may read and write.)
  if (path_exists("/dev/fuse")) {
    auto read_only = run_script(env, {"--device", "/dev/fuse:/dev/myfuse:r"},
                                ": < /dev/myfuse && echo opened-r; (: > /dev/myfuse) || echo no-w");
    EXPECT_EQ(read_only.out, "opened-r\nno-w\n") << read_only.describe();
    EXPECT_NE(read_only.err.find("Operation not permitted"), std::string::npos)
        << read_only.describe();
    auto read_write = run_script(env, {"--device", "/dev/fuse:/dev/myfuse"},
                                 ": < /dev/myfuse && : > /dev/myfuse && echo opened-rw");
    EXPECT_EQ(read_write.out, "opened-rw\n") << read_write.describe();
  }
  auto same_path = run_script(env, {"--device", "/dev/zero"}, "head -c 2 /dev/zero | wc -c");
  EXPECT_EQ(same_path.out, "2\n") << same_path.describe();

  expect_refused(env, {"--device", "/dev/no-such-device"}, "/dev/no-such-device");
  expect_refused(env, {"--device", "/dev/zero:/dev/z:rwx"}, "rwx");
}

TEST(EngineFlags, StopSignalIsWhatStopSends) {
  EngineEnv env;
  auto run = env.krill({"run", "-d", "--name", "usr1", "--stop-signal", "SIGUSR1",
                        EngineEnv::kImage, "sh", "-c",
                        "trap 'echo got USR1; exit 7' USR1; echo ready; "
                        "while :; do sleep 0.1; done"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(env.inspect("usr1", "{{.Config.StopSignal}}"), "SIGUSR1");
  ASSERT_TRUE(eventually([&] { return env.krill({"logs", "usr1"}).out == "ready\n"; }));
  auto started = std::chrono::steady_clock::now();
  auto stop = env.krill({"stop", "-t", "20", "usr1"});
  EXPECT_EQ(stop.exit_code, 0) << stop.describe();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_EQ(env.inspect("usr1", "{{.State.ExitCode}}"), "7");
  EXPECT_EQ(env.krill({"logs", "usr1"}).out, "ready\ngot USR1\n");
  // A number is a signal too.
  auto numbered =
      env.krill({"create", "--name", "n", "--stop-signal", "10", EngineEnv::kImage, "true"});
  EXPECT_EQ(numbered.exit_code, 0) << numbered.describe();
  EXPECT_EQ(env.inspect("n", "{{.Config.StopSignal}}"), "SIGUSR1");

  EXPECT_TRUE(env.krill({"rm", "usr1", "n"}).ok());
  expect_refused(env, {"--stop-signal", "SIGNOPE"}, "SIGNOPE");
}

TEST(EngineFlags, LogDriversAndOptions) {
  EngineEnv env;
  // json-file: Docker's lines, one JSON object per line, and `logs` reads them.
  auto json_run = env.krill({"run", "--name", "j", "--log-driver", "json-file", EngineEnv::kImage,
                             "sh", "-c", "echo to-out; echo to-err >&2"});
  EXPECT_EQ(json_run.exit_code, 0) << json_run.describe();
  EXPECT_EQ(env.inspect("j", "{{.HostConfig.LogConfig.Type}}"), "json-file");
  std::string log_path = env.inspect("j", "{{.LogPath}}");
  std::string text = read_file(log_path);
  ASSERT_FALSE(text.empty()) << log_path;
  size_t first_newline = text.find('\n');
  json first = parse_json(text.substr(0, first_newline));
  EXPECT_TRUE(first.contains("log") && first.contains("stream") && first.contains("time"))
      << text;
  EXPECT_NE(text.find("\"to-out\\n\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"stderr\""), std::string::npos) << text;
  auto logs = env.krill({"logs", "j"});
  EXPECT_EQ(logs.out, "to-out\n") << logs.describe();
  EXPECT_NE(logs.err.find("to-err"), std::string::npos) << logs.describe();

  // none: the output still reaches an attached client, but nothing is kept.
  auto none = env.krill({"run", "--name", "n", "--log-driver", "none", EngineEnv::kImage, "echo",
                         "attached"});
  EXPECT_EQ(none.out, "attached\n") << none.describe();
  auto no_logs = env.krill({"logs", "n"});
  EXPECT_NE(no_logs.exit_code, 0);
  EXPECT_NE(no_logs.err.find("none"), std::string::npos) << no_logs.describe();

  // k8s-file at a path of our choosing, rotated at max-size without losing a line.
  TempDir dir("logs");
  std::string path = dir.path() + "/ctr.log";
  auto k8s = env.krill({"run", "--name", "k", "--log-opt", "path=" + path, "--log-opt",
                        "max-size=4k", EngineEnv::kImage, "sh", "-c",
                        "seq 1 2000 >/dev/null; i=0; while [ $i -lt 600 ]; do echo line-$i; "
                        "i=$((i+1)); done"});
  EXPECT_EQ(k8s.exit_code, 0) << k8s.describe();
  EXPECT_EQ(env.inspect("k", "{{.LogPath}}"), path);
  std::string k8s_text = read_file(path);
  EXPECT_NE(k8s_text.find(" stdout F line-599\n"), std::string::npos) << k8s_text.substr(0, 200);
  EXPECT_LE(k8s_text.size(), 4096u + 64u);
  auto all = env.krill({"logs", "k"});
  size_t lines = 0;
  for (char c : all.out) lines += c == '\n';
  EXPECT_GE(lines, 1u);
  EXPECT_NE(all.out.find("line-599\n"), std::string::npos);

  EXPECT_TRUE(env.krill({"rm", "j", "n", "k"}).ok());
  expect_refused(env, {"--log-driver", "syslog"}, "--log-driver");
  expect_refused(env, {"--log-opt", "max-size=big"}, "--log-opt");
  expect_refused(env, {"--log-opt", "color=blue"}, "color");
  expect_refused(env, {"--log-opt", "max-file=0"}, "max-file");
}

TEST(EngineFlags, GroupAddAndUserns) {
  EngineEnv env;
  auto groups = run_script(env, {"--group-add", "1234", "--group-add", "tty"}, "id -G");
  EXPECT_EQ(groups.exit_code, 0) << groups.describe();
  EXPECT_EQ(groups.out, "0 5 1234\n");
  auto user_groups = run_script(env, {"-u", "nobody", "--group-add", "tty"}, "id -u; id -G");
  EXPECT_EQ(user_groups.out, "65534\n65534 5\n") << user_groups.describe();
  auto host_userns = run_script(env, {"--userns", "host"}, "cat /proc/self/uid_map");
  EXPECT_NE(host_userns.out.find("4294967295"), std::string::npos) << host_userns.describe();

  expect_refused(env, {"--group-add", "no-such-group"}, "no-such-group");
  expect_refused(env, {"--userns", "sideways"}, "--userns");
}

TEST(EngineFlags, VolumeOptionsLabelsAndChown) {
  EngineEnv env;
  TempDir dir("volopts");
  std::string shared = dir.path() + "/shared";
  std::string owned = dir.path() + "/owned";
  std::filesystem::create_directories(shared);
  std::filesystem::create_directories(owned);
  ASSERT_TRUE(write_file(owned + "/inside", "x"));
  // :z and :Z relabel for SELinux; without SELinux they are accepted and change nothing.
  auto labelled = run_script(env, {"-v", shared + ":/z:z", "-v", shared + ":/Z:Z,ro"},
                             "echo one > /z/f; cat /Z/f; touch /Z/g 2>/dev/null || echo ro");
  EXPECT_EQ(labelled.exit_code, 0) << labelled.describe();
  EXPECT_EQ(labelled.out, "one\nro\n");
  // :U gives the source to the container's user (here 65534), recursively.
  auto chowned = run_script(env, {"-u", "65534:65534", "-v", owned + ":/o:U"},
                            "echo mine > /o/new && echo wrote");
  EXPECT_EQ(chowned.out, "wrote\n") << chowned.describe();
  struct stat st {};
  ASSERT_EQ(::stat(owned.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  ASSERT_EQ(::stat((owned + "/inside").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  // On a tmpfs, :U makes it the user's.
  auto tmpfs = run_script(env, {"-u", "65534:65534", "--tmpfs", "/scratch:U"},
                          "busybox stat -c '%u:%g' /scratch; echo x > /scratch/f && echo wrote");
  EXPECT_EQ(tmpfs.out, "65534:65534\nwrote\n") << tmpfs.describe();
  // Without :U the same user cannot write into a root-owned directory.
  auto refused = run_script(env, {"-u", "65534", "-v", shared + ":/s"},
                            "echo no > /s/denied 2>/dev/null || echo denied");
  EXPECT_EQ(refused.out, "denied\n") << refused.describe();

  expect_refused(env, {"-v", shared + ":/x:q"}, "q");
}

TEST(EngineFlags, SigProxyOffLeavesTheContainerAlone) {
  EngineEnv env;
  std::string command;
  for (const auto& a : env.global_args()) command += a + " ";
  command += "run --name quiet --sig-proxy=false " + std::string(EngineEnv::kImage) +
             " sh -c 'trap \"echo got TERM; exit 9\" TERM; echo ready; sleep 100 & wait' & "
             "pid=$!; sleep 1.5; kill -TERM $pid; wait $pid; echo client=$?";
  auto run = run_command({"sh", "-c", command});
  // The client dies of the signal it did not forward (128+15); the container runs on.
  EXPECT_NE(run.out.find("client=143"), std::string::npos) << run.describe();
  EXPECT_EQ(run.out.find("got TERM"), std::string::npos) << run.describe();
  EXPECT_EQ(env.inspect("quiet", "{{.State.Status}}"), "running");
  // --no-sig-proxy is the same flag's negation.
  auto negated = env.krill({"run", "--rm", "--no-sig-proxy", EngineEnv::kImage, "true"});
  EXPECT_EQ(negated.exit_code, 0) << negated.describe();
  EXPECT_TRUE(env.krill({"rm", "-f", "-t", "0", "quiet"}).ok());
}

TEST(EngineFlags, PullPolicies) {
  if (!ship::have_registry()) GTEST_SKIP() << "docker-registry is not installed";
  ship::Registry registry;
  ASSERT_TRUE(registry.ok()) << registry.error();
  EngineEnv env;
  const std::string remote = registry.host() + "/engine/pull:1";
  auto pushed = env.krill({"push", "-q", "--tls-verify=false", EngineEnv::kImage, remote});
  ASSERT_TRUE(pushed.ok()) << pushed.describe();

  // never: only what is local; the name is not.
  auto never = env.krill({"run", "--rm", "--pull", "never", remote, "true"});
  EXPECT_EQ(never.exit_code, 125) << never.describe();
  EXPECT_NE(never.err.find(remote), std::string::npos) << never.describe();
  // missing (the default): pulled once, then used as it is.
  auto missing = env.krill({"run", "--rm", "-q", "--tls-verify=false", remote, "cat", "/version"});
  EXPECT_NE(missing.exit_code, 0) << missing.describe();  // v1 has no /version
  EXPECT_FALSE(env.krill({"images", "-q", remote}).out.empty());

  // The registry's image moves on to v2; the local copy stays at v1.
  auto v2 = env.krill({"run", "--name", "v2", EngineEnv::kImage, "sh", "-c", "echo v2 > /version"});
  ASSERT_TRUE(v2.ok()) << v2.describe();
  ASSERT_TRUE(env.krill({"commit", "-q", "v2", "localhost/v2:1"}).ok());
  ASSERT_TRUE(env.krill({"rm", "v2"}).ok());
  auto pushed_v2 = env.krill({"push", "-q", "--tls-verify=false", "localhost/v2:1", remote});
  ASSERT_TRUE(pushed_v2.ok()) << pushed_v2.describe();
  ASSERT_TRUE(env.krill({"tag", EngineEnv::kImage, remote}).ok());
  auto local = env.krill({"run", "--rm", "--pull=missing", remote, "cat", "/version"});
  EXPECT_NE(local.exit_code, 0) << local.describe();
  auto always = env.krill(
      {"run", "--rm", "-q", "--pull", "always", "--tls-verify=false", remote, "cat", "/version"});
  EXPECT_EQ(always.exit_code, 0) << always.describe();
  EXPECT_EQ(always.out, "v2\n");
  EXPECT_EQ(env.krill({"run", "--rm", "--pull", "never", remote, "cat", "/version"}).out, "v2\n");

  // always with the registry gone: the pull's error, not the stale local image.
  const std::string gone = "127.0.0.1:1/engine/pull:1";
  ASSERT_TRUE(env.krill({"tag", EngineEnv::kImage, gone}).ok());
  auto unreachable =
      env.krill({"run", "--rm", "--pull", "always", "--tls-verify=false", gone, "true"});
  EXPECT_EQ(unreachable.exit_code, 125) << unreachable.describe();
  EXPECT_NE(unreachable.err.find("127.0.0.1:1"), std::string::npos) << unreachable.describe();

  expect_refused(env, {"--pull", "sometimes"}, "--pull");
}

}  // namespace
}  // namespace krill::it
