// krill-runtime ps: the container's processes, as ps(1) shows them or as a
// JSON array of pids.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <ostream>
#include <sstream>

#include "base/unique_fd.h"
#include "cli/runtime/commands.h"

extern char** environ;

namespace krill::cli {
namespace {

std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> fields;
  std::istringstream stream{std::string(line)};
  for (std::string field; stream >> field;) fields.push_back(field);
  return fields;
}

// Runs `argv` (looked up in PATH) and returns what it wrote to stdout.
Result<std::string> capture_output(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fail_errno("create a pipe for ps");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int err = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return fail_errno("run " + argv[0], err);
  write_end.reset();

  std::string output;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<size_t>(n));
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                        : "killed by signal " + std::to_string(WTERMSIG(status));
    return fail(argv[0] + " failed (" + how + "): " + output);
  }
  return output;
}

}  // namespace

std::string format_pids_json(const std::vector<pid_t>& pids) {
  std::string text = "[";
  for (size_t i = 0; i < pids.size(); ++i) {
    if (i > 0) text += ",";
    text += std::to_string(pids[i]);
  }
  return text + "]\n";
}

Result<std::string> filter_ps_output(std::string_view ps_output, const std::vector<pid_t>& pids) {
  std::vector<std::string_view> lines;
  while (!ps_output.empty()) {
    size_t end = ps_output.find('\n');
    lines.push_back(ps_output.substr(0, end));
    ps_output = end == std::string_view::npos ? std::string_view() : ps_output.substr(end + 1);
  }
  if (lines.empty()) return fail("couldn't find PID field in ps output");
  auto header = split_fields(lines[0]);
  auto pid_column = std::find(header.begin(), header.end(), "PID");
  if (pid_column == header.end()) return fail("couldn't find PID field in ps output");
  size_t pid_index = static_cast<size_t>(pid_column - header.begin());

  std::string text = std::string(lines[0]) + "\n";
  for (size_t i = 1; i < lines.size(); ++i) {
    auto fields = split_fields(lines[i]);
    if (fields.empty()) continue;
    if (fields.size() <= pid_index)
      return fail("unexpected ps output line: " + std::string(lines[i]));
    pid_t pid = 0;
    try {
      size_t used = 0;
      pid = static_cast<pid_t>(std::stol(fields[pid_index], &used));
      if (used != fields[pid_index].size()) throw std::invalid_argument("pid");
    } catch (const std::exception&) {
      return fail("unexpected pid '" + fields[pid_index] + "' in ps output");
    }
    if (std::find(pids.begin(), pids.end(), pid) != pids.end())
      text += std::string(lines[i]) + "\n";
  }
  return text;
}

CLI::App* add_ps_command(CLI::App& parent, PsOptions& options) {
  CLI::App* command = add_subcommand(
      parent, "ps", "ps displays the processes running inside a container",
      "[options] <container-id> [ps options]", "krill-runtime ps web1 -o pid,user,args");
  // Everything after the id is for ps(1), verbatim.
  command->positionals_at_end();
  command->add_option("-f,--format", options.format,
                      "select one of: table or json (default: \"table\")");
  add_id_argument(command, options.id);
  command->add_option("ps-options", options.ps_args, "options for ps(1) (default: -ef)");
  return command;
}

void register_ps(CLI::App& parent, CommandList& commands) {
  auto options = std::make_shared<PsOptions>();
  CLI::App* command = add_ps_command(parent, *options);
  commands.push_back({command, [options](CommandContext& context) -> Result<int> {
                        if (options->format != "table" && options->format != "json")
                          return fail("invalid format option");
                        auto runtime = KRILL_TRY(open_runtime(context));
                        auto pids = KRILL_TRY(runtime.processes(options->id));
                        if (options->format == "json") {
                          context.out << format_pids_json(pids);
                          return 0;
                        }
                        std::vector<std::string> argv = {"ps"};
                        auto ps_args = options->ps_args;
                        if (!ps_args.empty() && ps_args.front() == "--")
                          ps_args.erase(ps_args.begin());
                        if (ps_args.empty()) ps_args.push_back("-ef");
                        argv.insert(argv.end(), ps_args.begin(), ps_args.end());
                        std::string output = KRILL_TRY(capture_output(argv));
                        context.out << KRILL_TRY(filter_ps_output(output, pids));
                        return 0;
                      }});
}

}  // namespace krill::cli
