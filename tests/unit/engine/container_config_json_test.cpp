// ContainerConfig survives the database: every field round-trips through JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/container_config.h"

namespace krill::engine {
namespace {

ContainerConfig everything_set() {
  ContainerConfig c;
  c.image_ref = "busybox";
  c.image_name = "docker.io/library/busybox:latest";
  c.image_id = "sha256:" + std::string(64, 'a');
  c.entrypoint = std::vector<std::string>{"/bin/sh", "-c"};
  c.command = {"echo", "hi there", ""};
  c.env = {"A=1", "B=x=y", "EMPTY="};
  c.working_dir = "/work";
  c.user = "1000:1000";
  c.group_add = {"wheel", "42"};
  c.hostname = "box";
  c.add_hosts = {"db:10.0.0.2"};
  c.dns_servers = {"1.1.1.1"};
  c.dns_search = {"example.com"};
  c.dns_options = {"ndots:2"};
  c.labels = {{"com.example.a", "1"}, {"b", ""}};
  c.annotations = {{"io.krill.x", "y"}};
  c.tty = true;
  c.interactive = true;
  c.read_only = true;
  c.privileged = true;
  c.init = true;
  c.auto_remove = true;
  c.cap_add = {"NET_ADMIN"};
  c.cap_drop = {"ALL"};
  c.security_opt = {"no-new-privileges", "seccomp=unconfined"};
  MountRequest volume{"volume", "data", "/data", true, true, "Z", "rshared", {"nocopy"}};
  MountRequest tmpfs{"tmpfs", "", "/tmp", false, false, "", "", {"size=64m", "mode=1777"}};
  c.mounts = {volume, tmpfs};
  c.devices = {{"/dev/fuse", "/dev/fuse", "rw"}, {"/dev/null", "/dev/mynull", "rwm"}};
  c.ulimits = {{"nofile", 1024, 4096}, {"core", 0, UINT64_MAX}};
  c.resources = {512LL << 20, -1, 1500000000, 512, "0-1", 100, 128LL << 20};
  c.network = "host";
  c.networks = {{"backend", {"db", "pg"}, "10.91.0.9", "02:42:ac:11:00:02"}, {"front", {}, "", ""}};
  c.ports = {{"127.0.0.1", 8080, 80, "tcp"}, {"", 0, 53, "udp"}};
  c.publish_all = true;
  c.userns = "keep-id";
  c.stop_signal = 15;
  c.stop_timeout = 30;
  c.restart = {"on-failure", 5};
  c.healthcheck = HealthcheckRequest{{"CMD-SHELL", "true"}, 1000, 2000, 3000, 4};
  c.no_healthcheck = true;
  c.startup_healthcheck = StartupHealthcheckRequest{{"CMD", "/ready"}, 5000, 6000, 7, 8};
  c.log_driver = "json-file";
  c.log_options = {{"max-size", "10m"}};
  c.runtime = "runc";
  return c;
}

TEST(ContainerConfigJson, EveryFieldRoundTrips) {
  ContainerConfig original = everything_set();
  auto parsed = container_config_from_json(container_config_to_json(original));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(*parsed, original);
}

TEST(ContainerConfigJson, DefaultsRoundTrip) {
  ContainerConfig original;
  auto parsed = container_config_from_json(container_config_to_json(original));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, original);
  EXPECT_FALSE(parsed->entrypoint.has_value());
  EXPECT_FALSE(parsed->healthcheck.has_value());
}

TEST(ContainerConfigJson, EmptyEntrypointIsNotAbsentEntrypoint) {
  ContainerConfig original;
  original.entrypoint = std::vector<std::string>{};  // --entrypoint ""
  auto parsed = container_config_from_json(container_config_to_json(original));
  ASSERT_TRUE(parsed);
  ASSERT_TRUE(parsed->entrypoint.has_value());
  EXPECT_TRUE(parsed->entrypoint->empty());
}

TEST(ContainerConfigJson, EachFieldChangeIsSeen) {
  // A field the JSON forgot would make these equal after the round trip.
  ContainerConfig base;
  ContainerConfig full = everything_set();
  std::string base_json = container_config_to_json(base);
  std::string full_json = container_config_to_json(full);
  auto base_doc = nlohmann::json::parse(base_json);
  auto full_doc = nlohmann::json::parse(full_json);
  for (auto it = full_doc.begin(); it != full_doc.end(); ++it) {
    auto mixed = base_doc;
    mixed[it.key()] = it.value();
    auto parsed = container_config_from_json(mixed.dump());
    ASSERT_TRUE(parsed) << it.key();
    EXPECT_NE(*parsed, base) << it.key() << " was not read back";
  }
}

TEST(ContainerConfigJson, MissingMembersKeepDefaultsUnknownIgnored) {
  auto parsed = container_config_from_json(R"({"image_ref":"alpine","future_field":{"x":1}})");
  ASSERT_TRUE(parsed) << parsed.error().message();
  ContainerConfig expected;
  expected.image_ref = "alpine";
  EXPECT_EQ(*parsed, expected);
  EXPECT_EQ(parsed->log_driver, "k8s-file");
  EXPECT_EQ(parsed->stop_timeout, -1);
}

TEST(ContainerConfigJson, BadInputIsAnError) {
  EXPECT_FALSE(container_config_from_json("{not json"));
  EXPECT_FALSE(container_config_from_json("[]"));
  auto wrong_type = container_config_from_json(R"({"command":"sh"})");
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(wrong_type.error().message().find("parse container config"), std::string::npos);
}

}  // namespace
}  // namespace krill::engine
