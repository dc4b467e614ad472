#include "monitor/health_schedule.h"

#include <gtest/gtest.h>

namespace krill::monitor {
namespace {

using Action = HealthSchedule::Action;
constexpr int64_t kMs = 1000000;

TEST(HealthSchedule, NothingBeforeStart) {
  HealthSchedule schedule(100 * kMs, 1000 * kMs);
  EXPECT_EQ(schedule.due(1000000 * kMs), Action::kNothing);
  EXPECT_EQ(schedule.next_ns(), 0);
}

TEST(HealthSchedule, FirstCheckOneIntervalAfterStart) {
  HealthSchedule schedule(100 * kMs, 1000 * kMs);
  schedule.start(5000 * kMs);
  EXPECT_EQ(schedule.next_ns(), 5100 * kMs);
  EXPECT_EQ(schedule.due(5099 * kMs), Action::kNothing);
  EXPECT_EQ(schedule.due(5100 * kMs), Action::kRunCheck);
}

TEST(HealthSchedule, NextIntervalCountsFromTheEndOfTheCheck) {
  HealthSchedule schedule(100 * kMs, 1000 * kMs);
  schedule.start(0);
  ASSERT_EQ(schedule.due(100 * kMs), Action::kRunCheck);
  schedule.check_started(100 * kMs);
  EXPECT_TRUE(schedule.check_running());
  // While it runs no second check starts, however late it gets.
  EXPECT_EQ(schedule.due(400 * kMs), Action::kNothing);
  schedule.check_finished(450 * kMs);
  EXPECT_FALSE(schedule.check_running());
  EXPECT_EQ(schedule.next_ns(), 550 * kMs);
  EXPECT_EQ(schedule.due(549 * kMs), Action::kNothing);
  EXPECT_EQ(schedule.due(550 * kMs), Action::kRunCheck);
}

TEST(HealthSchedule, HungCheckIsKilledOnce) {
  HealthSchedule schedule(100 * kMs, 300 * kMs);
  schedule.start(0);
  ASSERT_EQ(schedule.due(100 * kMs), Action::kRunCheck);
  schedule.check_started(100 * kMs);
  EXPECT_EQ(schedule.next_ns(), 400 * kMs);
  EXPECT_EQ(schedule.due(399 * kMs), Action::kNothing);
  EXPECT_EQ(schedule.due(400 * kMs), Action::kKillCheck);
  // Killed, not reaped yet: nothing more to do (the timer is disarmed).
  EXPECT_EQ(schedule.due(500 * kMs), Action::kNothing);
  EXPECT_EQ(schedule.next_ns(), 0);
  schedule.check_finished(510 * kMs);
  EXPECT_EQ(schedule.next_ns(), 610 * kMs);
}

TEST(HealthSchedule, SpawnFailureWaitsAnInterval) {
  HealthSchedule schedule(100 * kMs, 300 * kMs);
  schedule.start(0);
  ASSERT_EQ(schedule.due(100 * kMs), Action::kRunCheck);
  schedule.check_finished(100 * kMs);  // could not be started
  EXPECT_EQ(schedule.due(150 * kMs), Action::kNothing);
  EXPECT_EQ(schedule.due(200 * kMs), Action::kRunCheck);
}

TEST(HealthSchedule, NewTimingAppliesFromTheNextCheck) {
  HealthSchedule schedule(100 * kMs, 1000 * kMs);  // the startup check's timing
  schedule.start(0);
  ASSERT_EQ(schedule.due(100 * kMs), Action::kRunCheck);
  schedule.check_started(100 * kMs);
  schedule.set_timing(5000 * kMs, 200 * kMs);  // passed: the regular check's
  schedule.check_finished(150 * kMs);
  EXPECT_EQ(schedule.next_ns(), 5150 * kMs);
  ASSERT_EQ(schedule.due(5150 * kMs), Action::kRunCheck);
  schedule.check_started(5150 * kMs);
  EXPECT_EQ(schedule.next_ns(), 5350 * kMs) << "the new kill deadline";
}

}  // namespace
}  // namespace krill::monitor
