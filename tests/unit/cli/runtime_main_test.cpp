// The command line as a whole, on paths that need no container.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/runtime/commands.h"
#include "cli/runtime/global_flags.h"
#include "cli/runtime/runtime_cli.h"

namespace krill::cli {
namespace {

struct Outcome {
  int status;
  std::string out;
  std::string err;
};

Outcome run(std::vector<std::string> args, std::string input = "") {
  args.insert(args.begin(), "krill-runtime");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::istringstream in(input);
  std::ostringstream out, err;
  int status = runtime_main(static_cast<int>(args.size()), argv.data(), in, out, err);
  return {status, out.str(), err.str()};
}

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/krill-cli-main-XXXXXX";
    path_ = ::mkdtemp(name);
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(RuntimeMain, NoArgumentsPrintsHelp) {
  auto outcome = run({});
  EXPECT_EQ(outcome.status, 0);
  EXPECT_NE(outcome.out.find("create"), std::string::npos);
  EXPECT_NE(outcome.out.find("--systemd-cgroup"), std::string::npos);
}

TEST(RuntimeMain, Version) {
  for (const char* flag : {"--version", "-v"}) {
    auto outcome = run({flag});
    EXPECT_EQ(outcome.status, 0);
    EXPECT_EQ(outcome.out.rfind("krill-runtime version ", 0), 0u);
    EXPECT_NE(outcome.out.find("spec: 1.3.0"), std::string::npos);
  }
}

TEST(RuntimeMain, CommandHelpHasUsageAndExample) {
  auto outcome = run({"kill", "--help"});
  EXPECT_EQ(outcome.status, 0);
  EXPECT_NE(outcome.out.find("Usage: krill-runtime kill [options] <container-id> [signal]"),
            std::string::npos)
      << outcome.out;
  EXPECT_NE(outcome.out.find("krill-runtime kill web1 KILL"), std::string::npos);
  EXPECT_NE(outcome.out.find("--all"), std::string::npos);
  auto help = run({"help", "exec"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--additional-gids"), std::string::npos);
  auto alias = run({"h", "list"});
  EXPECT_EQ(alias.status, 0);
  EXPECT_NE(alias.out.find("--quiet"), std::string::npos);
}

TEST(RuntimeMain, ContainerIdsMayNameCommands) {
  auto outcome = run({"kill", "list", "FOO"});  // container "list"; fails on the signal
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err, "krill-runtime: error: unknown signal \"FOO\"\n");
}

TEST(RuntimeMain, UnknownCommandExits3LikeRunc) {
  auto outcome = run({"frobnicate"});
  EXPECT_EQ(outcome.status, 3);
  EXPECT_EQ(outcome.err, "krill-runtime: error: No help topic for 'frobnicate'\n");
  EXPECT_EQ(run({"help", "frobnicate"}).status, 3);
}

TEST(RuntimeMain, UsageErrorsExit1) {
  auto flag = run({"--frobnicate", "list"});
  EXPECT_EQ(flag.status, 1);
  EXPECT_EQ(flag.err.rfind("krill-runtime: error: ", 0), 0u);
  EXPECT_EQ(run({"start"}).status, 1);
  EXPECT_EQ(run({"kill", "a", "b", "c"}).status, 1);
  EXPECT_EQ(run({"list", "--bogus"}).status, 1);
  EXPECT_EQ(run({"list", "extra"}).status, 1);
}

TEST(RuntimeMain, BadGlobalValuesExit1) {
  auto format = run({"--log-format", "xml", "features"});
  EXPECT_EQ(format.status, 1);
  EXPECT_EQ(format.err, "krill-runtime: error: invalid log-format: xml\n");
  EXPECT_EQ(run({"--rootless", "maybe", "features"}).status, 1);
}

TEST(RuntimeMain, ErrorsAlsoGoToTheJsonLogFile) {
  TempDir dir;
  std::string log = dir.path() + "/log.json";
  auto outcome = run({"--log", log, "--log-format", "json", "kill", "c1", "FOO"});
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err, "krill-runtime: error: unknown signal \"FOO\"\n");
  std::ifstream file(log);
  std::string line;
  ASSERT_TRUE(std::getline(file, line));
  auto record = nlohmann::json::parse(line);
  EXPECT_EQ(record["level"], "error");
  EXPECT_EQ(record["msg"], "unknown signal \"FOO\"");
}

TEST(RuntimeMain, SystemdCgroupNeedsSystemd) {
  struct stat info {};
  if (::stat(kSystemdRunningMarker, &info) == 0) GTEST_SKIP() << "systemd is running here";
  auto outcome = run({"--systemd-cgroup", "create", "--bundle", "/nonexistent", "c1"});
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err,
            "krill-runtime: error: systemd cgroup driver requested but systemd is not running "
            "(no /run/systemd/system)\n");
}

TEST(RuntimeMain, ExecWithoutCommandExits255) {
  auto outcome = run({"exec", "c1"});
  EXPECT_EQ(outcome.status, 255);
  EXPECT_EQ(outcome.err.rfind("krill-runtime: error: exec failed: ", 0), 0u) << outcome.err;
}

TEST(RuntimeMain, InvalidListFormat) {
  auto outcome = run({"list", "--format", "yaml"});
  EXPECT_EQ(outcome.status, 1);
  EXPECT_EQ(outcome.err, "krill-runtime: error: invalid format option\n");
}

TEST(RuntimeMain, EventsRejectsBadInterval) {
  EXPECT_EQ(run({"events", "--interval", "0s", "c1"}).err,
            "krill-runtime: error: duration interval must be greater than 0\n");
  EXPECT_EQ(run({"events", "--interval", "soon", "c1"}).status, 1);
}

TEST(RuntimeMain, UpdateReportsBadInputBeforeTouchingTheContainer) {
  EXPECT_EQ(run({"update", "-r", "/nonexistent.json", "c1"}).err,
            "krill-runtime: error: open /nonexistent.json: No such file or directory\n");
  auto bad_json = run({"update", "-r", "-", "c1"}, "{not json");
  EXPECT_EQ(bad_json.status, 1);
  EXPECT_EQ(bad_json.err.rfind("krill-runtime: error: ", 0), 0u);
  EXPECT_EQ(run({"update", "--memory", "lots", "c1"}).err,
            "krill-runtime: error: invalid value for memory: invalid size: 'lots'\n");
  EXPECT_EQ(run({"update", "--l3-cache-schema", "L3:0=f", "c1"}).err,
            "krill-runtime: error: updating Intel RDT schemata is not supported\n");
}

TEST(Spec, WritesConfigAndRefusesToOverwrite) {
  TempDir dir;
  auto first = run({"spec", "--bundle", dir.path()});
  EXPECT_EQ(first.status, 0) << first.err;
  std::ifstream config(dir.path() + "/config.json");
  ASSERT_TRUE(config);
  auto spec = nlohmann::json::parse(config);
  EXPECT_EQ(spec["ociVersion"], "1.3.0");
  EXPECT_TRUE(spec.contains("process"));
  auto second = run({"spec", "-b", dir.path()});
  EXPECT_EQ(second.status, 1);
  EXPECT_EQ(second.err, "krill-runtime: error: File config.json exists. Remove it first\n");
}

TEST(Spec, RootlessHasAUserNamespace) {
  TempDir dir;
  SpecOptions options{dir.path(), true};
  ASSERT_TRUE(write_default_spec(options));
  std::ifstream config(dir.path() + "/config.json");
  auto spec = nlohmann::json::parse(config);
  bool user_namespace = false;
  for (const auto& ns : spec["linux"]["namespaces"]) user_namespace |= ns["type"] == "user";
  EXPECT_TRUE(user_namespace);
}

}  // namespace
}  // namespace krill::cli
