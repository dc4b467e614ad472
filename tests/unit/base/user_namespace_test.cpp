// Id maps of user namespaces (base/user_namespace.h).
#include "base/user_namespace.h"

#include <gtest/gtest.h>

namespace krill {
namespace {

TEST(IdMap, ParsesTheKernelsLines) {
  auto ranges =
      parse_id_map("         0       1000          1\n         1    3100000      65536\n");
  ASSERT_TRUE(ranges.has_value()) << ranges.error().message();
  ASSERT_EQ(ranges->size(), 2u);
  EXPECT_EQ((*ranges)[1].inside, 1u);
  EXPECT_EQ((*ranges)[1].outside, 3100000u);
  EXPECT_EQ((*ranges)[1].count, 65536u);
  EXPECT_TRUE(id_is_mapped(*ranges, 0));
  EXPECT_TRUE(id_is_mapped(*ranges, 65536));
  EXPECT_FALSE(id_is_mapped(*ranges, 65537));
  auto initial = parse_id_map("0 0 4294967295\n");
  ASSERT_TRUE(initial.has_value());
  EXPECT_TRUE(id_is_mapped(*initial, 4294967294ul));
  EXPECT_TRUE(parse_id_map("")->empty());
}

TEST(IdMap, TranslatesBothWays) {
  const std::vector<IdMapRange> ranges = {{0, 1000, 1}, {1, 3100000, 65536}};
  EXPECT_EQ(outside_id(ranges, 0), 1000u);
  EXPECT_EQ(outside_id(ranges, 5), 3100004u);
  EXPECT_EQ(outside_id(ranges, 65537), std::nullopt);
  EXPECT_EQ(inside_id(ranges, 1000), 0u);
  EXPECT_EQ(inside_id(ranges, 3100004), 5u);
  EXPECT_EQ(inside_id(ranges, 999), std::nullopt);
  EXPECT_EQ(inside_id(ranges, 3100000 + 65536), std::nullopt);
}

TEST(IdMap, RejectsBadLines) {
  for (const char* bad : {"0 1000\n", "0 1000 1 7\n", "a b c\n", "0 1000 0\n"}) {
    auto parsed = parse_id_map(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_NE(parsed.error().message().find("id map: bad line"), std::string::npos);
  }
}

TEST(IdMap, ThisProcessRunsInTheInitialNamespace) {
  // The unit tests run on the host (as root or a user), never inside krill's namespace.
  EXPECT_TRUE(in_initial_user_namespace());
  EXPECT_FALSE(in_krill_user_namespace());
}

}  // namespace
}  // namespace krill
