// Where a registry's certificates are when no --cert-dir is given, as containers/image looks:
// the first of <root>/<host[:port]> that exists, for the roots $HOME/.config/containers/certs.d
// (rootless only), /etc/containers/certs.d and /etc/docker/certs.d. The directory holds *.crt
// CAs and a *.cert/*.key client certificate (see RegistryClient's cert_dir).
#pragma once

#include <string>
#include <vector>

namespace krill::transport {

// The roots in containers/image's order; `home` empty: no per-user root.
std::vector<std::string> default_cert_roots(const std::string& home, bool rootless);

// The first <root>/<host> directory that exists; "" when none does.
std::string per_host_cert_dir(const std::vector<std::string>& roots, const std::string& host);

}  // namespace krill::transport
