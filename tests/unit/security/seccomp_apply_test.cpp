// apply_seccomp and send_seccomp_listener against the real kernel, always in forked children.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "child_process.h"
#include "runtime/security/seccomp.h"

namespace krill::security {
namespace {

using test_support::run_in_child;

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "krill-sec-XXXXXX").string();
    path_ = mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A listening unix socket at `path`.
UniqueFd listen_unix(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd.get(), 4) != 0)
    return UniqueFd();
  return fd;
}

struct AgentMessage {
  UniqueFd fd;
  std::string payload;
  int fd_count = 0;
};

// Accepts one connection and reads it to EOF, collecting any SCM_RIGHTS fds.
AgentMessage accept_agent_message(int listen_fd) {
  AgentMessage message;
  UniqueFd connection(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!connection) return message;
  for (;;) {
    char buffer[4096];
    iovec iov{buffer, sizeof buffer};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(connection.get(), &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        if (message.fd_count++ == 0)
          message.fd.reset(fd);
        else
          close(fd);
      }
    }
    message.payload.append(buffer, static_cast<size_t>(n));
  }
  return message;
}

oci::SeccompSyscall rule(std::vector<std::string> names, std::string action,
                         std::optional<uint32_t> errno_ret = std::nullopt) {
  oci::SeccompSyscall syscall;
  syscall.names = std::move(names);
  syscall.action = std::move(action);
  syscall.errno_ret = errno_ret;
  return syscall;
}

TEST(SeccompApply, ErrnoRuleFailsMkdirWithItsErrnoWhileGetpidWorks) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string target = dir.path() + "/blocked";
  const pid_t parent = getpid();
  auto child = run_in_child([&](int out) {
    oci::Seccomp config;
    config.default_action = "SCMP_ACT_ALLOW";
    config.syscalls.push_back(rule({"mkdir", "mkdirat"}, "SCMP_ACT_ERRNO", EXDEV));
    auto listener = apply_seccomp(config);
    if (!listener) {
      test_support::write_all(out, listener.error().message());
      return 10;
    }
    if (listener->valid()) return 11;  // no NOTIFY rule: no listener
    if (mkdir(target.c_str(), 0700) == 0) return 12;
    if (errno != EXDEV) return 13;
    if (syscall(SYS_mkdirat, AT_FDCWD, target.c_str(), 0700) == 0 || errno != EXDEV) return 14;
    if (getpid() <= 0 || getppid() != parent) return 15;
    return 0;
  });
  EXPECT_TRUE(child.exited_with(0)) << child.describe();
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(SeccompApply, KillProcessKillsWithSigsys) {
  auto child = run_in_child([](int out) {
    oci::Seccomp config;
    config.default_action = "SCMP_ACT_ALLOW";
    config.syscalls.push_back(rule({"getppid"}, "SCMP_ACT_KILL_PROCESS"));
    auto listener = apply_seccomp(config);
    if (!listener) {
      test_support::write_all(out, listener.error().message());
      return 10;
    }
    syscall(SYS_getppid);
    return 0;
  });
  EXPECT_TRUE(child.killed_by(SIGSYS)) << child.describe();
}

class SeccompApplySignal : public ::testing::TestWithParam<const char*> {};

TEST_P(SeccompApplySignal, ActionEndsTheProcessWithSigsys) {
  const std::string action = GetParam();
  auto child = run_in_child([&](int out) {
    oci::Seccomp config;
    config.default_action = "SCMP_ACT_ALLOW";
    config.syscalls.push_back(rule({"getppid"}, action));
    auto listener = apply_seccomp(config);
    if (!listener) {
      test_support::write_all(out, listener.error().message());
      return 10;
    }
    syscall(SYS_getppid);
    return 0;
  });
  EXPECT_TRUE(child.killed_by(SIGSYS)) << action << ": " << child.describe();
}

INSTANTIATE_TEST_SUITE_P(KillAndTrap, SeccompApplySignal,
                         ::testing::Values("SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD",
                                           "SCMP_ACT_TRAP"));

TEST(SeccompApply, TraceWithoutTracerFailsWithEnosysAndLogAllows) {
  auto child = run_in_child([](int out) {
    oci::Seccomp config;
    config.default_action = "SCMP_ACT_ALLOW";
    config.syscalls.push_back(rule({"getppid"}, "SCMP_ACT_TRACE", 7));
    config.syscalls.push_back(rule({"getuid"}, "SCMP_ACT_LOG"));
    auto listener = apply_seccomp(config);
    if (!listener) {
      test_support::write_all(out, listener.error().message());
      return 10;
    }
    errno = 0;
    if (syscall(SYS_getppid) != -1 || errno != ENOSYS) return 11;
    if (syscall(SYS_getuid) != static_cast<long>(getuid())) return 12;
    return 0;
  });
  EXPECT_TRUE(child.exited_with(0)) << child.describe();
}

TEST(SeccompApply, DefaultErrnoRetAppliesToUnlistedSyscalls) {
  auto child = run_in_child([](int out) {
    oci::Seccomp config;
    config.default_action = "SCMP_ACT_ERRNO";
    config.default_errno_ret = ENXIO;
    // What the child still needs after loading: the rest of apply_seccomp and _exit, and what
    // the AddressSanitizer runtime calls in the sanitizer build (sigaltstack, mmap, ...).
    config.syscalls.push_back(rule({"getpid", "write", "exit", "exit_group", "munmap", "brk",
                                    "madvise", "close", "rt_sigreturn", "sigaltstack", "mmap",
                                    "mprotect", "rt_sigprocmask", "rt_sigaction", "futex",
                                    "gettid"},
                                   "SCMP_ACT_ALLOW"));
    auto listener = apply_seccomp(config);
    if (!listener) {
      test_support::write_all(out, listener.error().message());
      return 10;
    }
    errno = 0;
    if (syscall(SYS_getppid) != -1 || errno != ENXIO) return 11;
    if (syscall(SYS_getpid) <= 0) return 12;
    return 0;
  });
  EXPECT_TRUE(child.exited_with(0)) << child.describe();
}

TEST(SeccompApply, ArgumentConditionsSelectCalls) {
  auto child = run_in_child([](int out) {
    oci::Seccomp config;
    config.default_action = "SCMP_ACT_ALLOW";
    // getpgid(pid): EXDEV for pid 111 or 222 (two conditions on one argument: either matches),
    // ENOTDIR for pid & 0xff00 == 0x1200, EXFULL for pid > 100000.
    oci::SeccompSyscall either = rule({"getpgid"}, "SCMP_ACT_ERRNO", EXDEV);
    either.args.push_back({.index = 0, .value = 111, .value_two = 0, .op = "SCMP_CMP_EQ"});
    either.args.push_back({.index = 0, .value = 222, .value_two = 0, .op = "SCMP_CMP_EQ"});
    oci::SeccompSyscall masked = rule({"getpgid"}, "SCMP_ACT_ERRNO", ENOTDIR);
    masked.args.push_back(
        {.index = 0, .value = 0xff00, .value_two = 0x1200, .op = "SCMP_CMP_MASKED_EQ"});
    oci::SeccompSyscall greater = rule({"getpgid"}, "SCMP_ACT_ERRNO", EXFULL);
    greater.args.push_back({.index = 0, .value = 100000, .value_two = 0, .op = "SCMP_CMP_GT"});
    config.syscalls = {either, masked, greater};
    auto listener = apply_seccomp(config);
    if (!listener) {
      test_support::write_all(out, listener.error().message());
      return 10;
    }
    auto errno_of = [](long pid) {
      errno = 0;
      return syscall(SYS_getpgid, pid) < 0 ? errno : 0;
    };
    if (errno_of(0) != 0) return 11;
    if (errno_of(111) != EXDEV) return 12;
    if (errno_of(222) != EXDEV) return 13;
    if (errno_of(0x1234) != ENOTDIR) return 14;
    if (errno_of(0x3434) == ENOTDIR) return 15;
    if (errno_of(200000) != EXFULL) return 16;
    return 0;
  });
  EXPECT_TRUE(child.exited_with(0)) << child.describe();
}

TEST(SeccompApply, NotifyReturnsListenerAnsweredByASupervisor) {
  if (seccomp_api_get() < 6) GTEST_SKIP() << "no seccomp notify support here";
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string agent_path = dir.path() + "/agent.sock";
  UniqueFd agent = listen_unix(agent_path);
  ASSERT_TRUE(agent.valid());
  const std::string target = dir.path() + "/notified";
  const std::string state =
      R"({"ociVersion":"1.3.0","id":"c1","status":"creating","pid":1,"bundle":"/b"})";

  // The child loads the filter, hands the listener to the "agent" (us), then calls mkdir, which
  // blocks until we answer 42.
  std::fflush(nullptr);
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(report[0]);
    alarm(20);
    oci::Seccomp config;
    config.default_action = "SCMP_ACT_ALLOW";
    config.syscalls.push_back(rule({"mkdir", "mkdirat"}, "SCMP_ACT_NOTIFY"));
    auto listener = apply_seccomp(config);
    if (!listener) {
      test_support::write_all(report[1], listener.error().message());
      _exit(10);
    }
    if (!listener->valid()) _exit(11);
    auto sent = send_seccomp_listener(agent_path, listener->get(), getpid(), "meta", state);
    if (!sent) {
      test_support::write_all(report[1], sent.error().message());
      _exit(12);
    }
    listener->reset();
    long rc = syscall(SYS_mkdir, target.c_str(), 0700);
    _exit(rc == 42 ? 0 : 13);
  }
  close(report[1]);
  UniqueFd report_fd(report[0]);

  AgentMessage message = accept_agent_message(agent.get());
  ASSERT_TRUE(message.fd.valid()) << "no listener fd received";
  EXPECT_EQ(message.fd_count, 1);
  auto json = nlohmann::json::parse(message.payload, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << message.payload;
  EXPECT_EQ(json["pid"], pid);
  EXPECT_EQ(json["metadata"], "meta");
  EXPECT_EQ(json["fds"], nlohmann::json::array({"seccompFd"}));
  EXPECT_EQ(json["state"]["id"], "c1");

  seccomp_notif* request = nullptr;
  seccomp_notif_resp* response = nullptr;
  ASSERT_EQ(seccomp_notify_alloc(&request, &response), 0);
  int rc = seccomp_notify_receive(message.fd.get(), request);
  EXPECT_EQ(rc, 0);
  if (rc == 0) {
    EXPECT_EQ(request->pid, static_cast<uint32_t>(pid));
    EXPECT_EQ(request->data.nr, __NR_mkdir);
    response->id = request->id;
    response->val = 42;
    response->error = 0;
    response->flags = 0;
    EXPECT_EQ(seccomp_notify_respond(message.fd.get(), response), 0);
  }
  seccomp_notify_free(request, response);
  message.fd.reset();

  std::string output;
  char buffer[512];
  ssize_t n;
  while ((n = read(report_fd.get(), buffer, sizeof buffer)) > 0) output.append(buffer, n);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "status " << status << ": " << output;
  EXPECT_FALSE(std::filesystem::exists(target));  // the agent answered; nothing was created
}

TEST(SeccompListener, SendsFdAndContainerProcessState) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string agent_path = dir.path() + "/agent.sock";
  UniqueFd agent = listen_unix(agent_path);
  ASSERT_TRUE(agent.valid());
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);

  const std::string state =
      R"({"ociVersion":"1.3.0","id":"oci-container1","status":"creating","pid":4422,)"
      R"("bundle":"/containers/redis","annotations":{"myKey":"myValue"}})";
  // The payload is small: connect completes against the backlog, the kernel buffers it.
  auto sent = send_seccomp_listener(agent_path, write_end.get(), 4422, "MKNOD=/dev/null", state);
  ASSERT_TRUE(sent.has_value()) << sent.error().message();
  AgentMessage message = accept_agent_message(agent.get());

  ASSERT_TRUE(message.fd.valid());
  EXPECT_EQ(message.fd_count, 1);
  struct stat sent_stat, received_stat;
  ASSERT_EQ(fstat(write_end.get(), &sent_stat), 0);
  ASSERT_EQ(fstat(message.fd.get(), &received_stat), 0);
  EXPECT_EQ(sent_stat.st_ino, received_stat.st_ino);  // the same pipe

  auto json = nlohmann::json::parse(message.payload, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << message.payload;
  EXPECT_EQ(json["ociVersion"], oci::kRuntimeSpecVersion);
  EXPECT_EQ(json["fds"], nlohmann::json::array({"seccompFd"}));
  EXPECT_EQ(json["pid"], 4422);
  EXPECT_EQ(json["metadata"], "MKNOD=/dev/null");
  EXPECT_EQ(json["state"], nlohmann::json::parse(state));
}

TEST(SeccompListener, MetadataIsOmittedWhenEmpty) {
  TempDir dir;
  const std::string agent_path = dir.path() + "/agent.sock";
  UniqueFd agent = listen_unix(agent_path);
  ASSERT_TRUE(agent.valid());
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  ASSERT_TRUE(send_seccomp_listener(agent_path, write_end.get(), 7, "", R"({"id":"c"})"));
  auto json = nlohmann::json::parse(accept_agent_message(agent.get()).payload, nullptr, false);
  EXPECT_FALSE(json.contains("metadata"));
  EXPECT_EQ(json["pid"], 7);
}

TEST(SeccompListener, Errors) {
  TempDir dir;
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  const std::string missing = dir.path() + "/nobody.sock";
  auto no_agent = send_seccomp_listener(missing, write_end.get(), 1, "", "{}");
  ASSERT_FALSE(no_agent.has_value());
  EXPECT_THAT(no_agent.error().message(), ::testing::HasSubstr(missing));

  const std::string agent_path = dir.path() + "/agent.sock";
  UniqueFd agent = listen_unix(agent_path);
  auto bad_state = send_seccomp_listener(agent_path, write_end.get(), 1, "", "not json");
  ASSERT_FALSE(bad_state.has_value());
  EXPECT_THAT(bad_state.error().message(), ::testing::HasSubstr("not a JSON object"));
  auto no_fd = send_seccomp_listener(agent_path, -1, 1, "", "{}");
  EXPECT_FALSE(no_fd.has_value());
}

}  // namespace
}  // namespace krill::security
