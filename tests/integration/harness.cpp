#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "rootless_mode.h"

extern char** environ;

namespace krill::it {
namespace {

#ifndef KRILL_RUNTIME_BINARY
#define KRILL_RUNTIME_BINARY "krill-runtime"
#endif
#ifndef KRILL_PROBE_BINARY
#define KRILL_PROBE_BINARY "krill-probe"
#endif

std::atomic<int> g_counter{0};

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return (value && *value) ? std::string(value) : std::string(fallback);
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Reads what is available; returns false on EOF or a hard error.
bool drain(int fd, std::string& into) {
  char buf[65536];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
}

std::string sanitize(std::string_view hint) {
  std::string out;
  for (char c : hint)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-') out += c;
  return out.substr(0, 20);
}

// Environment cleanup after the last test: force-delete whatever is still in our --root and
// remove the scratch directory.
std::mutex g_dir_mutex;
bool g_dir_made = false;

class CleanupEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (rootless_mode() && !rootless_setup_error().empty())
      GTEST_FAIL() << "KRILL_IT_ROOTLESS=1: " << rootless_setup_error();
  }
  void TearDown() override {
    remove_scratch();
    if (rootless_mode()) release_rootless_user();  // after its containers and files are gone
  }

 private:
  static void remove_scratch() {
    {
      std::lock_guard lock(g_dir_mutex);
      if (!g_dir_made) return;
    }
    CommandResult listed = runtime({"list", "-q"});
    std::istringstream ids(listed.out);
    std::string id;
    while (std::getline(ids, id))
      if (!id.empty()) runtime({"delete", "--force", id});
    if (!remove_tree(test_dir()))
      std::fprintf(stderr, "warning: could not remove all of %s\n", test_dir().c_str());
  }
};

[[maybe_unused]] ::testing::Environment* const g_cleanup =
    ::testing::AddGlobalTestEnvironment(new CleanupEnvironment);

}  // namespace

std::string CommandResult::describe() const {
  std::string text = "command:";
  for (const auto& arg : argv) text += " " + arg;
  text += "\nexit: " + std::to_string(exit_code);
  if (signal) text += " (signal " + std::to_string(signal) + ")";
  if (timed_out) text += " (timed out)";
  text += "\nstdout: " + out.substr(0, 4000) + "\nstderr: " + err.substr(0, 4000);
  return text;
}

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options) {
  CommandResult result;
  result.argv = argv;
  if (argv.empty()) return result;

  // Everything the child needs is prepared before fork.
  std::vector<char*> cargv;
  for (const auto& arg : argv) cargv.push_back(const_cast<char*>(arg.c_str()));
  cargv.push_back(nullptr);
  std::vector<std::string> env_strings;
  auto overridden = [&](const std::string& entry) {
    std::string key = entry.substr(0, entry.find('=') + 1);
    for (const auto& e : options.env)
      if (e.rfind(key, 0) == 0) return true;
    return key == "KRILL_IT_MARKER=";
  };
  for (char** e = environ; e && *e; ++e)
    if (!overridden(*e)) env_strings.push_back(*e);
  for (const auto& e : options.env) env_strings.push_back(e);
  env_strings.push_back("KRILL_IT_MARKER=" + process_marker());
  std::vector<char*> cenv;
  for (auto& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, in_pipe[2] = {-1, -1};
  if (options.stdout_path.empty() && pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (options.stderr_path.empty() && pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  if (options.stdin_data && pipe2(in_pipe, O_CLOEXEC) != 0) return result;
  int in_fd = in_pipe[0] >= 0 ? in_pipe[0] : open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out_fd = out_pipe[1] >= 0 ? out_pipe[1]
                                : open(options.stdout_path.c_str(),
                                       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int err_fd = err_pipe[1] >= 0 ? err_pipe[1]
                                : open(options.stderr_path.c_str(),
                                       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
  std::vector<int> pass = options.pass_fds;

  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    // Move the passed fds out of the way first so that placing them cannot clobber each other.
    std::vector<int> moved;
    for (int fd : pass) moved.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 200));
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (size_t i = 0; i < moved.size(); ++i) dup2(moved[i], 3 + static_cast<int>(i));
    close_range(3 + static_cast<unsigned>(moved.size()), ~0U, 0);
    signal(SIGPIPE, SIG_DFL);
    if (cwd && chdir(cwd) != 0) _exit(126);
    execvpe(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  close(in_fd);
  close(out_fd);
  close(err_fd);
  if (pid < 0) {
    if (out_pipe[0] >= 0) close(out_pipe[0]);
    if (err_pipe[0] >= 0) close(err_pipe[0]);
    if (in_pipe[1] >= 0) close(in_pipe[1]);
    return result;
  }
  if (in_pipe[1] >= 0) {
    const std::string& data = *options.stdin_data;
    size_t written = 0;
    while (written < data.size()) {
      ssize_t n = write(in_pipe[1], data.data() + written, data.size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    close(in_pipe[1]);
  }
  int out_read = out_pipe[0], err_read = err_pipe[0];
  if (out_read >= 0) set_nonblocking(out_read);
  if (err_read >= 0) set_nonblocking(err_read);

  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  int status = 0;
  bool exited = false;
  while (!exited) {
    struct pollfd fds[2];
    nfds_t n = 0;
    if (out_read >= 0) fds[n++] = {out_read, POLLIN, 0};
    if (err_read >= 0) fds[n++] = {err_read, POLLIN, 0};
    if (n > 0)
      poll(fds, n, 20);
    else
      usleep(5000);
    if (out_read >= 0 && !drain(out_read, result.out)) {
      close(out_read);
      out_read = -1;
    }
    if (err_read >= 0 && !drain(err_read, result.err)) {
      close(err_read);
      err_read = -1;
    }
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) exited = true;
    if (!exited && std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);  // the process group we made for the child
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.timed_out = true;
      exited = true;
    }
  }
  // The child is gone: take what is already in the pipes; do not wait for grandchildren.
  if (out_read >= 0) {
    drain(out_read, result.out);
    close(out_read);
  }
  if (err_read >= 0) {
    drain(err_read, result.err);
    close(err_read);
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  if (!options.stdout_path.empty()) result.out = read_file(options.stdout_path);
  if (!options.stderr_path.empty()) result.err = read_file(options.stderr_path);
  return result;
}

const std::string& runtime_binary() {
  static const std::string binary = env_or("KRILL_TEST_RUNTIME", KRILL_RUNTIME_BINARY);
  return binary;
}

bool runtime_is_runc() { return std::filesystem::path(runtime_binary()).filename() == "runc"; }

const std::string& probe_binary() {
  static const std::string binary = env_or("KRILL_TEST_PROBE", KRILL_PROBE_BINARY);
  return binary;
}

const std::string& test_dir() {
  static const std::string dir = [] {
    char pattern[] = "/tmp/krill-it-XXXXXX";
    const char* made = mkdtemp(pattern);
    if (!made) {
      std::perror("mkdtemp");
      std::abort();
    }
    chmod(made, 0755);  // the rootless test user must be able to reach its bundle
    std::lock_guard lock(g_dir_mutex);
    g_dir_made = true;
    return std::string(made);
  }();
  return dir;
}

const std::string& state_root() {
  static const std::string root = [] {
    std::string path = test_dir() + "/state";
    mkdir(path.c_str(), 0700);
    return path;
  }();
  return root;
}

std::string unique_id(std::string_view hint) {
  std::string id = "kit" + std::to_string(getpid()) + "-" + std::to_string(++g_counter);
  std::string clean = sanitize(hint);
  if (!clean.empty()) id += "-" + clean;
  return id;
}

const std::string& process_marker() {
  static const std::string marker =
      std::to_string(getpid()) + "-" + std::to_string(std::time(nullptr));
  return marker;
}

CommandResult runtime(const std::vector<std::string>& args, const CommandOptions& options) {
  const std::string& root = state_root();  // made before the hand-over below
  std::vector<std::string> argv;
  if (rootless_mode()) {
    if (const std::string error = rootless_setup_error(); !error.empty()) {
      CommandResult failed;
      failed.argv = args;
      failed.err = "rootless mode: " + error;
      return failed;
    }
    // Whatever root made for the test since the last command (bundles, sockets, scratch
    // files) is the test user's, as it would be had the user made it.
    hand_over_to_test_user(test_dir());
    argv = rootless_command_prefix();
    argv.push_back(rootless_runtime_binary());
  } else {
    argv.push_back(runtime_binary());
  }
  argv.push_back("--root");
  argv.push_back(root);
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, options);
}

std::vector<pid_t> marked_processes(std::string_view extra) {
  std::vector<pid_t> pids;
  std::string needle = "KRILL_IT_MARKER=" + process_marker();
  DIR* d = opendir("/proc");
  if (!d) return pids;
  while (dirent* entry = readdir(d)) {
    if (!std::isdigit(static_cast<unsigned char>(entry->d_name[0]))) continue;
    pid_t pid = std::atoi(entry->d_name);
    if (pid == getpid()) continue;
    std::string environ_text = read_file(std::string("/proc/") + entry->d_name + "/environ");
    std::string stat = read_file(std::string("/proc/") + entry->d_name + "/stat");
    auto close_paren = stat.rfind(')');
    if (close_paren != std::string::npos && close_paren + 2 < stat.size() &&
        stat[close_paren + 2] == 'Z')
      continue;  // zombies are gone already; their parent just has not reaped them
    bool has_marker = false, has_extra = extra.empty();
    size_t start = 0;
    while (start < environ_text.size()) {
      size_t end = environ_text.find('\0', start);
      if (end == std::string::npos) end = environ_text.size();
      std::string_view item(environ_text.data() + start, end - start);
      if (item == needle) has_marker = true;
      if (!extra.empty() && item == extra) has_extra = true;
      start = end + 1;
    }
    if (has_marker && has_extra) pids.push_back(pid);
  }
  closedir(d);
  return pids;
}

std::string read_file(const std::string& path) {
  // read(2) rather than a filebuf: libstdc++ throws from underflow when a read fails, and a
  // /proc/<pid>/ file of a process that exits mid-read fails with ESRCH (the leak scans run in
  // destructors, where a throw terminates the test).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buffer[8192];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  return static_cast<bool>(out);
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

bool remove_tree(const std::string& path) {
  if (!path_exists(path)) return true;
  nftw(
      path.c_str(),
      [](const char* p, const struct stat*, int, struct FTW*) {
        ::remove(p);
        return 0;
      },
      64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  return !path_exists(path);
}

json parse_json(const std::string& text) { return json::parse(text, nullptr, false); }

json last_json_line(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  json found(json::value_t::discarded);
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    json parsed = parse_json(line);
    if (parsed.is_object()) found = parsed;
  }
  return found;
}

TempDir::TempDir(std::string_view hint) {
  path_ = test_dir() + "/" + sanitize(hint) + "-" + std::to_string(++g_counter);
  mkdir(path_.c_str(), 0755);
}

TempDir::~TempDir() { remove_tree(path_); }

// ---- cgroups ------------------------------------------------------------------------------

std::map<std::string, std::string> host_cgroup_mounts() {
  std::map<std::string, std::string> mounts;
  std::istringstream in(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream left(line.substr(0, dash)), right(line.substr(dash + 3));
    std::string id, parent, devno, root, mountpoint, fstype, source, super;
    left >> id >> parent >> devno >> root >> mountpoint;
    right >> fstype >> source >> super;
    if (root != "/") continue;
    if (fstype == "cgroup2") {
      mounts.emplace("", mountpoint);
    } else if (fstype == "cgroup") {
      std::string controllers;
      std::istringstream opts(super);
      std::string opt;
      while (std::getline(opts, opt, ',')) {
        if (opt == "rw" || opt == "ro" || opt.rfind("release_agent", 0) == 0 ||
            opt == "clone_children" || opt == "noprefix" || opt == "xattr")
          continue;
        controllers += (controllers.empty() ? "" : ",") + opt;
      }
      mounts.emplace(controllers, mountpoint);
    }
  }
  return mounts;
}

namespace {
// controller list of a /proc/PID/cgroup line -> path.
std::map<std::string, std::string> cgroup_paths(const std::string& proc_file) {
  std::map<std::string, std::string> paths;
  std::istringstream in(read_file(proc_file));
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    paths[line.substr(first + 1, second - first - 1)] = line.substr(second + 1);
  }
  return paths;
}

std::string lookup_controller(const std::map<std::string, std::string>& table,
                              const std::string& controller) {
  for (const auto& [key, value] : table) {
    if (key == controller) return value;
    std::istringstream parts(key);
    std::string part;
    while (std::getline(parts, part, ','))
      if (!controller.empty() && part == controller) return value;
  }
  return {};
}
}  // namespace

std::string cgroup_dir_of(pid_t pid, const std::string& controller) {
  auto paths = cgroup_paths("/proc/" + std::to_string(pid) + "/cgroup");
  std::string path = lookup_controller(paths, controller);
  if (path.empty()) return {};
  std::string mount = lookup_controller(host_cgroup_mounts(), controller);
  if (mount.empty()) return {};
  return path == "/" ? mount : mount + path;
}

std::string own_cgroup_path(const std::string& controller) {
  return lookup_controller(cgroup_paths("/proc/self/cgroup"), controller);
}

CgroupGuard::CgroupGuard(std::string cgroups_path) : path_(std::move(cgroups_path)) {
  std::vector<std::string> prefixes;
  std::string prefix;
  std::istringstream parts(path_);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part.empty()) continue;
    prefix += "/" + part;
    prefixes.push_back(prefix);
  }
  for (const auto& [controllers, mount] : host_cgroup_mounts()) {
    for (auto it = prefixes.rbegin(); it != prefixes.rend(); ++it) {
      std::string dir = mount + *it;
      if (!path_exists(dir)) created_.push_back(dir);
    }
  }
}

CgroupGuard::~CgroupGuard() {
  for (const auto& dir : created_) rmdir(dir.c_str());  // only empty cgroups can be removed
}

std::vector<std::string> CgroupGuard::leaf_dirs() const {
  std::vector<std::string> dirs;
  for (const auto& [controllers, mount] : host_cgroup_mounts()) dirs.push_back(mount + path_);
  return dirs;
}

// ---- bundles ------------------------------------------------------------------------------

namespace {
const char* const kApplets[] = {
    "sh",    "ash",    "true",  "false",    "echo",     "cat",   "ls",     "sleep", "id",
    "mkdir", "touch",  "stat",  "readlink", "hostname", "test",  "env",    "pwd",   "ps",
    "kill",  "grep",   "wc",    "head",     "tail",     "mount", "umount", "ln",    "rm",
    "chmod", "printf", "uname", "whoami",   "tr",       "cut",   "sed",    "awk",   "yes",
    "date",  "dd",     "mknod", "nproc",    "ulimit",   "tty",   "stty",   "sync",  "sysctl"};
}  // namespace

Bundle::Bundle(std::string_view hint) {
  path_ = test_dir() + "/" + sanitize(hint) + "-" + std::to_string(++g_counter);
  std::string root = rootfs();
  std::filesystem::create_directories(root);
  for (const char* dir : {"bin", "dev", "proc", "sys", "tmp", "etc", "root", "var", "run"})
    mkdir((root + "/" + dir).c_str(), 0755);
  chmod((root + "/tmp").c_str(), 01777);
  std::error_code ec;
  std::filesystem::copy_file(kBusybox, root + "/bin/busybox", ec);
  if (ec) ADD_FAILURE() << "copy " << kBusybox << ": " << ec.message();
  std::filesystem::copy_file(probe_binary(), root + "/probe", ec);
  if (ec) ADD_FAILURE() << "copy probe " << probe_binary() << ": " << ec.message();
  chmod((root + "/probe").c_str(), 0755);
  for (const char* applet : kApplets) symlink("busybox", (root + "/bin/" + applet).c_str());
  write_file(root + "/etc/passwd",
             "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
  write_file(root + "/etc/group", "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n");

  CommandOptions options;
  options.cwd = path_;
  CommandResult spec = run_command({runtime_binary(), "spec"}, options);
  if (!spec.ok()) {
    ADD_FAILURE() << "`spec` failed in " << path_ << "\n" << spec.describe();
    config = json::object();
    return;
  }
  config = parse_json(read_file(config_path()));
  if (!config.is_object()) {
    ADD_FAILURE() << "`spec` wrote an unparsable config.json in " << path_;
    config = json::object();
    return;
  }
  config["process"]["terminal"] = false;
  config["process"]["args"] = {"/probe", "report"};
  config["process"]["env"].push_back("KRILL_IT_MARKER=" + process_marker());
  save();
}

Bundle::~Bundle() {
  cgroup_guard_.reset();
  remove_tree(path_);
}

namespace {
bool host_has_mqueue() {
  static const bool mounted =
      read_file("/proc/self/mountinfo").find(" /dev/mqueue ") != std::string::npos;
  return mounted;
}
}  // namespace

void Bundle::save() const {
  write_file(config_path(),
             (rootless_mode() ? rootless_config(config, rootless_ids(), host_has_mqueue()) : config)
                 .dump(2));
}

void Bundle::set_args(const std::vector<std::string>& args) { config["process"]["args"] = args; }

std::string Bundle::share_dir(const std::string& destination) {
  std::string host = path_ + "/shared-" + std::to_string(shared_.size());
  mkdir(host.c_str(), 0777);
  chmod(host.c_str(), 0777);
  shared_.push_back(host);
  config["mounts"].push_back({{"destination", destination},
                              {"type", "bind"},
                              {"source", host},
                              {"options", {"rbind", "rw"}}});
  return host;
}

const CgroupGuard& Bundle::use_test_cgroup(const std::string& id) {
  std::string base = own_cgroup_path("memory");
  if (base.empty()) base = own_cgroup_path("");
  if (base == "/") base.clear();
  cgroup_guard_ = std::make_unique<CgroupGuard>(base + "/kit-" + id);
  config["linux"]["cgroupsPath"] = cgroup_guard_->cgroups_path();
  return *cgroup_guard_;
}

void Bundle::remove_namespace(const std::string& type) {
  json& list = config["linux"]["namespaces"];
  json kept = json::array();
  for (const auto& ns : list)
    if (ns.value("type", "") != type) kept.push_back(ns);
  list = kept;
}

void Bundle::set_namespace(const std::string& type, const std::string& path) {
  remove_namespace(type);
  json entry = {{"type", type}};
  if (!path.empty()) entry["path"] = path;
  config["linux"]["namespaces"].push_back(entry);
}

bool Bundle::has_namespace(const std::string& type) const {
  if (!config.contains("linux") || !config["linux"].contains("namespaces")) return false;
  for (const auto& ns : config["linux"]["namespaces"])
    if (ns.value("type", "") == type) return true;
  return false;
}

// ---- containers ---------------------------------------------------------------------------

Container::Container(Bundle& bundle, std::string id)
    : bundle_(bundle), id_(id.empty() ? unique_id() : std::move(id)) {}

namespace {
// rmdir (empty cgroups only) every directory named `name` up to `depth` levels below `dir`.
void remove_cgroups_named(const std::string& dir, const std::string& name, int depth) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> children;
  while (dirent* entry = readdir(d))
    if (entry->d_type == DT_DIR && entry->d_name[0] != '.') children.push_back(entry->d_name);
  closedir(d);
  for (const auto& child : children) {
    std::string path = dir + "/" + child;
    if (depth > 1) remove_cgroups_named(path, name, depth - 1);
    if (child == name) rmdir(path.c_str());
  }
}
}  // namespace

Container::~Container() {
  if (!touched_) return;
  runtime({"delete", "--force", id_});
  // A runtime under development may leave the container's cgroups behind; ids are unique to
  // this test process, so any cgroup named after the id is ours to remove.
  for (const auto& [controllers, mount] : host_cgroup_mounts()) remove_cgroups_named(mount, id_, 4);
}

CommandResult Container::create(const std::vector<std::string>& extra, CommandOptions options) {
  touched_ = true;
  bundle_.save();
  std::vector<std::string> args = {"create", "--bundle", bundle_.path()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(id_);
  if (options.stdout_path.empty()) options.stdout_path = bundle_.path() + "/" + id_ + ".stdout";
  if (options.stderr_path.empty()) options.stderr_path = bundle_.path() + "/" + id_ + ".stderr";
  options.env.push_back("KRILL_IT_ID=" + id_);
  return runtime(args, options);
}

CommandResult Container::start() { return runtime({"start", id_}); }

CommandResult Container::run(const std::vector<std::string>& extra, CommandOptions options) {
  touched_ = true;
  bundle_.save();
  std::vector<std::string> args = {"run", "--bundle", bundle_.path()};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(id_);
  options.env.push_back("KRILL_IT_ID=" + id_);
  return runtime(args, options);
}

CommandResult Container::run_detached(const std::vector<std::string>& extra) {
  std::vector<std::string> flags = {"-d"};
  flags.insert(flags.end(), extra.begin(), extra.end());
  CommandOptions options;
  options.stdout_path = bundle_.path() + "/" + id_ + ".stdout";
  options.stderr_path = bundle_.path() + "/" + id_ + ".stderr";
  return run(flags, options);
}

CommandResult Container::state() const { return runtime({"state", id_}); }

CommandResult Container::kill(const std::string& signal, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"kill"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(id_);
  if (!signal.empty()) args.push_back(signal);
  return runtime(args);
}

CommandResult Container::remove(bool force) {
  if (force) return runtime({"delete", "--force", id_});
  return runtime({"delete", id_});
}

CommandResult Container::exec(const std::vector<std::string>& flags,
                              const std::vector<std::string>& args, CommandOptions options) {
  std::vector<std::string> argv = {"exec"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(id_);
  argv.insert(argv.end(), args.begin(), args.end());
  options.env.push_back("KRILL_IT_ID=" + id_);
  return runtime(argv, options);
}

json Container::state_json() const {
  CommandResult r = state();
  if (!r.ok()) return json(json::value_t::discarded);
  return parse_json(r.out);
}

std::string Container::status() const {
  json s = state_json();
  return s.is_object() ? s.value("status", "") : "";
}

pid_t Container::pid() const {
  json s = state_json();
  return s.is_object() ? s.value("pid", 0) : 0;
}

bool Container::wait_for_status(const std::string& wanted,
                                std::chrono::milliseconds timeout) const {
  return eventually([&] { return status() == wanted; }, timeout);
}

std::string Container::output() const { return read_file(bundle_.path() + "/" + id_ + ".stdout"); }

std::string Container::error_output() const {
  return read_file(bundle_.path() + "/" + id_ + ".stderr");
}

ProbeRun run_probe(Bundle& bundle, const std::vector<std::string>& report_args,
                   const std::vector<std::string>& run_flags) {
  std::vector<std::string> args = {"/probe", "report"};
  args.insert(args.end(), report_args.begin(), report_args.end());
  bundle.set_args(args);
  Container container(bundle);
  ProbeRun probe;
  probe.result = container.run(run_flags);
  probe.report = last_json_line(probe.result.out);
  return probe;
}

std::map<std::string, unsigned long long> host_namespaces(pid_t pid) {
  std::map<std::string, unsigned long long> out;
  std::string base = pid == 0 ? "/proc/self/ns/" : "/proc/" + std::to_string(pid) + "/ns/";
  for (const char* type : {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}) {
    char buf[256];
    ssize_t n = readlink((base + type).c_str(), buf, sizeof(buf) - 1);
    if (n <= 0) continue;
    std::string link(buf, static_cast<size_t>(n));
    auto open = link.find('['), close = link.find(']');
    if (open == std::string::npos || close == std::string::npos) continue;
    out[type] = std::stoull(link.substr(open + 1, close - open - 1));
  }
  return out;
}

json find_mount(const json& report, const std::string& destination) {
  json found;  // null
  if (!report.is_object() || !report.contains("mounts")) return found;
  for (const auto& m : report["mounts"])
    if (m.value("destination", "") == destination) found = m;
  return found;
}

bool has_option(const json& mount, const std::string& option) {
  if (!mount.is_object()) return false;
  for (const char* key : {"options", "super_options"})
    if (mount.contains(key))
      for (const auto& o : mount[key])
        if (o == option) return true;
  return false;
}

// ---- console socket -----------------------------------------------------------------------

ConsoleSocket::ConsoleSocket() {
  dir_ = test_dir() + "/cs" + std::to_string(++g_counter);
  mkdir(dir_.c_str(), 0700);
  path_ = dir_ + "/sock";
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 1) != 0)
    ADD_FAILURE() << "console socket " << path_ << ": " << std::strerror(errno);
}

ConsoleSocket::~ConsoleSocket() {
  if (listen_fd_ >= 0) close(listen_fd_);
  unlink(path_.c_str());
  rmdir(dir_.c_str());
}

int ConsoleSocket::receive(std::chrono::milliseconds timeout) {
  struct pollfd pfd = {listen_fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return -1;
  int conn = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return -1;
  char data[4096];
  struct iovec iov = {data, sizeof(data)};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  pfd = {conn, POLLIN, 0};
  int fd = -1;
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) > 0 &&
      recvmsg(conn, &msg, MSG_CMSG_CLOEXEC) >= 0) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
        break;
      }
    }
  }
  close(conn);
  return fd;
}

std::string read_until(int fd, std::string_view until, std::chrono::milliseconds timeout) {
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!until.empty() && text.find(until) != std::string::npos) break;
    struct pollfd pfd = {fd, POLLIN, 0};
    int ready = poll(&pfd, 1, 50);
    if (ready <= 0) continue;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    break;  // EOF, or EIO once the slave side is closed
  }
  return text;
}

bool have_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0;
  std::string path = env_or("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  std::istringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  return false;
}

}  // namespace krill::it
