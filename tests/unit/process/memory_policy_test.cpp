#include "runtime/process/memory_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "in_child.h"

namespace krill::process {
namespace {

using testing::run_in_child;

TEST(MemoryPolicyNames, ModesAndFlags) {
  EXPECT_EQ(*memory_policy_mode_from_name("MPOL_DEFAULT"), 0);
  EXPECT_EQ(*memory_policy_mode_from_name("MPOL_PREFERRED"), 1);
  EXPECT_EQ(*memory_policy_mode_from_name("MPOL_BIND"), 2);
  EXPECT_EQ(*memory_policy_mode_from_name("MPOL_INTERLEAVE"), 3);
  EXPECT_EQ(*memory_policy_mode_from_name("MPOL_LOCAL"), 4);
  EXPECT_EQ(*memory_policy_mode_from_name("MPOL_PREFERRED_MANY"), 5);
  EXPECT_EQ(*memory_policy_mode_from_name("MPOL_WEIGHTED_INTERLEAVE"), 6);
  EXPECT_EQ(*memory_policy_flag_from_name("MPOL_F_STATIC_NODES"), 1 << 15);
  EXPECT_EQ(*memory_policy_flag_from_name("MPOL_F_RELATIVE_NODES"), 1 << 14);
  EXPECT_EQ(*memory_policy_flag_from_name("MPOL_F_NUMA_BALANCING"), 1 << 13);
  EXPECT_EQ(memory_policy_mode_from_name("MPOL_X").error().message(),
            "unknown memory policy mode \"MPOL_X\"");
  EXPECT_FALSE(memory_policy_flag_from_name("MPOL_F_X"));
}

TEST(ApplyMemoryPolicy, ValidatesModeNodesAndFlags) {
  EXPECT_EQ(apply_memory_policy({"MPOL_DEFAULT", "0", {}}).error().message(),
            "memory policy MPOL_DEFAULT takes no nodes, got \"0\"");
  EXPECT_EQ(apply_memory_policy({"MPOL_BIND", "", {}}).error().message(),
            "memory policy MPOL_BIND needs nodes");
  EXPECT_EQ(
      apply_memory_policy({"MPOL_BIND", "0", {"MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"}})
          .error()
          .message(),
      "memory policy flags MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");
  EXPECT_EQ(apply_memory_policy({"MPOL_BIND", "0-", {}}).error().message(),
            "memory policy nodes: invalid cpu list \"0-\": \"0-\": not a number or range");
  EXPECT_FALSE(apply_memory_policy({"MPOL_BIND", "1024", {}}));
}

// get_mempolicy(2): the mode and the first word of the nodemask.
std::string current_policy(int& mode, unsigned long& mask) {
  unsigned long words[1024 / (8 * sizeof(unsigned long))] = {};
  if (::syscall(SYS_get_mempolicy, &mode, words, 1024 + 1, nullptr, 0) != 0)
    return "get_mempolicy: " + std::to_string(errno);
  mask = words[0];
  return "";
}

TEST(ApplyMemoryPolicy, BindToNodeZeroAndBackToDefault) {
  std::string result = run_in_child([] {
    int mode = -1;
    unsigned long mask = 0;
    if (current_policy(mode, mask).starts_with("get_mempolicy: 38"))
      return std::string("skip: no NUMA support");
    if (auto r = apply_memory_policy({"MPOL_BIND", "0", {"MPOL_F_STATIC_NODES"}}); !r)
      return r.error().message();
    if (auto error = current_policy(mode, mask); !error.empty()) return error;
    if ((mode & 0xff) != 2 || !(mode & (1 << 15))) return "mode " + std::to_string(mode);
    if (mask != 1) return "mask " + std::to_string(mask);
    if (auto r = apply_memory_policy({"MPOL_DEFAULT", "", {}}); !r) return r.error().message();
    if (auto error = current_policy(mode, mask); !error.empty()) return error;
    return mode == 0 ? std::string() : "mode after default " + std::to_string(mode);
  });
  if (result.starts_with("skip:")) GTEST_SKIP() << result;
  EXPECT_EQ(result, "");
}

TEST(ApplyMemoryPolicy, KernelRejectionNamesThePolicy) {
  std::string result = run_in_child([] {
    // Node 1000 does not exist here (the test host has one node).
    auto r = apply_memory_policy({"MPOL_INTERLEAVE", "1000", {}});
    if (r) return std::string("skip: node 1000 exists");
    return r.error().message();
  });
  if (result.starts_with("skip:")) GTEST_SKIP() << result;
  EXPECT_THAT(result, ::testing::StartsWith("set_mempolicy MPOL_INTERLEAVE nodes \"1000\": "));
}

}  // namespace
}  // namespace krill::process
