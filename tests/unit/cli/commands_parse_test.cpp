// Every command's flags and arguments land in its options struct.
#include <gtest/gtest.h>

#include "cli/runtime/commands.h"
#include "parse_helpers.h"

namespace krill::cli {
namespace {

using testing::parse;

TEST(CreateFlags, Defaults) {
  CLI::App app;
  runtime::CreateOptions options;
  add_create_command(app, options);
  parse(app, {"create", "c1"});
  EXPECT_EQ(options.id, "c1");
  EXPECT_EQ(options.bundle, ".");
  EXPECT_EQ(options.pid_file, "");
  EXPECT_EQ(options.console_socket, "");
  EXPECT_FALSE(options.no_pivot);
  EXPECT_FALSE(options.no_new_keyring);
  EXPECT_EQ(options.preserve_fds, 0);
}

TEST(CreateFlags, AllFlags) {
  CLI::App app;
  runtime::CreateOptions options;
  add_create_command(app, options);
  parse(app, {"create", "-b", "/b", "--pid-file", "/p", "--console-socket=/s", "--no-pivot",
              "--no-new-keyring", "--preserve-fds", "2", "c1"});
  EXPECT_EQ(options.id, "c1");
  EXPECT_EQ(options.bundle, "/b");
  EXPECT_EQ(options.pid_file, "/p");
  EXPECT_EQ(options.console_socket, "/s");
  EXPECT_TRUE(options.no_pivot);
  EXPECT_TRUE(options.no_new_keyring);
  EXPECT_EQ(options.preserve_fds, 2);
}

TEST(CreateFlags, FlagsMayFollowTheId) {
  CLI::App app;
  runtime::CreateOptions options;
  add_create_command(app, options);
  parse(app, {"create", "c1", "--bundle", "/b"});
  EXPECT_EQ(options.id, "c1");
  EXPECT_EQ(options.bundle, "/b");
}

TEST(CreateFlags, NeedsExactlyOneId) {
  CLI::App app;
  runtime::CreateOptions options;
  add_create_command(app, options);
  EXPECT_THROW(parse(app, {"create"}), CLI::ParseError);
  CLI::App app2;
  add_create_command(app2, options);
  EXPECT_THROW(parse(app2, {"create", "a", "b"}), CLI::ParseError);
  CLI::App app3;
  add_create_command(app3, options);
  EXPECT_THROW(parse(app3, {"create", "--preserve-fds", "-1", "c1"}), CLI::ParseError);
}

TEST(RuntimeRunFlags, AllFlags) {
  CLI::App app;
  RuntimeRunFlags flags;
  add_run_command(app, flags);
  parse(app,
        {"run", "--bundle", "/b", "-d", "--keep", "--pid-file", "/p", "--no-subreaper",
         "--no-pivot", "--no-new-keyring", "--preserve-fds", "1", "--console-socket", "/s", "c2"});
  EXPECT_EQ(flags.options.create.id, "c2");
  EXPECT_EQ(flags.options.create.bundle, "/b");
  EXPECT_EQ(flags.options.create.pid_file, "/p");
  EXPECT_EQ(flags.options.create.console_socket, "/s");
  EXPECT_TRUE(flags.options.create.no_pivot);
  EXPECT_TRUE(flags.options.create.no_new_keyring);
  EXPECT_EQ(flags.options.create.preserve_fds, 1);
  EXPECT_TRUE(flags.options.detach);
  EXPECT_TRUE(flags.options.keep);
  EXPECT_TRUE(flags.no_subreaper);
}

TEST(RuntimeRunFlags, Defaults) {
  CLI::App app;
  RuntimeRunFlags flags;
  add_run_command(app, flags);
  parse(app, {"run", "c2"});
  EXPECT_FALSE(flags.options.detach);
  EXPECT_FALSE(flags.options.keep);
}

TEST(IdCommands, TakeOneId) {
  using Adder = CLI::App* (*)(CLI::App&, IdOptions&);
  const std::pair<const char*, Adder> commands[] = {{"start", add_start_command},
                                                    {"state", add_state_command},
                                                    {"pause", add_pause_command},
                                                    {"resume", add_resume_command}};
  for (const auto& [name, add] : commands) {
    CLI::App app;
    IdOptions options;
    add(app, options);
    parse(app, {name, "c1"});
    EXPECT_EQ(options.id, "c1") << name;
    CLI::App missing;
    add(missing, options);
    EXPECT_THROW(parse(missing, {name}), CLI::ParseError) << name;
  }
}

TEST(KillFlags, DefaultsToSigterm) {
  CLI::App app;
  KillOptions options;
  add_kill_command(app, options);
  parse(app, {"kill", "c1"});
  EXPECT_EQ(options.id, "c1");
  EXPECT_EQ(options.signal, "SIGTERM");
  EXPECT_FALSE(options.all);
}

TEST(KillFlags, SignalAndAll) {
  CLI::App app;
  KillOptions options;
  add_kill_command(app, options);
  parse(app, {"kill", "--all", "c1", "KILL"});
  EXPECT_EQ(options.signal, "KILL");
  EXPECT_TRUE(options.all);
  CLI::App app2;
  KillOptions options2;
  add_kill_command(app2, options2);
  parse(app2, {"kill", "c1", "9", "-a"});
  EXPECT_EQ(options2.signal, "9");
  EXPECT_TRUE(options2.all);
  CLI::App app3;
  add_kill_command(app3, options2);
  EXPECT_THROW(parse(app3, {"kill", "a", "b", "c"}), CLI::ParseError);
}

TEST(DeleteFlags, Force) {
  CLI::App app;
  DeleteOptions options;
  add_delete_command(app, options);
  parse(app, {"delete", "-f", "c1"});
  EXPECT_EQ(options.id, "c1");
  EXPECT_TRUE(options.force);
  CLI::App app2;
  DeleteOptions options2;
  add_delete_command(app2, options2);
  parse(app2, {"delete", "c1"});
  EXPECT_FALSE(options2.force);
}

TEST(RuntimeExecFlags, CommandArgumentsAreVerbatim) {
  CLI::App app;
  RuntimeExecFlags flags;
  add_exec_command(app, flags);
  parse(app, {"exec", "-t", "c1", "ls", "-la", "--color", "-e", "/"});
  const auto& options = flags.options;
  EXPECT_EQ(options.id, "c1");
  EXPECT_TRUE(options.tty);
  EXPECT_EQ(options.args, (std::vector<std::string>{"ls", "-la", "--color", "-e", "/"}));
  EXPECT_TRUE(options.env.empty());
}

TEST(RuntimeExecFlags, AllFlags) {
  CLI::App app;
  RuntimeExecFlags flags;
  add_exec_command(app, flags);
  parse(app, {"exec",
              "--console-socket",
              "/s",
              "--cwd",
              "/tmp",
              "-e",
              "A=1",
              "--env",
              "B=2",
              "-u",
              "1000:1000",
              "-g",
              "10",
              "--additional-gids",
              "20",
              "-d",
              "--pid-file",
              "/p",
              "--process-label",
              "system_u:system_r:container_t:s0",
              "--apparmor",
              "prof",
              "--no-new-privs",
              "-c",
              "CAP_NET_ADMIN",
              "--cap",
              "CAP_SYS_TIME",
              "--preserve-fds",
              "3",
              "--ignore-paused",
              "c1",
              "sh"});
  const auto& options = flags.options;
  EXPECT_EQ(options.id, "c1");
  EXPECT_EQ(options.console_socket, "/s");
  EXPECT_EQ(options.cwd, "/tmp");
  EXPECT_EQ(options.env, (std::vector<std::string>{"A=1", "B=2"}));
  EXPECT_EQ(options.user, "1000:1000");
  EXPECT_EQ(options.additional_gids, (std::vector<uint32_t>{10, 20}));
  EXPECT_TRUE(options.detach);
  EXPECT_EQ(options.pid_file, "/p");
  EXPECT_EQ(options.process_label, "system_u:system_r:container_t:s0");
  EXPECT_EQ(options.apparmor, "prof");
  EXPECT_TRUE(options.no_new_privs);
  EXPECT_EQ(options.caps, (std::vector<std::string>{"CAP_NET_ADMIN", "CAP_SYS_TIME"}));
  EXPECT_EQ(options.preserve_fds, 3);
  EXPECT_TRUE(flags.ignore_paused);
  EXPECT_EQ(options.args, std::vector<std::string>{"sh"});
  EXPECT_TRUE(exec_options(flags));
}

TEST(RuntimeExecFlags, ProcessFileWithoutCommand) {
  CLI::App app;
  RuntimeExecFlags flags;
  add_exec_command(app, flags);
  parse(app, {"exec", "--process", "/p.json", "c1"});
  EXPECT_EQ(flags.options.process_file, "/p.json");
  auto options = exec_options(flags);
  ASSERT_TRUE(options);
  EXPECT_TRUE(options->args.empty());
}

TEST(RuntimeExecFlags, DoubleDashSeparatesTheCommand) {
  CLI::App app;
  RuntimeExecFlags flags;
  add_exec_command(app, flags);
  parse(app, {"exec", "c1", "--", "ls", "-l"});
  EXPECT_EQ(flags.options.id, "c1");
  auto options = exec_options(flags).value();
  EXPECT_EQ(options.args, (std::vector<std::string>{"ls", "-l"}));

  CLI::App app2;
  RuntimeExecFlags flags2;
  add_exec_command(app2, flags2);
  parse(app2, {"exec", "-t", "--", "c1", "ls", "-l"});
  EXPECT_EQ(flags2.options.id, "c1");
  EXPECT_EQ(exec_options(flags2)->args, (std::vector<std::string>{"ls", "-l"}));
}

TEST(RuntimeExecFlags, CommandNamedLikeASubcommand) {
  CLI::App app;
  RuntimeExecFlags flags;
  add_exec_command(app, flags);
  IdOptions other;
  add_start_command(app, other);
  parse(app, {"exec", "c1", "start", "now"});
  EXPECT_EQ(flags.options.args, (std::vector<std::string>{"start", "now"}));
  EXPECT_FALSE(app.get_subcommand("start")->parsed());
}

TEST(RuntimeExecFlags, NeedsACommandOrProcessFile) {
  CLI::App app;
  RuntimeExecFlags flags;
  add_exec_command(app, flags);
  parse(app, {"exec", "c1"});
  EXPECT_FALSE(exec_options(flags));
  flags.options.args = {"true"};
  flags.cgroup = "sub";
  EXPECT_FALSE(exec_options(flags));
}

TEST(ListFlags, FormatAndQuiet) {
  CLI::App app;
  ListOptions options;
  add_list_command(app, options);
  parse(app, {"list", "--format", "json", "-q"});
  EXPECT_EQ(options.format, "json");
  EXPECT_TRUE(options.quiet);
  CLI::App app2;
  ListOptions options2;
  add_list_command(app2, options2);
  parse(app2, {"ls", "-f", "table"});
  EXPECT_EQ(options2.format, "table");
  EXPECT_FALSE(options2.quiet);
  CLI::App app3;
  add_list_command(app3, options2);
  EXPECT_THROW(parse(app3, {"list", "extra"}), CLI::ParseError);
}

TEST(PsFlags, PsOptionsAfterTheId) {
  CLI::App app;
  PsOptions options;
  add_ps_command(app, options);
  parse(app, {"ps", "--format", "json", "c1", "-o", "pid,comm"});
  EXPECT_EQ(options.id, "c1");
  EXPECT_EQ(options.format, "json");
  EXPECT_EQ(options.ps_args, (std::vector<std::string>{"-o", "pid,comm"}));
  CLI::App app2;
  PsOptions options2;
  add_ps_command(app2, options2);
  parse(app2, {"ps", "c1", "-f"});  // -f after the id is ps's own option
  EXPECT_EQ(options2.format, "table");
  EXPECT_EQ(options2.ps_args, std::vector<std::string>{"-f"});
}

TEST(UpdateFlags, AllFlags) {
  CLI::App app;
  UpdateFlags flags;
  add_update_command(app, flags);
  parse(app, {"update",  "--blkio-weight",
              "500",     "--cpu-period",
              "100000",  "--cpu-quota",
              "50000",   "--cpu-share",
              "512",     "--cpu-rt-period",
              "1000",    "--cpu-rt-runtime",
              "500",     "--cpuset-cpus",
              "0-1",     "--cpuset-mems",
              "0",       "--memory",
              "512m",    "--memory-reservation",
              "256m",    "--memory-swap",
              "-1",      "--pids-limit",
              "100",     "--l3-cache-schema",
              "L3:0=ff", "--mem-bw-schema",
              "MB:0=50", "c1"});
  EXPECT_EQ(flags.id, "c1");
  EXPECT_EQ(flags.blkio_weight, "500");
  EXPECT_EQ(flags.cpu_period, "100000");
  EXPECT_EQ(flags.cpu_quota, "50000");
  EXPECT_EQ(flags.cpu_share, "512");
  EXPECT_EQ(flags.cpu_rt_period, "1000");
  EXPECT_EQ(flags.cpu_rt_runtime, "500");
  EXPECT_EQ(flags.cpuset_cpus, "0-1");
  EXPECT_EQ(flags.cpuset_mems, "0");
  EXPECT_EQ(flags.memory, "512m");
  EXPECT_EQ(flags.memory_reservation, "256m");
  EXPECT_EQ(flags.memory_swap, "-1");
  EXPECT_EQ(flags.pids_limit, "100");
  EXPECT_EQ(flags.l3_cache_schema, "L3:0=ff");
  EXPECT_EQ(flags.mem_bw_schema, "MB:0=50");
}

TEST(UpdateFlags, ResourcesFromStdin) {
  CLI::App app;
  UpdateFlags flags;
  add_update_command(app, flags);
  parse(app, {"update", "-r", "-", "c1"});
  EXPECT_EQ(flags.resources_file, "-");
  EXPECT_EQ(flags.id, "c1");
}

TEST(EventsFlags, StatsAndInterval) {
  CLI::App app;
  EventsOptions options;
  add_events_command(app, options);
  parse(app, {"events", "c1"});
  EXPECT_EQ(options.interval, "5s");
  EXPECT_FALSE(options.stats);
  CLI::App app2;
  EventsOptions options2;
  add_events_command(app2, options2);
  parse(app2, {"events", "--stats", "--interval", "2s", "c1"});
  EXPECT_EQ(options2.id, "c1");
  EXPECT_TRUE(options2.stats);
  EXPECT_EQ(options2.interval, "2s");
}

TEST(SpecFlags, BundleAndRootless) {
  CLI::App app;
  SpecOptions options;
  add_spec_command(app, options);
  parse(app, {"spec", "-b", "/b", "--rootless"});
  EXPECT_EQ(options.bundle, "/b");
  EXPECT_TRUE(options.rootless);
}

TEST(FeaturesFlags, TakesNothing) {
  CLI::App app;
  add_features_command(app);
  parse(app, {"features"});
  CLI::App app2;
  add_features_command(app2);
  EXPECT_THROW(parse(app2, {"features", "x"}), CLI::ParseError);
}

TEST(AllCommands, RegistersEveryRuncCommand) {
  CLI::App app;
  CommandList commands;
  register_all_commands(app, commands);
  std::vector<std::string> names;
  for (const auto& command : commands) names.push_back(command.app->get_name());
  EXPECT_EQ(names, (std::vector<std::string>{"create", "delete", "events", "exec", "kill", "list",
                                             "pause", "ps", "resume", "run", "spec", "start",
                                             "state", "update", "features"}));
  for (const auto& command : commands) {
    EXPECT_TRUE(command.action) << command.app->get_name();
    EXPECT_NE(command.app->get_footer().find("krill-runtime"), std::string::npos)
        << command.app->get_name() << " has an example";
  }
}

}  // namespace
}  // namespace krill::cli
