#include "runtime/process/rlimits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "in_child.h"

namespace krill::process {
namespace {

using ::testing::HasSubstr;
using testing::run_in_child;

TEST(RlimitNames, MapsEveryLinuxLimit) {
  EXPECT_EQ(*rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(*rlimit_from_name("RLIMIT_CORE"), RLIMIT_CORE);
  EXPECT_EQ(*rlimit_from_name("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  EXPECT_EQ(*rlimit_from_name("RLIMIT_MSGQUEUE"), RLIMIT_MSGQUEUE);
  for (int resource = 0; resource < RLIM_NLIMITS; ++resource) {
    const char* name = rlimit_name(resource);
    ASSERT_NE(name, nullptr) << resource;
    EXPECT_EQ(*rlimit_from_name(name), resource) << name;
  }
}

TEST(RlimitNames, RejectsUnknownNames) {
  auto result = rlimit_from_name("RLIMIT_FOO");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "unknown rlimit type \"RLIMIT_FOO\"");
  EXPECT_FALSE(rlimit_from_name("nofile"));
  EXPECT_FALSE(rlimit_from_name(""));
}

TEST(ApplyRlimits, SetsLimitsReadBackWithGetrlimit) {
  EXPECT_EQ(run_in_child([] {
              auto result = apply_rlimits({{"RLIMIT_NOFILE", 512, 1024},
                                           {"RLIMIT_CORE", 0, RLIM_INFINITY},
                                           {"RLIMIT_MSGQUEUE", 4096, 8192}});
              if (!result) return result.error().message();
              struct rlimit nofile {
              }, core{}, msgqueue{};
              ::getrlimit(RLIMIT_NOFILE, &nofile);
              ::getrlimit(RLIMIT_CORE, &core);
              ::getrlimit(RLIMIT_MSGQUEUE, &msgqueue);
              if (nofile.rlim_cur != 512 || nofile.rlim_max != 1024) return std::string("nofile");
              if (core.rlim_cur != 0 || core.rlim_max != RLIM_INFINITY) return std::string("core");
              if (msgqueue.rlim_cur != 4096 || msgqueue.rlim_max != 8192)
                return std::string("msgqueue");
              return std::string();
            }),
            "");
}

TEST(ApplyRlimits, RaisingAboveTheHardLimitSaysWhy) {
  // This host lacks CAP_SYS_RESOURCE; with it, raising succeeds and the check is moot.
  EXPECT_EQ(run_in_child([] {
              struct rlimit low = {1024, 1024};
              if (::setrlimit(RLIMIT_NOFILE, &low) != 0) return std::string("lower failed");
              auto result = apply_rlimits({{"RLIMIT_NOFILE", 2048, 2048}});
              if (result) {
                struct rlimit now {};
                ::getrlimit(RLIMIT_NOFILE, &now);
                return now.rlim_max == 2048 ? std::string()  // privileged host
                                            : std::string("succeeded without raising");
              }
              const auto& message = result.error().message();
              std::string expected =
                  "set rlimit RLIMIT_NOFILE to 2048/2048: Operation not permitted (raising the "
                  "hard limit above the current 1024 needs CAP_SYS_RESOURCE)";
              if (message != expected) return "got: " + message;
              if (result.error().errno_value() != EPERM) return std::string("errno not EPERM");
              return std::string();
            }),
            "");
}

TEST(ApplyRlimits, SoftAboveHardIsExplained) {
  EXPECT_EQ(run_in_child([] {
              auto result = apply_rlimits({{"RLIMIT_NOFILE", 200, 100}});
              if (result) return std::string("accepted soft > hard");
              return result.error().message() ==
                             "set rlimit RLIMIT_NOFILE to 200/100: Invalid argument (the soft "
                             "limit is above the hard limit)"
                         ? std::string()
                         : "got: " + result.error().message();
            }),
            "");
}

TEST(ApplyRlimits, RejectsUnknownAndDuplicateTypesBeforeChangingAnything) {
  auto unknown = apply_rlimits({{"RLIMIT_NOFILE", 1, 1}, {"RLIMIT_BOGUS", 1, 1}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(), "unknown rlimit type \"RLIMIT_BOGUS\"");

  auto duplicate = apply_rlimits({{"RLIMIT_CORE", 0, 0}, {"RLIMIT_CORE", 1, 1}});
  ASSERT_FALSE(duplicate);
  EXPECT_THAT(duplicate.error().message(), HasSubstr("duplicate rlimit type \"RLIMIT_CORE\""));

  EXPECT_TRUE(apply_rlimits({}));
}

}  // namespace
}  // namespace krill::process
