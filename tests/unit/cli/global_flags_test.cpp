#include "cli/runtime/global_flags.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse_helpers.h"

namespace krill::cli {
namespace {

using testing::parse;

TEST(GlobalFlags, DefaultsLikeRunc) {
  CLI::App app;
  GlobalFlags flags;
  add_global_flags(app, flags);
  parse(app, {});
  auto options = to_global_options(flags).value();
  EXPECT_EQ(options.root, "");
  EXPECT_EQ(options.log_file, "");
  EXPECT_EQ(options.log_format, "text");
  EXPECT_FALSE(options.debug);
  EXPECT_FALSE(options.systemd_cgroup);
}

TEST(GlobalFlags, ParsesEveryFlag) {
  CLI::App app;
  GlobalFlags flags;
  add_global_flags(app, flags);
  parse(app, {"--root", "/run/k", "--log", "/tmp/l.json", "--log-format=json", "--debug",
              "--systemd-cgroup", "--rootless", "true", "--criu", "/usr/sbin/criu"});
  auto options = to_global_options(flags).value();
  EXPECT_EQ(options.root, "/run/k");
  EXPECT_EQ(options.log_file, "/tmp/l.json");
  EXPECT_EQ(options.log_format, "json");
  EXPECT_TRUE(options.debug);
  EXPECT_TRUE(options.systemd_cgroup);
  EXPECT_EQ(flags.rootless, "true");
  EXPECT_EQ(flags.criu, "/usr/sbin/criu");
}

TEST(GlobalFlags, RejectsBadValues) {
  GlobalFlags flags;
  flags.log_format = "xml";
  EXPECT_EQ(to_global_options(flags).error().message(), "invalid log-format: xml");
  flags.log_format = "text";
  flags.rootless = "maybe";
  EXPECT_FALSE(to_global_options(flags));
  for (const char* value : {"auto", "true", "false"}) {
    flags.rootless = value;
    EXPECT_TRUE(to_global_options(flags)) << value;
  }
}

TEST(SystemdCheck, PassesWhenTheMarkerDirectoryExists) {
  char dir[] = "/tmp/krill-cli-systemd-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  EXPECT_TRUE(check_systemd_running(dir));
  ::rmdir(dir);
}

TEST(SystemdCheck, FailsWithRuncsMessageWhenAbsent) {
  auto result = check_systemd_running("/nonexistent/run/systemd/system");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(),
            "systemd cgroup driver requested but systemd is not running (no "
            "/nonexistent/run/systemd/system)");
  EXPECT_EQ(std::string(kSystemdRunningMarker), "/run/systemd/system");
}

TEST(Version, NamesTheProgramAndTheSpec) {
  std::string text = version_text();
  EXPECT_EQ(text.rfind("krill-runtime version ", 0), 0u);
  EXPECT_NE(text.find("\nspec: 1.3.0\n"), std::string::npos);
  EXPECT_NE(text.find("libseccomp: "), std::string::npos);
}

}  // namespace
}  // namespace krill::cli
