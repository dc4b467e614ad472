#include "transport/cert_dirs.h"

#include <sys/stat.h>

namespace krill::transport {

std::vector<std::string> default_cert_roots(const std::string& home, bool rootless) {
  std::vector<std::string> roots;
  if (rootless && !home.empty()) roots.push_back(home + "/.config/containers/certs.d");
  roots.push_back("/etc/containers/certs.d");
  roots.push_back("/etc/docker/certs.d");
  return roots;
}

std::string per_host_cert_dir(const std::vector<std::string>& roots, const std::string& host) {
  if (host.empty() || host.find('/') != std::string::npos || host == "." || host == "..") return "";
  for (const auto& root : roots) {
    const std::string dir = root + "/" + host;
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return dir;
  }
  return "";
}

}  // namespace krill::transport
