#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "cli/krill/cmd_container_fs.h"
#include "cli/krill/commands.h"
#include "cli/krill/krill_cli.h"
#include "cli/krill/rootless_session.h"
#include "cli/runtime/command.h"
#include "cli/runtime/runtime_cli.h"
#include "engine/spec_builder.h"
#include "image/store_paths.h"

namespace krill::cli {
namespace {

constexpr const char* kDescription =
    "krill - build, ship and run OCI containers without a daemon\n"
    "\n"
    "podman/docker verbs (run, ps, exec, logs, stop, rm, pull, push, images, ...), skopeo verbs\n"
    "(image copy, image inspect docker://..., image list-tags, image sync) and the OCI\n"
    "runtime (krill runtime ...).\n"
    "\n"
    "    krill pull busybox && krill run --rm busybox echo hello\n"
    "\n"
    "Environment: KRILL_REGISTRY_STALL_TIMEOUT=SECONDS (default 60): a registry transfer\n"
    "without a byte for that long is retried (a blob resumes where it stopped).\n";

// The global flags (KrillCommandLine's constructor) that take a value as the next word.
bool global_flag_takes_value(const std::string& flag) {
  return flag == "--root" || flag == "--runroot" || flag == "--log-level" ||
         flag == "--storage-driver" || flag == "--registries-conf" || flag == "--max-layer-size";
}

void add_registry_flags(CLI::App* app, RegistryFlags& f, bool with_creds = true) {
  app->add_flag("--tls-verify,!--no-tls-verify", f.tls_verify,
                "require HTTPS and verify certificates (--tls-verify=false to disable)");
  app->add_option("--cert-dir", f.cert_dir, "use certificates (*.crt, *.cert, *.key) in DIR");
  if (with_creds) app->add_option("--creds", f.creds, "credentials USERNAME[:PASSWORD]");
  app->add_option("--authfile", f.authfile, "path of the authentication file");
}

// skopeo's --src-*/--dest-* flags.
void add_prefixed_registry_flags(CLI::App* app, const std::string& prefix, RegistryFlags& f) {
  app->add_flag("--" + prefix + "-tls-verify", f.tls_verify,
                "require HTTPS and verify certificates for the " + prefix);
  app->add_option("--" + prefix + "-cert-dir", f.cert_dir, "certificates for the " + prefix);
  app->add_option("--" + prefix + "-creds", f.creds,
                  "credentials USERNAME[:PASSWORD] for the " + prefix);
  app->add_option("--" + prefix + "-authfile", f.authfile, "authentication file for the " + prefix);
}

// The words naming the command: the first word after the global flags and the one after it
// (a group's command: "image ls"; for other commands the second word is not looked at).
std::vector<std::string> command_words(const std::vector<std::string>& args) {
  std::vector<std::string> words;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.empty()) return {};
    if (a.front() == '-') {
      if (!words.empty()) break;
      if (a == "--") return {};
      if (a.find('=') == std::string::npos && global_flag_takes_value(a)) ++i;
      continue;
    }
    words.push_back(a);
    if (words.size() == 2) break;
  }
  return words;
}

}  // namespace

KrillCommandLine::KrillCommandLine() { build({}); }

KrillCommandLine::KrillCommandLine(const std::vector<std::string>& args) {
  auto words = command_words(args);
  const bool help = std::find_if(args.begin(), args.end(), [](const std::string& a) {
                      return a == "-h" || a == "--help";
                    }) != args.end();
  if (words.empty() && !help) {
    // No command (--version, a global flag alone, nothing): every command by name only ("" names
    // none). The help lists their aliases too, so it gets the full line.
    build({""});
    return;
  }
  build(std::move(words));
  // An alias, a typo or a group alone: nothing matched; the full line decides.
  if (!registered_wanted_) build({});
}

bool KrillCommandLine::registers_fully(const CLI::App& parent, const std::string& name) const {
  if (command_words_.empty()) return true;
  if (&parent == app_.get()) return command_words_[0] == name;
  return command_words_.size() == 2 && command_words_[0] == parent.get_name() &&
         command_words_[1] == name;
}

void KrillCommandLine::build(std::vector<std::string> words) {
  command_words_ = std::move(words);
  registered_wanted_ = false;
  entries_.clear();
  groups_.clear();
  scratch_.reset();
  app_ = std::make_unique<CLI::App>(kDescription, "krill");
  app_->formatter(std::make_shared<UsageFormatter>());
  app_->set_help_flag("-h,--help", "show help");
  app_->require_subcommand(0, 1);
  app_->fallthrough();
  auto& g = options.global;
  app_->add_option("--root", g.root,
                   "the image store (default " + image::default_store_root() + ")");
  app_->add_option("--runroot", g.runroot,
                   "runtime state (default " + image::default_run_root() + ")");
  app_->add_option("--log-level", g.log_level, "error, warn, info or debug")
      ->check(
          CLI::IsMember({"error", "warn", "warning", "info", "debug", "trace", "fatal", "panic"}));
  app_->add_option("--storage-driver", g.storage_driver, "overlay or vfs")
      ->check(CLI::IsMember({"overlay", "vfs"}));
  app_->add_option("--registries-conf", g.registries_conf, "registries.conf file to use");
  app_->add_option_function<std::string>(
          "--max-layer-size",
          [&g](const std::string& value) {
            auto bytes = engine::parse_byte_size(value);
            if (!bytes) throw CLI::ValidationError("--max-layer-size", bytes.error().message());
            g.max_layer_bytes = static_cast<uint64_t>(*bytes);
          },
          "refuse layers larger than SIZE uncompressed (decompression bombs; 0: no limit; "
          "default 64g)")
      ->type_name("SIZE");
  app_->add_flag("-v,--version", g.version, "print the version");
  register_commands();
}

CLI::App* KrillCommandLine::add(CLI::App& parent, const std::string& name,
                                const std::string& description, const std::string& usage,
                                const std::string& example, KrillAction action) {
  if (!registers_fully(parent, name)) {
    parent.add_subcommand(name, description);  // listed in --help, never selected
    scratch_ = std::make_unique<CLI::App>();
    return scratch_.get();
  }
  registered_wanted_ = true;
  CLI::App* command = parent.add_subcommand(name, description);
  command->fallthrough();
  std::string full = (&parent == app_.get() ? "" : parent.get_name() + " ") + name;
  if (auto formatter = std::dynamic_pointer_cast<UsageFormatter>(app_->get_formatter()))
    formatter->set_usage(command,
                         "krill " + full + " [options]" + (usage.empty() ? "" : " " + usage));
  command->footer("Example:\n  " + example + "\n");
  entries_.push_back(Entry{command, full, std::move(action)});
  return command;
}

CLI::App* KrillCommandLine::add_group(const std::string& name, const std::string& description) {
  CLI::App* group = app_->add_subcommand(name, description);
  group->fallthrough();
  group->require_subcommand(0, 1);
  if (auto formatter = std::dynamic_pointer_cast<UsageFormatter>(app_->get_formatter()))
    formatter->set_usage(group, "krill " + name + " COMMAND");
  groups_.push_back(group);
  return group;
}

void KrillCommandLine::register_commands() {
  auto& o = options;
  CLI::App& top = *app_;

  // login / logout
  {
    auto* c = add(top, "login", "Log in to a container registry", "REGISTRY",
                  "krill login -u user --password-stdin localhost:5000",
                  [&o](Context& ctx) { return run_login(ctx, o.login); });
    c->add_option("REGISTRY", o.login.registry, "the registry host")->required();
    c->add_option("-u,--username", o.login.username, "user name");
    c->add_option("-p,--password", o.login.password, "password (prefer --password-stdin)");
    c->add_flag("--password-stdin", o.login.password_stdin, "read the password from stdin");
    c->add_flag("--get-login", o.login.get_login, "print the user name stored for REGISTRY");
    add_registry_flags(c, o.login.registry_flags, false);
  }
  {
    auto* c = add(top, "logout", "Log out of a container registry", "[REGISTRY]",
                  "krill logout localhost:5000",
                  [&o](Context& ctx) { return run_logout(ctx, o.logout); });
    c->add_option("REGISTRY", o.logout.registry, "the registry host");
    c->add_flag("-a,--all", o.logout.all, "remove the credentials of every registry");
    c->add_option("--authfile", o.logout.authfile, "path of the authentication file");
  }
  register_image_commands(top, false);
  CLI::App* image = add_group("image", "Manage images (podman and skopeo verbs)");
  register_image_commands(*image, true);
  register_container_commands(top, false);
  CLI::App* container = add_group("container", "Manage containers (docker/podman verbs)");
  register_container_commands(*container, true);
  register_container_fs_commands(top, false);
  register_container_fs_commands(*container, true);
  register_volume_commands();
  register_network_commands();
  register_build_commands(top);
  register_build_commands(*image);
  register_working_container_commands();

  // registry
  CLI::App* registry = add_group("registry", "Talk to a registry directly");
  {
    auto* c = add(*registry, "catalog", "List the repositories of a registry", "HOST",
                  "krill registry catalog localhost:5000",
                  [&o](Context& ctx) { return run_registry_catalog(ctx, o.remote); });
    c->add_option("HOST", o.remote.reference, "registry host[:port]")->required();
    c->add_option("--format", o.remote.format, "json or a Go template per repository");
    add_registry_flags(c, o.remote.registry_flags);
  }
  {
    auto* c = add(*registry, "layer", "Download one blob (a layer) of a repository, verified",
                  "HOST/REPOSITORY@DIGEST",
                  "krill registry layer -o layer.tar.gz localhost:5000/app@sha256:4a6f...",
                  [&o](Context& ctx) { return run_registry_layer(ctx, o.remote); });
    c->add_option("BLOB", o.remote.reference, "host/repository@sha256:...")->required();
    c->add_option("-o,--output", o.remote.output, "the file (default stdout)");
    add_registry_flags(c, o.remote.registry_flags);
  }

  // system
  CLI::App* system = add_group("system", "Manage the store");
  {
    auto* c = add(*system, "df", "Show disk usage of the store", "", "krill system df",
                  [&o](Context& ctx) { return run_system_df(ctx, o.df); });
    c->add_option("--format", o.df.format, "json or a Go template");
    c->add_flag("-v,--verbose", o.df.verbose, "per image, container and volume");
  }
  {
    auto* c = add(*system, "prune",
                  "Remove stopped containers, unused networks, dangling (or -a unused) images and, "
                  "with --volumes, unused volumes",
                  "", "krill system prune -a -f --volumes",
                  [&o](Context& ctx) { return run_system_prune(ctx, o.prune); });
    c->add_flag("-a,--all", o.prune.all, "remove every image no container uses, not just dangling");
    c->add_flag("-f,--force", o.prune.force, "do not ask for confirmation");
    c->add_flag("--volumes", o.prune.volumes, "also remove volumes no container uses");
  }
  {
    auto* c = add(*system, "check", "Verify every blob and image of the store", "",
                  "krill system check --repair",
                  [&o](Context& ctx) { return run_system_check(ctx, o.check); });
    c->add_flag("-r,--repair", o.check.repair, "remove damaged images and stray files");
    c->add_flag("-q,--quick", o.check.quick, "accepted for podman compatibility");
  }
  register_rootless_commands(*system);

  // `krill runtime ...` is handled before parsing (krill_main); listed here for --help.
  auto* runtime =
      top.add_subcommand("runtime", "The OCI runtime (runc-compatible): krill runtime --help");
  runtime->allow_extras();
  runtime->prefix_command();
}

void KrillCommandLine::register_image_commands(CLI::App& p, bool g) {
  auto& o = options;
  // Under `image`, podman names: ls/list, rm, inspect, ...; at the top, docker's names.
  {
    auto* c = add(p, g ? "pull" : "pull", "Pull an image from a registry into the store", "NAME...",
                  "krill pull --platform linux/arm64 docker.io/library/alpine:3.19",
                  [&o](Context& ctx) { return run_pull(ctx, o.pull); });
    c->add_option("NAME", o.pull.names, "image reference (docker://... accepted)")->required();
    c->add_flag("-q,--quiet", o.pull.quiet, "print only the image id");
    c->add_flag("-a,--all-tags", o.pull.all_tags, "pull every tag of the repository");
    c->add_option("--platform", o.pull.platform, "OS/ARCH[/VARIANT] to pick from an index");
    c->add_option("--os", o.pull.os, "the OS to pick");
    c->add_option("--arch", o.pull.arch, "the architecture to pick");
    c->add_option("--variant", o.pull.variant, "the variant to pick");
    add_registry_flags(c, o.pull.registry_flags);
  }
  {
    auto* c = add(p, "push", "Push an image from the store to a registry", "NAME [DESTINATION]",
                  "krill push localhost:5000/app:1 oci-archive:/tmp/app.tar",
                  [&o](Context& ctx) { return run_push(ctx, o.push); });
    c->add_option("NAME", o.push.source, "local image")->required();
    c->add_option("DESTINATION", o.push.destination, "where to (default: NAME's registry)");
    c->add_flag("-q,--quiet", o.push.quiet, "no progress output");
    c->add_option("-f,--format", o.push.format, "manifest type: oci or v2s2")
        ->check(CLI::IsMember({"oci", "v2s2", "docker"}));
    add_registry_flags(c, o.push.registry_flags);
  }
  {
    auto* c = add(p, g ? "ls" : "images", "List images in the store", "[NAME]",
                  "krill images --format 'table {{.Repository}}\\t{{.Tag}}\\t{{.Size}}'",
                  [&o](Context& ctx) { return run_images(ctx, o.images); });
    if (g) c->alias("list");
    c->add_option("NAME", o.images.name, "only this repository");
    c->add_option("--format", o.images.format, "json, or a Go template ('table ...' for columns)");
    c->add_flag("-q,--quiet", o.images.quiet, "print only image ids");
    c->add_flag("--no-trunc", o.images.no_trunc, "do not truncate ids");
    c->add_flag("-a,--all", o.images.all, "all images (krill keeps no intermediate images)");
    c->add_flag("--digests", o.images.digests, "show digests");
    c->add_flag("-n,--noheading", o.images.noheading, "no header row");
    c->add_option("-f,--filter", o.images.filters, "dangling=true|false, reference=PATTERN")
        ->allow_extra_args(false);
  }
  {
    auto* c = add(p, g ? "rm" : "rmi", "Remove images from the store", "IMAGE...",
                  "krill rmi busybox", [&o](Context& ctx) { return run_rmi(ctx, o.rmi); });
    c->add_option("IMAGE", o.rmi.names, "image names or ids");
    c->add_flag("-f,--force", o.rmi.force, "remove the image even with several names or in use");
    c->add_flag("-a,--all", o.rmi.all, "remove every image");
    c->add_flag("-i,--ignore", o.rmi.ignore, "ignore images that do not exist");
  }
  {
    auto* c = add(p, "tag", "Give an image more names", "IMAGE TARGET...",
                  "krill tag busybox localhost:5000/busybox:1",
                  [&o](Context& ctx) { return run_tag(ctx, o.tag); });
    c->add_option("IMAGE", o.tag.source, "the image")->required();
    c->add_option("TARGET", o.tag.targets, "new names")->required();
  }
  if (g) {
    auto* c = add(p, "untag", "Remove names from an image", "IMAGE...",
                  "krill image untag localhost:5000/busybox:1",
                  [&o](Context& ctx) { return run_untag(ctx, o.tag); });
    c->add_option("IMAGE", o.tag.targets, "names to remove")->required();
  }
  if (g) {
    auto* c = add(p, "inspect", "Show an image's details (local, or remote without pulling)",
                  "IMAGE...", "krill image inspect --raw docker://localhost:5000/app:1",
                  [&o](Context& ctx) { return run_image_inspect(ctx, o.inspect); });
    c->add_option("IMAGE", o.inspect.names, "local name/id or TRANSPORT:REF")->required();
    c->add_option("-f,--format", o.inspect.format, "a Go template");
    c->add_flag("--raw", o.inspect.raw, "print the manifest as stored");
    c->add_flag("--config", o.inspect.config, "print the config blob");
    add_registry_flags(c, o.inspect.registry_flags);
  }
  {
    auto* c = add(p, "history", "Show the history of an image", "IMAGE",
                  "krill history --no-trunc busybox",
                  [&o](Context& ctx) { return run_history(ctx, o.history); });
    c->add_option("IMAGE", o.history.name, "the image")->required();
    c->add_option("--format", o.history.format, "json or a Go template");
    c->add_flag("-q,--quiet", o.history.quiet, "only ids");
    c->add_flag("--no-trunc", o.history.no_trunc, "do not truncate");
    c->add_flag("-H,--human,!--no-human", o.history.human, "human sizes and dates");
  }
  {
    auto* c = add(p, "save", "Write images to an archive", "IMAGE...",
                  "krill save -o busybox.tar busybox",
                  [&o](Context& ctx) { return run_save(ctx, o.save); });
    c->add_option("IMAGE", o.save.names, "images")->required();
    c->add_option("-o,--output", o.save.output, "the archive (default stdout)");
    c->add_option("--format", o.save.format, "docker-archive, oci-archive, oci-dir, docker-dir")
        ->check(CLI::IsMember({"docker-archive", "oci-archive", "oci-dir", "docker-dir"}));
    c->add_flag("-m,--multi-image-archive", o.save.multi_image, "several images in one archive");
    c->add_flag("-q,--quiet", o.save.quiet, "no progress output");
  }
  {
    auto* c = add(p, "load", "Load images from an archive", "", "krill load -i busybox.tar",
                  [&o](Context& ctx) { return run_load(ctx, o.load); });
    c->add_option("-i,--input", o.load.input, "the archive (default stdin)");
    c->add_flag("-q,--quiet", o.load.quiet, "no progress output");
  }
  {
    auto* c = add(p, "import", "Create an image from a root filesystem tarball", "FILE|- [NAME]",
                  "krill import rootfs.tar.gz localhost/mybase:1",
                  [&o](Context& ctx) { return run_import(ctx, o.import); });
    c->add_option("FILE", o.import.source, "tarball (plain, gzip, zstd) or - for stdin")
        ->required();
    c->add_option("NAME", o.import.reference, "name of the new image");
    c->add_option("-m,--message", o.import.message, "history comment");
    c->add_option("-c,--change", o.import.changes,
                  "CMD=, ENTRYPOINT=, ENV=, WORKDIR=, USER=, LABEL=")
        ->allow_extra_args(false);
    c->add_option("--os", o.import.os, "image OS");
    c->add_option("--arch", o.import.arch, "image architecture");
    c->add_option("--variant", o.import.variant, "image variant");
    c->add_flag("-q,--quiet", o.import.quiet, "no progress output");
  }
  if (!g) {
    auto* c = add(p, "export", "Write a container's filesystem as a tarball", "CONTAINER",
                  "krill export -o rootfs.tar c1",
                  [&o](Context& ctx) { return run_container_export(ctx, o.export_); });
    c->add_option("CONTAINER", o.export_.container, "the container")->required();
    c->add_option("-o,--output", o.export_.output, "the tarball (default stdout)");
  }
  if (!g) return;

  // skopeo verbs
  {
    auto* c = add(p, "copy", "Copy an image between transports (skopeo copy)", "SOURCE DESTINATION",
                  "krill image copy --all docker://localhost:5000/app:1 oci:/tmp/app:1",
                  [&o](Context& ctx) { return run_image_copy(ctx, o.copy); });
    c->add_option("SOURCE", o.copy.source, "TRANSPORT:REF")->required();
    c->add_option("DESTINATION", o.copy.destination, "TRANSPORT:REF")->required();
    c->add_flag("-a,--all", o.copy.all, "copy every image of an index");
    c->add_option("-f,--format", o.copy.format, "manifest type: oci or v2s2")
        ->check(CLI::IsMember({"oci", "v2s2"}));
    c->add_flag("--preserve-digests", o.copy.preserve_digests, "fail rather than change a digest");
    c->add_flag("-q,--quiet", o.copy.quiet, "no progress output");
    c->add_option("--platform", o.copy.platform, "OS/ARCH[/VARIANT] to pick from an index");
    c->add_option("--authfile", o.copy.authfile, "authentication file for both ends");
    add_prefixed_registry_flags(c, "src", o.copy.src);
    add_prefixed_registry_flags(c, "dest", o.copy.dest);
  }
  {
    auto* c = add(p, "list-tags", "List the tags of a repository", "docker://REPOSITORY",
                  "krill image list-tags docker://localhost:5000/app",
                  [&o](Context& ctx) { return run_list_tags(ctx, o.remote); });
    c->add_option("REPOSITORY", o.remote.reference, "docker://host/repo")->required();
    add_registry_flags(c, o.remote.registry_flags);
  }
  {
    auto* c = add(p, "delete", "Delete an image from a registry", "docker://IMAGE",
                  "krill image delete docker://localhost:5000/app:1",
                  [&o](Context& ctx) { return run_image_delete(ctx, o.remote); });
    c->add_option("IMAGE", o.remote.reference, "docker://host/repo:tag")->required();
    add_registry_flags(c, o.remote.registry_flags);
  }
  {
    auto* c = add(p, "sync", "Copy every tag of a repository (skopeo sync)", "SOURCE DESTINATION",
                  "krill image sync --src docker --dest dir localhost:5000/app /tmp/mirror",
                  [&o](Context& ctx) { return run_image_sync(ctx, o.sync); });
    c->add_option("SOURCE", o.sync.source, "repository (docker) or directory (dir)")->required();
    c->add_option("DESTINATION", o.sync.destination, "registry[/namespace] or directory")
        ->required();
    c->add_option("-s,--src", o.sync.src_type, "docker or dir")
        ->check(CLI::IsMember({"docker", "dir"}));
    c->add_option("-d,--dest", o.sync.dest_type, "docker or dir")
        ->check(CLI::IsMember({"docker", "dir"}));
    c->add_flag("-a,--all", o.sync.all, "copy every image of an index");
    c->add_flag("--scoped", o.sync.scoped, "prefix destinations with the source repository path");
    c->add_flag("--dry-run", o.sync.dry_run, "only print what would be copied");
    c->add_option("-f,--format", o.sync.format, "manifest type: oci or v2s2")
        ->check(CLI::IsMember({"oci", "v2s2"}));
    c->add_flag("-q,--quiet", o.sync.quiet, "no progress output");
    add_prefixed_registry_flags(c, "src", o.sync.src);
    add_prefixed_registry_flags(c, "dest", o.sync.dest);
  }
  {
    auto* c = add(p, "prune", "Remove dangling (or, with -a, unused) images", "",
                  "krill image prune -a -f",
                  [&o](Context& ctx) { return run_image_prune(ctx, o.prune); });
    c->add_flag("-a,--all", o.prune.all, "every unused image, not just dangling ones");
    c->add_flag("-f,--force", o.prune.force, "do not ask for confirmation");
  }
}

std::optional<int> KrillCommandLine::parse(const std::vector<std::string>& args, std::ostream& out,
                                           std::ostream& err) {
  std::vector<std::string> parsed_args = take_trailing_command(args);
  std::vector<std::string> reversed(parsed_args.rbegin(),
                                    parsed_args.rend());  // CLI11 takes them reversed
  try {
    app_->parse(reversed);
  } catch (const CLI::CallForHelp&) {
    // The innermost parsed command's help.
    const CLI::App* target = app_.get();
    for (const CLI::App* cur = app_.get(); cur;) {
      auto subs = cur->get_subcommands();
      if (subs.empty()) break;
      target = cur = subs.front();
    }
    out << target->help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    out << app_->help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& error) {
    // A stray word where a command was expected: podman's "unrecognized command".
    CLI::App* where = app_.get();
    std::string path = "krill";
    while (!where->get_subcommands().empty()) {
      where = where->get_subcommands().front();
      path += " " + where->get_name();
    }
    if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr &&
        (where == app_.get() ||
         std::find(groups_.begin(), groups_.end(), where) != groups_.end())) {
      auto extras = where->remaining();
      if (extras.empty()) extras = app_->remaining();
      if (!extras.empty() && !extras.front().empty() && extras.front().front() != '-') {
        err << "Error: unrecognized command `" << path << " " << extras.front() << "`\n"
            << "Try '" << path << " --help' for more information\n";
        return kExitEngineError;
      }
    }
    err << "Error: " << error.what() << "\nSee '" << path << " --help'\n";
    return kExitEngineError;
  }
  if (options.global.version) {
    out << "krill version " << KRILL_VERSION << "\n";
    return 0;
  }
  for (auto& entry : entries_) {
    if (entry.app->parsed()) {
      selected_ = entry.action;
      selected_name_ = entry.name;
      return std::nullopt;
    }
  }
  for (CLI::App* group : groups_) {
    if (group->parsed()) {
      err << "Error: missing command 'krill " << group->get_name() << " COMMAND'\n"
          << "Try 'krill " << group->get_name() << " --help' for more information\n";
      return kExitEngineError;
    }
  }
  err << "Error: missing command 'krill COMMAND'\nTry 'krill --help' for more information\n";
  return kExitEngineError;
}

namespace {

// `krill [global flags] runtime ...`: the index of "runtime" when it is the command.
std::optional<size_t> runtime_command_index(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "runtime") return i;
    if (a.empty() || a.front() != '-') return std::nullopt;
    if (global_flag_takes_value(a)) ++i;
  }
  return std::nullopt;
}

int run(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err,
        bool terminals) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (auto at = runtime_command_index(args)) {
    // The runtime's own flags follow; podman's global flags before it are not its flags.
    std::vector<char*> runtime_argv;
    runtime_argv.push_back(argv[*at + 1]);
    for (int i = static_cast<int>(*at) + 2; i < argc; ++i) runtime_argv.push_back(argv[i]);
    runtime_argv.push_back(nullptr);
    return runtime_main(static_cast<int>(runtime_argv.size() - 1), runtime_argv.data(), in, out,
                        err);
  }
  KrillCommandLine line(args);
  if (auto status = line.parse(args, out, err)) return *status;
  auto level = parse_krill_log_level(line.options.global.log_level);
  if (!level) {
    err << "Error: " << level.error().message() << "\n";
    return kExitEngineError;
  }
  Context ctx{line.options.global, in, out, err};
  ctx.log_level = *level;
  if (terminals) {
    ctx.out_is_terminal = isatty(STDOUT_FILENO) == 1;
    ctx.err_is_terminal = isatty(STDERR_FILENO) == 1;
    ctx.in_is_terminal = isatty(STDIN_FILENO) == 1;
  }
  ctx.debug("running command " + line.command_name());
  if (auto entered = enter_rootless_namespace(ctx, line.command_name()); !entered) {
    err << "Error: " << entered.error().message() << "\n";
    return kExitEngineError;
  }
  try {
    auto status = line.action()(ctx);
    out.flush();
    if (!status) {
      err << "Error: " << status.error().message() << "\n";
      return kExitEngineError;
    }
    return *status;
  } catch (const std::exception& e) {
    err << "Error: " << line.command_name() << ": " << e.what() << "\n";
    return kExitEngineError;
  }
}

}  // namespace

int krill_main(int argc, char** argv, std::istream& in, std::ostream& out, std::ostream& err) {
  return run(argc, argv, in, out, err, false);
}

int krill_main(int argc, char** argv) {
  return run(argc, argv, std::cin, std::cout, std::cerr, true);
}

}  // namespace krill::cli
