// Device access rules: validation, cgroup v1 devices.allow/deny lines, and the
// cgroup v2 eBPF (BPF_PROG_TYPE_CGROUP_DEVICE) program.
//
// Semantics (both versions): rules are applied in order and the LAST rule that
// matches an access decides it. A rule covering every device with every access
// ("a *:* rwm") resets the list and sets the default; when no such rule exists
// the default is deny. An allow rule matches a request only when it grants every
// requested access (r/w/m); a deny rule matches when it covers any of them.
#pragma once

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace krill::cgroups {

// A validated rule: type 'a', 'c' or 'b'; major/minor -1 for wildcard;
// access a bit set of kAccess*.
struct DeviceRule {
  bool allow = false;
  char type = 'a';
  int64_t major = -1;
  int64_t minor = -1;
  unsigned access = 0;

  bool is_full_wildcard() const;
};

inline constexpr unsigned kAccessMknod = BPF_DEVCG_ACC_MKNOD;  // 1
inline constexpr unsigned kAccessRead = BPF_DEVCG_ACC_READ;    // 2
inline constexpr unsigned kAccessWrite = BPF_DEVCG_ACC_WRITE;  // 4
inline constexpr unsigned kAccessAll = kAccessMknod | kAccessRead | kAccessWrite;

Result<DeviceRule> to_device_rule(const oci::DeviceCgroupRule& rule);
Result<std::vector<DeviceRule>> to_device_rules(const std::vector<oci::DeviceCgroupRule>& rules);

// The rules that still matter after the last full wildcard, and the default.
struct DevicePolicy {
  bool default_allow = false;
  std::vector<DeviceRule> rules;  // in order; none is a full wildcard
};
DevicePolicy to_device_policy(const std::vector<DeviceRule>& rules);

// "c 1:3 rw", "b *:* m", "a".
std::string device_rule_line(const DeviceRule& rule);

// cgroup v1 writes: {"devices.deny", "a"} first, then one write per rule to
// devices.allow or devices.deny, in rule order. A rule of type 'a' that is not a
// full wildcard is written as a 'c' and a 'b' line (the kernel reads "a" as
// "everything").
struct DeviceWrite {
  std::string file;
  std::string line;
};
std::vector<DeviceWrite> device_rules_to_v1(const std::vector<DeviceRule>& rules);

// The eBPF program: context struct bpf_cgroup_dev_ctx in R1, result in R0
// (1 allow, 0 deny).
std::vector<bpf_insn> device_filter_program(const DevicePolicy& policy);

// The default device allow list of runc (null, zero, full, random, urandom,
// tty, console, ptmx, pts, tun, ...) for runtimes that want to add it.
std::vector<oci::DeviceCgroupRule> default_allowed_device_rules();

}  // namespace krill::cgroups
