#include "network/network_defaults.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "base/file_io.h"

namespace krill::network {
namespace {

using ::testing::ElementsAre;

std::string error_of(std::string_view text) {
  NetworkSettingsFile settings;
  auto applied = apply_network_settings("krill.conf", text, settings);
  if (applied) return "(no error)";
  return applied.error().message();
}

TEST(NetworkDefaults, BuiltInDefaults) {
  const NetworkSettingsFile settings;
  EXPECT_EQ(settings.defaults.default_network, "krill");
  EXPECT_EQ(settings.defaults.default_subnet, "10.90.0.0/16");
  EXPECT_EQ(settings.defaults.default_interface, "krill0");
  EXPECT_THAT(settings.cni_plugin_dirs,
              ElementsAre("/usr/lib/cni", "/usr/libexec/cni", "/opt/cni/bin"));
}

TEST(NetworkDefaults, ReadsEveryKeyOfTheNetworkSection) {
  NetworkSettingsFile settings;
  const std::string text = R"(# krill's settings
[engine]
default_network = "ignored, another section"
runtime = "crun"

[network]   # the networks
default_network = "lan"
default_subnet = '10.100.0.0/16'
default_interface = "lan0"  # the bridge
default_subnet_pools = ["10.101.0.0/16", "10.102.0.0/16",]
cni_plugin_dirs = [
  "/usr/lib/cni",  # Debian
  # nothing else
  "/opt/cni/bin"
]

[other]
x = ["a"]
)";
  auto applied = apply_network_settings("krill.conf", text, settings);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(settings.defaults.default_network, "lan");
  EXPECT_EQ(settings.defaults.default_subnet, "10.100.0.0/16");
  EXPECT_EQ(settings.defaults.default_interface, "lan0");
  EXPECT_THAT(settings.defaults.subnet_pools, ElementsAre("10.101.0.0/16", "10.102.0.0/16"));
  EXPECT_THAT(settings.cni_plugin_dirs, ElementsAre("/usr/lib/cni", "/opt/cni/bin"));
  // Untouched keys keep their defaults.
  EXPECT_EQ(settings.defaults.bridge_prefix, "krill");
  EXPECT_EQ(settings.defaults.pool_prefix_length, 24);
}

TEST(NetworkDefaults, LaterFilesOverrideKeyByKey) {
  NetworkSettingsFile settings;
  ASSERT_TRUE(apply_network_settings("a",
                                     "[network]\ndefault_network = \"one\"\n"
                                     "default_interface = \"one0\"\n",
                                     settings));
  ASSERT_TRUE(apply_network_settings("b", "[network]\ndefault_network = \"two\"\n", settings));
  EXPECT_EQ(settings.defaults.default_network, "two");
  EXPECT_EQ(settings.defaults.default_interface, "one0");
}

TEST(NetworkDefaults, EscapesInBasicStrings) {
  NetworkSettingsFile settings;
  ASSERT_TRUE(apply_network_settings(
      "krill.conf", "[network]\ncni_plugin_dirs = [\"/a\\\\b\", \"/q\\\"x\", '/raw\\n']\n",
      settings));
  EXPECT_THAT(settings.cni_plugin_dirs, ElementsAre("/a\\b", "/q\"x", "/raw\\n"));
}

TEST(NetworkDefaults, ErrorsNameFileAndLine) {
  EXPECT_EQ(error_of("[network]\n\ndefault_network \"x\"\n"),
            "krill.conf:3: expected key = \"value\"");
  EXPECT_EQ(error_of("[network]\ndefault_network = x\n"),
            "krill.conf:2: expected key = \"value\" or key = [\"value\", ...]");
  EXPECT_EQ(error_of("[network]\ndefault_network = \"x\n"),
            "krill.conf:2: expected key = \"value\" or key = [\"value\", ...]");
  EXPECT_EQ(error_of("[network]\ndefault_network = \"x\" y\n"),
            "krill.conf:2: unexpected text after the value of default_network");
  EXPECT_EQ(error_of("[network\n"), "krill.conf:1: expected [section]");
  EXPECT_EQ(error_of("[]\n"), "krill.conf:1: expected [section]");
  EXPECT_EQ(error_of("# c\n[network]\ncni_plugin_dirs = [\"a\" \"b\"]\n"),
            "krill.conf:3: expected key = \"value\" or key = [\"value\", ...]");
  EXPECT_EQ(error_of("[network]\ncni_plugin_dirs = [\"a\",,]\n"),
            "krill.conf:2: expected key = \"value\" or key = [\"value\", ...]");
  EXPECT_EQ(error_of("[network]\nmtu = 1500\n"),
            "krill.conf:2: expected key = \"value\" or key = [\"value\", ...]");
  // Line numbers keep counting past multi-line arrays.
  EXPECT_EQ(error_of("[network]\ncni_plugin_dirs = [\n\"a\",\n\"b\"\n]\nbad line\n"),
            "krill.conf:6: expected key = \"value\"");
}

TEST(NetworkDefaults, ValuesAreChecked) {
  EXPECT_EQ(error_of("[network]\nnetwork_backend = \"cni\"\n"),
            "krill.conf:2: unknown key \"network_backend\" in [network]");
  EXPECT_EQ(error_of("[network]\ndefault_subnet = [\"10.0.0.0/8\"]\n"),
            "krill.conf:2: default_subnet must be a string");
  EXPECT_EQ(error_of("[network]\ncni_plugin_dirs = \"/opt/cni/bin\"\n"),
            "krill.conf:2: cni_plugin_dirs must be an array of strings");
  EXPECT_EQ(error_of("[network]\ndefault_subnet = \"10.0.0.1/8\"\n"),
            "krill.conf:2: default_subnet: invalid subnet \"10.0.0.1/8\": it should be 10.0.0.0/8");
  EXPECT_EQ(error_of("[network]\ndefault_subnet_pools = [\"10.0.0.0/8\", \"x\"]\n"),
            "krill.conf:2: default_subnet_pools: invalid subnet \"x\": no prefix length (like "
            "x/16)");
  EXPECT_EQ(error_of("[network]\ndefault_network = \"-bad\"\n"),
            "krill.conf:2: default_network: invalid network name \"-bad\"");
  EXPECT_EQ(error_of("[network]\ndefault_interface = \"averyverylongname0\"\n"),
            "krill.conf:2: default_interface: \"averyverylongname0\" is not an interface name "
            "of 1 to 15 bytes");
  // Outside [network] nothing is interpreted.
  EXPECT_EQ(error_of("[engine]\nnetwork_backend = \"cni\"\n"), "(no error)");
}

class NetworkDefaultsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/krill-netdefaults-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
    for (const char* name : {"XDG_CONFIG_HOME", "HOME"}) {
      const char* value = std::getenv(name);
      saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
    ASSERT_TRUE(remove_all(dir_));
  }
  void write(const std::string& relative, const std::string& text) {
    const std::string path = dir_ + "/" + relative;
    ASSERT_TRUE(mkdir_all(path.substr(0, path.rfind('/')), 0700));
    ASSERT_TRUE(write_file_atomic(path, text));
  }
  // The system file would take part too; these tests need it absent.
  bool system_file_exists() { return ::access("/etc/krill/krill.conf", F_OK) == 0; }

  std::string dir_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(NetworkDefaultsFiles, XdgConfigHomeFirstThenHome) {
  if (system_file_exists()) GTEST_SKIP() << "/etc/krill/krill.conf exists";
  write("xdg/krill/krill.conf", "[network]\ndefault_network = \"fromxdg\"\n");
  write("home/.config/krill/krill.conf", "[network]\ndefault_network = \"fromhome\"\n");
  ::setenv("XDG_CONFIG_HOME", (dir_ + "/xdg").c_str(), 1);
  ::setenv("HOME", (dir_ + "/home").c_str(), 1);
  auto settings = load_network_settings();
  ASSERT_TRUE(settings) << settings.error().message();
  EXPECT_EQ(settings->defaults.default_network, "fromxdg");

  ::unsetenv("XDG_CONFIG_HOME");
  settings = load_network_settings();
  ASSERT_TRUE(settings) << settings.error().message();
  EXPECT_EQ(settings->defaults.default_network, "fromhome");

  ::setenv("XDG_CONFIG_HOME", "relative/dir", 1);  // ignored, as the XDG spec says
  settings = load_network_settings();
  ASSERT_TRUE(settings) << settings.error().message();
  EXPECT_EQ(settings->defaults.default_network, "fromhome");
}

TEST_F(NetworkDefaultsFiles, MissingFilesGiveDefaultsAndBadOnesNameThePath) {
  if (system_file_exists()) GTEST_SKIP() << "/etc/krill/krill.conf exists";
  ::setenv("XDG_CONFIG_HOME", (dir_ + "/nothing").c_str(), 1);
  auto settings = load_network_settings();
  ASSERT_TRUE(settings) << settings.error().message();
  EXPECT_EQ(settings->defaults.default_network, "krill");

  write("xdg/krill/krill.conf", "[network]\n\ndefault_subnet = 3\n");
  ::setenv("XDG_CONFIG_HOME", (dir_ + "/xdg").c_str(), 1);
  settings = load_network_settings();
  ASSERT_FALSE(settings);
  EXPECT_EQ(settings.error().message(),
            dir_ + "/xdg/krill/krill.conf:3: expected key = \"value\" or key = [\"value\", ...]");
}

}  // namespace
}  // namespace krill::network
