// config-linux.md "Network Devices": host devices moved into the container's network namespace.
// The devices are veth pairs made by the test in its own network namespace (main.cpp unshares
// one per test process), never the machine's interfaces (this kernel has no dummy driver); one
// end is moved, its peer stays. `ip` (iproute2) is only the test's tool, the runtime talks
// rtnetlink itself.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "harness.h"

namespace krill::it {
namespace {

CommandResult ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

bool host_has_device(const std::string& name) { return ip({"link", "show", "dev", name}).ok(); }

// A veth pair in the test's namespace: name() is the end to move, peer() stays here. Deleted at
// the end if still here (deleting either end deletes both).
class Dummy {
 public:
  explicit Dummy(const std::string& hint) {
    static int counter = 0;
    name_ = hint + std::to_string(getpid() % 10000) + "x" + std::to_string(++counter);
    peer_ = name_ + "p";
    CommandResult r = ip({"link", "add", name_, "type", "veth", "peer", "name", peer_});
    if (!r.ok()) error_ = r.describe();
  }
  ~Dummy() {
    if (host_has_device(name_)) ip({"link", "del", name_});
    if (host_has_device(peer_)) ip({"link", "del", peer_});
  }
  const std::string& name() const { return name_; }
  const std::string& peer() const { return peer_; }
  const std::string& error() const { return error_; }

 private:
  std::string name_;
  std::string peer_;
  std::string error_;
};

bool has_address(const json& device, const std::string& address) {
  const json& list = device["addresses"];
  return std::find(list.begin(), list.end(), json(address)) != list.end();
}

class NetDevices : public ::testing::Test {
 protected:
  void SetUp() override {
    if (runtime_is_runc()) GTEST_SKIP() << "runc 1.1 predates linux.netDevices (runtime-spec 1.3)";
    if (!have_program("ip")) GTEST_SKIP() << "iproute2's ip is missing";
    KRILL_SKIP_IF_ROOTLESS(
        "moving a network device out of the runtime's network namespace needs CAP_NET_ADMIN "
        "over it, that is in the host's user namespace");
  }
};

// "MUST be made available", "name" renames it, "MUST preserve ... permanent IP addresses ... with
// global scope", "MUST set the network device state to up"; and the runtime does not move it
// back: the kernel destroys a virtual device (and so the veth pair) with the namespace.
TEST_F(NetDevices, MovedRenamedUpWithItsGlobalAddresses) {
  Dummy dummy("kitd");
  ASSERT_TRUE(dummy.error().empty()) << dummy.error();
  ASSERT_TRUE(ip({"addr", "add", "10.77.0.2/24", "dev", dummy.name()}).ok());
  ASSERT_TRUE(ip({"addr", "add", "fd77::2/64", "dev", dummy.name(), "nodad"}).ok());
  ASSERT_TRUE(ip({"addr", "add", "10.78.0.2/24", "scope", "link", "dev", dummy.name()}).ok());
  Bundle bundle;
  bundle.config["linux"]["netDevices"] = {{dummy.name(), {{"name", "ctr0"}}}};
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  const json& devices = probe.report["net_devices"];
  ASSERT_TRUE(devices.contains("ctr0")) << devices.dump();
  EXPECT_FALSE(devices.contains(dummy.name())) << devices.dump();
  EXPECT_EQ(devices["ctr0"]["up"], true) << devices.dump();
  EXPECT_TRUE(has_address(devices["ctr0"], "10.77.0.2/24")) << devices.dump();
  EXPECT_TRUE(has_address(devices["ctr0"], "fd77::2/64")) << devices.dump();
  EXPECT_FALSE(has_address(devices["ctr0"], "10.78.0.2/24"))
      << "a link-scope address was carried over: " << devices.dump();
  EXPECT_FALSE(host_has_device(dummy.name())) << "still on the host while the container ran";
  EXPECT_TRUE(eventually([&] {
    return !host_has_device(dummy.name()) && !host_has_device("ctr0") &&
           !host_has_device(dummy.peer());
  })) << "the device came back to the runtime's namespace, or outlived it";
}

// Without "name" the host name is kept; with "%d" the kernel numbers it in the container.
TEST_F(NetDevices, HostNameKeptAndTemplateNumbered) {
  Dummy kept("kitk");
  Dummy numbered("kitn");
  ASSERT_TRUE(kept.error().empty() && numbered.error().empty()) << kept.error() << numbered.error();
  Bundle bundle;
  bundle.config["linux"]["netDevices"] = {{kept.name(), json::object()},
                                          {numbered.name(), {{"name", "kitnet%d"}}}};
  ProbeRun probe = run_probe(bundle);
  ASSERT_TRUE(probe.ok()) << probe.result.describe();
  const json& devices = probe.report["net_devices"];
  EXPECT_TRUE(devices.contains(kept.name())) << devices.dump();
  EXPECT_TRUE(devices.contains("kitnet0")) << devices.dump();
  EXPECT_EQ(devices.value(kept.name(), json::object()).value("up", false), true);
}

// runtime.md Errors: a device missing on the host, or a name already taken inside, fails the
// create naming the entry, before anything moved; nothing is left behind.
TEST_F(NetDevices, UnknownDeviceOrTakenNameFailsAndNothingMoves) {
  Dummy dummy("kite");
  ASSERT_TRUE(dummy.error().empty()) << dummy.error();
  {
    Bundle bundle;
    bundle.config["linux"]["netDevices"] = {{dummy.name(), json::object()},
                                            {"kitnosuch0", json::object()}};
    Container c(bundle);
    CommandResult r = c.create();
    EXPECT_NE(r.exit_code, 0) << r.describe();
    EXPECT_NE(r.err.find("linux.netDevices.kitnosuch0"), std::string::npos) << r.err;
    EXPECT_FALSE(c.state().ok());
    EXPECT_FALSE(path_exists(state_root() + "/" + c.id()));
    EXPECT_TRUE(host_has_device(dummy.name())) << "moved although create failed";
    EXPECT_TRUE(eventually([&] { return marked_processes("KRILL_IT_ID=" + c.id()).empty(); }))
        << "a process of the failed create is still running";
  }
  {
    Bundle bundle;
    bundle.config["linux"]["netDevices"] = {{dummy.name(), {{"name", "lo"}}}};
    Container c(bundle);
    CommandResult r = c.create();
    EXPECT_NE(r.exit_code, 0) << r.describe();
    EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
    EXPECT_FALSE(c.state().ok());
    EXPECT_TRUE(host_has_device(dummy.name())) << "moved although create failed";
  }
}

}  // namespace
}  // namespace krill::it
