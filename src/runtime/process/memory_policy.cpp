#include "runtime/process/memory_policy.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <string>

#include "runtime/process/cpu_list.h"

namespace krill::process {
namespace {

struct NamedValue {
  const char* name;
  int value;
};

// include/uapi/linux/mempolicy.h; spelled out because older headers lack the newer modes.
constexpr int kMpolDefault = 0;
constexpr int kMpolPreferred = 1;
constexpr int kMpolLocal = 4;
constexpr NamedValue kModes[] = {
    {"MPOL_DEFAULT", kMpolDefault},  {"MPOL_PREFERRED", kMpolPreferred}, {"MPOL_BIND", 2},
    {"MPOL_INTERLEAVE", 3},          {"MPOL_LOCAL", kMpolLocal},         {"MPOL_PREFERRED_MANY", 5},
    {"MPOL_WEIGHTED_INTERLEAVE", 6},
};

constexpr int kMpolFStaticNodes = 1 << 15;
constexpr int kMpolFRelativeNodes = 1 << 14;
constexpr NamedValue kFlags[] = {
    {"MPOL_F_STATIC_NODES", kMpolFStaticNodes},
    {"MPOL_F_RELATIVE_NODES", kMpolFRelativeNodes},
    {"MPOL_F_NUMA_BALANCING", 1 << 13},
};

constexpr int kBitsPerWord = sizeof(unsigned long) * CHAR_BIT;
constexpr int kMaskWords = (kMaxMemoryNode + 1) / kBitsPerWord;

}  // namespace

Result<int> memory_policy_mode_from_name(std::string_view name) {
  for (const auto& entry : kModes)
    if (name == entry.name) return entry.value;
  return fail("unknown memory policy mode \"" + std::string(name) + "\"");
}

Result<int> memory_policy_flag_from_name(std::string_view name) {
  for (const auto& entry : kFlags)
    if (name == entry.name) return entry.value;
  return fail("unknown memory policy flag \"" + std::string(name) + "\"");
}

Result<void> apply_memory_policy(const oci::MemoryPolicy& policy) {
  int mode = KRILL_TRY(memory_policy_mode_from_name(policy.mode));
  int flags = 0;
  for (const auto& flag : policy.flags) flags |= KRILL_TRY(memory_policy_flag_from_name(flag));
  if ((flags & kMpolFStaticNodes) && (flags & kMpolFRelativeNodes))
    return fail(
        "memory policy flags MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other");

  unsigned long mask[kMaskWords] = {};
  int highest = -1;
  KRILL_CHECK_CTX(for_each_in_cpu_list(policy.nodes, kMaxMemoryNode,
                                       [&](int node) {
                                         mask[node / kBitsPerWord] |= 1UL << (node % kBitsPerWord);
                                         if (node > highest) highest = node;
                                       }),
                  "memory policy nodes");
  bool has_nodes = highest >= 0;
  if ((mode == kMpolDefault || mode == kMpolLocal) && has_nodes)
    return fail("memory policy " + policy.mode + " takes no nodes, got \"" + policy.nodes + "\"");
  if (mode != kMpolDefault && mode != kMpolLocal && mode != kMpolPreferred && !has_nodes)
    return fail("memory policy " + policy.mode + " needs nodes");

  // The kernel drops the last bit of maxnode (a historical off-by-one), hence the + 1.
  unsigned long maxnode = has_nodes ? static_cast<unsigned long>(highest) + 2 : 0;
  if (::syscall(SYS_set_mempolicy, mode | flags, has_nodes ? mask : nullptr, maxnode) != 0)
    return fail_errno("set_mempolicy " + policy.mode +
                      (policy.nodes.empty() ? std::string() : " nodes \"" + policy.nodes + "\""));
  return {};
}

}  // namespace krill::process
