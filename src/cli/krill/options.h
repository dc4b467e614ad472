// What each krill command's flags and arguments parse into. Parsing (command_line.cpp) fills
// these; the command files run them, so the parsing is tested apart from the execution.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace krill::cli {

// podman's global flags.
struct GlobalOptions {
  std::string root;                // the image store; "" -> default_store_root()
  std::string runroot;             // runtime state; "" -> default_run_root()
  std::string log_level = "warn";  // error | warn | info | debug
  std::string storage_driver;      // overlay | vfs; "" -> overlay
  std::string registries_conf;     // "" -> the default registries.conf files
  // --max-layer-size: the decompression-bomb limit of layers pulled or loaded (0: none);
  // nullopt -> image::StoreOptions::kDefaultMaxLayerBytes.
  std::optional<uint64_t> max_layer_bytes;
  bool version = false;
};

// Registry access flags shared by pull, push, login, and the skopeo verbs.
struct RegistryFlags {
  bool tls_verify = true;
  std::string cert_dir;
  std::string creds;     // "user[:password]"
  std::string authfile;  // "" -> default auth files
};

struct LoginOptions {
  std::string registry;
  std::string username, password;
  bool password_stdin = false;
  bool get_login = false;
  RegistryFlags registry_flags;
};

struct LogoutOptions {
  std::string registry;
  bool all = false;
  std::string authfile;
};

struct PullOptions {
  std::vector<std::string> names;
  bool quiet = false;
  bool all_tags = false;
  std::string platform;           // "linux/arm64"; "" -> the host's
  std::string os, arch, variant;  // --os/--arch/--variant (podman) override the platform parts
  RegistryFlags registry_flags;
};

struct PushOptions {
  std::string source;
  std::string destination;  // "" -> the source name in its registry
  bool quiet = false;
  std::string format;  // "" keep | oci | v2s2
  RegistryFlags registry_flags;
};

struct ImagesOptions {
  std::string name;  // a repository filter (podman images NAME)
  std::string format;
  bool quiet = false;
  bool no_trunc = false;
  bool all = false;
  bool digests = false;
  bool noheading = false;
  std::vector<std::string> filters;  // dangling=true|false, reference=PATTERN
};

struct RmiOptions {
  std::vector<std::string> names;
  bool force = false;
  bool all = false;
  bool ignore = false;
};

struct TagOptions {
  std::string source;
  std::vector<std::string> targets;
};

struct InspectOptions {
  std::vector<std::string> names;
  std::string format;
  bool raw = false;     // skopeo: the manifest as stored
  bool config = false;  // skopeo: the config blob
  RegistryFlags registry_flags;
};

struct HistoryOptions {
  std::string name;
  std::string format;
  bool quiet = false;
  bool no_trunc = false;
  bool human = true;
};

struct SaveOptions {
  std::vector<std::string> names;
  std::string output;                     // "" -> stdout (refused on a terminal)
  std::string format = "docker-archive";  // docker-archive | oci-archive | oci-dir | docker-dir
  bool multi_image = false;
  bool quiet = false;
};

struct LoadOptions {
  std::string input;  // "" -> stdin
  bool quiet = false;
};

struct ImportOptions {
  std::string source;     // a tarball path or "-"
  std::string reference;  // "" -> an unnamed image
  std::string message;
  std::vector<std::string> changes;  // CMD=..., ENV=..., ... (Dockerfile-like, a subset)
  std::string os, arch, variant;
  bool quiet = false;
};

struct ExportOptions {
  std::string container;
  std::string output;
};

struct CopyOptionsCli {
  std::string source, destination;
  bool all = false;
  std::string format;  // "" | oci | v2s2
  bool preserve_digests = false;
  bool quiet = false;
  std::string platform;
  std::string authfile;
  RegistryFlags src, dest;
};

struct RemoteOptions {  // list-tags, delete, registry catalog, registry layer
  std::string reference;
  std::string format;
  std::string output;  // registry layer -o: the file ("" or "-": stdout)
  RegistryFlags registry_flags;
};

struct SyncOptions {
  std::string source, destination;
  std::string src_type = "docker";   // docker | dir
  std::string dest_type = "docker";  // docker | dir
  bool all = false;
  bool scoped = false;
  bool dry_run = false;
  std::string format;
  bool quiet = false;
  RegistryFlags src, dest;
};

struct DfOptions {
  std::string format;
  bool verbose = false;
};

struct PruneOptions {
  bool all = false;
  bool force = false;
  bool volumes = false;  // system prune --volumes
};

struct CheckOptions {
  bool repair = false;
  bool quick = false;
};

}  // namespace krill::cli
