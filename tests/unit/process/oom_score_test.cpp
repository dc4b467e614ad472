#include "runtime/process/oom_score.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "in_child.h"
#include "runtime/process/small_file.h"

namespace krill::process {
namespace {

using testing::run_in_child;

std::string read_oom_score_adj() {
  char buffer[16];
  auto n = read_small_file("/proc/self/oom_score_adj", buffer, sizeof(buffer));
  if (!n) return "?";
  std::string text(buffer, *n);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

TEST(SetOomScoreAdj, RaisesAndReadsBack) {
  EXPECT_EQ(run_in_child([] {
              if (auto r = set_oom_score_adj(500); !r) return r.error().message();
              if (read_oom_score_adj() != "500") return "read " + read_oom_score_adj();
              if (auto r = set_oom_score_adj(1000); !r) return r.error().message();
              return read_oom_score_adj() == "1000" ? std::string() : std::string("1000");
            }),
            "");
}

TEST(SetOomScoreAdj, LoweringWithoutCapSysResourceIsExplained) {
  EXPECT_EQ(run_in_child([] {
              if (auto r = set_oom_score_adj(800); !r) return r.error().message();
              auto r = set_oom_score_adj(-500);
              if (r) return std::string();  // a host with CAP_SYS_RESOURCE
              std::string expected =
                  "set oom_score_adj to -500: write /proc/self/oom_score_adj: Permission denied "
                  "(lowering oom_score_adj needs CAP_SYS_RESOURCE)";
              return r.error().message() == expected ? std::string()
                                                     : "got: " + r.error().message();
            }),
            "");
}

TEST(SetOomScoreAdj, RejectsOutOfRange) {
  EXPECT_EQ(set_oom_score_adj(1001).error().message(),
            "set oom_score_adj to 1001: out of range -1000..1000");
  EXPECT_FALSE(set_oom_score_adj(-1001));
}

}  // namespace
}  // namespace krill::process
