// pasta: its command line, starting it in the background, stopping it by its pid file.
#include "network/pasta.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/child_process.h"
#include "base/file_io.h"
#include "base/program_path.h"

extern char** environ;

namespace krill::network {
namespace {

// "-t" spec of one protocol's mappings: "[ADDR/]HOST:CONTAINER,...", or "none".
Result<std::string> port_spec(const std::vector<PortMapping>& ports, const std::string& protocol) {
  std::string spec;
  for (const auto& port : ports) {
    if (port.protocol != protocol) continue;
    if (port.host_port == 0)
      return fail("publish port " + std::to_string(port.container_port) +
                  ": a rootless container needs the host port given (-p HOST:" +
                  std::to_string(port.container_port) + ")");
    if (!spec.empty()) spec += ',';
    if (!port.host_ip.empty()) spec += port.host_ip + "/";
    spec += std::to_string(port.host_port) + ":" + std::to_string(port.container_port);
  }
  return spec.empty() ? std::string("none") : spec;
}

// The pid in `pid_file` when that process is a pasta, else 0.
pid_t running_pasta(const std::string& pid_file) {
  auto text = read_file(pid_file);
  if (!text) return 0;
  long pid = std::strtol(text->c_str(), nullptr, 10);
  if (pid <= 1) return 0;
  auto comm = read_file("/proc/" + std::to_string(pid) + "/comm");
  if (!comm || (!comm->starts_with("pasta") && !comm->starts_with("passt"))) return 0;
  return static_cast<pid_t>(pid);
}

}  // namespace

Result<std::vector<std::string>> pasta_arguments(const PastaRequest& request) {
  for (const auto& port : request.ports)
    if (port.protocol != "tcp" && port.protocol != "udp")
      return fail("publish port " + std::to_string(port.container_port) + "/" + port.protocol +
                  ": rootless containers publish tcp and udp ports only");
  std::vector<std::string> argv = {request.binary, "--config-net", "--quiet"};
  argv.insert(argv.end(), {"-t", KRILL_TRY(port_spec(request.ports, "tcp"))});
  argv.insert(argv.end(), {"-u", KRILL_TRY(port_spec(request.ports, "udp"))});
  // Nothing of the container's is forwarded to the host's ports on its own.
  argv.insert(argv.end(), {"-T", "none", "-U", "none"});
  if (!request.pid_file.empty()) argv.insert(argv.end(), {"--pid", request.pid_file});
  argv.insert(argv.end(), {"--netns", request.netns_path});
  return argv;
}

bool host_has_default_route() {
  std::ifstream v4("/proc/net/route");
  std::string line;
  std::getline(v4, line);  // header
  while (std::getline(v4, line)) {
    std::istringstream fields(line);
    std::string iface, destination;
    if (fields >> iface >> destination && destination == "00000000") return true;
  }
  std::ifstream v6("/proc/net/ipv6_route");
  while (std::getline(v6, line)) {
    // Destination and its prefix length come first: "000...000 00 ...", lo's entries excepted.
    if (line.starts_with("00000000000000000000000000000000 00 ") &&
        line.find(" lo") == std::string::npos)
      return true;
  }
  return false;
}

Result<void> start_pasta(const PastaRequest& request) {
  PastaRequest resolved = request;
  resolved.binary = find_program(request.binary);
  if (resolved.binary.empty())
    return fail("start pasta: " + request.binary +
                " not found: rootless networking needs the passt package (or --network none)");
  auto argv = KRILL_TRY(pasta_arguments(resolved));
  // pasta gives the namespace a tap device through /dev/net/tun, which udev makes 0666; a host
  // without udev may keep the kernel's 0600 (pasta then says only "Failed to open tun socket").
  if (::access("/dev/net/tun", R_OK | W_OK) != 0)
    return fail_errno(
        "start pasta: /dev/net/tun is not usable (it must be mode 0666, as udev "
        "makes it; or use --network none)");
  ChildSpec spec;
  spec.path = resolved.binary;
  spec.argv = argv;
  for (char** e = environ; *e != nullptr; ++e) spec.env.emplace_back(*e);
  spec.timeout = std::chrono::seconds(30);
  // pasta forks into the background once it is set up; the foreground process then exits.
  auto outcome = KRILL_TRY(run_child(spec));
  if (outcome.exec_errno != 0)
    return fail_errno("start pasta: run " + spec.path, outcome.exec_errno);
  if (!outcome.succeeded()) {
    std::string message = outcome.stderr_text;
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    (void)stop_pasta(request.pid_file);
    return fail("start pasta: " + outcome.describe() + (message.empty() ? "" : ": " + message));
  }
  return {};
}

Result<void> stop_pasta(const std::string& pid_file) {
  if (pid_file.empty()) return {};
  if (pid_t pid = running_pasta(pid_file); pid != 0 && ::kill(pid, SIGTERM) != 0 && errno != ESRCH)
    return fail_errno("stop pasta " + std::to_string(pid));
  if (::unlink(pid_file.c_str()) != 0 && errno != ENOENT) return fail_errno("remove " + pid_file);
  return {};
}

}  // namespace krill::network
