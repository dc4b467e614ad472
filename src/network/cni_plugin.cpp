#include "network/cni_plugin.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/unique_fd.h"

namespace krill::network {
namespace {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Running a plugin process.

// A plugin that hangs (an iptables lock, a stuck netlink call) must not hang the engine.
constexpr auto kPluginTimeout = std::chrono::seconds(60);
// A result is a few KiB; anything near this is a broken plugin, not a result to keep in memory.
constexpr size_t kStdoutLimit = 64 * 1024 * 1024;
constexpr size_t kStderrLimit = 64 * 1024;  // the tail of stderr kept for error messages

// Blocks SIGPIPE in the calling thread while stdin is written to a plugin that may have exited
// without reading it, so the write fails with EPIPE instead of killing the engine. A SIGPIPE
// raised meanwhile is consumed; the mask is restored afterwards.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    if (!was_pending_) {
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGPIPE);
      struct timespec zero {};
      while (sigtimedwait(&set, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
};

// The forked plugin; killed and reaped unless it was waited for, so no early return leaks a
// process or a zombie.
class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  pid_t pid() const { return pid_; }

  // Blocks until the child exits. Returns the wait status, or -1 with errno.
  int wait() {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, 0);
    } while (r < 0 && errno == EINTR);
    pid_ = -1;
    return r < 0 ? -1 : status;
  }
  // True when the child was reaped (status stored, -1 on a waitpid error).
  bool try_wait(int& status) {
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return false;
    if (r < 0) status = -1;
    pid_ = -1;
    return true;
  }

 private:
  pid_t pid_;
};

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return fail_errno("pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Reads what is available from a non-blocking fd; closes it at EOF or on an error. Keeps at most
// `limit` bytes: the tail when `keep_tail`, otherwise the head (and sets `overflow`).
void drain(UniqueFd& fd, std::string& buffer, size_t limit, bool keep_tail, bool& overflow) {
  char chunk[65536];
  while (fd) {
    ssize_t n = ::read(fd.get(), chunk, sizeof(chunk));
    if (n > 0) {
      if (keep_tail) {
        buffer.append(chunk, static_cast<size_t>(n));
        if (buffer.size() > 2 * limit) buffer.erase(0, buffer.size() - limit);
      } else if (buffer.size() + static_cast<size_t>(n) > limit) {
        overflow = true;
      } else {
        buffer.append(chunk, static_cast<size_t>(n));
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    fd.reset();
  }
}

// Child side, between fork and execve: async-signal-safe calls only, no allocation.
[[noreturn]] void exec_plugin(int stdin_fd, int stdout_fd, int stderr_fd, int error_fd,
                              const char* path, char* const* argv, char* const* envp) {
  // Move the pipe ends above 2 first so dup2 never meets itself (dup2(x, x) would leave
  // O_CLOEXEC set on 0-2).
  int in = ::fcntl(stdin_fd, F_DUPFD_CLOEXEC, 3);
  int out = ::fcntl(stdout_fd, F_DUPFD_CLOEXEC, 3);
  int err = ::fcntl(stderr_fd, F_DUPFD_CLOEXEC, 3);
  if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 ||
      ::dup2(err, 2) < 0) {
    int e = errno;
    (void)!::write(error_fd, &e, sizeof(e));
    ::_exit(127);
  }
  // Plugins are Go programs that expect a clean signal state.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Only 0-2 reach the plugin: descriptors another thread opened without O_CLOEXEC (or a
  // library's) must not leak into it. Marked close-on-exec rather than closed so error_fd
  // stays usable until execve.
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) < 0)
#endif
  {
    struct rlimit limit {};
    int max_fd = 65536;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536)
      max_fd = static_cast<int>(limit.rlim_cur);
    for (int fd = 3; fd < max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  ::execve(path, argv, envp);
  int e = errno;
  (void)!::write(error_fd, &e, sizeof(e));
  ::_exit(127);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (") + name + ")" : "");
  }
  return "wait status " + std::to_string(status);
}

std::string trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return std::string(text);
}

// The message of a CNI error object ({"code":N,"msg":"...","details":"..."}), or nothing when
// `output` is not one.
std::optional<std::string> cni_error_message(std::string_view output) {
  const json doc = json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("code")) return std::nullopt;
  std::string msg, details;
  if (auto it = doc.find("msg"); it != doc.end() && it->is_string()) msg = it->get<std::string>();
  if (auto it = doc.find("details"); it != doc.end() && it->is_string())
    details = it->get<std::string>();
  if (msg.empty()) msg = "CNI error code " + doc["code"].dump();
  if (!details.empty()) msg += ": " + details;
  return msg;
}

// Error text for a failed plugin: its CNI error object, else its exit status with stderr (or
// stdout when stderr is empty), shortened to its end.
std::string failure_message(int status, const std::string& stdout_text,
                            const std::string& stderr_text) {
  if (auto message = cni_error_message(stdout_text)) return *message;
  std::string message = describe_status(status);
  std::string detail = trim(stderr_text);
  if (detail.empty()) detail = trim(stdout_text);
  constexpr size_t kDetailLimit = 2048;
  if (detail.size() > kDetailLimit) detail = "..." + detail.substr(detail.size() - kDetailLimit);
  if (!detail.empty()) message += ": " + detail;
  return message;
}

class ProcessPluginExecutor : public PluginExecutor {
 public:
  Result<std::string> exec(const std::string& path, const std::vector<std::string>& env,
                           std::string_view stdin_data) override;
};

Result<std::string> ProcessPluginExecutor::exec(const std::string& path,
                                                const std::vector<std::string>& env,
                                                std::string_view stdin_data) {
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::string argv0 = path;
  char* argv[] = {argv0.data(), nullptr};
  std::vector<std::string> env_copy = env;
  std::vector<char*> envp;
  for (auto& var : env_copy) envp.push_back(var.data());
  envp.push_back(nullptr);

  Pipe in = KRILL_TRY(make_pipe());
  Pipe out = KRILL_TRY(make_pipe());
  Pipe err = KRILL_TRY(make_pipe());
  Pipe exec_error = KRILL_TRY(make_pipe());

  const pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork");
  if (pid == 0) {
    exec_plugin(in.read.get(), out.write.get(), err.write.get(), exec_error.write.get(),
                path.c_str(), argv, envp.data());
  }
  ChildProcess child(pid);
  in.read.reset();
  out.write.reset();
  err.write.reset();
  exec_error.write.reset();

  // The exec-error pipe closes on a successful execve (O_CLOEXEC) or carries its errno.
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_error.read.get(), &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    child.wait();
    return fail_errno("exec " + path, exec_errno);
  }

  for (int fd : {in.write.get(), out.read.get(), err.read.get()})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

  // Readable when the child exits, even if something it started still holds the pipes.
  UniqueFd pidfd;
#ifdef SYS_pidfd_open
  pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
#endif

  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + kPluginTimeout;

  SigpipeBlock sigpipe_block;
  std::string_view to_write = stdin_data;
  if (to_write.empty()) in.write.reset();
  std::string stdout_text, stderr_text;
  bool stdout_overflow = false, stderr_overflow = false;
  int status = 0;
  bool exited = false;

  // Stdin, stdout and stderr are served together: a plugin may print before it has read all
  // of its input, and either output pipe can fill up while we wait on another.
  while (!exited) {
    pollfd fds[4];
    nfds_t count = 0;
    int in_index = -1, out_index = -1, err_index = -1, pid_index = -1;
    if (in.write) {
      in_index = static_cast<int>(count);
      fds[count++] = {in.write.get(), POLLOUT, 0};
    }
    if (out.read) {
      out_index = static_cast<int>(count);
      fds[count++] = {out.read.get(), POLLIN, 0};
    }
    if (err.read) {
      err_index = static_cast<int>(count);
      fds[count++] = {err.read.get(), POLLIN, 0};
    }
    if (pidfd) {
      pid_index = static_cast<int>(count);
      fds[count++] = {pidfd.get(), POLLIN, 0};
    }

    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    int timeout_ms = left < 0 ? 0 : static_cast<int>(left) + 1;
    // Without a pidfd, or once the pipes are closed, look at the child regularly.
    if ((!pidfd || count == 0) && timeout_ms > 20) timeout_ms = 20;

    int ready = ::poll(fds, count, timeout_ms);
    if (ready < 0 && errno != EINTR) return fail_errno("poll");

    if (ready > 0) {
      if (in_index >= 0 && fds[in_index].revents) {
        ssize_t w = ::write(in.write.get(), to_write.data(), to_write.size());
        if (w > 0) to_write.remove_prefix(static_cast<size_t>(w));
        // EPIPE: the plugin closed stdin without reading all of it; its exit status tells.
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || to_write.empty()) in.write.reset();
      }
      if (out_index >= 0 && fds[out_index].revents)
        drain(out.read, stdout_text, kStdoutLimit, false, stdout_overflow);
      if (err_index >= 0 && fds[err_index].revents)
        drain(err.read, stderr_text, kStderrLimit, true, stderr_overflow);
    }

    if (!pidfd || (pid_index >= 0 && ready > 0 && fds[pid_index].revents)) {
      exited = child.try_wait(status);
      if (exited && status == -1) return fail_errno("wait");
    }
    if (!exited && Clock::now() >= deadline) {
      ::kill(child.pid(), SIGKILL);
      child.wait();
      return fail("timed out after " + std::to_string(kPluginTimeout.count()) + "s (killed)");
    }
  }

  // Collect what the plugin wrote before it exited; a process it left behind may hold the
  // pipes open, so do not wait for EOF.
  drain(out.read, stdout_text, kStdoutLimit, false, stdout_overflow);
  drain(err.read, stderr_text, kStderrLimit, true, stderr_overflow);

  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(failure_message(status, stdout_text, stderr_text));
  if (stdout_overflow)
    return fail("output larger than " + std::to_string(kStdoutLimit >> 20) + " MiB");
  return stdout_text;
}

// ---------------------------------------------------------------------------------------------
// Running a network configuration list.

json parse_json(std::string_view text) { return json::parse(text, nullptr, false); }

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string joined;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) joined += separator;
    joined += items[i];
  }
  return joined;
}

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

Result<std::string> find_plugin(const std::string& type, const std::vector<std::string>& dirs) {
  // A type is a file name; "../x" or "/bin/x" would run something outside the plugin dirs.
  if (type.empty() || type.find('/') != std::string::npos || type == "." || type == "..")
    return fail("invalid plugin type \"" + type + "\"");
  for (const auto& dir : dirs) {
    if (dir.empty()) continue;
    std::string path = dir;
    if (path.back() != '/') path += '/';
    path += type;
    if (is_executable_file(path)) return path;
  }
  return fail("failed to find plugin \"" + type + "\" in path [" + join(dirs, " ") + "]");
}

std::vector<std::string> plugin_env(std::string_view command, const CniInvocation& invocation,
                                    const std::vector<std::string>& plugin_dirs) {
  std::string args = "IgnoreUnknown=1";
  for (const auto& [key, value] : invocation.args) args += ";" + key + "=" + value;
  return {
      "CNI_COMMAND=" + std::string(command),
      "CNI_CONTAINERID=" + invocation.container_id,
      "CNI_NETNS=" + invocation.netns_path,
      "CNI_IFNAME=" + invocation.ifname,
      "CNI_ARGS=" + args,
      "CNI_PATH=" + join(plugin_dirs, ":"),
      // The plugins run iptables, ip6tables and modprobe by name.
      "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
  };
}

// The plugin's network configuration as the spec's runtime hands it over: its own keys, the
// list's name and cniVersion, runtimeConfig for the capabilities it declares, prevResult.
Result<std::string> plugin_stdin(json plugin, const std::string& name,
                                 const std::string& cni_version, const CniInvocation& invocation,
                                 const json* prev_result) {
  plugin["name"] = name;
  plugin["cniVersion"] = cni_version;
  json runtime_config = json::object();
  if (auto caps = plugin.find("capabilities"); caps != plugin.end() && caps->is_object()) {
    for (const auto& [capability, enabled] : caps->items()) {
      if (!enabled.is_boolean() || !enabled.get<bool>()) continue;
      auto arg = invocation.capability_args.find(capability);
      if (arg == invocation.capability_args.end()) continue;
      json value = parse_json(arg->second);
      if (value.is_discarded())
        return fail("runtimeConfig \"" + capability + "\": invalid JSON: " + arg->second);
      runtime_config[capability] = std::move(value);
    }
  }
  // Like libcni: runtimeConfig is only set when there is something to put in it.
  if (!runtime_config.empty()) plugin["runtimeConfig"] = std::move(runtime_config);
  if (prev_result) plugin["prevResult"] = *prev_result;
  return plugin.dump();
}

std::string plugin_type(const json& plugin) {
  auto it = plugin.find("type");
  return it != plugin.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Runs one plugin for `command`; errors carry "plugin <type> (<command>)".
Result<std::string> run_plugin(const std::string& plugin_text, std::string_view command,
                               const std::string& name, const std::string& cni_version,
                               const CniInvocation& invocation, const json* prev_result,
                               const std::vector<std::string>& plugin_dirs,
                               PluginExecutor& executor) {
  const json plugin = parse_json(plugin_text);  // validated by parse()
  const std::string type = plugin_type(plugin);
  const std::string context = "plugin " + type + " (" + std::string(command) + ")";
  auto path = find_plugin(type, plugin_dirs);
  if (!path) return std::unexpected(std::move(path.error()).context(context));
  auto input = plugin_stdin(plugin, name, cni_version, invocation, prev_result);
  if (!input) return std::unexpected(std::move(input.error()).context(context));
  auto output = executor.exec(*path, plugin_env(command, invocation, plugin_dirs), *input);
  if (!output) return std::unexpected(std::move(output.error()).context(context));
  return output;
}

bool is_blank(std::string_view text) { return trim(text).empty(); }

// CHECK came with spec 0.4.0; a list that says 0.1.0-0.3.1 cannot be checked.
bool supports_check(const std::string& version) {
  return !(version.starts_with("0.1.") || version.starts_with("0.2.") ||
           version.starts_with("0.3."));
}

}  // namespace

std::unique_ptr<PluginExecutor> make_process_plugin_executor() {
  return std::make_unique<ProcessPluginExecutor>();
}

Result<CniResult> parse_cni_result(std::string_view text) {
  const json doc = parse_json(text);
  if (!doc.is_object()) return fail("CNI result: not a JSON object");
  CniResult result;
  result.json = std::string(text);

  const auto string_field = [](const json& object, const char* key) -> Result<std::string> {
    auto it = object.find(key);
    if (it == object.end() || it->is_null()) return std::string();
    if (!it->is_string()) return fail(std::string(key) + ": not a string");
    return it->get<std::string>();
  };

  if (auto it = doc.find("interfaces"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return fail("CNI result: interfaces: not an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& entry = (*it)[i];
      const std::string where = "CNI result: interfaces[" + std::to_string(i) + "]";
      if (!entry.is_object()) return fail(where + ": not an object");
      CniInterface interface;
      auto name = string_field(entry, "name");
      auto mac = string_field(entry, "mac");
      auto sandbox = string_field(entry, "sandbox");
      for (auto* field : {&name, &mac, &sandbox})
        if (!*field) return std::unexpected(std::move(field->error()).context(where));
      interface.name = std::move(*name);
      interface.mac = std::move(*mac);
      interface.sandbox = std::move(*sandbox);
      result.interfaces.push_back(std::move(interface));
    }
  }

  // 0.3.0 and later (the 0.3.x/0.4.0 "version" key is ignored): ips[] with an interface index.
  if (auto it = doc.find("ips"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return fail("CNI result: ips: not an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& entry = (*it)[i];
      const std::string where = "CNI result: ips[" + std::to_string(i) + "]";
      if (!entry.is_object()) return fail(where + ": not an object");
      CniIpConfig ip;
      auto address = string_field(entry, "address");
      if (!address) return std::unexpected(std::move(address.error()).context(where));
      if (address->empty()) return fail(where + ": address: missing");
      auto gateway = string_field(entry, "gateway");
      if (!gateway) return std::unexpected(std::move(gateway.error()).context(where));
      ip.address = std::move(*address);
      ip.gateway = std::move(*gateway);
      if (auto index = entry.find("interface"); index != entry.end() && !index->is_null()) {
        if (!index->is_number_integer()) return fail(where + ": interface: not an integer");
        const auto value = index->get<long long>();
        if (value < 0 || value >= static_cast<long long>(result.interfaces.size()))
          return fail(where + ": interface: index " + std::to_string(value) + " out of range");
        ip.interface = static_cast<int>(value);
      }
      result.ips.push_back(std::move(ip));
    }
  }

  // 0.1.0/0.2.0: "ip4" and "ip6" objects with "ip" and "gateway", no interfaces.
  for (const char* key : {"ip4", "ip6"}) {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) continue;
    const std::string where = std::string("CNI result: ") + key;
    if (!it->is_object()) return fail(where + ": not an object");
    auto address = string_field(*it, "ip");
    auto gateway = string_field(*it, "gateway");
    for (auto* field : {&address, &gateway})
      if (!*field) return std::unexpected(std::move(field->error()).context(where));
    if (address->empty()) return fail(where + ": ip: missing");
    result.ips.push_back(CniIpConfig{std::move(*address), std::move(*gateway), -1});
  }
  return result;
}

Result<CniNetworkList> CniNetworkList::parse(std::string_view conflist_json) {
  const json doc = parse_json(conflist_json);
  if (doc.is_discarded()) return fail("CNI config: invalid JSON");
  if (!doc.is_object()) return fail("CNI config: not a JSON object");
  CniNetworkList list;

  auto name = doc.find("name");
  if (name == doc.end()) return fail("CNI config: name: missing");
  if (!name->is_string() || name->get<std::string>().empty())
    return fail("CNI config: name: not a non-empty string");
  list.name_ = name->get<std::string>();

  auto version = doc.find("cniVersion");
  if (version == doc.end()) return fail("CNI config: cniVersion: missing");
  if (!version->is_string() || version->get<std::string>().empty())
    return fail("CNI config: cniVersion: not a non-empty string");
  list.cni_version_ = version->get<std::string>();

  auto plugins = doc.find("plugins");
  if (plugins == doc.end()) return fail("CNI config: plugins: missing");
  if (!plugins->is_array()) return fail("CNI config: plugins: not an array");
  if (plugins->empty()) return fail("CNI config: plugins: empty");
  for (size_t i = 0; i < plugins->size(); ++i) {
    const json& plugin = (*plugins)[i];
    const std::string where = "CNI config: plugins[" + std::to_string(i) + "]";
    if (!plugin.is_object()) return fail(where + ": not an object");
    if (plugin_type(plugin).empty()) return fail(where + ": type: missing");
    list.plugins_.push_back(plugin.dump());
  }
  return list;
}

Result<CniResult> CniNetworkList::add(const CniInvocation& invocation,
                                      const std::vector<std::string>& plugin_dirs,
                                      PluginExecutor& executor) const {
  std::optional<json> prev_result;
  std::string result_text;
  size_t added = 0;  // plugins whose ADD succeeded, to undo on a later failure

  // What an ADD leaves behind (veth pairs, leases, iptables rules) must not outlive the failure:
  // the plugins that succeeded get a DEL, newest first, with the last result as prevResult.
  const auto roll_back = [&](Error error) -> Result<CniResult> {
    const json* prev = prev_result ? &*prev_result : nullptr;
    for (size_t i = added; i-- > 0;) {
      (void)run_plugin(plugins_[i], "DEL", name_, cni_version_, invocation, prev, plugin_dirs,
                       executor);
    }
    return std::unexpected(std::move(error));
  };

  for (const auto& plugin : plugins_) {
    auto output = run_plugin(plugin, "ADD", name_, cni_version_, invocation,
                             prev_result ? &*prev_result : nullptr, plugin_dirs, executor);
    if (!output) return roll_back(std::move(output.error()));
    ++added;
    // A plugin that prints nothing passes the result before it on (lenient; the spec asks
    // every plugin to print one).
    if (is_blank(*output) && prev_result) continue;
    json parsed = parse_json(*output);
    if (!parsed.is_object()) {
      return roll_back(Error("plugin " + plugin_type(parse_json(plugin)) +
                             " (ADD): result is not a JSON object: " + trim(*output)));
    }
    prev_result = std::move(parsed);
    result_text = std::move(*output);
  }

  auto result = parse_cni_result(result_text);
  if (!result) return roll_back(std::move(result.error()));
  return result;
}

Result<void> CniNetworkList::del(const CniInvocation& invocation,
                                 const std::string& cached_result_json,
                                 const std::vector<std::string>& plugin_dirs,
                                 PluginExecutor& executor) const {
  // A cached result that cannot be read is left out rather than failing the DEL: plugins must
  // clean up what they can without one.
  std::optional<json> cached;
  if (!is_blank(cached_result_json)) {
    json parsed = parse_json(cached_result_json);
    if (parsed.is_object()) cached = std::move(parsed);
  }
  std::optional<Error> first_error;
  for (size_t i = plugins_.size(); i-- > 0;) {
    auto output = run_plugin(plugins_[i], "DEL", name_, cni_version_, invocation,
                             cached ? &*cached : nullptr, plugin_dirs, executor);
    if (!output && !first_error) first_error = std::move(output.error());
  }
  if (first_error) return std::unexpected(std::move(*first_error));
  return {};
}

Result<void> CniNetworkList::check(const CniInvocation& invocation,
                                   const std::string& cached_result_json,
                                   const std::vector<std::string>& plugin_dirs,
                                   PluginExecutor& executor) const {
  if (!supports_check(cni_version_))
    return fail("CNI CHECK: configuration version " + cni_version_ + " does not support CHECK");
  if (is_blank(cached_result_json)) return fail("CNI CHECK: no cached result");
  const json cached = parse_json(cached_result_json);
  if (!cached.is_object()) return fail("CNI CHECK: cached result is not a JSON object");
  for (const auto& plugin : plugins_) {
    KRILL_CHECK(run_plugin(plugin, "CHECK", name_, cni_version_, invocation, &cached, plugin_dirs,
                           executor));
  }
  return {};
}

}  // namespace krill::network
