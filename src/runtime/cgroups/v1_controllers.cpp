// cgroup v1 controllers: one directory per hierarchy, v1 file names.
#include <unistd.h>

#include <cerrno>
#include <limits>

#include "runtime/cgroups/controller.h"
#include "runtime/cgroups/conversions.h"
#include "runtime/cgroups/devices.h"
#include "runtime/cgroups/fs.h"

namespace krill::cgroups {

namespace {

std::string device_number(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

// Reads a file into `out` when it exists.
Result<void> read_into(const std::string& dir, const std::string& name, uint64_t& out) {
  if (!path_exists(join_path(dir, name))) return {};
  out = KRILL_TRY(read_u64(dir, name));
  return {};
}

Result<std::vector<uint64_t>> read_u64_list(const std::string& dir, const std::string& name) {
  std::vector<uint64_t> values;
  if (!path_exists(join_path(dir, name))) return values;
  for (const auto& word : split_whitespace(KRILL_TRY(read_file(dir, name)))) {
    auto value = parse_u64(word);
    if (!value) return fail("parse " + join_path(dir, name) + ": not a number: \"" + word + "\"");
    values.push_back(*value);
  }
  return values;
}

// ---- memory ----

class V1Memory final : public Controller {
 public:
  const char* name() const override { return "memory"; }
  bool v2() const override { return false; }
  Section section() const override { return Section::kMemory; }

  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    const auto& m = *r.memory;
    int64_t limit = m.limit.value_or(0);
    int64_t swap = m.swap.value_or(0);
    bool swap_requested = m.swap.has_value() && *m.swap != 0;
    // An unlimited memory limit with no swap setting means both unlimited.
    if (limit == -1 && swap == 0) swap = -1;
    const std::string memsw = "memory.memsw.limit_in_bytes";
    bool have_memsw = path_exists(join_path(dir, memsw));
    if (swap_requested && !have_memsw)
      return fail("memory.swap is not supported on this host (swap accounting is off): " +
                  join_path(dir, memsw) + " does not exist");
    if (swap != 0 && !have_memsw) swap = 0;  // derived "unlimited" swap: nothing to do
    if (limit != 0 && swap != 0) {
      // memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes:
      // raise memsw first when the limit grows.
      uint64_t current_memsw = KRILL_TRY(read_u64(dir, memsw));
      if (limit == -1 || current_memsw < static_cast<uint64_t>(limit)) {
        KRILL_CHECK(write_file(dir, memsw, std::to_string(swap)));
        KRILL_CHECK(write_file(dir, "memory.limit_in_bytes", std::to_string(limit)));
      } else {
        KRILL_CHECK(write_file(dir, "memory.limit_in_bytes", std::to_string(limit)));
        KRILL_CHECK(write_file(dir, memsw, std::to_string(swap)));
      }
    } else if (limit != 0) {
      KRILL_CHECK(write_file(dir, "memory.limit_in_bytes", std::to_string(limit)));
    } else if (swap != 0) {
      KRILL_CHECK(write_file(dir, memsw, std::to_string(swap)));
    }
    if (m.reservation)
      KRILL_CHECK(write_file(dir, "memory.soft_limit_in_bytes", std::to_string(*m.reservation)));
    // Kernel memory limits are deprecated; like runc, skip them where the kernel
    // no longer has the files or refuses them.
    if (m.kernel) KRILL_CHECK(write_deprecated(dir, "memory.kmem.limit_in_bytes", *m.kernel));
    if (m.kernel_tcp)
      KRILL_CHECK(write_deprecated(dir, "memory.kmem.tcp.limit_in_bytes", *m.kernel_tcp));
    if (m.swappiness) {
      if (*m.swappiness > 100)
        return fail("memory.swappiness " + std::to_string(*m.swappiness) +
                    ": must be between 0 and 100");
      KRILL_CHECK(write_file(dir, "memory.swappiness", std::to_string(*m.swappiness)));
    }
    if (m.disable_oom_killer)
      KRILL_CHECK(write_file(dir, "memory.oom_control", *m.disable_oom_killer ? "1" : "0"));
    if (m.use_hierarchy)
      KRILL_CHECK(write_required_file(dir, "memory.use_hierarchy", *m.use_hierarchy ? "1" : "0",
                                      "memory.useHierarchy"));
    // checkBeforeUpdate: the v1 kernel itself refuses a limit below the usage.
    return {};
  }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    auto& out = stats.memory;
    if (path_exists(join_path(dir, "memory.stat")))
      out.raw = KRILL_TRY(read_keyed(dir, "memory.stat"));
    if (auto it = out.raw.find("cache"); it != out.raw.end()) out.cache = it->second;
    KRILL_CHECK(entry(dir, "memory", out.usage));
    KRILL_CHECK(entry(dir, "memory.memsw", out.swap));
    KRILL_CHECK(entry(dir, "memory.kmem", out.kernel));
    KRILL_CHECK(entry(dir, "memory.kmem.tcp", out.kernel_tcp));
    return {};
  }

 private:
  static Result<void> write_deprecated(const std::string& dir, const std::string& file,
                                       int64_t value) {
    if (!path_exists(join_path(dir, file))) return {};
    auto written = write_file(dir, file, std::to_string(value));
    if (!written &&
        (written.error().errno_value() == EOPNOTSUPP || written.error().errno_value() == ENOTSUP))
      return {};
    return written;
  }

  static Result<void> entry(const std::string& dir, const std::string& prefix, MemoryEntry& e) {
    KRILL_CHECK(read_into(dir, prefix + ".usage_in_bytes", e.usage));
    KRILL_CHECK(read_into(dir, prefix + ".max_usage_in_bytes", e.max));
    KRILL_CHECK(read_into(dir, prefix + ".failcnt", e.failcnt));
    KRILL_CHECK(read_into(dir, prefix + ".limit_in_bytes", e.limit));
    return {};
  }
};

// ---- cpu ----

class V1Cpu final : public Controller {
 public:
  const char* name() const override { return "cpu"; }
  bool v2() const override { return false; }
  Section section() const override { return Section::kCpu; }

  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    const auto& c = *r.cpu;
    if (c.shares && *c.shares != 0) {
      KRILL_CHECK(write_file(dir, "cpu.shares", std::to_string(*c.shares)));
      uint64_t actual = KRILL_TRY(read_u64(dir, "cpu.shares"));
      if (actual != *c.shares)
        return fail("cpu.shares " + std::to_string(*c.shares) + ": the kernel set " +
                    std::to_string(actual) + " instead (allowed range is 2-262144)");
    }
    std::optional<std::string> quota, period;
    if (c.quota && *c.quota != 0) quota = std::to_string(*c.quota);
    if (c.period && *c.period != 0) period = std::to_string(*c.period);
    KRILL_CHECK(write_pair(dir, "cpu.cfs_period_us", period, "cpu.cfs_quota_us", quota));
    if (c.burst)
      KRILL_CHECK(
          write_required_file(dir, "cpu.cfs_burst_us", std::to_string(*c.burst), "cpu.burst"));
    std::optional<std::string> rt_period, rt_runtime;
    if (c.realtime_period && *c.realtime_period != 0)
      rt_period = std::to_string(*c.realtime_period);
    if (c.realtime_runtime && *c.realtime_runtime != 0)
      rt_runtime = std::to_string(*c.realtime_runtime);
    KRILL_CHECK(write_pair(dir, "cpu.rt_period_us", rt_period, "cpu.rt_runtime_us", rt_runtime));
    if (c.idle)
      KRILL_CHECK(write_required_file(dir, "cpu.idle", std::to_string(*c.idle), "cpu.idle"));
    return {};
  }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    if (!path_exists(join_path(dir, "cpu.stat"))) return {};
    auto values = KRILL_TRY(read_keyed(dir, "cpu.stat"));
    stats.cpu.throttling.periods = values["nr_periods"];
    stats.cpu.throttling.throttled_periods = values["nr_throttled"];
    stats.cpu.throttling.throttled_time = values["throttled_time"];
    return {};
  }

 private:
  // The period is written first; if the kernel refuses it against the current
  // runtime/quota (EINVAL), the runtime/quota goes first instead.
  static Result<void> write_pair(const std::string& dir, const std::string& period_file,
                                 const std::optional<std::string>& period,
                                 const std::string& runtime_file,
                                 const std::optional<std::string>& runtime) {
    if (period) {
      auto written = write_file(dir, period_file, *period);
      if (!written) {
        if (!runtime || written.error().errno_value() != EINVAL) return written;
        KRILL_CHECK(write_file(dir, runtime_file, *runtime));
        return write_file(dir, period_file, *period);
      }
    }
    if (runtime) KRILL_CHECK(write_file(dir, runtime_file, *runtime));
    return {};
  }
};

class V1Cpuacct final : public Controller {
 public:
  const char* name() const override { return "cpuacct"; }
  bool v2() const override { return false; }
  Section section() const override { return Section::kNone; }
  Result<void> apply(const std::string&, const oci::Resources&) const override { return {}; }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    auto& usage = stats.cpu.usage;
    KRILL_CHECK(read_into(dir, "cpuacct.usage", usage.total));
    usage.percpu = KRILL_TRY(read_u64_list(dir, "cpuacct.usage_percpu"));
    usage.percpu_kernel = KRILL_TRY(read_u64_list(dir, "cpuacct.usage_percpu_sys"));
    usage.percpu_user = KRILL_TRY(read_u64_list(dir, "cpuacct.usage_percpu_user"));
    if (path_exists(join_path(dir, "cpuacct.stat"))) {
      // user/system are in clock ticks.
      auto values = KRILL_TRY(read_keyed(dir, "cpuacct.stat"));
      long ticks = ::sysconf(_SC_CLK_TCK);
      uint64_t ns_per_tick = ticks > 0 ? 1000000000ULL / static_cast<uint64_t>(ticks) : 10000000;
      usage.user = values["user"] * ns_per_tick;
      usage.kernel = values["system"] * ns_per_tick;
    }
    return {};
  }
};

class V1Cpuset final : public Controller {
 public:
  const char* name() const override { return "cpuset"; }
  bool v2() const override { return false; }
  Section section() const override { return Section::kCpuset; }

  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    if (!r.cpu->mems.empty()) KRILL_CHECK(write_file(dir, "cpuset.mems", r.cpu->mems));
    if (!r.cpu->cpus.empty()) KRILL_CHECK(write_file(dir, "cpuset.cpus", r.cpu->cpus));
    return {};
  }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    auto& out = stats.cpuset;
    if (path_exists(join_path(dir, "cpuset.cpus")))
      out.cpus = KRILL_TRY(parse_cpu_list(KRILL_TRY(read_file(dir, "cpuset.cpus"))));
    if (path_exists(join_path(dir, "cpuset.mems")))
      out.mems = KRILL_TRY(parse_cpu_list(KRILL_TRY(read_file(dir, "cpuset.mems"))));
    KRILL_CHECK(read_into(dir, "cpuset.cpu_exclusive", out.cpu_exclusive));
    KRILL_CHECK(read_into(dir, "cpuset.mem_hardwall", out.mem_hardwall));
    KRILL_CHECK(read_into(dir, "cpuset.mem_exclusive", out.mem_exclusive));
    KRILL_CHECK(read_into(dir, "cpuset.memory_migrate", out.memory_migrate));
    KRILL_CHECK(read_into(dir, "cpuset.memory_spread_page", out.memory_spread_page));
    KRILL_CHECK(read_into(dir, "cpuset.memory_spread_slab", out.memory_spread_slab));
    KRILL_CHECK(read_into(dir, "cpuset.memory_pressure", out.memory_pressure));
    KRILL_CHECK(read_into(dir, "cpuset.sched_load_balance", out.sched_load_balance));
    if (path_exists(join_path(dir, "cpuset.sched_relax_domain_level"))) {
      auto text = KRILL_TRY(read_trimmed(dir, "cpuset.sched_relax_domain_level"));
      out.sched_relax_domain_level = parse_i64(text).value_or(0);
    }
    return {};
  }
};

// ---- pids ----

class V1Pids final : public Controller {
 public:
  const char* name() const override { return "pids"; }
  bool v2() const override { return false; }
  Section section() const override { return Section::kPids; }

  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    int64_t limit = r.pids->limit;
    return write_file(dir, "pids.max", limit > 0 ? std::to_string(limit) : "max");
  }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    KRILL_CHECK(read_into(dir, "pids.current", stats.pids.current));
    KRILL_CHECK(read_into(dir, "pids.max", stats.pids.limit));
    if (stats.pids.limit == std::numeric_limits<uint64_t>::max()) stats.pids.limit = 0;
    return {};
  }
};

// ---- blkio ----

Result<std::vector<BlkioEntry>> read_blkio_entries(const std::string& dir,
                                                   const std::string& name) {
  std::vector<BlkioEntry> entries;
  if (!path_exists(join_path(dir, name))) return entries;
  for (const auto& line : split(KRILL_TRY(read_file(dir, name)), '\n')) {
    auto words = split_whitespace(line);
    if (words.size() < 2) continue;
    auto device = split(words[0], ':');
    if (device.size() != 2) continue;  // "Total 123"
    BlkioEntry entry;
    entry.major = parse_u64(device[0]).value_or(0);
    entry.minor = parse_u64(device[1]).value_or(0);
    if (words.size() == 3) {
      entry.op = words[1];
      entry.value = parse_u64(words[2]).value_or(0);
    } else {
      entry.value = parse_u64(words[1]).value_or(0);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

class V1Blkio final : public Controller {
 public:
  const char* name() const override { return "blkio"; }
  bool v2() const override { return false; }
  Section section() const override { return Section::kBlockIo; }

  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    const auto& b = *r.block_io;
    // CFQ has blkio.weight; BFQ (newer kernels) has blkio.bfq.weight, same range.
    bool cfq = path_exists(join_path(dir, "blkio.weight"));
    std::string weight_file = cfq ? "blkio.weight" : "blkio.bfq.weight";
    std::string weight_device_file = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";
    if (b.weight)
      KRILL_CHECK(
          write_required_file(dir, weight_file, std::to_string(*b.weight), "blockIO.weight"));
    if (b.leaf_weight)
      KRILL_CHECK(write_required_file(dir, "blkio.leaf_weight", std::to_string(*b.leaf_weight),
                                      "blockIO.leafWeight"));
    for (const auto& d : b.weight_device) {
      if (d.weight)
        KRILL_CHECK(
            write_required_file(dir, weight_device_file,
                                device_number(d.major, d.minor) + " " + std::to_string(*d.weight),
                                "blockIO.weightDevice.weight"));
      if (d.leaf_weight)
        KRILL_CHECK(write_required_file(
            dir, "blkio.leaf_weight_device",
            device_number(d.major, d.minor) + " " + std::to_string(*d.leaf_weight),
            "blockIO.weightDevice.leafWeight"));
    }
    KRILL_CHECK(throttle(dir, "blkio.throttle.read_bps_device", b.throttle_read_bps_device));
    KRILL_CHECK(throttle(dir, "blkio.throttle.write_bps_device", b.throttle_write_bps_device));
    KRILL_CHECK(throttle(dir, "blkio.throttle.read_iops_device", b.throttle_read_iops_device));
    KRILL_CHECK(throttle(dir, "blkio.throttle.write_iops_device", b.throttle_write_iops_device));
    return {};
  }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    auto& out = stats.blkio;
    // CFQ statistics when the kernel has them, else BFQ, else throttling's.
    out.io_service_bytes_recursive =
        KRILL_TRY(read_blkio_entries(dir, "blkio.io_service_bytes_recursive"));
    if (!out.io_service_bytes_recursive.empty()) {
      out.io_serviced_recursive = KRILL_TRY(read_blkio_entries(dir, "blkio.io_serviced_recursive"));
      out.io_queued_recursive = KRILL_TRY(read_blkio_entries(dir, "blkio.io_queued_recursive"));
      out.io_service_time_recursive =
          KRILL_TRY(read_blkio_entries(dir, "blkio.io_service_time_recursive"));
      out.io_wait_time_recursive =
          KRILL_TRY(read_blkio_entries(dir, "blkio.io_wait_time_recursive"));
      out.io_merged_recursive = KRILL_TRY(read_blkio_entries(dir, "blkio.io_merged_recursive"));
      out.io_time_recursive = KRILL_TRY(read_blkio_entries(dir, "blkio.time_recursive"));
      out.sectors_recursive = KRILL_TRY(read_blkio_entries(dir, "blkio.sectors_recursive"));
      return {};
    }
    out.io_service_bytes_recursive =
        KRILL_TRY(read_blkio_entries(dir, "blkio.bfq.io_service_bytes_recursive"));
    if (!out.io_service_bytes_recursive.empty()) {
      out.io_serviced_recursive =
          KRILL_TRY(read_blkio_entries(dir, "blkio.bfq.io_serviced_recursive"));
      return {};
    }
    out.io_service_bytes_recursive =
        KRILL_TRY(read_blkio_entries(dir, "blkio.throttle.io_service_bytes_recursive"));
    out.io_serviced_recursive =
        KRILL_TRY(read_blkio_entries(dir, "blkio.throttle.io_serviced_recursive"));
    return {};
  }

 private:
  static Result<void> throttle(const std::string& dir, const std::string& file,
                               const std::vector<oci::BlockIoThrottleDevice>& devices) {
    for (const auto& d : devices)
      KRILL_CHECK(
          write_file(dir, file, device_number(d.major, d.minor) + " " + std::to_string(d.rate)));
    return {};
  }
};

// ---- hugetlb ----

class V1Hugetlb final : public Controller {
 public:
  const char* name() const override { return "hugetlb"; }
  bool v2() const override { return false; }
  Section section() const override { return Section::kHugepageLimits; }

  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    return apply_hugepage_limits(dir, r, "limit_in_bytes");
  }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    for (const auto& size : hugepage_sizes_in(dir, "limit_in_bytes")) {
      HugetlbStats& h = stats.hugetlb[size];
      KRILL_CHECK(read_into(dir, "hugetlb." + size + ".usage_in_bytes", h.usage));
      KRILL_CHECK(read_into(dir, "hugetlb." + size + ".max_usage_in_bytes", h.max));
      KRILL_CHECK(read_into(dir, "hugetlb." + size + ".failcnt", h.failcnt));
    }
    return {};
  }
};

// ---- net_cls, net_prio ----

class V1NetCls final : public Controller {
 public:
  const char* name() const override { return "net_cls"; }
  bool v2() const override { return false; }
  Section section() const override { return Section::kNetworkClassId; }
  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    return write_file(dir, "net_cls.classid", std::to_string(*r.network->class_id));
  }
};

class V1NetPrio final : public Controller {
 public:
  const char* name() const override { return "net_prio"; }
  bool v2() const override { return false; }
  Section section() const override { return Section::kNetworkPriorities; }
  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    for (const auto& p : r.network->priorities)
      KRILL_CHECK(write_file(dir, "net_prio.ifpriomap", p.name + " " + std::to_string(p.priority)));
    return {};
  }
};

// ---- devices ----

class V1Devices final : public Controller {
 public:
  const char* name() const override { return "devices"; }
  bool v2() const override { return false; }
  Section section() const override { return Section::kDevices; }
  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    auto rules = KRILL_TRY(to_device_rules(r.devices));
    for (const auto& write : device_rules_to_v1(rules))
      KRILL_CHECK(write_file(dir, write.file, write.line));
    return {};
  }
};

}  // namespace

// rdma has the same file in v1 and v2.
Result<void> apply_rdma(const std::string& dir, const oci::Resources& r) {
  for (const auto& [device, limit] : r.rdma) {
    if (!limit.hca_handles && !limit.hca_objects)
      return fail("rdma." + device + ": needs hcaHandles or hcaObjects");
    std::string line = device;
    if (limit.hca_handles) line += " hca_handle=" + std::to_string(*limit.hca_handles);
    if (limit.hca_objects) line += " hca_object=" + std::to_string(*limit.hca_objects);
    KRILL_CHECK(write_file(dir, "rdma.max", line));
  }
  return {};
}

namespace {

class V1Rdma final : public Controller {
 public:
  const char* name() const override { return "rdma"; }
  bool v2() const override { return false; }
  Section section() const override { return Section::kRdma; }
  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    return apply_rdma(dir, r);
  }
};

}  // namespace

std::vector<std::unique_ptr<Controller>> v1_controllers() {
  std::vector<std::unique_ptr<Controller>> list;
  list.push_back(std::make_unique<V1Memory>());
  list.push_back(std::make_unique<V1Cpu>());
  list.push_back(std::make_unique<V1Cpuacct>());
  list.push_back(std::make_unique<V1Cpuset>());
  list.push_back(std::make_unique<V1Pids>());
  list.push_back(std::make_unique<V1Blkio>());
  list.push_back(std::make_unique<V1Hugetlb>());
  list.push_back(std::make_unique<V1NetCls>());
  list.push_back(std::make_unique<V1NetPrio>());
  list.push_back(std::make_unique<V1Devices>());
  list.push_back(std::make_unique<V1Rdma>());
  return list;
}

}  // namespace krill::cgroups
