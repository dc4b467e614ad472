#include "runtime/cgroups/devices.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <optional>

namespace krill::cgroups {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

oci::DeviceCgroupRule rule(bool allow, std::string type, std::optional<int64_t> major,
                           std::optional<int64_t> minor, std::string access) {
  return {allow, std::move(type), major, minor, std::move(access)};
}

std::vector<DeviceRule> rules(const std::vector<oci::DeviceCgroupRule>& oci_rules) {
  auto converted = to_device_rules(oci_rules);
  EXPECT_TRUE(converted) << converted.error().message();
  return converted.value_or(std::vector<DeviceRule>{});
}

// A small interpreter for the instructions the generator emits; fails the
// test on anything else, on out-of-range jumps and on falling off the end.
class Interpreter {
 public:
  explicit Interpreter(std::vector<bpf_insn> program) : program_(std::move(program)) {}

  // type: 'c' or 'b'; access: kAccess* bits.
  int run(char type, unsigned access, uint32_t major, uint32_t minor) const {
    bpf_cgroup_dev_ctx ctx{};
    ctx.access_type = (access << 16) | (type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
    ctx.major = major;
    ctx.minor = minor;
    uint64_t reg[11] = {};
    bool ctx_in_r1 = true;
    for (size_t pc = 0; pc < program_.size(); ++pc) {
      const bpf_insn& i = program_[pc];
      uint8_t cls = BPF_CLASS(i.code);
      if (cls == BPF_LDX) {
        EXPECT_EQ(i.code, BPF_LDX | BPF_MEM | BPF_W);
        EXPECT_EQ(i.src_reg, BPF_REG_1);
        EXPECT_TRUE(ctx_in_r1) << "context read after r1 was overwritten";
        uint32_t value = 0;
        EXPECT_TRUE(i.off >= 0 && i.off + 4 <= static_cast<int>(sizeof ctx));
        std::memcpy(&value, reinterpret_cast<const char*>(&ctx) + i.off, 4);
        reg[i.dst_reg] = value;
      } else if (cls == BPF_ALU || cls == BPF_ALU64) {
        uint64_t operand = BPF_SRC(i.code) == BPF_X ? reg[i.src_reg] : static_cast<int64_t>(i.imm);
        uint64_t& dst = reg[i.dst_reg];
        if (i.dst_reg == BPF_REG_1) ctx_in_r1 = false;
        switch (BPF_OP(i.code)) {
          case BPF_MOV:
            dst = operand;
            break;
          case BPF_AND:
            dst &= operand;
            break;
          case BPF_RSH:
            dst >>= operand;
            break;
          default:
            ADD_FAILURE() << "unexpected ALU op at " << pc;
            return -1;
        }
        if (cls == BPF_ALU) dst &= 0xffffffffu;
      } else if (cls == BPF_JMP) {
        if (BPF_OP(i.code) == BPF_EXIT) return static_cast<int>(reg[BPF_REG_0]);
        uint64_t operand = BPF_SRC(i.code) == BPF_X
                               ? reg[i.src_reg]
                               : static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        bool taken = false;
        switch (BPF_OP(i.code)) {
          case BPF_JEQ:
            taken = reg[i.dst_reg] == operand;
            break;
          case BPF_JNE:
            taken = reg[i.dst_reg] != operand;
            break;
          case BPF_JA:
            taken = true;
            break;
          default:
            ADD_FAILURE() << "unexpected jump op at " << pc;
            return -1;
        }
        if (taken) {
          EXPECT_GE(i.off, 0);
          pc += i.off;
          EXPECT_LT(pc + 1, program_.size()) << "jump out of the program";
        }
      } else {
        ADD_FAILURE() << "unexpected instruction class at " << pc;
        return -1;
      }
    }
    ADD_FAILURE() << "fell off the end of the program";
    return -1;
  }

 private:
  std::vector<bpf_insn> program_;
};

Interpreter compile(const std::vector<oci::DeviceCgroupRule>& oci_rules) {
  return Interpreter(device_filter_program(to_device_policy(rules(oci_rules))));
}

constexpr unsigned R = kAccessRead, W = kAccessWrite, M = kAccessMknod;

TEST(DeviceRules, Validation) {
  EXPECT_FALSE(to_device_rule(rule(true, "x", 1, 3, "rwm")));
  auto bad_access = to_device_rule(rule(true, "c", 1, 3, "rwx"));
  ASSERT_FALSE(bad_access);
  EXPECT_THAT(bad_access.error().message(), HasSubstr("rwm"));
  auto defaults = to_device_rule(rule(false, "", std::nullopt, std::nullopt, ""));
  ASSERT_TRUE(defaults);
  EXPECT_TRUE(defaults->is_full_wildcard());
  auto negative = to_device_rule(rule(true, "c", -1, 3, "r"));
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->major, -1);
}

TEST(DeviceRules, V1Lines) {
  auto writes = device_rules_to_v1(rules({
      rule(false, "a", std::nullopt, std::nullopt, "rwm"),
      rule(true, "c", 1, 3, "rwm"),
      rule(true, "c", 136, std::nullopt, "rw"),
      rule(true, "b", std::nullopt, std::nullopt, "m"),
      rule(false, "c", 1, 5, "w"),
      rule(true, "a", 10, 200, "rw"),
  }));
  std::vector<std::string> lines;
  for (const auto& w : writes) lines.push_back(w.file + " " + w.line);
  EXPECT_THAT(lines, ElementsAre("devices.deny a", "devices.deny a", "devices.allow c 1:3 rwm",
                                 "devices.allow c 136:* rw", "devices.allow b *:* m",
                                 "devices.deny c 1:5 w", "devices.allow c 10:200 rw",
                                 "devices.allow b 10:200 rw"));
}

TEST(DeviceRules, PolicyResetsAtFullWildcard) {
  auto policy = to_device_policy(rules({
      rule(true, "c", 1, 3, "rwm"),
      rule(true, "a", std::nullopt, std::nullopt, "rwm"),
      rule(false, "c", 1, 5, "rwm"),
  }));
  EXPECT_TRUE(policy.default_allow);
  ASSERT_EQ(policy.rules.size(), 1u);
  EXPECT_EQ(policy.rules[0].minor, 5);
}

TEST(DeviceFilterProgram, DefaultDenyWithAllowList) {
  auto prog = compile({
      rule(false, "a", std::nullopt, std::nullopt, "rwm"),
      rule(true, "c", 1, 3, "rwm"),
      rule(true, "c", 136, std::nullopt, "rw"),
      rule(true, "b", 8, 0, "r"),
  });
  EXPECT_EQ(prog.run('c', R | W, 1, 3), 1);
  EXPECT_EQ(prog.run('c', M, 1, 3), 1);
  EXPECT_EQ(prog.run('c', R, 1, 5), 0);
  EXPECT_EQ(prog.run('b', R, 1, 3), 0);  // type matters
  EXPECT_EQ(prog.run('c', R | W, 136, 7), 1);
  EXPECT_EQ(prog.run('c', M, 136, 7), 0);  // m not granted
  EXPECT_EQ(prog.run('b', R, 8, 0), 1);
  EXPECT_EQ(prog.run('b', R | W, 8, 0), 0);  // every requested access must be granted
  EXPECT_EQ(prog.run('b', R, 8, 1), 0);
}

TEST(DeviceFilterProgram, NoRulesDeniesEverything) {
  auto prog = compile({});
  EXPECT_EQ(prog.run('c', R, 1, 3), 0);
  EXPECT_EQ(prog.run('b', M, 8, 0), 0);
}

TEST(DeviceFilterProgram, AllowAllThenDeny) {
  auto prog = compile({
      rule(true, "a", std::nullopt, std::nullopt, "rwm"),
      rule(false, "c", 1, 5, "w"),
      rule(false, "b", std::nullopt, std::nullopt, "rwm"),
  });
  EXPECT_EQ(prog.run('c', R, 1, 5), 1);
  EXPECT_EQ(prog.run('c', W, 1, 5), 0);
  EXPECT_EQ(prog.run('c', R | W, 1, 5), 0);  // any denied access denies
  EXPECT_EQ(prog.run('c', R | W, 1, 3), 1);
  EXPECT_EQ(prog.run('b', R, 8, 0), 0);
}

TEST(DeviceFilterProgram, LastMatchingRuleWins) {
  auto prog = compile({
      rule(false, "a", std::nullopt, std::nullopt, "rwm"),
      rule(true, "c", 1, std::nullopt, "rwm"),
      rule(false, "c", 1, 5, "rwm"),
      rule(true, "c", 1, 5, "r"),
  });
  EXPECT_EQ(prog.run('c', R, 1, 3), 1);
  EXPECT_EQ(prog.run('c', R, 1, 5), 1);  // re-allowed by the last rule
  EXPECT_EQ(prog.run('c', W, 1, 5), 0);  // still denied by the earlier deny
  EXPECT_EQ(prog.run('c', R | W, 1, 5), 0);
}

TEST(DeviceFilterProgram, TypeAWithNumbersMatchesBothTypes) {
  auto prog = compile({rule(true, "a", 7, std::nullopt, "rw")});
  EXPECT_EQ(prog.run('c', R, 7, 1), 1);
  EXPECT_EQ(prog.run('b', W, 7, 2), 1);
  EXPECT_EQ(prog.run('b', M, 7, 2), 0);
  EXPECT_EQ(prog.run('c', R, 8, 1), 0);
}

TEST(DeviceFilterProgram, DefaultRulesAllowTheUsualDevices) {
  auto all = default_allowed_device_rules();
  all.insert(all.begin(), rule(false, "a", std::nullopt, std::nullopt, "rwm"));
  auto prog = compile(all);
  EXPECT_EQ(prog.run('c', R | W, 1, 3), 1);    // null
  EXPECT_EQ(prog.run('c', R | W, 136, 0), 1);  // pts/0
  EXPECT_EQ(prog.run('b', M, 8, 0), 1);        // mknod of any block device
  EXPECT_EQ(prog.run('b', R, 8, 0), 0);
  EXPECT_EQ(prog.run('c', R, 4, 1), 0);  // tty1
}

}  // namespace
}  // namespace krill::cgroups
