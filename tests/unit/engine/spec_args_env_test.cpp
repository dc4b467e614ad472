// Docker's Entrypoint/Cmd merging and environment rules.
#include <gtest/gtest.h>

#include "engine/spec_builder.h"
#include "engine/spec_internal.h"

namespace krill::engine {
namespace {

using Args = std::vector<std::string>;

struct ArgsCase {
  const char* name;
  std::optional<Args> image_entrypoint;
  std::optional<Args> image_cmd;
  std::optional<Args> entrypoint_flag;
  Args command;
  std::optional<Args> expected;  // nullopt: "no command specified"
};

TEST(SpecArgsTest, DockerEntrypointCmdTable) {
  const std::vector<ArgsCase> cases = {
      {"image cmd only", std::nullopt, Args{"sh"}, std::nullopt, {}, Args{"sh"}},
      {"image entrypoint and cmd",
       Args{"/ep", "-x"},
       Args{"c1", "c2"},
       std::nullopt,
       {},
       Args{"/ep", "-x", "c1", "c2"}},
      {"image entrypoint only", Args{"/ep"}, std::nullopt, std::nullopt, {}, Args{"/ep"}},
      {"image entrypoint, empty cmd", Args{"/ep"}, Args{}, std::nullopt, {}, Args{"/ep"}},
      {"command replaces cmd",
       std::nullopt,
       Args{"sh"},
       std::nullopt,
       {"echo", "hi"},
       Args{"echo", "hi"}},
      {"command appended to image entrypoint",
       Args{"/ep"},
       Args{"c1"},
       std::nullopt,
       {"a", "b"},
       Args{"/ep", "a", "b"}},
      {"--entrypoint drops image cmd",
       Args{"/ep"},
       Args{"c1"},
       Args{"/bin/echo"},
       {},
       Args{"/bin/echo"}},
      {"--entrypoint drops image cmd (no image entrypoint)",
       std::nullopt,
       Args{"sh"},
       Args{"/bin/echo"},
       {},
       Args{"/bin/echo"}},
      {"--entrypoint with command",
       Args{"/ep"},
       Args{"c1"},
       Args{"/bin/echo"},
       {"x"},
       Args{"/bin/echo", "x"}},
      {"--entrypoint \"\" with command",
       Args{"/ep"},
       Args{"c1"},
       Args{""},
       {"ls", "-l"},
       Args{"ls", "-l"}},
      {"--entrypoint [] with command", Args{"/ep"}, Args{"c1"}, Args{}, {"ls"}, Args{"ls"}},
      {"--entrypoint \"\" without command", Args{"/ep"}, Args{"c1"}, Args{""}, {}, std::nullopt},
      {"nothing at all", std::nullopt, std::nullopt, std::nullopt, {}, std::nullopt},
      {"empty image entrypoint and cmd", Args{}, Args{}, std::nullopt, {}, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ContainerConfig config;
    config.entrypoint = c.entrypoint_flag;
    config.command = c.command;
    image::ContainerConfig image;
    image.entrypoint = c.image_entrypoint;
    image.cmd = c.image_cmd;
    auto args = container_args(config, image);
    if (c.expected) {
      ASSERT_TRUE(args.has_value()) << args.error().message();
      EXPECT_EQ(*args, *c.expected);
    } else {
      ASSERT_FALSE(args.has_value());
      EXPECT_EQ(args.error().message(), "no command specified");
    }
  }
}

TEST(SpecEnvTest, DefaultsWithoutImageEnv) {
  ContainerConfig config;
  image::ContainerConfig image;
  auto env = spec_detail::container_env(config, image, "abc123", "/root");
  EXPECT_EQ(env, (std::vector<std::string>{
                     "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                     "HOSTNAME=abc123", "HOME=/root"}));
}

TEST(SpecEnvTest, ImageEnvThenUserOverrides) {
  ContainerConfig config;
  config.tty = true;
  config.env = {"B=user", "C=3", "HOME=/home/x"};
  image::ContainerConfig image;
  image.env = {"PATH=/opt/bin:/bin", "A=1", "B=image"};
  auto env = spec_detail::container_env(config, image, "h", "/root");
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/opt/bin:/bin", "HOSTNAME=h", "TERM=xterm",
                                           "B=user", "C=3", "HOME=/home/x", "A=1"}));
}

TEST(SpecEnvTest, UserCanOverrideHostnameAndTerm) {
  ContainerConfig config;
  config.tty = true;
  config.env = {"HOSTNAME=mine", "TERM=vt100", "PATH=/x"};
  image::ContainerConfig image;
  auto env = spec_detail::container_env(config, image, "h", "/");
  EXPECT_EQ(env, (std::vector<std::string>{"PATH=/x", "HOSTNAME=mine", "TERM=vt100", "HOME=/"}));
}

TEST(SpecEnvTest, ValueWithEqualsSignsAndEmptyValue) {
  ContainerConfig config;
  config.env = {"X=a=b", "EMPTY="};
  image::ContainerConfig image;
  image.env = {"X=old"};
  auto env = spec_detail::container_env(config, image, "h", "/");
  EXPECT_NE(std::find(env.begin(), env.end(), "X=a=b"), env.end());
  EXPECT_NE(std::find(env.begin(), env.end(), "EMPTY="), env.end());
  EXPECT_EQ(std::find(env.begin(), env.end(), "X=old"), env.end());
}

}  // namespace
}  // namespace krill::engine
