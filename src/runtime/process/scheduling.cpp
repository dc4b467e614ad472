#include "runtime/process/scheduling.h"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "runtime/process/cpu_list.h"

namespace krill::process {
namespace {

// The kernel ABI (include/uapi/linux/sched/types.h, SCHED_ATTR_SIZE_VER0); glibc < 2.41 has
// no wrapper, and the utilization-clamp fields are not needed.
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};
static_assert(sizeof(SchedAttr) == 48);

constexpr int kSchedDeadline = 6;  // SCHED_DEADLINE; not in every glibc's <sched.h>

struct NamedValue {
  const char* name;
  uint64_t value;
};

constexpr NamedValue kPolicies[] = {
    {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
    {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_IDLE", SCHED_IDLE}, {"SCHED_DEADLINE", kSchedDeadline},
};

// Values from include/uapi/linux/sched.h.
constexpr NamedValue kSchedFlags[] = {
    {"SCHED_FLAG_RESET_ON_FORK", 0x01},  {"SCHED_FLAG_RECLAIM", 0x02},
    {"SCHED_FLAG_DL_OVERRUN", 0x04},     {"SCHED_FLAG_KEEP_POLICY", 0x08},
    {"SCHED_FLAG_KEEP_PARAMS", 0x10},    {"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40},
};

// include/uapi/linux/ioprio.h
constexpr NamedValue kIoClasses[] = {
    {"IOPRIO_CLASS_RT", 1},
    {"IOPRIO_CLASS_BE", 2},
    {"IOPRIO_CLASS_IDLE", 3},
};
constexpr int kIoprioClassShift = 13;
constexpr int kIoprioWhoProcess = 1;

}  // namespace

Result<int> scheduler_policy_from_name(std::string_view name) {
  for (const auto& entry : kPolicies)
    if (name == entry.name) return static_cast<int>(entry.value);
  if (name == "SCHED_ISO") return fail("scheduler policy SCHED_ISO is not supported by Linux");
  return fail("unknown scheduler policy \"" + std::string(name) + "\"");
}

Result<uint64_t> scheduler_flag_from_name(std::string_view name) {
  for (const auto& entry : kSchedFlags)
    if (name == entry.name) return entry.value;
  return fail("unknown scheduler flag \"" + std::string(name) + "\"");
}

Result<void> apply_scheduler(const oci::Scheduler& sched) {
  int policy = KRILL_TRY(scheduler_policy_from_name(sched.policy));
  SchedAttr attr{};
  attr.size = sizeof(attr);
  attr.sched_policy = static_cast<uint32_t>(policy);
  for (const auto& flag : sched.flags)
    attr.sched_flags |= KRILL_TRY(scheduler_flag_from_name(flag));

  int32_t nice = sched.nice.value_or(0);
  int32_t priority = sched.priority.value_or(0);
  if (nice < -20 || nice > 19)
    return fail("scheduler nice " + std::to_string(nice) + " is out of range -20..19");
  bool realtime = policy == SCHED_FIFO || policy == SCHED_RR;
  if (realtime && (priority < 1 || priority > 99))
    return fail("scheduler priority " + std::to_string(priority) + " for " + sched.policy +
                " is out of range 1..99");
  if (!realtime && priority != 0)
    return fail("scheduler priority " + std::to_string(priority) +
                " needs SCHED_FIFO or SCHED_RR, not " + sched.policy);
  attr.sched_nice = nice;
  attr.sched_priority = static_cast<uint32_t>(priority);
  attr.sched_runtime = sched.runtime.value_or(0);
  attr.sched_deadline = sched.deadline.value_or(0);
  attr.sched_period = sched.period.value_or(0);

  if (::syscall(SYS_sched_setattr, 0, &attr, 0) != 0) {
    std::string what = "sched_setattr policy " + sched.policy;
    if (realtime) what += " priority " + std::to_string(priority);
    what += " nice " + std::to_string(nice);
    if (policy == kSchedDeadline)
      what += " runtime " + std::to_string(attr.sched_runtime) + " deadline " +
              std::to_string(attr.sched_deadline) + " period " + std::to_string(attr.sched_period);
    return fail_errno(what);
  }
  return {};
}

Result<int> io_priority_class_from_name(std::string_view name) {
  for (const auto& entry : kIoClasses)
    if (name == entry.name) return static_cast<int>(entry.value);
  return fail("unknown I/O priority class \"" + std::string(name) + "\"");
}

Result<void> apply_io_priority(const oci::IoPriority& prio) {
  int io_class = KRILL_TRY(io_priority_class_from_name(prio.io_class));
  if (prio.priority < 0 || prio.priority > 7)
    return fail("I/O priority " + std::to_string(prio.priority) + " for " + prio.io_class +
                " is out of range 0..7");
  int value = (io_class << kIoprioClassShift) | prio.priority;
  if (::syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, value) != 0)
    return fail_errno("set I/O priority " + prio.io_class + " " + std::to_string(prio.priority));
  return {};
}

Result<void> apply_cpu_affinity(const std::string& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  bool any = false;
  KRILL_CHECK_CTX(for_each_in_cpu_list(cpus, CPU_SETSIZE - 1,
                                       [&](int cpu) {
                                         CPU_SET(cpu, &set);
                                         any = true;
                                       }),
                  "set cpu affinity");
  if (!any) return {};
  if (::sched_setaffinity(0, sizeof(set), &set) != 0)
    return fail_errno("set cpu affinity to \"" + cpus + "\"");
  return {};
}

}  // namespace krill::process
