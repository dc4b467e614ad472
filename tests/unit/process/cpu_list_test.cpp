#include "runtime/process/cpu_list.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace krill::process {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ParseCpuList, SinglesRangesAndMixes) {
  EXPECT_THAT(*parse_cpu_list("0"), ElementsAre(0));
  EXPECT_THAT(*parse_cpu_list("0-3,7"), ElementsAre(0, 1, 2, 3, 7));
  EXPECT_THAT(*parse_cpu_list("7,0-1,3"), ElementsAre(0, 1, 3, 7));
  EXPECT_THAT(*parse_cpu_list("2-2"), ElementsAre(2));
  EXPECT_THAT(*parse_cpu_list("1,1,0-1"), ElementsAre(0, 1));
  EXPECT_THAT(*parse_cpu_list("0-1\n"), ElementsAre(0, 1));  // as read from a cpuset file
  EXPECT_THAT(*parse_cpu_list(""), IsEmpty());
  EXPECT_THAT(*parse_cpu_list("  "), IsEmpty());
  EXPECT_THAT(*parse_cpu_list("8191"), ElementsAre(8191));
}

TEST(ParseCpuList, RejectsMalformedLists) {
  for (const char* bad : {"a", "1-", "-1", "3-1", "1,,2", ",1", "1,", "1-2-3", "1 2", "0x1", "+1",
                          "1.5", "99999999999999999999", "8192"}) {
    auto result = parse_cpu_list(bad);
    EXPECT_FALSE(result) << bad;
  }
}

TEST(ParseCpuList, ErrorsNameTheListAndTheItem) {
  EXPECT_EQ(parse_cpu_list("0,3-1").error().message(),
            "invalid cpu list \"0,3-1\": \"3-1\": range start is above its end");
  EXPECT_EQ(parse_cpu_list("0,x").error().message(),
            "invalid cpu list \"0,x\": \"x\": not a number or range");
  EXPECT_EQ(parse_cpu_list("0-9000").error().message(),
            "invalid cpu list \"0-9000\": \"0-9000\": id out of range (max 8191)");
  EXPECT_EQ(parse_cpu_list("1,,2").error().message(),
            "invalid cpu list \"1,,2\": \"\": empty item");
}

TEST(ForEachInCpuList, VisitsInWrittenOrderWithALimit) {
  std::vector<int> seen;
  ASSERT_TRUE(for_each_in_cpu_list("3,0-1", 7, [&](int id) { seen.push_back(id); }));
  EXPECT_THAT(seen, ElementsAre(3, 0, 1));
  EXPECT_FALSE(for_each_in_cpu_list("8", 7, [](int) {}));
}

}  // namespace
}  // namespace krill::process
