#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/runtime/commands.h"

namespace krill::cli {
namespace {

runtime::ContainerSummary summary(std::string id, int pid, oci::Status status, std::string bundle,
                                  std::string created, std::string owner) {
  runtime::ContainerSummary container;
  container.state.id = std::move(id);
  container.state.pid = pid;
  container.state.status = status;
  container.state.bundle = std::move(bundle);
  container.created = std::move(created);
  container.owner = std::move(owner);
  return container;
}

std::vector<runtime::ContainerSummary> two_containers() {
  return {summary("c1", 7009, oci::Status::kCreated, "/tmp/rb", "2026-11-28T08:23:02.957579691Z",
                  "root"),
          summary("web-server-long-name", 0, oci::Status::kStopped, "/containers/web",
                  "2026-11-28T09:00:00.000000001Z", "alice")};
}

TEST(ListTable, EmptyHasTheHeaderOnly) {
  EXPECT_EQ(format_list_table({}),
            "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n");
}

TEST(ListTable, AlignsColumnsLikeRunc) {
  std::vector<runtime::ContainerSummary> one = {two_containers()[0]};
  // Exactly what runc 1.1 prints for this container.
  EXPECT_EQ(
      format_list_table(one),
      "ID          PID         STATUS      BUNDLE      CREATED                          OWNER\n"
      "c1          7009        created     /tmp/rb     2026-11-28T08:23:02.957579691Z   root\n");
  EXPECT_EQ(format_list_table(two_containers()),
            "ID                     PID         STATUS      BUNDLE            CREATED        "
            "                  OWNER\n"
            "c1                     7009        created     /tmp/rb           "
            "2026-11-28T08:23:02.957579691Z   root\n"
            "web-server-long-name   0           stopped     /containers/web   "
            "2026-11-28T09:00:00.000000001Z   alice\n");
}

TEST(ListQuiet, OneIdPerLine) {
  EXPECT_EQ(format_list_quiet(two_containers()), "c1\nweb-server-long-name\n");
  EXPECT_EQ(format_list_quiet({}), "");
}

TEST(ListJson, FieldsAndOrderLikeRunc) {
  auto containers = two_containers();
  containers[1].state.annotations["org.example/key"] = "value";
  for (auto& container : containers) container.rootfs = container.state.bundle + "/rootfs";
  std::string text = format_list_json(containers);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.substr(0, text.find("},")),
            "[{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"pid\":7009,\"status\":\"created\","
            "\"bundle\":\"/tmp/rb\",\"rootfs\":\"/tmp/rb/rootfs\","
            "\"created\":\"2026-11-28T08:23:02.957579691Z\",\"owner\":\"root\"");
  auto parsed = nlohmann::json::parse(text);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[1]["status"], "stopped");
  EXPECT_EQ(parsed[1]["pid"], 0);
  EXPECT_EQ(parsed[1]["owner"], "alice");
  EXPECT_EQ(parsed[1]["annotations"]["org.example/key"], "value");
  EXPECT_EQ(format_list_json({}), "[]\n");
}


}  // namespace
}  // namespace krill::cli
