// The container and volume commands' command line: docker's verbs at the top (run, ps, rm, ...),
// podman's under `container` (ls, rm, prune, ...), `volume ...`.
#include <algorithm>
#include <memory>

#include "cli/krill/cmd_container.h"
#include "cli/krill/cmd_healthcheck.h"
#include "cli/krill/cmd_network.h"
#include "cli/krill/cmd_volume.h"
#include "cli/krill/commands.h"
#include "cli/krill/krill_cli.h"
#include "engine/engine_health.h"

namespace krill::cli {
namespace {

// A repeatable option: one value per occurrence (so `-e A=1 IMAGE` never takes IMAGE).
CLI::Option* multi(CLI::App* c, const std::string& name, std::vector<std::string>& values,
                   const std::string& description) {
  return c->add_option(name, values, description)->allow_extra_args(false);
}

void add_run_flags(CLI::App* c, RunFlags& f, bool is_run) {
  // Its hundred options are a tenth of krill's start: not for a command the arguments do not name.
  if (KrillCommandLine::is_stand_in(c)) return;
  // -h is --hostname here (docker's); help stays --help.
  c->set_help_flag("--help", "show help");
  if (is_run) {
    c->add_flag("-d,--detach", f.detach, "run in the background and print the container id");
    c->add_flag("--sig-proxy,!--no-sig-proxy", f.sig_proxy,
                "forward signals krill receives to the container (default true; non-tty)");
    c->add_option("--detach-keys", f.detach_keys,
                  "keys that detach from the container (default ctrl-p,ctrl-q)");
    multi(c, "-a,--attach", f.attach, "attach to STDIN, STDOUT or STDERR (repeatable)");
  }
  c->add_flag("-i,--interactive", f.interactive, "keep stdin open");
  c->add_flag("-t,--tty", f.tty, "allocate a pseudo-terminal");
  c->add_flag("--rm", f.rm, "remove the container (and its anonymous volumes) when it exits");
  c->add_option("--name", f.name, "name of the container");
  multi(c, "-e,--env", f.env, "set an environment variable K=V (K alone: from krill's)");
  multi(c, "--env-file", f.env_file, "read environment variables from a file");
  c->add_option("-w,--workdir", f.workdir, "working directory in the container");
  c->add_option("-u,--user", f.user, "user[:group] (names or ids)");
  c->add_option_function<std::string>(
      "--entrypoint",
      [&f](const std::string& value) {
        f.entrypoint = value;
        f.entrypoint_given = true;
      },
      "override the image's ENTRYPOINT (\"\" clears it; a JSON array too)");
  multi(c, "-v,--volume", f.volumes, "bind mount or volume SRC:DST[:OPTS], or DST (anonymous)");
  multi(c, "--mount", f.mounts, "type=bind|volume|tmpfs,source=...,target=...[,readonly]");
  multi(c, "--tmpfs", f.tmpfs, "tmpfs mount DST[:OPTIONS]");
  c->add_flag("--read-only", f.read_only, "mount the root file system read-only");
  c->add_option("-h,--hostname", f.hostname, "container host name");
  multi(c, "--add-host", f.add_host, "add HOST:IP to /etc/hosts");
  multi(c, "--dns", f.dns, "DNS server for /etc/resolv.conf");
  multi(c, "--dns-search", f.dns_search, "DNS search domain");
  multi(c, "--dns-option", f.dns_option, "DNS option");
  multi(c, "--cap-add", f.cap_add, "add a capability (or ALL)");
  multi(c, "--cap-drop", f.cap_drop, "drop a capability (or ALL)");
  c->add_flag("--privileged", f.privileged, "all capabilities, devices, no seccomp/masking");
  multi(c, "--security-opt", f.security_opt,
        "seccomp=FILE|unconfined, no-new-privileges, label=..., apparmor=..., mask=P1:P2, "
        "unmask=P1:P2|ALL, systempaths=unconfined");
  c->add_option("-m,--memory", f.memory, "memory limit (512m, 1g)");
  c->add_option("--memory-swap", f.memory_swap, "memory + swap limit (-1: unlimited swap)");
  c->add_option("--cpus", f.cpus, "number of CPUs (1.5)");
  c->add_option("-c,--cpu-shares", f.cpu_shares, "CPU shares (relative weight)");
  c->add_option("--cpuset-cpus", f.cpuset_cpus, "CPUs to run on (0-3,5)");
  c->add_option("--pids-limit", f.pids_limit, "process limit (-1: unlimited)");
  c->add_option("--shm-size", f.shm_size, "size of /dev/shm (default 64m)");
  multi(c, "--ulimit", f.ulimit, "ulimit NAME=SOFT[:HARD]");
  multi(c, "--device", f.device, "add a host device HOST[:CONTAINER[:PERMS]]");
  c->add_flag("--init", f.init,
              "run catatonit as pid 1 (at /run/podman-init): it forwards signals and reaps");
  c->add_option("--init-path", f.init_path, "the init binary for --init (default: catatonit)");
  c->add_option("--restart", f.restart, "no, always, on-failure[:N], unless-stopped");
  multi(c, "-l,--label", f.label, "set a label K=V");
  multi(c, "--label-file", f.label_file, "read labels from a file");
  multi(c, "--annotation", f.annotation, "set an OCI annotation K=V");
  c->add_option("--stop-signal", f.stop_signal, "signal to stop the container (default SIGTERM)");
  c->add_option("--stop-timeout", f.stop_timeout, "seconds to wait before SIGKILL (default 10)");
  c->add_option("--log-driver", f.log_driver, "k8s-file (default), json-file or none");
  multi(c, "--log-opt", f.log_opt, "log option: max-size=10m, max-file=3, path=FILE");
  c->add_option("--health-cmd", f.health_cmd, "command to check health (\"none\" disables)");
  c->add_option("--health-interval", f.health_interval, "time between checks (30s)");
  c->add_option("--health-timeout", f.health_timeout, "maximum time of one check (30s)");
  c->add_option("--health-start-period", f.health_start_period, "grace period after start");
  c->add_option("--health-retries", f.health_retries, "failures before unhealthy (3)");
  c->add_flag("--no-healthcheck", f.no_healthcheck, "disable the image's HEALTHCHECK");
  c->add_option("--health-startup-cmd", f.health_startup_cmd,
                "startup check that gates the regular one until it succeeds");
  c->add_option("--health-startup-interval", f.health_startup_interval,
                "time between startup checks (30s)");
  c->add_option("--health-startup-timeout", f.health_startup_timeout,
                "maximum time of one startup check (30s)");
  c->add_option("--health-startup-retries", f.health_startup_retries,
                "failed startup checks before a restart (0: never restart)");
  c->add_option("--health-startup-success", f.health_startup_success,
                "successful startup checks needed (0: the first)");
  c->add_option_function<std::string>(
      "--health-on-failure",
      [&f](const std::string& action) {
        f.annotation.push_back(std::string(engine::kHealthOnFailureAnnotation) + "=" + action);
      },
      "once unhealthy: none (default), kill, restart or stop the container");
  c->add_option("--userns", f.userns,
                "user namespace: host (default), or auto[:size=N] (root): ids of its own from "
                "the \"containers\" ranges of /etc/subuid and /etc/subgid, 65536 by default");
  multi(c, "--group-add", f.group_add, "add a supplementary group");
  c->add_option("--pull", f.pull, "pull the image: always, missing (default), never");
  multi(c, "--network,--net", f.network,
        "network to join: NAME[:alias=A,ip=IP,mac=MAC] (repeatable), bridge (default), none, "
        "host, container:ID, ns:PATH");
  multi(c, "--network-alias", f.network_alias, "another name of the container on its network");
  c->add_option("--ip", f.ip, "the container's IPv4 address on its (first) network");
  c->add_option("--ip6", f.ip6, "the container's IPv6 address on its (first) network");
  c->add_option("--mac-address", f.mac_address, "the container's MAC address on its network");
  multi(c, "-p,--publish", f.publish,
        "publish a port: [ip:][hostPort:]containerPort[/tcp|udp], ranges like 8000-8001:80-81");
  c->add_flag("-P,--publish-all", f.publish_all, "publish every EXPOSEd port on a free host port");
  c->add_option("--runtime", f.runtime, "OCI runtime: krill's (default), runc, crun or a path");
  c->add_flag("-q,--quiet", f.quiet, "no pull progress");
  c->add_option("--platform", f.platform, "platform of the image to pull (linux/arm64)");
  c->add_flag("--tls-verify,!--no-tls-verify", f.registry.tls_verify,
              "pulling: require HTTPS and verify certificates");
  c->add_option("--authfile", f.registry.authfile, "pulling: the authentication file");
  c->add_option("--creds", f.registry.creds, "pulling: credentials USERNAME[:PASSWORD]");
  c->add_option("--cert-dir", f.registry.cert_dir, "pulling: certificates directory");
  c->add_option("IMAGE", f.image, "the image")->required();
  c->add_option("COMMAND", f.command, "the command and its arguments (after the image)");
}

// The verbs whose words after the first positional belong to the container.
bool takes_trailing_command(const std::string& verb) {
  return verb == "run" || verb == "create" || verb == "exec" || verb == "top";
}

CLI::App* find_subcommand(CLI::App* app, const std::string& name) {
  auto found = app->get_subcommands([&](CLI::App* sub) { return sub->check_name(name); });
  return found.empty() ? nullptr : found.front();
}

bool option_takes_value(CLI::App* app, const std::string& name) {
  for (CLI::App* a = app; a != nullptr; a = a->get_parent()) {
    const CLI::Option* opt = a->get_option_no_throw(name);
    if (opt) return opt->get_items_expected_max() > 0;
  }
  return false;
}

}  // namespace

std::vector<std::string> KrillCommandLine::take_trailing_command(
    const std::vector<std::string>& args) {
  size_t i = 0;
  // Global flags.
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.empty() || a.front() != '-') break;
    if (a.find('=') == std::string::npos && option_takes_value(app_.get(), a)) ++i;
  }
  if (i >= args.size()) return args;
  CLI::App* app = find_subcommand(app_.get(), args[i]);
  if (!app) return args;
  std::string verb = args[i];
  ++i;
  if (verb == "container" && i < args.size()) {
    verb = args[i];
    app = find_subcommand(app, verb);
    if (!app) return args;
    ++i;
  }
  if (verb == "unshare") {
    // `krill unshare [CMD ARGS...]`: every word after the verb is the command (--help aside).
    if (i < args.size() && (args[i] == "--help" || args[i] == "-h")) return args;
    if (i < args.size() && args[i] == "--") ++i;
    unshare_command_.assign(args.begin() + static_cast<long>(i), args.end());
    return std::vector<std::string>(args.begin(), args.begin() + static_cast<long>(i));
  }
  if (!takes_trailing_command(verb)) return args;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a.front() != '-') break;
    if (a.starts_with("--")) {
      if (a.find('=') == std::string::npos && option_takes_value(app, a)) ++i;
      continue;
    }
    for (size_t j = 1; j < a.size(); ++j) {
      if (option_takes_value(app, std::string("-") + a[j])) {
        if (j + 1 == a.size()) ++i;  // the value is the next word
        break;
      }
    }
  }
  if (i >= args.size()) return args;
  std::vector<std::string> trailing(args.begin() + static_cast<long>(i) + 1, args.end());
  auto& c = options.container;
  if (verb == "run" || verb == "create")
    c.run.command = trailing;
  else if (verb == "exec")
    c.exec.command = trailing;
  else
    c.top.ps_args = trailing;
  return std::vector<std::string>(args.begin(), args.begin() + static_cast<long>(i) + 1);
}

void KrillCommandLine::register_container_commands(CLI::App& p, bool g) {
  auto& o = options;
  auto& c = o.container;
  {
    auto* cmd =
        add(p, "run", "Create and start a container from an image", "IMAGE [COMMAND [ARG...]]",
            "krill run --rm -it -v /srv/data:/data:ro busybox sh\n"
            "  krill run -d --name web --restart on-failure:3 busybox httpd -f\n"
            "Exit status: the container's; 125 krill failed, 126 the command cannot be "
            "invoked, 127 it was not found.",
            [&c](Context& ctx) { return run_container_run(ctx, c.run); });
    add_run_flags(cmd, c.run, true);
  }
  {
    auto* cmd = add(p, "create", "Create a container from an image (without starting it)",
                    "IMAGE [COMMAND [ARG...]]",
                    "krill create --name box -e MODE=test busybox sleep 1000 && krill start box",
                    [&c](Context& ctx) { return run_container_create(ctx, c.run); });
    add_run_flags(cmd, c.run, false);
  }
  {
    auto* cmd =
        add(p, "start", "Start created or stopped containers", "CONTAINER...", "krill start -a box",
            [&c](Context& ctx) { return run_container_start(ctx, c.start); });
    cmd->add_option("CONTAINER", c.start.containers, "names or ids")->required();
    cmd->add_flag("-a,--attach", c.start.attach, "attach to the container's output");
    cmd->add_flag("-i,--interactive", c.start.interactive, "attach stdin too");
    cmd->add_option("--detach-keys", c.start.detach_keys, "keys that detach (ctrl-p,ctrl-q)");
    cmd->add_flag("--sig-proxy,!--no-sig-proxy", c.start.sig_proxy,
                  "forward signals to the container (with -a)");
  }
  {
    auto* cmd =
        add(p, "stop", "Stop containers: stop signal, then SIGKILL after a timeout", "CONTAINER...",
            "krill stop -t 2 web", [&c](Context& ctx) { return run_container_stop(ctx, c.stop); });
    cmd->add_option("CONTAINER", c.stop.containers, "names or ids");
    cmd->add_option("-t,--time", c.stop.time, "seconds to wait before SIGKILL (default 10)");
    cmd->add_flag("-a,--all", c.stop.all, "stop every running container");
    cmd->add_flag("-i,--ignore", c.stop.ignore, "ignore containers that do not exist");
  }
  {
    auto* cmd =
        add(p, "restart", "Stop and start containers", "CONTAINER...", "krill restart -t 1 web",
            [&c](Context& ctx) { return run_container_restart(ctx, c.restart); });
    cmd->add_option("CONTAINER", c.restart.containers, "names or ids");
    cmd->add_option("-t,--time", c.restart.time, "seconds to wait before SIGKILL");
    cmd->add_flag("-a,--all", c.restart.all, "restart every container");
  }
  {
    auto* cmd = add(p, "kill", "Send a signal to containers (default SIGKILL)", "CONTAINER...",
                    "krill kill -s HUP web",
                    [&c](Context& ctx) { return run_container_kill(ctx, c.kill); });
    cmd->add_option("CONTAINER", c.kill.containers, "names or ids");
    cmd->add_option("-s,--signal", c.kill.signal, "signal name or number (default KILL)");
    cmd->add_flag("-a,--all", c.kill.all, "signal every running container");
  }
  {
    auto* cmd = add(p, "rm", "Remove containers", "CONTAINER...", "krill rm -f -v web",
                    [&c](Context& ctx) { return run_container_rm(ctx, c.rm); });
    if (g) cmd->alias("remove");
    cmd->add_option("CONTAINER", c.rm.containers, "names or ids");
    cmd->add_flag("-f,--force", c.rm.force, "kill a running container first");
    cmd->add_option("-t,--time", c.rm.time,
                    "with -f: stop it first, SIGKILL after this many seconds (podman's)");
    cmd->add_flag("-v,--volumes", c.rm.volumes, "remove its anonymous volumes too");
    cmd->add_flag("-a,--all", c.rm.all, "remove every container");
    cmd->add_flag("-i,--ignore", c.rm.ignore, "ignore containers that do not exist");
    cmd->footer(
        "Example:\n  krill rm -f -v web\n"
        "Exit status: 1 when a container does not exist or is running (without -f).\n");
  }
  {
    auto* cmd = add(p, g ? "ls" : "ps", "List containers", "",
                    "krill ps -a --filter status=exited --format '{{.Names}} {{.Status}}'",
                    [&c](Context& ctx) { return run_container_ps(ctx, c.ps); });
    if (g) {
      cmd->alias("list");
      cmd->alias("ps");
    }
    cmd->add_flag("-a,--all", c.ps.all, "all containers (default: running ones)");
    cmd->add_flag("-q,--quiet", c.ps.quiet, "only ids");
    cmd->add_flag("--no-trunc", c.ps.no_trunc, "do not truncate ids and commands");
    cmd->add_flag("-l,--latest", c.ps.latest, "only the newest container");
    cmd->add_option("-n,--last", c.ps.last, "only the N newest containers");
    cmd->add_flag("-s,--size", c.ps.size, "accepted (sizes are not computed)");
    multi(cmd, "-f,--filter", c.ps.filters,
          "status=, name=, id=, label=, ancestor=, exited=, before=, since=, volume=, "
          "health=");
    cmd->add_option("--format", c.ps.format,
                    "json, or a Go template (.ID .Names .Image .Command .CreatedAt .RunningFor "
                    ".Status .Ports .Labels .State); 'table ...' for columns");
    cmd->add_flag("--noheading", c.ps.noheading, "no header row");
    cmd->add_flag("--external", c.ps.external, "also list working containers (krill from)");
  }
  {
    auto* cmd = add(p, "logs", "Show a container's output", "CONTAINER",
                    "krill logs -f --since 10m --tail 20 -t web",
                    [&c](Context& ctx) { return run_container_logs(ctx, c.logs); });
    cmd->add_option("CONTAINER", c.logs.container, "name or id")->required();
    cmd->add_flag("-f,--follow", c.logs.follow, "keep printing new output until it exits");
    cmd->add_option("--since", c.logs.since,
                    "only after TIME: RFC 3339, Unix seconds, or a duration (10m)");
    cmd->add_option("--until", c.logs.until, "only before TIME");
    cmd->add_option("-n,--tail", c.logs.tail, "only the last N lines (default all)");
    cmd->add_flag("-t,--timestamps", c.logs.timestamps, "prefix each line with its time");
    cmd->add_flag("--details", c.logs.details, "accepted");
  }
  {
    auto* cmd = add(p, "inspect",
                    g ? "Show containers' details (Docker-shaped JSON)"
                      : "Show details of containers or images (containers first)",
                    g ? "CONTAINER..." : "NAME...",
                    g ? "krill container inspect --format '{{.State.Status}}' web"
                      : "krill inspect --format '{{.State.ExitCode}}' web",
                    [&c, &o, g](Context& ctx) {
                      ContainerInspectFlags flags = c.inspect;
                      if (g) flags.type = "container";
                      return run_container_inspect(ctx, flags, o.inspect);
                    });
    cmd->add_option("NAME", c.inspect.names, "containers (or images)")->required();
    cmd->add_option("-f,--format", c.inspect.format, "json or a Go template");
    cmd->add_flag("-s,--size", c.inspect.size, "accepted");
    if (!g) cmd->add_option("-t,--type", c.inspect.type, "container, image or all");
  }
  {
    auto* cmd =
        add(p, "wait", "Wait for containers to exit and print their exit codes", "CONTAINER...",
            "krill wait web db\n  krill wait --condition running --interval 100ms web",
            [&c](Context& ctx) { return run_container_wait(ctx, c.wait); });
    cmd->add_option("CONTAINER", c.wait.containers, "names or ids")->required();
    cmd->add_option("--condition", c.wait.conditions,
                    "state to wait for, repeatable (any one ends the wait): stopped (default), "
                    "exited, created, configured, running, paused, stopping, removing; Docker's "
                    "not-running, next-exit, removed")
        ->delimiter(',');
    cmd->add_option("-i,--interval", c.wait.interval,
                    "time between polls (Go duration; a bare number is milliseconds)")
        ->default_str("250ms");
  }
  {
    auto* cmd = add(p, "attach", "Attach to a running container's stdio", "CONTAINER",
                    "krill attach --detach-keys ctrl-a,x web",
                    [&c](Context& ctx) { return run_container_attach(ctx, c.attach); });
    cmd->add_option("CONTAINER", c.attach.container, "name or id")->required();
    cmd->add_flag("--no-stdin", c.attach.no_stdin, "do not attach stdin");
    cmd->add_option("--detach-keys", c.attach.detach_keys, "keys that detach (ctrl-p,ctrl-q)");
    cmd->add_flag("--sig-proxy,!--no-sig-proxy", c.attach.sig_proxy,
                  "forward signals to the container");
  }
  {
    auto* cmd = add(p, "exec", "Run a command in a running container", "CONTAINER COMMAND [ARG...]",
                    "krill exec -it -e TERM=xterm -u nobody web sh\n"
                    "Exit status: the command's; 1 (Docker's) when the container is not "
                    "running: \"container web is not running\"; 126/127 when the command cannot "
                    "be invoked / is not found.",
                    [&c](Context& ctx) { return run_container_exec(ctx, c.exec); });
    cmd->add_flag("-d,--detach", c.exec.detach, "run in the background");
    cmd->add_flag("-i,--interactive", c.exec.interactive, "keep stdin open");
    cmd->add_flag("-t,--tty", c.exec.tty, "allocate a pseudo-terminal");
    multi(cmd, "-e,--env", c.exec.env, "set an environment variable");
    multi(cmd, "--env-file", c.exec.env_file, "read environment variables from a file");
    cmd->add_option("-u,--user", c.exec.user, "user[:group]");
    cmd->add_option("-w,--workdir", c.exec.workdir, "working directory");
    cmd->add_flag("--privileged", c.exec.privileged, "accepted");
    cmd->add_option("--detach-keys", c.exec.detach_keys, "accepted");
    cmd->add_option("CONTAINER", c.exec.container, "name or id")->required();
    cmd->add_option("COMMAND", c.exec.command, "the command (after the container)");
  }
  {
    auto* cmd =
        add(p, "pause", "Freeze the processes of containers", "CONTAINER...", "krill pause web",
            [&c](Context& ctx) { return run_container_pause(ctx, c.pause); });
    cmd->add_option("CONTAINER", c.pause.containers, "names or ids");
    cmd->add_flag("-a,--all", c.pause.all, "every running container");
  }
  {
    auto* cmd = add(p, "unpause", "Thaw paused containers", "CONTAINER...", "krill unpause web",
                    [&c](Context& ctx) { return run_container_unpause(ctx, c.unpause); });
    cmd->add_option("CONTAINER", c.unpause.containers, "names or ids");
    cmd->add_flag("-a,--all", c.unpause.all, "every paused container");
  }
  {
    auto* cmd =
        add(p, "rename", "Rename a container", "CONTAINER NEW_NAME", "krill rename web web-old",
            [&c](Context& ctx) { return run_container_rename(ctx, c.rename); });
    cmd->add_option("CONTAINER", c.rename.container, "name or id")->required();
    cmd->add_option("NEW_NAME", c.rename.new_name, "the new name")->required();
  }
  {
    auto* cmd = add(p, "top", "Show a container's processes", "CONTAINER [ps OPTIONS]",
                    "krill top web -o pid,comm",
                    [&c](Context& ctx) { return run_container_top(ctx, c.top); });
    cmd->add_option("CONTAINER", c.top.container, "name or id")->required();
    cmd->add_option("PS_OPTIONS", c.top.ps_args, "ps(1) options (after the container)");
  }
  if (!g) {
    // podman's `healthcheck run` (a group of its own at the top).
    CLI::App* group = add_group("healthcheck", "Run containers' healthchecks");
    auto flags = std::make_shared<HealthcheckRunFlags>();
    auto* cmd = add(*group, "run", "Run a container's healthcheck once now and record the result",
                    "CONTAINER",
                    "krill run -d --name web --health-cmd 'wget -q -O /dev/null localhost' "
                    "--health-interval 10s busybox httpd -f\n"
                    "  krill healthcheck run web && echo healthy\n"
                    "Exit status: 0 healthy, 1 unhealthy (prints \"unhealthy\"), 125 the check "
                    "could not run (no such container, no healthcheck defined, container not "
                    "running).",
                    [flags](Context& ctx) { return run_healthcheck_run(ctx, *flags); });
    cmd->add_option("CONTAINER", flags->container, "name or id")->required();
    return;
  }
  {
    auto* cmd = add(p, "prune", "Remove every container that is not running", "",
                    "krill container prune -f",
                    [&c](Context& ctx) { return run_container_prune(ctx, c.prune); });
    cmd->add_flag("-f,--force", c.prune.force, "do not ask for confirmation");
    multi(cmd, "--filter", c.prune.filters, "label=K[=V], until=UNIX-SECONDS");
  }
  {
    auto* cmd = add(p, "cleanup", "Record a container's exit (run by krill-monitor)", "CONTAINER",
                    "krill container cleanup 3f2a...",
                    [&c](Context& ctx) { return run_container_cleanup(ctx, c.cleanup); });
    cmd->add_option("CONTAINER", c.cleanup.container, "id")->required();
    cmd->group("");  // hidden
  }
}

void KrillCommandLine::register_volume_commands() {
  auto& o = options;
  CLI::App* volume = add_group("volume", "Manage volumes");
  {
    auto* c = add(*volume, "create", "Create a volume", "[NAME]",
                  "krill volume create --label app=web data",
                  [&o](Context& ctx) { return run_volume_create(ctx, o.volume_create); });
    c->add_option("NAME", o.volume_create.name, "name (default: generated)");
    c->add_option("-d,--driver", o.volume_create.driver, "volume driver (local)");
    multi(c, "-l,--label", o.volume_create.labels, "set a label K=V");
    multi(c, "-o,--opt", o.volume_create.options, "driver option K=V");
    c->add_flag("--ignore", o.volume_create.ignore, "an existing NAME is not an error");
  }
  {
    auto* c = add(*volume, "ls", "List volumes", "",
                  "krill volume ls --filter dangling=true --format '{{.Name}}'",
                  [&o](Context& ctx) { return run_volume_ls(ctx, o.volume_ls); });
    c->alias("list");
    multi(c, "-f,--filter", o.volume_ls.filters,
          "name=, label=, label!=, driver=, opt=, dangling=, until=");
    c->add_option("--format", o.volume_ls.format, "json or a Go template");
    c->add_flag("-q,--quiet", o.volume_ls.quiet, "only names");
    c->add_flag("-n,--noheading", o.volume_ls.noheading, "no header row");
  }
  {
    auto* c = add(*volume, "inspect", "Show volumes' details", "NAME...",
                  "krill volume inspect --format '{{.Mountpoint}}' data",
                  [&o](Context& ctx) { return run_volume_inspect(ctx, o.volume_inspect); });
    c->add_option("NAME", o.volume_inspect.names, "volume names");
    c->add_option("-f,--format", o.volume_inspect.format, "json or a Go template");
    c->add_flag("-a,--all", o.volume_inspect.all, "every volume");
  }
  {
    auto* c = add(*volume, "rm", "Remove volumes", "NAME...", "krill volume rm data",
                  [&o](Context& ctx) { return run_volume_rm(ctx, o.volume_rm); });
    c->alias("remove");
    c->add_option("NAME", o.volume_rm.names, "volume names");
    c->add_flag("-f,--force", o.volume_rm.force, "also remove containers using it");
    c->add_flag("-a,--all", o.volume_rm.all, "every volume");
  }
  {
    auto* c = add(*volume, "prune", "Remove volumes no container uses", "", "krill volume prune -f",
                  [&o](Context& ctx) { return run_volume_prune(ctx, o.volume_prune); });
    multi(c, "--filter", o.volume_prune.filters, "label=, label!=, until=");
    c->add_flag("-f,--force", o.volume_prune.force, "do not ask for confirmation");
  }
}

void KrillCommandLine::register_network_commands() {
  auto& o = options.network;
  CLI::App* group = add_group("network", "Manage networks");
  {
    auto* c = add(*group, "create", "Create a bridge network", "[NAME]",
                  "krill network create --subnet 10.91.5.0/24 backend",
                  [&o](Context& ctx) { return run_network_create(ctx, o.create); });
    c->add_option("NAME", o.create.name, "name (default: generated)");
    c->add_option("-d,--driver", o.create.driver, "network driver (bridge)");
    multi(c, "--subnet", o.create.subnets, "subnet in CIDR form (repeatable)");
    multi(c, "--gateway", o.create.gateways, "gateway of the subnet at the same position");
    multi(c, "--ip-range", o.create.ip_ranges, "containers' addresses: CIDR or START-END");
    c->add_flag("--internal", o.create.internal, "no route out of the network");
    c->add_flag("--ipv6", o.create.ipv6, "also an IPv6 subnet");
    multi(c, "-l,--label", o.create.labels, "set a label K=V");
    multi(c, "-o,--opt", o.create.options, "driver option: mtu=N, isolate=true");
    c->add_option("--interface-name", o.create.interface_name, "the bridge device's name");
    c->add_flag("--ignore", o.create.ignore, "an existing NAME is not an error");
  }
  {
    auto* c = add(*group, "ls", "List networks", "", "krill network ls --format '{{.Name}}'",
                  [&o](Context& ctx) { return run_network_ls(ctx, o.ls); });
    c->alias("list");
    multi(c, "-f,--filter", o.ls.filters, "name=, id=, driver=, label=, label!=");
    c->add_option("--format", o.ls.format, "json or a Go template");
    c->add_flag("-q,--quiet", o.ls.quiet, "only names");
    c->add_flag("-n,--noheading", o.ls.noheading, "no header row");
    c->add_flag("--no-trunc", o.ls.no_trunc, "full network ids");
  }
  {
    auto* c = add(*group, "inspect", "Show networks' details", "NAME...",
                  "krill network inspect --format '{{.network_interface}}' krill",
                  [&o](Context& ctx) { return run_network_inspect(ctx, o.inspect); });
    c->add_option("NAME", o.inspect.names, "network names or ids");
    c->add_option("-f,--format", o.inspect.format, "json or a Go template");
  }
  {
    auto* c = add(*group, "rm", "Remove networks", "NAME...", "krill network rm backend",
                  [&o](Context& ctx) { return run_network_rm(ctx, o.rm); });
    c->alias("remove");
    c->add_option("NAME", o.rm.names, "network names or ids");
    c->add_flag("-f,--force", o.rm.force, "also remove the containers on it");
  }
  {
    auto* c =
        add(*group, "prune", "Remove networks no container uses", "", "krill network prune -f",
            [&o](Context& ctx) { return run_network_prune(ctx, o.prune); });
    multi(c, "--filter", o.prune.filters, "label=, label!=");
    c->add_flag("-f,--force", o.prune.force, "do not ask for confirmation");
  }
  {
    auto* c = add(*group, "connect", "Connect a container to a network", "NETWORK CONTAINER",
                  "krill network connect --alias db backend pg",
                  [&o](Context& ctx) { return run_network_connect(ctx, o.connect); });
    c->add_option("NETWORK", o.connect.network, "the network")->required();
    c->add_option("CONTAINER", o.connect.container, "the container")->required();
    multi(c, "--alias", o.connect.aliases, "another name of the container on the network");
    c->add_option("--ip", o.connect.ip, "its IPv4 address there");
    c->add_option("--ip6", o.connect.ip6, "its IPv6 address there");
    c->add_option("--mac-address", o.connect.mac_address, "its MAC address there");
  }
  {
    auto* c = add(*group, "disconnect", "Disconnect a container from a network",
                  "NETWORK CONTAINER", "krill network disconnect backend pg",
                  [&o](Context& ctx) { return run_network_disconnect(ctx, o.disconnect); });
    c->add_option("NETWORK", o.disconnect.network, "the network")->required();
    c->add_option("CONTAINER", o.disconnect.container, "the container")->required();
    c->add_flag("-f,--force", o.disconnect.force, "accepted for Docker compatibility");
  }
}

}  // namespace krill::cli
