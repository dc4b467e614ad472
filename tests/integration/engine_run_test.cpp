// `krill run` and the container commands, driven through the real krill binary with a store and
// run root per test (engine_test_support.h).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "engine_test_support.h"

namespace krill::it {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

bool dir_empty_or_missing(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return true;
  return std::filesystem::is_empty(path, ec);
}

TEST(EngineRun, EchoPrintsAndExitsZero) {
  EngineEnv env;
  auto run = env.krill({"run", "--rm", EngineEnv::kImage, "echo", "hello", "world"});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.out, "hello world\n");
  EXPECT_TRUE(env.container_ids().empty());
}

TEST(EngineRun, ExitCodeIsTheContainers) {
  EngineEnv env;
  auto run =
      env.krill({"run", "--rm", EngineEnv::kImage, "sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(run.exit_code, 3) << run.describe();
  EXPECT_EQ(run.out, "out\n");
  EXPECT_NE(run.err.find("err"), std::string::npos);
}

TEST(EngineRun, MissingCommandIs127AndNothingIsLeft) {
  EngineEnv env;
  auto run = env.krill({"run", "--rm", EngineEnv::kImage, "no-such-command"});
  EXPECT_EQ(run.exit_code, 127) << run.describe();
  EXPECT_NE(run.err.find("no-such-command"), std::string::npos) << run.err;
  EXPECT_TRUE(env.container_ids().empty());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

TEST(EngineRun, NotExecutableIs126) {
  EngineEnv env;
  auto run = env.krill({"run", "--rm", EngineEnv::kImage, "/etc/not-executable"});
  EXPECT_EQ(run.exit_code, 126) << run.describe();
  EXPECT_TRUE(env.container_ids().empty());
}

TEST(EngineRun, FailedStartWithoutRmStaysCreated) {
  EngineEnv env;
  auto run = env.krill({"run", "--name", "bad", EngineEnv::kImage, "no-such-command"});
  EXPECT_EQ(run.exit_code, 127) << run.describe();
  EXPECT_EQ(env.inspect("bad", "{{.State.Status}} {{.State.ExitCode}}"), "created 127");
  EXPECT_NE(env.inspect("bad", "{{.State.Error}}").find("no-such-command"), std::string::npos);
  EXPECT_TRUE(env.leftover_mounts().empty());
}

TEST(EngineRun, DetachedLifecycle) {
  EngineEnv env;
  auto run = env.krill({"run", "-d", "--name", "web", EngineEnv::kImage, "sh", "-c",
                        "echo started; echo oops >&2; sleep 100"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  std::string id = trimmed(run.out);
  EXPECT_EQ(id.size(), 64u) << run.out;

  auto ps = env.krill({"ps"});
  EXPECT_EQ(ps.exit_code, 0) << ps.describe();
  EXPECT_EQ(ps.out.rfind("CONTAINER ID  IMAGE", 0), 0u) << ps.out;
  EXPECT_NE(ps.out.find(id.substr(0, 12)), std::string::npos);
  EXPECT_NE(ps.out.find("Up "), std::string::npos);
  EXPECT_NE(ps.out.find("web"), std::string::npos);
  EXPECT_EQ(env.inspect("web", "{{.State.Status}} {{.State.Running}}"), "running true");

  EXPECT_TRUE(eventually([&] { return env.krill({"logs", "web"}).out == "started\n"; }));
  auto logs = env.krill({"logs", "-t", "web"});
  EXPECT_NE(logs.err.find("oops"), std::string::npos) << logs.describe();
  EXPECT_NE(logs.out.find("Z started"), std::string::npos) << logs.out;

  auto stop = env.krill({"stop", "-t", "1", "web"});
  EXPECT_EQ(stop.exit_code, 0) << stop.describe();
  EXPECT_EQ(stop.out, "web\n");
  auto state = env.inspect("web", "{{.State.Status}} {{.State.ExitCode}}");
  EXPECT_EQ(state, "exited 137") << state;  // pid 1 without a handler ignores SIGTERM
  auto ps_all = env.krill({"ps", "-a", "--format", "{{.Names}} {{.Status}}"});
  EXPECT_NE(ps_all.out.find("web Exited ("), std::string::npos) << ps_all.out;
  EXPECT_TRUE(env.krill({"ps", "-q"}).out.empty());
  EXPECT_TRUE(env.leftover_mounts().empty());

  auto rm = env.krill({"rm", "web"});
  EXPECT_EQ(rm.exit_code, 0) << rm.describe();
  EXPECT_TRUE(env.container_ids().empty());
  EXPECT_TRUE(dir_empty_or_missing(env.store() + "/containers"));
}

TEST(EngineRun, TtyThroughScript) {
  if (!have_program("script")) GTEST_SKIP() << "script(1) missing";
  EngineEnv env;
  std::string command;
  for (const auto& a : env.global_args()) command += a + " ";
  command += "run --rm -it " + std::string(EngineEnv::kImage) + " sh -c 'tty; exit 4'";
  auto run = run_command({"script", "-qec", command, "/dev/null"});
  EXPECT_EQ(run.exit_code, 4) << run.describe();
  EXPECT_NE(run.out.find("/dev/pts/"), std::string::npos) << run.out;
  EXPECT_TRUE(env.container_ids().empty());
}

TEST(EngineRun, RmLeavesNothing) {
  EngineEnv env;
  auto run = env.krill({"run", "--rm", "-v", "/anon", EngineEnv::kImage, "true"});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_TRUE(env.container_ids().empty());
  EXPECT_TRUE(dir_empty_or_missing(env.store() + "/containers"));
  EXPECT_TRUE(dir_empty_or_missing(env.runroot() + "/containers"));
  EXPECT_TRUE(env.leftover_mounts().empty());
  auto volumes = env.krill({"volume", "ls", "-q"});
  EXPECT_EQ(volumes.out, "") << volumes.describe();
  // The monitor's own clean-up finds the container gone and leaves no lock file behind.
  EXPECT_TRUE(eventually([&] { return env.leftover_processes().empty(); }));
  EXPECT_TRUE(dir_empty_or_missing(env.store() + "/engine/locks"));
}

TEST(EngineRun, SignalsAreProxied) {
  EngineEnv env;
  std::string command;
  for (const auto& a : env.global_args()) command += a + " ";
  command += "run --rm " + std::string(EngineEnv::kImage) +
             " sh -c 'trap \"echo got TERM; exit 9\" TERM; echo ready; sleep 100 & wait' & "
             "pid=$!; sleep 1.5; kill -TERM $pid; wait $pid";
  auto run = run_command({"sh", "-c", command});
  EXPECT_EQ(run.exit_code, 9) << run.describe();
  EXPECT_EQ(run.out, "ready\ngot TERM\n");
  EXPECT_TRUE(env.container_ids().empty());
}

TEST(EngineRun, StdinAndAttachedStreams) {
  EngineEnv env;
  CommandOptions with_input;
  with_input.stdin_data = "hello\n";
  auto cat = env.krill({"run", "-i", "--rm", EngineEnv::kImage, "cat"}, with_input);
  EXPECT_EQ(cat.exit_code, 0) << cat.describe();
  EXPECT_EQ(cat.out, "hello\n");
  auto only_out = env.krill(
      {"run", "--rm", "-a", "stdout", EngineEnv::kImage, "sh", "-c", "echo out; echo err >&2"});
  EXPECT_EQ(only_out.exit_code, 0) << only_out.describe();
  EXPECT_EQ(only_out.out, "out\n");
  EXPECT_EQ(only_out.err.find("err"), std::string::npos) << only_out.err;
  auto bad = env.krill({"run", "--rm", "-a", "stdfoo", EngineEnv::kImage, "true"});
  EXPECT_EQ(bad.exit_code, 125) << bad.describe();
  EXPECT_TRUE(env.container_ids().empty());
}

TEST(EngineRun, TwentyParallelRunsWithRm) {
  EngineEnv env;
  std::vector<CommandResult> results(20);
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i)
    threads.emplace_back([&, i] {
      results[i] = env.krill({"run", "--rm", EngineEnv::kImage, "echo", std::to_string(i)});
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(results[i].exit_code, 0) << results[i].describe();
    EXPECT_EQ(results[i].out, std::to_string(i) + "\n");
  }
  EXPECT_TRUE(env.container_ids().empty());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

TEST(EngineRun, ConcurrentForceRemoveIsConsistent) {
  EngineEnv env;
  std::vector<std::string> names;
  for (int i = 0; i < 4; ++i) {
    names.push_back("c" + std::to_string(i));
    auto run = env.krill({"run", "-d", "--name", names.back(), EngineEnv::kImage, "sleep", "100"});
    ASSERT_EQ(run.exit_code, 0) << run.describe();
  }
  std::vector<CommandResult> results(names.size() * 2);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&, i] { results[i] = env.krill({"rm", "-f", names[i / 2]}); });
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(env.container_ids().empty());
  EXPECT_TRUE(dir_empty_or_missing(env.store() + "/containers"));
  EXPECT_TRUE(env.leftover_mounts().empty());
}

TEST(EngineRun, RestartOnFailureRestartsTwice) {
  EngineEnv env;
  auto run = env.krill({"run", "-d", "--name", "flaky", "--restart", "on-failure:2",
                        EngineEnv::kImage, "sh", "-c", "echo try; exit 1"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_TRUE(eventually(
      [&] { return env.inspect("flaky", "{{.RestartCount}} {{.State.Status}}") == "2 exited"; },
      std::chrono::seconds(20)))
      << env.inspect("flaky", "{{.RestartCount}} {{.State.Status}} {{.State.Error}}");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(env.inspect("flaky", "{{.RestartCount}} {{.State.ExitCode}}"), "2 1");
  EXPECT_EQ(env.krill({"logs", "flaky"}).out, "try\ntry\ntry\n");
}

TEST(EngineRun, SimulatedReboot) {
  EngineEnv env;
  auto run = env.krill({"run", "-d", "--name", "sleeper", EngineEnv::kImage, "sleep", "100"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  pid_t pid = std::atoi(env.inspect("sleeper", "{{.State.Pid}}").c_str());
  pid_t monitor = std::atoi(env.inspect("sleeper", "{{.State.ConmonPid}}").c_str());
  ASSERT_GT(pid, 0);
  ASSERT_GT(monitor, 0);
  ::kill(monitor, SIGKILL);
  ::kill(pid, SIGKILL);
  eventually([&] { return ::kill(pid, 0) != 0 && ::kill(monitor, 0) != 0; });
  // A reboot unmounts what lived in the run root (the container's network namespace) and
  // empties it.
  for (const auto& mount : env.leftover_mounts())
    if (mount.starts_with(env.runroot())) ::umount2(mount.c_str(), MNT_DETACH);
  EXPECT_TRUE(remove_tree(env.runroot()));
  // A reboot also empties the cgroup tree; the runtime's state that would remove it is gone.
  std::string id = env.inspect("sleeper", "{{.Id}}");
  for (const auto& [controller, mount] : host_cgroup_mounts())
    ::rmdir((mount + "/krill-" + id).c_str());
  auto ps = env.krill({"ps", "-a", "--format", "{{.Names}} {{.State}}"});
  EXPECT_EQ(ps.out, "sleeper exited\n") << ps.describe();
  EXPECT_TRUE(env.leftover_mounts().empty());
  auto start = env.krill({"start", "sleeper"});
  EXPECT_EQ(start.exit_code, 0) << start.describe();
  EXPECT_EQ(env.inspect("sleeper", "{{.State.Status}}"), "running");
  auto rm = env.krill({"rm", "-f", "sleeper"});
  EXPECT_EQ(rm.exit_code, 0) << rm.describe();
}

TEST(EngineRun, MonitorKilledIsNoticed) {
  EngineEnv env;
  auto run = env.krill({"run", "-d", "--name", "orphan", EngineEnv::kImage, "sleep", "100"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  pid_t monitor = std::atoi(env.inspect("orphan", "{{.State.ConmonPid}}").c_str());
  ASSERT_GT(monitor, 0);
  ::kill(monitor, SIGKILL);
  EXPECT_TRUE(eventually([&] { return env.inspect("orphan", "{{.State.Status}}") == "exited"; }));
  EXPECT_NE(env.inspect("orphan", "{{.State.Error}}").find("monitor lost"), std::string::npos);
}

TEST(EngineRun, RuncBehavesTheSame) {
  if (::access("/usr/sbin/runc", X_OK) != 0) GTEST_SKIP() << "no /usr/sbin/runc";
  EngineEnv env;
  auto run = env.krill({"run", "--rm", "--runtime", "/usr/sbin/runc", EngineEnv::kImage, "sh", "-c",
                        "echo hi; exit 5"});
  EXPECT_EQ(run.exit_code, 5) << run.describe();
  EXPECT_EQ(run.out, "hi\n");
  auto missing = env.krill(
      {"run", "--rm", "--runtime", "/usr/sbin/runc", EngineEnv::kImage, "no-such-command"});
  EXPECT_EQ(missing.exit_code, 127) << missing.describe();
  auto detached = env.krill({"run", "-d", "--name", "r", "--runtime", "/usr/sbin/runc",
                             EngineEnv::kImage, "sh", "-c", "echo logged; sleep 100"});
  ASSERT_EQ(detached.exit_code, 0) << detached.describe();
  EXPECT_TRUE(eventually([&] { return env.krill({"logs", "r"}).out == "logged\n"; }));
  auto exec = env.krill({"exec", "r", "sh", "-c", "echo in; exit 6"});
  EXPECT_EQ(exec.exit_code, 6) << exec.describe();
  EXPECT_EQ(exec.out, "in\n");
  EXPECT_EQ(env.krill({"rm", "-f", "r"}).exit_code, 0);
}

TEST(EngineRun, ExecKillPauseRenameTopWait) {
  EngineEnv env;
  auto run = env.krill({"run", "-d", "--name", "box", EngineEnv::kImage, "sleep", "100"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  auto exec =
      env.krill({"exec", "-e", "X=42", "-w", "/tmp", "box", "sh", "-c", "echo $X $(pwd); exit 7"});
  EXPECT_EQ(exec.exit_code, 7) << exec.describe();
  EXPECT_EQ(exec.out, "42 /tmp\n");
  EXPECT_EQ(env.krill({"exec", "box", "no-such-command"}).exit_code, 127);
  auto user = env.krill({"exec", "-u", "nobody", "box", "id", "-u"});
  EXPECT_EQ(user.out, "65534\n") << user.describe();

  auto top = env.krill({"top", "box"});
  EXPECT_EQ(top.exit_code, 0) << top.describe();
  EXPECT_NE(top.out.find("sleep 100"), std::string::npos) << top.out;

  EXPECT_EQ(env.krill({"pause", "box"}).exit_code, 0);
  EXPECT_EQ(env.inspect("box", "{{.State.Status}} {{.State.Paused}}"), "paused true");
  EXPECT_NE(env.krill({"ps"}).out.find("(Paused)"), std::string::npos);
  EXPECT_EQ(env.krill({"unpause", "box"}).exit_code, 0);
  EXPECT_EQ(env.inspect("box", "{{.State.Status}}"), "running");

  EXPECT_EQ(env.krill({"rename", "box", "box2"}).exit_code, 0);
  EXPECT_EQ(env.inspect("box2", "{{.Name}}"), "box2");

  CommandResult waited;
  std::thread waiter([&] { waited = env.krill({"wait", "box2"}); });
  auto kill = env.krill({"kill", "box2"});  // SIGKILL (pid 1 ignores an unhandled SIGTERM)
  EXPECT_EQ(kill.exit_code, 0) << kill.describe();
  waiter.join();
  EXPECT_EQ(waited.out, "137\n") << waited.describe();

  auto exec_stopped = env.krill({"exec", "box2", "true"});
  EXPECT_EQ(exec_stopped.exit_code, 1) << exec_stopped.describe();
  EXPECT_NE(exec_stopped.err.find("is not running"), std::string::npos);
}

TEST(EngineRun, CreateStartAttach) {
  EngineEnv env;
  auto create = env.krill({"create", "--name", "later", "-e", "GREETING=hey", EngineEnv::kImage,
                           "sh", "-c", "echo $GREETING"});
  ASSERT_EQ(create.exit_code, 0) << create.describe();
  EXPECT_EQ(env.inspect("later", "{{.State.Status}}"), "created");
  auto ps = env.krill({"ps", "-a", "--format", "{{.Status}}"});
  EXPECT_EQ(ps.out, "Created\n");
  auto start = env.krill({"start", "-a", "later"});
  EXPECT_EQ(start.exit_code, 0) << start.describe();
  EXPECT_EQ(start.out, "hey\n");
  auto again = env.krill({"start", "-a", "later"});
  EXPECT_EQ(again.out, "hey\n") << again.describe();
  EXPECT_EQ(env.krill({"logs", "later"}).out, "hey\nhey\n");
}

TEST(EngineRun, InspectIsDockerShapedAndFallsBackToImages) {
  EngineEnv env;
  ASSERT_EQ(env.krill({"create", "--name", "c", "--memory", "64m", "--restart", "always", "-l",
                       "a=b", EngineEnv::kImage, "true"})
                .exit_code,
            0);
  auto doc = parse_json(env.krill({"inspect", "c"}).out);
  ASSERT_TRUE(doc.is_array());
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc[0]["Name"], "c");
  EXPECT_EQ(doc[0]["HostConfig"]["Memory"], 64 << 20);
  EXPECT_EQ(doc[0]["HostConfig"]["RestartPolicy"]["Name"], "always");
  EXPECT_EQ(doc[0]["Config"]["Labels"]["a"], "b");
  EXPECT_EQ(doc[0]["Config"]["Cmd"], json::array({"true"}));
  auto image = env.krill({"inspect", "--format", "{{.Id}}", EngineEnv::kImage});
  EXPECT_EQ(image.exit_code, 0) << image.describe();
  EXPECT_FALSE(image.out.empty());
  auto missing = env.krill({"inspect", "nothing-here"});
  EXPECT_EQ(missing.exit_code, 125);
  EXPECT_NE(missing.err.find("no such object"), std::string::npos) << missing.err;
}

TEST(EngineRun, VolumesCopyUpAndPersist) {
  EngineEnv env;
  auto first = env.krill({"run", "--rm", "-v", "vol1:/data", EngineEnv::kImage, "sh", "-c",
                          "cat /data/seed.txt; echo more > /data/new.txt"});
  EXPECT_EQ(first.exit_code, 0) << first.describe();
  EXPECT_EQ(first.out, "seeded\n");
  auto second = env.krill({"run", "--rm", "-v", "vol1:/data:ro", EngineEnv::kImage, "sh", "-c",
                           "cat /data/new.txt; touch /data/x 2>/dev/null || echo ro"});
  EXPECT_EQ(second.out, "more\nro\n") << second.describe();
  std::string host = test_dir() + "/bind-src";
  std::filesystem::create_directories(host);
  write_file(host + "/f", "from host\n");
  auto bind = env.krill({"run", "--rm", "-v", host + ":/mnt", EngineEnv::kImage, "cat", "/mnt/f"});
  EXPECT_EQ(bind.out, "from host\n") << bind.describe();
  EXPECT_EQ(env.krill({"volume", "rm", "vol1"}).exit_code, 0);
}

TEST(EngineRun, VolumeCopyUpStaysInsideTheImage) {
  EngineEnv env;
  // /escape -> /etc in the image: the new volume gets the image's /etc, never the host's.
  auto run = env.krill({"run", "--rm", "-v", "/escape", EngineEnv::kImage, "ls", "/escape"});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_NE(run.out.find("passwd"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("debian_version"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("os-release"), std::string::npos) << run.out;
}

TEST(EngineBadInput, ClearErrorsDockerCodesNothingLeft) {
  EngineEnv env;
  auto unknown = env.krill({"run", "--rm", "--pull", "never", "localhost/nope:1", "true"});
  EXPECT_EQ(unknown.exit_code, 125) << unknown.describe();
  EXPECT_NE(unknown.err.find("image not known"), std::string::npos) << unknown.err;

  auto memory = env.krill({"run", "--rm", "--memory", "abc", EngineEnv::kImage, "true"});
  EXPECT_EQ(memory.exit_code, 125) << memory.describe();
  EXPECT_NE(memory.err.find("--memory"), std::string::npos) << memory.err;

  auto source =
      env.krill({"run", "--rm", "-v", "/nonexistent/krill-src:/x", EngineEnv::kImage, "true"});
  EXPECT_EQ(source.exit_code, 125) << source.describe();
  EXPECT_NE(source.err.find("/nonexistent/krill-src"), std::string::npos) << source.err;
  EXPECT_TRUE(env.container_ids().empty());

  ASSERT_EQ(env.krill({"create", "--name", "taken", EngineEnv::kImage, "true"}).exit_code, 0);
  auto conflict = env.krill({"create", "--name", "taken", EngineEnv::kImage, "true"});
  EXPECT_EQ(conflict.exit_code, 125) << conflict.describe();
  EXPECT_NE(conflict.err.find("already in use"), std::string::npos) << conflict.err;
  EXPECT_EQ(env.container_ids().size(), 1u);

  auto exec = env.krill({"exec", "taken", "true"});
  EXPECT_EQ(exec.exit_code, 1) << exec.describe();
  EXPECT_NE(exec.err.find("container taken is not running"), std::string::npos);

  auto rm_missing = env.krill({"rm", "ghost"});
  EXPECT_EQ(rm_missing.exit_code, 1) << rm_missing.describe();
  EXPECT_NE(rm_missing.err.find("no such container"), std::string::npos);
  auto stop_missing = env.krill({"stop", "ghost"});
  EXPECT_EQ(stop_missing.exit_code, 125) << stop_missing.describe();

  ASSERT_EQ(env.krill({"run", "-d", "--name", "busy", EngineEnv::kImage, "sleep", "100"}).exit_code,
            0);
  auto rm_running = env.krill({"rm", "busy"});
  EXPECT_EQ(rm_running.exit_code, 1) << rm_running.describe();
  EXPECT_NE(rm_running.err.find("cannot remove container"), std::string::npos);
  EXPECT_EQ(env.krill({"rm", "-f", "busy", "taken"}).exit_code, 0);
  EXPECT_TRUE(env.container_ids().empty());
  EXPECT_TRUE(dir_empty_or_missing(env.store() + "/containers"));
  EXPECT_TRUE(env.leftover_mounts().empty());
}

}  // namespace
}  // namespace krill::it
