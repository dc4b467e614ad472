#include "runtime/process/personality.h"

#include <gtest/gtest.h>
#include <sys/personality.h>
#include <sys/utsname.h>

#include "in_child.h"

namespace krill::process {
namespace {

using testing::run_in_child;

TEST(PersonalityNames, Domains) {
  EXPECT_EQ(*personality_domain_from_name("LINUX"), static_cast<unsigned long>(PER_LINUX));
  EXPECT_EQ(*personality_domain_from_name("LINUX32"), static_cast<unsigned long>(PER_LINUX32));
  EXPECT_EQ(personality_domain_from_name("linux").error().message(),
            "unknown personality domain \"linux\"");
}

TEST(ApplyPersonality, Linux32ShowsA32BitMachine) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "i686 is what x86_64 reports under LINUX32";
#endif
  EXPECT_EQ(run_in_child([] {
              if (auto r = apply_personality({"LINUX32", {}}); !r) return r.error().message();
              if ((::personality(0xffffffff) & PER_MASK) != PER_LINUX32)
                return std::string("persona");
              struct utsname name {};
              ::uname(&name);
              return std::string(name.machine) == "i686" ? std::string()
                                                         : "machine " + std::string(name.machine);
            }),
            "");
}

TEST(ApplyPersonality, LinuxKeeps64Bit) {
  EXPECT_EQ(run_in_child([] {
              if (auto r = apply_personality({"LINUX32", {}}); !r) return r.error().message();
              if (auto r = apply_personality({"LINUX", {}}); !r) return r.error().message();
              struct utsname name {};
              ::uname(&name);
              return std::string(name.machine) != "i686" ? std::string() : std::string("i686");
            }),
            "");
}

TEST(ApplyPersonality, RejectsFlags) {
  EXPECT_EQ(apply_personality({"LINUX", {"ADDR_NO_RANDOMIZE"}}).error().message(),
            "personality flag \"ADDR_NO_RANDOMIZE\" is not supported");
  EXPECT_FALSE(apply_personality({"LINUX64", {}}));
}

}  // namespace
}  // namespace krill::process
