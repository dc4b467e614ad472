// RootlessSession (rootless_session.h).
#include "rootless_session.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/process_stat.h"

namespace krill::it {

RootlessSession::RootlessSession() {
  if (geteuid() != 0) {
    skip_reason_ = "needs root to create the test user";
  } else if (!have_program("setpriv") || !have_program("newuidmap")) {
    skip_reason_ = "setpriv/newuidmap missing";
  } else if (read_file("/proc/sys/user/max_user_namespaces") == "0\n") {
    skip_reason_ = "user namespaces are disabled";
  }
  if (!skip_reason_.empty() || !user_.error().empty()) return;
  const std::string bin = home() + "/bin";
  std::filesystem::create_directories(bin);
  std::filesystem::create_directories(home() + "/xdg");
  const std::string build_dir =
      std::string(KRILL_BINARY).substr(0, std::string(KRILL_BINARY).find_last_of('/'));
  for (const char* name : {"krill", "krill-runtime", "krill-monitor"})
    std::filesystem::copy_file(build_dir + "/" + name, bin + "/" + name);
  give(home());
}

RootlessSession::~RootlessSession() {
  if (!skip_reason_.empty() || !user_.error().empty()) return;
  // Stops the containers and ends the namespace; the pause process is killed by pid if that
  // failed. (Other tests may run as the same user at once: nothing is killed by uid.)
  if (pause_pid() != 0) (void)krill({"system", "migrate"});
  if (pid_t pid = pause_pid(); pid != 0) ::kill(pid, SIGKILL);
}

std::vector<std::string> RootlessSession::krill_argv(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = user_.as_user(home());
  argv.push_back(home() + "/bin/krill");
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

CommandResult RootlessSession::krill(const std::vector<std::string>& args,
                                     CommandOptions options) const {
  return run_command(krill_argv(args), options);
}

pid_t RootlessSession::pause_pid() const {
  std::string text = read_file(run_root() + "/pause.pid");
  if (text.empty()) return 0;
  char* end = nullptr;
  long pid = std::strtol(text.c_str(), &end, 10);
  uint64_t start = std::strtoull(end, nullptr, 10);
  if (pid <= 1 || !process_alive(static_cast<pid_t>(pid), start)) return 0;
  return static_cast<pid_t>(pid);
}

void RootlessSession::give(const std::string& path) const {
  run_command(
      {"chown", "-R", std::to_string(user_.uid()) + ":" + std::to_string(user_.gid()), path});
}

}  // namespace krill::it
