#include "runtime/hooks.h"

#include <chrono>

#include "base/child_process.h"

namespace krill::runtime {
namespace {

constexpr size_t kOutputLimit = 64 * 1024;  // bytes kept of each of stdout and stderr

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  const size_t newline = text.rfind('\n');
  if (newline != std::string::npos) text.erase(0, newline + 1);
  return text;
}

}  // namespace

Result<void> run_hook(const oci::Hook& hook, std::string_view state_json, std::string_view phase,
                      size_t number, const std::string& cwd) {
  const std::string label =
      std::string(phase) + " hook #" + std::to_string(number) + " (" + hook.path + ")";
  if (hook.path.empty())
    return fail(std::string(phase) + " hook #" + std::to_string(number) + ": empty path");

  ChildSpec spec;
  spec.path = hook.path;
  spec.argv = hook.args;  // argv[0] is the path when args is empty
  spec.env = hook.env;
  spec.cwd = cwd;
  spec.stdin_data = state_json;
  if (hook.timeout.has_value() && *hook.timeout > 0)
    spec.timeout = std::chrono::seconds(*hook.timeout);
  spec.stdout_cap = {kOutputLimit, OutputCap::Keep::kTail};
  spec.stderr_cap = {kOutputLimit, OutputCap::Keep::kTail};
  auto ran = run_child(spec);
  if (!ran) return std::unexpected(std::move(ran.error()).context(label));
  const ChildOutcome& outcome = *ran;

  if (outcome.chdir_errno != 0) return fail_errno(label + ": chdir to " + cwd, outcome.chdir_errno);
  if (outcome.exec_errno != 0) return fail_errno(label + ": exec", outcome.exec_errno);
  if (outcome.timed_out)
    return fail(label + " timed out after " + std::to_string(*hook.timeout) + "s");
  if (outcome.succeeded()) return {};
  std::string message = label + ": " + describe_wait_status(outcome.wait_status);
  std::string line = last_line(outcome.stderr_text);
  if (line.empty()) line = last_line(outcome.stdout_text);
  if (!line.empty()) message += ": " + line;
  return fail(message);
}

Result<void> run_hooks(const std::vector<oci::Hook>& hooks, std::string_view state_json,
                       std::string_view phase, const std::string& cwd) {
  for (size_t i = 0; i < hooks.size(); ++i)
    KRILL_CHECK(run_hook(hooks[i], state_json, phase, i + 1, cwd));
  return {};
}

std::vector<std::string> run_hooks_best_effort(const std::vector<oci::Hook>& hooks,
                                               std::string_view state_json,
                                               std::string_view phase,
                                               const std::string& cwd) {
  std::vector<std::string> warnings;
  for (size_t i = 0; i < hooks.size(); ++i) {
    auto result = run_hook(hooks[i], state_json, phase, i + 1, cwd);
    if (!result) warnings.push_back(result.error().message());
  }
  return warnings;
}

}  // namespace krill::runtime
