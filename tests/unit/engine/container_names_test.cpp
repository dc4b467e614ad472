// Container ids, generated names and the boot id.
#include <gtest/gtest.h>

#include <set>

#include "engine/container_store.h"

namespace krill::engine {
namespace {

TEST(ContainerNames, IdsAre64LowerHexAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string id = new_container_id();
    ASSERT_EQ(id.size(), 64u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(ContainerNames, GeneratedNamesAreAdjectiveUnderscoreSurname) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string name = new_container_name(nullptr);
    auto underscore = name.find('_');
    ASSERT_NE(underscore, std::string::npos) << name;
    EXPECT_GT(underscore, 0u);
    EXPECT_LT(underscore + 1, name.size());
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789"), std::string::npos)
        << name;
    seen.insert(name);
  }
  EXPECT_GT(seen.size(), 100u);  // ~2800 combinations
}

TEST(ContainerNames, TakenNamesAreAvoided) {
  std::set<std::string> taken;
  for (int i = 0; i < 300; ++i) {
    std::string name =
        new_container_name([&](const std::string& candidate) { return taken.contains(candidate); });
    EXPECT_FALSE(taken.contains(name));
    taken.insert(name);
  }
  // Everything without a digit taken: the generator still finds a name.
  std::string name = new_container_name([](const std::string& candidate) {
    return candidate.find_first_of("0123456789") == std::string::npos;
  });
  EXPECT_NE(name.find_first_of("0123456789"), std::string::npos);
}

TEST(ContainerNames, BootIdIsTheKernels) {
  std::string boot_id = current_boot_id();
  EXPECT_EQ(boot_id.size(), 36u) << boot_id;
  EXPECT_EQ(boot_id, current_boot_id());
}

}  // namespace
}  // namespace krill::engine
