#include "monitor/health_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace krill::monitor {
namespace {

TEST(HealthMonitorConfig, RoundTrip) {
  HealthMonitorConfig config;
  config.interval_ns = 500000000;
  config.timeout_ns = 2000000000;
  config.command = {"/usr/bin/krill", "healthcheck", "run", "c1"};
  auto parsed = health_monitor_config_from_json(health_monitor_config_to_json(config));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->interval_ns, config.interval_ns);
  EXPECT_EQ(parsed->timeout_ns, config.timeout_ns);
  EXPECT_EQ(parsed->command, config.command);
}

TEST(HealthMonitorConfig, StartupCheckRoundTrip) {
  HealthMonitorConfig config;
  config.interval_ns = 500000000;
  config.timeout_ns = 2000000000;
  config.command = {"/usr/bin/krill", "healthcheck", "run", "c1"};
  config.startup_interval_ns = 100000000;
  config.startup_timeout_ns = 300000000;
  config.startup_passed_path = "/run/krill/c1/health-startup-passed";
  auto parsed = health_monitor_config_from_json(health_monitor_config_to_json(config));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->startup_interval_ns, config.startup_interval_ns);
  EXPECT_EQ(parsed->startup_timeout_ns, config.startup_timeout_ns);
  EXPECT_EQ(parsed->startup_passed_path, config.startup_passed_path);
  EXPECT_FALSE(health_monitor_config_from_json(
      R"({"interval_ns":5,"command":["/k"],"startup_passed_path":"/x"})"))
      << "a startup check needs its interval";
}

TEST(HealthMonitorConfig, Errors) {
  EXPECT_FALSE(health_monitor_config_from_json("nope"));
  EXPECT_FALSE(health_monitor_config_from_json(R"({"command":["/k"]})"));  // no interval
  EXPECT_FALSE(health_monitor_config_from_json(R"({"interval_ns":5})"));   // no command
  EXPECT_FALSE(health_monitor_config_from_json(R"({"interval_ns":"5s","command":["/k"]})"));
}

TEST(HealthMonitorConfig, FileInTheRunDirectory) {
  char dir_template[] = "/tmp/krill-health-config-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  auto none = read_health_monitor_config(dir);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  { std::ofstream(dir + "/healthcheck.json") << R"({"interval_ns":7,"command":["/k"]})"; }
  auto some = read_health_monitor_config(dir);
  ASSERT_TRUE(some);
  ASSERT_TRUE(*some);
  EXPECT_EQ((*some)->interval_ns, 7);
  { std::ofstream(dir + "/healthcheck.json") << "{"; }
  auto broken = read_health_monitor_config(dir);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message().find("healthcheck.json"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace krill::monitor
