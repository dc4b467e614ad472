// Healthchecks through the CLI: --health-* flags and the image's HEALTHCHECK, checks run by
// krill-monitor every interval and by `krill healthcheck run`, State.Health in inspect, ps's
// STATUS and --filter health=.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine_test_support.h"

namespace krill::it {
namespace {

using nlohmann::json;
using std::chrono::seconds;

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// `run -d --name NAME flags... IMAGE sleep 1000`; fails the test when it does not start.
void run_detached(const EngineEnv& env, const std::string& name, std::vector<std::string> flags,
                  const std::string& image = EngineEnv::kImage) {
  std::vector<std::string> args = {"run", "-d", "--name", name};
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {image, "sleep", "1000"});
  auto run = env.krill(args);
  ASSERT_EQ(run.exit_code, 0) << run.describe();
}

// State.Health (null when inspect has none: Docker omits it then).
json health_of(const EngineEnv& env, const std::string& name) {
  std::string text = env.inspect(name, "{{json .State}}");
  auto parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("Health")) return json();
  return parsed["Health"];
}

std::string ps_status(const EngineEnv& env, const std::string& name) {
  auto ps = env.krill({"ps", "-a", "--filter", "name=^" + name + "$", "--format", "{{.Status}}"});
  EXPECT_EQ(ps.exit_code, 0) << ps.describe();
  return trimmed(ps.out);
}

std::string ps_names(const EngineEnv& env, const std::string& filter) {
  auto ps = env.krill({"ps", "-a", "--filter", filter, "--format", "{{.Names}}"});
  EXPECT_EQ(ps.exit_code, 0) << ps.describe();
  return ps.out;
}

// `run -d FLAGS... IMAGE true` for each case must fail with 125 and an error naming the case.
struct FlagErrorCase {
  std::vector<std::string> flags;
  std::string expected;
};
void expect_flag_errors(const EngineEnv& env, const std::vector<FlagErrorCase>& cases) {
  for (const auto& c : cases) {
    std::vector<std::string> args = {"run", "-d"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    args.insert(args.end(), {EngineEnv::kImage, "true"});
    auto run = env.krill(args);
    EXPECT_EQ(run.exit_code, 125) << run.describe();
    EXPECT_NE(run.err.find(c.expected), std::string::npos) << run.err;
  }
}

TEST(Health, PassingCheckRunByTheMonitorIsHealthy) {
  EngineEnv env;
  run_detached(env, "ok", {"--health-cmd", "echo fine", "--health-interval", "300ms"});
  ASSERT_TRUE(eventually([&] { return env.inspect("ok", "{{.State.Health.Status}}") == "healthy"; },
                         seconds(20)))
      << env.inspect("ok", "{{json .State}}");
  json health = health_of(env, "ok");
  EXPECT_EQ(health["FailingStreak"], 0) << health.dump();
  ASSERT_FALSE(health["Log"].empty()) << health.dump();
  EXPECT_EQ(health["Log"][0]["ExitCode"], 0);
  EXPECT_EQ(health["Log"][0]["Output"], "fine\n");
  EXPECT_EQ(env.inspect("ok", "{{.State.Healthcheck.Status}}"), "healthy");
  EXPECT_EQ(env.inspect("ok", "{{json .Config.Healthcheck.Test}}"), R"(["CMD-SHELL","echo fine"])");
  EXPECT_EQ(env.inspect("ok", "{{.Config.Healthcheck.Interval}}"), "300000000");
  std::string status = ps_status(env, "ok");
  EXPECT_TRUE(status.starts_with("Up ") && status.ends_with(" (healthy)")) << status;
  EXPECT_EQ(ps_names(env, "health=healthy"), "ok\n");
  EXPECT_EQ(ps_names(env, "health=unhealthy"), "");
  // The checks keep coming, one interval after another.
  ASSERT_TRUE(eventually([&] { return health_of(env, "ok")["Log"].size() >= 3; }, seconds(20)))
      << health_of(env, "ok").dump();
}

TEST(Health, StartingUntilTheFirstCheck) {
  EngineEnv env;
  run_detached(env, "slow", {"--health-cmd", "true", "--health-interval", "1h"});
  run_detached(env, "plain", {});
  EXPECT_EQ(env.inspect("slow", "{{.State.Health.Status}}"), "starting");
  std::string status = ps_status(env, "slow");
  EXPECT_TRUE(status.ends_with(" (health: starting)")) << status;
  EXPECT_EQ(ps_names(env, "health=starting"), "slow\n");
  EXPECT_EQ(ps_names(env, "health=none"), "plain\n");
  EXPECT_EQ(ps_status(env, "plain").find("health"), std::string::npos);
  EXPECT_TRUE(health_of(env, "plain").is_null());
}

TEST(Health, FailingChecksMakeUnhealthyAfterRetries) {
  EngineEnv env;
  run_detached(
      env, "bad",
      {"--health-cmd", "echo broken; exit 1", "--health-interval", "1h", "--health-retries", "2"});
  auto first = env.krill({"healthcheck", "run", "bad"});
  EXPECT_EQ(first.exit_code, 1) << first.describe();
  EXPECT_EQ(first.out, "unhealthy\n");
  json health = health_of(env, "bad");
  EXPECT_EQ(health["Status"], "starting") << health.dump();  // one failure of two allowed
  EXPECT_EQ(health["FailingStreak"], 1);
  auto second = env.krill({"healthcheck", "run", "bad"});
  EXPECT_EQ(second.exit_code, 1) << second.describe();
  health = health_of(env, "bad");
  EXPECT_EQ(health["Status"], "unhealthy") << health.dump();
  EXPECT_EQ(health["FailingStreak"], 2);
  ASSERT_EQ(health["Log"].size(), 2u);
  EXPECT_EQ(health["Log"][1]["ExitCode"], 1);
  EXPECT_EQ(health["Log"][1]["Output"], "broken\n");
  std::string status = ps_status(env, "bad");
  EXPECT_TRUE(status.ends_with(" (unhealthy)")) << status;
  EXPECT_EQ(ps_names(env, "health=unhealthy"), "bad\n");
}

TEST(Health, MonitorDrivenFailuresBecomeUnhealthy) {
  EngineEnv env;
  run_detached(env, "bad",
               {"--health-cmd", "exit 3", "--health-interval", "200ms", "--health-retries", "2"});
  ASSERT_TRUE(eventually(
      [&] { return env.inspect("bad", "{{.State.Health.Status}}") == "unhealthy"; }, seconds(20)))
      << env.inspect("bad", "{{json .State}}");
  json health = health_of(env, "bad");
  EXPECT_GE(health["FailingStreak"].get<int>(), 2) << health.dump();
  EXPECT_EQ(health["Log"].back()["ExitCode"], 3);
}

TEST(Health, TimeoutKillsTheCheckAndCountsAsFailure) {
  EngineEnv env;
  run_detached(env, "hang",
               {"--health-cmd", "sleep 77", "--health-timeout", "500ms", "--health-interval", "1h",
                "--health-retries", "1"});
  auto started = std::chrono::steady_clock::now();
  auto run = env.krill({"healthcheck", "run", "hang"});
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(run.exit_code, 1) << run.describe();
  EXPECT_LT(took, seconds(10));
  json health = health_of(env, "hang");
  EXPECT_EQ(health["Status"], "unhealthy") << health.dump();
  ASSERT_EQ(health["Log"].size(), 1u);
  EXPECT_EQ(health["Log"][0]["ExitCode"], -1);
  EXPECT_EQ(health["Log"][0]["Output"], "Health check exceeded timeout (500ms)");
  // The check does not live on in the container.
  EXPECT_TRUE(eventually(
      [&] {
        auto ps = env.krill({"exec", "hang", "ps"});
        return ps.exit_code == 0 && ps.out.find("sleep 77") == std::string::npos;
      },
      seconds(5)));
}

TEST(Health, StartPeriodFailuresDoNotCountAndSuccessEndsIt) {
  EngineEnv env;
  run_detached(env, "warm",
               {"--health-cmd", "grep -q yes /tmp/ready", "--health-interval", "1h",
                "--health-start-period", "1h", "--health-retries", "1"});
  EXPECT_EQ(env.krill({"healthcheck", "run", "warm"}).exit_code, 1);
  json health = health_of(env, "warm");
  EXPECT_EQ(health["Status"], "starting") << health.dump();
  EXPECT_EQ(health["FailingStreak"], 0);
  ASSERT_EQ(env.krill({"exec", "warm", "sh", "-c", "echo yes > /tmp/ready"}).exit_code, 0);
  auto ok = env.krill({"healthcheck", "run", "warm"});
  EXPECT_EQ(ok.exit_code, 0) << ok.describe();
  EXPECT_EQ(ok.out, "");
  EXPECT_EQ(env.inspect("warm", "{{.State.Health.Status}}"), "healthy");
  // The start period is over: the next failure counts (retries 1).
  ASSERT_EQ(env.krill({"exec", "warm", "sh", "-c", "echo no > /tmp/ready"}).exit_code, 0);
  EXPECT_EQ(env.krill({"healthcheck", "run", "warm"}).exit_code, 1);
  EXPECT_EQ(env.inspect("warm", "{{.State.Health.Status}}"), "unhealthy");
}

class HealthImage : public ::testing::Test {
 protected:
  // An image with HEALTHCHECK, built by `krill build`.
  void build(const EngineEnv& env) {
    std::string context = env.store() + "/../hc-context";
    std::filesystem::create_directories(context);
    write_file(context + "/Dockerfile",
               std::string("FROM ") + EngineEnv::kImage +
                   "\nHEALTHCHECK --interval=200ms --retries=1 CMD test -e /tmp/ok || exit 1\n");
    auto built = env.krill({"build", "-q", "--pull=never", "-t", kImage, context});
    ASSERT_EQ(built.exit_code, 0) << built.describe();
  }
  static constexpr const char* kImage = "localhost/hc:1";
};

TEST_F(HealthImage, ImageHealthcheckApplies) {
  EngineEnv env;
  ASSERT_NO_FATAL_FAILURE(build(env));
  run_detached(env, "img", {}, kImage);
  EXPECT_EQ(env.inspect("img", "{{json .Config.Healthcheck.Test}}"),
            R"(["CMD-SHELL","test -e /tmp/ok || exit 1"])");
  ASSERT_TRUE(eventually(
      [&] { return env.inspect("img", "{{.State.Health.Status}}") == "unhealthy"; }, seconds(20)))
      << env.inspect("img", "{{json .State}}");
  ASSERT_EQ(env.krill({"exec", "img", "touch", "/tmp/ok"}).exit_code, 0);
  EXPECT_TRUE(eventually(
      [&] { return env.inspect("img", "{{.State.Health.Status}}") == "healthy"; }, seconds(20)))
      << env.inspect("img", "{{json .State}}");
}

TEST_F(HealthImage, FlagsOverrideAndDisableTheImages) {
  EngineEnv env;
  ASSERT_NO_FATAL_FAILURE(build(env));
  // --health-cmd replaces the image's command, its interval stays.
  run_detached(env, "over", {"--health-cmd", "exit 0"}, kImage);
  EXPECT_EQ(env.inspect("over", "{{json .Config.Healthcheck.Test}}"), R"(["CMD-SHELL","exit 0"])");
  EXPECT_EQ(env.inspect("over", "{{.Config.Healthcheck.Interval}}"), "200000000");
  EXPECT_TRUE(eventually(
      [&] { return env.inspect("over", "{{.State.Health.Status}}") == "healthy"; }, seconds(20)));

  for (const auto& [name, flag] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"off", {"--no-healthcheck"}}, {"none", {"--health-cmd", "none"}}}) {
    run_detached(env, name, flag, kImage);
    EXPECT_TRUE(health_of(env, name).is_null()) << name;
    EXPECT_EQ(env.inspect(name, "{{json .Config.Healthcheck.Test}}"), R"(["NONE"])") << name;
    auto run = env.krill({"healthcheck", "run", name});
    EXPECT_EQ(run.exit_code, 125) << run.describe();
    EXPECT_NE(run.err.find("container " + name + " has no defined healthcheck"), std::string::npos)
        << run.err;
  }
  std::string none = ps_names(env, "health=none");
  EXPECT_NE(none.find("off\n"), std::string::npos) << none;
  EXPECT_NE(none.find("none\n"), std::string::npos) << none;
}

TEST(Health, OnFailureKillAndRestart) {
  EngineEnv env;
  const std::vector<std::string> failing = {"--health-cmd", "exit 1",           "--health-interval",
                                            "1h",           "--health-retries", "1"};
  auto with = [&](const std::string& action) {
    auto flags = failing;
    flags.insert(flags.end(), {"--health-on-failure", action});
    return flags;
  };
  run_detached(env, "killed", with("kill"));
  EXPECT_EQ(env.inspect("killed", "{{.Config.HealthcheckOnFailureAction}}"), "kill");
  EXPECT_EQ(env.krill({"healthcheck", "run", "killed"}).exit_code, 1);
  EXPECT_TRUE(eventually([&] { return env.inspect("killed", "{{.State.Status}}") == "exited"; },
                         seconds(20)))
      << env.inspect("killed", "{{json .State}}");

  auto restart_flags = with("restart");
  restart_flags.insert(restart_flags.end(),
                       {"--stop-timeout", "1"});  // sleep as pid 1 ignores TERM
  run_detached(env, "again", restart_flags);
  std::string started = env.inspect("again", "{{.State.StartedAt}}");
  EXPECT_EQ(env.krill({"healthcheck", "run", "again"}).exit_code, 1);
  EXPECT_TRUE(eventually(
      [&] {
        return env.inspect("again", "{{.State.Status}}") == "running" &&
               env.inspect("again", "{{.State.StartedAt}}") != started;
      },
      seconds(30)))
      << env.inspect("again", "{{json .State}}");
  EXPECT_EQ(env.inspect("again", "{{.State.Health.Status}}"), "starting");

  // Without an action an unhealthy container keeps running.
  run_detached(env, "kept", failing);
  EXPECT_EQ(env.krill({"healthcheck", "run", "kept"}).exit_code, 1);
  EXPECT_EQ(env.inspect("kept", "{{.State.Health.Status}}"), "unhealthy");
  EXPECT_EQ(env.inspect("kept", "{{.State.Status}}"), "running");
}

TEST(Health, RunErrorsAndStoppedContainers) {
  EngineEnv env;
  auto missing = env.krill({"healthcheck", "run", "nosuch"});
  EXPECT_EQ(missing.exit_code, 125) << missing.describe();
  EXPECT_NE(missing.err.find("no such container"), std::string::npos) << missing.err;

  auto created = env.krill(
      {"create", "--name", "idle", "--health-cmd", "true", EngineEnv::kImage, "sleep", "1000"});
  ASSERT_EQ(created.exit_code, 0) << created.describe();
  auto idle = env.krill({"healthcheck", "run", "idle"});
  EXPECT_EQ(idle.exit_code, 125) << idle.describe();
  EXPECT_NE(idle.err.find("container idle is not running"), std::string::npos) << idle.err;

  run_detached(env, "gone", {"--health-cmd", "true", "--health-interval", "1h"});
  ASSERT_EQ(env.krill({"healthcheck", "run", "gone"}).exit_code, 0);
  ASSERT_EQ(env.krill({"stop", "-t", "0", "gone"}).exit_code, 0);
  auto stopped = env.krill({"healthcheck", "run", "gone"});
  EXPECT_EQ(stopped.exit_code, 125) << stopped.describe();
  EXPECT_NE(stopped.err.find("container gone is not running"), std::string::npos) << stopped.err;
  // Docker reports the health of a stopped container as unhealthy; the log stays.
  EXPECT_EQ(env.inspect("gone", "{{.State.Health.Status}}"), "unhealthy");
  EXPECT_EQ(health_of(env, "gone")["Log"].size(), 1u);
  // A new start begins again with "starting".
  ASSERT_EQ(env.krill({"start", "gone"}).exit_code, 0);
  EXPECT_EQ(env.inspect("gone", "{{.State.Health.Status}}"), "starting");
  EXPECT_EQ(health_of(env, "gone")["FailingStreak"], 0);
}

TEST(Health, BadFlagsAreClearErrorsAndLeaveNothing) {
  EngineEnv env;
  expect_flag_errors(env,
                     {
                         {{"--health-interval", "bad"}, "--health-interval"},
                         {{"--health-timeout", "10"}, "missing unit"},
                         {{"--health-interval", "10us"}, "at least 1ms"},
                         {{"--health-retries", "many"}, "--health-retries"},
                         {{"--health-cmd", "true", "--no-healthcheck"}, "conflicts"},
                         {{"--health-on-failure", "reboot"}, "want none, kill, restart or stop"},
                     });
  EXPECT_TRUE(env.container_ids().empty());
  // ps checks filters against containers (none: nothing to check), so make one.
  ASSERT_EQ(env.krill({"create", "--name", "c", EngineEnv::kImage, "true"}).exit_code, 0);
  auto bad_filter = env.krill({"ps", "-a", "--filter", "health=sick"});
  EXPECT_EQ(bad_filter.exit_code, 125) << bad_filter.describe();
  EXPECT_NE(bad_filter.err.find("health=sick"), std::string::npos) << bad_filter.err;
}

// podman's startup healthcheck: while it fails the status stays "starting" and the regular
// check does not run; once it succeeds the regular check takes over at its own interval.
TEST(Health, StartupCheckGatesTheRegularCheck) {
  EngineEnv env;
  run_detached(
      env, "slow",
      {"--health-cmd", "echo regular >> /tmp/regular-ran", "--health-interval", "300ms",
       "--health-startup-cmd", "test -e /tmp/ready", "--health-startup-interval", "200ms"});
  json startup =
      json::parse(env.inspect("slow", "{{json .Config.StartupHealthCheck}}"), nullptr, false);
  EXPECT_EQ(startup["Test"], json({"CMD-SHELL", "test -e /tmp/ready"})) << startup.dump();
  EXPECT_EQ(startup["Interval"], 200000000) << startup.dump();
  // Failing startup checks are logged, but count for nothing.
  ASSERT_TRUE(eventually([&] { return health_of(env, "slow")["Log"].size() >= 3; }, seconds(20)))
      << health_of(env, "slow").dump();
  json health = health_of(env, "slow");
  EXPECT_EQ(health["Status"], "starting") << health.dump();
  EXPECT_EQ(health["FailingStreak"], 0) << health.dump();
  EXPECT_NE(env.krill({"exec", "slow", "test", "-e", "/tmp/regular-ran"}).exit_code, 0)
      << "the regular check ran before the startup check passed";

  ASSERT_EQ(env.krill({"exec", "slow", "touch", "/tmp/ready"}).exit_code, 0);
  EXPECT_TRUE(eventually(
      [&] { return env.inspect("slow", "{{.State.Health.Status}}") == "healthy"; }, seconds(20)))
      << health_of(env, "slow").dump();
  EXPECT_EQ(env.krill({"exec", "slow", "test", "-e", "/tmp/regular-ran"}).exit_code, 0);
}

// --health-startup-success N: N successes before the regular check; `healthcheck run` runs the
// startup check while it has not passed.
TEST(Health, StartupSuccessesAreCountedByHealthcheckRun) {
  EngineEnv env;
  run_detached(env, "counted",
               {"--health-cmd", "exit 1", "--health-interval", "1h", "--health-retries", "1",
                "--health-startup-cmd", "true", "--health-startup-interval", "1h",
                "--health-startup-success", "2"});
  EXPECT_EQ(env.krill({"healthcheck", "run", "counted"}).exit_code, 0);  // startup 1 of 2
  EXPECT_EQ(env.krill({"healthcheck", "run", "counted"}).exit_code, 0);  // startup 2 of 2
  EXPECT_EQ(env.inspect("counted", "{{.State.Health.Status}}"), "starting");
  auto regular = env.krill({"healthcheck", "run", "counted"});  // now the regular check
  EXPECT_EQ(regular.exit_code, 1) << regular.describe();
  EXPECT_EQ(env.inspect("counted", "{{.State.Health.Status}}"), "unhealthy");
}

// --health-startup-retries N: N failed startup checks restart the container.
TEST(Health, StartupRetriesRestartTheContainer) {
  EngineEnv env;
  run_detached(
      env, "stuck",
      {"--health-cmd", "true", "--health-interval", "1h", "--health-startup-cmd", "exit 1",
       "--health-startup-interval", "1h", "--health-startup-retries", "2", "--stop-timeout", "1"});
  const std::string started = env.inspect("stuck", "{{.State.StartedAt}}");
  EXPECT_EQ(env.krill({"healthcheck", "run", "stuck"}).exit_code, 1);
  EXPECT_EQ(env.inspect("stuck", "{{.State.StartedAt}}"), started) << "one failure of two";
  EXPECT_EQ(env.krill({"healthcheck", "run", "stuck"}).exit_code, 1);
  EXPECT_TRUE(eventually(
      [&] {
        return env.inspect("stuck", "{{.State.Status}}") == "running" &&
               env.inspect("stuck", "{{.State.StartedAt}}") != started;
      },
      seconds(30)))
      << env.inspect("stuck", "{{json .State}}");
  // The new run starts its startup check from zero.
  EXPECT_EQ(env.inspect("stuck", "{{.State.Health.Status}}"), "starting");
  EXPECT_EQ(env.krill({"healthcheck", "run", "stuck"}).exit_code, 1);
  EXPECT_EQ(env.inspect("stuck", "{{.State.Status}}"), "running");
}

TEST(Health, StartupFlagErrorsLeaveNothing) {
  EngineEnv env;
  expect_flag_errors(
      env, {
               {{"--health-startup-cmd", "true"}, "only be used with a regular healthcheck"},
               {{"--health-cmd", "true", "--health-startup-interval", "1s"},
                "need --health-startup-cmd"},
               {{"--health-cmd", "true", "--health-startup-cmd", "true", "--health-startup-retries",
                 "-1"},
                "must not be negative"},
               {{"--health-cmd", "true", "--health-startup-cmd", "true", "--health-startup-timeout",
                 "soon"},
                "--health-startup-timeout"},
               {{"--health-cmd", "true", "--health-startup-cmd", "none"}, "cannot be \"none\""},
               {{"--health-cmd", "[\"CMD\", 1]"}, "JSON array of strings"},
           });
  EXPECT_TRUE(env.container_ids().empty());
}

// --health-cmd in podman's JSON form is CMD (no shell).
TEST(Health, JsonArrayCommandRunsWithoutAShell) {
  EngineEnv env;
  run_detached(env, "argv",
               {"--health-cmd", "[\"/bin/sh\", \"-c\", \"exit 0\"]", "--health-interval", "1h"});
  EXPECT_EQ(env.inspect("argv", "{{json .Config.Healthcheck.Test}}"),
            R"(["CMD","/bin/sh","-c","exit 0"])");
  EXPECT_EQ(env.krill({"healthcheck", "run", "argv"}).exit_code, 0);
  EXPECT_EQ(env.inspect("argv", "{{.State.Health.Status}}"), "healthy");
}

TEST(Health, HelpHasAnExample) {
  EngineEnv env;
  auto help = env.krill({"healthcheck", "run", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.describe();
  EXPECT_NE(help.out.find("Example:"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("krill healthcheck run web"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace krill::it
