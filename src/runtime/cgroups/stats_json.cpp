#include <string>

#include "runtime/cgroups/stats.h"

namespace krill::cgroups {

namespace {

// Builds one JSON object, dropping fields the way Go's `omitempty` does.
class ObjectWriter {
 public:
  void number(const char* key, uint64_t value, bool omit_empty = false) {
    if (omit_empty && value == 0) return;
    raw(key, std::to_string(value));
  }
  void signed_number(const char* key, int64_t value) { raw(key, std::to_string(value)); }
  void string(const char* key, const std::string& value, bool omit_empty = false) {
    if (omit_empty && value.empty()) return;
    raw(key, quote(value));
  }
  template <typename T>
  void numbers(const char* key, const std::vector<T>& values) {  // always omitempty
    if (values.empty()) return;
    std::string text = "[";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) text += ',';
      text += std::to_string(values[i]);
    }
    raw(key, text + "]");
  }
  void raw(const char* key, const std::string& json) {
    if (!body_.empty()) body_ += ',';
    body_ += quote(key) + ":" + json;
  }
  std::string done() const { return "{" + body_ + "}"; }

  static std::string quote(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          if (c < 0x20) {
            static const char* hex = "0123456789abcdef";
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    return out + "\"";
  }

 private:
  std::string body_;
};

std::string memory_entry_json(const MemoryEntry& e) {
  ObjectWriter w;
  w.number("limit", e.limit);
  w.number("usage", e.usage, true);
  w.number("max", e.max, true);
  w.number("failcnt", e.failcnt);
  return w.done();
}

std::string blkio_entries_json(const std::vector<BlkioEntry>& entries) {
  std::string text = "[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) text += ',';
    ObjectWriter w;
    w.number("major", entries[i].major, true);
    w.number("minor", entries[i].minor, true);
    w.string("op", entries[i].op, true);
    w.number("value", entries[i].value, true);
    text += w.done();
  }
  return text + "]";
}

std::string cpu_json(const CpuStats& cpu) {
  ObjectWriter usage;
  usage.number("total", cpu.usage.total, true);
  usage.numbers("percpu", cpu.usage.percpu);
  usage.numbers("percpu_kernel", cpu.usage.percpu_kernel);
  usage.numbers("percpu_user", cpu.usage.percpu_user);
  usage.number("kernel", cpu.usage.kernel);
  usage.number("user", cpu.usage.user);
  ObjectWriter throttling;
  throttling.number("periods", cpu.throttling.periods, true);
  throttling.number("throttledPeriods", cpu.throttling.throttled_periods, true);
  throttling.number("throttledTime", cpu.throttling.throttled_time, true);
  ObjectWriter w;
  w.raw("usage", usage.done());
  w.raw("throttling", throttling.done());
  return w.done();
}

std::string cpuset_json(const CpusetStats& s) {
  ObjectWriter w;
  w.numbers("cpus", s.cpus);
  w.number("cpu_exclusive", s.cpu_exclusive);
  w.numbers("mems", s.mems);
  w.number("mem_hardwall", s.mem_hardwall);
  w.number("mem_exclusive", s.mem_exclusive);
  w.number("memory_migrate", s.memory_migrate);
  w.number("memory_spread_page", s.memory_spread_page);
  w.number("memory_spread_slab", s.memory_spread_slab);
  w.number("memory_pressure", s.memory_pressure);
  w.number("sched_load_balance", s.sched_load_balance);
  w.signed_number("sched_relax_domain_level", s.sched_relax_domain_level);
  return w.done();
}

std::string memory_json(const MemoryStats& m) {
  ObjectWriter w;
  w.number("cache", m.cache, true);
  w.raw("usage", memory_entry_json(m.usage));
  w.raw("swap", memory_entry_json(m.swap));
  w.raw("kernel", memory_entry_json(m.kernel));
  w.raw("kernelTCP", memory_entry_json(m.kernel_tcp));
  if (!m.raw.empty()) {
    ObjectWriter raw;  // std::map iterates in key order, as Go sorts map keys
    for (const auto& [key, value] : m.raw) raw.raw(key.c_str(), std::to_string(value));
    w.raw("raw", raw.done());
  }
  return w.done();
}

std::string blkio_json(const BlkioStats& b) {
  ObjectWriter w;
  auto add = [&](const char* key, const std::vector<BlkioEntry>& entries) {
    if (!entries.empty()) w.raw(key, blkio_entries_json(entries));
  };
  add("ioServiceBytesRecursive", b.io_service_bytes_recursive);
  add("ioServicedRecursive", b.io_serviced_recursive);
  add("ioQueueRecursive", b.io_queued_recursive);
  add("ioServiceTimeRecursive", b.io_service_time_recursive);
  add("ioWaitTimeRecursive", b.io_wait_time_recursive);
  add("ioMergedRecursive", b.io_merged_recursive);
  add("ioTimeRecursive", b.io_time_recursive);
  add("sectorsRecursive", b.sectors_recursive);
  return w.done();
}

}  // namespace

std::string stats_to_json(const Stats& stats) {
  ObjectWriter w;
  w.raw("cpu", cpu_json(stats.cpu));
  w.raw("cpuset", cpuset_json(stats.cpuset));
  w.raw("memory", memory_json(stats.memory));
  ObjectWriter pids;
  pids.number("current", stats.pids.current, true);
  pids.number("limit", stats.pids.limit, true);
  w.raw("pids", pids.done());
  w.raw("blkio", blkio_json(stats.blkio));
  ObjectWriter hugetlb;
  for (const auto& [size, h] : stats.hugetlb) {
    ObjectWriter entry;
    entry.number("usage", h.usage, true);
    entry.number("max", h.max, true);
    entry.number("failcnt", h.failcnt);
    hugetlb.raw(size.c_str(), entry.done());
  }
  w.raw("hugetlb", hugetlb.done());
  w.raw("intel_rdt", "{}");
  w.raw("network_interfaces", "null");
  return w.done();
}

}  // namespace krill::cgroups
