#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "full_config.h"
#include "oci/spec_json.h"
#include "oci_test_util.h"

namespace krill::oci {
namespace {

using ::testing::ElementsAre;
using Json = nlohmann::json;

Spec parse_ok(std::string_view text) {
  auto spec = parse_spec(text);
  EXPECT_TRUE(spec.has_value()) << spec.error().message();
  return spec ? *spec : Spec{};
}

TEST(SpecToJson, FullConfigRoundTripsExactly) {
  Spec spec = parse_ok(testing::kFullConfig);
  std::string written = spec_to_json(spec);
  EXPECT_EQ(Json::parse(written), Json::parse(testing::kFullConfig)) << written;
  // And the written text parses back to the same thing.
  EXPECT_EQ(spec_to_json(parse_ok(written)), written);
}

TEST(SpecToJson, IndentControlsLayout) {
  Spec spec = parse_ok(R"({"ociVersion": "1.0.0", "hostname": "h"})");
  EXPECT_EQ(spec_to_json(spec, -1), R"({"ociVersion":"1.0.0","hostname":"h"})");
  EXPECT_EQ(spec_to_json(spec, 1), "{\n \"ociVersion\": \"1.0.0\",\n \"hostname\": \"h\"\n}");
}

TEST(SpecToJson, KeepsSpecOrderOfKeys) {
  std::string text = spec_to_json(default_spec(false));
  auto pos = [&](const char* key) { return text.find(std::string("\"") + key + "\""); };
  EXPECT_LT(pos("ociVersion"), pos("process"));
  EXPECT_LT(pos("process"), pos("root"));
  EXPECT_LT(pos("root"), pos("hostname"));
  EXPECT_LT(pos("hostname"), pos("mounts"));
  EXPECT_LT(pos("mounts"), pos("linux"));
}

TEST(SpecToJson, OmitsEmptyOptionalFields) {
  Spec spec;
  spec.oci_version = "1.3.0";
  spec.linux_config = Linux{};
  spec.process = Process{};
  spec.process->args = {"true"};
  Json j = Json::parse(spec_to_json(spec));
  EXPECT_EQ(j, Json::parse(R"({"ociVersion": "1.3.0",
      "process": {"user": {"uid": 0, "gid": 0}, "args": ["true"], "cwd": "/"},
      "linux": {}})"));
}

TEST(SpecToJson, InvalidUtf8DoesNotThrow) {
  Spec spec;
  spec.oci_version = "1.3.0";
  spec.hostname = "bad\xff";
  std::string text;
  EXPECT_NO_THROW(text = spec_to_json(spec));
  EXPECT_TRUE(parse_spec(text).has_value());
}

TEST(SpecToJson, RoundTripsTheSpecExample) {
  const auto example = testing::runtime_spec_dir() / "schema/test/config/good/spec-example.json";
  KRILL_SKIP_WITHOUT_SPECS(example);
  std::string text = testing::read_file(example);
  ASSERT_FALSE(text.empty());
  Spec spec = parse_ok(text);
  Json written = Json::parse(spec_to_json(spec));
  Json original = Json::parse(text);
  // The example still has "oomScoreAdj" in linux.resources, where runtime-spec
  // 1.0 moved it out of (to process); it is an unknown field there now.
  ASSERT_EQ(original["linux"]["resources"].erase("oomScoreAdj"), 1u);
  // Every other field of the example is modelled and written back unchanged.
  EXPECT_EQ(written, original) << written.dump(2);
}

// ---- default_spec ----

TEST(DefaultSpec, MatchesRuncSpec) {
  Spec spec = default_spec(false);
  // What `runc spec` (1.1) writes, with our hostname and version, plus a cgroup namespace.
  Json expected = Json::parse(R"({
    "ociVersion": "1.3.0",
    "process": {
      "terminal": true,
      "user": {"uid": 0, "gid": 0},
      "args": ["sh"],
      "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
      "cwd": "/",
      "capabilities": {
        "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
      },
      "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
      "noNewPrivileges": true
    },
    "root": {"path": "rootfs", "readonly": true},
    "hostname": "krill",
    "mounts": [
      {"destination": "/proc", "type": "proc", "source": "proc"},
      {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
       "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
      {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
       "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
      {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
       "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
      {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
       "options": ["nosuid", "noexec", "nodev"]},
      {"destination": "/sys", "type": "sysfs", "source": "sysfs",
       "options": ["nosuid", "noexec", "nodev", "ro"]},
      {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
       "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
    ],
    "linux": {
      "resources": {"devices": [{"allow": false, "access": "rwm"}]},
      "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                     {"type": "mount"}, {"type": "cgroup"}],
      "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                      "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
      "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                        "/proc/sysrq-trigger"]
    }
  })");
  EXPECT_EQ(Json::parse(spec_to_json(spec)), expected) << spec_to_json(spec);
}

TEST(DefaultSpec, RootlessVariant) {
  Spec spec = default_spec(true);
  ASSERT_TRUE(spec.linux_config);
  const Linux& l = *spec.linux_config;
  EXPECT_FALSE(l.resources);
  EXPECT_TRUE(l.has_namespace(NamespaceType::kUser));
  EXPECT_FALSE(l.has_namespace(NamespaceType::kNetwork));
  ASSERT_EQ(l.uid_mappings.size(), 1u);
  EXPECT_EQ(l.uid_mappings[0].container_id, 0u);
  EXPECT_EQ(l.uid_mappings[0].host_id, ::geteuid());
  EXPECT_EQ(l.uid_mappings[0].size, 1u);
  ASSERT_EQ(l.gid_mappings.size(), 1u);
  EXPECT_EQ(l.gid_mappings[0].host_id, ::getegid());
  const Mount* sys = nullptr;
  const Mount* pts = nullptr;
  for (const auto& m : spec.mounts) {
    if (m.destination == "/sys") sys = &m;
    if (m.destination == "/dev/pts") pts = &m;
  }
  ASSERT_TRUE(sys && pts);
  EXPECT_EQ(sys->type, "none");
  EXPECT_EQ(sys->source, "/sys");
  EXPECT_THAT(sys->options, ElementsAre("rbind", "nosuid", "noexec", "nodev", "ro"));
  EXPECT_THAT(pts->options,
              ElementsAre("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"));
  EXPECT_EQ(spec.mounts.size(), default_spec(false).mounts.size());
}

TEST(DefaultSpec, PassesValidation) {
  for (bool rootless : {false, true}) {
    Spec spec = default_spec(rootless);
    auto valid = validate_spec_for_create(spec);
    EXPECT_TRUE(valid) << "rootless=" << rootless << ": " << valid.error().message();
    // And so does what it writes, read back.
    auto reparsed = parse_spec(spec_to_json(spec));
    ASSERT_TRUE(reparsed) << reparsed.error().message();
    EXPECT_TRUE(validate_spec_for_create(*reparsed));
    EXPECT_EQ(spec_to_json(*reparsed), spec_to_json(spec));
  }
}

}  // namespace
}  // namespace krill::oci
