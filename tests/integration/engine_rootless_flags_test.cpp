// The container commands and run flags as an unprivileged user (the root versions are in
// engine_run_test.cpp, engine_flags_test.cpp and engine_commands_test.cpp): each checked by its
// effect inside the user's container.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "engine_rootless_support.h"
#include "ship_harness.h"

namespace krill::it {
namespace {

using namespace std::chrono_literals;
constexpr const char* kImage = EngineRootless::kImage;

std::string shell_quoted(const std::string& word) {
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

TEST_F(EngineRootless, RmVolumesPsFilterAndLogTimestamps) {
  ASSERT_TRUE(krill({"run", "--name", "anon", "-v", "/scratch", kImage, "sh", "-c",
                     "echo stamped"})
                  .ok());
  ASSERT_TRUE(krill({"run", "-d", "--name", "alive", "--label", "tier=web", kImage, "sleep", "300"})
                  .ok());
  EXPECT_EQ(krill({"ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}"}).out,
            "anon\n");
  EXPECT_EQ(krill({"ps", "--filter", "label=tier=web", "--format", "{{.Names}}"}).out, "alive\n");
  EXPECT_EQ(krill({"ps", "-a", "--filter", "name=ali", "-q"}).out.size(), 13u);
  EXPECT_EQ(krill({"inspect", "--format", "{{.Config.Labels.tier}}", "alive"}).out, "web\n");
  auto stamped = krill({"logs", "-t", "anon"});
  EXPECT_NE(stamped.out.find("Z stamped\n"), std::string::npos) << stamped.describe();
  EXPECT_EQ(stamped.out.rfind("20", 0), 0u) << stamped.out;  // an RFC 3339 time first

  EXPECT_EQ(krill({"volume", "ls", "-q"}).out.size(), 65u);  // the anonymous volume
  auto removed = krill({"rm", "-v", "anon"});
  EXPECT_TRUE(removed.ok()) << removed.describe();
  EXPECT_EQ(krill({"volume", "ls", "-q"}).out, "");
  ASSERT_TRUE(krill({"rm", "-f", "-t", "0", "alive"}).ok());
  EXPECT_EQ(all_ids(), "");
}

TEST_F(EngineRootless, CpTarStreamsBothWays) {
  ASSERT_TRUE(krill({"run", "-d", "--name", "fs", kImage, "sleep", "300"}).ok());
  const std::string dir = session_.home() + "/tree";
  std::filesystem::create_directories(dir + "/sub");
  ASSERT_TRUE(write_file(dir + "/sub/one.txt", "one\n"));
  auto tar = run_command({"tar", "-C", dir, "-cf", "-", "sub"});
  ASSERT_TRUE(tar.ok()) << tar.describe();
  CommandOptions in;
  in.stdin_data = tar.out;
  in.timeout = 120s;
  auto copied_in = krill({"cp", "-", "fs:/tmp"}, in);
  EXPECT_TRUE(copied_in.ok()) << copied_in.describe();
  EXPECT_EQ(krill({"exec", "fs", "cat", "/tmp/sub/one.txt"}).out, "one\n");
  auto copied_out = krill({"cp", "fs:/tmp/sub", "-"});
  ASSERT_TRUE(copied_out.ok()) << copied_out.describe();
  CommandOptions listing;
  listing.stdin_data = copied_out.out;
  auto listed = run_command({"tar", "-tvf", "-"}, listing);
  EXPECT_NE(listed.out.find("sub/one.txt"), std::string::npos) << listed.describe();
  auto not_tar = krill({"cp", "-", "fs:/tmp"}, CommandOptions{.stdin_data = "not a tar stream"});
  EXPECT_NE(not_tar.exit_code, 0) << not_tar.describe();
  ASSERT_TRUE(krill({"rm", "-f", "-t", "0", "fs"}).ok());
}

TEST_F(EngineRootless, InteractiveAttachAndTty) {
  CommandOptions input;
  input.stdin_data = "typed\n";
  input.timeout = 120s;
  auto cat = krill({"run", "--rm", "-i", kImage, "cat"}, input);
  EXPECT_EQ(cat.out, "typed\n") << cat.describe();
  auto only_err = krill({"run", "--rm", "-a", "stderr", kImage, "sh", "-c", "echo o; echo e >&2"});
  EXPECT_EQ(only_err.out, "") << only_err.describe();
  EXPECT_NE(only_err.err.find("e\n"), std::string::npos) << only_err.describe();
  if (!have_program("script")) GTEST_SKIP() << "script(1) missing";
  std::string command;
  for (const auto& word : session_.krill_argv({"run", "--rm", "-it", kImage, "sh", "-c",
                                               "tty; exit 4"}))
    command += shell_quoted(word) + " ";
  auto tty = run_command({"script", "-qec", command, "/dev/null"});
  EXPECT_EQ(tty.exit_code, 4) << tty.describe();
  EXPECT_NE(tty.out.find("/dev/pts/"), std::string::npos) << tty.describe();
  EXPECT_EQ(all_ids(), "");
}

TEST_F(EngineRootless, MountsDnsInitAndResources) {
  const std::string dir = session_.home() + "/shared";
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(write_file(dir + "/f", "host file\n"));
  session_.give(dir);
  auto run = krill({"run", "--rm", "-v", dir + ":/ro:ro", "--dns", "10.9.8.7", "--dns-search",
                    "corp.example", "--init", kImage, "sh", "-c",
                    "cat /ro/f; touch /ro/g 2>/dev/null || echo read-only; "
                    "grep -E '^(nameserver|search)' /etc/resolv.conf; "
                    "tr '\\0' ' ' < /proc/1/cmdline; echo"});
  EXPECT_TRUE(run.ok()) << run.describe();
  EXPECT_NE(run.out.find("host file\nread-only\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("nameserver 10.9.8.7\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("search corp.example\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("/run/podman-init -- sh -c"), std::string::npos) << run.out;
  // On cgroup v1 an unprivileged user has no hierarchy to limit: podman's warning, and the
  // container runs without the limit.
  if (!path_exists("/sys/fs/cgroup/cgroup.controllers")) {
    auto limited = krill({"run", "--rm", "--memory", "64m", kImage, "true"});
    EXPECT_TRUE(limited.ok()) << limited.describe();
    EXPECT_NE(limited.err.find("resource limits are not supported"), std::string::npos)
        << limited.describe();
  }
  auto bad = krill({"run", "--rm", "-v", session_.home() + "/absent:/x", kImage, "true"});
  EXPECT_EQ(bad.exit_code, 125) << bad.describe();
  EXPECT_NE(bad.err.find("absent"), std::string::npos) << bad.describe();
  // --userns=auto needs an id-mapped rootfs, which Linux refuses to an unprivileged store.
  auto userns = krill({"run", "--rm", "--userns", "auto", kImage, "true"});
  EXPECT_EQ(userns.exit_code, 125) << userns.describe();
  EXPECT_NE(userns.err.find("not supported rootless"), std::string::npos) << userns.describe();
  EXPECT_EQ(all_ids(), "");
}

TEST_F(EngineRootless, RestartPolicyStopTimeoutAndHealth) {
  ASSERT_TRUE(krill({"run", "-d", "--name", "flaky", "--restart", "on-failure:2", kImage, "sh",
                     "-c", "exit 3"})
                  .ok());
  EXPECT_TRUE(eventually(
      [&] {
        return krill({"inspect", "--format", "{{.State.Status}} {{.RestartCount}}", "flaky"})
                   .out == "exited 2\n";
      },
      20s));
  // pid 1 without a TERM handler: stop waits --stop-timeout, then kills.
  ASSERT_TRUE(krill({"run", "-d", "--name", "stubborn", "--stop-timeout", "1", kImage, "sleep",
                     "300"})
                  .ok());
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(krill({"stop", "stubborn"}).ok());
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 8s);
  EXPECT_EQ(krill({"inspect", "--format", "{{.State.ExitCode}}", "stubborn"}).out, "137\n");
  ASSERT_TRUE(krill({"run", "-d", "--name", "checked", "--health-cmd", "test -e /tmp/ready",
                     "--health-interval", "300ms", "--health-retries", "1", kImage, "sh", "-c",
                     "sleep 1; touch /tmp/ready; sleep 300"})
                  .ok());
  EXPECT_TRUE(eventually(
      [&] {
        return krill({"inspect", "--format", "{{.State.Health.Status}}", "checked"}).out ==
               "healthy\n";
      },
      20s));
  auto removed = krill({"exec", "checked", "busybox", "rm", "/tmp/ready"});
  ASSERT_TRUE(removed.ok()) << removed.describe();
  EXPECT_TRUE(eventually(
      [&] {
        return krill({"inspect", "--format", "{{.State.Health.Status}}", "checked"}).out ==
               "unhealthy\n";
      },
      20s));
  for (const char* name : {"flaky", "stubborn", "checked"})
    EXPECT_TRUE(krill({"rm", "-f", "-t", "0", name}).ok());
  EXPECT_EQ(all_ids(), "");
}

TEST_F(EngineRootless, NetworkNoneAndHost) {
  auto none = krill({"run", "--rm", "--network", "none", kImage, "sh", "-c",
                     "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"});
  EXPECT_EQ(none.out, "lo\n") << none.describe();
  // host: the user's own network namespace (the host's, as the user sees it).
  auto host_devices = run_command({"sh", "-c", "tail -n +3 /proc/net/dev | wc -l"});
  auto host = krill({"run", "--rm", "--network", "host", kImage, "sh", "-c",
                     "tail -n +3 /proc/net/dev | wc -l"});
  EXPECT_TRUE(host.ok()) << host.describe();
  EXPECT_EQ(host.out, host_devices.out) << host.describe();
  EXPECT_EQ(all_ids(), "");
}

TEST_F(EngineRootless, PullPoliciesFromALocalRegistry) {
  if (!ship::have_registry()) GTEST_SKIP() << "docker-registry is not installed";
  ship::Registry registry;
  ASSERT_TRUE(registry.ok()) << registry.error();
  const std::string remote = registry.host() + "/rootless/pull:1";
  auto pushed = krill({"push", "-q", "--tls-verify=false", kImage, remote});
  ASSERT_TRUE(pushed.ok()) << pushed.describe();
  auto never = krill({"run", "--rm", "--pull", "never", remote, "true"});
  EXPECT_EQ(never.exit_code, 125) << never.describe();
  auto missing = krill({"run", "--rm", "-q", "--tls-verify=false", remote, "echo", "pulled"});
  EXPECT_EQ(missing.out, "pulled\n") << missing.describe();
  auto always = krill(
      {"run", "--rm", "-q", "--pull", "always", "--tls-verify=false", remote, "echo", "again"});
  EXPECT_EQ(always.out, "again\n") << always.describe();
  EXPECT_EQ(all_ids(), "");
}

TEST_F(EngineRootless, RuncAsTheRuntime) {
  if (::access("/usr/sbin/runc", X_OK) != 0) GTEST_SKIP() << "no /usr/sbin/runc";
  auto run = krill({"run", "--rm", "--runtime", "runc", kImage, "sh", "-c", "id -u; hostname"});
  EXPECT_TRUE(run.ok()) << run.describe();
  EXPECT_EQ(run.out.substr(0, 2), "0\n") << run.describe();
  auto unknown = krill({"run", "--rm", "--runtime", "no-such-runtime", kImage, "true"});
  EXPECT_EQ(unknown.exit_code, 125) << unknown.describe();
  EXPECT_NE(unknown.err.find("no-such-runtime"), std::string::npos) << unknown.describe();
  EXPECT_EQ(all_ids(), "");
}

}  // namespace
}  // namespace krill::it
