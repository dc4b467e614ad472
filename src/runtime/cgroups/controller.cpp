#include "runtime/cgroups/controller.h"

#include <dirent.h>

#include <algorithm>

#include "runtime/cgroups/fs.h"

namespace krill::cgroups {

const char* to_string(Section section) {
  switch (section) {
    case Section::kMemory:
      return "memory";
    case Section::kCpu:
      return "cpu";
    case Section::kCpuset:
      return "cpu.cpus/cpu.mems";
    case Section::kPids:
      return "pids";
    case Section::kBlockIo:
      return "blockIO";
    case Section::kHugepageLimits:
      return "hugepageLimits";
    case Section::kNetworkClassId:
      return "network.classID";
    case Section::kNetworkPriorities:
      return "network.priorities";
    case Section::kRdma:
      return "rdma";
    case Section::kDevices:
      return "devices";
    case Section::kUnified:
      return "unified";
    case Section::kNone:
      return "none";
  }
  return "unknown";
}

std::vector<Section> requested_sections(const oci::Resources& r) {
  std::vector<Section> sections;
  if (r.memory) {
    const auto& m = *r.memory;
    if (m.limit || m.reservation || m.swap || m.kernel || m.kernel_tcp || m.swappiness ||
        m.disable_oom_killer || m.use_hierarchy || m.check_before_update)
      sections.push_back(Section::kMemory);
  }
  if (r.cpu) {
    const auto& c = *r.cpu;
    if (c.shares || c.quota || c.burst || c.period || c.realtime_runtime || c.realtime_period ||
        c.idle)
      sections.push_back(Section::kCpu);
    if (!c.cpus.empty() || !c.mems.empty()) sections.push_back(Section::kCpuset);
  }
  if (r.pids) sections.push_back(Section::kPids);
  if (r.block_io) {
    const auto& b = *r.block_io;
    if (b.weight || b.leaf_weight || !b.weight_device.empty() ||
        !b.throttle_read_bps_device.empty() || !b.throttle_write_bps_device.empty() ||
        !b.throttle_read_iops_device.empty() || !b.throttle_write_iops_device.empty())
      sections.push_back(Section::kBlockIo);
  }
  if (!r.hugepage_limits.empty()) sections.push_back(Section::kHugepageLimits);
  if (r.network) {
    if (r.network->class_id) sections.push_back(Section::kNetworkClassId);
    if (!r.network->priorities.empty()) sections.push_back(Section::kNetworkPriorities);
  }
  if (!r.rdma.empty()) sections.push_back(Section::kRdma);
  if (!r.devices.empty()) sections.push_back(Section::kDevices);
  if (!r.unified.empty()) sections.push_back(Section::kUnified);
  return sections;
}

bool Controller::applies(const oci::Resources& resources) const {
  auto sections = requested_sections(resources);
  return std::find(sections.begin(), sections.end(), section()) != sections.end();
}

Result<void> Controller::stats(const std::string&, Stats&) const { return {}; }

Result<void> write_optional_file(const std::string& dir, const std::string& name,
                                 const std::string& value) {
  if (!path_exists(join_path(dir, name))) return {};
  return write_file(dir, name, value);
}

Result<void> write_required_file(const std::string& dir, const std::string& name,
                                 const std::string& value, const std::string& setting) {
  if (!path_exists(join_path(dir, name)))
    return fail(setting + " is not supported on this host: " + join_path(dir, name) +
                " does not exist");
  return write_file(dir, name, value);
}

std::vector<std::string> hugepage_sizes_in(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> sizes;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return sizes;
  const std::string prefix = "hugetlb.";
  const std::string tail = "." + suffix;
  while (dirent* entry = ::readdir(d)) {
    std::string file = entry->d_name;
    if (!file.starts_with(prefix) || !file.ends_with(tail)) continue;
    if (file.size() <= prefix.size() + tail.size()) continue;
    std::string size = file.substr(prefix.size(), file.size() - prefix.size() - tail.size());
    if (size.find('.') == std::string::npos) sizes.push_back(size);
  }
  ::closedir(d);
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

Result<void> apply_hugepage_limits(const std::string& dir, const oci::Resources& resources,
                                   const std::string& suffix) {
  for (const auto& h : resources.hugepage_limits) {
    const std::string file = "hugetlb." + h.page_size + "." + suffix;
    if (h.page_size.empty() || h.page_size.find('/') != std::string::npos ||
        !path_exists(join_path(dir, file)))
      return fail("hugepageLimits: page size \"" + h.page_size +
                  "\" is not supported on this host (no " + join_path(dir, file) + ")");
    KRILL_CHECK(write_file(dir, file, std::to_string(h.limit)));
    KRILL_CHECK(write_optional_file(dir, "hugetlb." + h.page_size + ".rsvd." + suffix,
                                    std::to_string(h.limit)));
  }
  return {};
}

}  // namespace krill::cgroups
