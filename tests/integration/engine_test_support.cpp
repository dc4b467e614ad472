#include "engine_test_support.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace krill::it {
namespace {

const char* const kApplets[] = {
    "sh",       "true", "false", "echo", "cat",    "ls",  "sleep", "id",   "env",   "pwd",
    "ps",       "kill", "grep",  "head", "tail",   "tty", "stat",  "test", "touch", "mkdir",
    "hostname", "yes",  "wc",    "seq",  "whoami", "nc",  "httpd", "wget", "ip",    "timeout"};

std::string build_tar() {
  std::string dir = test_dir() + "/kbox-rootfs";
  std::string root = dir + "/rootfs";
  std::filesystem::create_directories(root);
  for (const char* d : {"bin", "dev", "proc", "sys", "tmp", "etc", "root", "var", "run", "data"})
    ::mkdir((root + "/" + d).c_str(), 0755);
  ::chmod((root + "/tmp").c_str(), 01777);
  std::error_code ec;
  std::filesystem::copy_file(kBusybox, root + "/bin/busybox", ec);
  if (ec) ADD_FAILURE() << "copy " << kBusybox << ": " << ec.message();
  for (const char* applet : kApplets) ::symlink("busybox", (root + "/bin/" + applet).c_str());
  // The probe, for what busybox cannot do (UDP with name resolution).
  std::filesystem::copy_file(KRILL_PROBE_BINARY, root + "/bin/probe", ec);
  if (ec) ADD_FAILURE() << "copy " << KRILL_PROBE_BINARY << ": " << ec.message();
  write_file(root + "/etc/passwd",
             "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
  write_file(root + "/etc/group", "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n");
  write_file(root + "/data/seed.txt", "seeded\n");
  write_file(root + "/etc/not-executable", "#!/bin/sh\necho no\n");
  // An absolute symlink that names a host directory too: volume copy-up must resolve it inside
  // the image.
  ::symlink("/etc", (root + "/escape").c_str());
  std::string tar = dir + "/rootfs.tar";
  auto made = run_command({"tar", "-C", root, "--numeric-owner", "-cf", tar, "."});
  if (!made.ok()) ADD_FAILURE() << made.describe();
  return tar;
}

}  // namespace

const std::string& busybox_rootfs_tar() {
  static const std::string tar = build_tar();
  return tar;
}

EngineEnv::EngineEnv() : dir_("engine") {
  store_ = dir_.path() + "/store";
  // Inside the test's temp dir: a long run root, so socket paths beyond sun_path's 108 bytes
  // (<runroot>/runtime/<64-hex id>/start.sock, the monitor's attach.sock) are exercised.
  runroot_ = dir_.path() + "/run";
  auto imported = krill({"import", "-q", "-c", "ENV=PATH=/bin", busybox_rootfs_tar(), kImage});
  if (!imported.ok()) ADD_FAILURE() << "import the busybox image\n" << imported.describe();
}

EngineEnv::~EngineEnv() {
  auto ids = container_ids();
  for (const auto& id : ids) {
    auto removed = krill({"rm", "-f", "-v", id});
    if (!removed.ok()) ADD_FAILURE() << "clean-up rm -f " << id << "\n" << removed.describe();
  }
  // Monitors finish their exit command shortly after the container is gone.
  eventually([&] { return leftover_processes().empty(); }, std::chrono::seconds(5));
  for (pid_t pid : leftover_processes()) {
    ADD_FAILURE() << "process " << pid << " left behind";
    ::kill(pid, SIGKILL);
  }
  for (const auto& id : ids)
    for (const auto& [controller, mount] : host_cgroup_mounts()) {
      std::string cgroup = mount + "/krill-" + id;
      if (::access(cgroup.c_str(), F_OK) == 0) {
        ADD_FAILURE() << "cgroup left behind: " << cgroup;
        ::rmdir(cgroup.c_str());
      }
    }
  for (const auto& mount : leftover_mounts()) {
    ADD_FAILURE() << "mount left behind: " << mount;
    ::umount2(mount.c_str(), MNT_DETACH);
  }
  if (!remove_tree(runroot_)) ADD_FAILURE() << "could not remove " << runroot_;
}

std::vector<std::string> EngineEnv::global_args() const {
  return {KRILL_BINARY, "--root", store_, "--runroot", runroot_};
}

CommandResult EngineEnv::krill(const std::vector<std::string>& args, CommandOptions options) const {
  std::vector<std::string> argv = global_args();
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, options);
}

std::vector<std::string> EngineEnv::container_ids() const {
  auto listed = krill({"ps", "-a", "-q", "--no-trunc"});
  std::vector<std::string> ids;
  std::istringstream lines(listed.out);
  std::string line;
  while (std::getline(lines, line))
    if (!line.empty()) ids.push_back(line);
  return ids;
}

std::vector<std::string> EngineEnv::leftover_mounts() const {
  std::ifstream in("/proc/self/mountinfo");
  std::vector<std::string> found;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, mount_point;
    fields >> id >> parent >> dev >> root >> mount_point;
    if (mount_point.starts_with(store_) || mount_point.starts_with(runroot_))
      found.push_back(mount_point);
  }
  return found;
}

std::vector<pid_t> EngineEnv::leftover_processes() const {
  std::vector<pid_t> pids;
  DIR* proc = ::opendir("/proc");
  if (!proc) return pids;
  while (dirent* entry = ::readdir(proc)) {
    pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
    if (pid <= 0 || pid == ::getpid()) continue;
    std::string cmdline = read_file("/proc/" + std::string(entry->d_name) + "/cmdline");
    if (cmdline.find(runroot_) != std::string::npos) {
      std::string text = read_file("/proc/" + std::string(entry->d_name) + "/stat");
      auto close = text.rfind(')');
      if (close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z')
        continue;  // a zombie: its parent reaps it
      pids.push_back(pid);
    }
  }
  ::closedir(proc);
  return pids;
}

std::string EngineEnv::inspect(const std::string& name, const std::string& format) const {
  auto result = krill({"inspect", "--format", format, name});
  std::string out = result.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace krill::it
