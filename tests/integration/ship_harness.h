// Fixtures for the "Ship" acceptance tests (issue 3): the real `krill` binary driven as a user
// types it, against Debian's docker-registry on 127.0.0.1 and the Debian peers (skopeo, umoci,
// podman).
//
// Isolation: every ShipEnv has its own store (--root), run root (--runroot), HOME, auth file
// (REGISTRY_AUTH_FILE), XDG dirs and an empty registries.conf, so nothing reads or writes the
// machine's configuration or image store. Every Registry is a docker-registry process with its
// own config and storage under a temp dir, killed by pid and removed on destruction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"

namespace krill::it::ship {

// The krill binary under test: $KRILL_TEST_KRILL if set, else the compiled-in KRILL_BINARY.
const std::string& krill_binary();
// The checkout's root (KRILL_SOURCE_DIR, set by CMake), for the test scripts in
// tests/integration/.
std::string source_dir();

// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
int free_port();

// ---- registry -------------------------------------------------------------------------------

// Debian's docker-registry package is installed (tests that need a registry skip without it).
inline bool have_registry() { return path_exists("/usr/bin/docker-registry"); }

struct RegistryOptions {
  std::string htpasswd_file;      // basic auth when set
  std::string tls_cert, tls_key;  // TLS when set
  // Bearer-token auth (distribution's `auth: token`) when the realm is set: tokens signed by a
  // key whose certificate is in the bundle.
  std::string token_realm, token_service, token_issuer, token_rootcertbundle;
};

// Debian's docker-registry on 127.0.0.1:<free port>. Check ok() (error() says why not).
class Registry {
 public:
  explicit Registry(const RegistryOptions& options = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  bool ok() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // The filesystem driver's root: blobs are under docker/registry/v2/blobs/sha256/xx/<hex>/data.
  std::string storage_dir() const { return dir_.path() + "/storage"; }
  std::string blob_data_path(const std::string& digest) const;
  std::string log() const;
  bool tls() const { return tls_; }

 private:
  bool start_once(const RegistryOptions& options);
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  bool tls_ = false;
  std::string error_;
};

// HEAD /v2/<repo>/manifests/<ref> with OCI + Docker Accept headers: the Docker-Content-Digest,
// or "" (curl, plain HTTP or HTTPS without verification; credentials "user:pass" when set).
std::string registry_manifest_digest(const Registry& registry, const std::string& repository,
                                     const std::string& reference,
                                     const std::string& credentials = "");
// GET of a manifest's body ("" on failure).
std::string registry_manifest(const Registry& registry, const std::string& repository,
                              const std::string& reference, const std::string& credentials = "");

// ---- one user's private environment ---------------------------------------------------------

class ShipEnv {
 public:
  explicit ShipEnv(std::string_view hint = "ship");
  ShipEnv(const ShipEnv&) = delete;
  ShipEnv& operator=(const ShipEnv&) = delete;

  const std::string& dir() const { return dir_.path(); }
  std::string store() const { return dir() + "/store"; }
  std::string run_root() const { return dir() + "/run"; }
  std::string home() const { return dir() + "/home"; }
  std::string auth_file() const { return dir() + "/auth/auth.json"; }
  std::string registries_conf() const { return dir() + "/registries.conf"; }
  // Environment entries for every child: HOME, REGISTRY_AUTH_FILE, XDG_*, DOCKER_CONFIG, TMPDIR.
  std::vector<std::string> env() const;

  // `krill --root S --runroot R --registries-conf C args...`
  CommandResult krill(const std::vector<std::string>& args, CommandOptions options = {}) const;
  // `skopeo --insecure-policy --registries-conf C args...` with this environment.
  CommandResult skopeo(const std::vector<std::string>& args, CommandOptions options = {}) const;
  // Any program with this environment.
  CommandResult run(const std::vector<std::string>& argv, CommandOptions options = {}) const;

  // `krill image inspect REF` parsed (discarded on failure).
  json inspect(const std::string& reference) const;
  // `krill images --format json` parsed (empty array on failure).
  json images() const;
  // Image ids in the store.
  std::vector<std::string> image_ids() const;

 private:
  TempDir dir_;
};

// `krill image inspect --raw --tls-verify=false REF` run in `env`: the manifest
// bytes as the transport stores them, parsed, and their digest (sha256 of the bytes).
struct RawManifest {
  CommandResult result;
  json manifest;
  std::string digest;
};
RawManifest raw_manifest(const ShipEnv& env, const std::string& reference);

// A background process (stdout+stderr to a file), killed and reaped on destruction.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::string& output_path);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  pid_t pid() const { return pid_; }
  void kill(int signal);
  // Waits for the exit; returns the exit code, or -signal, or INT_MIN on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(120));
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::string output_path_;
};

// Waits until the file at `output_path` holds a line with `banner`: the rest of that line, or ""
// on timeout (for servers that print "listening on 127.0.0.1:PORT" once ready).
std::string wait_for_banner(const std::string& output_path, const std::string& banner,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));
// The JSON objects of a file of one JSON value per line (request logs); other lines skipped.
std::vector<json> read_json_lines(const std::string& path);

// A registry token server (tests/integration/ship_token_server.py, Debian's python3 + openssl)
// on 127.0.0.1: grants `user`:`password` every action asked for, anonymous users pull only,
// refuses other credentials with 401. It makes its own RSA signing key and certificate (openssl)
// for the registry's rootcertbundle. Check ok().
class TokenServer {
 public:
  TokenServer(std::string user, std::string password, std::string service = "krill-registry",
              std::string issuer = "krill-token-issuer");
  bool ok() const { return port_ > 0; }
  const std::string& error() const { return error_; }
  std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  const std::string& service() const { return service_; }
  const std::string& issuer() const { return issuer_; }
  std::string certificate() const { return dir_.path() + "/signer.crt"; }
  // RegistryOptions for a docker-registry that trusts this server's tokens.
  RegistryOptions registry_options() const;
  // Every token request so far: {"account", "service", "scopes": [...], "status"}.
  std::vector<json> requests() const;

 private:
  TempDir dir_;
  std::string service_, issuer_, error_;
  std::unique_ptr<BackgroundProcess> process_;
  int port_ = 0;
};

// ---- images and files ---------------------------------------------------------------------

// A rootfs tarball: /bin/busybox (busybox-static) + applet symlinks, /etc/hostname, an empty
// /tmp (1777) and a setuid-free executable script; returns the tar's path in `dir`.
std::string make_busybox_tarball(const std::string& dir);

// `krill import` of the busybox tarball as `name` in `env`'s store: the image id, or "" with
// the reason in `why`.
std::string import_busybox(const ShipEnv& env, const std::string& name, std::string* why);

// Entries of a hand-built tar (ustar). type: '0' file, '2' symlink, '1' hardlink, '5' dir.
struct TarEntry {
  std::string name;
  char type = '0';
  std::string content;  // file data
  std::string link;     // symlink target / hardlink source
  unsigned mode = 0644;
  unsigned uid = 0, gid = 0;
};
TarEntry tar_file(std::string name, std::string content, unsigned mode = 0644);
TarEntry tar_symlink(std::string name, std::string target);
TarEntry tar_hardlink(std::string name, std::string target);
TarEntry tar_directory(std::string name, unsigned mode = 0755);
// `entry` owned by uid:gid.
TarEntry owned_by(TarEntry entry, unsigned uid, unsigned gid);
std::string make_tar(const std::vector<TarEntry>& entries);

// `krill import` of a tar of `entries` as `name` ("": unnamed) in `env`'s store: the image id,
// or "" with the reason in `why`.
std::string import_tar(const ShipEnv& env, const std::vector<TarEntry>& entries,
                       const std::string& name, std::string* why);

// Writes an OCI image layout in `dir` with one image tagged `tag` whose layers are the given
// blobs (uncompressed tars, or gzip when the file name ends in .gz / `gzip` is set); returns
// the manifest digest or "" on failure. Layer files are taken by path so big layers need no
// memory.
struct LayoutLayer {
  std::string path;
  bool gzip = false;
};
std::string write_oci_layout(const std::string& dir, const std::string& tag,
                             const std::vector<LayoutLayer>& layers);

// "sha256:<hex>" of a file ("" on failure).
std::string sha256_file(const std::string& path);

// What file_tree() records besides type and mode (and a file's size, a link's target).
struct TreeDetail {
  bool owners = false;     // "uid:gid"
  bool content = false;    // sha256 of a regular file's bytes
  bool hardlinks = false;  // "=PATH": the first path (in sort order) of the same inode
};
inline constexpr TreeDetail kEveryTreeDetail{true, true, true};

// A file tree as {relative path -> "type mode [uid:gid] [size [sha256:...]]|[-> target] [=PATH]"}
// (lstat; mtimes left out). Directories have no size.
std::map<std::string, std::string> file_tree(const std::string& root, TreeDetail detail = {});
// A readable difference of two trees ("" when equal).
std::string tree_difference(const std::map<std::string, std::string>& expected,
                            const std::map<std::string, std::string>& actual);

// Generates a CA and a server certificate for 127.0.0.1 in `dir` (openssl CLI, EC keys).
struct TestCa {
  std::string ca_cert, server_cert, server_key;
  std::string error;
};
TestCa make_test_ca(const std::string& dir);

// htpasswd -Bbn user password into `path`; false on failure.
bool write_htpasswd(const std::string& path, const std::string& user, const std::string& password);

// A string with no NUL, trimmed of trailing whitespace.
std::string trim(std::string s);

}  // namespace krill::it::ship
