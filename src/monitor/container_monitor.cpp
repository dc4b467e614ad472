#include "monitor/container_monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <optional>

#include "base/clock.h"
#include "base/fd_passing.h"
#include "base/file_io.h"
#include "monitor/attach_socket.h"
#include "monitor/child_process.h"
#include "monitor/health_config.h"
#include "monitor/health_schedule.h"
#include "monitor/log_file.h"
#include "monitor/monitor_protocol.h"
#include "monitor/oom_watch.h"

namespace krill::monitor {
namespace {

constexpr size_t kReadChunk = 8192;                  // container output per read()
constexpr size_t kMaxRuntimeStderr = 64 * 1024;      // kept of the runtime's error output
constexpr size_t kMaxClientQueue = 8 * 1024 * 1024;  // a client further behind is dropped
constexpr size_t kMaxStdinPending = 1024 * 1024;     // clients paused beyond this
constexpr int kCreateTimeoutMs = 120 * 1000;
constexpr int kDeleteTimeoutMs = 60 * 1000;
constexpr int kExitCommandTimeoutMs = 30 * 1000;
constexpr int kClientFlushTimeoutMs = 5 * 1000;
constexpr int kPartialLineFlushMs = 1000;
// How long a healthcheck command may outlive its own timeout before it is killed.
constexpr int64_t kHealthCheckGraceMs = 30 * 1000;
// How long a healthcheck command with this timeout may run before the monitor kills it.
int64_t kill_after(int64_t timeout_ns) {
  return std::max<int64_t>(timeout_ns, 0) + kHealthCheckGraceMs * 1000000;
}

// epoll tags; attach clients get ids from kFirstClient on.
enum : uint64_t {
  kTagSignals = 1,
  kTagAttachListen,
  kTagStdout,
  kTagStderr,
  kTagStdin,
  kTagPty,
  kTagHealthTimer,
  kFirstClient = 16,
};

std::string trim(std::string_view text) {
  const char* space = " \t\r\n";
  const size_t begin = text.find_first_not_of(space);
  if (begin == std::string_view::npos) return {};
  const size_t end = text.find_last_not_of(space);
  return std::string(text.substr(begin, end - begin + 1));
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// Appends bytes read from `fd` (non-blocking) to `out`, up to `limit` bytes in all. Returns
// false at EOF or on an error other than EAGAIN.
bool read_into(int fd, std::string& out, size_t limit) {
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      if (out.size() < limit)
        out.append(buffer, std::min(static_cast<size_t>(n), limit - out.size()));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

// <run_dir>/monitor.log: one line per problem, since the monitor has no terminal.
class ErrorLog {
 public:
  void set_path(std::string path) { path_ = std::move(path); }
  // Like write(), but a message equal to the previous one is not repeated (a full disk must
  // not fill monitor.log with one line per chunk of output).
  void write_once(const std::string& message) {
    if (message == last_) return;
    last_ = message;
    write(message);
  }
  void write(std::string_view message) const {
    const std::string line = format_rfc3339_nano(now_ns(), true) + " krill-monitor[" +
                             std::to_string(::getpid()) + "]: " + std::string(message) + "\n";
    if (path_.empty()) {
      (void)!::write(2, line.data(), line.size());
      return;
    }
    UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (fd) (void)!::write(fd.get(), line.data(), line.size());
  }

 private:
  std::string path_;
  std::string last_;
};

struct AttachClient {
  UniqueFd fd;
  std::deque<std::string> queue;  // frames the socket had no room for yet
  size_t queued_bytes = 0;
  bool dead = false;
  bool claimed_cleanup = false;  // sent kClaimCleanup
  uint32_t events = 0;           // registered epoll events
};

class ContainerMonitor {
 public:
  ContainerMonitor(MonitorConfig config, int status_fd, ChildReaper reaper, ErrorLog log)
      : config_(std::move(config)),
        status_fd_(status_fd),
        reaper_(std::move(reaper)),
        log_(std::move(log)) {}

  int run();

 private:
  std::string run_file(const char* name) const { return config_.run_dir + "/" + name; }
  Result<void> prepare();
  Result<pid_t> create_container(std::string& runtime_error);
  Result<void> report_status(const MonitorReady& ready);
  void remove_created_files();

  // Event loop.
  Result<void> watch(int fd, uint64_t tag, uint32_t events);
  void rewatch(int fd, uint64_t tag, uint32_t events);
  void unwatch(int fd);
  Result<void> event_loop();
  void handle_output(uint64_t tag, bool drain);
  void close_output(uint64_t tag);
  void broadcast(std::string_view frame);
  void accept_clients();
  void handle_client(uint64_t id, uint32_t events);
  void handle_client_frame(AttachClient& client, std::string_view frame);
  void flush_client(AttachClient& client);
  void update_client_events(uint64_t id, AttachClient& client);
  void drop_client(AttachClient& client, std::string_view why);
  void reap_dead_clients();
  void write_stdin();
  void update_stdin_events();
  int stdin_fd() const { return config_.tty ? pty_.get() : stdin_.get(); }

  // Healthchecks: the health command on a timerfd schedule (monitor/health_schedule.h).
  Result<void> start_health_checks();
  void health_tick();
  void arm_health_timer();
  void reap_health_check();
  void stop_health_check();

  // After the container's exit.
  void finish(int wait_status);
  // Returns whether a client that claimed the clean-up got the exit frame.
  bool send_exit_to_clients(int exit_code);
  void run_runtime_delete(bool quiet);
  void run_exit_command();

  MonitorConfig config_;
  int status_fd_;
  ChildReaper reaper_;
  ErrorLog log_;
  UniqueFd epoll_;
  UniqueFd attach_listen_;
  std::optional<LogWriter> log_writer_;
  OomWatch oom_;
  pid_t container_pid_ = 0;
  std::optional<int> container_status_;

  // The container's stdio: pipes, or the pty master for -t (read and written).
  UniqueFd stdout_, stderr_, stdin_, pty_;
  std::string stdin_pending_;
  bool stdin_eof_requested_ = false;
  bool clients_paused_ = false;

  std::map<uint64_t, AttachClient> clients_;
  uint64_t next_client_id_ = kFirstClient;

  std::optional<HealthSchedule> health_;
  std::vector<std::string> health_command_;
  UniqueFd health_timer_;
  pid_t health_pid_ = 0;
  int64_t health_regular_interval_ns_ = 0;
  int64_t health_regular_kill_after_ns_ = 0;
  std::string startup_passed_path_;  // empty once the startup check passed (or there is none)
};

Result<void> ContainerMonitor::prepare() {
  KRILL_CHECK(write_file_atomic(run_file("monitor.pid"), std::to_string(::getpid()) + "\n", 0644,
                                Durability::kVolatile));
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    return fail_errno("become the child subreaper");
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) return fail_errno("create epoll");
  attach_listen_ = KRILL_TRY(listen_unix(run_file("attach.sock"), SOCK_SEQPACKET));
  if (config_.log_driver != "none") {
    LogWriterOptions options;
    options.driver = config_.log_driver;
    options.path = config_.log_path;
    options.max_size = config_.log_max_size;
    options.max_files = config_.log_max_files;
    log_writer_.emplace(KRILL_TRY(LogWriter::open(options)));
  }
  return {};
}

Result<pid_t> ContainerMonitor::create_container(std::string& runtime_error) {
  const std::string console_path = run_file("console.sock");
  UniqueFd console_listen;
  if (config_.tty) console_listen = KRILL_TRY(listen_unix(console_path, SOCK_STREAM));

  auto make_pipe = [](UniqueFd& read_end, UniqueFd& write_end) -> Result<void> {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("create pipe");
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
    return {};
  };
  // The runtime's stderr; without -t it is the container's stderr too (the container inherits
  // the runtime's stdio), and only the runtime writes to it until `start`.
  UniqueFd err_read, err_write, out_read, out_write, in_read, in_write;
  KRILL_CHECK(make_pipe(err_read, err_write));
  if (!config_.tty) {
    KRILL_CHECK(make_pipe(out_read, out_write));
    if (config_.stdin_open) KRILL_CHECK(make_pipe(in_read, in_write));
  }

  std::vector<std::string> argv = {
      config_.runtime_path, "--root",       config_.runtime_root, "create",
      "--bundle",           config_.bundle, "--pid-file",         run_file("pidfile")};
  if (config_.tty) {
    argv.push_back("--console-socket");
    argv.push_back(console_path);
  }
  argv.push_back(config_.id);
  const pid_t runtime_pid =
      KRILL_TRY(spawn_process(argv, in_read.get(), out_write.get(), err_write.get()));
  // Only the container may hold the write ends, or EOF never comes.
  in_read.reset();
  out_write.reset();
  err_write.reset();
  set_nonblocking(err_read.get());

  std::string runtime_stderr;
  UniqueFd master;
  bool err_open = true;
  auto receive_master = [&] {
    // The listening socket is non-blocking, the connection not: the runtime may connect a
    // moment before it sends the fd (runc does). A runtime that hangs is not waited for long.
    UniqueFd connection(::accept4(console_listen.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection) return;
    struct timeval timeout {
      10, 0
    };
    ::setsockopt(connection.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    auto received = receive_fds(connection.get(), 1);
    if (!received) {
      log_.write("receive the pty master: " + received.error().message());
      return;
    }
    if (!received->first.empty()) master = std::move(received->first[0]);
  };

  const int64_t deadline = monotonic_ms() + kCreateTimeoutMs;
  std::optional<int> status;
  while (!(status = reaper_.take_status(runtime_pid))) {
    struct pollfd fds[3];
    nfds_t count = 0;
    fds[count++] = {reaper_.fd(), POLLIN, 0};
    const nfds_t err_index = err_open ? count : 99;
    if (err_open) fds[count++] = {err_read.get(), POLLIN, 0};
    const nfds_t console_index = console_listen && !master ? count : 99;
    if (console_index != 99) fds[count++] = {console_listen.get(), POLLIN, 0};
    const int64_t left = deadline - monotonic_ms();
    if (left <= 0) {
      ::kill(runtime_pid, SIGKILL);
      reaper_.wait_for(runtime_pid, 5000);
      runtime_error = "the runtime's create did not finish within " +
                      std::to_string(kCreateTimeoutMs / 1000) + " s";
      return fail(runtime_error);
    }
    if (::poll(fds, count, static_cast<int>(left)) < 0 && errno != EINTR)
      return fail_errno("poll while the runtime creates the container");
    if (err_index != 99 && fds[err_index].revents != 0)
      err_open = read_into(err_read.get(), runtime_stderr, kMaxRuntimeStderr);
    if (console_index != 99 && fds[console_index].revents != 0) receive_master();
    reaper_.handle_signals();
  }
  if (err_open) read_into(err_read.get(), runtime_stderr, kMaxRuntimeStderr);
  if (console_listen) {
    if (!master) receive_master();
    console_listen.reset();
    ::unlink(console_path.c_str());
  }

  const int exit_code = exit_code_from_status(*status);
  if (exit_code != 0) {
    runtime_error = trim(runtime_stderr);
    if (runtime_error.empty())
      runtime_error = "the runtime's create exited with status " + std::to_string(exit_code);
    return fail(runtime_error);
  }
  if (!runtime_stderr.empty()) log_.write("runtime create said: " + trim(runtime_stderr));

  auto pid_text = read_file(run_file("pidfile"));
  if (!pid_text) {
    runtime_error = "read the container's pid: " + pid_text.error().message();
    return fail(runtime_error);
  }
  const pid_t pid = static_cast<pid_t>(std::atol(trim(*pid_text).c_str()));
  if (pid <= 0) {
    runtime_error = "the runtime wrote no pid to " + run_file("pidfile");
    return fail(runtime_error);
  }
  if (config_.tty) {
    if (!master) {
      runtime_error = "the runtime sent no pty master to the console socket";
      return fail(runtime_error);
    }
    set_nonblocking(master.get());
    pty_ = std::move(master);
  } else {
    set_nonblocking(out_read.get());
    if (in_write) set_nonblocking(in_write.get());
    stdout_ = std::move(out_read);
    stderr_ = std::move(err_read);
    stdin_ = std::move(in_write);
  }
  return pid;
}

Result<void> ContainerMonitor::report_status(const MonitorReady& ready) {
  if (status_fd_ < 0) return {};
  const std::string line = monitor_ready_to_json(ready) + "\n";
  std::string_view data = line;
  while (!data.empty()) {
    const ssize_t n = ::write(status_fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(status_fd_);
      status_fd_ = -1;
      return fail_errno("write the status pipe", err);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  ::close(status_fd_);
  status_fd_ = -1;
  return {};
}

void ContainerMonitor::remove_created_files() {
  for (const char* name : {"attach.sock", "console.sock", "pidfile", "monitor.pid"})
    ::unlink(run_file(name).c_str());
}

// ---- event loop ---------------------------------------------------------------------------

Result<void> ContainerMonitor::watch(int fd, uint64_t tag, uint32_t events) {
  struct epoll_event event {};
  event.events = events;
  event.data.u64 = tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0)
    return fail_errno("watch fd " + std::to_string(fd));
  return {};
}

void ContainerMonitor::rewatch(int fd, uint64_t tag, uint32_t events) {
  struct epoll_event event {};
  event.events = events;
  event.data.u64 = tag;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event);
}

void ContainerMonitor::unwatch(int fd) { ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr); }

Result<void> ContainerMonitor::event_loop() {
  KRILL_CHECK(watch(reaper_.fd(), kTagSignals, EPOLLIN));
  KRILL_CHECK(watch(attach_listen_.get(), kTagAttachListen, EPOLLIN));
  if (pty_) {
    KRILL_CHECK(watch(pty_.get(), kTagPty, EPOLLIN));
  } else {
    KRILL_CHECK(watch(stdout_.get(), kTagStdout, EPOLLIN));
    KRILL_CHECK(watch(stderr_.get(), kTagStderr, EPOLLIN));
    if (stdin_) KRILL_CHECK(watch(stdin_.get(), kTagStdin, 0));
  }
  if (auto started = start_health_checks(); !started) log_.write(started.error().message());
  // The container's init may already be gone (reaped during create).
  container_status_ = reaper_.take_status(container_pid_);

  struct epoll_event events[16];
  while (!container_status_) {
    const int timeout = log_writer_ && log_writer_->has_pending() ? kPartialLineFlushMs : -1;
    const int count = ::epoll_wait(epoll_.get(), events, 16, timeout);
    if (count < 0) {
      if (errno == EINTR) continue;
      return fail_errno("wait for events");
    }
    if (count == 0 && log_writer_) {
      if (auto flushed = log_writer_->flush(now_ns()); !flushed)
        log_.write(flushed.error().message());
    }
    for (int i = 0; i < count; ++i) {
      const uint64_t tag = events[i].data.u64;
      const uint32_t what = events[i].events;
      switch (tag) {
        case kTagSignals:
          for (int sig : reaper_.handle_signals())
            log_.write("ignored signal " + std::to_string(sig));
          container_status_ = reaper_.take_status(container_pid_);
          reap_health_check();
          reaper_.forget_statuses();
          break;
        case kTagHealthTimer:
          health_tick();
          break;
        case kTagAttachListen:
          accept_clients();
          break;
        case kTagStdout:
        case kTagStderr:
          handle_output(tag, false);
          break;
        case kTagPty:
          if (what & EPOLLOUT) write_stdin();
          if (what & (EPOLLIN | EPOLLHUP | EPOLLERR)) handle_output(tag, false);
          break;
        case kTagStdin:
          write_stdin();
          break;
        default:
          handle_client(tag, what);
          break;
      }
    }
    reap_dead_clients();
  }
  return {};
}

void ContainerMonitor::handle_output(uint64_t tag, bool drain) {
  UniqueFd& fd = tag == kTagStdout ? stdout_ : tag == kTagStderr ? stderr_ : pty_;
  const LogStream stream = tag == kTagStderr ? LogStream::kStderr : LogStream::kStdout;
  char buffer[kReadChunk + 1];
  buffer[0] =
      static_cast<char>(stream == LogStream::kStderr ? FrameType::kStderr : FrameType::kStdout);
  // Bounded per wake-up so one busy stream cannot starve the rest; unbounded when draining
  // after the exit, but never past what is there now.
  for (int round = 0; fd && (drain || round < 8); ++round) {
    const ssize_t n = ::read(fd.get(), buffer + 1, kReadChunk);
    if (n > 0) {
      const std::string_view data(buffer + 1, static_cast<size_t>(n));
      if (log_writer_) {
        if (auto written = log_writer_->write(stream, data, now_ns()); !written)
          log_.write_once(written.error().message());
      }
      broadcast(std::string_view(buffer, static_cast<size_t>(n) + 1));
      if (drain && round > 100000) break;  // something in the container keeps writing
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    // EOF; EIO on a pty master once every slave fd is closed.
    close_output(tag);
    return;
  }
}

void ContainerMonitor::close_output(uint64_t tag) {
  UniqueFd& fd = tag == kTagStdout ? stdout_ : tag == kTagStderr ? stderr_ : pty_;
  if (!fd) return;
  unwatch(fd.get());
  fd.reset();
  if (tag == kTagPty) stdin_pending_.clear();
}

void ContainerMonitor::broadcast(std::string_view frame) {
  for (auto& [id, client] : clients_) {
    if (client.dead) continue;
    if (client.queue.empty()) {
      const ssize_t n =
          ::send(client.fd.get(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n >= 0) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        drop_client(client, "");
        continue;
      }
    }
    if (client.queued_bytes + frame.size() > kMaxClientQueue) {
      drop_client(client, "an attach client fell too far behind: disconnected it");
      continue;
    }
    client.queue.emplace_back(frame);
    client.queued_bytes += frame.size();
    update_client_events(id, client);
  }
}

void ContainerMonitor::accept_clients() {
  while (true) {
    UniqueFd fd(::accept4(attach_listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN) log_.write("accept an attach client: " + std::string(strerror(errno)));
      return;
    }
    const int send_buffer = 1024 * 1024;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof(send_buffer));
    const uint64_t id = next_client_id_++;
    AttachClient& client = clients_[id];
    client.fd = std::move(fd);
    client.events = clients_paused_ ? 0u : static_cast<uint32_t>(EPOLLIN);
    if (auto watched = watch(client.fd.get(), id, client.events); !watched) {
      log_.write(watched.error().message());
      clients_.erase(id);
    }
  }
}

void ContainerMonitor::handle_client(uint64_t id, uint32_t events) {
  auto it = clients_.find(id);
  if (it == clients_.end() || it->second.dead) return;
  AttachClient& client = it->second;
  if (events & EPOLLOUT) flush_client(client);
  if (client.dead) return;
  if ((events & (EPOLLHUP | EPOLLERR)) && clients_paused_) {
    drop_client(client, "");
    return;
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
    update_client_events(id, client);
    return;
  }
  char buffer[16 * 1024];
  for (int round = 0; round < 16 && !clients_paused_; ++round) {
    const ssize_t n = ::recv(client.fd.get(), buffer, sizeof(buffer), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) drop_client(client, "");
      break;
    }
    if (n == 0) {
      drop_client(client, "");
      break;
    }
    if (static_cast<size_t>(n) > sizeof(buffer)) {
      log_.write("an attach client sent an oversized frame: ignored");
      continue;
    }
    handle_client_frame(client, std::string_view(buffer, static_cast<size_t>(n)));
  }
  if (!client.dead) update_client_events(id, client);
}

void ContainerMonitor::handle_client_frame(AttachClient& client, std::string_view frame) {
  const auto type = static_cast<FrameType>(frame[0]);
  const std::string_view payload = frame.substr(1);
  switch (type) {
    case FrameType::kStdin:
      if (!config_.stdin_open || stdin_fd() < 0 || stdin_eof_requested_) return;
      stdin_pending_.append(payload);
      write_stdin();
      return;
    case FrameType::kStdinEof:
      if (config_.tty || !stdin_) return;  // a pty has no EOF of its own: ignore
      stdin_eof_requested_ = true;
      write_stdin();
      return;
    case FrameType::kResize: {
      uint16_t rows = 0, cols = 0;
      if (!pty_ || !decode_resize_payload(payload, rows, cols)) return;
      struct winsize size {};
      size.ws_row = rows;
      size.ws_col = cols;
      if (::ioctl(pty_.get(), TIOCSWINSZ, &size) != 0)
        log_.write("resize the terminal: " + std::string(strerror(errno)));
      return;
    }
    case FrameType::kClaimCleanup:
      client.claimed_cleanup = true;
      return;
    default:
      return;
  }
}

void ContainerMonitor::flush_client(AttachClient& client) {
  while (!client.queue.empty()) {
    const std::string& frame = client.queue.front();
    const ssize_t n =
        ::send(client.fd.get(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      drop_client(client, "");
      return;
    }
    client.queued_bytes -= frame.size();
    client.queue.pop_front();
  }
}

void ContainerMonitor::update_client_events(uint64_t id, AttachClient& client) {
  if (client.dead) return;
  const uint32_t events = (clients_paused_ ? 0u : static_cast<uint32_t>(EPOLLIN)) |
                          (client.queue.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT));
  if (events == client.events) return;
  client.events = events;
  rewatch(client.fd.get(), id, events);
}

void ContainerMonitor::drop_client(AttachClient& client, std::string_view why) {
  if (client.dead) return;
  if (!why.empty()) log_.write(why);
  unwatch(client.fd.get());
  // Unread input makes the kernel reset the connection, and the client would then see that
  // before the exit frame still queued for it: read what is left first.
  char discard[4096];
  for (int i = 0; i < 64; ++i)
    if (::recv(client.fd.get(), discard, sizeof discard, MSG_DONTWAIT | MSG_TRUNC) <= 0) break;
  client.fd.reset();
  client.queue.clear();
  client.queued_bytes = 0;
  client.dead = true;
}

void ContainerMonitor::reap_dead_clients() {
  std::erase_if(clients_, [](const auto& entry) { return entry.second.dead; });
}

void ContainerMonitor::write_stdin() {
  const int fd = stdin_fd();
  while (fd >= 0 && !stdin_pending_.empty()) {
    const ssize_t n = ::write(fd, stdin_pending_.data(), stdin_pending_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      // EPIPE: the container closed its stdin.
      stdin_pending_.clear();
      if (!config_.tty) {
        unwatch(stdin_.get());
        stdin_.reset();
      }
      break;
    }
    stdin_pending_.erase(0, static_cast<size_t>(n));
  }
  if (stdin_pending_.empty() && stdin_pending_.capacity() > 64 * 1024)
    stdin_pending_.shrink_to_fit();
  if (stdin_pending_.empty() && stdin_eof_requested_ && stdin_) {
    unwatch(stdin_.get());
    stdin_.reset();
  }
  update_stdin_events();
}

void ContainerMonitor::update_stdin_events() {
  const bool want_out = !stdin_pending_.empty();
  if (config_.tty) {
    if (pty_) rewatch(pty_.get(), kTagPty, EPOLLIN | (want_out ? EPOLLOUT : 0u));
  } else if (stdin_) {
    rewatch(stdin_.get(), kTagStdin, want_out ? EPOLLOUT : 0u);
  }
  // Back-pressure towards the clients while the container does not read its stdin.
  const bool pause = stdin_pending_.size() > kMaxStdinPending;
  if (pause != clients_paused_) {
    clients_paused_ = pause;
    for (auto& [id, client] : clients_) update_client_events(id, client);
  }
}

// ---- healthchecks -------------------------------------------------------------------------

Result<void> ContainerMonitor::start_health_checks() {
  auto config = KRILL_TRY(read_health_monitor_config(config_.run_dir));
  if (!config) return {};
  health_command_ = std::move(config->command);
  health_timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!health_timer_) return fail_errno("create the healthcheck timer");
  KRILL_CHECK(watch(health_timer_.get(), kTagHealthTimer, EPOLLIN));
  health_regular_interval_ns_ = config->interval_ns;
  health_regular_kill_after_ns_ = kill_after(config->timeout_ns);
  startup_passed_path_ = config->startup_passed_path;
  if (startup_passed_path_.empty())
    health_.emplace(health_regular_interval_ns_, health_regular_kill_after_ns_);
  else
    health_.emplace(config->startup_interval_ns, kill_after(config->startup_timeout_ns));
  health_->start(monotonic_ns());
  arm_health_timer();
  return {};
}

void ContainerMonitor::arm_health_timer() {
  if (!health_ || !health_timer_) return;
  const int64_t next = health_->next_ns();
  struct itimerspec spec {};
  if (next > 0) {
    spec.it_value.tv_sec = static_cast<time_t>(next / 1000000000);
    spec.it_value.tv_nsec = static_cast<long>(next % 1000000000);
  }
  // A zero it_value disarms the timer (a killed check not reaped yet).
  if (::timerfd_settime(health_timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0)
    log_.write_once("arm the healthcheck timer: " + std::string(strerror(errno)));
}

void ContainerMonitor::health_tick() {
  uint64_t expirations = 0;
  (void)!::read(health_timer_.get(), &expirations, sizeof expirations);
  if (!health_) return;
  switch (health_->due(monotonic_ns())) {
    case HealthSchedule::Action::kRunCheck: {
      auto pid = spawn_process(health_command_, -1, -1, -1, /*new_session=*/true);
      if (!pid) {
        log_.write_once("run the healthcheck: " + pid.error().message());
        health_->check_finished(monotonic_ns());
        break;
      }
      health_pid_ = *pid;
      health_->check_started(monotonic_ns());
      break;
    }
    case HealthSchedule::Action::kKillCheck:
      log_.write("the healthcheck command did not finish in time: killed it");
      if (health_pid_ > 0) ::kill(-health_pid_, SIGKILL);
      break;
    case HealthSchedule::Action::kNothing:
      break;
  }
  arm_health_timer();
}

void ContainerMonitor::reap_health_check() {
  if (health_pid_ <= 0 || !health_) return;
  if (!reaper_.take_status(health_pid_)) return;
  health_pid_ = 0;
  // The startup check passed (the command made the file): the regular check's timing from now.
  if (!startup_passed_path_.empty() && ::access(startup_passed_path_.c_str(), F_OK) == 0) {
    startup_passed_path_.clear();
    health_->set_timing(health_regular_interval_ns_, health_regular_kill_after_ns_);
  }
  health_->check_finished(monotonic_ns());
  arm_health_timer();
}

void ContainerMonitor::stop_health_check() {
  if (health_timer_) {
    unwatch(health_timer_.get());
    health_timer_.reset();
  }
  health_.reset();
  if (health_pid_ <= 0) return;
  // The container is gone, so is what the check was checking; nothing of it may outlive us.
  ::kill(-health_pid_, SIGKILL);
  ::kill(health_pid_, SIGKILL);  // it may not have made its session yet
  (void)reaper_.wait_for(health_pid_, 5000);
  health_pid_ = 0;
}

// ---- exit ---------------------------------------------------------------------------------

bool ContainerMonitor::send_exit_to_clients(int exit_code) {
  const std::string frame = encode_exit_frame(exit_code);
  for (auto& [id, client] : clients_) {
    if (client.dead) continue;
    // A claim still unread (it arrived with the exit in one batch of events) counts; other
    // input is meaningless now.
    char buffer[64];
    ssize_t n;
    while ((n = ::recv(client.fd.get(), buffer, sizeof buffer, MSG_DONTWAIT | MSG_TRUNC)) > 0)
      if (static_cast<FrameType>(buffer[0]) == FrameType::kClaimCleanup)
        client.claimed_cleanup = true;
    client.queue.push_back(frame);
    client.queued_bytes += frame.size();
    flush_client(client);
  }
  const int64_t deadline = monotonic_ms() + kClientFlushTimeoutMs;
  while (true) {
    std::vector<struct pollfd> fds;
    std::vector<AttachClient*> waiting;
    for (auto& [id, client] : clients_) {
      if (client.dead || client.queue.empty()) continue;
      fds.push_back({client.fd.get(), POLLOUT, 0});
      waiting.push_back(&client);
    }
    const int64_t left = deadline - monotonic_ms();
    if (fds.empty() || left <= 0) break;
    if (::poll(fds.data(), fds.size(), static_cast<int>(left)) < 0 && errno != EINTR) break;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents & (POLLHUP | POLLERR))
        drop_client(*waiting[i], "");
      else if (fds[i].revents & POLLOUT)
        flush_client(*waiting[i]);
    }
  }
  bool handed_over = false;
  for (auto& [id, client] : clients_)
    if (client.claimed_cleanup && !client.dead && client.queue.empty()) handed_over = true;
  for (auto& [id, client] : clients_) drop_client(client, "");  // drains their input first
  clients_.clear();
  return handed_over;
}

void ContainerMonitor::run_runtime_delete(bool quiet) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    log_.write("delete the container from the runtime: create pipe: " +
               std::string(strerror(errno)));
    return;
  }
  UniqueFd err_read(fds[0]), err_write(fds[1]);
  auto pid = spawn_process(
      {config_.runtime_path, "--root", config_.runtime_root, "delete", "--force", config_.id}, -1,
      -1, err_write.get());
  err_write.reset();
  if (!pid) {
    log_.write("delete the container from the runtime: " + pid.error().message());
    return;
  }
  // Read its stderr while waiting (a full pipe must not stall it).
  set_nonblocking(err_read.get());
  std::string err;
  bool err_open = true;
  const int64_t deadline = monotonic_ms() + kDeleteTimeoutMs;
  std::optional<int> status;
  while (!(status = reaper_.take_status(*pid))) {
    const int64_t left = deadline - monotonic_ms();
    if (left <= 0) {
      ::kill(*pid, SIGKILL);
      status = reaper_.wait_for(*pid, 5000);
      log_.write("the runtime's delete did not finish in time: killed it");
      return;
    }
    struct pollfd p[2] = {{reaper_.fd(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
    ::poll(p, err_open ? 2 : 1, static_cast<int>(left));
    if (err_open && p[1].revents) err_open = read_into(err_read.get(), err, kMaxRuntimeStderr);
    reaper_.handle_signals();
  }
  if (err_open) read_into(err_read.get(), err, kMaxRuntimeStderr);
  if (!quiet && exit_code_from_status(*status) != 0)
    log_.write("the runtime's delete failed: " + trim(err));
}

void ContainerMonitor::run_exit_command() {
  if (config_.exit_command.empty()) return;
  auto pid = spawn_process(config_.exit_command, -1, -1, -1, /*new_session=*/true);
  if (!pid) {
    log_.write("run the exit command: " + pid.error().message());
    return;
  }
  auto status = reaper_.wait_for(*pid, kExitCommandTimeoutMs);
  if (!status) {
    log_.write("the exit command is still running after " +
               std::to_string(kExitCommandTimeoutMs / 1000) + " s: left it running");
    return;
  }
  if (exit_code_from_status(*status) != 0)
    log_.write("the exit command " + config_.exit_command[0] + " exited with status " +
               std::to_string(exit_code_from_status(*status)));
}

void ContainerMonitor::finish(int wait_status) {
  const int64_t finished_ns = now_ns();
  stop_health_check();
  // What the container wrote before it exited is in the pipes (or the pty) already.
  if (pty_) handle_output(kTagPty, true);
  if (stdout_) handle_output(kTagStdout, true);
  if (stderr_) handle_output(kTagStderr, true);
  if (log_writer_) {
    if (auto flushed = log_writer_->flush(now_ns()); !flushed)
      log_.write(flushed.error().message());
    log_writer_.reset();
  }

  ExitRecord record;
  record.exit_code = exit_code_from_status(wait_status);
  record.finished_ns = finished_ns;
  record.oom_killed = oom_.oom_killed();
  if (auto written = write_file_atomic(run_file("exit.json"), exit_record_to_json(record), 0644,
                                       Durability::kVolatile);
      !written)
    log_.write("record the exit status: " + written.error().message());

  // No new attach clients; the connected ones get the exit code and are closed.
  unwatch(attach_listen_.get());
  attach_listen_.reset();
  ::unlink(run_file("attach.sock").c_str());
  const bool cleanup_handed_over = send_exit_to_clients(record.exit_code);
  stdout_.reset();
  stderr_.reset();
  stdin_.reset();
  pty_.reset();

  ::unlink(run_file("console.sock").c_str());
  if (cleanup_handed_over) return;  // the attached `run --rm` deletes and removes it
  run_runtime_delete(false);
  run_exit_command();
}

int ContainerMonitor::run() {
  if (auto prepared = prepare(); !prepared) {
    log_.write(prepared.error().message());
    MonitorReady ready;
    ready.error = "start the container's monitor: " + prepared.error().message();
    (void)report_status(ready);
    remove_created_files();
    return 1;
  }

  std::string runtime_error;
  auto pid = create_container(runtime_error);
  if (!pid) {
    if (runtime_error.empty()) runtime_error = pid.error().message();
    // Reported on the status pipe; monitor.log only when nobody is listening there.
    if (status_fd_ < 0) log_.write("create the container: " + pid.error().message());
    MonitorReady ready;
    ready.error = runtime_error;
    attach_listen_.reset();
    // A create that failed half-way may have left state behind in the runtime.
    run_runtime_delete(true);
    if (auto reported = report_status(ready); !reported)
      log_.write("create the container: " + runtime_error + " (" + reported.error().message() +
                 ")");
    remove_created_files();
    return 1;
  }
  container_pid_ = *pid;
  oom_ = OomWatch::open_for(container_pid_);

  MonitorReady ready;
  ready.container_pid = container_pid_;
  if (auto reported = report_status(ready); !reported) log_.write(reported.error().message());

  if (auto looped = event_loop(); !looped) {
    log_.write(looped.error().message());
    // Cannot serve the container any more; still wait for it so its exit is recorded.
    if (!container_status_) container_status_ = reaper_.wait_for(container_pid_, -1);
  }
  finish(*container_status_);
  return 0;
}

}  // namespace

int run_container_monitor(const std::string& config_path, int status_fd) {
  ErrorLog log;
  auto report_early_error = [&](const std::string& message) {
    log.write(message);
    if (status_fd >= 0) {
      MonitorReady ready;
      ready.error = message;
      const std::string line = monitor_ready_to_json(ready) + "\n";
      (void)!::write(status_fd, line.data(), line.size());
      ::close(status_fd);
    }
    return 1;
  };
  auto text = read_file(config_path);
  if (!text) return report_early_error("read the monitor config: " + text.error().message());
  auto config = monitor_config_from_json(*text);
  if (!config) return report_early_error(config.error().context(config_path).message());
  log.set_path(config->run_dir + "/monitor.log");
  if (::chdir("/") != 0) log.write("chdir /: " + std::string(strerror(errno)));
  auto reaper = ChildReaper::open();
  if (!reaper) return report_early_error(reaper.error().message());
  ContainerMonitor monitor(std::move(*config), status_fd, std::move(*reaper), std::move(log));
  return monitor.run();
}

}  // namespace krill::monitor
