#include "cli/runtime/signals.h"

#include <gtest/gtest.h>

#include <csignal>

namespace krill::cli {
namespace {

TEST(ParseSignal, AcceptsNamesWithAndWithoutPrefixInAnyCase) {
  EXPECT_EQ(parse_signal("KILL").value(), SIGKILL);
  EXPECT_EQ(parse_signal("SIGKILL").value(), SIGKILL);
  EXPECT_EQ(parse_signal("kill").value(), SIGKILL);
  EXPECT_EQ(parse_signal("sigterm").value(), SIGTERM);
  EXPECT_EQ(parse_signal("HUP").value(), SIGHUP);
  EXPECT_EQ(parse_signal("WINCH").value(), SIGWINCH);
  EXPECT_EQ(parse_signal("SIGCHLD").value(), SIGCHLD);
  EXPECT_EQ(parse_signal("USR1").value(), SIGUSR1);
}

TEST(ParseSignal, AcceptsNumbers) {
  EXPECT_EQ(parse_signal("9").value(), 9);
  EXPECT_EQ(parse_signal("15").value(), 15);
  EXPECT_EQ(parse_signal("0").value(), 0);
  EXPECT_EQ(parse_signal(std::to_string(SIGRTMAX)).value(), SIGRTMAX);
}

TEST(ParseSignal, AcceptsRealTimeSignals) {
  EXPECT_EQ(parse_signal("SIGRTMIN").value(), SIGRTMIN);
  EXPECT_EQ(parse_signal("SIGRTMIN+3").value(), SIGRTMIN + 3);
  EXPECT_EQ(parse_signal("RTMIN+3").value(), SIGRTMIN + 3);
  EXPECT_EQ(parse_signal("SIGRTMAX-1").value(), SIGRTMAX - 1);
  EXPECT_EQ(parse_signal("rtmax").value(), SIGRTMAX);
}

TEST(ParseSignal, RejectsUnknownSignals) {
  auto result = parse_signal("FOO");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "unknown signal \"FOO\"");
  EXPECT_FALSE(parse_signal("SIGFOO"));
  EXPECT_FALSE(parse_signal(""));
  EXPECT_FALSE(parse_signal("-9"));
  EXPECT_FALSE(parse_signal("9x"));
  EXPECT_FALSE(parse_signal(std::to_string(SIGRTMAX + 1)));
  EXPECT_FALSE(parse_signal("SIGRTMIN+100"));
  EXPECT_FALSE(parse_signal("SIGRTMIN-1"));
  EXPECT_FALSE(parse_signal("SIGRTMAX+1"));
  EXPECT_FALSE(parse_signal("SIGRTMIN+"));
}

TEST(SignalName, NamesKnownSignals) {
  EXPECT_EQ(signal_name(SIGKILL), "SIGKILL");
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGRTMIN + 3), "SIGRTMIN+3");
  EXPECT_EQ(signal_name(SIGRTMAX), "SIGRTMAX");
  EXPECT_EQ(signal_name(200), "200");
}

}  // namespace
}  // namespace krill::cli
