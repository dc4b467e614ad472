// run, create, start, attach: containers from images, attached or detached.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ostream>
#include <sstream>
#include <thread>

#include "base/process_stat.h"
#include "base/unique_fd.h"
#include "cli/krill/cmd_container.h"
#include "cli/krill/cmd_container_flags.h"
#include "cli/krill/cmd_working_container.h"
#include "cli/krill/commands.h"
#include "cli/krill/image_pull_policy.h"
#include "cli/krill/store_access.h"
#include "monitor/monitor_protocol.h"

namespace krill::cli {
namespace {

// Forwards the signals `krill run` receives to the container (--sig-proxy, non-tty): they are
// blocked in every thread and taken by sigtimedwait in a helper thread that runs the runtime's
// kill.
class SignalProxy {
 public:
  SignalProxy(const engine::Engine& engine, engine::ContainerConfig config, std::string id)
      : engine_(engine), config_(std::move(config)), id_(std::move(id)) {
    sigemptyset(&set_);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, wake_signal()})
      sigaddset(&set_, sig);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
    thread_ = std::thread([this] { loop(); });
  }
  ~SignalProxy() {
    stop_ = true;
    // Wakes the thread at once (a timeout alone would add up to its length to every run).
    pthread_kill(thread_.native_handle(), wake_signal());
    thread_.join();
    // Signals that arrived after the container exited are dropped.
    timespec zero{0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  static int wake_signal() { return SIGRTMIN + 3; }
  void loop() {
    while (!stop_) {
      timespec wait{1, 0};
      int sig = sigtimedwait(&set_, nullptr, &wait);
      if (sig <= 0) continue;
      if (sig == wake_signal()) {
        if (stop_) break;
        continue;  // not ours: someone else sent it
      }
      (void)engine_.run_runtime(config_, {"kill", id_, std::to_string(sig)});
    }
  }
  const engine::Engine& engine_;
  engine::ContainerConfig config_;
  std::string id_;
  sigset_t set_{}, old_{};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

Result<void> resolve_image(Context& ctx, const RunFlags& o, engine::ContainerConfig& config) {
  PullPolicyRequest request;
  request.image = o.image;
  request.policy = o.pull;
  request.platform = o.platform;
  request.quiet = o.quiet;
  request.registry = o.registry;
  auto found = KRILL_TRY(ensure_local_image(ctx, request));
  config.image_id = found.id.str();
  config.image_name.clear();
  auto normalized = normalize_name(o.image);
  if (normalized)
    for (const auto& n : found.names)
      if (n == *normalized) config.image_name = n;
  if (config.image_name.empty() && !found.names.empty() && !found.id.hex().starts_with(o.image) &&
      o.image != found.id.str())
    config.image_name = found.names.front();
  return {};
}

Result<engine::ContainerRecord> create_from_flags(Context& ctx, engine::Engine& engine,
                                                  const RunFlags& o) {
  auto config = KRILL_TRY(run_flags_to_config(o, process_env_lookup()));
  if (!o.detach_keys.empty()) KRILL_TRY(monitor::parse_detach_keys(o.detach_keys));
  KRILL_CHECK(resolve_image(ctx, o, config));
  return engine.create(std::move(config), o.name);
}

// Which streams -a picked (all when none given).
struct Attached {
  bool in = false, out = true, err = true;
};

Result<Attached> attached_streams(const std::vector<std::string>& list, bool interactive) {
  Attached a;
  a.in = interactive;
  if (list.empty()) return a;
  a = Attached{false, false, false};
  for (const auto& s : list) {
    std::string l;
    for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == "stdin")
      a.in = true;
    else if (l == "stdout")
      a.out = true;
    else if (l == "stderr")
      a.err = true;
    else
      return fail("invalid argument \"" + s +
                  "\" for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR");
  }
  return a;
}

// Waits until the monitor's clean-up has run (and, for --rm, removed the container); runs it
// here when the monitor went away without doing it.
void settle_after_exit(engine::Engine& engine, const std::string& id) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto record = engine.store().find(id);
    if (!record) {
      // Gone (--rm done). Any other error (a busy database) is not an answer: look again.
      if (record.error().errno_value() == ENOENT) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    bool done = record->status != engine::ContainerStatus::kRunning &&
                record->status != engine::ContainerStatus::kPaused && !record->config.auto_remove;
    if (done) return;
    auto exit = monitor::read_exit_record(engine.run_dir(id));
    bool monitor_dead =
        record->monitor_pid > 0 && !process_alive(record->monitor_pid, record->monitor_start_ticks);
    if ((exit && *exit) || monitor_dead) {
      (void)engine.cleanup(id);
      auto after = engine.store().find(id);
      if (!after) return;
      if (after->status != engine::ContainerStatus::kRunning && !after->config.auto_remove) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int report_start_error(Context& ctx, engine::Engine& engine, const std::string& id,
                       const Error& error) {
  ctx.err << "Error: " << error.message() << "\n";
  return engine.start_error_status(id, error);
}

// Starts `record` attached to our stdio and returns the container's exit status.
Result<int> start_attached(Context& ctx, engine::Engine& engine,
                           const engine::ContainerRecord& record, const Attached& streams, bool tty,
                           const std::string& detach_keys, bool sig_proxy) {
  // Streams not attached (-a) are dropped.
  UniqueFd null_fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  monitor::AttachStreams attach;
  attach.stdin_fd = streams.in ? 0 : -1;
  attach.stdout_fd = streams.out ? 1 : null_fd.get();
  attach.stderr_fd = streams.err ? 2 : null_fd.get();
  attach.tty = tty && ctx.in_is_terminal;
  attach.detach_keys = detach_keys;
  // --rm: this process removes the container once it has exited (settle_after_exit); the
  // monitor then leaves the runtime delete and its exit command (a second krill) to us.
  attach.claim_cleanup = record.config.auto_remove;
  ctx.out.flush();
  std::unique_ptr<SignalProxy> proxy;
  engine::StartRequest request = warning_printer(ctx);
  request.attach = attach;
  if (sig_proxy && !tty)
    request.on_running = [&](const engine::ContainerRecord& running) {
      proxy = std::make_unique<SignalProxy>(engine, running.config, running.id);
    };
  auto started = engine.start(record.id, request);
  proxy.reset();
  if (!started) {
    int status = report_start_error(ctx, engine, record.id, started.error());
    if (record.config.auto_remove) (void)engine.remove(record.id, true, true);
    return status;
  }
  if (started->attach && started->attach->detached) return 0;
  std::optional<int> code = started->attach ? started->attach->exit_code : std::nullopt;
  if (!code) {
    auto waited = engine.wait(record.id);
    code = waited ? *waited : 125;
  }
  settle_after_exit(engine, record.id);
  return *code;
}

}  // namespace

engine::StartRequest warning_printer(Context& ctx) {
  engine::StartRequest request;
  request.on_warning = [&ctx](const std::string& warning) { ctx.warn(warning); };
  return request;
}

Result<engine::Engine> open_engine(const Context& ctx) {
  engine::EngineOptions options;
  options.store_root = ctx.store_root();
  options.run_root = ctx.run_root();
  options.rootless = ctx.rootless();
  options.storage_driver = ctx.global.storage_driver;
  options.exit_command_global_args = {"--root", options.store_root, "--runroot", options.run_root};
  if (!ctx.global.storage_driver.empty()) {
    options.exit_command_global_args.push_back("--storage-driver");
    options.exit_command_global_args.push_back(ctx.global.storage_driver);
  }
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) options.krill_binary.assign(buf, static_cast<size_t>(n));
  return engine::Engine::open(options);
}

Result<int> run_container_create(Context& ctx, const RunFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto record = KRILL_TRY(create_from_flags(ctx, engine, o));
  ctx.out << record.id << "\n";
  return 0;
}

Result<int> run_container_run(Context& ctx, const RunFlags& o) {
  // buildah's `run CTR -- CMD` on a working container made by `krill from`.
  if (auto status = KRILL_TRY(run_in_working_container(ctx, o))) return *status;
  auto engine = KRILL_TRY(open_engine(ctx));
  auto streams = KRILL_TRY(attached_streams(o.attach, o.interactive));
  if (o.detach && !o.attach.empty())
    return fail("conflicting options: -a and -d cannot be used together");
  if (o.tty && o.interactive && !o.detach && !ctx.in_is_terminal)
    ctx.warn("the input device is not a TTY");
  auto record = KRILL_TRY(create_from_flags(ctx, engine, o));
  if (o.detach) {
    auto started = engine.start(record.id, warning_printer(ctx));
    if (!started) {
      int status = report_start_error(ctx, engine, record.id, started.error());
      if (o.rm) (void)engine.remove(record.id, true, true);
      return status;
    }
    ctx.out << record.id << "\n";
    return 0;
  }
  return start_attached(ctx, engine, record, streams, o.tty, o.detach_keys, o.sig_proxy);
}

Result<int> run_container_start(Context& ctx, const StartFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  if (o.attach && o.containers.size() > 1)
    return fail("you cannot start and attach multiple containers at once");
  int status = 0;
  for (const auto& name : o.containers) {
    if (o.attach) {
      auto record = KRILL_TRY(engine.find(name));
      Attached streams;
      streams.in = o.interactive;
      return start_attached(ctx, engine, record, streams, record.config.tty, o.detach_keys,
                            o.sig_proxy);
    }
    auto started = engine.start(name, warning_printer(ctx));
    if (!started) {
      status = report_start_error(ctx, engine, name, started.error());
      continue;
    }
    ctx.out << name << "\n";
  }
  return status;
}

Result<int> run_container_attach(Context& ctx, const AttachFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto record = KRILL_TRY(engine.find(o.container));
  if (record.status != engine::ContainerStatus::kRunning)
    return fail("you can only attach to running containers");
  Attached streams;
  streams.in = !o.no_stdin && record.config.interactive;
  return start_attached(ctx, engine, record, streams, record.config.tty, o.detach_keys,
                        o.sig_proxy);
}

}  // namespace krill::cli
