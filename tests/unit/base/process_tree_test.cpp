#include "base/process_tree.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

namespace krill {
namespace {

// A child that forks a grandchild; both wait to be killed. The grandchild's pid comes back
// through a pipe.
struct TwoGenerations {
  pid_t child = -1;
  pid_t grandchild = -1;
};

TwoGenerations spawn_two_generations() {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  TwoGenerations made;
  made.child = ::fork();
  if (made.child == 0) {
    ::close(fds[0]);
    pid_t grandchild = ::fork();
    if (grandchild == 0) {
      ::pause();
      ::_exit(0);
    }
    (void)!::write(fds[1], &grandchild, sizeof grandchild);
    ::pause();
    ::_exit(0);
  }
  ::close(fds[1]);
  if (made.child > 0 && ::read(fds[0], &made.grandchild, sizeof made.grandchild) !=
                            static_cast<ssize_t>(sizeof made.grandchild))
    made.grandchild = -1;
  ::close(fds[0]);
  return made;
}

TEST(ProcessTree, HoldsTheRootAndItsDescendantsParentsFirst) {
  TwoGenerations tree = spawn_two_generations();
  ASSERT_GT(tree.child, 0);
  ASSERT_GT(tree.grandchild, 0);
  std::vector<pid_t> found = process_tree(tree.child);
  ::kill(tree.grandchild, SIGKILL);
  ::kill(tree.child, SIGKILL);
  ::waitpid(tree.child, nullptr, 0);
  EXPECT_EQ(found, (std::vector<pid_t>{tree.child, tree.grandchild}));
  std::vector<pid_t> ours = process_tree(::getpid());
  ASSERT_FALSE(ours.empty());
  EXPECT_EQ(ours.front(), ::getpid());
}

TEST(ProcessTree, EmptyForAProcessThatIsGone) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(process_tree(child).empty());
  EXPECT_TRUE(process_tree(0).empty());
}

}  // namespace
}  // namespace krill
