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
  // Every command with all its options (help, completion, tests).
  KrillCommandLine();
  // For parsing `args`: only the command they name gets its options, every other command just
  // its name and description. Building all of them cost a millisecond and a megabyte of heap
  // (a sixth of krill's start) on every run. Arguments that name no command (aliases, typos,
  // `--help` alone) get the full line, so the result of parse() is the same either way.
  explicit KrillCommandLine(const std::vector<std::string>& args);
  KrillCommandLine(const KrillCommandLine&) = delete;
  // True for what add() returns for a command the arguments do not name: a nameless App that
  // takes its options and is thrown away (helpers that add many options may skip it).
  static bool is_stand_in(const CLI::App* command) { return command->get_name().empty(); }
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
  // Makes app_ with the global flags and every command; the one `command_words` names (all
  // when empty) with its options.
  void build(std::vector<std::string> command_words);
  bool registers_fully(const CLI::App& parent, const std::string& name) const;
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
  // unshare, system migrate (cmd_rootless.cpp).
  void register_rootless_commands(CLI::App& system);
  // `run`/`create IMAGE COMMAND...`, `exec CONTAINER COMMAND...`: the words after the first
  // positional are the container's command, not krill's flags. Returns the arguments CLI11
  // parses (up to and with the first positional) and stores the rest in the options.
  std::vector<std::string> take_trailing_command(const std::vector<std::string>& args);

  std::unique_ptr<CLI::App> app_;
  // The command words of the arguments ({"run", ...}, {"image", "ls", ...}); empty: all.
  std::vector<std::string> command_words_;
  bool registered_wanted_ = false;  // a command matched command_words_
  // Takes the options of a command that is not registered fully; replaced at each add(), so
  // the memory of one command's options is reused by the next.
  std::unique_ptr<CLI::App> scratch_;
  std::vector<Entry> entries_;
  std::vector<CLI::App*> groups_;
  KrillAction selected_;
  std::string selected_name_;
  std::vector<std::string> unshare_command_;  // `krill unshare CMD...` (take_trailing_command)
};

}  // namespace krill::cli
