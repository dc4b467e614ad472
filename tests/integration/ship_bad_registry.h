// A misbehaving registry for the ship tests (tests/integration/ship_bad_registry.py, Debian's
// python3) on 127.0.0.1: it serves the one image of an OCI layout (write_oci_layout) under
// /v2/MODE/..., where MODE says how it misbehaves (a manifest whose bytes do not match its
// digest, a truncated or stalling blob, 429/500 answers, a redirect to a second port, ...; the
// script's docstring lists them). Every /v2/ request needs basic auth with creds(). The process
// is killed by pid on destruction and its files removed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ship_harness.h"

namespace krill::it::ship {

class BadRegistry {
 public:
  explicit BadRegistry(const std::string& layout);
  bool ok() const { return port_ > 0 && storage_port_ > 0; }
  const std::string& error() const { return error_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // The second origin redirected blob requests can go to ("blob storage").
  int storage_port() const { return storage_port_; }
  // "user:password" for --creds.
  std::string creds() const { return "krill-user:krill-secret"; }
  // Every request so far: {"port", "method", "path", "range", "authorization", "status"}.
  std::vector<json> requests() const;
  std::string output() const;

 private:
  TempDir dir_;
  std::string error_;
  std::unique_ptr<BackgroundProcess> process_;
  int port_ = 0, storage_port_ = 0;
};

}  // namespace krill::it::ship
