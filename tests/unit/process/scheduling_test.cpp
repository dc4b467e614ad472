#include "runtime/process/scheduling.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "in_child.h"

namespace krill::process {
namespace {

using ::testing::HasSubstr;
using testing::run_in_child;

TEST(SchedulerNames, PoliciesAndFlags) {
  EXPECT_EQ(*scheduler_policy_from_name("SCHED_OTHER"), SCHED_OTHER);
  EXPECT_EQ(*scheduler_policy_from_name("SCHED_FIFO"), SCHED_FIFO);
  EXPECT_EQ(*scheduler_policy_from_name("SCHED_RR"), SCHED_RR);
  EXPECT_EQ(*scheduler_policy_from_name("SCHED_BATCH"), SCHED_BATCH);
  EXPECT_EQ(*scheduler_policy_from_name("SCHED_IDLE"), SCHED_IDLE);
  EXPECT_EQ(*scheduler_policy_from_name("SCHED_DEADLINE"), 6);
  EXPECT_EQ(scheduler_policy_from_name("SCHED_ISO").error().message(),
            "scheduler policy SCHED_ISO is not supported by Linux");
  EXPECT_EQ(scheduler_policy_from_name("sched_other").error().message(),
            "unknown scheduler policy \"sched_other\"");
  EXPECT_EQ(*scheduler_flag_from_name("SCHED_FLAG_RESET_ON_FORK"), 0x01u);
  EXPECT_EQ(*scheduler_flag_from_name("SCHED_FLAG_UTIL_CLAMP_MAX"), 0x40u);
  EXPECT_EQ(scheduler_flag_from_name("SCHED_FLAG_X").error().message(),
            "unknown scheduler flag \"SCHED_FLAG_X\"");
}

TEST(ApplyScheduler, OtherWithNice) {
  EXPECT_EQ(run_in_child([] {
              oci::Scheduler sched;
              sched.policy = "SCHED_OTHER";
              sched.nice = 5;
              if (auto r = apply_scheduler(sched); !r) return r.error().message();
              if (::sched_getscheduler(0) != SCHED_OTHER) return std::string("policy");
              errno = 0;
              int nice = ::getpriority(PRIO_PROCESS, 0);
              return nice == 5 ? std::string() : "nice " + std::to_string(nice);
            }),
            "");
}

TEST(ApplyScheduler, BatchWithResetOnFork) {
  EXPECT_EQ(run_in_child([] {
              oci::Scheduler sched;
              sched.policy = "SCHED_BATCH";
              sched.nice = 3;
              if (auto r = apply_scheduler(sched); !r) return r.error().message();
              if (::sched_getscheduler(0) != SCHED_BATCH) return std::string("not batch");
              if (::getpriority(PRIO_PROCESS, 0) != 3) return std::string("nice");
              sched.flags = {"SCHED_FLAG_RESET_ON_FORK"};
              if (auto r = apply_scheduler(sched); !r) return r.error().message();
              if (::sched_getscheduler(0) != (SCHED_BATCH | SCHED_RESET_ON_FORK))
                return std::string("no reset-on-fork");
              return std::string();
            }),
            "");
}

TEST(ApplyScheduler, IdlePolicy) {
  EXPECT_EQ(run_in_child([] {
              oci::Scheduler sched;
              sched.policy = "SCHED_IDLE";
              if (auto r = apply_scheduler(sched); !r) return r.error().message();
              return ::sched_getscheduler(0) == SCHED_IDLE ? std::string() : std::string("policy");
            }),
            "");
}

TEST(ApplyScheduler, ValidatesBeforeTheSyscall) {
  oci::Scheduler sched;
  sched.policy = "SCHED_OTHER";
  sched.nice = 20;
  EXPECT_EQ(apply_scheduler(sched).error().message(), "scheduler nice 20 is out of range -20..19");
  sched.nice = 0;
  sched.priority = 5;
  EXPECT_EQ(apply_scheduler(sched).error().message(),
            "scheduler priority 5 needs SCHED_FIFO or SCHED_RR, not SCHED_OTHER");
  sched.policy = "SCHED_FIFO";
  sched.priority = 0;
  EXPECT_EQ(apply_scheduler(sched).error().message(),
            "scheduler priority 0 for SCHED_FIFO is out of range 1..99");
  sched.policy = "SCHED_RR";
  sched.priority = 100;
  EXPECT_THAT(apply_scheduler(sched).error().message(), HasSubstr("out of range 1..99"));
  sched.policy = "SCHED_BATCH";
  sched.priority.reset();
  sched.flags = {"SCHED_FLAG_BOGUS"};
  EXPECT_EQ(apply_scheduler(sched).error().message(),
            "unknown scheduler flag \"SCHED_FLAG_BOGUS\"");
  sched.policy = "";
  EXPECT_EQ(apply_scheduler(sched).error().message(), "unknown scheduler policy \"\"");
}

TEST(ApplyScheduler, KernelRejectionNamesTheSettings) {
  EXPECT_EQ(run_in_child([] {
              // Deadline parameters the kernel refuses: runtime > deadline.
              oci::Scheduler sched;
              sched.policy = "SCHED_DEADLINE";
              sched.runtime = 20'000'000;
              sched.deadline = 10'000'000;
              sched.period = 30'000'000;
              auto r = apply_scheduler(sched);
              if (r) return std::string("accepted runtime > deadline");
              if (r.error().message() !=
                  "sched_setattr policy SCHED_DEADLINE nice 0 runtime 20000000 deadline 10000000 "
                  "period 30000000: Invalid argument")
                return "got: " + r.error().message();
              return std::string();
            }),
            "");
}

TEST(IoPriorityNames, Classes) {
  EXPECT_EQ(*io_priority_class_from_name("IOPRIO_CLASS_RT"), 1);
  EXPECT_EQ(*io_priority_class_from_name("IOPRIO_CLASS_BE"), 2);
  EXPECT_EQ(*io_priority_class_from_name("IOPRIO_CLASS_IDLE"), 3);
  EXPECT_EQ(io_priority_class_from_name("IOPRIO_CLASS_NONE").error().message(),
            "unknown I/O priority class \"IOPRIO_CLASS_NONE\"");
}

int current_ioprio() { return static_cast<int>(::syscall(SYS_ioprio_get, 1, 0)); }

TEST(ApplyIoPriority, BestEffortAndIdleReadBack) {
  EXPECT_EQ(run_in_child([] {
              if (auto r = apply_io_priority({"IOPRIO_CLASS_BE", 6}); !r)
                return r.error().message();
              if (current_ioprio() != ((2 << 13) | 6))
                return "ioprio " + std::to_string(current_ioprio());
              if (auto r = apply_io_priority({"IOPRIO_CLASS_IDLE", 0}); !r)
                return r.error().message();
              if ((current_ioprio() >> 13) != 3) return std::string("not idle");
              return std::string();
            }),
            "");
}

TEST(ApplyIoPriority, RejectsOutOfRangePriorities) {
  EXPECT_EQ(apply_io_priority({"IOPRIO_CLASS_BE", 8}).error().message(),
            "I/O priority 8 for IOPRIO_CLASS_BE is out of range 0..7");
  EXPECT_FALSE(apply_io_priority({"IOPRIO_CLASS_RT", -1}));
  EXPECT_FALSE(apply_io_priority({"BE", 1}));
}

TEST(ApplyCpuAffinity, PinsToCpuZero) {
  cpu_set_t allowed;
  ASSERT_EQ(::sched_getaffinity(0, sizeof(allowed), &allowed), 0);
  if (!CPU_ISSET(0, &allowed)) GTEST_SKIP() << "cpu 0 is not available to this process";
  EXPECT_EQ(run_in_child([] {
              if (auto r = apply_cpu_affinity("0"); !r) return r.error().message();
              cpu_set_t set;
              ::sched_getaffinity(0, sizeof(set), &set);
              if (CPU_COUNT(&set) != 1 || !CPU_ISSET(0, &set)) return std::string("affinity");
              return std::string();
            }),
            "");
}

TEST(ApplyCpuAffinity, EmptyChangesNothingAndBadListsFail) {
  EXPECT_TRUE(apply_cpu_affinity(""));
  EXPECT_EQ(apply_cpu_affinity("0-").error().message(),
            "set cpu affinity: invalid cpu list \"0-\": \"0-\": not a number or range");
  EXPECT_EQ(apply_cpu_affinity("1024").error().message(),
            "set cpu affinity: invalid cpu list \"1024\": \"1024\": id out of range (max 1023)");
  EXPECT_EQ(run_in_child([] {
              // CPUs that do not exist: the kernel answers EINVAL.
              auto r = apply_cpu_affinity("1000-1001");
              if (r) return std::string("accepted missing cpus");
              return r.error().message() == "set cpu affinity to \"1000-1001\": Invalid argument"
                         ? std::string()
                         : "got: " + r.error().message();
            }),
            "");
}

}  // namespace
}  // namespace krill::process
