// Test helpers: a temporary directory, a CA with a server certificate for 127.0.0.1 (made with
// the openssl CLI), a JWT signer for the registry's token auth, and Debian's docker-registry
// running on 127.0.0.1 with its own config and storage, killed by pid on destruction.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/error.h"

namespace krill::transport::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs a program (no shell), returns its stdout; error with stderr on a non-zero exit.
Result<std::string> run_program(const std::vector<std::string>& argv);

struct TestPki {
  std::string ca_cert, ca_key;          // CA
  std::string server_cert, server_key;  // CN/SAN 127.0.0.1, signed by the CA
  // In `dir`. RSA keys (the token signer needs RS256).
  static Result<TestPki> create(const std::string& dir);
};

// Signs registry tokens (JWT RS256 with an x5c header naming the certificate).
class TokenSigner {
 public:
  static Result<TokenSigner> create(const std::string& cert_file, const std::string& key_file);
  // access: [{"type":"repository","name":name,"actions":[...]}...] as JSON text.
  Result<std::string> sign(const std::string& issuer, const std::string& audience,
                           const std::string& subject, const std::string& access_json) const;

 private:
  std::string cert_der_base64_;
  std::string key_pem_;
};

struct RegistryServerOptions {
  std::string htpasswd_file;      // basic auth when set
  std::string tls_cert, tls_key;  // TLS when set
  // Token auth when realm is set.
  std::string token_realm, token_service, token_issuer, token_rootcertbundle;
};

class RegistryServer {
 public:
  static Result<std::unique_ptr<RegistryServer>> start(const RegistryServerOptions& options);
  ~RegistryServer();
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& log_file() const { return log_; }

 private:
  RegistryServer() = default;
  std::unique_ptr<TempDir> dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

// A free TCP port on 127.0.0.1 (bound then released).
int free_port();

}  // namespace krill::transport::testing
