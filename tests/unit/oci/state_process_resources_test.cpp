#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "oci/spec_json.h"

namespace krill::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// ---- state ----

TEST(State, ToJsonHasTheSchemaShape) {
  State state;
  state.id = "c1";
  state.status = Status::kRunning;
  state.pid = 4422;
  state.bundle = "/containers/redis";
  state.annotations = {{"myKey", "myValue"}};
  EXPECT_EQ(Json::parse(state_to_json(state)), Json::parse(R"({
      "ociVersion": "1.3.0", "id": "c1", "status": "running", "pid": 4422,
      "bundle": "/containers/redis", "annotations": {"myKey": "myValue"}})"));
  state.annotations.clear();
  state.status = Status::kStopped;
  state.pid = 0;
  EXPECT_EQ(state_to_json(state), R"({"ociVersion":"1.3.0","id":"c1","status":"stopped","pid":0,)"
                                  R"("bundle":"/containers/redis"})");
}

TEST(State, ParseRoundTripsEveryStatus) {
  for (auto status :
       {Status::kCreating, Status::kCreated, Status::kRunning, Status::kStopped, Status::kPaused}) {
    State state;
    state.id = "x";
    state.status = status;
    state.pid = 7;
    state.bundle = "/b";
    auto parsed = parse_state(state_to_json(state));
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->status, status);
    EXPECT_EQ(parsed->pid, 7);
    EXPECT_EQ(parsed->id, "x");
    EXPECT_EQ(parsed->bundle, "/b");
  }
}

TEST(State, ParseErrors) {
  auto error = [](std::string_view text) {
    auto state = parse_state(text);
    return state ? std::string("parsed") : state.error().message();
  };
  EXPECT_THAT(error("{"), HasSubstr("state is not valid JSON"));
  EXPECT_EQ(error(R"({"ociVersion": "1.0.0", "status": "running", "pid": 1, "bundle": "/b"})"),
            "id: missing required field");
  EXPECT_EQ(error(R"({"ociVersion": "1.0.0", "id": "c", "status": "exploded", "bundle": "/b"})"),
            "status: unknown container status \"exploded\"");
  EXPECT_EQ(error(R"({"ociVersion": "1.0.0", "id": "c", "status": "stopped", "pid": -1,
                      "bundle": "/b"})"),
            "pid: must not be negative");
  EXPECT_EQ(error(R"({"ociVersion": "1.0.0", "id": "c", "status": "running", "bundle": "/b"})"),
            "pid: required when status is running");
  EXPECT_EQ(error(R"({"ociVersion": "1.0.0", "id": "c", "status": "stopped", "pid": "1",
                      "bundle": "/b"})"),
            "pid: expected an integer, got string");
  EXPECT_EQ(error(R"({"ociVersion": "1.0.0", "id": "c", "status": "stopped"})"),
            "bundle: missing required field");
  EXPECT_EQ(error(R"({"ociVersion": "1.0.0", "id": "c", "status": "stopped", "bundle": "/b",
                      "annotations": {"k": 1}})"),
            "annotations[\"k\"]: expected a string, got number");
}

// ---- exec --process ----

TEST(ParseProcess, ReadsAProcessJson) {
  auto process = parse_process(R"({
      "terminal": false,
      "user": {"uid": 1000, "gid": 1000, "additionalGids": [10]},
      "args": ["ps", "aux"],
      "env": ["PATH=/usr/bin"],
      "cwd": "/tmp",
      "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"]},
      "rlimits": [{"type": "RLIMIT_NPROC", "soft": 10, "hard": 20}],
      "noNewPrivileges": true,
      "execCPUAffinity": {"initial": "0", "final": "1-2"},
      "consoleSize": {"height": 10, "width": 20}
  })");
  ASSERT_TRUE(process) << process.error().message();
  EXPECT_THAT(process->args, ElementsAre("ps", "aux"));
  EXPECT_EQ(process->user.uid, 1000u);
  EXPECT_THAT(process->user.additional_gids, ElementsAre(10u));
  EXPECT_EQ(process->cwd, "/tmp");
  EXPECT_TRUE(process->no_new_privileges);
  EXPECT_EQ(process->rlimits.at(0).hard, 20u);
  EXPECT_EQ(process->exec_cpu_affinity->final_cpus, "1-2");
  EXPECT_EQ(process->console_size->width, 20u);
}

TEST(ParseProcess, Errors) {
  auto error = [](std::string_view text) {
    auto process = parse_process(text);
    return process ? std::string("parsed") : process.error().message();
  };
  EXPECT_THAT(error("not json"), HasSubstr("process.json is not valid JSON"));
  EXPECT_EQ(error(R"({"args": ["sh"]})"), "cwd: missing required field");
  EXPECT_EQ(error(R"({"args": [], "cwd": "/"})"), "args: must contain at least one entry");
  EXPECT_EQ(error(R"({"cwd": "/"})"), "args: must contain at least one entry");
  EXPECT_EQ(error(R"({"args": ["sh"], "cwd": "tmp"})"), "cwd: \"tmp\" is not an absolute path");
  EXPECT_EQ(error(R"({"args": ["sh"], "cwd": "/", "user": {"uid": "root", "gid": 0}})"),
            "user.uid: expected an unsigned integer, got string");
  EXPECT_EQ(error(R"({"args": ["sh"], "cwd": "/", "capabilities": {"ambient": ["CAP_X"]}})"),
            "capabilities.ambient[0]: unknown capability \"CAP_X\"");
  EXPECT_EQ(error(R"({"args": ["sh"], "cwd": "/", "rlimits": [
                {"type": "RLIMIT_CPU", "soft": 1, "hard": 1},
                {"type": "RLIMIT_CPU", "soft": 1, "hard": 1}]})"),
            "rlimits[1].type: duplicate rlimit \"RLIMIT_CPU\"");
  EXPECT_EQ(error(R"(["sh"])"), "expected a JSON object, got array");
}

// ---- update --resources ----

TEST(ParseResources, ReadsALinuxResourcesObject) {
  auto resources = parse_resources(R"({
      "memory": {"limit": 536870912, "swap": -1, "disableOOMKiller": false},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1"},
      "pids": {"limit": 100},
      "blockIO": {"weight": 100, "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1}]},
      "hugepageLimits": [{"pageSize": "1GB", "limit": 0}],
      "unified": {"memory.max": "max"}
  })");
  ASSERT_TRUE(resources) << resources.error().message();
  EXPECT_EQ(resources->memory->limit, 536870912);
  EXPECT_EQ(resources->memory->swap, -1);
  EXPECT_EQ(resources->memory->disable_oom_killer, false);
  EXPECT_FALSE(resources->memory->reservation);
  EXPECT_EQ(resources->cpu->shares, 512u);
  EXPECT_EQ(resources->cpu->quota, 50000);
  EXPECT_EQ(resources->cpu->cpus, "0-1");
  EXPECT_EQ(resources->pids->limit, 100);
  EXPECT_EQ(resources->block_io->weight, 100);
  EXPECT_EQ(resources->block_io->throttle_read_bps_device.at(0).rate, 1u);
  EXPECT_EQ(resources->hugepage_limits.at(0).page_size, "1GB");
  EXPECT_EQ(resources->unified.at("memory.max"), "max");
  EXPECT_FALSE(resources->network);
  EXPECT_TRUE(resources->devices.empty());
}

TEST(ParseResources, EmptyObjectChangesNothing) {
  auto resources = parse_resources("{}");
  ASSERT_TRUE(resources) << resources.error().message();
  EXPECT_FALSE(resources->memory);
  EXPECT_FALSE(resources->cpu);
  EXPECT_FALSE(resources->pids);
}

TEST(ParseResources, Errors) {
  auto error = [](std::string_view text) {
    auto resources = parse_resources(text);
    return resources ? std::string("parsed") : resources.error().message();
  };
  EXPECT_THAT(error("{,}"), HasSubstr("resources is not valid JSON"));
  EXPECT_EQ(error(R"({"memory": {"limit": "512M"}})"),
            "memory.limit: expected an integer, got string");
  EXPECT_EQ(error(R"({"pids": {}})"), "pids.limit: missing required field");
  EXPECT_EQ(error(R"({"cpu": {"shares": -2}})"),
            "cpu.shares: value -2 is out of range (0..18446744073709551615)");
  EXPECT_EQ(error(R"({"blockIO": {"weightDevice": [{"major": 8}]}})"),
            "blockIO.weightDevice[0].minor: missing required field");
  EXPECT_EQ(error(R"({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]})"),
            "hugepageLimits[0].pageSize: invalid hugepage size \"2M\" "
            "(expected e.g. \"2MB\", \"64KB\", \"1GB\")");
}

}  // namespace
}  // namespace krill::oci
