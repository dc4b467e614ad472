// krill login / logout: credentials in containers-auth.json, verified against the registry.
#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "cli/krill/commands.h"
#include "cli/krill/registry_access.h"
#include "transport/auth_file.h"

namespace krill::cli {
namespace {

// "https://host/v2/", "docker://host/ns" -> "host".
std::string registry_host(std::string text) {
  for (std::string_view scheme : {"https://", "http://", "docker://"})
    if (text.starts_with(scheme)) text.erase(0, scheme.size());
  auto slash = text.find('/');
  if (slash != std::string::npos) text.erase(slash);
  return transport::normalize_registry_host(text);
}

std::string read_line(Context& ctx, const std::string& prompt, bool hide) {
  if (ctx.in_is_terminal) ctx.err << prompt << std::flush;
  termios saved{};
  bool restore = false;
  if (hide && ctx.in_is_terminal && tcgetattr(STDIN_FILENO, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    restore = tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0;
  }
  std::string line;
  std::getline(ctx.in, line);
  if (restore) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    ctx.err << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string auth_file_for_writing(const std::string& flag) {
  return flag.empty() ? transport::default_auth_file_for_writing() : flag;
}

}  // namespace

Result<int> run_login(Context& ctx, const LoginOptions& o) {
  std::string host = registry_host(o.registry);
  if (host.empty()) return fail("login: no registry given");
  const auto& flags = o.registry_flags;
  if (o.get_login) {
    std::vector<std::string> files = flags.authfile.empty()
                                         ? transport::default_auth_files()
                                         : std::vector<std::string>{flags.authfile};
    auto creds = KRILL_TRY(transport::lookup_credentials(host, files));
    if (!creds) return fail("not logged into " + host);
    ctx.out << creds->username << "\n";
    return 0;
  }
  if (o.password_stdin && !o.password.empty())
    return fail("--password and --password-stdin are mutually exclusive");
  if (o.password_stdin && o.username.empty()) return fail("--password-stdin needs --username");
  transport::Credentials creds;
  creds.username = o.username;
  creds.password = o.password;
  if (o.password_stdin) {
    std::string all((std::istreambuf_iterator<char>(ctx.in)), std::istreambuf_iterator<char>());
    while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
    creds.password = all;
  }
  if (creds.username.empty()) creds.username = read_line(ctx, "Username: ", false);
  if (creds.password.empty() && !o.password_stdin)
    creds.password = read_line(ctx, "Password: ", true);
  if (creds.username.empty()) return fail("login to " + host + ": a user name is required");
  if (creds.password.empty()) return fail("login to " + host + ": a password is required");

  auto options = client_options(ctx, flags);
  options.credentials = creds;
  options.auth_files = std::vector<std::string>{};  // check these credentials, not stored ones
  auto client =
      KRILL_TRY(connect_registry(ctx, host, options, registry_is_insecure(ctx, host, flags)));
  if (auto pinged = client.ping(); !pinged)
    return fail("authenticating creds for \"" + host + "\": " + pinged.error().message());
  KRILL_CHECK(transport::store_credentials(auth_file_for_writing(flags.authfile), host, creds));
  ctx.out << "Login Succeeded!\n";
  return 0;
}

Result<int> run_logout(Context& ctx, const LogoutOptions& o) {
  std::string path = auth_file_for_writing(o.authfile);
  if (o.all) {
    std::ifstream file(path);
    if (file) {
      auto doc = nlohmann::json::parse(file, nullptr, false);
      if (doc.is_object() && doc.contains("auths") && doc["auths"].is_object()) {
        std::vector<std::string> hosts;
        for (auto it = doc["auths"].begin(); it != doc["auths"].end(); ++it)
          hosts.push_back(it.key());
        for (const auto& h : hosts) KRILL_TRY(transport::remove_credentials(path, h));
      }
    }
    ctx.out << "Removed login credentials for all registries\n";
    return 0;
  }
  if (o.registry.empty()) return fail("logout: a registry is required (or --all)");
  std::string host = registry_host(o.registry);
  bool removed = KRILL_TRY(transport::remove_credentials(path, host));
  if (!removed) return fail("not logged into " + host);
  ctx.out << "Removed login credentials for " << host << "\n";
  return 0;
}

}  // namespace krill::cli
