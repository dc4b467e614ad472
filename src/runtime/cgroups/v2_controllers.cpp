// cgroup v2 controllers: one unified directory, v2 file names and value
// conversions.
#include <limits>

#include "runtime/cgroups/controller.h"
#include "runtime/cgroups/conversions.h"
#include "runtime/cgroups/device_filter_bpf.h"
#include "runtime/cgroups/devices.h"
#include "runtime/cgroups/fs.h"

namespace krill::cgroups {

namespace {

constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

std::string device_number(int64_t major, int64_t minor) {
  return std::to_string(major) + ":" + std::to_string(minor);
}

Result<void> read_into(const std::string& dir, const std::string& name, uint64_t& out) {
  if (!path_exists(join_path(dir, name))) return {};
  out = KRILL_TRY(read_u64(dir, name));
  return {};
}

Result<std::map<std::string, uint64_t>> keyed_if_exists(const std::string& dir,
                                                        const std::string& name) {
  if (!path_exists(join_path(dir, name))) return std::map<std::string, uint64_t>{};
  return read_keyed(dir, name);
}

// ---- memory ----

class V2Memory final : public Controller {
 public:
  const char* name() const override { return "memory"; }
  bool v2() const override { return true; }
  Section section() const override { return Section::kMemory; }

  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    const auto& m = *r.memory;
    if (m.swappiness) return fail("memory.swappiness is not supported on cgroup v2");
    if (m.disable_oom_killer && *m.disable_oom_killer)
      return fail("memory.disableOOMKiller is not supported on cgroup v2");
    if (m.use_hierarchy && !*m.use_hierarchy)
      return fail("memory.useHierarchy=false is not supported on cgroup v2 (always hierarchical)");
    // kernel and kernelTCP: no v2 equivalent; ignored like runc.
    int64_t limit = m.limit.value_or(0);
    if (m.check_before_update && *m.check_before_update && limit > 0) {
      uint64_t current = KRILL_TRY(read_u64(dir, "memory.current"));
      if (static_cast<uint64_t>(limit) < current)
        return fail("memory.limit " + std::to_string(limit) + " is below the current usage " +
                    std::to_string(current) + " (checkBeforeUpdate)");
    }
    auto swap = KRILL_TRY(swap_to_v2(m.swap, m.limit));
    if (swap) {
      bool swap_requested = m.swap && *m.swap != 0;
      if (swap_requested)
        KRILL_CHECK(write_required_file(dir, "memory.swap.max", *swap, "memory.swap"));
      else
        KRILL_CHECK(write_optional_file(dir, "memory.swap.max", *swap));
    }
    if (limit != 0) KRILL_CHECK(write_file(dir, "memory.max", memory_limit_to_v2(limit)));
    if (m.reservation)
      KRILL_CHECK(write_file(dir, "memory.low", memory_limit_to_v2(*m.reservation)));
    return {};
  }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    auto& out = stats.memory;
    out.raw = KRILL_TRY(keyed_if_exists(dir, "memory.stat"));
    if (auto it = out.raw.find("file"); it != out.raw.end()) out.cache = it->second;
    KRILL_CHECK(read_into(dir, "memory.current", out.usage.usage));
    KRILL_CHECK(read_into(dir, "memory.peak", out.usage.max));
    KRILL_CHECK(read_into(dir, "memory.max", out.usage.limit));
    auto events = KRILL_TRY(keyed_if_exists(dir, "memory.events"));
    out.usage.failcnt = events["max"];
    // v1 reports swap as memory+swap; do the same for compatibility.
    if (path_exists(join_path(dir, "memory.swap.current"))) {
      KRILL_CHECK(read_into(dir, "memory.swap.current", out.swap.usage));
      KRILL_CHECK(read_into(dir, "memory.swap.peak", out.swap.max));
      KRILL_CHECK(read_into(dir, "memory.swap.max", out.swap.limit));
      auto swap_events = KRILL_TRY(keyed_if_exists(dir, "memory.swap.events"));
      out.swap.failcnt = swap_events["max"];
      out.swap.usage += out.usage.usage;
      if (out.swap.limit != kUnlimited && out.usage.limit != kUnlimited)
        out.swap.limit += out.usage.limit;
      else
        out.swap.limit = kUnlimited;
    }
    return {};
  }
};

// ---- cpu ----

class V2Cpu final : public Controller {
 public:
  const char* name() const override { return "cpu"; }
  bool v2() const override { return true; }
  Section section() const override { return Section::kCpu; }

  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    const auto& c = *r.cpu;
    if ((c.realtime_runtime && *c.realtime_runtime != 0) ||
        (c.realtime_period && *c.realtime_period != 0))
      return fail("cpu.realtimeRuntime/cpu.realtimePeriod are not supported on cgroup v2");
    if (c.idle && *c.idle != 0) {
      KRILL_CHECK(write_required_file(dir, "cpu.idle", std::to_string(*c.idle), "cpu.idle"));
    } else {
      if (c.idle) KRILL_CHECK(write_optional_file(dir, "cpu.idle", "0"));
      if (c.shares && *c.shares != 0)
        KRILL_CHECK(write_file(dir, "cpu.weight", std::to_string(cpu_shares_to_weight(*c.shares))));
    }
    if (auto line = cpu_max_line(c.quota, c.period)) KRILL_CHECK(write_file(dir, "cpu.max", *line));
    if (c.burst)
      KRILL_CHECK(write_required_file(dir, "cpu.max.burst", std::to_string(*c.burst), "cpu.burst"));
    return {};
  }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    auto values = KRILL_TRY(keyed_if_exists(dir, "cpu.stat"));
    stats.cpu.usage.total = values["usage_usec"] * 1000;
    stats.cpu.usage.user = values["user_usec"] * 1000;
    stats.cpu.usage.kernel = values["system_usec"] * 1000;
    stats.cpu.throttling.periods = values["nr_periods"];
    stats.cpu.throttling.throttled_periods = values["nr_throttled"];
    stats.cpu.throttling.throttled_time = values["throttled_usec"] * 1000;
    return {};
  }
};

class V2Cpuset final : public Controller {
 public:
  const char* name() const override { return "cpuset"; }
  bool v2() const override { return true; }
  Section section() const override { return Section::kCpuset; }

  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    if (!r.cpu->cpus.empty()) KRILL_CHECK(write_file(dir, "cpuset.cpus", r.cpu->cpus));
    if (!r.cpu->mems.empty()) KRILL_CHECK(write_file(dir, "cpuset.mems", r.cpu->mems));
    return {};
  }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    for (auto [file, out] : {std::pair{"cpuset.cpus", &stats.cpuset.cpus},
                             std::pair{"cpuset.mems", &stats.cpuset.mems}}) {
      std::string text;
      if (path_exists(join_path(dir, file))) text = KRILL_TRY(read_trimmed(dir, file));
      if (text.empty() && path_exists(join_path(dir, std::string(file) + ".effective")))
        text = KRILL_TRY(read_trimmed(dir, std::string(file) + ".effective"));
      *out = KRILL_TRY(parse_cpu_list(text));
    }
    return {};
  }
};

// ---- pids ----

class V2Pids final : public Controller {
 public:
  const char* name() const override { return "pids"; }
  bool v2() const override { return true; }
  Section section() const override { return Section::kPids; }
  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    int64_t limit = r.pids->limit;
    return write_file(dir, "pids.max", limit > 0 ? std::to_string(limit) : "max");
  }
  Result<void> stats(const std::string& dir, Stats& stats) const override {
    KRILL_CHECK(read_into(dir, "pids.current", stats.pids.current));
    KRILL_CHECK(read_into(dir, "pids.max", stats.pids.limit));
    if (stats.pids.limit == kUnlimited) stats.pids.limit = 0;
    return {};
  }
};

// ---- io ----

class V2Io final : public Controller {
 public:
  const char* name() const override { return "io"; }
  bool v2() const override { return true; }
  Section section() const override { return Section::kBlockIo; }

  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    const auto& b = *r.block_io;
    if (b.leaf_weight) return fail("blockIO.leafWeight is not supported on cgroup v2");
    // BFQ takes blkio weights as they are; io.weight needs converting.
    bool bfq = path_exists(join_path(dir, "io.bfq.weight"));
    if (b.weight) {
      if (bfq)
        KRILL_CHECK(write_file(dir, "io.bfq.weight", std::to_string(*b.weight)));
      else
        KRILL_CHECK(write_required_file(
            dir, "io.weight", "default " + std::to_string(blkio_weight_to_io_weight(*b.weight)),
            "blockIO.weight"));
    }
    for (const auto& d : b.weight_device) {
      if (d.leaf_weight)
        return fail("blockIO.weightDevice.leafWeight is not supported on cgroup v2");
      if (!d.weight) continue;
      if (bfq)
        KRILL_CHECK(write_file(dir, "io.bfq.weight",
                               device_number(d.major, d.minor) + " " + std::to_string(*d.weight)));
      else
        KRILL_CHECK(write_required_file(dir, "io.weight",
                                        device_number(d.major, d.minor) + " " +
                                            std::to_string(blkio_weight_to_io_weight(*d.weight)),
                                        "blockIO.weightDevice"));
    }
    KRILL_CHECK(throttle(dir, "rbps", b.throttle_read_bps_device));
    KRILL_CHECK(throttle(dir, "wbps", b.throttle_write_bps_device));
    KRILL_CHECK(throttle(dir, "riops", b.throttle_read_iops_device));
    KRILL_CHECK(throttle(dir, "wiops", b.throttle_write_iops_device));
    return {};
  }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    if (!path_exists(join_path(dir, "io.stat"))) return {};
    for (const auto& line : split(KRILL_TRY(read_file(dir, "io.stat")), '\n')) {
      auto words = split_whitespace(line);
      if (words.empty()) continue;
      auto device = split(words[0], ':');
      if (device.size() != 2) continue;
      BlkioEntry base;
      base.major = parse_u64(device[0]).value_or(0);
      base.minor = parse_u64(device[1]).value_or(0);
      for (size_t i = 1; i < words.size(); ++i) {
        auto kv = split(words[i], '=');
        if (kv.size() != 2) continue;
        BlkioEntry entry = base;
        entry.value = parse_u64(kv[1]).value_or(0);
        if (kv[0] == "rbytes" || kv[0] == "wbytes") {
          entry.op = kv[0] == "rbytes" ? "Read" : "Write";
          stats.blkio.io_service_bytes_recursive.push_back(entry);
        } else if (kv[0] == "rios" || kv[0] == "wios") {
          entry.op = kv[0] == "rios" ? "Read" : "Write";
          stats.blkio.io_serviced_recursive.push_back(entry);
        }
      }
    }
    return {};
  }

 private:
  static Result<void> throttle(const std::string& dir, const std::string& key,
                               const std::vector<oci::BlockIoThrottleDevice>& devices) {
    for (const auto& d : devices)
      KRILL_CHECK(
          write_file(dir, "io.max",
                     device_number(d.major, d.minor) + " " + key + "=" + std::to_string(d.rate)));
    return {};
  }
};

// ---- hugetlb ----

class V2Hugetlb final : public Controller {
 public:
  const char* name() const override { return "hugetlb"; }
  bool v2() const override { return true; }
  Section section() const override { return Section::kHugepageLimits; }

  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    return apply_hugepage_limits(dir, r, "max");
  }

  Result<void> stats(const std::string& dir, Stats& stats) const override {
    for (const auto& size : hugepage_sizes_in(dir, "max")) {
      HugetlbStats& h = stats.hugetlb[size];
      KRILL_CHECK(read_into(dir, "hugetlb." + size + ".current", h.usage));
      auto events = KRILL_TRY(keyed_if_exists(dir, "hugetlb." + size + ".events"));
      h.failcnt = events["max"];
    }
    return {};
  }
};

class V2Rdma final : public Controller {
 public:
  const char* name() const override { return "rdma"; }
  bool v2() const override { return true; }
  Section section() const override { return Section::kRdma; }
  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    return apply_rdma(dir, r);
  }
};

// ---- devices: an eBPF program attached to the cgroup ----

class V2Devices final : public Controller {
 public:
  const char* name() const override { return "devices"; }
  bool v2() const override { return true; }
  Section section() const override { return Section::kDevices; }
  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    auto rules = KRILL_TRY(to_device_rules(r.devices));
    return replace_device_filter(dir, device_filter_program(to_device_policy(rules)));
  }
};

// ---- unified: raw key/value writes ----

class V2Unified final : public Controller {
 public:
  const char* name() const override { return "unified"; }
  bool v2() const override { return true; }
  Section section() const override { return Section::kUnified; }
  Result<void> apply(const std::string& dir, const oci::Resources& r) const override {
    for (const auto& [key, value] : r.unified) {
      if (key.empty() || key.find('/') != std::string::npos || key == "." || key == "..")
        return fail("unified." + key + ": not a cgroup file name");
      if (!path_exists(join_path(dir, key)))
        return fail("unified." + key + ": " + join_path(dir, key) +
                    " does not exist (unknown file, or its controller is not enabled)");
      KRILL_CHECK_CTX(write_file(dir, key, value), "unified." + key);
    }
    return {};
  }
};

}  // namespace

std::vector<std::unique_ptr<Controller>> v2_controllers() {
  std::vector<std::unique_ptr<Controller>> list;
  list.push_back(std::make_unique<V2Memory>());
  list.push_back(std::make_unique<V2Cpu>());
  list.push_back(std::make_unique<V2Cpuset>());
  list.push_back(std::make_unique<V2Pids>());
  list.push_back(std::make_unique<V2Io>());
  list.push_back(std::make_unique<V2Hugetlb>());
  list.push_back(std::make_unique<V2Rdma>());
  list.push_back(std::make_unique<V2Devices>());
  list.push_back(std::make_unique<V2Unified>());  // last: overrides the settings above
  return list;
}

}  // namespace krill::cgroups
