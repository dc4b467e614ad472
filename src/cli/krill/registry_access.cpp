#include "cli/krill/registry_access.h"

#include <cstdlib>

#include "image/registries_conf.h"
#include "transport/insecure_registry.h"

namespace krill::cli {

transport::Credentials parse_creds(const std::string& creds) {
  transport::Credentials c;
  auto colon = creds.find(':');
  c.username = creds.substr(0, colon);
  if (colon != std::string::npos) c.password = creds.substr(colon + 1);
  return c;
}

transport::ClientOptions client_options(const Context& ctx, const RegistryFlags& flags) {
  transport::ClientOptions o;
  o.rootless = ctx.rootless();
  o.tls_verify = flags.tls_verify;
  o.cert_dir = flags.cert_dir;
  if (!flags.creds.empty()) o.credentials = parse_creds(flags.creds);
  if (!flags.authfile.empty()) o.auth_files = std::vector<std::string>{flags.authfile};
  return o;
}

namespace {

bool conf_says_insecure(const Context& ctx, const std::string& host) {
  std::vector<std::string> paths;
  if (!ctx.global.registries_conf.empty()) {
    paths.push_back(ctx.global.registries_conf);
  } else {
    const char* home = std::getenv("HOME");
    const char* env = std::getenv("CONTAINERS_REGISTRIES_CONF");
    paths = image::default_registries_conf_paths(home ? home : "", env ? env : "");
  }
  auto conf = image::load_registries_conf(paths);
  if (!conf) {
    ctx.warn(conf.error().message());
    return false;
  }
  return conf->is_insecure(host);
}

}  // namespace

bool registry_is_insecure(const Context& ctx, const std::string& host, const RegistryFlags& flags) {
  return !flags.tls_verify || conf_says_insecure(ctx, host);
}

Result<transport::RegistryClient> connect_registry(const Context& ctx, const std::string& host,
                                                   const RegistryFlags& flags) {
  transport::ClientOptions options = client_options(ctx, flags);
  if (auto stall = ctx.registry_stall_timeout_seconds()) options.stall_timeout_seconds = *stall;
  return connect_registry(ctx, host, std::move(options), registry_is_insecure(ctx, host, flags));
}

Result<transport::RegistryClient> connect_registry(const Context& ctx, const std::string& host,
                                                   transport::ClientOptions options,
                                                   bool insecure) {
  if (insecure) options = KRILL_TRY(transport::resolve_insecure_protocol(host, std::move(options)));
  ctx.debug("registry " + host + (options.plain_http ? " speaks plain HTTP" : " speaks HTTPS"));
  return transport::RegistryClient::create(host, options);
}

Result<image::Reference> docker_reference(std::string_view text, std::string_view command) {
  std::string_view rest = text;
  if (rest.starts_with("docker://")) {
    rest.remove_prefix(9);
  } else if (has_transport_prefix(rest)) {
    return fail(std::string(command) + " needs a docker:// reference, got " + std::string(text));
  }
  return image::parse_reference(rest);
}

}  // namespace krill::cli
