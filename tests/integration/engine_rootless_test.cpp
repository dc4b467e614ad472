// Rootless engine: the container commands as an unprivileged user with subordinate ids. Every
// command joins the user's krill namespace (a pause process keeps it), so a container started by
// one command is exec'd into, copied from and stopped by the next, and image users other than
// root are mapped to the user's subordinate ids.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine_test_support.h"
#include "engine_rootless_support.h"
#include "ship_harness.h"

namespace krill::it {
namespace {

constexpr const char* kImage = EngineRootless::kImage;

TEST_F(EngineRootless, RunsAsRootOfTheUsersNamespace) {
  auto ran = krill({"run", "--rm", kImage, "sh", "-c", "id -u; cat /proc/self/uid_map"});
  ASSERT_TRUE(ran.ok()) << ran.describe();
  // Container root is the user; 1.. are the subordinate ids.
  EXPECT_EQ(ran.out.substr(0, 2), "0\n") << ran.out;
  EXPECT_NE(ran.out.find(" " + std::to_string(session_.user().uid()) + " "), std::string::npos)
      << ran.out;
  const unsigned long subordinate = session_.user().subordinate_start();
  ASSERT_NE(subordinate, 0u);
  EXPECT_NE(ran.out.find(" " + std::to_string(subordinate) + " "), std::string::npos) << ran.out;
  EXPECT_EQ(all_ids(), "");
  // The store belongs to the user, and nothing of it is mounted in the host's namespace.
  struct stat st {};
  ASSERT_EQ(::stat((session_.store_root() + "/images.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, session_.user().uid());
  EXPECT_EQ(read_file("/proc/self/mountinfo").find(session_.home()), std::string::npos);
}

TEST_F(EngineRootless, ImageUsersMapToSubordinateIds) {
  const std::string volume = session_.home() + "/vol";
  std::filesystem::create_directories(volume);
  session_.give(volume);
  std::filesystem::permissions(volume, std::filesystem::perms::all);  // uid 1000 writes too
  auto ran = krill({"run", "--rm", "-u", "1000:1000", "-v", volume + ":/vol", kImage, "sh", "-c",
                    "id -u; id -g; touch /vol/made"});
  ASSERT_TRUE(ran.ok()) << ran.describe();
  EXPECT_EQ(ran.out, "1000\n1000\n");
  struct stat st {};
  ASSERT_EQ(::stat((volume + "/made").c_str(), &st), 0);
  // Container uid 1000 = the 1000th subordinate id.
  EXPECT_EQ(st.st_uid, session_.user().subordinate_start("/etc/subuid") + 999);
  EXPECT_EQ(st.st_gid, session_.user().subordinate_start("/etc/subgid") + 999);
}

TEST_F(EngineRootless, LaterCommandsReachADetachedContainer) {
  auto started = krill({"run", "-d", "--name", "web", kImage, "sh", "-c",
                        "echo started; echo data > /tmp/f; sleep 300"});
  ASSERT_TRUE(started.ok()) << started.describe();
  auto ps = krill({"ps", "--format", "{{.Names}} {{.Status}}"});
  EXPECT_EQ(ps.out.substr(0, 6), "web Up") << ps.describe();
  auto exec = krill({"exec", "web", "cat", "/tmp/f"});
  EXPECT_EQ(exec.out, "data\n") << exec.describe();
  const std::string copy = session_.home() + "/copied";
  auto cp = krill({"cp", "web:/tmp/f", copy});
  EXPECT_TRUE(cp.ok()) << cp.describe();
  EXPECT_EQ(read_file(copy), "data\n");
  auto logs = krill({"logs", "web"});
  EXPECT_EQ(logs.out, "started\n") << logs.describe();
  auto stopped = krill({"stop", "-t", "1", "web"});
  EXPECT_TRUE(stopped.ok()) << stopped.describe();
  auto status = krill({"inspect", "--format", "{{.State.Status}}", "web"});
  EXPECT_EQ(status.out, "exited\n") << status.describe();
  // Started again: the namespace still holds what start needs.
  auto restarted = krill({"start", "web"});
  EXPECT_TRUE(restarted.ok()) << restarted.describe();
  auto removed = krill({"rm", "-f", "web"});
  EXPECT_TRUE(removed.ok()) << removed.describe();
  EXPECT_EQ(all_ids(), "");
}

TEST_F(EngineRootless, ParallelRunsShareOneNamespace) {
  constexpr int kRuns = 6;
  std::vector<CommandResult> results(kRuns);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRuns; ++i)
    threads.emplace_back([&, i] {
      results[i] = krill({"run", "--rm", kImage, "echo", "run" + std::to_string(i)});
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < kRuns; ++i) {
    EXPECT_TRUE(results[i].ok()) << results[i].describe();
    EXPECT_EQ(results[i].out, "run" + std::to_string(i) + "\n");
  }
  EXPECT_EQ(all_ids(), "");
}

TEST_F(EngineRootless, UnshareAndMigrate) {
  auto inside = krill({"unshare", "sh", "-c", "id -u; echo $KRILL_STORE"});
  ASSERT_TRUE(inside.ok()) << inside.describe();
  EXPECT_EQ(inside.out, "0\n" + session_.store_root() + "\n");
  // A layer file owned by a subordinate id: the user cannot remove it outside, can inside.
  auto owner = krill({"unshare", "stat", "-c", "%u", session_.store_root()});
  EXPECT_EQ(owner.out, "0\n") << owner.describe();
  EXPECT_EQ(krill({"unshare", "sh", "-c", "exit 7"}).exit_code, 7);
  EXPECT_EQ(krill({"unshare", "/nonexistent/cmd"}).exit_code, 127);

  const pid_t pause = session_.pause_pid();
  ASSERT_NE(pause, 0);
  ASSERT_TRUE(krill({"run", "-d", "--name", "sleeper", kImage, "sleep", "300"}).ok());
  auto migrated = krill({"system", "migrate"});
  ASSERT_TRUE(migrated.ok()) << migrated.describe();
  EXPECT_EQ(session_.pause_pid(), 0);
  // Its containers were stopped first; the next command makes a new namespace.
  auto status = krill({"inspect", "--format", "{{.State.Status}}", "sleeper"});
  EXPECT_EQ(status.out, "exited\n") << status.describe();
  EXPECT_NE(session_.pause_pid(), 0);
  EXPECT_NE(session_.pause_pid(), pause);
  EXPECT_TRUE(krill({"rm", "sleeper"}).ok());
}

// pasta needs a route to copy into the container, and /dev/net/tun. The route: a veth pair in
// this test process's own network namespace (tests/integration/main.cpp), its peer down, so
// whatever is sent there goes nowhere. /dev/net/tun is 0666 where udev runs; a host without udev
// keeps the kernel's 0600, so this process gets a private mount namespace with a 0666 node of
// the same device bound over it (the user's namespace, made next, inherits that view).
class EngineRootlessPasta : public EngineRootless {
 protected:
  void PrepareHost() override {
    if (!have_program("pasta")) GTEST_SKIP() << "pasta (passt) missing";
    struct stat st {};
    if (::stat("/dev/net/tun", &st) != 0) GTEST_SKIP() << "no /dev/net/tun";
    if ((st.st_mode & 0006) != 0006) {
      ASSERT_EQ(::unshare(CLONE_NEWNS), 0) << "unshare a mount namespace: " << strerror(errno);
      ASSERT_EQ(::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
      const std::string node = tun_dir_.path() + "/tun";
      ASSERT_EQ(::mknod(node.c_str(), S_IFCHR | 0666, st.st_rdev), 0) << strerror(errno);
      ASSERT_EQ(::chmod(node.c_str(), 0666), 0);
      ASSERT_EQ(::mount(node.c_str(), "/dev/net/tun", nullptr, MS_BIND, nullptr), 0)
          << strerror(errno);
    }
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"ip", "link", "add", "krill-rl0", "type", "veth", "peer", "name", "krill-rl1"},
             {"ip", "addr", "add", "10.213.0.1/24", "dev", "krill-rl0"},
             {"ip", "link", "set", "krill-rl0", "up"},
             {"ip", "route", "add", "default", "via", "10.213.0.254", "dev", "krill-rl0"}}) {
      auto done = run_command(argv);
      ASSERT_TRUE(done.ok()) << done.describe();
    }
  }
  void TearDown() override { run_command({"ip", "link", "del", "krill-rl0"}); }

  TempDir tun_dir_{"tun"};
};

// The pid of a running container's pasta (from its pid file), 0 when none.
pid_t pasta_of(const RootlessSession& session, const std::string& id) {
  std::string text = read_file(session.run_root() + "/networks/containers/" + id + ".pasta.pid");
  pid_t pid = static_cast<pid_t>(std::atol(text.c_str()));
  // Debian's pasta runs as passt.avx2 where the processor has it.
  std::string comm = pid > 1 ? read_file("/proc/" + std::to_string(pid) + "/comm") : "";
  return comm.starts_with("pasta") || comm.starts_with("passt") ? pid : 0;
}

TEST_F(EngineRootlessPasta, ConnectsAndPublishesPorts) {
  auto started = krill({"run", "-d", "--name", "web", "-p", "18084:80", kImage, "httpd", "-f", "-p",
                        "80", "-h", "/etc"});
  ASSERT_TRUE(started.ok()) << started.describe();
  const std::string full_id = started.out.substr(0, 64);
  const std::string id = started.out.substr(0, 12);
  CommandResult fetched;
  for (int i = 0; i < 50; ++i) {
    fetched = run_command({"curl", "-s", "--max-time", "2", "http://127.0.0.1:18084/hostname"});
    if (fetched.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(fetched.out, id + "\n") << fetched.describe();
  // The host's address and route, copied in by pasta.
  auto inside = krill({"exec", "web", "sh", "-c", "ip -4 addr; ip route"});
  EXPECT_NE(inside.out.find("10.213.0.1/24"), std::string::npos) << inside.describe();
  EXPECT_NE(inside.out.find("default via 10.213.0.254"), std::string::npos) << inside.out;
  // Outbound: pasta carries connections to the gateway address to the host itself.
  const std::string www = session_.home() + "/www";
  std::filesystem::create_directories(www);
  std::ofstream(www + "/index.html") << "from the host\n";
  ship::BackgroundProcess host_server({"/bin/busybox", "httpd", "-f", "-p", "18095", "-h", www}, {},
                                      session_.home() + "/httpd.log");
  auto outbound = krill({"exec", "web", "sh", "-c",
                         "for i in 1 2 3 4 5 6 7 8 9 10; do timeout 2 wget -q -O- "
                         "http://10.213.0.254:18095/ && exit 0; sleep 0.2; done; exit 1"});
  EXPECT_EQ(outbound.out, "from the host\n") << outbound.describe();
  auto port = krill({"port", "web"});
  EXPECT_NE(port.out.find("80/tcp -> 0.0.0.0:18084"), std::string::npos) << port.describe();
  const pid_t pasta = pasta_of(session_, full_id);
  EXPECT_NE(pasta, 0) << "no pasta for the container: pid file \""
                      << read_file(session_.run_root() + "/networks/containers/" + full_id +
                                   ".pasta.pid")
                      << "\"";
  // The same port again: refused, nothing started.
  auto twice = krill({"run", "-d", "-p", "18084:80", kImage, "sleep", "100"});
  EXPECT_EQ(twice.exit_code, 125) << twice.describe();
  EXPECT_NE(twice.err.find("18084"), std::string::npos) << twice.err;

  ASSERT_TRUE(krill({"rm", "-f", "web"}).ok());
  EXPECT_EQ(all_ids().find(id), std::string::npos);
  for (int i = 0; i < 50 && pasta != 0 && ::kill(pasta, 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (pasta != 0) {
    EXPECT_NE(::kill(pasta, 0), 0) << "pasta left running";
  }
  EXPECT_FALSE(run_command({"curl", "-s", "--max-time", "1", "http://127.0.0.1:18084/"}).ok());
  EXPECT_TRUE(std::filesystem::is_empty(session_.run_root() + "/networks/containers"));
}

// The lifecycle verbs after run/ps/exec/stop/start/rm: create, top, stats, kill, wait, restart,
// rename, container prune.
TEST_F(EngineRootless, LifecycleVerbs) {
  auto created = krill({"create", "--name", "box", kImage, "sleep", "300"});
  ASSERT_TRUE(created.ok()) << created.describe();
  EXPECT_EQ(krill({"inspect", "--format", "{{.State.Status}}", "box"}).out, "created\n");
  ASSERT_TRUE(krill({"start", "box"}).ok());
  auto top = krill({"top", "box"});
  EXPECT_TRUE(top.ok()) << top.describe();
  EXPECT_NE(top.out.find("sleep 300"), std::string::npos) << top.out;
  auto stats = krill({"stats", "--no-stream", "--format", "{{.Name}}", "box"});
  EXPECT_TRUE(stats.ok()) << stats.describe();
  EXPECT_EQ(stats.out, "box\n") << stats.describe();
  auto killed = krill({"kill", "box"});
  EXPECT_TRUE(killed.ok()) << killed.describe();
  auto waited = krill({"wait", "box"});
  EXPECT_EQ(waited.out, "137\n") << waited.describe();
  auto restarted = krill({"restart", "-t", "1", "box"});
  EXPECT_TRUE(restarted.ok()) << restarted.describe();
  EXPECT_EQ(krill({"inspect", "--format", "{{.State.Status}}", "box"}).out, "running\n");
  auto renamed = krill({"rename", "box", "crate"});
  EXPECT_TRUE(renamed.ok()) << renamed.describe();
  EXPECT_EQ(krill({"ps", "--format", "{{.Names}}"}).out, "crate\n");
  ASSERT_TRUE(krill({"stop", "-t", "1", "crate"}).ok());
  auto pruned = krill({"container", "prune", "-f"});
  EXPECT_TRUE(pruned.ok()) << pruned.describe();
  EXPECT_EQ(all_ids(), "");
}

// exec's flags, cp into a container, diff, commit and export.
TEST_F(EngineRootless, ExecAndFilesystemVerbs) {
  ASSERT_TRUE(krill({"run", "-d", "--name", "fs", kImage, "sleep", "300"}).ok());
  auto exec = krill({"exec", "-e", "GREETING=hi", "-u", "1000:1000", "-w", "/tmp", "fs", "sh", "-c",
                     "echo $GREETING $(id -u) $(pwd)"});
  EXPECT_EQ(exec.out, "hi 1000 /tmp\n") << exec.describe();
  auto detached = krill({"exec", "-d", "fs", "sh", "-c", "echo bg > /tmp/bg"});
  EXPECT_TRUE(detached.ok()) << detached.describe();
  const std::string file = session_.home() + "/in.txt";
  {
    std::ofstream out(file);
    out << "copied in\n";
  }
  session_.give(file);
  auto cp = krill({"cp", file, "fs:/etc/in.txt"});
  EXPECT_TRUE(cp.ok()) << cp.describe();
  EXPECT_EQ(krill({"exec", "fs", "cat", "/etc/in.txt"}).out, "copied in\n");
  auto diff = krill({"diff", "fs"});
  EXPECT_TRUE(diff.ok()) << diff.describe();
  EXPECT_NE(diff.out.find("A /etc/in.txt"), std::string::npos) << diff.out;
  auto committed = krill({"commit", "fs", "localhost/committed:1"});
  ASSERT_TRUE(committed.ok()) << committed.describe();
  auto from_commit = krill({"run", "--rm", "localhost/committed:1", "cat", "/etc/in.txt"});
  EXPECT_EQ(from_commit.out, "copied in\n") << from_commit.describe();
  const std::string tar = session_.home() + "/fs.tar";
  auto exported = krill({"export", "-o", tar, "fs"});
  EXPECT_TRUE(exported.ok()) << exported.describe();
  auto listed = run_command({"tar", "-tf", tar});
  EXPECT_NE(listed.out.find("etc/in.txt"), std::string::npos) << listed.describe();
  EXPECT_NE(listed.out.find("bin/busybox"), std::string::npos);
  ASSERT_TRUE(krill({"rm", "-f", "fs"}).ok());
  ASSERT_TRUE(krill({"rmi", "localhost/committed:1"}).ok());
  EXPECT_EQ(all_ids(), "");
}

// Named volumes and the everyday run flags.
TEST_F(EngineRootless, VolumesAndRunFlags) {
  ASSERT_TRUE(krill({"volume", "create", "data"}).ok());
  EXPECT_EQ(krill({"volume", "ls", "-q"}).out, "data\n");
  auto inspected = krill({"volume", "inspect", "--format", "{{.Name}}", "data"});
  EXPECT_EQ(inspected.out, "data\n") << inspected.describe();
  auto wrote = krill({"run", "--rm", "-v", "data:/data", "-e", "WHO=user", "-w", "/data",
                      "--hostname", "boxhost", "--add-host", "db.local:10.1.2.3", "--read-only",
                      "--tmpfs", "/scratch", kImage, "sh", "-c",
                      "echo $WHO > f && hostname && grep db.local /etc/hosts | cut -f1 && "
                      "touch /scratch/ok && ! touch /rootfs-is-ro 2>/dev/null && echo ro"});
  EXPECT_TRUE(wrote.ok()) << wrote.describe();
  EXPECT_EQ(wrote.out, "boxhost\n10.1.2.3\nro\n") << wrote.describe();
  auto read = krill({"run", "--rm", "--entrypoint", "cat", "-v", "data:/data", kImage, "/data/f"});
  EXPECT_EQ(read.out, "user\n") << read.describe();
  auto in_use = krill({"volume", "rm", "nosuch"});
  EXPECT_NE(in_use.exit_code, 0) << in_use.describe();
  ASSERT_TRUE(krill({"volume", "rm", "data"}).ok());
  ASSERT_TRUE(krill({"volume", "create", "unused"}).ok());
  auto pruned = krill({"volume", "prune", "-f"});
  EXPECT_TRUE(pruned.ok()) << pruned.describe();
  EXPECT_EQ(krill({"volume", "ls", "-q"}).out, "");
  EXPECT_EQ(all_ids(), "");
}

// pause needs the freezer, which an unprivileged user cannot write without a delegated cgroup:
// a clear error, and the container keeps running (podman's behaviour on cgroup v1 rootless).
TEST_F(EngineRootless, PauseWithoutDelegationFailsClearly) {
  ASSERT_TRUE(krill({"run", "-d", "--name", "p", kImage, "sleep", "300"}).ok());
  auto paused = krill({"pause", "p"});
  if (paused.ok()) {  // a host that delegates the freezer to the user
    EXPECT_EQ(krill({"inspect", "--format", "{{.State.Status}}", "p"}).out, "paused\n");
    EXPECT_TRUE(krill({"unpause", "p"}).ok());
  } else {
    EXPECT_EQ(paused.exit_code, 125) << paused.describe();
    EXPECT_FALSE(paused.err.empty());
  }
  EXPECT_EQ(krill({"inspect", "--format", "{{.State.Status}}", "p"}).out, "running\n");
  ASSERT_TRUE(krill({"rm", "-f", "p"}).ok());
  EXPECT_EQ(all_ids(), "");
}

TEST_F(EngineRootless, BadInputLeavesNothing) {
  // A uid beyond the subordinate range.
  auto unmapped = krill({"run", "--rm", "-u", "200000", kImage, "true"});
  EXPECT_EQ(unmapped.exit_code, 125) << unmapped.describe();
  EXPECT_NE(unmapped.err.find("uid 200000 is not mapped"), std::string::npos) << unmapped.err;
  // Bridge networks need root.
  auto network = krill({"run", "--rm", "--network", "backend", kImage, "true"});
  EXPECT_EQ(network.exit_code, 125) << network.describe();
  EXPECT_NE(network.err.find("backend"), std::string::npos) << network.err;
  // No route for pasta in this test's namespace: ports cannot be published.
  auto published = krill({"run", "--rm", "-p", "8080:80", kImage, "true"});
  EXPECT_EQ(published.exit_code, 125) << published.describe();
  EXPECT_NE(published.err.find("default route"), std::string::npos) << published.err;
  auto missing = krill({"run", "--rm", "--pull=never", "localhost/none:1", "true"});
  EXPECT_EQ(missing.exit_code, 125) << missing.describe();
  EXPECT_EQ(all_ids(), "");
}

}  // namespace
}  // namespace krill::it
