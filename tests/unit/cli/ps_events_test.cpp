#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/runtime/commands.h"

namespace krill::cli {
namespace {

using std::chrono::nanoseconds;

TEST(PidsJson, ArrayOfPids) {
  EXPECT_EQ(format_pids_json({}), "[]\n");
  EXPECT_EQ(format_pids_json({7009}), "[7009]\n");
  EXPECT_EQ(format_pids_json({1, 22, 333}), "[1,22,333]\n");
}

TEST(FilterPs, KeepsHeaderAndContainerProcesses) {
  const char* output =
      "UID        PID  PPID  C STIME TTY          TIME CMD\n"
      "root         1     0  0 08:00 ?        00:00:01 /sbin/init\n"
      "root      7009     1  0 08:23 ?        00:00:00 sleep 1000\n"
      "root      7010  7009  0 08:23 ?        00:00:00 sh -c echo 1\n";
  EXPECT_EQ(filter_ps_output(output, {7009, 7010}).value(),
            "UID        PID  PPID  C STIME TTY          TIME CMD\n"
            "root      7009     1  0 08:23 ?        00:00:00 sleep 1000\n"
            "root      7010  7009  0 08:23 ?        00:00:00 sh -c echo 1\n");
  EXPECT_EQ(filter_ps_output(output, {}).value(),
            "UID        PID  PPID  C STIME TTY          TIME CMD\n");
}

TEST(FilterPs, FindsThePidColumnAnywhere) {
  EXPECT_EQ(filter_ps_output("  PID COMMAND\n 7009 sleep\n   42 bash\n", {7009}).value(),
            "  PID COMMAND\n 7009 sleep\n");
}

TEST(FilterPs, NeedsAPidColumn) {
  EXPECT_EQ(filter_ps_output("USER COMMAND\nroot sleep\n", {1}).error().message(),
            "couldn't find PID field in ps output");
  EXPECT_FALSE(filter_ps_output("", {1}));
  EXPECT_FALSE(filter_ps_output("PID CMD\nabc sleep\n", {1}));
}

TEST(Duration, GoSyntax) {
  EXPECT_EQ(parse_duration("5s").value(), nanoseconds(5'000'000'000));
  EXPECT_EQ(parse_duration("500ms").value(), nanoseconds(500'000'000));
  EXPECT_EQ(parse_duration("1m30s").value(), nanoseconds(90'000'000'000));
  EXPECT_EQ(parse_duration("1.5h").value(), nanoseconds(5'400'000'000'000));
  EXPECT_EQ(parse_duration("250us").value(), nanoseconds(250'000));
  EXPECT_EQ(parse_duration("10ns").value(), nanoseconds(10));
  EXPECT_EQ(parse_duration("0").value(), nanoseconds(0));
}

TEST(Duration, RejectsGarbage) {
  for (const char* text : {"", "5", "s", "5x", "-5s", "5s5", "1.2.3s"})
    EXPECT_FALSE(parse_duration(text)) << text;
}

TEST(StatsEvent, WrapsBareData) {
  std::string line = stats_event_line("c1", R"({"cpu":{"usage":{"total":5}}})").value();
  EXPECT_EQ(line,
            "{\"type\":\"stats\",\"id\":\"c1\",\"data\":{\"cpu\":{\"usage\":{\"total\":5}}}}\n");
}

TEST(StatsEvent, PassesAWholeEventThroughOnOneLine) {
  std::string line =
      stats_event_line("c1", "{\n  \"type\": \"stats\",\n  \"id\": \"c1\",\n  \"data\": {}\n}")
          .value();
  EXPECT_EQ(line, "{\"type\":\"stats\",\"id\":\"c1\",\"data\":{}}\n");
  EXPECT_FALSE(stats_event_line("c1", "{oops"));
}

TEST(OomEvent, IsRuncsLine) {
  EXPECT_EQ(oom_event_line("c1"), "{\"type\":\"oom\",\"id\":\"c1\"}\n");
}

}  // namespace
}  // namespace krill::cli
