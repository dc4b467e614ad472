#include <gtest/gtest.h>

#include "cli/runtime/commands.h"

namespace krill::cli {
namespace {

TEST(MemoryBytes, PlainNumbers) {
  EXPECT_EQ(parse_memory_bytes("0").value(), 0);
  EXPECT_EQ(parse_memory_bytes("100").value(), 100);
  EXPECT_EQ(parse_memory_bytes("100b").value(), 100);
}

TEST(MemoryBytes, BinarySuffixesInAnyCase) {
  EXPECT_EQ(parse_memory_bytes("1k").value(), 1024);
  EXPECT_EQ(parse_memory_bytes("1K").value(), 1024);
  EXPECT_EQ(parse_memory_bytes("512m").value(), 512LL * 1024 * 1024);
  EXPECT_EQ(parse_memory_bytes("512M").value(), 512LL * 1024 * 1024);
  EXPECT_EQ(parse_memory_bytes("512mb").value(), 512LL * 1024 * 1024);
  EXPECT_EQ(parse_memory_bytes("512MiB").value(), 512LL * 1024 * 1024);
  EXPECT_EQ(parse_memory_bytes("1g").value(), 1024LL * 1024 * 1024);
  EXPECT_EQ(parse_memory_bytes("1 GB").value(), 1024LL * 1024 * 1024);
  EXPECT_EQ(parse_memory_bytes("1.5g").value(), 1536LL * 1024 * 1024);
  EXPECT_EQ(parse_memory_bytes("2t").value(), 2LL * 1024 * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_memory_bytes("1p").value(), 1LL << 50);
}

TEST(MemoryBytes, RejectsGarbage) {
  for (const char* text :
       {"", "m", "-1", "1x", "1mm", "1gbb", ".5g", "5.g", "1..5", "1ib", "99999999999p"}) {
    auto result = parse_memory_bytes(text);
    EXPECT_FALSE(result) << text;
  }
  EXPECT_EQ(parse_memory_bytes("1x").error().message(), "invalid size: '1x'");
}

TEST(ResourcesFromFlags, NothingGivenIsEmpty) {
  auto resources = resources_from_flags(UpdateFlags{}).value();
  EXPECT_FALSE(resources.memory);
  EXPECT_FALSE(resources.cpu);
  EXPECT_FALSE(resources.pids);
  EXPECT_FALSE(resources.block_io);
}

TEST(ResourcesFromFlags, MemoryWithSuffixesAndUnlimitedSwap) {
  UpdateFlags flags;
  flags.memory = "512m";
  flags.memory_reservation = "256M";
  flags.memory_swap = "-1";
  auto resources = resources_from_flags(flags).value();
  ASSERT_TRUE(resources.memory);
  EXPECT_EQ(resources.memory->limit, 512LL * 1024 * 1024);
  EXPECT_EQ(resources.memory->reservation, 256LL * 1024 * 1024);
  EXPECT_EQ(resources.memory->swap, -1);
  EXPECT_FALSE(resources.memory->kernel);
  EXPECT_FALSE(resources.cpu);
}

TEST(ResourcesFromFlags, CpuPidsAndBlockIo) {
  UpdateFlags flags;
  flags.cpu_period = "100000";
  flags.cpu_quota = "-1";
  flags.cpu_share = "512";
  flags.cpu_rt_period = "1000000";
  flags.cpu_rt_runtime = "950000";
  flags.cpuset_cpus = "0-3";
  flags.cpuset_mems = "0";
  flags.pids_limit = "100";
  flags.blkio_weight = "300";
  auto resources = resources_from_flags(flags).value();
  ASSERT_TRUE(resources.cpu);
  EXPECT_EQ(resources.cpu->period, 100000u);
  EXPECT_EQ(resources.cpu->quota, -1);
  EXPECT_EQ(resources.cpu->shares, 512u);
  EXPECT_EQ(resources.cpu->realtime_period, 1000000u);
  EXPECT_EQ(resources.cpu->realtime_runtime, 950000);
  EXPECT_EQ(resources.cpu->cpus, "0-3");
  EXPECT_EQ(resources.cpu->mems, "0");
  ASSERT_TRUE(resources.pids);
  EXPECT_EQ(resources.pids->limit, 100);
  ASSERT_TRUE(resources.block_io);
  EXPECT_EQ(resources.block_io->weight, 300);
  EXPECT_FALSE(resources.memory);
}

TEST(ResourcesFromFlags, ErrorsNameTheFlag) {
  UpdateFlags flags;
  flags.memory = "lots";
  EXPECT_EQ(resources_from_flags(flags).error().message(),
            "invalid value for memory: invalid size: 'lots'");
  UpdateFlags cpu;
  cpu.cpu_period = "-5";
  EXPECT_NE(resources_from_flags(cpu).error().message().find("cpu-period"), std::string::npos);
  UpdateFlags weight;
  weight.blkio_weight = "70000";
  EXPECT_NE(resources_from_flags(weight).error().message().find("blkio-weight"), std::string::npos);
  UpdateFlags pids;
  pids.pids_limit = "ten";
  EXPECT_NE(resources_from_flags(pids).error().message().find("pids-limit"), std::string::npos);
}

}  // namespace
}  // namespace krill::cli
