// process.scheduler, process.ioPriority and CPU affinity (execCPUAffinity): how the kernel
// schedules the container process.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "oci/spec.h"

namespace krill::process {

// "SCHED_BATCH" -> SCHED_BATCH. SCHED_ISO is in the spec but not in Linux: an error.
Result<int> scheduler_policy_from_name(std::string_view name);
// "SCHED_FLAG_RESET_ON_FORK" -> SCHED_FLAG_RESET_ON_FORK (a sched_attr.sched_flags bit).
Result<uint64_t> scheduler_flag_from_name(std::string_view name);

// sched_setattr(2) on the calling process: policy, nice, priority, flags and the deadline
// runtime/deadline/period (absent values are 0). Checks nice in -20..19 and priority 1..99 for
// SCHED_FIFO/SCHED_RR (0 otherwise) first. Errors name the settings:
//   "sched_setattr policy SCHED_FIFO priority 10 nice 0: Operation not permitted".
Result<void> apply_scheduler(const oci::Scheduler& sched);

// "IOPRIO_CLASS_BE" -> IOPRIO_CLASS_BE (2).
Result<int> io_priority_class_from_name(std::string_view name);

// ioprio_set(IOPRIO_WHO_PROCESS, 0, class/priority) on the calling process; children
// inherit it. Priority must be 0..7.
Result<void> apply_io_priority(const oci::IoPriority& prio);

// sched_setaffinity(0, cpus) for a list such as "0-1,3". An empty list changes nothing.
Result<void> apply_cpu_affinity(const std::string& cpus);

}  // namespace krill::process
