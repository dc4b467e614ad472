// Bad input: runtime.md "Errors" ("generating an error MUST leave the state of the environment
// as if the operation were never attempted") and "Create" (invalid id, unappliable config).
// Error text is runtime-specific; the tests only require that it names the problem (a key word).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "harness.h"

namespace krill::it {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class BadInput : public ::testing::Test {
 protected:
  // Creates with the bundle as edited and checks that it failed, named `keyword`, and left no
  // state entry, process or cgroup behind.
  void expect_create_fails(Bundle& bundle, Container& c, const std::vector<std::string>& keywords,
                           bool save = true) {
    if (save) bundle.save();
    std::vector<std::string> args = {"create", "--bundle", bundle.path(), c.id()};
    CommandResult r = runtime(args, {.env = {"KRILL_IT_ID=" + c.id()}});
    EXPECT_NE(r.exit_code, 0) << r.describe();
    std::string text = lower(r.out + r.err);
    bool named = std::any_of(keywords.begin(), keywords.end(), [&](const std::string& k) {
      return text.find(lower(k)) != std::string::npos;
    });
    EXPECT_TRUE(named) << "the error does not name the problem (" << keywords.front() << "):\n"
                       << r.describe();
    expect_nothing_left(c);
  }

  void expect_nothing_left(Container& c) {
    EXPECT_FALSE(c.state().ok()) << "a container exists after the failed create";
    EXPECT_FALSE(path_exists(state_root() + "/" + c.id())) << "state entry left behind";
    EXPECT_TRUE(eventually([&] { return marked_processes("KRILL_IT_ID=" + c.id()).empty(); }))
        << "a process of the failed create is still running";
    if (guard_) {
      for (const auto& dir : guard_->leaf_dirs()) EXPECT_FALSE(path_exists(dir)) << dir;
    }
  }

  const CgroupGuard* guard_ = nullptr;
};

TEST_F(BadInput, MalformedConfigJson) {
  Bundle bundle;
  Container c(bundle);
  write_file(bundle.config_path(), "{ \"ociVersion\": \"1.0.2\", this is not json");
  expect_create_fails(bundle, c, {"json", "config", "invalid character"}, /*save=*/false);
}

TEST_F(BadInput, MissingConfigJson) {
  Bundle bundle;
  Container c(bundle);
  std::filesystem::remove(bundle.config_path());
  expect_create_fails(bundle, c, {"config.json"}, /*save=*/false);
}

// config.md Process: args is an array of strings; a string there is schema-invalid.
TEST_F(BadInput, SchemaInvalidField) {
  Bundle bundle;
  Container c(bundle);
  guard_ = &bundle.use_test_cgroup(c.id());
  bundle.config["process"]["args"] = "/probe report";
  expect_create_fails(bundle, c, {"args"});
}

TEST_F(BadInput, OciVersionWrongType) {
  Bundle bundle;
  Container c(bundle);
  bundle.config["ociVersion"] = 5;
  expect_create_fails(bundle, c, {"ociVersion"});
}

// config-linux.md Namespaces: an unknown type cannot be applied (runtime.md Create).
TEST_F(BadInput, UnknownNamespaceType) {
  Bundle bundle;
  Container c(bundle);
  guard_ = &bundle.use_test_cgroup(c.id());
  bundle.config["linux"]["namespaces"].push_back({{"type", "kitns"}});
  expect_create_fails(bundle, c, {"kitns", "namespace"});
}

// config.md Root: "A directory MUST exist at the path declared by the field."
TEST_F(BadInput, MissingRootfs) {
  Bundle bundle;
  Container c(bundle);
  guard_ = &bundle.use_test_cgroup(c.id());
  bundle.config["root"]["path"] = "no-such-rootfs";
  expect_create_fails(bundle, c, {"no-such-rootfs", "rootfs"});
}

// runtime.md Create: an id that "is not valid in any other way" MUST error.
TEST_F(BadInput, InvalidId) {
  for (std::string id : {"a/b", "..", "bad id"}) {
    Bundle bundle;
    CommandResult r =
        runtime({"create", "--bundle", bundle.path(), id},
                {.stdout_path = bundle.path() + "/o", .stderr_path = bundle.path() + "/e"});
    if (r.ok()) runtime({"delete", "--force", id});
    EXPECT_NE(r.exit_code, 0) << r.describe();
    EXPECT_NE(lower(r.err).find("id"), std::string::npos) << r.describe();
    EXPECT_FALSE(path_exists(state_root() + "/b"));
  }
}

// runtime.md Create: duplicate id: error, and the second attempt leaves nothing of its own.
TEST_F(BadInput, DuplicateIdLeavesFirstIntact) {
  Bundle first_bundle;
  first_bundle.set_args({"/probe", "sleep", "60"});
  Container first(first_bundle);
  ASSERT_TRUE(first.create().ok());
  Bundle second;
  CgroupGuard guard("/kit-dup-" + first.id());  // cleans up if the runtime leaves one
  second.config["linux"]["cgroupsPath"] = guard.cgroups_path();
  second.save();
  CommandResult r =
      runtime({"create", "--bundle", second.path(), first.id()},
              {.stdout_path = second.path() + "/o", .stderr_path = second.path() + "/e"});
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_NE(lower(r.err).find("exist"), std::string::npos) << r.describe();
  for (const auto& dir : guard.leaf_dirs()) EXPECT_FALSE(path_exists(dir)) << dir;
  EXPECT_EQ(first.status(), "created");
  EXPECT_EQ(first.state_json().value("bundle", ""), first_bundle.path());
}

// runtime.md Kill: an unknown signal is an error and has no effect.
TEST_F(BadInput, UnknownSignal) {
  Bundle bundle;
  bundle.set_args({"/probe", "sleep", "60"});
  Container c(bundle);
  ASSERT_TRUE(c.run_detached().ok());
  for (const char* signal : {"SIGKITFOO", "999", "-1"}) {
    CommandResult r = c.kill(signal);
    EXPECT_NE(r.exit_code, 0) << r.describe();
    EXPECT_NE(lower(r.err).find("signal"), std::string::npos) << r.describe();
  }
  EXPECT_EQ(c.status(), "running");
}

// config.md Process: args is REQUIRED and non-empty on POSIX.
TEST_F(BadInput, EmptyArgs) {
  Bundle bundle;
  Container c(bundle);
  guard_ = &bundle.use_test_cgroup(c.id());
  bundle.config["process"]["args"] = json::array();
  expect_create_fails(bundle, c, {"args"});
}

// config.md Mounts: an unknown filesystem type cannot be mounted: error, nothing left.
TEST_F(BadInput, UnmountableMount) {
  Bundle bundle;
  Container c(bundle);
  guard_ = &bundle.use_test_cgroup(c.id());
  bundle.config["mounts"].push_back(
      {{"destination", "/kit"}, {"type", "kitfs"}, {"source", "none"}, {"options", json::array()}});
  expect_create_fails(bundle, c, {"kitfs", "mount"});
}

}  // namespace
}  // namespace krill::it
