// Capabilities and no_new_privs; everything that changes credentials runs in a forked child.
#include "runtime/security/capabilities.h"

#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "child_process.h"

namespace krill::security {
namespace {

using test_support::run_in_child;
using test_support::status_mask;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr uint64_t bit(int cap) { return uint64_t{1} << cap; }

int kernel_last_cap() {
  std::ifstream file("/proc/sys/kernel/cap_last_cap");
  int last = -1;
  file >> last;
  return last;
}

std::string read_self_status() {
  std::ifstream file("/proc/self/status");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

bool is_root_with_setpcap() {
  return geteuid() == 0 && prctl(PR_CAPBSET_READ, CAP_SETPCAP) == 1 &&
         (status_mask(read_self_status(), "CapEff") & bit(CAP_SETPCAP)) != 0;
}

TEST(CapabilityNames, FromName) {
  EXPECT_EQ(capability_from_name("CAP_SYS_ADMIN").value_or(-1), 21);
  EXPECT_EQ(capability_from_name("CAP_CHOWN").value_or(-1), 0);
  EXPECT_EQ(capability_from_name("CAP_NET_BIND_SERVICE").value_or(-1), 10);
  EXPECT_EQ(capability_from_name("CAP_AUDIT_READ").value_or(-1), 37);
  for (const char* bad : {"CAP_UNKNOWN", "cap_sys_admin", "SYS_ADMIN", "21", "CAP_", "",
                          "CAP_SYS_ADMIN ", "CAP_21"}) {
    auto result = capability_from_name(bad);
    ASSERT_FALSE(result.has_value()) << bad;
    EXPECT_THAT(result.error().message(), HasSubstr("\"" + std::string(bad) + "\"")) << bad;
  }
}

TEST(CapabilityNames, KnownNamesFollowTheKernel) {
  auto names = known_capability_names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "CAP_CHOWN");
  EXPECT_THAT(names, Contains("CAP_SYS_ADMIN"));
  EXPECT_LE(static_cast<int>(names.size()), kernel_last_cap() + 1);
  for (size_t i = 0; i < names.size(); ++i) {
    auto cap = capability_from_name(names[i]);
    ASSERT_TRUE(cap.has_value()) << names[i];
    EXPECT_EQ(*cap, static_cast<int>(i)) << names[i];  // numeric order, no gaps
  }
}

TEST(CapabilityWarnings, UnknownAndUngrantableCapsAreWarnings) {
  oci::Capabilities caps;
  caps.bounding = {"CAP_CHOWN", "CAP_UNKNOWN"};
  caps.permitted = {"CAP_NET_BIND_SERVICE"};
  caps.ambient = {"CAP_NET_BIND_SERVICE"};  // not inheritable
  auto warnings = capability_warnings(caps);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_THAT(warnings[0], HasSubstr("CAP_UNKNOWN"));
  EXPECT_THAT(warnings[0], HasSubstr("bounding"));
  EXPECT_THAT(warnings[1], HasSubstr("ambient"));
  EXPECT_THAT(warnings[1], HasSubstr("CAP_NET_BIND_SERVICE"));
  caps.inheritable = {"CAP_NET_BIND_SERVICE"};
  caps.bounding = {"CAP_CHOWN"};
  EXPECT_TRUE(capability_warnings(caps).empty());
}

struct Sets {
  uint64_t eff, prm, inh, bnd, amb;
};

// In a child: prepare, switch to uid/gid, apply; then reports /proc/self/status and warnings.
test_support::ChildResult run_capability_sequence(const oci::Capabilities& caps, uid_t uid) {
  return run_in_child([&](int out) {
    std::vector<std::string> warnings;
    auto prepared = prepare_capabilities(caps, &warnings);
    if (!prepared) {
      test_support::write_all(out, prepared.error().message());
      return 10;
    }
    if (setgroups(0, nullptr) != 0 || setresgid(uid, uid, uid) != 0 ||
        setresuid(uid, uid, uid) != 0)
      return 11;
    auto applied = apply_capabilities(caps, &warnings);
    if (!applied) {
      test_support::write_all(out, applied.error().message());
      return 12;
    }
    if (prctl(PR_GET_KEEPCAPS) != 0) return 13;
    std::string report = read_self_status();
    for (const auto& w : warnings) report += "Warning: " + w + "\n";
    test_support::write_all(out, report);
    return 0;
  });
}

Sets sets_of(const std::string& status) {
  return {status_mask(status, "CapEff"), status_mask(status, "CapPrm"),
          status_mask(status, "CapInh"), status_mask(status, "CapBnd"),
          status_mask(status, "CapAmb")};
}

TEST(Capabilities, NonRootUserGetsExactlyTheRequestedSets) {
  if (!is_root_with_setpcap()) GTEST_SKIP() << "needs root with CAP_SETPCAP";
  oci::Capabilities caps;
  caps.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"};
  caps.permitted = {"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  caps.effective = {"CAP_CHOWN", "CAP_KILL"};
  caps.inheritable = {"CAP_NET_BIND_SERVICE"};
  caps.ambient = {"CAP_NET_BIND_SERVICE"};
  auto child = run_capability_sequence(caps, 1000);
  ASSERT_TRUE(child.exited_with(0)) << child.describe();
  Sets sets = sets_of(child.output);
  EXPECT_EQ(sets.bnd,
            bit(CAP_CHOWN) | bit(CAP_KILL) | bit(CAP_NET_BIND_SERVICE) | bit(CAP_NET_RAW));
  EXPECT_EQ(sets.prm, bit(CAP_CHOWN) | bit(CAP_KILL) | bit(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(sets.eff, bit(CAP_CHOWN) | bit(CAP_KILL));
  EXPECT_EQ(sets.inh, bit(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(sets.amb, bit(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(test_support::status_field(child.output, "Uid"), "1000\t1000\t1000\t1000");
  EXPECT_THAT(child.output, ::testing::Not(HasSubstr("Warning:")));
}

TEST(Capabilities, AbsentSetsMeanEmptySets) {
  if (!is_root_with_setpcap()) GTEST_SKIP() << "needs root with CAP_SETPCAP";
  auto child = run_capability_sequence(oci::Capabilities{}, 1000);
  ASSERT_TRUE(child.exited_with(0)) << child.describe();
  Sets sets = sets_of(child.output);
  EXPECT_EQ(sets.bnd, 0u);
  EXPECT_EQ(sets.prm, 0u);
  EXPECT_EQ(sets.eff, 0u);
  EXPECT_EQ(sets.inh, 0u);
  EXPECT_EQ(sets.amb, 0u);
}

TEST(Capabilities, RootKeepsOnlyTheRequestedSets) {
  if (!is_root_with_setpcap()) GTEST_SKIP() << "needs root with CAP_SETPCAP";
  oci::Capabilities caps;
  caps.bounding = {"CAP_SYS_ADMIN"};
  caps.permitted = {"CAP_SYS_ADMIN", "CAP_KILL"};
  caps.effective = {"CAP_SYS_ADMIN"};
  auto child = run_capability_sequence(caps, 0);
  ASSERT_TRUE(child.exited_with(0)) << child.describe();
  Sets sets = sets_of(child.output);
  EXPECT_EQ(sets.bnd, bit(CAP_SYS_ADMIN));
  EXPECT_EQ(sets.prm, bit(CAP_SYS_ADMIN) | bit(CAP_KILL));
  EXPECT_EQ(sets.eff, bit(CAP_SYS_ADMIN));
  EXPECT_EQ(sets.inh, 0u);
  EXPECT_EQ(sets.amb, 0u);
}

TEST(Capabilities, UngrantableCapsAreSkippedWithWarnings) {
  if (!is_root_with_setpcap()) GTEST_SKIP() << "needs root with CAP_SETPCAP";
  oci::Capabilities caps;
  caps.bounding = {"CAP_CHOWN", "CAP_KILL", "CAP_MADE_UP"};
  caps.permitted = {"CAP_CHOWN", "CAP_KILL"};
  caps.effective = {"CAP_CHOWN", "CAP_SETUID"};      // CAP_SETUID is not permitted
  caps.inheritable = {"CAP_KILL", "CAP_SYS_ADMIN"};  // CAP_SYS_ADMIN left the bounding set
  caps.ambient = {"CAP_CHOWN", "CAP_KILL"};          // CAP_CHOWN is not inheritable
  auto child = run_capability_sequence(caps, 1000);
  ASSERT_TRUE(child.exited_with(0)) << child.describe();
  Sets sets = sets_of(child.output);
  EXPECT_EQ(sets.bnd, bit(CAP_CHOWN) | bit(CAP_KILL));
  EXPECT_EQ(sets.prm, bit(CAP_CHOWN) | bit(CAP_KILL));
  EXPECT_EQ(sets.eff, bit(CAP_CHOWN));
  EXPECT_EQ(sets.inh, bit(CAP_KILL));
  EXPECT_EQ(sets.amb, bit(CAP_KILL));
  EXPECT_THAT(child.output, HasSubstr("Warning: ignoring unknown capability CAP_MADE_UP"));
  EXPECT_THAT(child.output, HasSubstr("effective (not in the permitted set): CAP_SETUID"));
  EXPECT_THAT(child.output, HasSubstr("inheritable (not in the bounding or permitted set): "
                                      "CAP_SYS_ADMIN"));
  EXPECT_THAT(child.output, HasSubstr("ambient (an ambient capability must also be permitted "
                                      "and inheritable): CAP_CHOWN"));
}

TEST(Capabilities, WarningsAreOptional) {
  if (!is_root_with_setpcap()) GTEST_SKIP() << "needs root with CAP_SETPCAP";
  auto child = run_in_child([](int) {
    oci::Capabilities caps;
    caps.bounding = {"CAP_NOPE"};
    caps.ambient = {"CAP_CHOWN"};
    if (!prepare_capabilities(caps)) return 10;
    if (!apply_capabilities(caps)) return 11;
    return 0;
  });
  EXPECT_TRUE(child.exited_with(0)) << child.describe();
}

TEST(NoNewPrivileges, SetsTheFlag) {
  auto child = run_in_child([](int out) {
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0) return 10;
    auto result = set_no_new_privileges();
    if (!result) {
      test_support::write_all(out, result.error().message());
      return 11;
    }
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1) return 12;
    test_support::write_all(out, read_self_status());
    return 0;
  });
  ASSERT_TRUE(child.exited_with(0)) << child.describe();
  EXPECT_EQ(test_support::status_field(child.output, "NoNewPrivs"), "1");
  EXPECT_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);  // the test runner is untouched
}

}  // namespace
}  // namespace krill::security
