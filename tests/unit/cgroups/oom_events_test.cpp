// OOM notifications: the memory.events parsing and the v2 watch (inotify works on any file, so a
// plain directory stands in for the cgroup). The v1 eventfd registration needs the kernel's
// cgroup.event_control; the integration test `Cgroups.EventsReportOomKills` covers it.
#include "runtime/cgroups/oom_events.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <fstream>

#include "base/file_io.h"

namespace krill::cgroups {
namespace {

TEST(OomKillCount, ReadsTheOomKillLine) {
  EXPECT_EQ(oom_kill_count("low 0\nhigh 0\nmax 3\noom 2\noom_kill 5\noom_group_kill 0\n"), 5u);
  EXPECT_EQ(oom_kill_count("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n"), 1u);
  EXPECT_EQ(oom_kill_count("oom_kill_disable 0\nunder_oom 0\n"), 0u);
  EXPECT_EQ(oom_kill_count(""), 0u);
}

bool readable(int fd) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, 2000) == 1;
}

void rewrite(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);  // in place: IN_MODIFY on the watched file
  out << text;
}

TEST(OomWatchV2, CountsNewKillsOnlyAndEndsWithTheCgroup) {
  char templ[] = "/tmp/krill-oom-XXXXXX";
  ASSERT_NE(::mkdtemp(templ), nullptr);
  const std::string dir = templ;
  const std::string events = dir + "/memory.events";
  rewrite(events, "oom 1\noom_kill 1\n");  // kills before the watch do not count
  auto watch = OomWatch::open(dir, true);
  ASSERT_TRUE(watch) << watch.error().message();
  rewrite(events, "oom 3\noom_kill 3\n");
  ASSERT_TRUE(readable(watch->fd()));
  auto fresh = watch->collect();
  ASSERT_TRUE(fresh) << fresh.error().message();
  EXPECT_EQ(*fresh, 2u);
  EXPECT_FALSE(watch->ended());
  rewrite(events, "oom 3\noom_kill 3\n");  // touched without a new kill
  ASSERT_TRUE(readable(watch->fd()));
  EXPECT_EQ(watch->collect().value_or(99), 0u);
  ::unlink(events.c_str());
  ASSERT_TRUE(readable(watch->fd()));
  EXPECT_EQ(watch->collect().value_or(99), 0u);
  EXPECT_TRUE(watch->ended());
  ASSERT_TRUE(remove_all(dir));
}

TEST(OomWatchV1, NeedsTheCgroupFiles) {
  auto watch = OomWatch::open("/nonexistent-krill-cgroup", false);
  ASSERT_FALSE(watch);
  EXPECT_NE(watch.error().message().find("/nonexistent-krill-cgroup/memory.oom_control"),
            std::string::npos)
      << watch.error().message();
}

}  // namespace
}  // namespace krill::cgroups
