// Seccomp profiles in Docker's JSON format (--security-opt seccomp=FILE) and how a profile's
// conditions (includes/excludes on capabilities, architectures, kernel version) are applied to
// one container, as moby's profiles/seccomp setupSeccomp does.
#include <sys/utsname.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/spec_builder.h"
#include "engine/spec_internal.h"

namespace krill::engine::spec_detail {

namespace {

using json = nlohmann::json;

bool contains(const std::vector<std::string>& list, const std::string& value) {
  for (const auto& item : list)
    if (item == value) return true;
  return false;
}

// "4.8", "5.10.3" or a uname release "6.1.0-18-amd64" -> {major, minor}.
bool parse_kernel_version(std::string_view text, std::pair<int, int>& version) {
  size_t at = 0;
  auto number = [&](int& out) {
    size_t start = at;
    out = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9' && out < 100000)
      out = out * 10 + (text[at++] - '0');
    return at > start;
  };
  int major = 0, minor = 0;
  if (!number(major)) return false;
  if (at < text.size() && text[at] == '.') {
    ++at;
    if (!number(minor)) return false;
  }
  version = {major, minor};
  return true;
}

bool kernel_at_least(std::pair<int, int> kernel, std::pair<int, int> wanted) {
  return kernel.first != wanted.first ? kernel.first > wanted.first
                                      : kernel.second >= wanted.second;
}

Result<std::vector<std::string>> string_list(const json& value, const std::string& at) {
  std::vector<std::string> out;
  if (value.is_null()) return out;
  if (!value.is_array()) return fail(at + ": expected an array of strings");
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) return fail(at + "[" + std::to_string(i) + "]: expected a string");
    out.push_back(value[i].get<std::string>());
  }
  return out;
}

Result<std::string> string_member(const json& object, const char* key, const std::string& at) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return fail(at + "." + key + ": expected a string");
  return it->get<std::string>();
}

Result<std::optional<uint64_t>> unsigned_member(const json& object, const char* key,
                                                const std::string& at) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<uint64_t>();
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0))
    return fail(at + "." + key + ": expected an unsigned integer");
  return std::optional<uint64_t>(it->get<uint64_t>());
}

Result<SeccompFilter> parse_filter(const json& value, const std::string& at) {
  SeccompFilter filter;
  if (value.is_null()) return filter;
  if (!value.is_object()) return fail(at + ": expected an object");
  if (auto it = value.find("caps"); it != value.end())
    filter.caps = KRILL_TRY(string_list(*it, at + ".caps"));
  if (auto it = value.find("arches"); it != value.end())
    filter.arches = KRILL_TRY(string_list(*it, at + ".arches"));
  std::string min_kernel = KRILL_TRY(string_member(value, "minKernel", at));
  if (!min_kernel.empty()) {
    std::pair<int, int> version;
    if (!parse_kernel_version(min_kernel, version))
      return fail(at + ".minKernel: invalid kernel version \"" + min_kernel + "\"");
    filter.min_kernel = version;
  }
  return filter;
}

Result<SeccompRule> parse_rule(const json& value, const std::string& at) {
  if (!value.is_object()) return fail(at + ": expected an object");
  SeccompRule rule;
  if (auto it = value.find("names"); it != value.end())
    rule.syscall.names = KRILL_TRY(string_list(*it, at + ".names"));
  std::string name = KRILL_TRY(string_member(value, "name", at));
  if (!name.empty()) {
    if (!rule.syscall.names.empty())
      return fail(at + ": 'name' and 'names' were both given; use either 'name' or 'names'");
    rule.syscall.names.push_back(name);
  }
  rule.syscall.action = KRILL_TRY(string_member(value, "action", at));
  if (rule.syscall.action.empty()) return fail(at + ".action: missing");
  auto errno_ret = KRILL_TRY(unsigned_member(value, "errnoRet", at));
  if (errno_ret) rule.syscall.errno_ret = static_cast<uint32_t>(*errno_ret);
  if (auto it = value.find("args"); it != value.end() && !it->is_null()) {
    if (!it->is_array()) return fail(at + ".args: expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& arg = (*it)[i];
      std::string aat = at + ".args[" + std::to_string(i) + "]";
      if (!arg.is_object()) return fail(aat + ": expected an object");
      oci::SeccompArg parsed;
      parsed.index =
          static_cast<uint32_t>(KRILL_TRY(unsigned_member(arg, "index", aat)).value_or(0));
      parsed.value = KRILL_TRY(unsigned_member(arg, "value", aat)).value_or(0);
      parsed.value_two = KRILL_TRY(unsigned_member(arg, "valueTwo", aat)).value_or(0);
      parsed.op = KRILL_TRY(string_member(arg, "op", aat));
      if (parsed.op.empty()) return fail(aat + ".op: missing");
      rule.syscall.args.push_back(std::move(parsed));
    }
  }
  if (auto it = value.find("includes"); it != value.end())
    rule.includes = KRILL_TRY(parse_filter(*it, at + ".includes"));
  if (auto it = value.find("excludes"); it != value.end())
    rule.excludes = KRILL_TRY(parse_filter(*it, at + ".excludes"));
  return rule;
}

Result<SeccompProfile> parse_profile_document(const json& doc) {
  if (!doc.is_object()) return fail("expected a JSON object");
  SeccompProfile profile;
  profile.default_action = KRILL_TRY(string_member(doc, "defaultAction", ""));
  if (profile.default_action.empty()) return fail("defaultAction: missing");
  auto errno_ret = KRILL_TRY(unsigned_member(doc, "defaultErrnoRet", ""));
  if (errno_ret) profile.default_errno_ret = static_cast<uint32_t>(*errno_ret);
  if (auto it = doc.find("architectures"); it != doc.end())
    profile.architectures = KRILL_TRY(string_list(*it, "architectures"));
  if (auto it = doc.find("archMap"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return fail("archMap: expected an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const json& entry = (*it)[i];
      std::string at = "archMap[" + std::to_string(i) + "]";
      if (!entry.is_object()) return fail(at + ": expected an object");
      SeccompArchMap map;
      map.architecture = KRILL_TRY(string_member(entry, "architecture", at));
      if (auto sub = entry.find("subArchitectures"); sub != entry.end())
        map.sub_architectures = KRILL_TRY(string_list(*sub, at + ".subArchitectures"));
      profile.arch_map.push_back(std::move(map));
    }
  }
  if (!profile.architectures.empty() && !profile.arch_map.empty())
    return fail("both 'architectures' and 'archMap' are given; use one of them");
  if (auto it = doc.find("flags"); it != doc.end())
    profile.flags = KRILL_TRY(string_list(*it, "flags"));
  profile.listener_path = KRILL_TRY(string_member(doc, "listenerPath", ""));
  profile.listener_metadata = KRILL_TRY(string_member(doc, "listenerMetadata", ""));
  if (auto it = doc.find("syscalls"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return fail("syscalls: expected an array");
    for (size_t i = 0; i < it->size(); ++i)
      profile.rules.push_back(
          KRILL_TRY(parse_rule((*it)[i], "syscalls[" + std::to_string(i) + "]")));
  }
  return profile;
}

// The architecture as Go (and so Docker's profiles) names it.
const char* go_arch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__i386__)
  return "386";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__loongarch64)
  return "loong64";
#elif defined(__mips64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "mips64le";
#elif defined(__mips64)
  return "mips64";
#else
  return "";
#endif
}

// Go architecture -> the libseccomp architecture the archMap is keyed by.
std::string native_scmp_arch(std::string_view arch) {
  if (arch == "amd64") return "SCMP_ARCH_X86_64";
  if (arch == "386") return "SCMP_ARCH_X86";
  if (arch == "arm64") return "SCMP_ARCH_AARCH64";
  if (arch == "arm") return "SCMP_ARCH_ARM";
  if (arch == "ppc64le") return "SCMP_ARCH_PPC64LE";
  if (arch == "s390x") return "SCMP_ARCH_S390X";
  if (arch == "riscv64") return "SCMP_ARCH_RISCV64";
  if (arch == "loong64") return "SCMP_ARCH_LOONGARCH64";
  if (arch == "mips64") return "SCMP_ARCH_MIPS64";
  if (arch == "mips64le") return "SCMP_ARCH_MIPSEL64";
  return "";
}

}  // namespace

Result<SeccompProfile> parse_seccomp_profile(std::string_view json_text) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return fail("seccomp profile: invalid JSON");
  auto profile = parse_profile_document(doc);
  if (!profile) return std::unexpected(std::move(profile.error()).context("seccomp profile"));
  return profile;
}

SeccompTarget host_seccomp_target(std::vector<std::string> capabilities) {
  SeccompTarget target;
  target.capabilities = std::move(capabilities);
  target.go_arch = go_arch();
  struct utsname name {};
  if (::uname(&name) == 0) parse_kernel_version(name.release, target.kernel);
  return target;
}

Result<oci::Seccomp> seccomp_for_target(const SeccompProfile& profile,
                                        const SeccompTarget& target) {
  oci::Seccomp seccomp;
  seccomp.default_action = profile.default_action;
  seccomp.default_errno_ret = profile.default_errno_ret;
  seccomp.architectures = profile.architectures;
  std::string native = native_scmp_arch(target.go_arch);
  for (const auto& entry : profile.arch_map) {
    if (entry.architecture != native) continue;
    seccomp.architectures.push_back(entry.architecture);
    for (const auto& sub : entry.sub_architectures) seccomp.architectures.push_back(sub);
  }
  seccomp.flags = profile.flags;
  seccomp.listener_path = profile.listener_path;
  seccomp.listener_metadata = profile.listener_metadata;
  for (const auto& rule : profile.rules) {
    const SeccompFilter& ex = rule.excludes;
    if (contains(ex.arches, target.go_arch)) continue;
    bool excluded = false;
    for (const auto& cap : ex.caps) excluded = excluded || contains(target.capabilities, cap);
    if (excluded) continue;
    if (ex.min_kernel && kernel_at_least(target.kernel, *ex.min_kernel)) continue;
    const SeccompFilter& in = rule.includes;
    if (!in.arches.empty() && !contains(in.arches, target.go_arch)) continue;
    bool missing = false;
    for (const auto& cap : in.caps) missing = missing || !contains(target.capabilities, cap);
    if (missing) continue;
    if (in.min_kernel && !kernel_at_least(target.kernel, *in.min_kernel)) continue;
    if (rule.syscall.names.empty()) continue;  // Docker's profiles have none; nothing to filter
    seccomp.syscalls.push_back(rule.syscall);
  }
  return seccomp;
}

}  // namespace krill::engine::spec_detail
