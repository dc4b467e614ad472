// --change for import and commit: both spellings, exec and shell forms, and bad input.
#include "engine/config_change.h"

#include <gtest/gtest.h>

namespace krill::engine {
namespace {

TEST(ConfigChange, BothSpellingsAndForms) {
  nlohmann::json config = nlohmann::json::object();
  ASSERT_TRUE(apply_config_change(config, "CMD [\"/bin/echo\",\"hi\"]"));
  ASSERT_TRUE(apply_config_change(config, "entrypoint=/bin/sh -x"));
  ASSERT_TRUE(apply_config_change(config, "ENV A=1"));
  ASSERT_TRUE(apply_config_change(config, "ENV=B 2"));
  ASSERT_TRUE(apply_config_change(config, "EXPOSE 80"));
  EXPECT_EQ(config["Cmd"], nlohmann::json({"/bin/echo", "hi"}));
  EXPECT_EQ(config["Entrypoint"], nlohmann::json({"/bin/sh", "-c", "/bin/sh -x"}));
  EXPECT_EQ(config["Env"], nlohmann::json({"A=1", "B=2"}));
  EXPECT_TRUE(config["ExposedPorts"].contains("80/tcp"));
}

TEST(ConfigChange, BadInputNamesTheChange) {
  nlohmann::json config = nlohmann::json::object();
  auto no_value = apply_config_change(config, "CMD");
  ASSERT_FALSE(no_value);
  EXPECT_NE(no_value.error().message().find("\"CMD\""), std::string::npos);
  auto unknown = apply_config_change(config, "HEALTHCHECK CMD true");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("supported are"), std::string::npos);
  EXPECT_EQ(config, nlohmann::json::object());
}

TEST(ConfigChange, EnvReplacesAnEarlierValueOfTheSameVariable) {
  nlohmann::json config = {{"Env", {"PATH=/usr/bin:/bin", "A=1"}}};
  ASSERT_TRUE(apply_config_change(config, "ENV=PATH=/bin"));
  ASSERT_TRUE(apply_config_change(config, "ENV B 2"));
  EXPECT_EQ(config["Env"], nlohmann::json({"PATH=/bin", "A=1", "B=2"}));
}

TEST(ConfigChange, OnBuildTriggersAreAppendedInOrder) {
  nlohmann::json config = nlohmann::json::object();
  ASSERT_TRUE(apply_config_change(config, "ONBUILD RUN echo one"));
  ASSERT_TRUE(apply_config_change(config, "onbuild=COPY . /src"));
  EXPECT_EQ(config["OnBuild"], nlohmann::json({"RUN echo one", "COPY . /src"}));
  auto empty = apply_config_change(config, "ONBUILD ");
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message().find("ONBUILD needs an instruction"), std::string::npos);
  EXPECT_EQ(config["OnBuild"].size(), 2u);
}

}  // namespace
}  // namespace krill::engine
