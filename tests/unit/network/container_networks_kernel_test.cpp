// ContainerNetworks over real network namespaces (root) with scripted CNI plugins: what setup
// leaves on record, that a failed DEL keeps the network on record for the next try, that a
// leftover of a crash is released before the next setup, and that a failing second attach
// undoes the first. The test process moves into network and mount namespaces of its own first.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "network/container_network.h"
#include "network/network_store.h"

namespace krill::network {
namespace {

using nlohmann::json;

// Answers ADD with an address on the network's first subnet, DEL with success unless told to
// fail; records every call as "TYPE COMMAND IFNAME".
class ScriptedPlugins : public PluginExecutor {
 public:
  Result<std::string> exec(const std::string& path, const std::vector<std::string>& env,
                           std::string_view stdin_data) override {
    std::string command, ifname;
    for (const auto& e : env) {
      if (e.starts_with("CNI_COMMAND=")) command = e.substr(12);
      if (e.starts_with("CNI_IFNAME=")) ifname = e.substr(11);
    }
    std::string type = path.substr(path.rfind('/') + 1);
    calls.push_back(type + " " + command + " " + ifname);
    json config = json::parse(stdin_data);
    if (command == "DEL") {
      if (fail_del_of == type) return fail("scripted DEL failure of " + type);
      return std::string();
    }
    if (fail_add_of == type + " " + ifname) return fail("scripted ADD failure of " + type);
    if (config.contains("prevResult")) return config["prevResult"].dump();
    return json{
        {"cniVersion", "1.0.0"},
        {"interfaces",
         {{{"name", ifname}, {"mac", "02:00:00:00:00:0" + ifname.substr(3)}, {"sandbox", "/x"}}}},
        {"ips",
         {{{"address", "10.91.0." + std::to_string(5 + calls.size()) + "/24"},
           {"gateway", "10.91.0.1"},
           {"interface", 0}}}}}
        .dump();
  }
  std::vector<std::string> calls;
  std::string fail_del_of;
  std::string fail_add_of;  // "TYPE IFNAME"
};

class ContainerNetworksKernel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::unshare(CLONE_NEWNET) != 0)
      GTEST_SKIP() << "unshare(CLONE_NEWNET): " << std::strerror(errno);
    if (::unshare(CLONE_NEWNS) == 0) {
      ASSERT_EQ(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0);
    }
    char templ[] = "/tmp/krill-cn-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
    // Plugin "binaries" only need to exist and be executable: the executor is scripted.
    ASSERT_TRUE(mkdir_all(dir_ + "/plugins", 0700));
    for (const char* type : {"bridge", "portmap", "firewall", "tuning"})
      ASSERT_TRUE(write_file_atomic(dir_ + "/plugins/" + type, "#!/bin/false\n", 0700));
    auto store = NetworkStore::open(dir_ + "/store", NetworkDefaults{}, {});
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::make_unique<NetworkStore>(std::move(*store));
    NetworkCreateOptions one;
    one.name = "one";
    ASSERT_TRUE(store_->create(one));
    NetworkCreateOptions two;
    two.name = "two";
    ASSERT_TRUE(store_->create(two));
    networks_ = std::make_unique<ContainerNetworks>(
        *store_, dir_ + "/run", std::vector<std::string>{dir_ + "/plugins"}, plugins_);
  }
  void TearDown() override {
    if (dir_.empty()) return;
    if (networks_)
      for (const char* id : {"c1", "c2"}) ::umount2(networks_->netns_path(id).c_str(), MNT_DETACH);
    (void)remove_all(dir_);
  }

  bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

  std::string dir_;
  ScriptedPlugins plugins_;
  std::unique_ptr<NetworkStore> store_;
  std::unique_ptr<ContainerNetworks> networks_;
};

TEST_F(ContainerNetworksKernel, SetupRecordsEveryAttachmentAndTeardownRemovesAll) {
  auto state = networks_->setup("c1", "web", {{"one", {"www"}, "", ""}, {"two", {}, "", ""}},
                                {{"", 18090, 80, "tcp"}});
  ASSERT_TRUE(state) << state.error().message();
  ASSERT_EQ(state->networks.size(), 2u);
  EXPECT_EQ(state->networks[0].interface, "eth0");
  EXPECT_EQ(state->networks[1].interface, "eth1");
  EXPECT_EQ(state->networks[0].aliases, std::vector<std::string>{"www"});
  EXPECT_EQ(state->networks[0].gateway, "10.91.0.1");
  EXPECT_EQ(state->ports.size(), 1u);
  EXPECT_TRUE(exists(networks_->netns_path("c1")));
  // Ports go to the first network only: portmap runs for eth0, not for eth1.
  EXPECT_EQ(plugins_.calls,
            (std::vector<std::string>{"bridge ADD eth0", "portmap ADD eth0", "firewall ADD eth0",
                                      "bridge ADD eth1", "firewall ADD eth1"}));
  auto saved = networks_->state("c1");
  ASSERT_TRUE(saved && *saved);
  EXPECT_EQ((*saved)->container_name, "web");
  plugins_.calls.clear();
  ASSERT_TRUE(networks_->teardown("c1"));
  EXPECT_EQ(plugins_.calls,
            (std::vector<std::string>{"firewall DEL eth1", "bridge DEL eth1", "firewall DEL eth0",
                                      "portmap DEL eth0", "bridge DEL eth0"}));
  EXPECT_FALSE(exists(networks_->netns_path("c1")));
  EXPECT_FALSE(exists(networks_->state_path("c1")));
  EXPECT_TRUE(networks_->teardown("c1"));  // idempotent
}

TEST_F(ContainerNetworksKernel, AFailedDelStaysOnRecordForTheNextTry) {
  ASSERT_TRUE(networks_->setup("c1", "web", {{"one", {}, "", ""}, {"two", {}, "", ""}}, {}));
  plugins_.fail_del_of = "bridge";
  auto failed = networks_->teardown("c1");
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message().find("scripted DEL failure"), std::string::npos)
      << failed.error().message();
  EXPECT_FALSE(exists(networks_->netns_path("c1")));  // the namespace goes anyway
  auto kept = networks_->state("c1");
  ASSERT_TRUE(kept && *kept);
  EXPECT_EQ((*kept)->networks.size(), 2u);
  plugins_.fail_del_of.clear();
  plugins_.calls.clear();
  ASSERT_TRUE(networks_->teardown("c1"));
  EXPECT_EQ(plugins_.calls.size(), 4u);
  EXPECT_FALSE(exists(networks_->state_path("c1")));
}

TEST_F(ContainerNetworksKernel, ALeftoverIsReleasedBeforeTheNextSetup) {
  ASSERT_TRUE(networks_->setup("c1", "web", {{"one", {}, "", ""}}, {}));
  // As after a crash: the namespace is gone, the state is not.
  ::umount2(networks_->netns_path("c1").c_str(), MNT_DETACH);
  plugins_.calls.clear();
  auto again = networks_->setup("c1", "web", {{"one", {}, "", ""}}, {});
  ASSERT_TRUE(again) << again.error().message();
  ASSERT_GE(plugins_.calls.size(), 2u);
  EXPECT_EQ(plugins_.calls[0], "firewall DEL eth0");
  EXPECT_EQ(plugins_.calls[1], "bridge DEL eth0");
  ASSERT_TRUE(networks_->teardown("c1"));
}

TEST_F(ContainerNetworksKernel, AFailingSecondAttachUndoesTheFirstAndPortsAreChecked) {
  plugins_.fail_add_of = "bridge eth1";
  auto failed = networks_->setup("c1", "web", {{"one", {}, "", ""}, {"two", {}, "", ""}}, {});
  ASSERT_FALSE(failed);
  EXPECT_FALSE(exists(networks_->netns_path("c1")));
  EXPECT_FALSE(exists(networks_->state_path("c1")));
  EXPECT_NE(std::find(plugins_.calls.begin(), plugins_.calls.end(), "bridge DEL eth0"),
            plugins_.calls.end());
  plugins_.fail_add_of.clear();

  ASSERT_TRUE(networks_->setup("c1", "web", {{"one", {}, "", ""}}, {{"", 18091, 80, "tcp"}}));
  auto taken = networks_->setup("c2", "db", {{"one", {}, "", ""}}, {{"", 18091, 81, "tcp"}});
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().errno_value(), EADDRINUSE);
  EXPECT_FALSE(exists(networks_->netns_path("c2")));
  auto unknown = networks_->setup("c2", "db", {{"nope", {}, "", ""}}, {});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().errno_value(), ENOENT);
  EXPECT_FALSE(exists(networks_->netns_path("c2")));
  ASSERT_TRUE(networks_->teardown("c1"));
}

}  // namespace
}  // namespace krill::network
