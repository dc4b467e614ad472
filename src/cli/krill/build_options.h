// What `krill build` parses into (podman build's and docker build's flags).
#pragma once

#include <string>
#include <vector>

#include "cli/krill/options.h"

namespace krill::cli {

struct BuildFlags {
  std::string context = ".";  // directory, tar archive, or "-" (stdin: tar or a Dockerfile)
  std::string file;           // -f: "" = Containerfile/Dockerfile in the context; "-" = stdin
  std::vector<std::string> tags;
  std::vector<std::string> build_args;  // "K=V" or "K" (from the environment)
  std::string target;
  bool no_cache = false;
  std::string pull = "missing";  // --pull[=always|missing|never|newer]
  std::vector<std::string> labels;
  std::string iidfile;
  std::string format = "oci";        // oci | docker
  std::vector<std::string> secrets;  // id=x,src=path | id=x,env=VAR
  std::string network = "host";
  bool squash = false;
  bool layers = true;
  std::string timestamp;  // seconds since the epoch; "" = SOURCE_DATE_EPOCH or none
  std::string platform;
  std::string progress = "auto";  // auto | plain | tty
  bool quiet = false;
  std::string isolation = "oci";  // oci | chroot
  std::string runtime;            // "" = krill-runtime next to krill
  RegistryFlags registry;
};

}  // namespace krill::cli

namespace krill::cli {

// buildah's scripted builds: from, run CTR -- CMD, copy, config, commit, mount, umount.
struct FromFlags {
  std::string image;
  std::string name;  // "" = <image name>-working-container[-N]
  std::string pull = "missing";
  bool quiet = false;
  RegistryFlags registry;
};

struct MountFlags {
  std::vector<std::string> containers;
};

struct WorkingCopyFlags {
  std::string container;
  std::vector<std::string> paths;  // sources..., destination
  std::string chown;               // user[:group] in the container
  std::string chmod;               // octal
};

// A value not given on the command line.
inline constexpr const char* kUnsetFlag = "\x01unset";

struct ConfigFlags {
  std::string container;
  std::string cmd = kUnsetFlag;         // JSON array, or words
  std::string entrypoint = kUnsetFlag;  // JSON array, or a shell command
  std::string workingdir = kUnsetFlag;
  std::string user = kUnsetFlag;
  std::vector<std::string> env;     // K=V; K- removes K
  std::vector<std::string> labels;  // K=V; K- removes K
};

}  // namespace krill::cli
