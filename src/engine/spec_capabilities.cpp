// Docker's capability set and its --cap-add / --cap-drop / --privileged rules.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/file_io.h"
#include "engine/spec_builder.h"
#include "engine/spec_internal.h"
#include "oci/spec_names.h"

namespace krill::engine {

namespace {

// Every capability Linux defines, by number (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40).
const std::span<const std::string_view>& kCapabilityNames = oci::names::kCapabilities;

bool contains(const std::vector<std::string>& list, std::string_view value) {
  for (const auto& item : list)
    if (item == value) return true;
  return false;
}

}  // namespace

std::vector<std::string> docker_default_capabilities() {
  return {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
          "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
          "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
          "CAP_KILL",    "CAP_AUDIT_WRITE"};
}

namespace spec_detail {

Result<std::string> normalize_capability(std::string_view name) {
  std::string upper(name);
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (upper == "ALL") return upper;
  if (!upper.starts_with("CAP_")) upper = "CAP_" + upper;
  for (auto known : kCapabilityNames)
    if (known == upper) return upper;
  return fail("unknown capability: \"" + std::string(name) + "\"");
}

std::vector<std::string> all_capabilities() {
  size_t count = kCapabilityNames.size();
  // Only what this kernel knows: a runtime refuses (or warns about) newer names.
  if (auto last = read_file("/proc/sys/kernel/cap_last_cap")) {
    try {
      size_t last_cap = static_cast<size_t>(std::stoul(*last));
      if (last_cap + 1 < count) count = last_cap + 1;
    } catch (...) {
    }
  }
  // And only what we can pass on: a capability outside our own bounding set cannot be given to
  // the container (runc fails with "unable to apply caps"), as podman's --privileged knows.
  uint64_t bounding = ~0ull;
  if (auto status = read_file("/proc/self/status")) {
    size_t at = status->find("\nCapBnd:");
    if (at != std::string::npos) {
      try {
        bounding =
            std::stoull(status->substr(at + 8, status->find('\n', at + 1) - at - 8), nullptr, 16);
      } catch (...) {
      }
    }
  }
  std::vector<std::string> caps;
  for (size_t i = 0; i < count; ++i)
    if (bounding & (1ull << i)) caps.emplace_back(kCapabilityNames[i]);
  return caps;
}

Result<std::vector<std::string>> tweak_capabilities(const std::vector<std::string>& basics,
                                                    const std::vector<std::string>& adds,
                                                    const std::vector<std::string>& drops,
                                                    bool privileged) {
  std::vector<std::string> add, drop;
  for (const auto& name : adds) {
    auto normal = normalize_capability(name);
    if (!normal) return fail("--cap-add " + name + ": " + normal.error().message());
    add.push_back(*normal);
  }
  for (const auto& name : drops) {
    auto normal = normalize_capability(name);
    if (!normal) return fail("--cap-drop " + name + ": " + normal.error().message());
    drop.push_back(*normal);
  }
  if (privileged) return all_capabilities();
  std::vector<std::string> caps;
  auto push = [&](const std::string& cap) {
    if (cap != "ALL" && !contains(caps, cap)) caps.push_back(cap);
  };
  if (contains(add, "ALL")) {
    for (const auto& cap : all_capabilities())
      if (!contains(drop, cap)) push(cap);
  } else if (contains(drop, "ALL")) {
    for (const auto& cap : add) push(cap);
  } else {
    for (const auto& cap : basics)
      if (!contains(drop, cap)) push(cap);
    for (const auto& cap : add) push(cap);
  }
  return caps;
}

}  // namespace spec_detail

}  // namespace krill::engine
