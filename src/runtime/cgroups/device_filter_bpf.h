// Loading a cgroup device eBPF program and attaching it to a cgroup v2 directory.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/unique_fd.h"

namespace krill::cgroups {

// bpf(BPF_PROG_LOAD) of a BPF_PROG_TYPE_CGROUP_DEVICE program; the verifier log
// is part of the error on failure.
Result<UniqueFd> load_device_program(const std::vector<bpf_insn>& program);

// The ids of the device programs attached to the cgroup directory `cgroup_fd`.
Result<std::vector<uint32_t>> attached_device_programs(int cgroup_fd);

// Attaches `program` to the cgroup v2 directory `dir` with BPF_F_ALLOW_MULTI,
// then detaches the device programs that were attached before, so the cgroup
// is never without a filter while it is being replaced.
Result<void> replace_device_filter(const std::string& dir, const std::vector<bpf_insn>& program);

}  // namespace krill::cgroups
