#include "registry_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string_view>
#include <thread>
#include <vector>

#include "base/file_io.h"
#include "base/unique_fd.h"
#include "transport/auth_file.h"

namespace krill::transport::testing {

namespace {

std::string base64url(std::string_view data) {
  std::string s = base64_encode(data);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

Result<std::string> read_fd_all(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

TempDir::TempDir() {
  char templ[] = "/tmp/krill-transport-XXXXXX";
  if (::mkdtemp(templ)) path_ = templ;
}

TempDir::~TempDir() {
  if (!path_.empty()) (void)remove_all(path_);
}

int free_port() {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

Result<std::string> run_program(const std::vector<std::string>& argv) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return fail_errno("pipe");
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork");
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  UniqueFd out_fd(out[0]), err_fd(err[0]);
  // Small outputs only: read stdout then stderr.
  std::string stdout_text = *read_fd_all(out_fd.get());
  std::string stderr_text = *read_fd_all(err_fd.get());
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(argv[0] + " failed: " + stderr_text);
  return stdout_text;
}

Result<TestPki> TestPki::create(const std::string& dir) {
  TestPki pki;
  pki.ca_cert = dir + "/ca.crt";
  pki.ca_key = dir + "/ca.key";
  pki.server_cert = dir + "/server.crt";
  pki.server_key = dir + "/server.key";
  std::string csr = dir + "/server.csr", ext = dir + "/server.ext";
  KRILL_TRY(run_program({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                         pki.ca_key, "-out", pki.ca_cert, "-days", "2", "-subj",
                         "/CN=krill test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                         "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"}));
  KRILL_TRY(run_program({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
                         pki.server_key, "-out", csr, "-subj", "/CN=127.0.0.1"}));
  KRILL_CHECK(write_file_atomic(ext,
                                "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                "extendedKeyUsage=serverAuth\n"));
  KRILL_TRY(
      run_program({"openssl", "x509", "-req", "-in", csr, "-CA", pki.ca_cert, "-CAkey", pki.ca_key,
                   "-CAcreateserial", "-out", pki.server_cert, "-days", "2", "-extfile", ext}));
  return pki;
}

Result<TokenSigner> TokenSigner::create(const std::string& cert_file, const std::string& key_file) {
  TokenSigner signer;
  signer.key_pem_ = KRILL_TRY(read_file(key_file));
  std::string cert_pem = KRILL_TRY(read_file(cert_file));
  BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!cert) return fail("parse " + cert_file);
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  X509_free(cert);
  if (len <= 0) return fail("encode " + cert_file);
  signer.cert_der_base64_ = base64_encode(std::string_view(reinterpret_cast<char*>(der), len));
  OPENSSL_free(der);
  return signer;
}

Result<std::string> TokenSigner::sign(const std::string& issuer, const std::string& audience,
                                      const std::string& subject,
                                      const std::string& access_json) const {
  long now = static_cast<long>(std::time(nullptr));
  std::string header = R"({"typ":"JWT","alg":"RS256","x5c":[")" + cert_der_base64_ + R"("]})";
  std::string claims = R"({"iss":")" + issuer + R"(","sub":")" + subject + R"(","aud":")" +
                       audience + R"(","exp":)" + std::to_string(now + 300) + R"(,"nbf":)" +
                       std::to_string(now - 60) + R"(,"iat":)" + std::to_string(now - 60) +
                       R"(,"jti":")" + std::to_string(now) + std::to_string(std::rand()) +
                       R"(","access":)" + access_json + "}";
  std::string signing_input = base64url(header) + "." + base64url(claims);
  BIO* bio = BIO_new_mem_buf(key_pem_.data(), static_cast<int>(key_pem_.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) return fail("parse the token signing key");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t sig_len = 0;
  std::string sig;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestSign(ctx, nullptr, &sig_len,
                           reinterpret_cast<const unsigned char*>(signing_input.data()),
                           signing_input.size()) == 1;
  if (ok) {
    sig.resize(sig_len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &sig_len,
                        reinterpret_cast<const unsigned char*>(signing_input.data()),
                        signing_input.size()) == 1;
    sig.resize(sig_len);
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!ok) return fail("sign the token");
  return signing_input + "." + base64url(sig);
}

Result<std::unique_ptr<RegistryServer>> RegistryServer::start(
    const RegistryServerOptions& options) {
  std::unique_ptr<RegistryServer> server(new RegistryServer());
  server->dir_ = std::make_unique<TempDir>();
  const std::string dir = server->dir_->path();
  if (dir.empty()) return fail("mkdtemp for the registry");
  server->port_ = free_port();
  server->log_ = dir + "/registry.log";
  std::string config =
      "version: 0.1\n"
      "log:\n  level: info\n  accesslog:\n    disabled: true\n"
      "storage:\n  filesystem:\n    rootdirectory: " +
      dir +
      "/storage\n"
      "  delete:\n    enabled: true\n"
      "  maintenance:\n    uploadpurging:\n      enabled: false\n"
      "http:\n  addr: 127.0.0.1:" +
      std::to_string(server->port_) +
      "\n"
      "  secret: krill-test-secret\n";
  if (!options.tls_cert.empty())
    config +=
        "  tls:\n    certificate: " + options.tls_cert + "\n    key: " + options.tls_key + "\n";
  if (!options.htpasswd_file.empty())
    config +=
        "auth:\n  htpasswd:\n    realm: krill-test\n    path: " + options.htpasswd_file + "\n";
  if (!options.token_realm.empty())
    config += "auth:\n  token:\n    realm: " + options.token_realm +
              "\n    service: " + options.token_service + "\n    issuer: " + options.token_issuer +
              "\n    rootcertbundle: " + options.token_rootcertbundle + "\n";
  KRILL_CHECK(write_file_atomic(dir + "/config.yml", config));

  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork");
  if (pid == 0) {
    int log = ::open(server->log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(log, 1);
    ::dup2(log, 2);
    std::string cfg = dir + "/config.yml";
    // docker-registry reads REGISTRY_* variables as configuration overrides (and podman's
    // REGISTRY_AUTH_FILE would make it refuse to start): the config file alone decides.
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e)
      if (std::string_view(*e).substr(0, 9) != "REGISTRY_") env.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    ::execle("/usr/bin/docker-registry", "docker-registry", "serve", cfg.c_str(), nullptr,
             envp.data());
    ::_exit(127);
  }
  server->pid_ = pid;
  // Ready when the port accepts connections.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      auto log = read_file(server->log_);
      return fail("docker-registry exited: " + (log ? *log : std::string()));
    }
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(server->port_));
    // Ours, not another test's server that took the port first: the log says it listens.
    auto log = read_file(server->log_);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && log &&
        log->find("listening on") != std::string::npos)
      return server;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fail("docker-registry did not listen on " + server->host());
}

RegistryServer::~RegistryServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
}

}  // namespace krill::transport::testing
