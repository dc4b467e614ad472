// Hooks: config.md "POSIX-platform Hooks" and runtime.md "Lifecycle" steps 3-13. Every hook is
// the probe (`probe hook LOG NAME`), which appends the state it read on stdin, its pid and its
// mount namespace to LOG.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "harness.h"

namespace krill::it {
namespace {

// The probe as a hook: the copy the test user can run when the runtime runs rootless.
std::string host_probe() {
  if (rootless_mode()) return rootless_probe_binary();
  return std::filesystem::absolute(probe_binary()).string();
}

json hook(const std::string& path, const std::string& log, const std::string& name) {
  return {{"path", path}, {"args", {"probe", "hook", log, name}}, {"env", {"KIT_HOOK=" + name}}};
}

std::vector<json> read_log(const std::string& log) {
  std::vector<json> lines;
  std::istringstream in(read_file(log));
  std::string line;
  while (std::getline(in, line)) lines.push_back(parse_json(line));
  return lines;
}

std::vector<std::string> names(const std::vector<json>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) out.push_back(l.is_object() ? l.value("hook", "?") : "?");
  return out;
}

std::string mnt_ns_of_self() {
  char buf[128];
  ssize_t n = readlink("/proc/self/ns/mnt", buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// config.md Hooks: all phases run, in order, at the right operation, in the right namespace,
// with the container state on stdin.
TEST(Hooks, PhasesOrderStateAndNamespaces) {
  Bundle bundle;
  std::string shared = bundle.share_dir();
  std::string log = shared + "/hooks.log";
  bundle.set_args({"/probe", "sleep", "60"});
  bundle.config["hooks"] = {
      {"prestart", {hook(host_probe(), log, "prestart")}},
      {"createRuntime", {hook(host_probe(), log, "createRuntime")}},
      {"createContainer", {hook(host_probe(), log, "createContainer")}},
      {"startContainer", {hook("/probe", "/shared/hooks.log", "startContainer")}},
      {"poststart", {hook(host_probe(), log, "poststart")}},
      {"poststop", {hook(host_probe(), log, "poststop")}}};
  Container c(bundle);
  CommandResult r = c.create();
  ASSERT_TRUE(r.ok()) << r.describe();
  pid_t pid = c.pid();
  // Lifecycle steps 3-5: prestart, createRuntime and createContainer during create; steps 7-9:
  // startContainer before the program, poststart after it but before start returns; step 13:
  // poststop before delete returns.
  std::vector<std::string> after_create = {"prestart", "createRuntime", "createContainer"};
  std::vector<std::string> after_start = {"prestart", "createRuntime", "createContainer",
                                          "startContainer", "poststart"};
  std::vector<std::string> after_delete = after_start;
  after_delete.push_back("poststop");
  if (runtime_is_runc()) {
    // runc 1.1 deviates from runtime.md step 9: it runs poststart hooks at the end of create.
    after_create.push_back("poststart");
    after_start = {"prestart", "createRuntime", "createContainer", "poststart", "startContainer"};
    after_delete = after_start;
    after_delete.push_back("poststop");
  }
  EXPECT_EQ(names(read_log(log)), after_create);
  ASSERT_TRUE(c.start().ok());
  EXPECT_EQ(names(read_log(log)), after_start);
  c.kill("KILL");
  ASSERT_TRUE(c.wait_for_status("stopped"));
  ASSERT_TRUE(c.remove().ok());
  std::vector<json> lines = read_log(log);
  ASSERT_EQ(names(lines), after_delete);
  std::string host_mnt = mnt_ns_of_self();
  for (const auto& line : lines) {
    std::string name = line["hook"];
    const json& state = line["state"];
    ASSERT_TRUE(state.is_object()) << name << ": stdin was not the state: " << line.dump();
    EXPECT_EQ(state.value("id", ""), c.id()) << name;
    EXPECT_EQ(state.value("bundle", ""), bundle.path()) << name;
    EXPECT_TRUE(state["ociVersion"].is_string()) << name;
    EXPECT_TRUE(state["status"].is_string()) << name;
    bool in_container = name == "createContainer" || name == "startContainer";
    EXPECT_EQ(line["mnt_ns"] == host_mnt, !in_container)
        << name << " ran in the wrong mount namespace";
    EXPECT_NE(std::find(line["env"].begin(), line["env"].end(), json("KIT_HOOK=" + name)),
              line["env"].end())
        << name << ": hook env not passed";
    if (name != "poststop" && !in_container) {
      EXPECT_EQ(state.value("pid", 0), pid) << name;
    }
    // Working directories as runc's: the bundle for the runtime-namespace hooks (runc chdirs
    // there for create; krill for start and delete too), the rootfs for createContainer (before
    // pivot_root), process.cwd for startContainer.
    const std::string cwd = line.value("cwd", "");
    if (name == "createContainer") {
      EXPECT_EQ(cwd, bundle.rootfs()) << name;
    } else if (name == "startContainer") {
      EXPECT_EQ(cwd, bundle.config["process"].value("cwd", "/")) << name;
    } else if (!runtime_is_runc() || name == "prestart" || name == "createRuntime") {
      EXPECT_EQ(cwd, bundle.path()) << name;
    }
  }
}

// runtime.md Lifecycle step 4: a failing createRuntime hook makes create fail, and the error
// leaves nothing behind (runtime.md Errors): no state entry, no process, no cgroup.
TEST(Hooks, FailingCreateRuntimeHookAbortsCreate) {
  Bundle bundle;
  Container c(bundle);
  const CgroupGuard& guard = bundle.use_test_cgroup(c.id());
  bundle.config["hooks"] = {{"createRuntime", {{{"path", "/bin/false"}}}}};
  CommandResult r = c.create();
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(c.state().ok());
  EXPECT_FALSE(path_exists(state_root() + "/" + c.id()));
  EXPECT_TRUE(eventually([&] { return marked_processes("KRILL_IT_ID=" + c.id()).empty(); }))
      << "a process of the failed create is still running";
  for (const auto& dir : guard.leaf_dirs()) EXPECT_FALSE(path_exists(dir)) << dir;
}

// runtime.md Lifecycle step 3 for prestart, step 7 for startContainer: failure is an error.
TEST(Hooks, FailingStartContainerHookFailsStart) {
  Bundle bundle;
  std::string shared = bundle.share_dir();
  bundle.set_args({"/probe", "append", "/shared/ran", "yes"});
  bundle.config["hooks"] = {{"startContainer", {{{"path", "/bin/false"}}}}};
  Container c(bundle);
  CommandResult r = c.create();
  if (!r.ok()) {
    SUCCEED() << "rejected at create";
    return;
  }
  r = c.start();
  // runc 1.1 deviates: `start` reports success although the startContainer hook failed in init.
  if (!runtime_is_runc()) {
    EXPECT_NE(r.exit_code, 0) << r.describe();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(path_exists(shared + "/ran")) << "the program ran although startContainer failed";
}

// runtime.md Lifecycle step 13: a failing poststop hook only warns; delete completes.
TEST(Hooks, FailingPoststopHookOnlyWarns) {
  Bundle bundle;
  bundle.set_args({"/probe", "exit", "0"});
  bundle.config["hooks"] = {{"poststop", {{{"path", "/bin/false"}}}}};
  Container c(bundle);
  ASSERT_TRUE(c.create().ok());
  ASSERT_TRUE(c.start().ok());
  ASSERT_TRUE(c.wait_for_status("stopped"));
  CommandResult r = c.remove();
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_FALSE(c.state().ok());
}

// config.md Hooks: timeout is the number of seconds before aborting the hook.
TEST(Hooks, TimeoutAbortsHook) {
  Bundle bundle;
  Container c(bundle);
  bundle.config["hooks"] = {
      {"createRuntime",
       {{{"path", host_probe()}, {"args", {"probe", "sleep", "30"}}, {"timeout", 1}}}}};
  auto begin = std::chrono::steady_clock::now();
  CommandResult r = c.create();
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_LT(took, std::chrono::seconds(20));
  EXPECT_FALSE(c.state().ok());
}

}  // namespace
}  // namespace krill::it
