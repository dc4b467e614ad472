#include "ship_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

extern char** environ;

#ifndef KRILL_BINARY
#define KRILL_BINARY "krill"
#endif

namespace krill::it::ship {
namespace {

namespace fs = std::filesystem;

// `base` with `extra` added; an entry of `extra` replaces the one with the same key.
std::vector<std::string> merge_env(const std::vector<std::string>& base,
                                   const std::vector<std::string>& extra) {
  std::vector<std::string> out = extra;
  for (const auto& entry : base) {
    std::string key = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (const auto& e : extra)
      if (e.rfind(key, 0) == 0) replaced = true;
    if (!replaced) out.push_back(entry);
  }
  return out;
}

bool port_accepts(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(s);
  return ok;
}

std::string octal(unsigned long value, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*lo", width, value);
  return buf;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> curl_manifest_args(const Registry& registry, const std::string& repository,
                                            const std::string& reference,
                                            const std::string& credentials) {
  std::vector<std::string> argv = {
      "curl",       "-s",
      "--max-time", "20",
      "-H",         "Accept: application/vnd.oci.image.manifest.v1+json",
      "-H",         "Accept: application/vnd.docker.distribution.manifest.v2+json",
      "-H",         "Accept: application/vnd.oci.image.index.v1+json",
      "-H",         "Accept: application/vnd.docker.distribution.manifest.list.v2+json"};
  if (registry.tls()) argv.push_back("-k");
  if (!credentials.empty()) argv.insert(argv.end(), {"-u", credentials});
  argv.push_back(std::string(registry.tls() ? "https://" : "http://") + registry.host() + "/v2/" +
                 repository + "/manifests/" + reference);
  return argv;
}

}  // namespace

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(s);
  return ntohs(addr.sin_port);
}

const std::string& krill_binary() {
  static const std::string binary = [] {
    const char* value = std::getenv("KRILL_TEST_KRILL");
    return (value && *value) ? std::string(value) : std::string(KRILL_BINARY);
  }();
  return binary;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// ---- registry -------------------------------------------------------------------------------

Registry::Registry(const RegistryOptions& options) : dir_("registry") {
  tls_ = !options.tls_cert.empty();
  // The free port can be taken by someone else between our probe and the registry's bind: retry.
  for (int attempt = 0; attempt < 3 && pid_ <= 0; ++attempt) start_once(options);
}

bool Registry::start_once(const RegistryOptions& options) {
  port_ = free_port();
  const std::string config_path = dir_.path() + "/config.yml";
  std::string config =
      "version: 0.1\n"
      "log:\n  level: info\n  accesslog:\n    disabled: true\n"
      "storage:\n  filesystem:\n    rootdirectory: " +
      storage_dir() +
      "\n  delete:\n    enabled: true\n"
      "  maintenance:\n    uploadpurging:\n      enabled: false\n"
      "http:\n  addr: 127.0.0.1:" +
      std::to_string(port_) + "\n  secret: krill-ship-test\n";
  if (tls_)
    config +=
        "  tls:\n    certificate: " + options.tls_cert + "\n    key: " + options.tls_key + "\n";
  if (!options.htpasswd_file.empty())
    config +=
        "auth:\n  htpasswd:\n    realm: krill-ship\n    path: " + options.htpasswd_file + "\n";
  if (!options.token_realm.empty())
    config += "auth:\n  token:\n    realm: " + options.token_realm +
              "\n    service: " + options.token_service + "\n    issuer: " + options.token_issuer +
              "\n    rootcertbundle: " + options.token_rootcertbundle + "\n";
  if (!write_file(config_path, config)) {
    error_ = "write " + config_path;
    return false;
  }
  const std::string log_path = dir_.path() + "/registry.log";
  pid_t pid = ::fork();
  if (pid < 0) {
    error_ = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) {
    int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ::dup2(log, 1);
    ::dup2(log, 2);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    // docker-registry reads REGISTRY_* variables as configuration overrides.
    std::vector<std::string> names;
    for (char** e = environ; e && *e; ++e)
      if (std::strncmp(*e, "REGISTRY_", 9) == 0) names.emplace_back(*e, std::strcspn(*e, "="));
    for (const auto& name : names) ::unsetenv(name.c_str());
    ::execl("/usr/bin/docker-registry", "docker-registry", "serve", config_path.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  const std::string listening = "listening on 127.0.0.1:" + std::to_string(port_);
  const std::string url = std::string(tls_ ? "https://" : "http://") + host() + "/v2/";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "docker-registry exited: " + read_file(log_path);
      return false;
    }
    // Ours (its log says it listens on the port) and answering HTTP.
    if (read_file(log_path).find(listening) != std::string::npos && port_accepts(port_)) {
      CommandResult r = run_command(
          {"curl", "-s", "-k", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}", url});
      if (r.out == "200" || r.out == "401") return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  error_ = "docker-registry did not answer on " + host() + ": " + read_file(log_path);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return false;
}

Registry::~Registry() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

std::string Registry::blob_data_path(const std::string& digest) const {
  std::string hex = digest.substr(digest.find(':') + 1);
  return storage_dir() + "/docker/registry/v2/blobs/sha256/" + hex.substr(0, 2) + "/" + hex +
         "/data";
}

std::string Registry::log() const { return read_file(dir_.path() + "/registry.log"); }

std::string registry_manifest_digest(const Registry& registry, const std::string& repository,
                                     const std::string& reference, const std::string& credentials) {
  std::vector<std::string> argv = curl_manifest_args(registry, repository, reference, credentials);
  argv.insert(argv.begin() + 1, "-I");
  CommandResult r = run_command(argv);
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::string lower = line;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("docker-content-digest:", 0) == 0)
      return trim(line.substr(line.find(':') + 1).erase(0, 1));
  }
  return "";
}

std::string registry_manifest(const Registry& registry, const std::string& repository,
                              const std::string& reference, const std::string& credentials) {
  CommandResult r = run_command(curl_manifest_args(registry, repository, reference, credentials));
  return r.ok() ? r.out : "";
}

RawManifest raw_manifest(const ShipEnv& env, const std::string& reference) {
  RawManifest raw;
  raw.result = env.krill({"image", "inspect", "--raw", "--tls-verify=false", reference});
  if (!raw.result.ok()) return raw;
  raw.manifest = parse_json(raw.result.out);
  TempDir scratch("raw-manifest");
  const std::string file = scratch.path() + "/manifest";
  write_file(file, raw.result.out);
  raw.digest = sha256_file(file);
  return raw;
}

// ---- environment ----------------------------------------------------------------------------

ShipEnv::ShipEnv(std::string_view hint) : dir_(hint) {
  for (const char* sub : {"/home", "/auth", "/xdg-run", "/xdg-config", "/docker", "/tmp"})
    ::mkdir((dir() + sub).c_str(), 0700);
  // No search registries, no mirrors, nothing insecure: only what the flags say.
  write_file(registries_conf(), "unqualified-search-registries = []\n");
}

std::vector<std::string> ShipEnv::env() const {
  return {"HOME=" + home(),
          "REGISTRY_AUTH_FILE=" + auth_file(),
          "XDG_RUNTIME_DIR=" + dir() + "/xdg-run",
          "XDG_CONFIG_HOME=" + dir() + "/xdg-config",
          "XDG_DATA_HOME=" + dir() + "/xdg-data",
          "DOCKER_CONFIG=" + dir() + "/docker",
          "CONTAINERS_REGISTRIES_CONF=" + registries_conf(),
          "CONTAINERS_CONF=/dev/null",
          "TMPDIR=" + dir() + "/tmp"};
}

CommandResult ShipEnv::run(const std::vector<std::string>& argv, CommandOptions options) const {
  options.env = merge_env(env(), options.env);
  return run_command(argv, options);
}

CommandResult ShipEnv::krill(const std::vector<std::string>& args, CommandOptions options) const {
  std::vector<std::string> argv = {krill_binary(),   "--root",   store(),
                                   "--runroot",      run_root(), "--registries-conf",
                                   registries_conf()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, options);
}

CommandResult ShipEnv::skopeo(const std::vector<std::string>& args, CommandOptions options) const {
  std::vector<std::string> argv = {"skopeo", "--insecure-policy", "--registries-conf",
                                   registries_conf()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, options);
}

json ShipEnv::inspect(const std::string& reference) const {
  CommandResult r = krill({"image", "inspect", reference});
  if (!r.ok()) return json::value_t::discarded;
  json parsed = parse_json(r.out);
  if (parsed.is_array() && parsed.size() == 1) return parsed[0];
  return parsed;
}

json ShipEnv::images() const {
  CommandResult r = krill({"images", "--format", "json"});
  json parsed = r.ok() ? parse_json(r.out) : json::array();
  return parsed.is_array() ? parsed : json::array();
}

std::vector<std::string> ShipEnv::image_ids() const {
  std::vector<std::string> ids;
  for (const auto& image : images())
    if (image.contains("Id") && image["Id"].is_string()) ids.push_back(image["Id"]);
  return ids;
}

// ---- background processes -------------------------------------------------------------------

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::vector<std::string>& env,
                                     const std::string& output_path)
    : output_path_(output_path) {
  std::vector<std::string> env_strings;
  for (char** e = environ; e && *e; ++e) env_strings.push_back(*e);
  env_strings = merge_env(env_strings, env);
  env_strings.push_back("KRILL_IT_MARKER=" + process_marker());
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (auto& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  int out = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execvpe(cargv[0], cargv.data(), cenv.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(null);
  pid_ = pid;
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

void BackgroundProcess::kill(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

int BackgroundProcess::wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return INT_MIN;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) != pid_) {
    if (std::chrono::steady_clock::now() > deadline) return INT_MIN;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return -WTERMSIG(status);
}

std::string BackgroundProcess::output() const { return read_file(output_path_); }

std::string wait_for_banner(const std::string& output_path, const std::string& banner,
                            std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = read_file(output_path);
    size_t at = text.find(banner);
    size_t end = at == std::string::npos ? at : text.find('\n', at);
    if (end != std::string::npos) return text.substr(at + banner.size(), end - at - banner.size());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

std::vector<json> read_json_lines(const std::string& path) {
  std::vector<json> out;
  std::string text = read_file(path);
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    json j = parse_json(text.substr(pos, end - pos));
    if (j.is_object()) out.push_back(std::move(j));
    pos = end + 1;
  }
  return out;
}

std::string source_dir() { return KRILL_SOURCE_DIR; }

// ---- token server ---------------------------------------------------------------------------

TokenServer::TokenServer(std::string user, std::string password, std::string service,
                         std::string issuer)
    : dir_("token-server"), service_(std::move(service)), issuer_(std::move(issuer)) {
  const std::string key = dir_.path() + "/signer.key";
  CommandResult r =
      run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                   "-out", certificate(), "-days", "2", "-subj", "/CN=krill test token signer"});
  if (!r.ok()) {
    error_ = "make the token signing certificate: " + r.describe();
    return;
  }
  const std::string script = source_dir() + "/tests/integration/ship_token_server.py";
  const std::string output = dir_.path() + "/output";
  process_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{"/usr/bin/python3", script, certificate(), key, user, password,
                               service_, issuer_, dir_.path() + "/requests.jsonl"},
      std::vector<std::string>{}, output);
  std::string banner = wait_for_banner(output, "listening on 127.0.0.1:");
  port_ = std::atoi(banner.c_str());
  if (port_ == 0) error_ = "the token server did not start: " + read_file(output);
}

RegistryOptions TokenServer::registry_options() const {
  RegistryOptions o;
  o.token_realm = realm();
  o.token_service = service_;
  o.token_issuer = issuer_;
  o.token_rootcertbundle = certificate();
  return o;
}

std::vector<json> TokenServer::requests() const {
  return read_json_lines(dir_.path() + "/requests.jsonl");
}

// ---- images and files -----------------------------------------------------------------------

std::string make_busybox_tarball(const std::string& dir) {
  const std::string rootfs = dir + "/busybox-rootfs";
  fs::create_directories(rootfs + "/bin");
  fs::create_directories(rootfs + "/etc");
  fs::create_directories(rootfs + "/tmp");
  fs::create_directories(rootfs + "/usr/share/doc");
  fs::copy_file(kBusybox, rootfs + "/bin/busybox", fs::copy_options::overwrite_existing);
  for (const char* applet : {"sh", "ls", "cat", "echo", "true", "id", "env"})
    fs::create_symlink("busybox", rootfs + "/bin/" + applet);
  fs::create_symlink("/bin/busybox", rootfs + "/usr/share/doc/absolute-link");
  fs::create_hard_link(rootfs + "/bin/busybox", rootfs + "/bin/busybox-hardlink");
  write_file(rootfs + "/etc/hostname", "krill-ship\n");
  write_file(rootfs + "/etc/motd", std::string(5000, 'm'));
  ::chmod((rootfs + "/tmp").c_str(), 01777);
  ::chmod((rootfs + "/etc/motd").c_str(), 0600);
  const std::string tar = dir + "/busybox-rootfs.tar";
  CommandResult r = run_command({"tar", "--numeric-owner", "-C", rootfs, "-cf", tar, "."});
  return r.ok() ? tar : "";
}

std::string import_busybox(const ShipEnv& env, const std::string& name, std::string* why) {
  std::string tar = make_busybox_tarball(env.dir());
  if (tar.empty()) {
    *why = "could not make the busybox tarball";
    return "";
  }
  CommandResult r = env.krill({"import", tar, name});
  if (!r.ok()) {
    *why = r.describe();
    return "";
  }
  return trim(r.out);
}

std::string import_tar(const ShipEnv& env, const std::vector<TarEntry>& entries,
                       const std::string& name, std::string* why) {
  TempDir scratch("import-tar");
  const std::string tar = scratch.path() + "/layer.tar";
  if (!write_file(tar, make_tar(entries))) {
    *why = "could not write " + tar;
    return "";
  }
  std::vector<std::string> args = {"import", "-q", tar};
  if (!name.empty()) args.push_back(name);
  CommandResult r = env.krill(args);
  if (!r.ok()) {
    *why = r.describe();
    return "";
  }
  return trim(r.out);
}

TarEntry tar_file(std::string name, std::string content, unsigned mode) {
  return TarEntry{std::move(name), '0', std::move(content), "", mode};
}
TarEntry tar_symlink(std::string name, std::string target) {
  return TarEntry{std::move(name), '2', "", std::move(target), 0777};
}
TarEntry tar_hardlink(std::string name, std::string target) {
  return TarEntry{std::move(name), '1', "", std::move(target), 0644};
}
TarEntry tar_directory(std::string name, unsigned mode) {
  return TarEntry{std::move(name), '5', "", "", mode};
}
TarEntry owned_by(TarEntry entry, unsigned uid, unsigned gid) {
  entry.uid = uid;
  entry.gid = gid;
  return entry;
}

std::string make_tar(const std::vector<TarEntry>& entries) {
  std::string out;
  for (const auto& entry : entries) {
    std::string header(512, '\0');
    if (entry.name.size() > 99 || entry.link.size() > 99) return "";
    header.replace(0, entry.name.size(), entry.name);
    header.replace(100, 7, octal(entry.mode, 7));
    header.replace(108, 7, octal(entry.uid, 7));
    header.replace(116, 7, octal(entry.gid, 7));
    size_t size = entry.type == '0' ? entry.content.size() : 0;
    header.replace(124, 11, octal(size, 11));
    header.replace(136, 11, octal(1700000000, 11));
    header.replace(148, 8, std::string(8, ' '));
    header[156] = entry.type;
    header.replace(157, entry.link.size(), entry.link);
    header.replace(257, 6, std::string("ustar\0", 6));
    header.replace(263, 2, "00");
    unsigned sum = 0;
    for (unsigned char c : header) sum += c;
    header.replace(148, 7, octal(sum, 6) + std::string(1, '\0'));
    out += header;
    if (size > 0) {
      out += entry.content;
      out.append((512 - size % 512) % 512, '\0');
    }
  }
  out.append(1024, '\0');
  return out;
}

std::string sha256_file(const std::string& path) {
  CommandResult r = run_command({"sha256sum", path});
  if (!r.ok() || r.out.size() < 64) return "";
  return "sha256:" + r.out.substr(0, 64);
}

std::string write_oci_layout(const std::string& dir, const std::string& tag,
                             const std::vector<LayoutLayer>& layers) {
  const std::string blobs = dir + "/blobs/sha256";
  fs::create_directories(blobs);
  auto add_blob_file = [&](const std::string& file) -> std::pair<std::string, uintmax_t> {
    std::string digest = sha256_file(file);
    if (digest.empty()) return {"", 0};
    std::string target = blobs + "/" + digest.substr(7);
    std::error_code ec;
    uintmax_t size = fs::file_size(file, ec);
    fs::copy_file(file, target, fs::copy_options::overwrite_existing, ec);
    if (ec) return {"", 0};
    return {digest, size};
  };
  auto add_blob_text = [&](const std::string& text) -> std::pair<std::string, uintmax_t> {
    std::string tmp = dir + "/blob.tmp";
    write_file(tmp, text);
    auto result = add_blob_file(tmp);
    fs::remove(tmp);
    return result;
  };
  json manifest_layers = json::array(), diff_ids = json::array();
  for (const auto& layer : layers) {
    diff_ids.push_back(sha256_file(layer.path));
    std::string blob_file = layer.path;
    if (layer.gzip) {
      blob_file = dir + "/layer.gz.tmp";
      CommandResult r = run_command(
          {"sh", "-c",
           "gzip -1 -n -c " + shell_quote(layer.path) + " > " + shell_quote(blob_file)});
      if (!r.ok()) return "";
    }
    auto [digest, size] = add_blob_file(blob_file);
    if (layer.gzip) fs::remove(blob_file);
    if (digest.empty()) return "";
    manifest_layers.push_back(
        {{"mediaType", layer.gzip ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                  : "application/vnd.oci.image.layer.v1.tar"},
         {"digest", digest},
         {"size", size}});
  }
  json config = {{"architecture", "amd64"},
                 {"os", "linux"},
                 {"created", "2026-01-01T00:00:00Z"},
                 {"config", {{"Env", {"PATH=/bin"}}, {"Cmd", {"/bin/sh"}}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  auto [config_digest, config_size] = add_blob_text(config.dump());
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config",
                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", config_digest},
                     {"size", config_size}}},
                   {"layers", manifest_layers}};
  auto [manifest_digest, manifest_size] = add_blob_text(manifest.dump());
  if (config_digest.empty() || manifest_digest.empty()) return "";
  json index = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests",
                 {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"digest", manifest_digest},
                   {"size", manifest_size},
                   {"annotations", {{"org.opencontainers.image.ref.name", tag}}}}}}};
  write_file(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  write_file(dir + "/index.json", index.dump());
  return manifest_digest;
}

namespace {

char file_type(mode_t mode) {
  return S_ISDIR(mode)    ? 'd'
         : S_ISLNK(mode)  ? 'l'
         : S_ISREG(mode)  ? 'f'
         : S_ISCHR(mode)  ? 'c'
         : S_ISBLK(mode)  ? 'b'
         : S_ISFIFO(mode) ? 'p'
                          : 's';
}

struct TreeWalk {
  std::string root;
  TreeDetail detail;
  std::map<std::string, std::string> tree;
  std::map<std::pair<dev_t, ino_t>, std::vector<std::string>> inodes;  // regular files

  void visit(const std::string& relative) {
    const std::string path = root + relative;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      if (!relative.empty()) tree[relative] = std::string("? lstat: ") + std::strerror(errno);
      return;
    }
    const char type = file_type(st.st_mode);
    std::string value = std::string(1, type) + " " + octal(st.st_mode & 07777, 4);
    if (detail.owners) value += " " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
    if (type == 'f') {
      value += " " + std::to_string(st.st_size);
      if (detail.content) value += " " + sha256_file(path);
      inodes[{st.st_dev, st.st_ino}].push_back(relative);
    }
    if (type == 'l') {
      char target[PATH_MAX];
      ssize_t n = ::readlink(path.c_str(), target, sizeof target);
      value += " -> " + std::string(target, n > 0 ? static_cast<size_t>(n) : 0);
    }
    if (!relative.empty()) tree[relative] = value;
    if (type != 'd') return;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(path, ec))
      visit(relative + "/" + entry.path().filename().string());
  }

  // Every path of an inode with several names gets "=FIRST" (FIRST in sort order).
  void mark_hardlinks() {
    for (auto& [inode, paths] : inodes) {
      if (paths.size() < 2) continue;
      std::sort(paths.begin(), paths.end());
      for (const auto& p : paths) tree[p] += " =" + paths.front();
    }
  }
};

}  // namespace

std::map<std::string, std::string> file_tree(const std::string& root, TreeDetail detail) {
  TreeWalk walk{root, detail, {}, {}};
  walk.visit("");
  if (detail.hardlinks) walk.mark_hardlinks();
  return std::move(walk.tree);
}

std::string tree_difference(const std::map<std::string, std::string>& expected,
                            const std::map<std::string, std::string>& actual) {
  std::string out;
  for (const auto& [path, value] : expected) {
    auto it = actual.find(path);
    if (it == actual.end())
      out += "missing " + path + " (" + value + ")\n";
    else if (it->second != value)
      out += "differs " + path + ": expected " + value + ", got " + it->second + "\n";
  }
  for (const auto& [path, value] : actual)
    if (!expected.count(path)) out += "extra " + path + " (" + value + ")\n";
  return out;
}

TestCa make_test_ca(const std::string& dir) {
  TestCa ca;
  ca.ca_cert = dir + "/ca.crt";
  ca.server_cert = dir + "/server.crt";
  ca.server_key = dir + "/server.key";
  const std::string ca_key = dir + "/ca.key", csr = dir + "/server.csr", ext = dir + "/server.ext";
  write_file(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  std::vector<std::vector<std::string>> steps = {
      {"openssl",
       "req",
       "-x509",
       "-newkey",
       "ec",
       "-pkeyopt",
       "ec_paramgen_curve:prime256v1",
       "-nodes",
       "-keyout",
       ca_key,
       "-out",
       ca.ca_cert,
       "-days",
       "2",
       "-subj",
       "/CN=krill ship test CA",
       "-addext",
       "basicConstraints=critical,CA:TRUE",
       "-addext",
       "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"},
      {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", ca.server_key, "-out", csr, "-subj", "/CN=127.0.0.1"},
      {"openssl", "x509", "-req", "-in", csr, "-CA", ca.ca_cert, "-CAkey", ca_key,
       "-CAcreateserial", "-out", ca.server_cert, "-days", "2", "-extfile", ext}};
  for (const auto& step : steps) {
    CommandResult r = run_command(step);
    if (!r.ok()) {
      ca.error = r.describe();
      break;
    }
  }
  return ca;
}

bool write_htpasswd(const std::string& path, const std::string& user, const std::string& password) {
  CommandResult r = run_command({"htpasswd", "-Bbn", user, password});
  return r.ok() && write_file(path, r.out);
}

}  // namespace krill::it::ship
