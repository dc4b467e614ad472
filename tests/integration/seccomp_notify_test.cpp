// config-linux.md Seccomp: SCMP_ACT_NOTIFY with listenerPath. The test is the seccomp agent: it
// listens on listenerPath, receives "The Container Process State" with the listener fd
// (SCM_RIGHTS, named by "fds"), and answers the container's intercepted mkdir itself.
#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "harness.h"

namespace krill::it {
namespace {

struct AgentResult {
  std::string error;  // empty when everything went as expected
  json state;         // what arrived with the fd
  int syscall_nr = -1;
  pid_t notified_pid = 0;
};

// Accepts one connection, takes the state and the fd, then answers one notification with
// -EXDEV (a value no real mkdir here would give).
AgentResult serve_one(int listen_fd) {
  AgentResult result;
  pollfd entry{listen_fd, POLLIN, 0};
  if (poll(&entry, 1, 30000) != 1) return {.error = "the runtime never connected"};
  int connection = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (connection < 0) return {.error = std::string("accept: ") + strerror(errno)};
  char payload[8192];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  iovec iov{payload, sizeof payload};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  ssize_t n = recvmsg(connection, &message, MSG_CMSG_CLOEXEC);
  close(connection);
  if (n <= 0) return {.error = "no state message"};
  int notify_fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      std::memcpy(&notify_fd, CMSG_DATA(c), sizeof(int));
  result.state = parse_json(std::string(payload, static_cast<size_t>(n)));
  if (notify_fd < 0) return {.error = "no fd came with the state", .state = result.state};

  seccomp_notif request;
  std::memset(&request, 0, sizeof request);
  pollfd notify{notify_fd, POLLIN, 0};
  if (poll(&notify, 1, 30000) != 1 || ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) {
    result.error = std::string("no notification: ") + strerror(errno);
    close(notify_fd);
    return result;
  }
  result.syscall_nr = request.data.nr;
  result.notified_pid = static_cast<pid_t>(request.pid);
  seccomp_notif_resp response;
  std::memset(&response, 0, sizeof response);
  response.id = request.id;
  response.error = -EXDEV;
  if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &response) != 0)
    result.error = std::string("answer: ") + strerror(errno);
  close(notify_fd);
  return result;
}

TEST(SeccompNotify, AgentGetsStateAndFdAndAnswersTheSyscall) {
  TempDir dir("agent");
  const std::string socket_path = dir.path() + "/agent.sock";
  int listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listen_fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(bind(listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listen_fd, 1), 0);

  Bundle bundle;
  bundle.set_args({"/probe", "syscall", "mkdir", "/tmp/kit-notified"});
  bundle.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"listenerPath", socket_path},
      {"listenerMetadata", "kit-metadata"},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  Container c(bundle);
  AgentResult agent;
  std::thread agent_thread([&] { agent = serve_one(listen_fd); });
  CommandResult r = c.run();
  agent_thread.join();
  close(listen_fd);

  ASSERT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE(agent.error.empty()) << agent.error << "\nstate: " << agent.state.dump();
  // The answer the agent gave is what the container saw.
  json reply = last_json_line(r.out);
  EXPECT_EQ(reply.value("errno", -1), EXDEV) << r.out;
  EXPECT_TRUE(agent.syscall_nr == SYS_mkdir || agent.syscall_nr == SYS_mkdirat) << agent.syscall_nr;
  EXPECT_FALSE(path_exists(bundle.rootfs() + "/tmp/kit-notified"));
  // config-linux.md "The Container Process State".
  const json& state = agent.state;
  ASSERT_TRUE(state.is_object()) << state.dump();
  EXPECT_TRUE(state["ociVersion"].is_string());
  EXPECT_EQ(state["fds"], json::array({"seccompFd"}));
  EXPECT_EQ(state.value("metadata", ""), "kit-metadata");
  EXPECT_GT(state.value("pid", 0), 0);
  EXPECT_EQ(state["state"].value("id", ""), c.id());
  EXPECT_EQ(state["state"].value("bundle", ""), bundle.path());
  EXPECT_EQ(state["state"].value("pid", 0), state.value("pid", 0));
  EXPECT_EQ(agent.notified_pid, state.value("pid", 0)) << "the notification came from elsewhere";
}

// runtime.md Errors: no agent listening at listenerPath fails the create, nothing left behind.
TEST(SeccompNotify, NoAgentFailsCreate) {
  TempDir dir("no-agent");
  Bundle bundle;
  bundle.config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"listenerPath", dir.path() + "/nobody.sock"},
      {"syscalls", {{{"names", {"mkdir", "mkdirat"}}, {"action", "SCMP_ACT_NOTIFY"}}}}};
  Container c(bundle);
  CommandResult r = c.create();
  EXPECT_NE(r.exit_code, 0) << r.describe();
  EXPECT_FALSE(c.state().ok());
  EXPECT_FALSE(path_exists(state_root() + "/" + c.id()));
  EXPECT_TRUE(eventually([&] { return marked_processes("KRILL_IT_ID=" + c.id()).empty(); }));
}

}  // namespace
}  // namespace krill::it
