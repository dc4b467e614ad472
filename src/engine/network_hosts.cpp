#include "engine/network_hosts.h"

#include <fcntl.h>
#include <unistd.h>

#include <set>

#include "base/file_io.h"
#include "base/unique_fd.h"

namespace krill::engine {
namespace {

constexpr std::string_view kMarker = "# krill: containers on the same networks\n";

std::string without_prefix(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

}  // namespace

std::string peer_hosts_section(const std::string& id, const network::ContainerNetworkState& self,
                               const NetworkStates& states) {
  std::set<std::string> my_networks;
  for (const auto& attached : self.networks)
    if (attached.dns) my_networks.insert(attached.network_id);
  std::string lines;
  for (const auto& [other_id, other] : states) {
    if (other_id == id) continue;
    for (const auto& attached : other.networks) {
      if (!my_networks.contains(attached.network_id)) continue;
      std::string names = other.container_name;
      for (const auto& alias : attached.aliases)
        if (alias != other.container_name) names += " " + alias;
      for (const auto& address : attached.addresses)
        lines += without_prefix(address) + "\t" + names + "\n";
    }
  }
  if (lines.empty()) return "";
  return std::string(kMarker) + lines;
}

Result<void> replace_peer_hosts_section(const std::string& path, std::string_view section) {
  auto current = read_file(path);
  if (!current) {
    if (current.error().errno_value() == ENOENT) return {};
    return std::unexpected(current.error());
  }
  std::string content = *current;
  if (auto at = content.find(kMarker); at != std::string::npos) content.erase(at);
  content += section;
  if (content == *current) return {};
  // Overwritten from the start, then cut to length: a lookup meanwhile never sees an empty
  // file (no localhost). A shorter text is padded to the old length with a comment, so the
  // moment before the cut shows the new lines and a comment, never the tail of an old line.
  size_t final_size = content.size();
  if (content.size() < current->size()) {
    content += "\n#";
    content.resize(current->size(), ' ');
  }
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return fail_errno("open " + path);
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::pwrite(fd.get(), content.data() + written, content.size() - written,
                         static_cast<off_t>(written));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("write " + path);
    written += static_cast<size_t>(n);
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(final_size)) != 0)
    return fail_errno("truncate " + path);
  return {};
}

}  // namespace krill::engine
