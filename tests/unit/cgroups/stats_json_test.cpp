#include <gtest/gtest.h>

#include "runtime/cgroups/stats.h"

namespace krill::cgroups {
namespace {

TEST(StatsJson, EmptyStatsMatchRuncShape) {
  // What runc 1.1 prints for zero values: omitempty fields vanish, plain ones stay.
  EXPECT_EQ(
      stats_to_json(Stats{}),
      "{\"cpu\":{\"usage\":{\"kernel\":0,\"user\":0},\"throttling\":{}},"
      "\"cpuset\":{\"cpu_exclusive\":0,\"mem_hardwall\":0,\"mem_exclusive\":0,"
      "\"memory_migrate\":0,\"memory_spread_page\":0,\"memory_spread_slab\":0,"
      "\"memory_pressure\":0,\"sched_load_balance\":0,\"sched_relax_domain_level\":0},"
      "\"memory\":{\"usage\":{\"limit\":0,\"failcnt\":0},\"swap\":{\"limit\":0,\"failcnt\":0},"
      "\"kernel\":{\"limit\":0,\"failcnt\":0},\"kernelTCP\":{\"limit\":0,\"failcnt\":0}},"
      "\"pids\":{},\"blkio\":{},\"hugetlb\":{},\"intel_rdt\":{},\"network_interfaces\":null}");
}

TEST(StatsJson, FilledStats) {
  Stats s;
  s.cpu.usage.total = 100;
  s.cpu.usage.percpu = {60, 40};
  s.cpu.usage.kernel = 30;
  s.cpu.usage.user = 70;
  s.cpu.throttling.periods = 5;
  s.cpu.throttling.throttled_periods = 1;
  s.cpu.throttling.throttled_time = 9;
  s.cpuset.cpus = {0, 1};
  s.memory.cache = 7;
  s.memory.usage = {1000, 500, 600, 0};
  s.memory.raw = {{"rss", 2}, {"cache", 7}};
  s.pids = {3, 64};
  s.blkio.io_service_bytes_recursive.push_back({8, 0, "Read", 4096});
  s.hugetlb["2MB"] = {2097152, 0, 0};
  std::string json = stats_to_json(s);
  EXPECT_NE(json.find("\"cpu\":{\"usage\":{\"total\":100,\"percpu\":[60,40],\"kernel\":30,"
                      "\"user\":70},\"throttling\":{\"periods\":5,\"throttledPeriods\":1,"
                      "\"throttledTime\":9}}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"cpuset\":{\"cpus\":[0,1],\"cpu_exclusive\":0"), std::string::npos);
  EXPECT_NE(json.find("\"memory\":{\"cache\":7,\"usage\":{\"limit\":1000,\"usage\":500,"
                      "\"max\":600,\"failcnt\":0}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"raw\":{\"cache\":7,\"rss\":2}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"pids\":{\"current\":3,\"limit\":64}"), std::string::npos);
  EXPECT_NE(json.find("\"blkio\":{\"ioServiceBytesRecursive\":[{\"major\":8,\"op\":\"Read\","
                      "\"value\":4096}]}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"hugetlb\":{\"2MB\":{\"usage\":2097152,\"failcnt\":0}}"),
            std::string::npos);
}

}  // namespace
}  // namespace krill::cgroups
