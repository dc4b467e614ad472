// Lifecycle and operations: runtime.md "State", "Lifecycle", "Operations" and the runc CLI.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "harness.h"

namespace krill::it {
namespace {

bool process_alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

// runc-compatible CLI: `spec` writes a usable default config.json (config.md ociVersion, root,
// process).
TEST(Lifecycle, SpecWritesDefaultConfig) {
  Bundle bundle;
  CommandResult r;
  json config = parse_json(read_file(bundle.config_path()));
  ASSERT_TRUE(config.is_object());
  EXPECT_TRUE(config["ociVersion"].is_string());
  EXPECT_EQ(config["root"]["path"], "rootfs");
  EXPECT_TRUE(config["process"]["args"].is_array());
  EXPECT_TRUE(config["linux"]["namespaces"].is_array());
}

// runtime.md Create/State: after create the status is "created" with the pid of the container
// process, the id and the absolute bundle path; process.args has not run yet (lifecycle step 2).
TEST(Lifecycle, CreateGivesCreatedStateAndDoesNotRunProgram) {
  Bundle bundle;
  std::string shared = bundle.share_dir();
  bundle.set_args({"/probe", "append", "/shared/ran", "yes"});
  bundle.config["annotations"] = {{"org.krill.test", "value"}};
  Container c(bundle);
  CommandResult r = c.create();
  ASSERT_TRUE(r.ok()) << r.describe();
  json state = c.state_json();
  ASSERT_TRUE(state.is_object());
  EXPECT_EQ(state.value("status", ""), "created");
  EXPECT_EQ(state.value("id", ""), c.id());
  EXPECT_EQ(state.value("bundle", ""), bundle.path());
  EXPECT_TRUE(state["ociVersion"].is_string() && !state["ociVersion"].get<std::string>().empty());
  ASSERT_TRUE(state.contains("pid"));
  EXPECT_TRUE(process_alive(state["pid"].get<pid_t>()));
  EXPECT_EQ(state["annotations"]["org.krill.test"], "value");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(path_exists(shared + "/ran")) << "process.args ran during create";

  r = c.start();
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(eventually([&] { return path_exists(shared + "/ran"); }));
  EXPECT_TRUE(c.wait_for_status("stopped"));
}

// runtime.md Start/State: start -> "running"; the process exits -> "stopped"; delete removes
// the container (state then fails) and the process is gone.
TEST(Lifecycle, StartRunningStoppedDelete) {
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  ASSERT_TRUE(c.create().ok());
  pid_t pid = c.pid();
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(c.start().ok());
  EXPECT_EQ(c.status(), "running");
  EXPECT_EQ(c.pid(), pid) << "the container process keeps its pid across start";
  ASSERT_TRUE(c.kill("KILL").ok());
  EXPECT_TRUE(c.wait_for_status("stopped"));
  CommandResult r = c.remove();
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(c.state().ok()) << "state of a deleted container must fail";
  EXPECT_TRUE(eventually([&] { return !process_alive(pid); }));
}

// runtime.md Lifecycle step 10: when the program exits by itself the container is stopped.
TEST(Lifecycle, ProgramExitMeansStopped) {
  Bundle bundle;
  bundle.set_args({"/probe", "exit", "0"});
  Container c(bundle);
  ASSERT_TRUE(c.create().ok());
  ASSERT_TRUE(c.start().ok());
  EXPECT_TRUE(c.wait_for_status("stopped"));
}

// runtime.md Start: starting a container that is not "created" MUST error and have no effect.
TEST(Lifecycle, StartTwiceFailsWithoutEffect) {
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  ASSERT_TRUE(c.create().ok());
  ASSERT_TRUE(c.start().ok());
  pid_t pid = c.pid();
  CommandResult again = c.start();
  EXPECT_NE(again.exit_code, 0) << again.describe();
  EXPECT_EQ(c.status(), "running");
  EXPECT_EQ(c.pid(), pid);
  c.kill("KILL");
  ASSERT_TRUE(c.wait_for_status("stopped"));
  again = c.start();
  EXPECT_NE(again.exit_code, 0) << "start of a stopped container must fail\n" << again.describe();
  EXPECT_EQ(c.status(), "stopped");
}

// runtime.md Delete: deleting a container that is not stopped MUST error and have no effect.
// runc deviates for "created" containers: `runc delete` kills and removes them without --force.
TEST(Lifecycle, DeleteCreatedWithoutForceFails) {
  if (runtime_is_runc())
    GTEST_SKIP() << "runc deviates from runtime.md Delete: it deletes created containers";
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  ASSERT_TRUE(c.create().ok());
  CommandResult r = c.remove();
  EXPECT_NE(r.exit_code, 0) << "delete of a created container must fail\n" << r.describe();
  EXPECT_EQ(c.status(), "created");
}

TEST(Lifecycle, DeleteRunningWithoutForceFails) {
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  ASSERT_TRUE(c.create().ok());
  ASSERT_TRUE(c.start().ok());
  CommandResult r = c.remove();
  EXPECT_NE(r.exit_code, 0) << "delete of a running container must fail\n" << r.describe();
  EXPECT_EQ(c.status(), "running");
  pid_t pid = c.pid();
  r = c.remove(/*force=*/true);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(c.state().ok());
  EXPECT_TRUE(eventually([&] { return !process_alive(pid); }));
}

// runtime.md Kill: the given signal reaches the container process; signals by name with and
// without the SIG prefix and by number (runc CLI).
struct SignalCase {
  const char* spelling;
  int number;
};
class KillSignal : public ::testing::TestWithParam<SignalCase> {};

TEST_P(KillSignal, ReachesContainerProcess) {
  Bundle bundle;
  std::string shared = bundle.share_dir();
  bundle.set_args({"/probe", "wait-signal", "/shared/sig"});
  Container c(bundle);
  ASSERT_TRUE(c.create().ok());
  ASSERT_TRUE(c.start().ok());
  ASSERT_TRUE(eventually([&] { return path_exists(shared + "/sig.ready"); })) << c.error_output();
  CommandResult r = c.kill(GetParam().spelling);
  ASSERT_TRUE(r.ok()) << r.describe();
  // The probe creates the file, then writes the line: wait for the whole line.
  ASSERT_TRUE(eventually([&] { return read_file(shared + "/sig").ends_with("\n"); }));
  EXPECT_EQ(read_file(shared + "/sig"), std::to_string(GetParam().number) + "\n");
  EXPECT_TRUE(c.wait_for_status("stopped"));
}

INSTANTIATE_TEST_SUITE_P(Spellings, KillSignal,
                         ::testing::Values(SignalCase{"SIGUSR1", SIGUSR1},
                                           SignalCase{"USR2", SIGUSR2}, SignalCase{"15", SIGTERM},
                                           SignalCase{"SIGHUP", SIGHUP},
                                           SignalCase{"", SIGTERM}),  // default: SIGTERM
                         [](const auto& info) {
                           std::string s = info.param.spelling;
                           return s.empty() ? std::string("Default") : "S" + s;
                         });

// runtime.md Kill: signalling a container that is neither created nor running MUST error.
TEST(Lifecycle, KillStoppedContainerFails) {
  Bundle bundle;
  bundle.set_args({"/probe", "exit", "0"});
  Container c(bundle);
  ASSERT_TRUE(c.create().ok());
  ASSERT_TRUE(c.start().ok());
  ASSERT_TRUE(c.wait_for_status("stopped"));
  CommandResult r = c.kill("KILL");
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_EQ(c.status(), "stopped");
}

// runtime.md Kill: a created (not yet started) container can be killed.
TEST(Lifecycle, KillCreatedContainer) {
  Bundle bundle;
  Container c(bundle);
  ASSERT_TRUE(c.create().ok());
  CommandResult r = c.kill("KILL");
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(c.wait_for_status("stopped"));
}

// runtime.md Query State / Start / Kill / Delete: operations without an id, or with an id that
// does not exist, MUST error.
TEST(Lifecycle, OperationsOnMissingIdFail) {
  std::string missing = unique_id("missing");
  for (const auto& args : std::vector<std::vector<std::string>>{{"state", missing},
                                                                {"start", missing},
                                                                {"kill", missing, "KILL"},
                                                                {"delete", missing},
                                                                {"state"},
                                                                {"start"},
                                                                {"kill"},
                                                                {"delete"}}) {
    CommandResult r = runtime(args);
    EXPECT_NE(r.exit_code, 0) << r.describe();
  }
  Bundle bundle;
  CommandResult r = runtime({"create", "--bundle", bundle.path()});
  EXPECT_NE(r.exit_code, 0) << "create without an id must fail\n" << r.describe();
}

// runtime.md Create: an id that is not unique MUST error and MUST NOT create a container.
TEST(Lifecycle, CreateWithDuplicateIdFails) {
  Bundle bundle;
  Container first(bundle);
  ASSERT_TRUE(first.create().ok());
  pid_t pid = first.pid();
  Bundle other;
  CommandResult r =
      runtime({"create", "--bundle", other.path(), first.id()},
              {.stdout_path = other.path() + "/out", .stderr_path = other.path() + "/err"});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  json state = first.state_json();
  ASSERT_TRUE(state.is_object());
  EXPECT_EQ(state.value("bundle", ""), bundle.path());
  EXPECT_EQ(state.value("pid", 0), pid);
  EXPECT_EQ(state.value("status", ""), "created");
}

// runtime.md Lifecycle step 2: changes to config.json after create MUST NOT affect the container.
TEST(Lifecycle, ConfigChangesAfterCreateHaveNoEffect) {
  Bundle bundle;
  bundle.set_args({"/probe", "echo", "original"});
  Container c(bundle);
  ASSERT_TRUE(c.create().ok());
  bundle.set_args({"/probe", "echo", "changed"});
  bundle.config["hostname"] = "changed";
  bundle.save();
  ASSERT_TRUE(c.start().ok());
  ASSERT_TRUE(c.wait_for_status("stopped"));
  EXPECT_EQ(c.output(), "original\n");
}

// runtime.md Delete: deleting MUST remove what create made: the state entry, the cgroups and
// the process.
TEST(Lifecycle, DeleteRemovesCreatedResources) {
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  ASSERT_TRUE(c.create().ok());
  pid_t pid = c.pid();
  std::vector<std::string> cgroups;
  for (const auto& [controllers, mount] : host_cgroup_mounts()) {
    std::string dir = cgroup_dir_of(pid, controllers);
    // Rootless, without a cgroup delegated to the user, the container stays in the runtime's.
    if (rootless_mode()) EXPECT_EQ(dir, cgroup_dir_of(getpid(), controllers)) << controllers;
    if (!dir.empty() && dir != mount && !rootless_mode()) cgroups.push_back(dir);
  }
  EXPECT_TRUE(rootless_mode() || !cgroups.empty()) << "the container has no cgroup of its own";
  c.kill("KILL");
  ASSERT_TRUE(c.wait_for_status("stopped"));
  ASSERT_TRUE(c.remove().ok());
  EXPECT_FALSE(path_exists(state_root() + "/" + c.id()));
  for (const auto& dir : cgroups) EXPECT_FALSE(path_exists(dir)) << dir;
  EXPECT_TRUE(eventually([&] { return !process_alive(pid); }));
  CommandResult listed = runtime({"list", "-q"});
  EXPECT_EQ(listed.out.find(c.id()), std::string::npos);
}

// runc CLI `run`: the exit status of the program is the exit status of run (128+N on signal).
TEST(Lifecycle, RunPropagatesExitStatus) {
  Bundle bundle;
  bundle.set_args({"/probe", "exit", "7"});
  Container c(bundle);
  CommandResult r = c.run();
  EXPECT_EQ(r.exit_code, 7) << r.describe();
  EXPECT_FALSE(c.state().ok()) << "run removes the container when it exits";

  Bundle second;
  second.set_args({"/bin/sh", "-c", "kill -KILL $$"});
  second.remove_namespace("pid");  // so the shell is not pid 1 and can die by its own signal
  Container killed(second);
  r = killed.run();
  EXPECT_EQ(r.exit_code, 128 + SIGKILL) << r.describe();
}

// runc CLI `run` forwards stdout/stderr and stdin.
TEST(Lifecycle, RunForwardsStdio) {
  Bundle bundle;
  bundle.set_args({"/bin/sh", "-c", "cat; echo to-stderr >&2"});
  Container c(bundle);
  CommandResult r = c.run({}, {.stdin_data = std::string("from-stdin\n")});
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "from-stdin\n");
  EXPECT_EQ(r.err, "to-stderr\n");
}

// runc CLI `run -d`: returns once the program runs, leaving it running.
TEST(Lifecycle, RunDetached) {
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  CommandResult r = c.run_detached();
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(c.status(), "running");
}

// runc CLI `list`: table, -q and --format json.
TEST(Lifecycle, ListFormats) {
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container running(bundle);
  ASSERT_TRUE(running.run_detached().ok());
  Bundle other;
  Container created(other);
  ASSERT_TRUE(created.create().ok());

  CommandResult r = runtime({"list", "--format", "json"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json list = parse_json(r.out);
  ASSERT_TRUE(list.is_array()) << r.out;
  std::map<std::string, json> by_id;
  for (const auto& item : list) by_id[item.value("id", "")] = item;
  ASSERT_TRUE(by_id.count(running.id()));
  ASSERT_TRUE(by_id.count(created.id()));
  EXPECT_EQ(by_id[running.id()]["status"], "running");
  EXPECT_EQ(by_id[created.id()]["status"], "created");
  EXPECT_EQ(by_id[running.id()]["pid"], running.pid());
  EXPECT_EQ(by_id[running.id()]["bundle"], bundle.path());

  r = runtime({"list"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out.rfind("ID", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("STATUS"), std::string::npos);
  EXPECT_NE(r.out.find(running.id()), std::string::npos);
  EXPECT_NE(r.out.find(created.id()), std::string::npos);

  r = runtime({"list", "-q"});
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r.out.find(running.id() + "\n"), std::string::npos);
  EXPECT_EQ(r.out.find("STATUS"), std::string::npos);
}

// runc CLI `ps --format json`: the pids (host view) of the container's processes.
TEST(Lifecycle, PsJson) {
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  ASSERT_TRUE(c.run_detached().ok());
  CommandResult r = runtime({"ps", "--format", "json", c.id()});
  ASSERT_TRUE(r.ok()) << r.describe();
  json pids = parse_json(r.out);
  ASSERT_TRUE(pids.is_array()) << r.out;
  EXPECT_NE(std::find(pids.begin(), pids.end(), json(c.pid())), pids.end()) << r.out;
}

// runc CLI pause/resume: state reports "paused" (an additional state, runtime.md State) and the
// cgroup freezer holds the processes.
TEST(Lifecycle, PauseResume) {
  KRILL_SKIP_IF_ROOTLESS(
      "pause needs a freezer cgroup of the container's own, which a rootless runtime cannot make "
      "without a cgroup delegated to the user (none here: no systemd)");
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  ASSERT_TRUE(c.run_detached().ok());
  CommandResult r = runtime({"pause", c.id()});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(c.status(), "paused");
  std::string stat = read_file("/proc/" + std::to_string(c.pid()) + "/stat");
  auto paren = stat.rfind(')');
  ASSERT_NE(paren, std::string::npos);
  EXPECT_EQ(stat[paren + 2], 'D') << "frozen tasks sleep uninterruptibly: " << stat;
  r = runtime({"resume", c.id()});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(c.status(), "running");
}

// runc CLI exec: args, exit status, and --process with cwd/env; the new process joins the
// container's namespaces.
TEST(Lifecycle, Exec) {
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  ASSERT_TRUE(c.run_detached().ok());

  CommandResult r = c.exec({}, {"/probe", "echo", "a b", "c"});
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out, "a b c\n");
  r = c.exec({}, {"/probe", "exit", "3"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();

  json process = bundle.config["process"];
  process["args"] = {"/probe", "report"};
  process["cwd"] = "/tmp";
  process["env"] = {"PATH=/bin", "KIT_EXEC=yes"};
  std::string process_file = bundle.path() + "/process.json";
  write_file(process_file, process.dump());
  r = c.exec({"--process", process_file}, {});
  ASSERT_TRUE(r.ok()) << r.describe();
  json report = last_json_line(r.out);
  ASSERT_TRUE(report.is_object()) << r.out;
  EXPECT_EQ(report["cwd"], "/tmp");
  EXPECT_NE(std::find(report["env"].begin(), report["env"].end(), json("KIT_EXEC=yes")),
            report["env"].end());
  auto container_ns = host_namespaces(c.pid());
  for (const char* type : {"mnt", "net", "ipc", "uts", "pid"})
    EXPECT_EQ(report["namespaces"][type].get<unsigned long long>(), container_ns[type]) << type;
}

// runc CLI events --stats: one JSON stats object.
TEST(Lifecycle, EventsStats) {
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  ASSERT_TRUE(c.run_detached().ok());
  CommandResult r = runtime({"events", "--stats", c.id()});
  ASSERT_TRUE(r.ok()) << r.describe();
  json event = last_json_line(r.out);
  ASSERT_TRUE(event.is_object()) << r.out;
  EXPECT_EQ(event.value("type", ""), "stats");
  EXPECT_EQ(event.value("id", ""), c.id());
}

// runc CLI `features` (runtime-spec features.md): JSON with the supported ociVersion range.
TEST(Lifecycle, Features) {
  CommandResult r = runtime({"features"});
  ASSERT_TRUE(r.ok()) << r.describe();
  json features = parse_json(r.out);
  ASSERT_TRUE(features.is_object()) << r.out;
  EXPECT_TRUE(features["ociVersionMin"].is_string());
  EXPECT_TRUE(features["ociVersionMax"].is_string());
}

// runtime.md Start: "This operation MUST generate an error if process was not set."
TEST(Lifecycle, NoProcessFails) {
  Bundle bundle;
  bundle.config.erase("process");
  Container c(bundle);
  CommandResult created = c.create();
  if (created.ok()) {
    CommandResult started = c.start();
    EXPECT_NE(started.exit_code, 0) << started.describe();
  } else {
    SUCCEED() << "rejected at create: " << created.err;
  }
  EXPECT_NE(c.status(), "running");
}

}  // namespace
// runc's create semantics: the container gets a session keyring of its own ("_ses.<id>"),
// unless --no-new-keyring keeps the caller's.
TEST(Lifecycle, NewSessionKeyringUnlessNoNewKeyring) {
  Bundle bundle;
  bundle.config["linux"]["maskedPaths"] = json::array();  // the default spec masks /proc/keys
  bundle.set_args({"/probe", "cat", "/proc/keys"});
  {
    Container c(bundle);
    CommandResult r = c.run();
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_NE(r.out.find("_ses." + c.id()), std::string::npos) << r.out;
  }
  Container c(bundle);
  CommandResult r = c.run({"--no-new-keyring"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out.find("_ses." + c.id()), std::string::npos) << r.out;
}

}  // namespace krill::it
