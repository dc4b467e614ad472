// ps rows, Docker's human texts, inspect JSON shape, ps filters.
#include "cli/krill/container_json.h"

#include <gtest/gtest.h>

#include "cli/krill/format_template.h"

namespace krill::cli {
namespace {

using engine::ContainerRecord;
using engine::ContainerStatus;

constexpr int64_t kSecond = 1000000000LL;

ContainerRecord sample() {
  ContainerRecord r;
  r.id = std::string(64, 'a');
  r.name = "web";
  r.config.image_ref = "busybox";
  r.config.image_name = "docker.io/library/busybox:latest";
  r.config.image_id = "sha256:" + std::string(64, 'b');
  r.config.command = {"sleep", "1000"};
  r.config.labels = {{"app", "web"}, {"tier", "front"}};
  r.created_ns = 1000 * kSecond;
  r.started_ns = 1001 * kSecond;
  return r;
}

ContainerPaths sample_paths() {
  ContainerPaths p;
  p.args = {"sleep", "1000"};
  p.log_path = "/s/containers/x/userdata/ctr.log";
  p.snapshot_dir = "/s/containers/x/snapshot";
  p.rootfs = "/s/containers/x/snapshot/merged";
  return p;
}

TEST(ContainerJson, HumanDuration) {
  EXPECT_EQ(human_duration_ns(0), "Less than a second");
  EXPECT_EQ(human_duration_ns(1 * kSecond), "1 second");
  EXPECT_EQ(human_duration_ns(3 * kSecond), "3 seconds");
  EXPECT_EQ(human_duration_ns(61 * kSecond), "About a minute");
  EXPECT_EQ(human_duration_ns(5 * 60 * kSecond), "5 minutes");
  EXPECT_EQ(human_duration_ns(3600 * kSecond), "About an hour");
  EXPECT_EQ(human_duration_ns(5 * 3600 * kSecond), "5 hours");
  EXPECT_EQ(human_duration_ns(3 * 86400 * kSecond), "3 days");
  EXPECT_EQ(human_duration_ns(21 * 86400 * kSecond), "3 weeks");
  EXPECT_EQ(human_duration_ns(90 * 86400 * kSecond), "3 months");
  EXPECT_EQ(human_duration_ns(3 * 365 * 86400 * kSecond), "3 years");
}

TEST(ContainerJson, StatusTexts) {
  auto r = sample();
  r.status = ContainerStatus::kCreated;
  EXPECT_EQ(status_text(r, 2000 * kSecond), "Created");
  r.status = ContainerStatus::kRunning;
  EXPECT_EQ(status_text(r, 1004 * kSecond), "Up 3 seconds");
  r.status = ContainerStatus::kPaused;
  EXPECT_EQ(status_text(r, 1004 * kSecond), "Up 3 seconds (Paused)");
  r.status = ContainerStatus::kExited;
  r.exit_code = 3;
  r.finished_ns = 1010 * kSecond;
  EXPECT_EQ(status_text(r, 1012 * kSecond), "Exited (3) 2 seconds ago");
}

TEST(ContainerJson, CommandIsTruncated) {
  EXPECT_EQ(command_text({"sleep", "1000"}, false), "sleep 1000");
  EXPECT_EQ(command_text({"sh", "-c", "while true; do sleep 1; done"}, false),
            "sh -c while true;...");
  EXPECT_EQ(command_text({"sh", "-c", "while true; do sleep 1; done"}, true),
            "sh -c while true; do sleep 1; done");
}

TEST(ContainerJson, PsRowAndDefaultTable) {
  auto r = sample();
  r.status = ContainerStatus::kRunning;
  auto row = ps_row(r, sample_paths(), false, 1004 * kSecond);
  EXPECT_EQ(row["ID"], std::string(12, 'a'));
  EXPECT_EQ(row["Names"], "web");
  EXPECT_EQ(row["Image"], "docker.io/library/busybox:latest");
  EXPECT_EQ(row["Command"], "sleep 1000");
  EXPECT_EQ(row["Status"], "Up 3 seconds");
  EXPECT_EQ(row["RunningFor"], "4 seconds ago");
  EXPECT_EQ(row["State"], "running");
  EXPECT_EQ(row["CreatedAt"], "1970-01-01 00:16:40 +0000 UTC");
  EXPECT_EQ(row["Labels"]["app"], "web");
  auto full = ps_row(r, sample_paths(), true, 1004 * kSecond);
  EXPECT_EQ(full["ID"], std::string(64, 'a'));

  auto table = render_rows("", {row},
                           "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t"
                           "{{.Status}}\t{{.Ports}}\t{{.Names}}",
                           {{"ID", "CONTAINER ID"}, {"RunningFor", "CREATED"}, {"Names", "NAMES"}});
  ASSERT_TRUE(table) << table.error().message();
  EXPECT_EQ(table->rfind("CONTAINER ID  IMAGE", 0), 0u) << *table;
  EXPECT_NE(table->find("CREATED"), std::string::npos);
  EXPECT_NE(table->find("Up 3 seconds"), std::string::npos);
  auto names = render_rows("{{.Names}} {{.State}}", {row}, "", {});
  ASSERT_TRUE(names);
  EXPECT_EQ(*names, "web running\n");
}

TEST(ContainerJson, InspectShape) {
  auto r = sample();
  r.status = ContainerStatus::kExited;
  r.exit_code = 4;
  r.finished_ns = 1005 * kSecond + 500;
  r.config.restart = {"on-failure", 2};
  r.config.resources.memory = 1 << 20;
  r.config.auto_remove = false;
  engine::MountRequest bind;
  bind.type = "bind";
  bind.source = "/srv";
  bind.destination = "/data";
  bind.read_only = true;
  r.config.mounts.push_back(bind);
  auto paths = sample_paths();
  paths.mount_sources = {"/srv"};
  auto ordered = container_inspect_json(r, paths);
  EXPECT_EQ(ordered.begin().key(), "Id");
  auto doc = nlohmann::json::parse(ordered.dump());
  EXPECT_EQ(doc["Id"], r.id);
  EXPECT_EQ(doc["Name"], "web");
  EXPECT_EQ(doc["Path"], "sleep");
  EXPECT_EQ(doc["Args"], nlohmann::json::array({"1000"}));
  EXPECT_EQ(doc["State"]["Status"], "exited");
  EXPECT_EQ(doc["State"]["Running"], false);
  EXPECT_EQ(doc["State"]["ExitCode"], 4);
  EXPECT_EQ(doc["State"]["FinishedAt"], "1970-01-01T00:16:45.0000005Z");
  EXPECT_EQ(doc["State"]["StartedAt"], "1970-01-01T00:16:41Z");
  for (const char* key : {"Paused", "Restarting", "OOMKilled", "Dead", "Pid", "Error"})
    EXPECT_TRUE(doc["State"].contains(key)) << key;
  EXPECT_EQ(doc["Image"], r.config.image_id);
  EXPECT_EQ(doc["Config"]["Cmd"], nlohmann::json::array({"sleep", "1000"}));
  EXPECT_TRUE(doc["Config"]["Entrypoint"].is_null());
  EXPECT_EQ(doc["Config"]["Image"], "busybox");
  EXPECT_EQ(doc["Config"]["Hostname"], std::string(12, 'a'));
  for (const char* key : {"Env", "WorkingDir", "User", "Labels", "StopSignal", "Tty", "OpenStdin"})
    EXPECT_TRUE(doc["Config"].contains(key)) << key;
  EXPECT_EQ(doc["HostConfig"]["Binds"], nlohmann::json::array({"/srv:/data:ro"}));
  EXPECT_EQ(doc["HostConfig"]["Memory"], 1 << 20);
  EXPECT_EQ(doc["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
  EXPECT_EQ(doc["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 2);
  EXPECT_EQ(doc["HostConfig"]["LogConfig"]["Type"], "k8s-file");
  for (const char* key : {"NanoCpus", "CpuShares", "PidsLimit", "AutoRemove", "Privileged",
                          "ReadonlyRootfs", "CapAdd", "CapDrop"})
    EXPECT_TRUE(doc["HostConfig"].contains(key)) << key;
  ASSERT_EQ(doc["Mounts"].size(), 1u);
  EXPECT_EQ(doc["Mounts"][0]["Destination"], "/data");
  EXPECT_EQ(doc["Mounts"][0]["RW"], false);
  EXPECT_EQ(doc["RestartCount"], 0);
  EXPECT_EQ(doc["LogPath"], paths.log_path);
  EXPECT_EQ(doc["GraphDriver"]["Name"], "overlay");
  auto exit_code = render_value("{{.State.ExitCode}}", doc);
  ASSERT_TRUE(exit_code);
  EXPECT_EQ(*exit_code, "4\n");
}

TEST(ContainerJson, Filters) {
  auto a = sample();
  a.status = ContainerStatus::kExited;
  a.exit_code = 3;
  auto b = sample();
  b.id = std::string(64, 'c');
  b.name = "db";
  b.status = ContainerStatus::kRunning;
  b.config.labels = {{"app", "db"}};
  b.created_ns = 2000 * kSecond;
  std::vector<ContainerRecord> all = {a, b};
  auto matches = [&](const ContainerRecord& r, std::vector<std::string> f) {
    auto m = ps_filter_matches(r, f, all);
    EXPECT_TRUE(m) << (m ? "" : m.error().message());
    return m && *m;
  };
  EXPECT_TRUE(matches(a, {"status=exited"}));
  EXPECT_FALSE(matches(b, {"status=exited"}));
  EXPECT_TRUE(matches(b, {"status=exited", "status=running"}));
  EXPECT_TRUE(matches(a, {"name=we"}));
  EXPECT_FALSE(matches(b, {"name=^we"}));
  EXPECT_TRUE(matches(a, {"id=aaaa"}));
  EXPECT_TRUE(matches(a, {"label=app=web"}));
  EXPECT_TRUE(matches(a, {"label=tier"}));
  EXPECT_FALSE(matches(b, {"label=app=web"}));
  EXPECT_TRUE(matches(a, {"ancestor=busybox"}));
  EXPECT_TRUE(matches(a, {"ancestor=busybox:latest"}));
  EXPECT_FALSE(matches(a, {"ancestor=alpine"}));
  EXPECT_TRUE(matches(a, {"exited=3"}));
  EXPECT_FALSE(matches(a, {"exited=0"}));
  EXPECT_TRUE(matches(a, {"before=db"}));
  EXPECT_TRUE(matches(b, {"since=web"}));
  EXPECT_TRUE(matches(a, {"status=exited", "label=app=web"}));
  EXPECT_FALSE(matches(a, {"status=exited", "label=app=db"}));
  EXPECT_FALSE(ps_filter_matches(a, {"color=red"}, all));
  EXPECT_FALSE(ps_filter_matches(a, {"status=sleepy"}, all));
}

TEST(ContainerJson, HealthInPsStatus) {
  auto r = sample();
  r.status = ContainerStatus::kRunning;
  auto paths = sample_paths();
  const int64_t now = 1006 * kSecond;
  EXPECT_EQ(ps_row(r, paths, false, now)["Status"], "Up 5 seconds");
  paths.health = engine::HealthState{};
  EXPECT_EQ(ps_row(r, paths, false, now)["Status"], "Up 5 seconds (health: starting)");
  paths.health->status = engine::kHealthHealthy;
  EXPECT_EQ(ps_row(r, paths, false, now)["Status"], "Up 5 seconds (healthy)");
  paths.health->status = engine::kHealthUnhealthy;
  EXPECT_EQ(ps_row(r, paths, false, now)["Status"], "Up 5 seconds (unhealthy)");
  r.status = ContainerStatus::kExited;
  r.finished_ns = 1004 * kSecond;
  EXPECT_EQ(ps_row(r, paths, false, now)["Status"], "Exited (0) 2 seconds ago");
}

TEST(ContainerJson, InspectHealth) {
  auto r = sample();
  r.status = ContainerStatus::kRunning;
  auto paths = sample_paths();
  auto doc = nlohmann::json::parse(container_inspect_json(r, paths).dump());
  EXPECT_FALSE(doc["State"].contains("Health"));
  EXPECT_FALSE(doc["Config"].contains("Healthcheck"));

  paths.healthcheck = engine::HealthcheckRequest{{"CMD-SHELL", "true"}, kSecond, 0, 0, 2};
  engine::HealthState health;
  health.status = engine::kHealthUnhealthy;
  health.failing_streak = 2;
  health.log = {{1002 * kSecond, 1002 * kSecond + 5000, 1, "no"}};
  paths.health = health;
  doc = nlohmann::json::parse(container_inspect_json(r, paths).dump());
  EXPECT_EQ(doc["Config"]["Healthcheck"]["Test"], nlohmann::json::array({"CMD-SHELL", "true"}));
  EXPECT_EQ(doc["Config"]["Healthcheck"]["Interval"], kSecond);
  EXPECT_EQ(doc["Config"]["Healthcheck"]["Retries"], 2);
  const auto& h = doc["State"]["Health"];
  EXPECT_EQ(h["Status"], "unhealthy");
  EXPECT_EQ(h["FailingStreak"], 2);
  ASSERT_EQ(h["Log"].size(), 1u);
  EXPECT_EQ(h["Log"][0]["Start"], "1970-01-01T00:16:42Z");
  EXPECT_EQ(h["Log"][0]["End"], "1970-01-01T00:16:42.000005Z");
  EXPECT_EQ(h["Log"][0]["ExitCode"], 1);
  EXPECT_EQ(h["Log"][0]["Output"], "no");
  EXPECT_EQ(doc["State"]["Healthcheck"], h);  // podman's name
  auto status = render_value("{{.State.Health.Status}}", doc);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, "unhealthy\n");
}

TEST(ContainerJson, HealthFilter) {
  auto a = sample();
  auto b = sample();
  b.id = std::string(64, 'c');
  std::vector<ContainerRecord> all = {a, b};
  auto health_of = [](const ContainerRecord& r) {
    return r.id[0] == 'a' ? std::string("healthy") : std::string("none");
  };
  EXPECT_TRUE(*ps_filter_matches(a, {"health=healthy"}, all, health_of));
  EXPECT_FALSE(*ps_filter_matches(b, {"health=healthy"}, all, health_of));
  EXPECT_TRUE(*ps_filter_matches(b, {"health=none"}, all, health_of));
  EXPECT_TRUE(*ps_filter_matches(b, {"health=unhealthy", "health=none"}, all, health_of));
  auto bad = ps_filter_matches(a, {"health=sick"}, all, health_of);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("health=sick"), std::string::npos);
}

}  // namespace
}  // namespace krill::cli
