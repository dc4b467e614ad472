// `run`/`create`/`exec` command lines -> RunFlags/ExecFlags -> engine::ContainerConfig.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/krill/cmd_container_flags.h"
#include "cli/krill/krill_cli.h"

namespace krill::cli {
namespace {

struct Parsed {
  std::optional<int> status;
  std::string out, err;
};

Parsed parse(KrillCommandLine& line, std::vector<std::string> args) {
  std::ostringstream out, err;
  Parsed p;
  p.status = line.parse(args, out, err);
  p.out = out.str();
  p.err = err.str();
  return p;
}

EnvLookup fake_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (name == "FROM_HOST") return std::string("host-value");
    return std::nullopt;
  };
}

Result<engine::ContainerConfig> config_of(std::vector<std::string> args) {
  KrillCommandLine line;
  auto p = parse(line, args);
  if (p.status) return fail("parse failed: " + p.err);
  return run_flags_to_config(line.options.container.run, fake_env());
}

TEST(ContainerFlags, ImageAndCommandStopAtTheFirstPositional) {
  KrillCommandLine line;
  auto p =
      parse(line, {"run", "--rm", "-e", "A=1", "busybox", "sh", "-c", "echo -e hi", "--rm", "-v"});
  ASSERT_FALSE(p.status) << p.err;
  EXPECT_EQ(line.command_name(), "run");
  const auto& f = line.options.container.run;
  EXPECT_TRUE(f.rm);
  EXPECT_EQ(f.image, "busybox");
  EXPECT_EQ(f.command, (std::vector<std::string>{"sh", "-c", "echo -e hi", "--rm", "-v"}));
  EXPECT_EQ(f.env, (std::vector<std::string>{"A=1"}));
}

TEST(ContainerFlags, ClusteredShortFlagsAndValues) {
  KrillCommandLine line;
  auto p =
      parse(line, {"--root", "/s", "run", "-dit", "-eX=1", "-v", "/a:/b", "--name=web", "busybox"});
  ASSERT_FALSE(p.status) << p.err;
  const auto& f = line.options.container.run;
  EXPECT_TRUE(f.detach);
  EXPECT_TRUE(f.interactive);
  EXPECT_TRUE(f.tty);
  EXPECT_EQ(f.env, (std::vector<std::string>{"X=1"}));
  EXPECT_EQ(f.volumes, (std::vector<std::string>{"/a:/b"}));
  EXPECT_EQ(f.name, "web");
  EXPECT_EQ(f.image, "busybox");
  EXPECT_TRUE(f.command.empty());
  EXPECT_EQ(line.options.global.root, "/s");
}

TEST(ContainerFlags, DoubleDashBeforeTheImage) {
  KrillCommandLine line;
  auto p = parse(line, {"container", "create", "--", "busybox", "-x"});
  ASSERT_FALSE(p.status) << p.err;
  EXPECT_EQ(line.command_name(), "container create");
  EXPECT_EQ(line.options.container.run.image, "busybox");
  EXPECT_EQ(line.options.container.run.command, (std::vector<std::string>{"-x"}));
}

TEST(ContainerFlags, ExecCommandAfterTheContainer) {
  KrillCommandLine line;
  auto p = parse(line,
                 {"exec", "-it", "-u", "1000", "-w", "/tmp", "-e", "A=B", "web", "ls", "-l", "-a"});
  ASSERT_FALSE(p.status) << p.err;
  const auto& e = line.options.container.exec;
  EXPECT_TRUE(e.interactive);
  EXPECT_TRUE(e.tty);
  EXPECT_EQ(e.user, "1000");
  EXPECT_EQ(e.workdir, "/tmp");
  EXPECT_EQ(e.container, "web");
  EXPECT_EQ(e.command, (std::vector<std::string>{"ls", "-l", "-a"}));
}

TEST(ContainerFlags, EveryRunFlag) {
  std::string env_file = "/tmp/krill-container-flags-env-" + std::to_string(::getpid());
  {
    std::ofstream f(env_file);
    f << "# comment\n\nFILE_A=1\nFROM_HOST\nUNSET_ONE\n";
  }
  auto config = config_of({"run",
                           "-i",
                           "-t",
                           "--rm",
                           "--name",
                           "c1",
                           "-e",
                           "A=1",
                           "-e",
                           "FROM_HOST",
                           "-e",
                           "MISSING",
                           "--env-file",
                           env_file,
                           "-w",
                           "/work",
                           "-u",
                           "nobody:nogroup",
                           "--entrypoint",
                           "/bin/sh",
                           "-v",
                           "/tmp:/data:ro",
                           "-v",
                           "/anon",
                           "--mount",
                           "type=tmpfs,target=/scratch",
                           "--tmpfs",
                           "/run:size=1m",
                           "--read-only",
                           "-h",
                           "box",
                           "--add-host",
                           "db:10.0.0.2",
                           "--dns",
                           "1.1.1.1",
                           "--dns-search",
                           "example.com",
                           "--dns-option",
                           "ndots:2",
                           "--cap-add",
                           "NET_ADMIN",
                           "--cap-drop",
                           "MKNOD",
                           "--privileged",
                           "--security-opt",
                           "no-new-privileges",
                           "--memory",
                           "512m",
                           "--memory-swap",
                           "1g",
                           "--cpus",
                           "1.5",
                           "--cpu-shares",
                           "512",
                           "--cpuset-cpus",
                           "0-1",
                           "--pids-limit",
                           "100",
                           "--shm-size",
                           "128m",
                           "--ulimit",
                           "nofile=1024:2048",
                           "--device",
                           "/dev/null:/dev/mynull:rw",
                           "--init",
                           "--label",
                           "app=web",
                           "--annotation",
                           "io.x=y",
                           "--stop-signal",
                           "SIGINT",
                           "--stop-timeout",
                           "3",
                           "--log-driver",
                           "json-file",
                           "--log-opt",
                           "max-size=10m",
                           "--log-opt",
                           "max-file=3",
                           "--health-cmd",
                           "true",
                           "--health-interval",
                           "5s",
                           "--health-retries",
                           "2",
                           "--userns",
                           "host",
                           "--group-add",
                           "wheel",
                           "--network",
                           "host",
                           "--runtime",
                           "runc",
                           "busybox",
                           "echo",
                           "hi"});
  std::remove(env_file.c_str());
  ASSERT_TRUE(config) << config.error().message();
  const auto& c = *config;
  EXPECT_EQ(c.image_ref, "busybox");
  EXPECT_TRUE(c.interactive);
  EXPECT_TRUE(c.tty);
  EXPECT_TRUE(c.auto_remove);
  EXPECT_EQ(c.env, (std::vector<std::string>{"FILE_A=1", "FROM_HOST=host-value", "A=1",
                                             "FROM_HOST=host-value"}));
  EXPECT_EQ(c.working_dir, "/work");
  EXPECT_EQ(c.user, "nobody:nogroup");
  ASSERT_TRUE(c.entrypoint);
  EXPECT_EQ(*c.entrypoint, (std::vector<std::string>{"/bin/sh"}));
  EXPECT_EQ(c.command, (std::vector<std::string>{"echo", "hi"}));
  ASSERT_EQ(c.mounts.size(), 4u);
  EXPECT_EQ(c.mounts[0].type, "bind");
  EXPECT_EQ(c.mounts[0].source, "/tmp");
  EXPECT_EQ(c.mounts[0].destination, "/data");
  EXPECT_TRUE(c.mounts[0].read_only);
  EXPECT_EQ(c.mounts[1].type, "volume");
  EXPECT_EQ(c.mounts[1].source, "");
  EXPECT_EQ(c.mounts[1].destination, "/anon");
  EXPECT_EQ(c.mounts[2].type, "tmpfs");
  EXPECT_EQ(c.mounts[2].destination, "/scratch");
  EXPECT_EQ(c.mounts[3].type, "tmpfs");
  EXPECT_EQ(c.mounts[3].destination, "/run");
  EXPECT_TRUE(c.read_only);
  EXPECT_EQ(c.hostname, "box");
  EXPECT_EQ(c.add_hosts, (std::vector<std::string>{"db:10.0.0.2"}));
  EXPECT_EQ(c.dns_servers, (std::vector<std::string>{"1.1.1.1"}));
  EXPECT_EQ(c.dns_search, (std::vector<std::string>{"example.com"}));
  EXPECT_EQ(c.dns_options, (std::vector<std::string>{"ndots:2"}));
  EXPECT_EQ(c.cap_add, (std::vector<std::string>{"NET_ADMIN"}));
  EXPECT_EQ(c.cap_drop, (std::vector<std::string>{"MKNOD"}));
  EXPECT_TRUE(c.privileged);
  EXPECT_EQ(c.security_opt, (std::vector<std::string>{"no-new-privileges"}));
  EXPECT_EQ(c.resources.memory, 512LL << 20);
  EXPECT_EQ(c.resources.memory_swap, 1LL << 30);
  EXPECT_EQ(c.resources.nano_cpus, 1500000000LL);
  EXPECT_EQ(c.resources.cpu_shares, 512u);
  EXPECT_EQ(c.resources.cpuset_cpus, "0-1");
  EXPECT_EQ(c.resources.pids_limit, 100);
  EXPECT_EQ(c.resources.shm_size, 128LL << 20);
  ASSERT_EQ(c.ulimits.size(), 1u);
  EXPECT_EQ(c.ulimits[0].name, "nofile");
  EXPECT_EQ(c.ulimits[0].soft, 1024u);
  EXPECT_EQ(c.ulimits[0].hard, 2048u);
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_EQ(c.devices[0].host_path, "/dev/null");
  EXPECT_EQ(c.devices[0].container_path, "/dev/mynull");
  EXPECT_TRUE(c.init);
  EXPECT_EQ(c.labels.at("app"), "web");
  EXPECT_EQ(c.annotations.at("io.x"), "y");
  EXPECT_EQ(c.stop_signal, SIGINT);
  EXPECT_EQ(c.stop_timeout, 3);
  EXPECT_EQ(c.log_driver, "json-file");
  EXPECT_EQ(c.log_options.at("max-size"), "10m");
  EXPECT_EQ(c.log_options.at("max-file"), "3");
  ASSERT_TRUE(c.healthcheck);
  EXPECT_EQ(c.healthcheck->test, (std::vector<std::string>{"CMD-SHELL", "true"}));
  EXPECT_EQ(c.healthcheck->interval_ns, 5000000000LL);
  EXPECT_EQ(c.healthcheck->retries, 2);
  EXPECT_EQ(c.userns, "host");
  EXPECT_EQ(c.group_add, (std::vector<std::string>{"wheel"}));
  EXPECT_EQ(c.network, "host");
  EXPECT_EQ(c.runtime, "runc");
}

TEST(ContainerFlags, NetworksAliasesAndPublishedPorts) {
  auto config = config_of({"run",
                           "--network",
                           "backend:alias=db,ip=10.91.0.9",
                           "--network",
                           "front",
                           "--network-alias",
                           "pg",
                           "--mac-address",
                           "02:00:00:00:00:01",
                           "-p",
                           "127.0.0.1:8080:80",
                           "-p",
                           "5353:53/udp",
                           "-p",
                           "9000-9001:90-91",
                           "-p",
                           "3000",
                           "-p",
                           "[::1]:8443:443",
                           "-P",
                           "busybox"});
  ASSERT_TRUE(config) << config.error().message();
  const auto& c = *config;
  EXPECT_EQ(c.network, "");
  ASSERT_EQ(c.networks.size(), 2u);
  EXPECT_EQ(c.networks[0],
            (engine::NetworkRequest{"backend", {"db", "pg"}, "10.91.0.9", "02:00:00:00:00:01"}));
  EXPECT_EQ(c.networks[1], (engine::NetworkRequest{"front", {}, "", ""}));
  EXPECT_EQ(c.ports, (std::vector<engine::PublishedPort>{{"127.0.0.1", 8080, 80, "tcp"},
                                                         {"", 5353, 53, "udp"},
                                                         {"", 9000, 90, "tcp"},
                                                         {"", 9001, 91, "tcp"},
                                                         {"", 0, 3000, "tcp"},
                                                         {"::1", 8443, 443, "tcp"}}));
  EXPECT_TRUE(c.publish_all);
  // The default network alone is the default; container:/ns: are modes.
  auto bridge = config_of({"run", "--network", "bridge", "busybox"});
  ASSERT_TRUE(bridge);
  EXPECT_TRUE(bridge->networks.empty());
  EXPECT_EQ(bridge->network, "");
  auto shared = config_of({"run", "--network", "container:web", "busybox"});
  ASSERT_TRUE(shared);
  EXPECT_EQ(shared->network, "container:web");
  auto aliased = config_of({"run", "--network-alias", "x", "busybox"});
  ASSERT_TRUE(aliased);
  ASSERT_EQ(aliased->networks.size(), 1u);
  EXPECT_EQ(aliased->networks[0].name, "bridge");
}

TEST(ContainerFlags, EmptyEntrypointClearsIt) {
  auto config = config_of({"run", "--entrypoint", "", "busybox"});
  ASSERT_TRUE(config) << config.error().message();
  ASSERT_TRUE(config->entrypoint);
  EXPECT_TRUE(config->entrypoint->empty());
  auto json_form = config_of({"run", "--entrypoint", "[\"/bin/sh\",\"-c\"]", "busybox"});
  ASSERT_TRUE(json_form) << json_form.error().message();
  EXPECT_EQ(*json_form->entrypoint, (std::vector<std::string>{"/bin/sh", "-c"}));
  auto none = config_of({"run", "busybox"});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->entrypoint);
}

TEST(ContainerFlags, RestartAndSignals) {
  auto config = config_of({"create", "--restart", "on-failure:2", "--stop-signal", "9", "busybox"});
  ASSERT_TRUE(config) << config.error().message();
  EXPECT_EQ(config->restart.name, "on-failure");
  EXPECT_EQ(config->restart.max_retries, 2);
  EXPECT_EQ(config->stop_signal, 9);
}

TEST(ContainerFlags, BadValuesNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  };
  std::vector<Case> cases = {
      {{"run", "--memory", "abc", "busybox"}, "\"-m, --memory\""},
      {{"run", "--cpus", "x", "busybox"}, "--cpus"},
      {{"run", "--restart", "sometimes", "busybox"}, "--restart"},
      {{"run", "--stop-signal", "SIGNOPE", "busybox"}, "--stop-signal"},
      {{"run", "--ulimit", "nofile=abc", "busybox"}, "--ulimit"},
      {{"run", "--log-driver", "syslog", "busybox"}, "--log-driver"},
      {{"run", "--network", "none", "--network", "b", "busybox"}, "--network"},
      {{"run", "--network", "b:speed=1", "busybox"}, "--network"},
      {{"run", "--network", "container:", "busybox"}, "--network"},
      {{"run", "--network", "host", "--ip", "10.0.0.1", "busybox"}, "--ip"},
      {{"run", "-p", "70000:80", "busybox"}, "--publish"},
      {{"run", "-p", "8000-8002:80-81", "busybox"}, "--publish"},
      {{"run", "-p", "80/icmp", "busybox"}, "--publish"},
      {{"run", "-p", "nope:80:80", "busybox"}, "--publish"},
      {{"run", "--network", "none", "-p", "80", "busybox"}, "--publish"},
      {{"run", "-w", "relative", "busybox"}, "--workdir"},
      {{"run", "--rm", "--restart", "always", "busybox"}, "--restart"},
      {{"run", "--pids-limit", "many", "busybox"}, "--pids-limit"},
      {{"run", "--userns", "keep-id", "busybox"}, "--userns"},  // not supported yet
      {{"run", "--health-interval", "5", "busybox"}, "--health-interval"},
      {{"run", "--health-interval", "100us", "busybox"}, "at least 1ms"},
      {{"run", "--health-timeout", "-1s", "busybox"}, "--health-timeout"},
      {{"run", "--health-retries", "-2", "busybox"}, "--health-retries"},
      {{"run", "--health-on-failure", "reboot", "busybox"}, "--health-on-failure"},
      {{"run", "--health-cmd", "true", "--no-healthcheck", "busybox"}, "--no-healthcheck"},
      {{"run", "--security-opt", "bogus", "busybox"}, "--security-opt"},
      {{"run", "--env-file", "/nonexistent/env", "busybox"}, "/nonexistent/env"},
  };
  for (const auto& c : cases) {
    auto config = config_of(c.args);
    ASSERT_FALSE(config) << c.args[1];
    EXPECT_NE(config.error().message().find(c.expected), std::string::npos)
        << config.error().message();
  }
}

TEST(ContainerFlags, HelpHasAnExample) {
  for (const char* verb :
       {"run", "create", "start", "stop", "restart", "kill", "rm", "ps", "logs", "inspect", "wait",
        "attach", "exec", "pause", "unpause", "rename", "top"}) {
    KrillCommandLine line;
    auto p = parse(line, {verb, "--help"});
    EXPECT_EQ(p.status, 0) << verb;
    EXPECT_NE(p.out.find("Example:"), std::string::npos) << verb << p.out;
    EXPECT_NE(p.out.find("krill "), std::string::npos) << verb;
  }
  KrillCommandLine line;
  auto p = parse(line, {"container", "prune", "--help"});
  EXPECT_EQ(p.status, 0);
  EXPECT_NE(p.out.find("Example:"), std::string::npos);
}

TEST(ContainerFlags, GoDurations) {
  EXPECT_EQ(parse_go_duration("10m").value(), 600000000000LL);
  EXPECT_EQ(parse_go_duration("1h30m").value(), 5400000000000LL);
  EXPECT_EQ(parse_go_duration("1.5s").value(), 1500000000LL);
  EXPECT_EQ(parse_go_duration("300ms").value(), 300000000LL);
  EXPECT_FALSE(parse_go_duration("10"));
  EXPECT_FALSE(parse_go_duration(".s"));
  EXPECT_FALSE(parse_go_duration("99999999999h"));
  EXPECT_FALSE(parse_go_duration("abc"));
  EXPECT_FALSE(parse_go_duration("5x"));
}

TEST(ContainerFlags, SinceTimes) {
  int64_t now = 1800000000LL * 1000000000LL;
  EXPECT_EQ(parse_time_or_duration("10m", now).value(), now - 600000000000LL);
  EXPECT_EQ(parse_time_or_duration("1700000000", now).value(), 1700000000LL * 1000000000LL);
  EXPECT_EQ(parse_time_or_duration("2023-11-14T22:13:20Z", now).value(),
            1700000000LL * 1000000000LL);
  EXPECT_EQ(parse_time_or_duration("2023-11-14", now).value(), 1699920000LL * 1000000000LL);
  EXPECT_FALSE(parse_time_or_duration("yesterday", now));
}

}  // namespace
}  // namespace krill::cli
