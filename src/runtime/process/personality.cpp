#include "runtime/process/personality.h"

#include <sys/personality.h>

#include <string>

namespace krill::process {

Result<unsigned long> personality_domain_from_name(std::string_view name) {
  if (name == "LINUX") return PER_LINUX;
  if (name == "LINUX32") return PER_LINUX32;
  return fail("unknown personality domain \"" + std::string(name) + "\"");
}

Result<void> apply_personality(const oci::Personality& p) {
  unsigned long persona = KRILL_TRY(personality_domain_from_name(p.domain));
  if (!p.flags.empty())
    return fail("personality flag \"" + p.flags.front() + "\" is not supported");
  if (::personality(persona) == -1) return fail_errno("set personality " + p.domain);
  return {};
}

}  // namespace krill::process
