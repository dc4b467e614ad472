#include "runtime/cgroups/devices.h"

namespace krill::cgroups {

namespace {

std::string describe(const oci::DeviceCgroupRule& r) {
  std::string text = std::string(r.allow ? "allow " : "deny ") + (r.type.empty() ? "a" : r.type);
  text += " " + (r.major ? std::to_string(*r.major) : std::string("*"));
  text += ":" + (r.minor ? std::to_string(*r.minor) : std::string("*"));
  return text + " " + r.access;
}

std::string access_string(unsigned access) {
  std::string s;
  if (access & kAccessRead) s += 'r';
  if (access & kAccessWrite) s += 'w';
  if (access & kAccessMknod) s += 'm';
  return s;
}

// Instruction builders.
bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i{};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}
bpf_insn load_ctx_u32(uint8_t dst, int16_t offset) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_1, offset, 0);
}
bpf_insn alu32_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
}
bpf_insn mov32_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
}
bpf_insn mov64_imm(uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
}
bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm, int16_t off) {
  return insn(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}
bpf_insn jump_reg(uint8_t op, uint8_t dst, uint8_t src, int16_t off) {
  return insn(BPF_JMP | op | BPF_X, dst, src, off, 0);
}
bpf_insn exit_insn() { return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

}  // namespace

bool DeviceRule::is_full_wildcard() const {
  return type == 'a' && major < 0 && minor < 0 && access == kAccessAll;
}

Result<DeviceRule> to_device_rule(const oci::DeviceCgroupRule& r) {
  DeviceRule rule;
  rule.allow = r.allow;
  std::string type = r.type.empty() ? "a" : r.type;
  if (type == "a" || type == "c" || type == "b")
    rule.type = type[0];
  else if (type == "u")
    rule.type = 'c';  // unbuffered character device
  else
    return fail("device rule " + describe(r) + ": type must be a, c or b");
  rule.major = r.major && *r.major >= 0 ? *r.major : -1;
  rule.minor = r.minor && *r.minor >= 0 ? *r.minor : -1;
  if (rule.major > 0xffffffffLL || rule.minor > 0xffffffffLL)
    return fail("device rule " + describe(r) + ": major/minor out of range");
  if (r.access.empty()) rule.access = kAccessAll;
  for (char c : r.access) {
    switch (c) {
      case 'r':
        rule.access |= kAccessRead;
        break;
      case 'w':
        rule.access |= kAccessWrite;
        break;
      case 'm':
        rule.access |= kAccessMknod;
        break;
      default:
        return fail("device rule " + describe(r) + ": access must be a subset of \"rwm\"");
    }
  }
  return rule;
}

Result<std::vector<DeviceRule>> to_device_rules(const std::vector<oci::DeviceCgroupRule>& rules) {
  std::vector<DeviceRule> out;
  for (const auto& r : rules) out.push_back(KRILL_TRY(to_device_rule(r)));
  return out;
}

DevicePolicy to_device_policy(const std::vector<DeviceRule>& rules) {
  DevicePolicy policy;
  for (const auto& rule : rules) {
    if (rule.is_full_wildcard()) {
      policy.default_allow = rule.allow;
      policy.rules.clear();
    } else {
      policy.rules.push_back(rule);
    }
  }
  return policy;
}

std::string device_rule_line(const DeviceRule& rule) {
  if (rule.is_full_wildcard()) return "a";
  std::string line(1, rule.type);
  line += " " + (rule.major < 0 ? std::string("*") : std::to_string(rule.major));
  line += ":" + (rule.minor < 0 ? std::string("*") : std::to_string(rule.minor));
  return line + " " + access_string(rule.access);
}

std::vector<DeviceWrite> device_rules_to_v1(const std::vector<DeviceRule>& rules) {
  std::vector<DeviceWrite> writes = {{"devices.deny", "a"}};
  for (const auto& rule : rules) {
    std::string file = rule.allow ? "devices.allow" : "devices.deny";
    if (rule.type == 'a' && !rule.is_full_wildcard()) {
      DeviceRule c = rule, b = rule;
      c.type = 'c';
      b.type = 'b';
      writes.push_back({file, device_rule_line(c)});
      writes.push_back({file, device_rule_line(b)});
    } else {
      writes.push_back({file, device_rule_line(rule)});
    }
  }
  return writes;
}

std::vector<bpf_insn> device_filter_program(const DevicePolicy& policy) {
  // R2 = device type, R3 = requested access, R4 = major, R5 = minor.
  std::vector<bpf_insn> program = {
      load_ctx_u32(BPF_REG_2, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_AND, BPF_REG_2, 0xffff),
      load_ctx_u32(BPF_REG_3, offsetof(bpf_cgroup_dev_ctx, access_type)),
      alu32_imm(BPF_RSH, BPF_REG_3, 16),
      load_ctx_u32(BPF_REG_4, offsetof(bpf_cgroup_dev_ctx, major)),
      load_ctx_u32(BPF_REG_5, offsetof(bpf_cgroup_dev_ctx, minor)),
  };
  // The last matching rule decides: test the rules from last to first and
  // return at the first match.
  for (auto it = policy.rules.rbegin(); it != policy.rules.rend(); ++it) {
    const DeviceRule& rule = *it;
    std::vector<bpf_insn> block;
    // Conditions jump to the end of the block (patched below) when they fail.
    std::vector<size_t> to_next;
    if (rule.type != 'a') {
      int32_t type = rule.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
      to_next.push_back(block.size());
      block.push_back(jump_imm(BPF_JNE, BPF_REG_2, type, 0));
    }
    if (rule.access != kAccessAll || !rule.allow) {
      block.push_back(mov32_reg(BPF_REG_1, BPF_REG_3));
      block.push_back(alu32_imm(BPF_AND, BPF_REG_1, static_cast<int32_t>(rule.access)));
      to_next.push_back(block.size());
      if (rule.allow)  // every requested access must be granted
        block.push_back(jump_reg(BPF_JNE, BPF_REG_1, BPF_REG_3, 0));
      else  // any requested access that the rule covers is denied
        block.push_back(jump_imm(BPF_JEQ, BPF_REG_1, 0, 0));
    }
    if (rule.major >= 0) {
      to_next.push_back(block.size());
      block.push_back(jump_imm(BPF_JNE, BPF_REG_4, static_cast<int32_t>(rule.major), 0));
    }
    if (rule.minor >= 0) {
      to_next.push_back(block.size());
      block.push_back(jump_imm(BPF_JNE, BPF_REG_5, static_cast<int32_t>(rule.minor), 0));
    }
    block.push_back(mov64_imm(BPF_REG_0, rule.allow ? 1 : 0));
    block.push_back(exit_insn());
    for (size_t index : to_next) block[index].off = static_cast<int16_t>(block.size() - index - 1);
    program.insert(program.end(), block.begin(), block.end());
  }
  program.push_back(mov64_imm(BPF_REG_0, policy.default_allow ? 1 : 0));
  program.push_back(exit_insn());
  return program;
}

std::vector<oci::DeviceCgroupRule> default_allowed_device_rules() {
  auto chr = [](int64_t major, std::optional<int64_t> minor, std::string access) {
    return oci::DeviceCgroupRule{true, "c", major, minor, std::move(access)};
  };
  return {
      // mknod of any character or block device; access still needs a rule.
      oci::DeviceCgroupRule{true, "c", std::nullopt, std::nullopt, "m"},
      oci::DeviceCgroupRule{true, "b", std::nullopt, std::nullopt, "m"},
      chr(1, 3, "rwm"),               // /dev/null
      chr(1, 5, "rwm"),               // /dev/zero
      chr(1, 7, "rwm"),               // /dev/full
      chr(5, 0, "rwm"),               // /dev/tty
      chr(1, 8, "rwm"),               // /dev/random
      chr(1, 9, "rwm"),               // /dev/urandom
      chr(5, 1, "rwm"),               // /dev/console
      chr(136, std::nullopt, "rwm"),  // /dev/pts/*
      chr(5, 2, "rwm"),               // /dev/ptmx
      chr(10, 200, "rwm"),            // /dev/net/tun
  };
}

}  // namespace krill::cgroups
