// Resource limits (--memory, --memory-swap, --cpus, --cpu-shares, --cpuset-cpus, --pids-limit),
// devices (--device, --privileged) and rlimits (--ulimit) with Docker's checks and defaults.
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "base/file_io.h"
#include "engine/spec_internal.h"

namespace krill::engine::spec_detail {

namespace {

constexpr int64_t kMinimumMemory = 6 * 1024 * 1024;  // Docker's linuxMinMemory
constexpr uint64_t kMinCpuShares = 2;
constexpr uint64_t kMaxCpuShares = 262144;
constexpr uint64_t kCpuPeriod = 100000;  // microseconds, the kernel's default CFS period

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// "0-3,5" -> {0,1,2,3,5}; false for a malformed list.
bool parse_cpu_list(const std::string& text, std::set<int>& cpus) {
  if (text.empty()) return false;
  size_t at = 0;
  while (at <= text.size()) {
    size_t comma = text.find(',', at);
    std::string part = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    size_t dash = part.find('-');
    auto number = [](const std::string& s, int& out) {
      if (s.empty() || s.size() > 6) return false;
      out = 0;
      for (char c : s) {
        if (c < '0' || c > '9') return false;
        out = out * 10 + (c - '0');
      }
      return true;
    };
    int first = 0, last = 0;
    if (dash == std::string::npos) {
      if (!number(part, first)) return false;
      last = first;
    } else if (!number(part.substr(0, dash), first) || !number(part.substr(dash + 1), last) ||
               last < first) {
      return false;
    }
    for (int cpu = first; cpu <= last; ++cpu) cpus.insert(cpu);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return true;
}

// Whether the memory cgroup can limit swap (cgroup v1 memsw files, v2 memory.swap.max).
bool swap_limit_supported() {
  struct stat st {};
  if (::stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", &st) == 0) return true;
  if (::stat("/sys/fs/cgroup/cgroup.controllers", &st) != 0) return false;  // v1, no memsw
  // cgroup v2: the root has no memory.* files; look at our own cgroup or a well-known child.
  std::string own;
  if (auto self = read_file("/proc/self/cgroup")) {
    size_t at = self->find("0::");
    if (at != std::string::npos) own = trim(self->substr(at + 3, self->find('\n', at) - at - 3));
  }
  for (const std::string& dir :
       {"/sys/fs/cgroup" + own, std::string("/sys/fs/cgroup/init.scope"),
        std::string("/sys/fs/cgroup/system.slice"), std::string("/sys/fs/cgroup/user.slice")})
    if (::stat((dir + "/memory.swap.max").c_str(), &st) == 0) return true;
  return false;
}

Result<void> add_device(const std::string& host_path, const std::string& container_path,
                        const std::string& permissions, const struct stat& st, DevicePlan& plan) {
  oci::Device device;
  device.type = S_ISCHR(st.st_mode) ? "c" : "b";
  device.path = container_path;
  device.major = major(st.st_rdev);
  device.minor = minor(st.st_rdev);
  device.file_mode = st.st_mode & 07777;
  device.uid = st.st_uid;
  device.gid = st.st_gid;
  (void)host_path;
  plan.rules.push_back(oci::DeviceCgroupRule{.allow = true,
                                             .type = device.type,
                                             .major = device.major,
                                             .minor = device.minor,
                                             .access = permissions});
  plan.devices.push_back(std::move(device));
  return {};
}

// Device nodes below `dir` (recursively), skipping what runc's HostDevices skips.
void collect_devices(const std::string& dir, std::vector<std::pair<std::string, struct stat>>& out,
                     int level = 0) {
  if (level > 8) return;
  DIR* handle = ::opendir(dir.c_str());
  if (!handle) return;
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(handle)) names.emplace_back(entry->d_name);
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      static const std::set<std::string> kSkip = {"pts",  "shm",         "fd",   "mqueue",
                                                  ".lxc", ".lxd-mounts", ".udev"};
      if (!kSkip.count(name)) collect_devices(path, out, level + 1);
      continue;
    }
    if (path == "/dev/console") continue;
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) out.emplace_back(path, st);
  }
}

}  // namespace

Result<DevicePlan> requested_devices(const std::vector<DeviceRequest>& requests) {
  DevicePlan plan;
  for (const auto& request : requests) {
    std::string flag = "--device " + request.host_path;
    struct stat st {};
    if (::stat(request.host_path.c_str(), &st) != 0) return fail(flag + ": no such device");
    std::string container_path =
        request.container_path.empty() ? request.host_path : request.container_path;
    std::string permissions = request.permissions.empty() ? "rwm" : request.permissions;
    if (S_ISDIR(st.st_mode)) {
      std::vector<std::pair<std::string, struct stat>> found;
      collect_devices(request.host_path, found);
      if (found.empty()) return fail(flag + ": no devices in this directory");
      for (const auto& [path, node] : found)
        KRILL_CHECK(add_device(path, container_path + path.substr(request.host_path.size()),
                               permissions, node, plan));
      continue;
    }
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) return fail(flag + ": not a device node");
    KRILL_CHECK(add_device(request.host_path, container_path, permissions, st, plan));
  }
  return plan;
}

std::vector<oci::Device> host_devices() {
  std::vector<std::pair<std::string, struct stat>> found;
  collect_devices("/dev", found);
  DevicePlan plan;
  for (const auto& [path, st] : found) (void)add_device(path, path, "rwm", st, plan);
  return plan.devices;
}

Result<oci::Resources> container_resources(const ResourceRequest& request,
                                           std::vector<std::string>& warnings) {
  oci::Resources resources;
  if (request.memory < 0) return fail("invalid memory limit: must not be negative");
  if (request.memory > 0 && request.memory < kMinimumMemory)
    return fail("minimum memory limit allowed is 6MB");
  if (request.memory_swap != 0 && request.memory_swap != -1 && request.memory_swap < 0)
    return fail("invalid memory-swap limit: must be -1 (unlimited) or a size");
  if (request.memory_swap != 0 && request.memory == 0)
    return fail("you should always set the memory limit when using the memory-swap limit");
  if (request.memory_swap > 0 && request.memory_swap < request.memory)
    return fail("minimum memory-swap limit should be larger than the memory limit");
  if (request.memory > 0) {
    oci::MemoryResources memory;
    memory.limit = request.memory;
    if (swap_limit_supported()) {
      // Docker: unset means as much swap as memory (memory + swap = twice the memory).
      memory.swap = request.memory_swap == 0 ? request.memory * 2 : request.memory_swap;
    } else if (request.memory_swap != 0) {
      warnings.push_back(
          "your kernel does not support swap limit capabilities or the cgroup is not mounted; "
          "memory limited without swap");
    }
    resources.memory = memory;
  }

  oci::CpuResources cpu;
  bool cpu_set = false;
  if (request.nano_cpus < 0) return fail("invalid --cpus: must not be negative");
  if (request.nano_cpus > 0) {
    long online = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (online < 1) online = 1;
    if (request.nano_cpus < 10000000 || request.nano_cpus > online * 1000000000LL)
      return fail("range of CPUs is from 0.01 to " + std::to_string(online) +
                  ".00, as there are only " + std::to_string(online) + " CPUs available");
    cpu.period = kCpuPeriod;
    cpu.quota = request.nano_cpus * static_cast<int64_t>(kCpuPeriod) / 1000000000LL;
    cpu_set = true;
  }
  if (request.cpu_shares != 0) {
    uint64_t shares = request.cpu_shares;
    if (shares < kMinCpuShares) {
      warnings.push_back("changing requested CPU shares of " + std::to_string(shares) +
                         " to the minimum allowed of " + std::to_string(kMinCpuShares));
      shares = kMinCpuShares;
    } else if (shares > kMaxCpuShares) {
      warnings.push_back("changing requested CPU shares of " + std::to_string(shares) +
                         " to the maximum allowed of " + std::to_string(kMaxCpuShares));
      shares = kMaxCpuShares;
    }
    cpu.shares = shares;
    cpu_set = true;
  }
  if (!request.cpuset_cpus.empty()) {
    std::set<int> wanted;
    if (!parse_cpu_list(request.cpuset_cpus, wanted))
      return fail("invalid value " + request.cpuset_cpus + " for cpuset cpus");
    if (auto online_text = read_file("/sys/devices/system/cpu/online")) {
      std::set<int> online;
      std::string available = trim(*online_text);
      if (parse_cpu_list(available, online))
        for (int cpu_number : wanted)
          if (!online.count(cpu_number))
            return fail("requested CPUs are not available - requested " + request.cpuset_cpus +
                        ", available: " + available);
    }
    cpu.cpus = request.cpuset_cpus;
    cpu_set = true;
  }
  if (cpu_set) resources.cpu = cpu;

  if (request.pids_limit != 0)
    resources.pids = oci::PidsResources{.limit = request.pids_limit < 0 ? -1 : request.pids_limit};
  return resources;
}

Result<std::vector<oci::Rlimit>> container_rlimits(const std::vector<UlimitRequest>& ulimits) {
  std::vector<oci::Rlimit> rlimits;
  // Docker's containers get 1048576 open files (dockerd's own limit). That is more than many
  // hosts allow (this one's hard limit can be 20000): like podman, stay within the caller's.
  uint64_t nofile = 1048576;
  struct rlimit current {};
  if (::getrlimit(RLIMIT_NOFILE, &current) == 0 && current.rlim_max != RLIM_INFINITY &&
      current.rlim_max < nofile)
    nofile = current.rlim_max;
  rlimits.push_back(oci::Rlimit{.type = "RLIMIT_NOFILE", .soft = nofile, .hard = nofile});
  for (const auto& ulimit : ulimits) {
    std::string type = "RLIMIT_" + ulimit.name;
    for (char& c : type)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (ulimit.soft > ulimit.hard)
      return fail("--ulimit " + ulimit.name + "=" + std::to_string(ulimit.soft) + ":" +
                  std::to_string(ulimit.hard) + ": soft limit exceeds the hard limit");
    oci::Rlimit limit{.type = type, .soft = ulimit.soft, .hard = ulimit.hard};
    auto same = std::find_if(rlimits.begin(), rlimits.end(),
                             [&](const oci::Rlimit& r) { return r.type == type; });
    if (same != rlimits.end())
      *same = limit;
    else
      rlimits.push_back(limit);
  }
  return rlimits;
}

}  // namespace krill::engine::spec_detail
