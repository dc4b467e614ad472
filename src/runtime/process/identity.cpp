#include "runtime/process/identity.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/process/small_file.h"

namespace krill::process {
namespace {

// True when /proc/self/setgroups reads "deny". Kernels without the file allow setgroups.
bool setgroups_denied() {
  char buffer[16];
  auto n = read_small_file("/proc/self/setgroups", buffer, sizeof(buffer));
  if (!n) return false;
  return std::string_view(buffer, *n).starts_with("deny");
}

std::string gid_list_text(const std::vector<gid_t>& gids) {
  std::string text = "[";
  for (size_t i = 0; i < gids.size(); ++i) {
    if (i != 0) text += ' ';
    text += std::to_string(gids[i]);
  }
  return text + "]";
}

}  // namespace

Result<void> apply_user(const oci::User& user) {
  // Checked before any credential changes so a bad value leaves the process as it was.
  if (user.umask && *user.umask > 0777)
    return fail("set umask to " + std::to_string(*user.umask) + ": not a file mode (max 0777)");
  bool denied = setgroups_denied();
  if (denied && !user.additional_gids.empty())
    return fail("set additional gids " +
                gid_list_text({user.additional_gids.begin(), user.additional_gids.end()}) +
                ": setgroups is denied in this user namespace (/proc/self/setgroups is \"deny\")");
  if (!denied) {
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    bool has_primary = false;
    for (gid_t gid : groups) has_primary = has_primary || gid == user.gid;
    if (!has_primary) groups.push_back(user.gid);
    if (::setgroups(groups.size(), groups.data()) != 0)
      return fail_errno("setgroups to " + gid_list_text(groups));
  }
  if (::setresgid(user.gid, user.gid, user.gid) != 0)
    return fail_errno("setresgid to " + std::to_string(user.gid));
  if (::setresuid(user.uid, user.uid, user.uid) != 0)
    return fail_errno("setresuid to " + std::to_string(user.uid));
  if (user.umask) ::umask(static_cast<mode_t>(*user.umask));
  return {};
}

}  // namespace krill::process
