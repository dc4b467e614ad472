// The subcommands of krill-runtime, one .cpp file each.
//
// For every command NAME:
//   add_NAME_command(parent, options)  declares the subcommand and binds its flags
//                                      and arguments to `options` (no Runtime involved:
//                                      this is what the unit tests parse against);
//   register_NAME(parent, commands)    does the same with options it owns and appends
//                                      the Command that runs it.
// Pure helpers that turn parsed flags into library requests or output are
// declared beside them so that they can be tested without a container.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/runtime/command.h"
#include "oci/spec.h"
#include "runtime/runtime.h"

namespace krill::cli {

// ---- create / run ----

// --bundle/-b, --pid-file, --console-socket, --no-pivot, --no-new-keyring,
// --preserve-fds and the <container-id>, shared by create and run.
void add_create_flags(CLI::App* command, runtime::CreateOptions& options);
CLI::App* add_create_command(CLI::App& parent, runtime::CreateOptions& options);
void register_create(CLI::App& parent, CommandList& commands);

struct RuntimeRunFlags {
  runtime::RunOptions options;
  bool no_subreaper = false;  // accepted for runc compatibility
};
CLI::App* add_run_command(CLI::App& parent, RuntimeRunFlags& flags);
void register_run(CLI::App& parent, CommandList& commands);

// ---- commands that take only a container id ----

struct IdOptions {
  std::string id;
};
CLI::App* add_start_command(CLI::App& parent, IdOptions& options);
void register_start(CLI::App& parent, CommandList& commands);
CLI::App* add_state_command(CLI::App& parent, IdOptions& options);
void register_state(CLI::App& parent, CommandList& commands);
CLI::App* add_pause_command(CLI::App& parent, IdOptions& options);
void register_pause(CLI::App& parent, CommandList& commands);
CLI::App* add_resume_command(CLI::App& parent, IdOptions& options);
void register_resume(CLI::App& parent, CommandList& commands);

// `state`'s output: the state JSON indented like runc's (no trailing newline).
std::string format_state(const oci::State& state);
std::string format_state(const runtime::ContainerSummary& container);

// ---- kill / delete ----

struct KillOptions {
  std::string id;
  std::string signal = "SIGTERM";
  bool all = false;
};
CLI::App* add_kill_command(CLI::App& parent, KillOptions& options);
void register_kill(CLI::App& parent, CommandList& commands);

struct DeleteOptions {
  std::string id;
  bool force = false;
};
CLI::App* add_delete_command(CLI::App& parent, DeleteOptions& options);
void register_delete(CLI::App& parent, CommandList& commands);

// ---- exec ----

struct RuntimeExecFlags {
  runtime::ExecOptions options;  // args: everything after the id, verbatim
  std::string cgroup;            // runc's --cgroup: not supported
  bool ignore_paused = false;    // accepted for runc compatibility
};
CLI::App* add_exec_command(CLI::App& parent, RuntimeExecFlags& flags);
void register_exec(CLI::App& parent, CommandList& commands);
// Checks the parsed flags and drops a "--" separating the id from the command.
Result<runtime::ExecOptions> exec_options(const RuntimeExecFlags& flags);

// ---- list ----

struct ListOptions {
  std::string format = "table";
  bool quiet = false;
};
CLI::App* add_list_command(CLI::App& parent, ListOptions& options);
void register_list(CLI::App& parent, CommandList& commands);

// `list`: runc's table (columns aligned like Go's tabwriter: min width 12,
// padding 3), one id per line with --quiet, or a JSON array.
std::string format_list_table(const std::vector<runtime::ContainerSummary>& containers);
std::string format_list_quiet(const std::vector<runtime::ContainerSummary>& containers);
std::string format_list_json(const std::vector<runtime::ContainerSummary>& containers);

// ---- ps ----

struct PsOptions {
  std::string id;
  std::string format = "table";
  std::vector<std::string> ps_args;  // options for ps(1); default -ef
};
CLI::App* add_ps_command(CLI::App& parent, PsOptions& options);
void register_ps(CLI::App& parent, CommandList& commands);

std::string format_pids_json(const std::vector<pid_t>& pids);
// Keeps the header and the lines of `ps_output` whose PID column is one of `pids`.
Result<std::string> filter_ps_output(std::string_view ps_output, const std::vector<pid_t>& pids);

// ---- update ----

struct UpdateFlags {
  std::string id;
  std::string resources_file;  // path or "-" (stdin); then the other flags are ignored
  // Empty: not given.
  std::string blkio_weight;
  std::string cpu_period;
  std::string cpu_quota;
  std::string cpu_share;
  std::string cpu_rt_period;
  std::string cpu_rt_runtime;
  std::string cpuset_cpus;
  std::string cpuset_mems;
  std::string memory;
  std::string memory_reservation;
  std::string memory_swap;
  std::string kernel_memory;      // hidden, deprecated in runc
  std::string kernel_memory_tcp;  // hidden, deprecated in runc
  std::string pids_limit;
  std::string l3_cache_schema;
  std::string mem_bw_schema;
};
CLI::App* add_update_command(CLI::App& parent, UpdateFlags& flags);
void register_update(CLI::App& parent, CommandList& commands);

// "512m" -> 536870912, "1g", "1.5GiB", "100": runc's (docker's) RAMInBytes,
// binary multiples, case-insensitive, optional "i" and "b".
Result<int64_t> parse_memory_bytes(std::string_view text);
// The resources the flags ask for (fields not given stay absent).
Result<oci::Resources> resources_from_flags(const UpdateFlags& flags);

// ---- events ----

struct EventsOptions {
  std::string id;
  bool stats = false;
  std::string interval = "5s";
};
CLI::App* add_events_command(CLI::App& parent, EventsOptions& options);
void register_events(CLI::App& parent, CommandList& commands);

// Go durations as runc accepts them: "5s", "500ms", "1m30s", "1.5h", "250us".
Result<std::chrono::nanoseconds> parse_duration(std::string_view text);
// {"type":"stats","id":ID,"data":...} on one line; `stats_json` may be the
// whole event (passed through) or only its data.
Result<std::string> stats_event_line(const std::string& id, const std::string& stats_json);
// runc's OOM event: {"type":"oom","id":ID} and a newline.
std::string oom_event_line(const std::string& id);

// ---- spec / features / help ----

struct SpecOptions {
  std::string bundle;
  bool rootless = false;
};
CLI::App* add_spec_command(CLI::App& parent, SpecOptions& options);
void register_spec(CLI::App& parent, CommandList& commands);
// Writes <bundle>/config.json; refuses to overwrite it.
Result<void> write_default_spec(const SpecOptions& options);

CLI::App* add_features_command(CLI::App& parent);
void register_features(CLI::App& parent, CommandList& commands);

// Every command above, in `krill-runtime --help` order.
void register_all_commands(CLI::App& parent, CommandList& commands);

}  // namespace krill::cli
