#include "network/cni_plugin.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/file_io.h"

namespace krill::network {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// A temporary directory removed with everything in it, whatever way the test ends.
class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/krill-cni-test-XXXXXX";
    if (::mkdtemp(templ)) path_ = templ;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (!path_.empty()) (void)remove_all(path_);
  }
  const std::string& path() const { return path_; }

  // Writes an executable file `name` with `content`; returns its path.
  std::string add_executable(const std::string& name, const std::string& content = "") const {
    const std::string file = path_ + "/" + name;
    EXPECT_TRUE(write_file_atomic(file, content, 0755, Durability::kVolatile));
    return file;
  }

 private:
  std::string path_;
};

struct Call {
  std::string path;
  std::string command;  // CNI_COMMAND
  std::vector<std::string> env;
  json stdin_json;
};

// Records each run and answers from a script keyed by "<plugin> <COMMAND>"; unscripted runs
// print a small result naming the plugin.
class FakeExecutor : public PluginExecutor {
 public:
  Result<std::string> exec(const std::string& path, const std::vector<std::string>& env,
                           std::string_view stdin_data) override {
    Call call;
    call.path = path;
    call.env = env;
    for (const auto& var : env)
      if (var.starts_with("CNI_COMMAND=")) call.command = var.substr(12);
    call.stdin_json = json::parse(stdin_data, nullptr, false);
    calls.push_back(call);
    const std::string plugin = path.substr(path.rfind('/') + 1);
    auto it = script.find(plugin + " " + call.command);
    if (it != script.end()) return it->second;
    if (call.command != "ADD") return std::string();
    return json{{"cniVersion", "1.0.0"},
                {"interfaces", json::array({{{"name", plugin}}})},
                {"ips", json::array()}}
        .dump();
  }

  // "bridge ADD", "portmap DEL", ... in the order they ran.
  std::vector<std::string> sequence() const {
    std::vector<std::string> out;
    for (const auto& call : calls)
      out.push_back(call.path.substr(call.path.rfind('/') + 1) + " " + call.command);
    return out;
  }

  std::map<std::string, Result<std::string>> script;
  std::vector<Call> calls;
};

constexpr const char* kConflist = R"({
  "cniVersion": "1.0.0",
  "name": "krill-net",
  "plugins": [
    {"type": "bridge", "bridge": "krill0", "ipam": {"type": "host-local"}},
    {"type": "portmap", "capabilities": {"portMappings": true, "ips": false}},
    {"type": "firewall", "backend": "iptables"},
    {"type": "tuning", "capabilities": {"mac": true}}
  ]
})";

class CniPluginListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    for (const char* name : {"bridge", "portmap", "firewall", "tuning"}) dir_.add_executable(name);
    auto parsed = CniNetworkList::parse(kConflist);
    ASSERT_TRUE(parsed) << parsed.error().message();
    list_ = std::move(*parsed);
    invocation_.container_id = "c0ffee";
    invocation_.netns_path = "/run/krill/netns/c0ffee";
    invocation_.ifname = "eth0";
    invocation_.args = {{"K8S_POD_NAME", "web"}, {"FOO", "bar"}};
    invocation_.capability_args = {
        {"portMappings", R"([{"hostPort":8080,"containerPort":80,"protocol":"tcp"}])"},
        {"ips", R"(["10.88.0.5/16"])"},
        {"mac", R"("aa:bb:cc:dd:ee:ff")"},
    };
    dirs_ = {"/nonexistent/krill-cni", dir_.path()};
  }

  TempDir dir_;
  CniNetworkList list_;
  CniInvocation invocation_;
  std::vector<std::string> dirs_;
  FakeExecutor executor_;
};

TEST_F(CniPluginListTest, ParseReadsNameAndVersion) {
  EXPECT_EQ(list_.name(), "krill-net");
  EXPECT_EQ(list_.cni_version(), "1.0.0");
}

TEST_F(CniPluginListTest, ParseRejectsWhatIsNotAConflist) {
  auto missing = CniNetworkList::parse(R"({"cniVersion":"1.0.0","name":"n","type":"bridge"})");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "CNI config: plugins: missing");
  EXPECT_FALSE(CniNetworkList::parse("not json"));
  EXPECT_FALSE(CniNetworkList::parse(R"({"cniVersion":"1.0.0","name":"n","plugins":[]})"));
  EXPECT_FALSE(CniNetworkList::parse(R"({"cniVersion":"1.0.0","name":"n","plugins":[{}]})"));
  EXPECT_FALSE(CniNetworkList::parse(R"({"cniVersion":"1.0.0","plugins":[{"type":"x"}]})"));
}

TEST_F(CniPluginListTest, AddChainsResultsAndFiltersRuntimeConfig) {
  auto result = list_.add(invocation_, dirs_, executor_);
  ASSERT_TRUE(result) << result.error().message();
  ASSERT_EQ(executor_.calls.size(), 4u);
  EXPECT_EQ(executor_.sequence(),
            (std::vector<std::string>{"bridge ADD", "portmap ADD", "firewall ADD", "tuning ADD"}));

  for (const auto& call : executor_.calls) {
    ASSERT_TRUE(call.stdin_json.is_object());
    EXPECT_EQ(call.stdin_json["name"], "krill-net");
    EXPECT_EQ(call.stdin_json["cniVersion"], "1.0.0");
    EXPECT_EQ(call.path.substr(0, dir_.path().size()), dir_.path());
  }

  const json& bridge = executor_.calls[0].stdin_json;
  EXPECT_EQ(bridge["type"], "bridge");
  EXPECT_EQ(bridge["bridge"], "krill0");
  EXPECT_EQ(bridge["ipam"]["type"], "host-local");
  EXPECT_FALSE(bridge.contains("prevResult"));     // the first plugin has none
  EXPECT_FALSE(bridge.contains("runtimeConfig"));  // declares no capabilities

  const json& portmap = executor_.calls[1].stdin_json;
  EXPECT_EQ(portmap["prevResult"]["interfaces"][0]["name"], "bridge");
  // Only the capability it declares true: portMappings, not ips, not mac.
  EXPECT_EQ(portmap["runtimeConfig"],
            json::parse(R"({"portMappings":[{"hostPort":8080,"containerPort":80,
                            "protocol":"tcp"}]})"));

  const json& firewall = executor_.calls[2].stdin_json;
  EXPECT_EQ(firewall["prevResult"]["interfaces"][0]["name"], "portmap");
  EXPECT_FALSE(firewall.contains("runtimeConfig"));
  EXPECT_EQ(firewall["backend"], "iptables");

  const json& tuning = executor_.calls[3].stdin_json;
  EXPECT_EQ(tuning["prevResult"]["interfaces"][0]["name"], "firewall");
  EXPECT_EQ(tuning["runtimeConfig"], json::parse(R"({"mac":"aa:bb:cc:dd:ee:ff"})"));

  // The list's result is the last plugin's, as it printed it.
  ASSERT_EQ(result->interfaces.size(), 1u);
  EXPECT_EQ(result->interfaces[0].name, "tuning");
  EXPECT_EQ(json::parse(result->json)["interfaces"][0]["name"], "tuning");
}

TEST_F(CniPluginListTest, EnvironmentCarriesTheInvocation) {
  ASSERT_TRUE(list_.add(invocation_, dirs_, executor_));
  const Call& call = executor_.calls[0];
  EXPECT_EQ(call.path, dir_.path() + "/bridge");
  EXPECT_THAT(
      call.env,
      ::testing::UnorderedElementsAre(
          "CNI_COMMAND=ADD", "CNI_CONTAINERID=c0ffee", "CNI_NETNS=/run/krill/netns/c0ffee",
          "CNI_IFNAME=eth0", "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=web;FOO=bar",
          "CNI_PATH=/nonexistent/krill-cni:" + dir_.path(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin"));
}

TEST_F(CniPluginListTest, ArgsAreOnlyIgnoreUnknownWhenNoneGiven) {
  invocation_.args.clear();
  ASSERT_TRUE(list_.add(invocation_, dirs_, executor_));
  EXPECT_THAT(executor_.calls[0].env, ::testing::Contains("CNI_ARGS=IgnoreUnknown=1"));
}

TEST_F(CniPluginListTest, FirstDirectoryWithThePluginWins) {
  TempDir first;
  first.add_executable("bridge");
  // Not executable: skipped in favour of the next directory.
  ASSERT_TRUE(write_file_atomic(first.path() + "/portmap", "", 0644, Durability::kVolatile));
  ASSERT_TRUE(list_.add(invocation_, {first.path(), dir_.path()}, executor_));
  EXPECT_EQ(executor_.calls[0].path, first.path() + "/bridge");
  EXPECT_EQ(executor_.calls[1].path, dir_.path() + "/portmap");
}

TEST_F(CniPluginListTest, AddFailureRollsBackThePluginsThatRanTheFailedOneToo) {
  executor_.script["firewall ADD"] = std::unexpected(Error("iptables: No chain"));
  executor_.script["bridge DEL"] = std::unexpected(Error("ignored during rollback"));
  auto result = list_.add(invocation_, dirs_, executor_);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "plugin firewall (ADD): iptables: No chain");
  // The failed plugin may have done part of its work: it gets a DEL as well.
  EXPECT_EQ(executor_.sequence(),
            (std::vector<std::string>{"bridge ADD", "portmap ADD", "firewall ADD", "firewall DEL",
                                      "portmap DEL", "bridge DEL"}));
  // The rollback DELs see the last result there was.
  EXPECT_EQ(executor_.calls[3].stdin_json["prevResult"]["interfaces"][0]["name"], "portmap");
  EXPECT_EQ(executor_.calls[5].stdin_json["prevResult"]["interfaces"][0]["name"], "portmap");
}

TEST_F(CniPluginListTest, FirstPluginFailureRunsItsDelOnly) {
  executor_.script["bridge ADD"] = std::unexpected(Error("no bridge for you"));
  auto result = list_.add(invocation_, dirs_, executor_);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "plugin bridge (ADD): no bridge for you");
  EXPECT_EQ(executor_.sequence(), (std::vector<std::string>{"bridge ADD", "bridge DEL"}));
}

TEST_F(CniPluginListTest, InvalidResultIsAFailureThatRollsBackItsPlugin) {
  executor_.script["portmap ADD"] = std::string("this is not json");
  auto result = list_.add(invocation_, dirs_, executor_);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr("plugin portmap (ADD)"));
  EXPECT_EQ(executor_.sequence(),
            (std::vector<std::string>{"bridge ADD", "portmap ADD", "portmap DEL", "bridge DEL"}));
}

TEST_F(CniPluginListTest, MissingPluginNamesTheDirectories) {
  ASSERT_EQ(::unlink((dir_.path() + "/firewall").c_str()), 0);
  auto result = list_.add(invocation_, dirs_, executor_);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(),
              HasSubstr("failed to find plugin \"firewall\" in path [/nonexistent/krill-cni " +
                        dir_.path() + "]"));
  // The two before it are rolled back.
  EXPECT_EQ(executor_.sequence(),
            (std::vector<std::string>{"bridge ADD", "portmap ADD", "portmap DEL", "bridge DEL"}));
}

TEST_F(CniPluginListTest, PluginTypeCannotLeaveThePluginDirectories) {
  auto list = CniNetworkList::parse(
      R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"../bridge"}]})");
  ASSERT_TRUE(list);
  auto result = list->add(invocation_, dirs_, executor_);
  ASSERT_FALSE(result);
  EXPECT_TRUE(executor_.calls.empty());
}

TEST_F(CniPluginListTest, DelRunsInReverseWithTheCachedResultAndKeepsGoing) {
  const std::string cached = R"({"cniVersion":"1.0.0","interfaces":[{"name":"cached"}]})";
  executor_.script["firewall DEL"] = std::unexpected(Error("first failure"));
  executor_.script["bridge DEL"] = std::unexpected(Error("second failure"));
  auto result = list_.del(invocation_, cached, dirs_, executor_);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "plugin firewall (DEL): first failure");
  EXPECT_EQ(executor_.sequence(),
            (std::vector<std::string>{"tuning DEL", "firewall DEL", "portmap DEL", "bridge DEL"}));
  for (const auto& call : executor_.calls) {
    EXPECT_EQ(call.stdin_json["prevResult"], json::parse(cached));
    EXPECT_THAT(call.env, ::testing::Contains("CNI_COMMAND=DEL"));
  }
  EXPECT_EQ(executor_.calls[2].stdin_json["runtimeConfig"]["portMappings"][0]["hostPort"], 8080);
}

TEST_F(CniPluginListTest, DelWithoutCachedResultSendsNoPrevResult) {
  ASSERT_TRUE(list_.del(invocation_, "", dirs_, executor_));
  ASSERT_EQ(executor_.calls.size(), 4u);
  for (const auto& call : executor_.calls) EXPECT_FALSE(call.stdin_json.contains("prevResult"));
}

TEST_F(CniPluginListTest, DelWithMissingPluginStillRunsTheOthers) {
  ASSERT_EQ(::unlink((dir_.path() + "/portmap").c_str()), 0);
  auto result = list_.del(invocation_, "", dirs_, executor_);
  ASSERT_FALSE(result);
  EXPECT_THAT(result.error().message(), HasSubstr("failed to find plugin \"portmap\""));
  EXPECT_EQ(executor_.sequence(),
            (std::vector<std::string>{"tuning DEL", "firewall DEL", "bridge DEL"}));
}

TEST_F(CniPluginListTest, CheckRunsInOrderWithTheCachedResult) {
  const std::string cached = R"({"cniVersion":"1.0.0","ips":[{"address":"10.88.0.5/16"}]})";
  ASSERT_TRUE(list_.check(invocation_, cached, dirs_, executor_));
  EXPECT_EQ(executor_.sequence(), (std::vector<std::string>{"bridge CHECK", "portmap CHECK",
                                                            "firewall CHECK", "tuning CHECK"}));
  for (const auto& call : executor_.calls)
    EXPECT_EQ(call.stdin_json["prevResult"], json::parse(cached));

  executor_.calls.clear();
  executor_.script["portmap CHECK"] = std::unexpected(Error("rule missing"));
  auto failed = list_.check(invocation_, cached, dirs_, executor_);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message(), "plugin portmap (CHECK): rule missing");
  EXPECT_EQ(executor_.calls.size(), 2u);

  EXPECT_FALSE(list_.check(invocation_, "", dirs_, executor_));
}

TEST(CniPluginResultTest, Parses100Result) {
  auto result = parse_cni_result(R"({
    "cniVersion": "1.0.0",
    "interfaces": [
      {"name": "krill0", "mac": "0a:58:0a:58:00:01"},
      {"name": "veth1234", "mac": "4e:1f:2a:3b:4c:5d"},
      {"name": "eth0", "mac": "aa:bb:cc:dd:ee:ff", "sandbox": "/run/krill/netns/c1"}
    ],
    "ips": [
      {"address": "10.88.0.5/16", "gateway": "10.88.0.1", "interface": 2},
      {"address": "fd00::5/64", "interface": 2}
    ],
    "routes": [{"dst": "0.0.0.0/0", "gw": "10.88.0.1"}],
    "dns": {"nameservers": ["10.88.0.1"]}
  })");
  ASSERT_TRUE(result) << result.error().message();
  ASSERT_EQ(result->interfaces.size(), 3u);
  EXPECT_EQ(result->interfaces[2].name, "eth0");
  EXPECT_EQ(result->interfaces[2].mac, "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(result->interfaces[2].sandbox, "/run/krill/netns/c1");
  EXPECT_EQ(result->interfaces[0].sandbox, "");
  ASSERT_EQ(result->ips.size(), 2u);
  EXPECT_EQ(result->ips[0].address, "10.88.0.5/16");
  EXPECT_EQ(result->ips[0].gateway, "10.88.0.1");
  EXPECT_EQ(result->ips[0].interface, 2);
  EXPECT_EQ(result->ips[1].address, "fd00::5/64");
  EXPECT_EQ(result->ips[1].gateway, "");
  EXPECT_THAT(result->json, HasSubstr("\"routes\""));
}

TEST(CniPluginResultTest, Parses040Result) {
  auto result = parse_cni_result(R"({
    "cniVersion": "0.4.0",
    "interfaces": [{"name": "eth0", "sandbox": "/proc/42/ns/net"}],
    "ips": [{"version": "4", "address": "10.1.2.3/24", "gateway": "10.1.2.1"}],
    "dns": {}
  })");
  ASSERT_TRUE(result) << result.error().message();
  ASSERT_EQ(result->ips.size(), 1u);
  EXPECT_EQ(result->ips[0].address, "10.1.2.3/24");
  EXPECT_EQ(result->ips[0].gateway, "10.1.2.1");
  EXPECT_EQ(result->ips[0].interface, -1);
  ASSERT_EQ(result->interfaces.size(), 1u);
  EXPECT_EQ(result->interfaces[0].mac, "");
}

TEST(CniPluginResultTest, RejectsGarbage) {
  EXPECT_FALSE(parse_cni_result(""));
  EXPECT_FALSE(parse_cni_result("garbage"));
  EXPECT_FALSE(parse_cni_result("[1,2]"));
  EXPECT_FALSE(parse_cni_result(R"({"ips": "10.0.0.1"})"));
  EXPECT_FALSE(parse_cni_result(R"({"ips": [{"gateway": "10.0.0.1"}]})"));
  EXPECT_FALSE(parse_cni_result(R"({"ips": [{"address": "10.0.0.2/8", "interface": 3}]})"));
  EXPECT_FALSE(parse_cni_result(R"({"interfaces": [{"name": 5}]})"));
  EXPECT_TRUE(parse_cni_result(R"({"cniVersion": "1.0.0"})"));
}

// The real executor, with /bin/sh scripts as plugins.
class CniPluginProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(dir_.path().empty()); }
  std::string script(const std::string& name, const std::string& body) {
    return dir_.add_executable(name, "#!/bin/sh\n" + body + "\n");
  }
  TempDir dir_;
  std::unique_ptr<PluginExecutor> executor_ = make_process_plugin_executor();
};

TEST_F(CniPluginProcessTest, EchoesStdinAndSeesOnlyTheGivenEnvironment) {
  const std::string path = script("echo", "cat; printf '|%s|%s' \"$CNI_COMMAND\" \"$HOME\"");
  auto output = executor_->exec(path, {"CNI_COMMAND=ADD"}, R"({"hello":"world"})");
  ASSERT_TRUE(output) << output.error().message();
  EXPECT_EQ(*output, R"({"hello":"world"}|ADD|)");
}

TEST_F(CniPluginProcessTest, ErrorObjectBecomesTheMessage) {
  const std::string path = script(
      "fail",
      R"(printf '{"cniVersion":"1.0.0","code":7,"msg":"failed to set up","details":"no veth"}')"
      "\necho 'log noise' >&2\nexit 1");
  auto output = executor_->exec(path, {}, "{}");
  ASSERT_FALSE(output);
  EXPECT_EQ(output.error().message(), "failed to set up: no veth");

  const std::string bare =
      script("bare", R"(printf '{"code":11,"msg":"try again later"}'; exit 1)");
  output = executor_->exec(bare, {}, "{}");
  ASSERT_FALSE(output);
  EXPECT_EQ(output.error().message(), "try again later");
}

TEST_F(CniPluginProcessTest, FailureWithoutErrorObjectReportsStatusAndStderr) {
  const std::string path = script("crash", "echo 'panic: something broke' >&2; exit 3");
  auto output = executor_->exec(path, {}, "{}");
  ASSERT_FALSE(output);
  EXPECT_EQ(output.error().message(), "exit status 3: panic: something broke");

  const std::string killed = script("killed", "kill -9 $$");
  output = executor_->exec(killed, {}, "");
  ASSERT_FALSE(output);
  EXPECT_THAT(output.error().message(), HasSubstr("killed by signal 9"));
}

TEST_F(CniPluginProcessTest, LargeOutputOnBothPipesBeforeReadingStdinDoesNotDeadlock) {
  // Writes 2 MiB to stdout and 2 MiB to stderr before reading any of its 2 MiB of input: a
  // runner that writes all of stdin first, or reads one pipe to the end, hangs here.
  const std::string path = script("big",
                                  "head -c 2097152 /dev/zero | tr '\\0' a\n"
                                  "head -c 2097152 /dev/zero >&2\n"
                                  "wc -c | tr -d ' ' >&2\n"
                                  "exit 0");
  const std::string input(2 * 1024 * 1024, 'x');
  auto output = executor_->exec(path, {"PATH=/usr/bin:/bin"}, input);
  ASSERT_TRUE(output) << output.error().message();
  EXPECT_EQ(output->size(), 2097152u);
  EXPECT_EQ(output->find_first_not_of('a'), std::string::npos);
}

TEST_F(CniPluginProcessTest, PluginThatIgnoresStdinIsFine) {
  const std::string path = script("ignore", "exec 0<&-\nprintf ok");
  const std::string input(1024 * 1024, 'x');
  auto output = executor_->exec(path, {}, input);
  ASSERT_TRUE(output) << output.error().message();
  EXPECT_EQ(*output, "ok");
}

TEST_F(CniPluginProcessTest, NoOtherDescriptorsReachThePlugin) {
  // An fd opened without O_CLOEXEC, as a careless library might.
  const int leaked = ::fcntl(STDERR_FILENO, F_DUPFD, 100);
  ASSERT_GE(leaked, 100);
  const std::string path = script("fds", "ls /proc/self/fd");
  auto output = executor_->exec(path, {"PATH=/usr/bin:/bin"}, "");
  ::close(leaked);
  ASSERT_TRUE(output) << output.error().message();
  // 0-2, plus the directory ls itself has open.
  std::vector<std::string> fds;
  std::string line;
  for (char c : *output) {
    if (c == '\n') {
      fds.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  EXPECT_THAT(fds, ::testing::Not(::testing::Contains(std::to_string(leaked))));
  EXPECT_LE(fds.size(), 4u) << *output;
}

TEST_F(CniPluginProcessTest, MissingExecutableIsAnError) {
  auto output = executor_->exec(dir_.path() + "/absent", {}, "{}");
  ASSERT_FALSE(output);
  EXPECT_THAT(output.error().message(), HasSubstr("exec " + dir_.path() + "/absent"));
  EXPECT_EQ(output.error().errno_value(), ENOENT);
}

TEST_F(CniPluginProcessTest, RunsAListThroughTheRealExecutor) {
  // Names its interface after CNI_IFNAME: the invocation reaches a real process and back.
  script("count", R"(printf '{"cniVersion":"1.0.0","interfaces":[{"name":"%s"}]}' "$CNI_IFNAME")");
  auto list =
      CniNetworkList::parse(R"({"cniVersion":"1.0.0","name":"n","plugins":[{"type":"count"}]})");
  ASSERT_TRUE(list);
  CniInvocation invocation;
  invocation.ifname = "eth7";
  auto result = list->add(invocation, {dir_.path()}, *executor_);
  ASSERT_TRUE(result) << result.error().message();
  ASSERT_EQ(result->interfaces.size(), 1u);
  EXPECT_EQ(result->interfaces[0].name, "eth7");
}

}  // namespace
}  // namespace krill::network
