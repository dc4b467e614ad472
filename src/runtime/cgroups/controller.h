// One type per cgroup controller, as in youki's libcgroups: each knows which
// part of linux.resources it handles, how to write it into a cgroup directory,
// and (optionally) how to read its statistics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/cgroups/stats.h"

namespace krill::cgroups {

// The parts of linux.resources, named as config.json names them; each is
// handled by exactly one controller type per cgroup version.
enum class Section {
  kMemory,             // memory.*
  kCpu,                // cpu.shares/quota/period/burst/realtime*/idle
  kCpuset,             // cpu.cpus, cpu.mems
  kPids,               // pids.limit
  kBlockIo,            // blockIO.*
  kHugepageLimits,     // hugepageLimits
  kNetworkClassId,     // network.classID
  kNetworkPriorities,  // network.priorities
  kRdma,               // rdma
  kDevices,            // devices
  kUnified,            // unified
  kNone,               // statistics or freezing only
};

const char* to_string(Section section);

// The sections `resources` asks for.
std::vector<Section> requested_sections(const oci::Resources& resources);

class Controller {
 public:
  virtual ~Controller() = default;
  // The kernel controller ("memory", "blkio", "io"); v2 pseudo-controllers that
  // need no cgroup.controllers entry: "devices" (eBPF), "unified".
  virtual const char* name() const = 0;
  virtual bool v2() const = 0;
  virtual Section section() const = 0;
  bool applies(const oci::Resources& resources) const;
  // Writes the section's settings into the cgroup directory `dir`.
  virtual Result<void> apply(const std::string& dir, const oci::Resources& resources) const = 0;
  // Adds what the controller accounts to `stats`; missing files are skipped.
  virtual Result<void> stats(const std::string& dir, Stats& stats) const;
};

std::vector<std::unique_ptr<Controller>> v1_controllers();
std::vector<std::unique_ptr<Controller>> v2_controllers();

// Shared by the v1 and v2 types.
Result<void> write_optional_file(const std::string& dir, const std::string& name,
                                 const std::string& value);  // absent file: nothing
Result<void> write_required_file(const std::string& dir, const std::string& name,
                                 const std::string& value, const std::string& setting);
// rdma.max lines (same format in v1 and v2).
Result<void> apply_rdma(const std::string& dir, const oci::Resources& resources);
// hugepageLimits written to "hugetlb.<size>.<suffix>" (v1: limit_in_bytes, v2: max) and the
// reservation file "hugetlb.<size>.rsvd.<suffix>" where the kernel has it.
Result<void> apply_hugepage_limits(const std::string& dir, const oci::Resources& resources,
                                   const std::string& suffix);
// Hugepage sizes for which `dir` has a "hugetlb.<size>.<suffix>" file.
std::vector<std::string> hugepage_sizes_in(const std::string& dir, const std::string& suffix);

}  // namespace krill::cgroups
