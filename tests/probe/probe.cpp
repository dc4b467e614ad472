// krill-probe: a small static program copied into test bundles as /probe.
//
// `probe report [--sysctl NAME]... [--cgroup-file CTRL/FILE]...` prints one JSON object that
// describes what the process sees from inside the container; the integration tests compare it
// with config.json. The other subcommands are tiny actions the tests need (exit statuses and
// errno values are the observable results):
//
//   probe exit N                 exit with status N
//   probe sleep SECONDS          sleep (fractional seconds allowed)
//   probe echo ARGS...           print ARGS joined by spaces
//   probe cat PATH               print the file; exit status is errno on failure
//   probe write PATH [TEXT]      write TEXT (default "x") to PATH; exit 0 or errno
//   probe read PATH              exit 0 if PATH can be read, else errno
//   probe syscall mkdir PATH     print {"errno": N} for mkdir(PATH, 0755) (0 on success)
//   probe kill-self SIG          raise SIG with the default disposition
//   probe wait-signal FILE       catch every catchable signal, write its number to FILE, exit
//   probe append FILE TEXT       append TEXT and a newline to FILE (for ordering markers)
//   probe hook FILE NAME         read the state JSON from stdin and append
//                                {"hook":NAME,"pid":getpid(),"state":...} as one line to FILE
//   probe stat PATH              print {"mode":..,"uid":..,"gid":..,"type":..} (lstat)
//   probe fds                    print the open fds as JSON
//   probe eat-memory MIB         allocate and touch MIB MiB, 1 MiB at a time, then print "survived"
//
// The report also lists the network devices ("net_devices": name, up, addresses as text) and the
// clocks ("clocks": CLOCK_MONOTONIC and CLOCK_BOOTTIME seconds, /proc/self/timens_offsets).
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/prctl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace {

using nlohmann::json;

std::string read_file(const std::string& path, bool* ok = nullptr) {
  std::ifstream in(path, std::ios::binary);
  if (ok) *ok = static_cast<bool>(in);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  size_t start = 0;
  while (start < s.size() && (s[start] == ' ' || s[start] == '\t')) ++start;
  return s.substr(start);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
  if (n < 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

// "Key:\tvalue" lines of /proc/self/status.
json proc_status() {
  json status = json::object();
  std::istringstream in(read_file("/proc/self/status"));
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    status[line.substr(0, colon)] = trim(line.substr(colon + 1));
  }
  return status;
}

const char* const kCapNames[] = {"CAP_CHOWN",
                                 "CAP_DAC_OVERRIDE",
                                 "CAP_DAC_READ_SEARCH",
                                 "CAP_FOWNER",
                                 "CAP_FSETID",
                                 "CAP_KILL",
                                 "CAP_SETGID",
                                 "CAP_SETUID",
                                 "CAP_SETPCAP",
                                 "CAP_LINUX_IMMUTABLE",
                                 "CAP_NET_BIND_SERVICE",
                                 "CAP_NET_BROADCAST",
                                 "CAP_NET_ADMIN",
                                 "CAP_NET_RAW",
                                 "CAP_IPC_LOCK",
                                 "CAP_IPC_OWNER",
                                 "CAP_SYS_MODULE",
                                 "CAP_SYS_RAWIO",
                                 "CAP_SYS_CHROOT",
                                 "CAP_SYS_PTRACE",
                                 "CAP_SYS_PACCT",
                                 "CAP_SYS_ADMIN",
                                 "CAP_SYS_BOOT",
                                 "CAP_SYS_NICE",
                                 "CAP_SYS_RESOURCE",
                                 "CAP_SYS_TIME",
                                 "CAP_SYS_TTY_CONFIG",
                                 "CAP_MKNOD",
                                 "CAP_LEASE",
                                 "CAP_AUDIT_WRITE",
                                 "CAP_AUDIT_CONTROL",
                                 "CAP_SETFCAP",
                                 "CAP_MAC_OVERRIDE",
                                 "CAP_MAC_ADMIN",
                                 "CAP_SYSLOG",
                                 "CAP_WAKE_ALARM",
                                 "CAP_BLOCK_SUSPEND",
                                 "CAP_AUDIT_READ",
                                 "CAP_PERFMON",
                                 "CAP_BPF",
                                 "CAP_CHECKPOINT_RESTORE"};

// A capability mask as the sorted list of names ("CAP_41" for unknown bits).
json cap_names(const std::string& hex) {
  json names = json::array();
  unsigned long long mask = std::strtoull(hex.c_str(), nullptr, 16);
  for (unsigned bit = 0; bit < 64; ++bit) {
    if (!(mask & (1ULL << bit))) continue;
    if (bit < sizeof(kCapNames) / sizeof(kCapNames[0]))
      names.push_back(kCapNames[bit]);
    else
      names.push_back("CAP_" + std::to_string(bit));
  }
  return names;
}

json namespaces() {
  json ns = json::object();
  for (const char* type : {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
                           "time_for_children", "user", "uts"}) {
    std::string link = read_link(std::string("/proc/self/ns/") + type);
    if (link.empty()) continue;
    auto open = link.find('[');
    auto close = link.find(']');
    if (open == std::string::npos || close == std::string::npos) continue;
    ns[type] = std::stoull(link.substr(open + 1, close - open - 1));
  }
  return ns;
}

json rlimits() {
  struct Limit {
    const char* name;
    int resource;
  };
  const Limit limits[] = {{"RLIMIT_AS", RLIMIT_AS},
                          {"RLIMIT_CORE", RLIMIT_CORE},
                          {"RLIMIT_CPU", RLIMIT_CPU},
                          {"RLIMIT_DATA", RLIMIT_DATA},
                          {"RLIMIT_FSIZE", RLIMIT_FSIZE},
                          {"RLIMIT_LOCKS", RLIMIT_LOCKS},
                          {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
                          {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
                          {"RLIMIT_NICE", RLIMIT_NICE},
                          {"RLIMIT_NOFILE", RLIMIT_NOFILE},
                          {"RLIMIT_NPROC", RLIMIT_NPROC},
                          {"RLIMIT_RSS", RLIMIT_RSS},
                          {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
                          {"RLIMIT_RTTIME", RLIMIT_RTTIME},
                          {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
                          {"RLIMIT_STACK", RLIMIT_STACK}};
  json out = json::object();
  for (const auto& limit : limits) {
    struct rlimit value {};
    if (getrlimit(limit.resource, &value) != 0) continue;
    // RLIM_INFINITY is reported as UINT64_MAX, which is also how config.json spells it.
    out[limit.name] = {{"soft", static_cast<uint64_t>(value.rlim_cur)},
                       {"hard", static_cast<uint64_t>(value.rlim_max)}};
  }
  return out;
}

// /proc/self/mountinfo, one object per line.
json mounts() {
  json out = json::array();
  std::istringstream in(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream left(line.substr(0, dash));
    std::istringstream right(line.substr(dash + 3));
    std::string id, parent, devno, root, destination, options, field;
    left >> id >> parent >> devno >> root >> destination >> options;
    json optional_fields = json::array();
    std::string propagation = "private";
    while (left >> field) {
      optional_fields.push_back(field);
      if (field.rfind("shared:", 0) == 0)
        propagation = "shared";
      else if (field.rfind("master:", 0) == 0 && propagation != "shared")
        propagation = "slave";
      else if (field == "unbindable")
        propagation = "unbindable";
    }
    std::string fstype, source, super_options;
    right >> fstype >> source >> super_options;
    out.push_back({{"id", std::stoi(id)},
                   {"parent", std::stoi(parent)},
                   {"root", root},
                   {"destination", destination},
                   {"options", split(options, ',')},
                   {"optional", optional_fields},
                   {"propagation", propagation},
                   {"fstype", fstype},
                   {"source", source},
                   {"super_options", split(super_options, ',')}});
  }
  return out;
}

void walk_dev(const std::string& dir, int depth, json& devices, json& symlinks, json& others) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* entry = readdir(d)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      devices[path] = {{"type", S_ISCHR(st.st_mode) ? "c" : "b"},
                       {"major", major(st.st_rdev)},
                       {"minor", minor(st.st_rdev)},
                       {"mode", st.st_mode & 07777},
                       {"uid", st.st_uid},
                       {"gid", st.st_gid}};
    } else if (S_ISLNK(st.st_mode)) {
      symlinks[path] = read_link(path);
    } else if (S_ISDIR(st.st_mode)) {
      others[path] = "dir";
      if (depth < 3) walk_dev(path, depth + 1, devices, symlinks, others);
    } else if (S_ISREG(st.st_mode)) {
      others[path] = "file";
    } else if (S_ISFIFO(st.st_mode)) {
      others[path] = "fifo";
    } else if (S_ISSOCK(st.st_mode)) {
      others[path] = "socket";
    }
  }
  closedir(d);
}

json open_fds() {
  json fds = json::object();
  DIR* d = opendir("/proc/self/fd");
  if (!d) return fds;
  int own = dirfd(d);
  while (dirent* entry = readdir(d)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::atoi(entry->d_name);
    if (fd == own) continue;
    fds[entry->d_name] = read_link(std::string("/proc/self/fd/") + entry->d_name);
  }
  closedir(d);
  return fds;
}

json cgroup_membership() {
  json out = json::array();
  std::istringstream in(read_file("/proc/self/cgroup"));
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    out.push_back({{"hierarchy", line.substr(0, first)},
                   {"controllers", line.substr(first + 1, second - first - 1)},
                   {"path", line.substr(second + 1)}});
  }
  return out;
}

// Well-known limit files under /sys/fs/cgroup (v1 controllers and cgroup2), plus any asked for.
json cgroup_files(const std::vector<std::string>& extra) {
  std::vector<std::string> files = {"memory/memory.limit_in_bytes",
                                    "memory/memory.memsw.limit_in_bytes",
                                    "memory/memory.soft_limit_in_bytes",
                                    "memory/memory.swappiness",
                                    "pids/pids.max",
                                    "cpu/cpu.shares",
                                    "cpu/cpu.cfs_quota_us",
                                    "cpu/cpu.cfs_period_us",
                                    "cpu,cpuacct/cpu.shares",
                                    "cpuset/cpuset.cpus",
                                    "cpuset/cpuset.mems",
                                    "blkio/blkio.weight",
                                    "memory.max",
                                    "pids.max",
                                    "cpu.max",
                                    "cpu.weight",
                                    "cpuset.cpus",
                                    "unified/cgroup.controllers"};
  files.insert(files.end(), extra.begin(), extra.end());
  json out = json::object();
  for (const auto& file : files) {
    bool ok = false;
    std::string content = read_file("/sys/fs/cgroup/" + file, &ok);
    if (ok) out[file] = trim(content);
  }
  return out;
}

std::string sysctl_path(const std::string& name) {
  std::string path = "/proc/sys/";
  for (char c : name) path += (c == '.') ? '/' : c;
  return path;
}

json stdio_info() {
  json out = json::object();
  for (int fd = 0; fd <= 2; ++fd) {
    char name[256] = {0};
    bool tty = isatty(fd) == 1;
    json entry = {{"target", read_link("/proc/self/fd/" + std::to_string(fd))}, {"isatty", tty}};
    if (tty && ttyname_r(fd, name, sizeof(name)) == 0) entry["ttyname"] = name;
    if (tty) {
      struct winsize ws {};
      if (ioctl(fd, TIOCGWINSZ, &ws) == 0)
        entry["winsize"] = json{{"rows", ws.ws_row}, {"cols", ws.ws_col}};
    }
    out[std::to_string(fd)] = entry;
  }
  return out;
}

// Every network device with its flags and addresses ("10.1.2.3/24", "fd00::1/64").
json net_devices() {
  json devices = json::object();
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return devices;
  for (ifaddrs* entry = list; entry; entry = entry->ifa_next) {
    json& device = devices[entry->ifa_name];
    if (!device.contains("addresses")) device["addresses"] = json::array();
    device["up"] = (entry->ifa_flags & IFF_UP) != 0;
    if (!entry->ifa_addr) continue;
    const int family = entry->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    char text[INET6_ADDRSTRLEN] = {0};
    const void* raw = family == AF_INET
                          ? static_cast<const void*>(
                                &reinterpret_cast<sockaddr_in*>(entry->ifa_addr)->sin_addr)
                          : static_cast<const void*>(
                                &reinterpret_cast<sockaddr_in6*>(entry->ifa_addr)->sin6_addr);
    inet_ntop(family, raw, text, sizeof text);
    int prefix = 0;
    if (entry->ifa_netmask) {
      const auto* mask = family == AF_INET
                             ? reinterpret_cast<const unsigned char*>(
                                   &reinterpret_cast<sockaddr_in*>(entry->ifa_netmask)->sin_addr)
                             : reinterpret_cast<const unsigned char*>(
                                   &reinterpret_cast<sockaddr_in6*>(entry->ifa_netmask)->sin6_addr);
      for (int i = 0; i < (family == AF_INET ? 4 : 16); ++i) prefix += __builtin_popcount(mask[i]);
    }
    device["addresses"].push_back(std::string(text) + "/" + std::to_string(prefix));
  }
  freeifaddrs(list);
  return devices;
}

json clocks() {
  auto seconds = [](clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<long long>(ts.tv_sec);
  };
  return {{"monotonic", seconds(CLOCK_MONOTONIC)},
          {"boottime", seconds(CLOCK_BOOTTIME)},
          {"timens_offsets", read_file("/proc/self/timens_offsets")}};
}

int eat_memory(long mib) {
  std::vector<char*> chunks;
  for (long i = 0; i < mib; ++i) {
    char* chunk = static_cast<char*>(malloc(1 << 20));
    if (!chunk) return 12;
    memset(chunk, static_cast<int>(i), 1 << 20);
    chunks.push_back(chunk);
  }
  std::cout << "survived" << std::endl;
  return 0;
}

int report(int argc, char** argv) {
  std::vector<std::string> sysctls;
  std::vector<std::string> extra_cgroup_files;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--sysctl" && i + 1 < argc) sysctls.push_back(argv[++i]);
    if (arg == "--cgroup-file" && i + 1 < argc) extra_cgroup_files.push_back(argv[++i]);
  }
  json r = json::object();
  // Collect fds first so that nothing the probe opens itself shows up.
  r["fds"] = open_fds();
  r["pid"] = getpid();
  r["ppid"] = getppid();
  r["uid"] = getuid();
  r["euid"] = geteuid();
  r["gid"] = getgid();
  r["egid"] = getegid();
  {
    std::vector<gid_t> groups(static_cast<size_t>(std::max(getgroups(0, nullptr), 0)));
    int n = getgroups(static_cast<int>(groups.size()), groups.data());
    json list = json::array();
    for (int i = 0; i < n; ++i) list.push_back(groups[static_cast<size_t>(i)]);
    r["groups"] = list;
  }
  json status = proc_status();
  r["umask"] = status.value("Umask", "");
  r["no_new_privs"] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  r["seccomp"] = status.contains("Seccomp") ? std::stoi(status["Seccomp"].get<std::string>()) : -1;
  json caps = json::object();
  for (auto [key, field] : {std::pair{"bounding", "CapBnd"}, std::pair{"effective", "CapEff"},
                            std::pair{"inheritable", "CapInh"}, std::pair{"permitted", "CapPrm"},
                            std::pair{"ambient", "CapAmb"}}) {
    caps[key] = cap_names(status.value(field, "0"));
  }
  r["capabilities"] = caps;
  r["namespaces"] = namespaces();
  char cwd[4096] = {0};
  r["cwd"] = getcwd(cwd, sizeof(cwd)) ? std::string(cwd) : std::string();
  json env = json::array();
  for (char** e = environ; e && *e; ++e) env.push_back(*e);
  r["env"] = env;
  struct utsname uts {};
  uname(&uts);
  r["hostname"] = uts.nodename;
  r["domainname"] = uts.domainname;
  r["rlimits"] = rlimits();
  r["oom_score_adj"] = std::stoi("0" + trim(read_file("/proc/self/oom_score_adj")));
  r["mounts"] = mounts();
  json devices = json::object(), symlinks = json::object(), others = json::object();
  walk_dev("/dev", 0, devices, symlinks, others);
  r["devices"] = devices;
  r["dev_symlinks"] = symlinks;
  r["dev_other"] = others;
  r["cgroup"] = cgroup_membership();
  r["cgroup_files"] = cgroup_files(extra_cgroup_files);
  json sysctl_values = json::object();
  for (const auto& name : sysctls) {
    bool ok = false;
    std::string value = read_file(sysctl_path(name), &ok);
    sysctl_values[name] = ok ? json(trim(value)) : json(nullptr);
  }
  r["sysctl"] = sysctl_values;
  r["stdio"] = stdio_info();
  r["personality"] = personality(0xffffffff);
  r["selinux_label"] = trim(read_file("/proc/self/attr/current"));
  r["net_devices"] = net_devices();
  r["clocks"] = clocks();
  std::cout << r.dump() << std::endl;
  return 0;
}

int write_path(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  ssize_t n = write(fd, text.data(), text.size());
  int err = n < 0 ? errno : 0;
  if (close(fd) != 0 && err == 0) err = errno;
  return err;
}

int append_line(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  std::string line = text + "\n";
  ssize_t n = write(fd, line.data(), line.size());
  int err = n < 0 ? errno : 0;
  close(fd);
  return err;
}

volatile sig_atomic_t g_signal = 0;
void record_signal(int sig) { g_signal = sig; }

int wait_signal(const std::string& file) {
  struct sigaction sa {};
  sa.sa_handler = record_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &sa, nullptr);
  }
  // Tell the test the handlers are in place.
  append_line(file + ".ready", std::to_string(getpid()));
  while (g_signal == 0) pause();
  append_line(file, std::to_string(g_signal));
  return 0;
}

int hook(const std::string& file, const std::string& name) {
  std::ostringstream input;
  input << std::cin.rdbuf();
  json state;
  try {
    state = json::parse(input.str());
  } catch (const std::exception&) {
    state = input.str();
  }
  json line = {{"hook", name}, {"pid", getpid()}, {"state", state}, {"cwd", ""}};
  char cwd[4096] = {0};
  if (getcwd(cwd, sizeof(cwd))) line["cwd"] = cwd;
  line["mnt_ns"] = read_link("/proc/self/ns/mnt");
  json env = json::array();
  for (char** e = environ; e && *e; ++e) env.push_back(*e);
  line["env"] = env;
  return append_line(file, line.dump());
}

// UDP for the network tests (busybox's nc has no -u): a server that answers each datagram with
// "echo:" + its text (until `count` were answered), and a client that resolves a name the way
// programs do (getaddrinfo: /etc/hosts), sends one datagram and prints the answer.
int udp_echo(int port, int count) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    perror("udp-echo bind");
    return 1;
  }
  for (int i = 0; i < count; ++i) {
    char buffer[512];
    sockaddr_storage from{};
    socklen_t length = sizeof(from);
    ssize_t n =
        recvfrom(fd, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &length);
    if (n < 0) return 1;
    std::string reply = "echo:" + std::string(buffer, static_cast<size_t>(n));
    sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), length);
  }
  return 0;
}

int udp_ask(const std::string& host, const std::string& port, const std::string& message) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    std::cerr << "udp-ask: resolve " << host << ": " << gai_strerror(rc) << "\n";
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval timeout{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  // A few tries: the server may still be starting.
  for (int attempt = 0; attempt < 10; ++attempt) {
    sendto(fd, message.data(), message.size(), 0, found->ai_addr, found->ai_addrlen);
    char buffer[512];
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n > 0) {
      std::cout << std::string(buffer, static_cast<size_t>(n)) << std::endl;
      freeaddrinfo(found);
      return 0;
    }
  }
  freeaddrinfo(found);
  std::cerr << "udp-ask: no answer from " << host << ":" << port << "\n";
  return 1;
}

int usage() {
  std::cerr << "usage: probe report|exit|sleep|echo|cat|write|read|syscall|kill-self|wait-signal|"
               "append|hook|stat|fds|udp-echo|udp-ask|eat-memory ...\n";
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string cmd = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "report") return report(argc - 2, argv + 2);
  if (cmd == "exit" && args.size() == 1) return std::atoi(args[0].c_str());
  if (cmd == "sleep" && args.size() == 1) {
    double seconds = std::atof(args[0].c_str());
    struct timespec ts {};
    ts.tv_sec = static_cast<time_t>(seconds);
    ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    return 0;
  }
  if (cmd == "echo") {
    std::string line;
    for (size_t i = 0; i < args.size(); ++i) line += (i ? " " : "") + args[i];
    std::cout << line << std::endl;
    return 0;
  }
  if (cmd == "cat" && args.size() == 1) {
    bool ok = false;
    std::string content = read_file(args[0], &ok);
    if (!ok) return errno ? errno : 1;
    std::cout << content << std::flush;
    return 0;
  }
  if (cmd == "write" && !args.empty()) return write_path(args[0], args.size() > 1 ? args[1] : "x");
  if (cmd == "read" && args.size() == 1) {
    int fd = open(args[0].c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    char buf[64];
    ssize_t n = read(fd, buf, sizeof(buf));
    int err = n < 0 ? errno : 0;
    close(fd);
    return err;
  }
  if (cmd == "syscall" && args.size() == 2 && args[0] == "mkdir") {
    int rc = mkdir(args[1].c_str(), 0755);
    int err = rc == 0 ? 0 : errno;
    std::cout << json{{"errno", err}, {"error", err ? strerror(err) : ""}}.dump() << std::endl;
    return 0;
  }
  if (cmd == "kill-self" && args.size() == 1) {
    int sig = std::atoi(args[0].c_str());
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, nullptr);
    // PID 1 of a pid namespace ignores signals it sends itself unless a handler exists,
    // so fall back to the conventional 128+N exit status when raise() returns.
    raise(sig);
    return 128 + sig;
  }
  if (cmd == "wait-signal" && args.size() == 1) return wait_signal(args[0]);
  if (cmd == "append" && args.size() == 2) return append_line(args[0], args[1]);
  if (cmd == "hook" && args.size() == 2) return hook(args[0], args[1]);
  if (cmd == "stat" && args.size() == 1) {
    struct stat st {};
    if (lstat(args[0].c_str(), &st) != 0) {
      std::cout << json{{"errno", errno}}.dump() << std::endl;
      return 1;
    }
    std::cout << json{{"mode", st.st_mode & 07777},
                      {"uid", st.st_uid},
                      {"gid", st.st_gid},
                      {"dir", S_ISDIR(st.st_mode)},
                      {"errno", 0}}
                     .dump()
              << std::endl;
    return 0;
  }
  if (cmd == "udp-echo" && args.size() == 2)
    return udp_echo(std::atoi(args[0].c_str()), std::atoi(args[1].c_str()));
  if (cmd == "udp-ask" && args.size() == 3) return udp_ask(args[0], args[1], args[2]);
  if (cmd == "eat-memory" && args.size() == 1) return eat_memory(std::atol(args[0].c_str()));
  if (cmd == "fds") {
    std::cout << open_fds().dump() << std::endl;
    return 0;
  }
  return usage();
}
