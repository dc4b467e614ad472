#include "base/process_stat.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace krill {
namespace {

// A /proc/<pid>/stat line; fields 3.. after the comm.
std::string stat_line(const std::string& comm, char state, uint64_t start) {
  std::string line = "4242 (" + comm + ") " + std::string(1, state) + " 17";
  for (int field = 5; field <= 21; ++field) line += " " + std::to_string(field * 10);
  line += " " + std::to_string(start) + " 1000 2000 3000\n";
  return line;
}

TEST(ProcessStat, ParsesPastACommWithParensAndSpaces) {
  auto stat = parse_process_stat(stat_line("a) b (c", 'S', 987654321));
  ASSERT_TRUE(stat) << stat.error().message();
  EXPECT_EQ(stat->pid, 4242);
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->parent_pid, 17);
  EXPECT_EQ(stat->start_time, 987654321u);
}

TEST(ProcessStat, ParsesAnEmptyCommAndAZombie) {
  auto stat = parse_process_stat(stat_line("", 'Z', 5));
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->state, 'Z');
  EXPECT_EQ(stat->start_time, 5u);
}

TEST(ProcessStat, RejectsTruncatedAndMalformed) {
  EXPECT_FALSE(parse_process_stat("4242 (x) S 1 2 3"));
  EXPECT_FALSE(parse_process_stat("4242 x S 1"));
  EXPECT_FALSE(parse_process_stat(""));
  std::string bad = stat_line("x", 'S', 1);
  bad.replace(bad.find(" 1 1000"), 2, " z");
  EXPECT_FALSE(parse_process_stat(bad));
}

TEST(ProcessStat, OwnProcess) {
  auto start = process_start_time(::getpid());
  ASSERT_TRUE(start) << start.error().message();
  EXPECT_GT(*start, 0u);
  EXPECT_TRUE(process_alive(::getpid(), *start));
  EXPECT_FALSE(process_alive(::getpid(), *start + 1));  // a reused pid
}

TEST(ProcessStat, ZombieAndReapedChildAreNotAlive) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(0);
  // Wait until the child is a zombie (without reaping it).
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, pid, &info, WEXITED | WNOWAIT), 0);
  auto stat = read_process_stat(pid);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->state, 'Z');
  EXPECT_FALSE(process_alive(pid, stat->start_time));
  ASSERT_EQ(::waitpid(pid, nullptr, 0), pid);
  EXPECT_FALSE(process_alive(pid, stat->start_time));
  auto gone = process_start_time(pid);
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message().find("/proc/" + std::to_string(pid) + "/stat"),
            std::string::npos);
}

}  // namespace
}  // namespace krill
