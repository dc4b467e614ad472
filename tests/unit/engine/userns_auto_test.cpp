#include "engine/userns_auto.h"

#include <gtest/gtest.h>

namespace krill::engine {
namespace {

TEST(AutoUserns, SizeFromTheMode) {
  EXPECT_TRUE(is_auto_userns("auto"));
  EXPECT_TRUE(is_auto_userns("auto:size=10"));
  EXPECT_FALSE(is_auto_userns("host"));
  EXPECT_FALSE(is_auto_userns("automatic"));
  EXPECT_EQ(*auto_userns_size("auto"), kAutoUsernsDefaultSize);
  EXPECT_EQ(*auto_userns_size("auto:size=1024"), 1024u);
  for (const char* bad : {"auto:size=", "auto:size=x", "auto:size=0", "auto:size=-1",
                          "auto:size=4294967296", "auto:size=12abc", "auto:gidmapping=0:1:1"}) {
    auto size = auto_userns_size(bad);
    ASSERT_FALSE(size) << bad;
    EXPECT_NE(size.error().message().find(bad), std::string::npos) << size.error().message();
  }
}

TEST(AutoUserns, FirstFreeBlockAcrossRanges) {
  const std::vector<SubordinateIds> available = {{100000, 1000}, {500000, 100000}};
  auto first = allocate_auto_ids(available, {}, 500, "/etc/subuid");
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(*first, (std::vector<IdMapRange>{{0, 100000, 500}}));
  // After a taken block; a gap too small is skipped; a block too big for the first range
  // comes from the next.
  std::vector<IdMapRange> taken = {{0, 100000, 500}, {0, 100700, 300}};
  EXPECT_EQ(allocate_auto_ids(available, taken, 200, "f")->front().outside, 100500u);
  EXPECT_EQ(allocate_auto_ids(available, taken, 250, "f")->front().outside, 500000u);
  EXPECT_EQ(allocate_auto_ids(available, taken, 2000, "f")->front().outside, 500000u);
  // Taken blocks in any order.
  std::vector<IdMapRange> unordered = {{0, 500000, 65536}, {0, 100000, 1000}};
  EXPECT_EQ(allocate_auto_ids(available, unordered, 1000, "f")->front().outside, 565536u);
}

TEST(AutoUserns, ErrorsSayWhatToDo) {
  auto none = allocate_auto_ids({}, {}, 10, "/etc/subgid");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("no subordinate ids for \"containers\" in /etc/subgid"),
            std::string::npos)
      << none.error().message();
  auto full = allocate_auto_ids({{1000, 100}}, {{0, 1000, 60}}, 50, "/etc/subuid");
  ASSERT_FALSE(full);
  EXPECT_NE(full.error().message().find("no block of 50 free ids"), std::string::npos)
      << full.error().message();
}

}  // namespace
}  // namespace krill::engine
