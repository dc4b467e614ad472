// The runtime-spec repository's own schema test documents
// (<repo>/../shared/specs/runtime-spec/schema/test): every good one parses, every
// bad one is rejected by parse_spec/parse_state or by validate_spec_for_create.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "oci/spec_json.h"
#include "oci_test_util.h"

namespace krill::oci {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> json_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

fs::path schema_test_dir() { return testing::runtime_spec_dir() / "schema" / "test"; }

// Bad fixtures that only the JSON schema rejects and a Linux runtime reasonably
// accepts, with the reason.
const std::map<std::string, std::string>& accepted_bad_fixtures() {
  static const std::map<std::string, std::string> kAccepted = {
      {"freebsd-vnet-disable.json",
       "only the \"freebsd\" section is wrong (jail.vnet must be \"new\" or \"inherit\"); "
       "krill is a Linux runtime and ignores other platforms' sections as unknown fields"},
  };
  return kAccepted;
}

// Every test here reads the spec's fixtures; without the specs they skip, naming the path.
class SchemaFixtures : public ::testing::Test {
 protected:
  void SetUp() override { KRILL_SKIP_WITHOUT_SPECS(schema_test_dir()); }
};

TEST_F(SchemaFixtures, DirectoryIsThere) {
  ASSERT_TRUE(fs::is_directory(schema_test_dir() / "config" / "good")) << schema_test_dir();
  EXPECT_GE(json_files(schema_test_dir() / "config" / "good").size(), 5u);
  EXPECT_GE(json_files(schema_test_dir() / "config" / "bad").size(), 4u);
}

TEST_F(SchemaFixtures, GoodConfigsParse) {
  for (const auto& path : json_files(schema_test_dir() / "config" / "good")) {
    auto spec = load_spec_file(path.string());
    EXPECT_TRUE(spec) << path << ": " << spec.error().message();
    if (!spec) continue;
    // What we write back parses again to the same document.
    std::string written = spec_to_json(*spec);
    auto again = parse_spec(written);
    ASSERT_TRUE(again) << path << ": " << again.error().message();
    EXPECT_EQ(spec_to_json(*again), written) << path;
  }
}

TEST_F(SchemaFixtures, GoodConfigWithProcessValidates) {
  auto spec = load_spec_file((schema_test_dir() / "config/good/minimal-for-start.json").string());
  ASSERT_TRUE(spec) << spec.error().message();
  auto valid = validate_spec_for_create(*spec);
  EXPECT_TRUE(valid) << valid.error().message();
}

TEST_F(SchemaFixtures, BadConfigsAreRejected) {
  for (const auto& path : json_files(schema_test_dir() / "config" / "bad")) {
    std::string name = path.filename().string();
    auto spec = load_spec_file(path.string());
    bool rejected = !spec;
    if (spec) {
      // The fixtures have no process; give them one so that validation judges
      // what the fixture is about rather than the missing process.
      if (!spec->process) spec->process = Process{.args = {"sh"}, .cwd = "/"};
      rejected = !validate_spec_for_create(*spec);
    }
    if (accepted_bad_fixtures().contains(name)) {
      EXPECT_FALSE(rejected) << name << " is listed as accepted but is now rejected";
      continue;
    }
    EXPECT_TRUE(rejected) << name << " was accepted";
    if (!spec) {
      EXPECT_THAT(spec.error().message(), ::testing::StartsWith(path.string() + ": "));
    }
  }
}

TEST_F(SchemaFixtures, BadConfigErrorsNameTheField) {
  auto error = [](const char* name) {
    auto spec = parse_spec(testing::read_file(schema_test_dir() / "config/bad" / name));
    return spec ? std::string("parsed") : spec.error().message();
  };
  EXPECT_THAT(error("invalid-json.json"), ::testing::HasSubstr("config.json is not valid JSON"));
  EXPECT_EQ(error("linux-hugepage.json"),
            "linux.resources.hugepageLimits[0].pageSize: invalid hugepage size \"64kB\" "
            "(expected e.g. \"2MB\", \"64KB\", \"1GB\")");
  EXPECT_EQ(error("linux-netdevice.json"),
            "linux.netDevices[\"eth0\"].name: expected a string, got number");
  EXPECT_EQ(
      error("linux-rdma.json"),
      "linux.resources.rdma[\"mlx5_1\"].hcaHandles: expected an unsigned integer, got string");
}

TEST_F(SchemaFixtures, GoodStatesParseAndRoundTrip) {
  for (const auto& path : json_files(schema_test_dir() / "state" / "good")) {
    auto state = parse_state(testing::read_file(path));
    ASSERT_TRUE(state) << path << ": " << state.error().message();
    auto again = parse_state(state_to_json(*state));
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(state_to_json(*again), state_to_json(*state));
  }
}

TEST_F(SchemaFixtures, BadStatesAreRejected) {
  auto files = json_files(schema_test_dir() / "state" / "bad");
  EXPECT_FALSE(files.empty());
  for (const auto& path : files) {
    auto state = parse_state(testing::read_file(path));
    EXPECT_FALSE(state) << path << " was accepted";
  }
}

}  // namespace
}  // namespace krill::oci
