#include "runtime/cgroups/conversions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace krill::cgroups {
namespace {

TEST(Conversions, CpuSharesToWeight) {
  EXPECT_EQ(cpu_shares_to_weight(0), 0u);
  EXPECT_EQ(cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(cpu_shares_to_weight(1024), 39u);  // the v1 default maps near the v2 default
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
  EXPECT_EQ(cpu_shares_to_weight(512), 20u);
}

TEST(Conversions, BlkioWeightToIoWeight) {
  EXPECT_EQ(blkio_weight_to_io_weight(0), 0u);
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
  EXPECT_EQ(blkio_weight_to_io_weight(500), 4950u);
}

TEST(Conversions, MemoryLimit) {
  EXPECT_EQ(memory_limit_to_v2(-1), "max");
  EXPECT_EQ(memory_limit_to_v2(1048576), "1048576");
}

TEST(Conversions, SwapToV2) {
  // swap is memory+swap in OCI: v2 wants the swap part only.
  EXPECT_EQ(**swap_to_v2(300, 100), "200");
  EXPECT_EQ(**swap_to_v2(100, 100), "0");
  EXPECT_EQ(**swap_to_v2(-1, 100), "max");
  // unlimited memory and no swap setting: both unlimited
  EXPECT_EQ(**swap_to_v2(std::nullopt, -1), "max");
  EXPECT_FALSE(*swap_to_v2(std::nullopt, 100));
  EXPECT_FALSE(*swap_to_v2(std::nullopt, std::nullopt));
  EXPECT_FALSE(swap_to_v2(300, std::nullopt));
  EXPECT_FALSE(swap_to_v2(300, -1));
  auto less = swap_to_v2(50, 100);
  ASSERT_FALSE(less);
  EXPECT_THAT(less.error().message(), ::testing::HasSubstr("memory.swap"));
}

TEST(Conversions, CpuMax) {
  EXPECT_EQ(cpu_max_line(50000, 100000), "50000 100000");
  EXPECT_EQ(cpu_max_line(-1, 100000), "max 100000");
  EXPECT_EQ(cpu_max_line(std::nullopt, 100000), "max 100000");
  EXPECT_EQ(cpu_max_line(50000, std::nullopt), "50000");
  EXPECT_EQ(cpu_max_line(std::nullopt, std::nullopt), std::nullopt);
  EXPECT_EQ(cpu_max_line(0, 0), std::nullopt);
}

TEST(Conversions, HugepageSizeName) {
  EXPECT_EQ(hugepage_size_name(2048), "2MB");
  EXPECT_EQ(hugepage_size_name(1048576), "1GB");
  EXPECT_EQ(hugepage_size_name(64), "64KB");
  EXPECT_EQ(hugepage_size_name(32768), "32MB");
}

TEST(Conversions, CpuList) {
  EXPECT_THAT(*parse_cpu_list("0-3,7\n"), ::testing::ElementsAre(0, 1, 2, 3, 7));
  EXPECT_TRUE(parse_cpu_list("")->empty());
  EXPECT_FALSE(parse_cpu_list("3-1"));
  EXPECT_FALSE(parse_cpu_list("a"));
}

}  // namespace
}  // namespace krill::cgroups
