// The everyday container and volume verbs as root, each checked by what it changed: restart,
// exec -d, container prune, volume inspect and prune, and the run flags -w -u --entrypoint
// --hostname --add-host.
#include <gtest/gtest.h>

#include <chrono>

#include "engine_test_support.h"

namespace krill::it {
namespace {

using namespace std::chrono_literals;

TEST(EngineCommands, RestartStartsAFreshProcess) {
  EngineEnv env;
  auto run = env.krill({"run", "-d", "--name", "r", EngineEnv::kImage, "sh", "-c",
                        "echo start; trap 'exit 0' TERM; sleep 100 & wait"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  std::string first_pid = env.inspect("r", "{{.State.Pid}}");
  auto restarted = env.krill({"restart", "-t", "5", "r"});
  EXPECT_EQ(restarted.exit_code, 0) << restarted.describe();
  EXPECT_EQ(restarted.out, "r\n");
  EXPECT_EQ(env.inspect("r", "{{.State.Status}}"), "running");
  EXPECT_NE(env.inspect("r", "{{.State.Pid}}"), first_pid);
  EXPECT_TRUE(eventually([&] { return env.krill({"logs", "r"}).out == "start\nstart\n"; }));
  // restart of a stopped container starts it.
  ASSERT_TRUE(env.krill({"stop", "-t", "5", "r"}).ok());
  EXPECT_TRUE(env.krill({"restart", "r"}).ok());
  EXPECT_EQ(env.inspect("r", "{{.State.Status}}"), "running");
  auto unknown = env.krill({"restart", "nope"});
  EXPECT_EQ(unknown.exit_code, 125) << unknown.describe();
  EXPECT_NE(unknown.err.find("nope"), std::string::npos);
}

TEST(EngineCommands, ExecDetachedAndExecFlags) {
  EngineEnv env;
  ASSERT_TRUE(env.krill({"run", "-d", "--name", "box", EngineEnv::kImage, "sleep", "100"}).ok());
  auto detached = env.krill({"exec", "-d", "box", "sh", "-c", "sleep 0.5; echo bg > /tmp/bg"});
  EXPECT_EQ(detached.exit_code, 0) << detached.describe();
  EXPECT_EQ(detached.out, "");  // returns before the command is done
  EXPECT_TRUE(eventually([&] { return env.krill({"exec", "box", "cat", "/tmp/bg"}).out == "bg\n"; }));
  auto flags = env.krill({"exec", "-e", "GREETING=hi", "-u", "65534:65534", "-w", "/tmp", "box",
                          "sh", "-c", "echo $GREETING $(id -u):$(id -g) $(pwd)"});
  EXPECT_EQ(flags.out, "hi 65534:65534 /tmp\n") << flags.describe();
  auto by_name = env.krill({"exec", "-u", "nobody", "box", "whoami"});
  EXPECT_EQ(by_name.out, "nobody\n") << by_name.describe();
  auto code = env.krill({"exec", "box", "sh", "-c", "exit 42"});
  EXPECT_EQ(code.exit_code, 42) << code.describe();
  auto missing = env.krill({"exec", "box", "no-such-binary"});
  EXPECT_EQ(missing.exit_code, 127) << missing.describe();
  auto bad_dir = env.krill({"exec", "-w", "/no/such/dir", "box", "true"});
  EXPECT_NE(bad_dir.exit_code, 0) << bad_dir.describe();
  ASSERT_TRUE(env.krill({"stop", "-t", "0", "box"}).ok());
  auto stopped = env.krill({"exec", "box", "true"});
  EXPECT_EQ(stopped.exit_code, 1) << stopped.describe();  // docker exec's status for this
  EXPECT_NE(stopped.err.find("is not running"), std::string::npos) << stopped.describe();
}

TEST(EngineCommands, ContainerPruneRemovesOnlyStopped) {
  EngineEnv env;
  ASSERT_TRUE(env.krill({"run", "--name", "done1", EngineEnv::kImage, "true"}).ok());
  ASSERT_TRUE(env.krill({"create", "--name", "made", EngineEnv::kImage, "true"}).ok());
  ASSERT_TRUE(env.krill({"run", "-d", "--name", "alive", EngineEnv::kImage, "sleep", "100"}).ok());
  std::string done_id = env.inspect("done1", "{{.Id}}");
  auto pruned = env.krill({"container", "prune", "-f"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.describe();
  EXPECT_NE(pruned.out.find(done_id), std::string::npos) << pruned.out;
  auto names = env.krill({"ps", "-a", "--format", "{{.Names}}"});
  EXPECT_EQ(names.out, "alive\n") << names.describe();
  // Nothing to prune: no output, success.
  ASSERT_TRUE(env.krill({"rm", "-f", "alive"}).ok());
  auto empty = env.krill({"container", "prune", "-f"});
  EXPECT_EQ(empty.exit_code, 0) << empty.describe();
  EXPECT_TRUE(env.container_ids().empty());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

TEST(EngineCommands, VolumeInspectAndPrune) {
  EngineEnv env;
  ASSERT_TRUE(env.krill({"volume", "create", "--label", "team=blue", "data"}).ok());
  auto inspected = env.krill({"volume", "inspect", "data"});
  ASSERT_EQ(inspected.exit_code, 0) << inspected.describe();
  json doc = parse_json(inspected.out);
  ASSERT_TRUE(doc.is_array() && doc.size() == 1) << inspected.out;
  EXPECT_EQ(doc[0]["Name"], "data");
  EXPECT_EQ(doc[0]["Driver"], "local");
  EXPECT_EQ(doc[0]["Labels"]["team"], "blue");
  std::string mountpoint = doc[0]["Mountpoint"];
  EXPECT_TRUE(path_exists(mountpoint)) << mountpoint;
  EXPECT_EQ(env.krill({"volume", "inspect", "--format", "{{.Name}} {{.Driver}}", "data"}).out,
            "data local\n");
  // The data a container wrote is in the mount point.
  ASSERT_TRUE(env.krill({"run", "--rm", "-v", "data:/d", EngineEnv::kImage, "sh", "-c",
                         "echo saved > /d/f"})
                  .ok());
  EXPECT_EQ(read_file(mountpoint + "/f"), "saved\n");

  // prune keeps a volume a container uses, even a stopped one.
  ASSERT_TRUE(env.krill({"volume", "create", "unused"}).ok());
  ASSERT_TRUE(
      env.krill({"create", "--name", "holder", "-v", "data:/d", EngineEnv::kImage, "true"}).ok());
  auto pruned = env.krill({"volume", "prune", "-f"});
  EXPECT_EQ(pruned.exit_code, 0) << pruned.describe();
  EXPECT_NE(pruned.out.find("unused"), std::string::npos) << pruned.out;
  EXPECT_EQ(env.krill({"volume", "ls", "-q"}).out, "data\n");
  auto in_use = env.krill({"volume", "rm", "data"});
  EXPECT_NE(in_use.exit_code, 0) << in_use.describe();
  EXPECT_NE(in_use.err.find(env.inspect("holder", "{{.Id}}")), std::string::npos)
      << in_use.describe();
  ASSERT_TRUE(env.krill({"rm", "holder"}).ok());
  EXPECT_TRUE(env.krill({"volume", "prune", "-f"}).ok());
  EXPECT_EQ(env.krill({"volume", "ls", "-q"}).out, "");
  EXPECT_FALSE(path_exists(mountpoint));

  auto unknown = env.krill({"volume", "inspect", "ghost"});
  EXPECT_NE(unknown.exit_code, 0) << unknown.describe();
  EXPECT_NE(unknown.err.find("ghost"), std::string::npos) << unknown.describe();
}

TEST(EngineCommands, RunWorkdirUserEntrypointHostnameAddHost) {
  EngineEnv env;
  auto run = env.krill({"run", "--rm", "-w", "/made/here", "-u", "65534:5", "--hostname",
                        "boxhost", "--add-host", "db.local:10.1.2.3", "--add-host",
                        "v6.local:fd00::1", "--entrypoint", "sh", EngineEnv::kImage, "-c",
                        "pwd; id -u; id -g; hostname; cat /etc/hostname; "
                        "grep -E 'db.local|v6.local' /etc/hosts"});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.out,
            "/made/here\n65534\n5\nboxhost\nboxhost\n10.1.2.3\tdb.local\nfd00::1\tv6.local\n");
  // --entrypoint "" clears the image's; a JSON array is an entrypoint with arguments.
  auto json_entry = env.krill(
      {"run", "--rm", "--entrypoint", R"(["sh", "-c", "echo from-json $0"])", EngineEnv::kImage,
       "arg0"});
  EXPECT_EQ(json_entry.out, "from-json arg0\n") << json_entry.describe();
  auto user_by_name = env.krill({"run", "--rm", "-u", "nobody", EngineEnv::kImage, "id", "-un"});
  EXPECT_EQ(user_by_name.out, "nobody\n") << user_by_name.describe();

  auto unknown_user = env.krill({"run", "--rm", "-u", "ghost", EngineEnv::kImage, "true"});
  EXPECT_EQ(unknown_user.exit_code, 125) << unknown_user.describe();
  EXPECT_NE(unknown_user.err.find("ghost"), std::string::npos) << unknown_user.describe();
  auto relative = env.krill({"run", "--rm", "-w", "rel", EngineEnv::kImage, "true"});
  EXPECT_EQ(relative.exit_code, 125) << relative.describe();
  auto bad_host = env.krill({"run", "--rm", "--add-host", "nocolon", EngineEnv::kImage, "true"});
  EXPECT_EQ(bad_host.exit_code, 125) << bad_host.describe();
  EXPECT_NE(bad_host.err.find("--add-host"), std::string::npos) << bad_host.describe();
  EXPECT_TRUE(env.container_ids().empty());
}

}  // namespace
}  // namespace krill::it
