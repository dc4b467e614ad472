// krill's command line: podman/docker/skopeo verbs over the image store and transports, and
// `krill runtime ...` (the OCI runtime's command line, runtime_cli.h).
//
// Output conventions (podman's):
//   - results on stdout; progress, warnings (`WARN[0000] ...`) and errors on stderr;
//   - errors as "Error: <message>";
//   - exit status 0, 125 for krill's own errors and usage errors, 1 where podman documents it
//     (rmi of a missing image), and `krill runtime`'s statuses for that command.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "cli/krill/build_options.h"
#include "cli/krill/container_options.h"
#include "cli/krill/context.h"
#include "cli/krill/network_options.h"
#include "cli/krill/options.h"
#include "cli/krill/volume_options.h"

namespace krill::cli {

int krill_main(int argc, char** argv);
// With explicit streams (none is a terminal), for tests.
int krill_main(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err);

// Every command's options, filled by parsing.
struct KrillOptions {
  GlobalOptions global;
  LoginOptions login;
  LogoutOptions logout;
  PullOptions pull;
  PushOptions push;
  ImagesOptions images;
  RmiOptions rmi;
  TagOptions tag;
  InspectOptions inspect;
  HistoryOptions history;
  SaveOptions save;
  LoadOptions load;
  ImportOptions import;
  ExportOptions export_;
  CopyOptionsCli copy;
  RemoteOptions remote;
  SyncOptions sync;
  DfOptions df;
  PruneOptions prune;
  CheckOptions check;
  ContainerOptions container;
  VolumeCreateOptions volume_create;
  VolumeLsOptions volume_ls;
  VolumeInspectOptions volume_inspect;
  VolumeRmOptions volume_rm;
  VolumePruneOptions volume_prune;
  NetworkFlags network;
  BuildFlags build;
  FromFlags from;
  MountFlags mount;
  MountFlags umount;
  WorkingCopyFlags working_copy;
  ConfigFlags config;
};

using KrillAction = std::function<Result<int>(Context&)>;

// The parsed command line. Not movable: the apps bind to `options`.
class KrillCommandLine {
 public:
  KrillCommandLine();
  KrillCommandLine(const KrillCommandLine&) = delete;
  KrillCommandLine& operator=(const KrillCommandLine&) = delete;

  // Parses `args` (without the program name). Returns nullopt when a command was selected
  // (see action()), or the exit status when parsing already decided it (help, version, usage
  // errors, which are written to `out`/`err`).
  std::optional<int> parse(const std::vector<std::string>& args, std::ostream& out,
                           std::ostream& err);

  KrillOptions options;
  // The selected command's full name ("image copy") and its work.
  const std::string& command_name() const { return selected_name_; }
  const KrillAction& action() const { return selected_; }

 private:
  struct Entry {
    CLI::App* app;
    std::string name;
    KrillAction action;
  };
  CLI::App* add(CLI::App& parent, const std::string& name, const std::string& description,
                const std::string& usage, const std::string& example, KrillAction action);
  CLI::App* add_group(const std::string& name, const std::string& description);
  void register_commands();
  void register_image_commands(CLI::App& parent, bool image_group);
  // run, create, start, ... at the top (docker's names) and under `container`
  // (cmd_container_line.cpp).
  void register_container_commands(CLI::App& parent, bool container_group);
  void register_volume_commands();
  // network create, ls, inspect, rm, prune, connect, disconnect (cmd_network_line.cpp).
  void register_network_commands();
  // build (also `image build`), cmd_build.cpp.
  void register_build_commands(CLI::App& parent);
  // buildah's from, copy, config, mount, umount (cmd_working_container.cpp).
  void register_working_container_commands();
  // cp, diff, commit, stats, port at the top and under `container` (cmd_container_fs.cpp).
  void register_container_fs_commands(CLI::App& parent, bool container_group);
  // `run`/`create IMAGE COMMAND...`, `exec CONTAINER COMMAND...`: the words after the first
  // positional are the container's command, not krill's flags. Returns the arguments CLI11
  // parses (up to and with the first positional) and stores the rest in the options.
  std::vector<std::string> take_trailing_command(const std::vector<std::string>& args);

  std::unique_ptr<CLI::App> app_;
  std::vector<Entry> entries_;
  std::vector<CLI::App*> groups_;
  KrillAction selected_;
  std::string selected_name_;
};

}  // namespace krill::cli
