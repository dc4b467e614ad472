// from, run CTR -- CMD, copy, config, mount, umount: buildah's verbs on engine containers.
#include "cli/krill/cmd_working_container.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "build/file_copy.h"
#include "build/run_step.h"
#include "build/shell_words.h"
#include "build/step_config.h"
#include "cli/krill/cmd_container.h"
#include "cli/krill/image_pull_policy.h"
#include "cli/krill/krill_cli.h"
#include "cli/krill/store_access.h"
#include "engine/spec_builder.h"
#include "image/reference.h"

namespace krill::cli {
namespace {

// buildah's default name: the image's last path component without tag, "-working-container",
// and "-N" when taken.
Result<std::string> working_container_name(engine::Engine& engine, const std::string& image) {
  std::string base = image;
  if (size_t at = base.find('@'); at != std::string::npos) base.resize(at);
  if (size_t slash = base.find_last_of('/'); slash != std::string::npos) base.erase(0, slash + 1);
  if (size_t colon = base.find(':'); colon != std::string::npos) base.resize(colon);
  if (base.empty()) base = "working";
  std::string name = base + "-working-container";
  for (int n = 2; engine.store().find(name).has_value(); ++n)
    name = base + "-working-container-" + std::to_string(n);
  return name;
}

Result<engine::ContainerRecord> find_working_container(engine::Engine& engine,
                                                       const std::string& name) {
  auto record = KRILL_TRY(engine.find(name));
  if (!record.config.annotations.contains(engine::kWorkingContainerAnnotation))
    return fail(name + " is not a working container (made by `krill from`)");
  return record;
}

Result<int> run_from(Context& ctx, const FromFlags& o) {
  PullPolicyRequest request;
  request.image = o.image;
  request.policy = o.pull;
  request.quiet = o.quiet;
  request.registry = o.registry;
  auto image = KRILL_TRY(ensure_local_image(ctx, request));
  auto engine = KRILL_TRY(open_engine(ctx));
  engine::ContainerConfig config;
  config.image_ref = o.image;
  config.image_id = image.id.str();
  config.image_name = image.names.empty() ? "" : image.names.front();
  config.annotations[engine::kWorkingContainerAnnotation] = "true";
  std::string name = o.name.empty() ? KRILL_TRY(working_container_name(engine, o.image)) : o.name;
  auto record = KRILL_TRY(engine.create(config, name));
  ctx.out << record.name << "\n";
  return 0;
}

Result<int> run_mount(Context& ctx, const MountFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  for (const auto& name : o.containers) ctx.out << KRILL_TRY(engine.mount(name)) << "\n";
  return 0;
}

Result<int> run_umount(Context& ctx, const MountFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  for (const auto& name : o.containers) {
    KRILL_CHECK(engine.unmount(name));
    ctx.out << name << "\n";
  }
  return 0;
}

Result<int> run_working_copy(Context& ctx, const WorkingCopyFlags& o) {
  if (o.paths.size() < 2) return fail("copy: want CONTAINER SOURCE... DESTINATION");
  auto engine = KRILL_TRY(open_engine(ctx));
  auto record = KRILL_TRY(engine.find(o.container));
  std::string cwd = std::filesystem::current_path().string();
  build::CopyRequest request;
  request.instruction = "copy";
  request.source_root = "/";
  for (size_t i = 0; i + 1 < o.paths.size(); ++i)
    request.sources.push_back(o.paths[i].starts_with("/") ? o.paths[i] : cwd + "/" + o.paths[i]);
  request.destination = o.paths.back();
  request.workdir = record.config.working_dir.empty() ? "/" : record.config.working_dir;
  if (!o.chmod.empty()) {
    char* end = nullptr;
    unsigned long mode = std::strtoul(o.chmod.c_str(), &end, 8);
    if (*end != '\0' || mode > 07777) return fail("--chmod " + o.chmod + ": not an octal mode");
    request.mode = static_cast<mode_t>(mode);
  }
  KRILL_CHECK(engine.with_rootfs(
      o.container, [&](const engine::ContainerRecord&, const std::string& rootfs) -> Result<void> {
        if (!o.chown.empty()) {
          auto user = KRILL_TRY(engine::resolve_user(rootfs, o.chown, {}));
          request.uid = user.uid;
          request.gid = o.chown.find(':') == std::string::npos ? user.uid : user.gid;
        }
        return build::copy_into_rootfs(request, rootfs);
      }));
  return 0;
}

// --cmd/--entrypoint values: a JSON array as it is; otherwise words (cmd) or a shell command
// (entrypoint), as buildah.
Result<std::vector<std::string>> command_value(const std::string& text, bool shell) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_array()) {
    std::vector<std::string> out;
    for (const auto& v : parsed) {
      if (!v.is_string()) return fail("\"" + text + "\": the array must hold strings");
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  if (shell) return std::vector<std::string>{"/bin/sh", "-c", text};
  return build::expand_words(text, [](std::string_view) { return std::nullopt; });
}

void set_or_remove(std::vector<std::string>& env, const std::string& item) {
  bool remove = item.ends_with("-") && item.find('=') == std::string::npos;
  std::string key = remove ? item.substr(0, item.size() - 1) : item.substr(0, item.find('='));
  std::erase_if(env, [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
  if (!remove) env.push_back(item);
}

Result<int> run_config(Context& ctx, const ConfigFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto record = KRILL_TRY(find_working_container(engine, o.container));
  std::optional<std::vector<std::string>> cmd, entrypoint;
  if (o.cmd != kUnsetFlag) cmd = KRILL_TRY(command_value(o.cmd, false));
  if (o.entrypoint != kUnsetFlag) entrypoint = KRILL_TRY(command_value(o.entrypoint, true));
  KRILL_CHECK(engine.store().modify(record.id, [&](engine::ContainerRecord& r) -> Result<void> {
    engine::ContainerConfig& c = r.config;
    if (cmd) c.command = *cmd;
    if (entrypoint) c.entrypoint = *entrypoint;
    if (o.workingdir != kUnsetFlag) c.working_dir = o.workingdir;
    if (o.user != kUnsetFlag) c.user = o.user;
    for (const auto& item : o.env) set_or_remove(c.env, item);
    for (const auto& item : o.labels) {
      if (item.ends_with("-") && item.find('=') == std::string::npos)
        c.labels.erase(item.substr(0, item.size() - 1));
      else
        c.labels[item.substr(0, item.find('='))] =
            item.find('=') == std::string::npos ? "" : item.substr(item.find('=') + 1);
    }
    return {};
  }));
  return 0;
}

}  // namespace

Result<std::optional<int>> run_in_working_container(Context& ctx, const RunFlags& o) {
  if (o.command.empty() || o.command.front() != "--") return std::optional<int>();
  auto engine = KRILL_TRY(open_engine(ctx));
  auto found = engine.find(o.image);
  if (!found || !found->config.annotations.contains(engine::kWorkingContainerAnnotation))
    return std::optional<int>();
  std::vector<std::string> args(o.command.begin() + 1, o.command.end());
  if (args.empty()) return fail("run " + o.image + ": no command after --");
  auto image_config =
      KRILL_TRY(engine::image_container_config(engine.images(), found->config.image_id));
  build::RunStep step;
  step.args = args;
  step.env = image_config.env;
  for (const auto& e : found->config.env) set_or_remove(step.env, e);
  for (const auto& e : o.env) set_or_remove(step.env, e);
  step.user = !o.user.empty()               ? o.user
              : !found->config.user.empty() ? found->config.user
                                            : image_config.user;
  step.workdir = !o.workdir.empty()                   ? o.workdir
                 : !found->config.working_dir.empty() ? found->config.working_dir
                 : !image_config.working_dir.empty()  ? image_config.working_dir
                                                      : "/";
  step.network = o.network.size() == 1 && o.network.front() == "none" ? "none" : "host";
  std::optional<int> status;
  std::string bundle = engine.container_dir(found->id) + "/run-bundle";
  KRILL_CHECK(engine.with_rootfs(
      found->id,
      [&](const engine::ContainerRecord& record, const std::string& rootfs) -> Result<void> {
        (void)remove_all(bundle);
        KRILL_CHECK(mkdir_all(bundle, 0700));
        build::RunEnvironment environment;
        environment.rootfs = rootfs;
        environment.bundle_dir = bundle;
        environment.runtime_path = krill_executable_dir() + "/krill-runtime";
        environment.runtime_root = engine.options().run_root + "/runtime";
        environment.container_id = record.id.substr(0, 12) + "-run-" + std::to_string(::getpid());
        auto ran = build::run_step(step, environment);
        (void)remove_all(bundle);
        if (!ran) return std::unexpected(ran.error());
        status = *ran;
        return {};
      }));
  return status;
}

void KrillCommandLine::register_working_container_commands() {
  auto& o = options;
  CLI::App& top = *app_;
  {
    auto* c = add(top, "from", "Create a working container from an image (buildah from)", "IMAGE",
                  "c=$(krill from localhost/base:1) && krill run $c -- make && krill commit $c app",
                  [&o](Context& ctx) { return run_from(ctx, o.from); });
    c->add_option("IMAGE", o.from.image, "the image")->required();
    c->add_option("--name", o.from.name, "the container's name (default IMAGE-working-container)");
    c->add_option("--pull", o.from.pull, "pull the image: always, missing, never, newer");
    c->add_flag("-q,--quiet", o.from.quiet, "no pull progress");
    c->add_flag("--tls-verify,!--no-tls-verify", o.from.registry.tls_verify,
                "require HTTPS and verify certificates");
    c->add_option("--creds", o.from.registry.creds, "credentials USERNAME[:PASSWORD]");
    c->add_option("--authfile", o.from.registry.authfile, "path of the authentication file");
  }
  {
    auto* c = add(top, "mount", "Mount a container's root file system and print its path",
                  "CONTAINER...", "cd $(krill mount mycontainer)",
                  [&o](Context& ctx) { return run_mount(ctx, o.mount); });
    c->add_option("CONTAINER", o.mount.containers, "containers")->required();
  }
  {
    auto* c =
        add(top, "umount", "Unmount a container's root file system", "CONTAINER...",
            "krill umount mycontainer", [&o](Context& ctx) { return run_umount(ctx, o.umount); });
    c->alias("unmount");
    c->add_option("CONTAINER", o.umount.containers, "containers")->required();
  }
  {
    auto* c = add(top, "copy", "Copy host files into a container's root file system (buildah copy)",
                  "CONTAINER SOURCE... DESTINATION", "krill copy $c ./app /usr/local/bin/",
                  [&o](Context& ctx) { return run_working_copy(ctx, o.working_copy); });
    c->add_option("CONTAINER", o.working_copy.container, "the container")->required();
    c->add_option("PATHS", o.working_copy.paths, "sources and destination")->required();
    c->add_option("--chown", o.working_copy.chown, "owner user[:group] in the container");
    c->add_option("--chmod", o.working_copy.chmod, "mode of the copied files (octal)");
  }
  {
    auto* c = add(top, "config", "Change a working container's image settings (buildah config)",
                  "CONTAINER", "krill config --cmd '[\"/app\"]' --env MODE=prod $c",
                  [&o](Context& ctx) { return run_config(ctx, o.config); });
    c->add_option("CONTAINER", o.config.container, "the container")->required();
    c->add_option("--cmd", o.config.cmd, "default command (JSON array or words)");
    c->add_option("--entrypoint", o.config.entrypoint, "entrypoint (JSON array or shell command)");
    c->add_option("--env,-e", o.config.env, "K=V (K- removes K)")->allow_extra_args(false);
    c->add_option("--label,-l", o.config.labels, "K=V (K- removes K)")->allow_extra_args(false);
    c->add_option("--workingdir", o.config.workingdir, "working directory");
    c->add_option("--user,-u", o.config.user, "user[:group]");
  }
}

}  // namespace krill::cli
