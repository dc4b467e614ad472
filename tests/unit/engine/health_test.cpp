// Healthchecks without a container: Docker's merge and defaults, the state machine (start
// period, retries, log), the state file and one check run with a fake probe and clock.
#include "engine/health.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/file_io.h"
#include "engine/health_check.h"

namespace krill::engine {
namespace {

constexpr int64_t kSecond = 1000000000;

HealthcheckRequest check(int retries, int64_t start_period_ns = 0) {
  HealthcheckRequest h;
  h.test = {"CMD-SHELL", "true"};
  h.interval_ns = kSecond;
  h.timeout_ns = kSecond;
  h.start_period_ns = start_period_ns;
  h.retries = retries;
  return h;
}

HealthLogEntry result(int64_t start_ns, int exit_code, std::string output = "") {
  return HealthLogEntry{start_ns, start_ns + 1000, exit_code, std::move(output)};
}

TEST(HealthMerge, FlagsOverTheImage) {
  image::HealthConfig image;
  image.test = {"CMD", "/bin/check"};
  image.interval = 5 * kSecond;
  image.timeout = 2 * kSecond;
  image.retries = 4;
  ContainerConfig config;
  auto only_image = merged_healthcheck(config, image);
  ASSERT_TRUE(only_image);
  EXPECT_EQ(only_image->test, (std::vector<std::string>{"CMD", "/bin/check"}));
  EXPECT_EQ(only_image->interval_ns, 5 * kSecond);

  // --health-interval alone keeps the image's command (Docker's merge per field).
  config.healthcheck = HealthcheckRequest{{}, kSecond, 0, 0, 0};
  auto merged = merged_healthcheck(config, image);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->test, (std::vector<std::string>{"CMD", "/bin/check"}));
  EXPECT_EQ(merged->interval_ns, kSecond);
  EXPECT_EQ(merged->timeout_ns, 2 * kSecond);
  EXPECT_EQ(merged->retries, 4);

  config.healthcheck->test = {"CMD-SHELL", "exit 0"};
  EXPECT_EQ(merged_healthcheck(config, image)->test,
            (std::vector<std::string>{"CMD-SHELL", "exit 0"}));
}

TEST(HealthMerge, DisabledAndAbsent) {
  image::HealthConfig image;
  image.test = {"CMD", "/bin/check"};
  ContainerConfig config;
  EXPECT_FALSE(merged_healthcheck(config, std::nullopt));
  EXPECT_FALSE(effective_healthcheck(config, std::nullopt));

  config.no_healthcheck = true;  // --no-healthcheck
  EXPECT_EQ(merged_healthcheck(config, image)->test, std::vector<std::string>{"NONE"});
  EXPECT_FALSE(effective_healthcheck(config, image));

  config.no_healthcheck = false;
  config.healthcheck = HealthcheckRequest{{"NONE"}, 0, 0, 0, 0};  // --health-cmd none
  EXPECT_FALSE(effective_healthcheck(config, image));

  image.test = {"NONE"};  // HEALTHCHECK NONE
  EXPECT_FALSE(effective_healthcheck(ContainerConfig{}, image));
}

TEST(HealthMerge, DockerDefaults) {
  ContainerConfig config;
  config.healthcheck = HealthcheckRequest{{"CMD-SHELL", "true"}, 0, 0, 0, 0};
  auto effective = effective_healthcheck(config, std::nullopt);
  ASSERT_TRUE(effective);
  EXPECT_EQ(effective->interval_ns, 30 * kSecond);
  EXPECT_EQ(effective->timeout_ns, 30 * kSecond);
  EXPECT_EQ(effective->start_period_ns, 0);
  EXPECT_EQ(effective->retries, 3);
}

TEST(HealthProcess, CmdAndShell) {
  HealthcheckRequest h;
  h.test = {"CMD", "/bin/check", "--fast"};
  EXPECT_EQ(*healthcheck_process_args(h, {}), (std::vector<std::string>{"/bin/check", "--fast"}));
  h.test = {"CMD-SHELL", "test -e /tmp/ok"};
  EXPECT_EQ(*healthcheck_process_args(h, {}),
            (std::vector<std::string>{"/bin/sh", "-c", "test -e /tmp/ok"}));
  // The image's SHELL is used for CMD-SHELL, as Docker does.
  EXPECT_EQ(*healthcheck_process_args(h, {"/bin/bash", "-ec"}),
            (std::vector<std::string>{"/bin/bash", "-ec", "test -e /tmp/ok"}));
  h.test = {"RUN", "x"};
  auto bad = healthcheck_process_args(h, {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("unknown healthcheck type \"RUN\""), std::string::npos);
}

TEST(HealthDuration, GoFormat) {
  EXPECT_EQ(go_duration_text(30 * kSecond), "30s");
  EXPECT_EQ(go_duration_text(500000000), "500ms");
  EXPECT_EQ(go_duration_text(1500000000), "1.5s");
  EXPECT_EQ(go_duration_text(90 * kSecond), "1m30s");
  EXPECT_EQ(go_duration_text(3600 * kSecond), "1h0m0s");
  EXPECT_EQ(go_duration_text(0), "0s");
}

TEST(HealthState, SuccessMakesHealthyAndResetsTheStreak) {
  HealthState state;
  state.container_started_ns = 0;
  apply_health_result(state, result(kSecond, 1), check(3));
  EXPECT_EQ(state.status, kHealthStarting);
  EXPECT_EQ(state.failing_streak, 1);
  apply_health_result(state, result(2 * kSecond, 0), check(3));
  EXPECT_EQ(state.status, kHealthHealthy);
  EXPECT_EQ(state.failing_streak, 0);
}

TEST(HealthState, RetriesConsecutiveFailuresMakeUnhealthy) {
  HealthState state;
  apply_health_result(state, result(kSecond, 0), check(2));
  ASSERT_EQ(state.status, kHealthHealthy);
  apply_health_result(state, result(2 * kSecond, 1), check(2));
  EXPECT_EQ(state.status, kHealthHealthy);  // one failure of two allowed
  EXPECT_EQ(state.failing_streak, 1);
  apply_health_result(state, result(3 * kSecond, -1), check(2));
  EXPECT_EQ(state.status, kHealthUnhealthy);
  EXPECT_EQ(state.failing_streak, 2);
  apply_health_result(state, result(4 * kSecond, 0), check(2));
  EXPECT_EQ(state.status, kHealthHealthy);
}

TEST(HealthState, FailuresInTheStartPeriodDoNotCount) {
  HealthState state;
  state.container_started_ns = 100 * kSecond;
  const auto h = check(1, 10 * kSecond);
  apply_health_result(state, result(105 * kSecond, 1), h);
  EXPECT_EQ(state.status, kHealthStarting);
  EXPECT_EQ(state.failing_streak, 0);
  // After the start period a failure counts.
  apply_health_result(state, result(111 * kSecond, 1), h);
  EXPECT_EQ(state.status, kHealthUnhealthy);
  EXPECT_EQ(state.failing_streak, 1);
}

TEST(HealthState, ASuccessEndsTheStartPeriod) {
  HealthState state;
  state.container_started_ns = 0;
  const auto h = check(1, 100 * kSecond);
  apply_health_result(state, result(kSecond, 0), h);
  ASSERT_EQ(state.status, kHealthHealthy);
  // Within the start period still, but no longer starting: the failure counts.
  apply_health_result(state, result(2 * kSecond, 1), h);
  EXPECT_EQ(state.status, kHealthUnhealthy);
}

TEST(HealthState, LogKeepsTheLastFiveAndCapsOutput) {
  HealthState state;
  for (int i = 0; i < 7; ++i) apply_health_result(state, result(i * kSecond, 0), check(3));
  ASSERT_EQ(state.log.size(), kHealthLogEntries);
  EXPECT_EQ(state.log.front().start_ns, 2 * kSecond);
  EXPECT_EQ(state.log.back().start_ns, 6 * kSecond);
  apply_health_result(state, result(8 * kSecond, 0, std::string(10000, 'x')), check(3));
  EXPECT_EQ(state.log.back().output.size(), kHealthOutputLimit);
}

TEST(HealthState, JsonRoundTripAndErrors) {
  HealthState state;
  state.status = kHealthUnhealthy;
  state.failing_streak = 4;
  state.container_started_ns = 42;
  state.startup_passed = true;
  state.startup_successes = 2;
  state.startup_failures = 5;
  state.log = {result(kSecond, 1, "no\n"), result(2 * kSecond, -1, "Health check exceeded")};
  auto parsed = health_state_from_json(health_state_to_json(state));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(*parsed, state);
  EXPECT_FALSE(health_state_from_json("{"));
  EXPECT_FALSE(health_state_from_json(R"({"status":"sick"})"));
  // The container's output may be any bytes.
  state.log = {result(kSecond, 1, "\xff\xfe")};
  EXPECT_TRUE(health_state_from_json(health_state_to_json(state)));
}

TEST(HealthState, StartResetsStatusAndKeepsTheLog) {
  HealthState previous;
  previous.status = kHealthUnhealthy;
  previous.failing_streak = 3;
  previous.log = {result(kSecond, 1)};
  HealthState fresh = health_state_for_start(previous, 77);
  EXPECT_EQ(fresh.status, kHealthStarting);
  EXPECT_EQ(fresh.failing_streak, 0);
  EXPECT_EQ(fresh.container_started_ns, 77);
  EXPECT_EQ(fresh.log, previous.log);
}

StartupHealthcheckRequest startup(int retries, int successes) {
  StartupHealthcheckRequest h;
  h.test = {"CMD-SHELL", "test -e /ready"};
  h.interval_ns = kSecond;
  h.timeout_ns = 2 * kSecond;
  h.retries = retries;
  h.successes = successes;
  return h;
}

TEST(StartupHealth, DefaultsAndAbsence) {
  ContainerConfig config;
  EXPECT_FALSE(effective_startup_healthcheck(config));
  config.startup_healthcheck = StartupHealthcheckRequest{{"CMD-SHELL"}, 0, 0, 0, 0};
  EXPECT_FALSE(effective_startup_healthcheck(config)) << "no command";
  config.startup_healthcheck = StartupHealthcheckRequest{{"CMD", "/bin/check"}, 0, 0, 0, 0};
  auto check = effective_startup_healthcheck(config);
  ASSERT_TRUE(check);
  EXPECT_EQ(check->interval_ns, kDefaultHealthIntervalNs);
  EXPECT_EQ(check->timeout_ns, kDefaultHealthTimeoutNs);
  EXPECT_EQ(check->retries, 0) << "0: never restart";
  EXPECT_EQ(*healthcheck_process_args(*check, {}), std::vector<std::string>{"/bin/check"});
}

TEST(StartupHealth, FailuresKeepStartingAndSuccessesPass) {
  HealthState state;
  EXPECT_EQ(apply_startup_result(state, result(kSecond, 1, "not yet"), startup(0, 2)),
            StartupVerdict::kStillStarting);
  EXPECT_EQ(state.status, kHealthStarting);
  EXPECT_EQ(state.failing_streak, 0) << "startup failures are not the regular streak";
  EXPECT_EQ(state.startup_failures, 1);
  EXPECT_EQ(apply_startup_result(state, result(2 * kSecond, 0), startup(0, 2)),
            StartupVerdict::kStillStarting);
  EXPECT_FALSE(state.startup_passed);
  EXPECT_EQ(apply_startup_result(state, result(3 * kSecond, 0), startup(0, 2)),
            StartupVerdict::kPassed);
  EXPECT_TRUE(state.startup_passed);
  EXPECT_EQ(state.status, kHealthStarting) << "the regular check decides from here";
  EXPECT_EQ(state.log.size(), 3u);
  EXPECT_EQ(state.log[0].output, "not yet");
}

TEST(StartupHealth, ZeroSuccessesMeansTheFirstOne) {
  HealthState state;
  EXPECT_EQ(apply_startup_result(state, result(kSecond, 0), startup(0, 0)),
            StartupVerdict::kPassed);
}

TEST(StartupHealth, RetriesAskForARestartAndZeroNever) {
  HealthState state;
  EXPECT_EQ(apply_startup_result(state, result(kSecond, 1), startup(2, 0)),
            StartupVerdict::kStillStarting);
  EXPECT_EQ(apply_startup_result(state, result(2 * kSecond, 1), startup(2, 0)),
            StartupVerdict::kRestart);
  HealthState patient;
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(apply_startup_result(patient, result(i * kSecond, 1), startup(0, 0)),
              StartupVerdict::kStillStarting);
  EXPECT_EQ(patient.log.size(), kHealthLogEntries);
}

TEST(StartupHealth, AStartResetsTheCounts) {
  HealthState previous;
  previous.startup_passed = true;
  previous.startup_successes = 3;
  previous.startup_failures = 4;
  HealthState fresh = health_state_for_start(previous, 9);
  EXPECT_FALSE(fresh.startup_passed);
  EXPECT_EQ(fresh.startup_successes, 0);
  EXPECT_EQ(fresh.startup_failures, 0);
}

class HealthRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/krill-health-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    files_ = HealthFiles{dir_ + "/health.json", dir_ + "/health.lock"};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A clock that advances 1 ms per reading, from 10 s on.
  HealthClock clock() {
    return [this] { return now_ += 1000000; };
  }

  std::string dir_;
  HealthFiles files_;
  int64_t now_ = 10 * kSecond;
};

TEST_F(HealthRunTest, ResultsAreRecordedInTheStateFile) {
  ASSERT_TRUE(reset_health_state(files_, 5 * kSecond));
  int exit_code = 1;
  ProbeRunner probe = [&](int64_t timeout_ns) -> Result<ProbeOutcome> {
    EXPECT_EQ(timeout_ns, kSecond);
    return ProbeOutcome{exit_code, "out", false};
  };
  auto first = run_health_check(files_, check(2), 5 * kSecond, probe, clock());
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_TRUE(first->recorded);
  EXPECT_EQ(first->state.failing_streak, 1);
  auto second = run_health_check(files_, check(2), 5 * kSecond, probe, clock());
  ASSERT_TRUE(second);
  EXPECT_EQ(second->state.status, kHealthUnhealthy);
  auto stored = read_health_state(files_.state_path);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->status, kHealthUnhealthy);
  ASSERT_EQ((*stored)->log.size(), 2u);
  EXPECT_EQ((*stored)->log[0].output, "out");
  EXPECT_LT((*stored)->log[0].start_ns, (*stored)->log[0].end_ns);
  exit_code = 0;
  auto third = run_health_check(files_, check(2), 5 * kSecond, probe, clock());
  ASSERT_TRUE(third);
  EXPECT_EQ(third->state.status, kHealthHealthy);
}

TEST_F(HealthRunTest, TimeoutAndProbeErrorsAreFailures) {
  ASSERT_TRUE(reset_health_state(files_, 0));
  ProbeRunner timed_out = [](int64_t) -> Result<ProbeOutcome> {
    return ProbeOutcome{137, "partial", true};
  };
  auto run = run_health_check(files_, check(3), 0, timed_out, clock());
  ASSERT_TRUE(run);
  EXPECT_EQ(run->result.exit_code, -1);
  EXPECT_EQ(run->result.output, "Health check exceeded timeout (1s)");
  ProbeRunner broken = [](int64_t) -> Result<ProbeOutcome> {
    return fail("run the healthcheck: fork: EAGAIN");
  };
  run = run_health_check(files_, check(3), 0, broken, clock());
  ASSERT_TRUE(run);
  EXPECT_EQ(run->result.exit_code, -1);
  EXPECT_EQ(run->result.output, "run the healthcheck: fork: EAGAIN");
  EXPECT_EQ(run->state.failing_streak, 2);
}

TEST_F(HealthRunTest, AResultOfAnEarlierRunIsDropped) {
  ASSERT_TRUE(reset_health_state(files_, 1 * kSecond));
  ProbeRunner restarted_meanwhile = [&](int64_t) -> Result<ProbeOutcome> {
    EXPECT_TRUE(reset_health_state(files_, 2 * kSecond));
    return ProbeOutcome{1, "", false};
  };
  auto run = run_health_check(files_, check(1), 1 * kSecond, restarted_meanwhile, clock());
  ASSERT_TRUE(run);
  EXPECT_FALSE(run->recorded);
  auto stored = read_health_state(files_.state_path);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->status, kHealthStarting);
  EXPECT_TRUE((*stored)->log.empty());
}

TEST_F(HealthRunTest, RealProbeCapturesOutputAndTimesOut) {
  const std::string pid_file = dir_ + "/probe.pid";
  auto ok =
      run_probe_process({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, 5 * kSecond, pid_file);
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_FALSE(ok->timed_out);
  EXPECT_EQ(ok->exit_code, 3);
  EXPECT_EQ(ok->output, "out\nerr\n");

  // The pid file names the process to kill at the timeout (the check inside the container).
  auto slow = run_probe_process({"/bin/sh", "-c", "sleep 30 & echo $! > " + pid_file + "; wait"},
                                kSecond / 5, pid_file);
  ASSERT_TRUE(slow) << slow.error().message();
  EXPECT_TRUE(slow->timed_out);
  EXPECT_NE(::access(pid_file.c_str(), F_OK), 0);  // removed
}

TEST_F(HealthRunTest, StartupCheckUsesItsTimeoutAndRecordsTheVerdict) {
  ASSERT_TRUE(reset_health_state(files_, kSecond));
  int exit_code = 1;
  ProbeRunner probe = [&](int64_t timeout_ns) -> Result<ProbeOutcome> {
    EXPECT_EQ(timeout_ns, 2 * kSecond);
    return ProbeOutcome{exit_code, "", false};
  };
  auto run = run_startup_check(files_, startup(0, 0), kSecond, probe, clock());
  ASSERT_TRUE(run) << run.error().message();
  EXPECT_TRUE(run->startup);
  EXPECT_EQ(run->startup_verdict, StartupVerdict::kStillStarting);
  exit_code = 0;
  run = run_startup_check(files_, startup(0, 0), kSecond, probe, clock());
  ASSERT_TRUE(run);
  EXPECT_EQ(run->startup_verdict, StartupVerdict::kPassed);
  auto stored = read_health_state(files_.state_path);
  ASSERT_TRUE(stored && *stored);
  EXPECT_TRUE((*stored)->startup_passed);
  EXPECT_EQ((*stored)->startup_failures, 1);
  EXPECT_EQ((*stored)->log.size(), 2u);
}

}  // namespace
}  // namespace krill::engine
