#include "ship_bad_registry.h"

#include <cstdio>

namespace krill::it::ship {

BadRegistry::BadRegistry(const std::string& layout) : dir_("bad-registry") {
  const std::string script = source_dir() + "/tests/integration/ship_bad_registry.py";
  const std::string user = creds().substr(0, creds().find(':'));
  const std::string password = creds().substr(creds().find(':') + 1);
  process_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{"/usr/bin/python3", script, layout, user, password,
                               dir_.path() + "/requests.jsonl"},
      std::vector<std::string>{}, dir_.path() + "/output");
  // "listening on 127.0.0.1:PORT storage 127.0.0.1:PORT2"
  std::string banner = wait_for_banner(dir_.path() + "/output", "listening on 127.0.0.1:");
  if (std::sscanf(banner.c_str(), "%d storage 127.0.0.1:%d", &port_, &storage_port_) != 2) {
    port_ = storage_port_ = 0;
    error_ = "the misbehaving registry did not start: " + output();
  }
}

std::vector<json> BadRegistry::requests() const {
  return read_json_lines(dir_.path() + "/requests.jsonl");
}

std::string BadRegistry::output() const { return read_file(dir_.path() + "/output"); }

}  // namespace krill::it::ship
