#include "runtime/process/sysctl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>

#include "in_child.h"
#include "runtime/process/small_file.h"

namespace krill::process {
namespace {

using ::testing::HasSubstr;
using testing::run_in_child;

TEST(SysctlPath, DottedAndSlashedNames) {
  EXPECT_EQ(*sysctl_path("kernel.msgmax"), "/proc/sys/kernel/msgmax");
  EXPECT_EQ(*sysctl_path("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
  EXPECT_EQ(*sysctl_path("kernel/shmmni"), "/proc/sys/kernel/shmmni");
  EXPECT_EQ(*sysctl_path("net/ipv4/conf/eth0.100/forwarding"),
            "/proc/sys/net/ipv4/conf/eth0.100/forwarding");
  EXPECT_EQ(*sysctl_path("net.ipv4.conf.eth0/100.forwarding"),
            "/proc/sys/net/ipv4/conf/eth0.100/forwarding");
}

TEST(SysctlPath, RejectsEscapesAndEmptyParts) {
  for (const char* name : {"", "/etc/passwd", "../../etc/passwd", "kernel/../../etc", "kernel..x",
                           ".kernel", "kernel.", "kernel//x", "a/./b", "a/.."}) {
    auto result = sysctl_path(name);
    EXPECT_FALSE(result) << name;
    if (!result) {
      EXPECT_THAT(result.error().message(), HasSubstr("invalid sysctl name \"" + std::string(name)))
          << name;
    }
  }
  EXPECT_FALSE(sysctl_path(std::string_view("a\0b", 3)));
  EXPECT_EQ(sysctl_path("/abs").error().message(),
            "invalid sysctl name \"/abs\": must be relative to /proc/sys");
}

std::string read_proc(const char* path) {
  char buffer[64];
  auto n = read_small_file(path, buffer, sizeof(buffer));
  if (!n) return "?";
  std::string text(buffer, *n);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

TEST(ApplySysctls, WritesIpcSysctlsInANewIpcNamespace) {
  EXPECT_EQ(run_in_child([] {
              if (::unshare(CLONE_NEWIPC) != 0) return std::string("unshare(CLONE_NEWIPC)");
              auto r = apply_sysctls({{"kernel.msgmax", "12345"}, {"kernel/shmmni", "2048"}});
              if (!r) return r.error().message();
              if (read_proc("/proc/sys/kernel/msgmax") != "12345")
                return "msgmax " + read_proc("/proc/sys/kernel/msgmax");
              if (read_proc("/proc/sys/kernel/shmmni") != "2048")
                return "shmmni " + read_proc("/proc/sys/kernel/shmmni");
              return std::string();
            }),
            "");
}

TEST(ApplySysctls, ErrorsNameTheSysctlAndTheFile) {
  EXPECT_EQ(run_in_child([] {
              if (::unshare(CLONE_NEWIPC) != 0) return std::string("unshare(CLONE_NEWIPC)");
              auto r = apply_sysctls({{"kernel.no_such_krill_knob", "1"}});
              if (r) return std::string("accepted a missing sysctl");
              std::string expected =
                  "set sysctl kernel.no_such_krill_knob to \"1\": open "
                  "/proc/sys/kernel/no_such_krill_knob for writing: No such file or directory";
              if (r.error().message() != expected) return "got: " + r.error().message();
              auto bad = apply_sysctls({{"kernel.msgmax", "not-a-number"}});
              if (bad) return std::string("accepted a bad value");
              if (bad.error().message() !=
                  "set sysctl kernel.msgmax to \"not-a-number\": write /proc/sys/kernel/msgmax: "
                  "Invalid argument")
                return "got: " + bad.error().message();
              return std::string();
            }),
            "");
}

TEST(ApplySysctls, ValidatesAllNamesBeforeWriting) {
  EXPECT_EQ(run_in_child([] {
              if (::unshare(CLONE_NEWIPC) != 0) return std::string("unshare(CLONE_NEWIPC)");
              std::string before = read_proc("/proc/sys/kernel/msgmax");
              // "kernel.msgmax" sorts first: it must not be written when a later name is bad.
              auto r = apply_sysctls({{"kernel.msgmax", "4321"}, {"zz/../x", "1"}});
              if (r) return std::string("accepted ../");
              if (r.error().message() !=
                  "invalid sysctl name \"zz/../x\": \".\" and \"..\" are not allowed")
                return "got: " + r.error().message();
              if (read_proc("/proc/sys/kernel/msgmax") != before) return std::string("wrote");
              return std::string();
            }),
            "");
}

}  // namespace
}  // namespace krill::process
