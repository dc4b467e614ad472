#include "runtime/process/rlimits.h"

#include <sys/resource.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "runtime/process/small_file.h"

namespace krill::process {
namespace {

struct RlimitName {
  const char* name;
  int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

std::string limit_text(uint64_t value) {
  return value == RLIM_INFINITY ? std::string("unlimited") : std::to_string(value);
}

// fs.nr_open caps RLIMIT_NOFILE even for privileged processes; 0 when unreadable.
uint64_t read_nr_open() {
  char buffer[32];
  auto n = read_small_file("/proc/sys/fs/nr_open", buffer, sizeof(buffer) - 1);
  if (!n) return 0;
  buffer[*n] = '\0';
  return std::strtoull(buffer, nullptr, 10);
}

// Why setrlimit failed, in words an operator can act on; empty when errno says it all.
std::string failure_hint(int resource, const oci::Rlimit& wanted, int err) {
  if (err == EINVAL && wanted.soft > wanted.hard)
    return " (the soft limit is above the hard limit)";
  if (err != EPERM) return "";
  if (resource == RLIMIT_NOFILE) {
    uint64_t nr_open = read_nr_open();
    if (nr_open != 0 && wanted.hard > nr_open)
      return " (the hard limit is above fs.nr_open, " + std::to_string(nr_open) + ")";
  }
  struct rlimit current {};
  if (::getrlimit(resource, &current) == 0 && wanted.hard > current.rlim_max)
    return " (raising the hard limit above the current " + limit_text(current.rlim_max) +
           " needs CAP_SYS_RESOURCE)";
  return "";
}

}  // namespace

Result<int> rlimit_from_name(std::string_view name) {
  for (const auto& entry : kRlimits)
    if (name == entry.name) return entry.resource;
  return fail("unknown rlimit type \"" + std::string(name) + "\"");
}

const char* rlimit_name(int resource) {
  for (const auto& entry : kRlimits)
    if (entry.resource == resource) return entry.name;
  return nullptr;
}

Result<void> apply_rlimits(const std::vector<oci::Rlimit>& rlimits) {
  // Validate everything first so a bad entry leaves the limits untouched.
  uint32_t seen = 0;
  static_assert(RLIM_NLIMITS <= 32);
  for (const auto& rlimit : rlimits) {
    int resource = KRILL_TRY(rlimit_from_name(rlimit.type));
    if (seen & (1u << resource)) return fail("duplicate rlimit type \"" + rlimit.type + "\"");
    seen |= 1u << resource;
  }
  for (const auto& rlimit : rlimits) {
    int resource = *rlimit_from_name(rlimit.type);
    struct rlimit value {};
    value.rlim_cur = rlimit.soft;
    value.rlim_max = rlimit.hard;
    if (::setrlimit(resource, &value) != 0) {
      int err = errno;
      std::string what = "set rlimit " + rlimit.type + " to " + limit_text(rlimit.soft) + "/" +
                         limit_text(rlimit.hard);
      std::string hint = failure_hint(resource, rlimit, err);
      auto error = Error::from_errno(what, err);
      return std::unexpected(Error(error.message() + hint, err));
    }
  }
  return {};
}

}  // namespace krill::process
