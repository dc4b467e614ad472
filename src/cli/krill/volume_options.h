// What `krill volume create|ls|inspect|rm|prune` parse into (podman's flags).
#pragma once

#include <string>
#include <vector>

namespace krill::cli {

// volume create [--driver D] [--label k=v]... [--opt k=v]... [--ignore] [NAME]
struct VolumeCreateOptions {
  std::string name;  // "" = anonymous (a generated 64-hex-digit name)
  std::string driver = "local";
  std::vector<std::string> labels;   // "k=v" or "k"
  std::vector<std::string> options;  // "k=v" (local: type, device, o, uid, gid, nocopy, ...)
  bool ignore = false;               // an existing NAME is not an error
};

// volume ls [--filter k=v]... [--format F] [-q] [--noheading]
struct VolumeLsOptions {
  std::vector<std::string> filters;  // name=, label=, label!=, driver=, opt=, dangling=, until=
  std::string format;                // "" | "json" | Go template ("table ..." too)
  bool quiet = false;
  bool noheading = false;
};

// volume inspect [--format F] NAME... | --all
struct VolumeInspectOptions {
  std::vector<std::string> names;
  std::string format;
  bool all = false;
};

// volume rm [-f] [--all] NAME...
struct VolumeRmOptions {
  std::vector<std::string> names;
  bool force = false;  // also removes the containers using the volume (podman)
  bool all = false;
};

// volume prune [-f] [--filter k=v]...
struct VolumePruneOptions {
  std::vector<std::string> filters;  // label=, label!=, until=
  bool force = false;                // no confirmation prompt
};

}  // namespace krill::cli
