#include "runtime/security/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstdint>

namespace krill::security {
namespace {

// One bit per capability number; the kernel has 41 today and the ABI room for 64.
using CapMask = uint64_t;
constexpr int kMaskBits = 64;

CapMask bit(int cap) { return CapMask{1} << cap; }

// Number of capabilities the running kernel knows.
int kernel_cap_count() {
  int count = static_cast<int>(cap_max_bits());
  return count > kMaskBits ? kMaskBits : count;
}

std::string cap_name(int cap) {
  char* name = cap_to_name(static_cast<cap_value_t>(cap));
  if (name == nullptr) return std::to_string(cap);
  std::string result(name);
  cap_free(name);
  bool numeric = !result.empty() && result[0] >= '0' && result[0] <= '9';
  if (numeric) return result;
  for (char& c : result)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return result;
}

void warn(std::vector<std::string>* warnings, std::string message) {
  if (warnings != nullptr) warnings->push_back(std::move(message));
}

// Names -> mask of the capabilities the running kernel knows; the others become warnings.
CapMask resolve_set(const std::vector<std::string>& names, std::string_view set,
                    std::vector<std::string>* warnings) {
  const int count = kernel_cap_count();
  CapMask mask = 0;
  for (const auto& name : names) {
    auto cap = capability_from_name(name);
    if (!cap) {
      warn(warnings,
           "ignoring unknown capability " + name + " in process.capabilities." + std::string(set));
      continue;
    }
    if (*cap >= count) {
      warn(warnings, "ignoring capability " + name + " in process.capabilities." +
                         std::string(set) + ": the running kernel does not support it");
      continue;
    }
    mask |= bit(*cap);
  }
  return mask;
}

std::string describe(CapMask mask) {
  std::string names;
  for (int cap = 0; cap < kMaskBits; ++cap) {
    if ((mask & bit(cap)) == 0) continue;
    if (!names.empty()) names += ", ";
    names += cap_name(cap);
  }
  return names;
}

// Warns about the caps of `wanted` outside `allowed` and returns those inside.
CapMask keep_allowed(CapMask wanted, CapMask allowed, std::string_view set, std::string_view why,
                     std::vector<std::string>* warnings) {
  CapMask dropped = wanted & ~allowed;
  if (dropped != 0)
    warn(warnings, "ignoring unavailable capabilities in process.capabilities." + std::string(set) +
                       " (" + std::string(why) + "): " + describe(dropped));
  return wanted & allowed;
}

struct ProcessCaps {
  CapMask effective = 0;
  CapMask permitted = 0;
  CapMask inheritable = 0;
};

// Owns a libcap cap_t.
class CapState {
 public:
  explicit CapState(cap_t caps) : caps_(caps) {}
  CapState(const CapState&) = delete;
  CapState& operator=(const CapState&) = delete;
  ~CapState() {
    if (caps_ != nullptr) cap_free(caps_);
  }
  cap_t get() const { return caps_; }

 private:
  cap_t caps_;
};

Result<ProcessCaps> current_caps() {
  CapState state(cap_get_proc());
  if (state.get() == nullptr) return fail_errno("read process capabilities");
  ProcessCaps caps;
  const int count = kernel_cap_count();
  for (int cap = 0; cap < count; ++cap) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(state.get(), cap, CAP_EFFECTIVE, &value) == 0 && value == CAP_SET)
      caps.effective |= bit(cap);
    if (cap_get_flag(state.get(), cap, CAP_PERMITTED, &value) == 0 && value == CAP_SET)
      caps.permitted |= bit(cap);
    if (cap_get_flag(state.get(), cap, CAP_INHERITABLE, &value) == 0 && value == CAP_SET)
      caps.inheritable |= bit(cap);
  }
  return caps;
}

CapMask current_bounding() {
  CapMask mask = 0;
  const int count = kernel_cap_count();
  for (int cap = 0; cap < count; ++cap)
    if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) mask |= bit(cap);
  return mask;
}

Result<void> set_flags(cap_t state, cap_flag_t flag, CapMask mask) {
  for (int cap = 0; cap < kMaskBits; ++cap) {
    if ((mask & bit(cap)) == 0) continue;
    cap_value_t value = cap;
    if (cap_set_flag(state, flag, 1, &value, CAP_SET) != 0)
      return fail_errno("set " + cap_name(cap) + " in a capability state");
  }
  return {};
}

}  // namespace

Result<int> capability_from_name(std::string_view name) {
  // libcap also accepts lower case and plain numbers; the spec only has CAP_ + upper case.
  bool valid = name.size() > 4 && name.substr(0, 4) == "CAP_";
  for (char c : name)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) valid = false;
  if (valid) {
    std::string lower(name);
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    cap_value_t value = 0;
    if (cap_from_name(lower.c_str(), &value) == 0 && value >= 0 && value < kMaskBits)
      return static_cast<int>(value);
  }
  return fail("unknown capability \"" + std::string(name) + "\"");
}

std::vector<std::string> known_capability_names() {
  std::vector<std::string> names;
  const int count = kernel_cap_count();
  for (int cap = 0; cap < count; ++cap) {
    std::string name = cap_name(cap);
    if (name.rfind("CAP_", 0) == 0) names.push_back(std::move(name));
  }
  return names;
}

std::vector<std::string> capability_warnings(const oci::Capabilities& caps) {
  std::vector<std::string> warnings;
  resolve_set(caps.bounding, "bounding", &warnings);
  resolve_set(caps.effective, "effective", &warnings);
  CapMask permitted = resolve_set(caps.permitted, "permitted", &warnings);
  CapMask inheritable = resolve_set(caps.inheritable, "inheritable", &warnings);
  CapMask ambient = resolve_set(caps.ambient, "ambient", &warnings);
  keep_allowed(ambient, permitted & inheritable, "ambient",
               "an ambient capability must also be permitted and inheritable", &warnings);
  return warnings;
}

Result<void> prepare_capabilities(const oci::Capabilities& caps,
                                  std::vector<std::string>* warnings) {
  const CapMask wanted = resolve_set(caps.bounding, "bounding", warnings);
  const CapMask bounding = current_bounding();
  keep_allowed(wanted, bounding, "bounding", "not in the current bounding set", warnings);

  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail_errno("set PR_SET_KEEPCAPS");
  const int count = kernel_cap_count();
  for (int cap = 0; cap < count; ++cap) {
    if ((wanted & bit(cap)) != 0 || (bounding & bit(cap)) == 0) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
      return fail_errno("drop " + cap_name(cap) + " from the capability bounding set");
  }
  return {};
}

Result<void> apply_capabilities(const oci::Capabilities& caps, std::vector<std::string>* warnings) {
  const ProcessCaps current = KRILL_TRY(current_caps());
  const CapMask bounding = current_bounding();

  // What capset(2) accepts: P' within P; I' within I|bounding, and within I|P unless the
  // caller has CAP_SETPCAP in effective; E' within P'.
  const CapMask permitted =
      keep_allowed(resolve_set(caps.permitted, "permitted", warnings), current.permitted,
                   "permitted", "not held by the runtime", warnings);
  CapMask inheritable_allowed = current.inheritable | bounding;
  if ((current.effective & bit(CAP_SETPCAP)) == 0)
    inheritable_allowed &= current.inheritable | current.permitted;
  const CapMask inheritable =
      keep_allowed(resolve_set(caps.inheritable, "inheritable", warnings), inheritable_allowed,
                   "inheritable", "not in the bounding or permitted set", warnings);
  const CapMask effective =
      keep_allowed(resolve_set(caps.effective, "effective", warnings), permitted, "effective",
                   "not in the permitted set", warnings);
  const CapMask ambient = keep_allowed(
      resolve_set(caps.ambient, "ambient", warnings), permitted & inheritable, "ambient",
      "an ambient capability must also be permitted and inheritable", warnings);

  {
    CapState state(cap_init());
    if (state.get() == nullptr) return fail_errno("allocate a capability state");
    KRILL_CHECK(set_flags(state.get(), CAP_PERMITTED, permitted));
    KRILL_CHECK(set_flags(state.get(), CAP_INHERITABLE, inheritable));
    KRILL_CHECK(set_flags(state.get(), CAP_EFFECTIVE, effective));
    if (cap_set_proc(state.get()) != 0)
      return fail_errno("set process capabilities (effective " + describe(effective) +
                        "; permitted " + describe(permitted) + "; inheritable " +
                        describe(inheritable) + ")");
  }

  // Ambient: start from empty, then raise. EINVAL means no ambient support (Linux < 4.3).
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    if (errno != EINVAL) return fail_errno("clear the ambient capability set");
    if (ambient != 0)
      warn(warnings,
           "ignoring ambient capabilities: the kernel does not support them: " + describe(ambient));
  } else {
    for (int cap = 0; cap < kMaskBits; ++cap) {
      if ((ambient & bit(cap)) == 0) continue;
      if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
        warn(warnings, Error::from_errno("raise ambient capability " + cap_name(cap)).message());
    }
  }

  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return fail_errno("clear PR_SET_KEEPCAPS");
  return {};
}

Result<void> set_no_new_privileges() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail_errno("set no_new_privs");
  return {};
}

}  // namespace krill::security
