#include "runtime/rootfs/mount_options.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

namespace krill::rootfs {
namespace {

struct FlagCase {
  const char* option;
  unsigned long set;    // flags expected after parsing {option} alone
  unsigned long clear;  // flags expected cleared after parsing {"all set", option}
};

TEST(ParseMountOptions, EveryFlagOption) {
  const FlagCase cases[] = {
      {"ro", MS_RDONLY, 0},
      {"rw", 0, MS_RDONLY},
      {"nosuid", MS_NOSUID, 0},
      {"suid", 0, MS_NOSUID},
      {"nodev", MS_NODEV, 0},
      {"dev", 0, MS_NODEV},
      {"noexec", MS_NOEXEC, 0},
      {"exec", 0, MS_NOEXEC},
      {"sync", MS_SYNCHRONOUS, 0},
      {"async", 0, MS_SYNCHRONOUS},
      {"dirsync", MS_DIRSYNC, 0},
      {"remount", MS_REMOUNT, 0},
      {"mand", MS_MANDLOCK, 0},
      {"nomand", 0, MS_MANDLOCK},
      {"noatime", MS_NOATIME, 0},
      {"atime", 0, MS_NOATIME},
      {"nodiratime", MS_NODIRATIME, 0},
      {"diratime", 0, MS_NODIRATIME},
      {"relatime", MS_RELATIME, 0},
      {"norelatime", 0, MS_RELATIME},
      {"strictatime", MS_STRICTATIME, 0},
      {"nostrictatime", 0, MS_STRICTATIME},
      {"iversion", MS_I_VERSION, 0},
      {"noiversion", 0, MS_I_VERSION},
      {"lazytime", MS_LAZYTIME, 0},
      {"nolazytime", 0, MS_LAZYTIME},
      {"silent", MS_SILENT, 0},
      {"loud", 0, MS_SILENT},
      {"nosymfollow", MS_NOSYMFOLLOW, 0},
      {"symfollow", 0, MS_NOSYMFOLLOW},
      {"defaults", 0, 0},
  };
  for (const auto& c : cases) {
    auto alone = parse_mount_options({c.option});
    ASSERT_TRUE(alone) << c.option;
    EXPECT_EQ(alone->flags, c.set) << c.option;
    EXPECT_EQ(alone->data, "") << c.option;
    if (c.clear) {
      auto all = parse_mount_options({"ro", "nosuid", "nodev", "noexec", "sync", "mand", "noatime",
                                      "nodiratime", "relatime", "strictatime", "iversion",
                                      "lazytime", "silent", "nosymfollow", c.option});
      ASSERT_TRUE(all);
      EXPECT_EQ(all->flags & c.clear, 0UL) << c.option;
    }
  }
}

TEST(ParseMountOptions, PropagationLastWins) {
  struct {
    const char* option;
    unsigned long propagation;
  } const cases[] = {
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  for (const auto& c : cases) {
    auto parsed = parse_mount_options({c.option});
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->propagation, c.propagation) << c.option;
    EXPECT_EQ(parsed->flags, 0UL) << c.option;
  }
  auto both = parse_mount_options({"rshared", "rslave"});
  EXPECT_EQ(both->propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
}

TEST(ParseMountOptions, BindAndSpecials) {
  auto bind = parse_mount_options({"bind"});
  EXPECT_TRUE(bind->bind);
  EXPECT_FALSE(bind->recursive_bind);
  auto rbind = parse_mount_options({"rbind", "ro"});
  EXPECT_TRUE(rbind->bind);
  EXPECT_TRUE(rbind->recursive_bind);
  EXPECT_EQ(rbind->flags, static_cast<unsigned long>(MS_RDONLY));
  auto special = parse_mount_options({"tmpcopyup", "ridmap"});
  EXPECT_TRUE(special->tmpcopyup);
  EXPECT_TRUE(special->idmap);
  EXPECT_TRUE(special->recursive_idmap);
  EXPECT_EQ(special->data, "");
  auto idmap = parse_mount_options({"idmap"});
  EXPECT_TRUE(idmap->idmap);
  EXPECT_FALSE(idmap->recursive_idmap);
}

TEST(ParseMountOptions, RecursiveAttributes) {
  struct {
    const char* option;
    uint64_t set;
    uint64_t clr;
  } const cases[] = {
      {"rro", MOUNT_ATTR_RDONLY, 0},
      {"rrw", 0, MOUNT_ATTR_RDONLY},
      {"rnosuid", MOUNT_ATTR_NOSUID, 0},
      {"rsuid", 0, MOUNT_ATTR_NOSUID},
      {"rnodev", MOUNT_ATTR_NODEV, 0},
      {"rdev", 0, MOUNT_ATTR_NODEV},
      {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
      {"rexec", 0, MOUNT_ATTR_NOEXEC},
      {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
      {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
      {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
      {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
      {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
      {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
      {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
      {"ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
  };
  for (const auto& c : cases) {
    auto parsed = parse_mount_options({c.option});
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->attr_set, c.set) << c.option;
    EXPECT_EQ(parsed->attr_clr, c.clr) << c.option;
    EXPECT_EQ(parsed->flags, 0UL) << c.option;
    EXPECT_TRUE(parsed->has_recursive_attrs()) << c.option;
  }
  EXPECT_TRUE(parse_mount_options({"rro"})->rro());
  auto flipped = parse_mount_options({"rro", "rrw"});
  EXPECT_EQ(flipped->attr_set, 0u);
  EXPECT_EQ(flipped->attr_clr, uint64_t{MOUNT_ATTR_RDONLY});
}

TEST(ParseMountOptions, UnknownOptionsBecomeData) {
  auto parsed = parse_mount_options({"nosuid", "mode=755", "size=65536k", "strictatime", "gid=5"});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(parsed->data, "mode=755,size=65536k,gid=5");
  EXPECT_FALSE(parsed->has_recursive_attrs());
}

TEST(ParseMountOptions, EmptyOptionIsAnError) {
  auto parsed = parse_mount_options({"ro", ""});
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message().find("empty option"), std::string::npos);
}

TEST(ParsePropagation, Values) {
  EXPECT_EQ(*parse_propagation(""), 0UL);
  EXPECT_EQ(*parse_propagation("slave"), static_cast<unsigned long>(MS_SLAVE));
  EXPECT_EQ(*parse_propagation("rshared"), static_cast<unsigned long>(MS_SHARED | MS_REC));
  EXPECT_FALSE(parse_propagation("ro"));
  EXPECT_FALSE(parse_propagation("bogus"));
}

}  // namespace
}  // namespace krill::rootfs
