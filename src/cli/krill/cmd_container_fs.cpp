// cp, diff, export, commit, stats, port: the container's file system and resource usage.
//
// cp works on the container's root (engine::Engine::with_container_root: the running
// container's own view, else its root file system mounted for the call) with Docker's path
// rules and tar streams of engine/container_copy.h; export writes the root file system with
// engine/tar_tree.h. No host tool (tar) is run: container paths are resolved inside the
// container and its symlinks never lead out of it.
#include "cli/krill/cmd_container_fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/unique_fd.h"
#include "cli/krill/cmd_container.h"
#include "cli/krill/krill_cli.h"
#include "cli/krill/store_access.h"
#include "engine/container_copy.h"
#include "network/container_network.h"

namespace krill::cli {

using nlohmann::json;

std::optional<ContainerPath> split_container_path(const std::string& arg) {
  if (arg.empty() || arg.front() == '/' || arg.front() == '.') return std::nullopt;
  auto colon = arg.find(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  auto slash = arg.find('/');
  if (slash != std::string::npos && slash < colon) return std::nullopt;
  ContainerPath p{arg.substr(0, colon), arg.substr(colon + 1)};
  if (p.path.empty()) p.path = "/";
  return p;
}

// ---- verbs ----

Result<int> run_container_cp(Context& ctx, const CpFlags& o) {
  auto src = split_container_path(o.source);
  auto dest = split_container_path(o.destination);
  if (src && dest) return fail("copying between containers is not supported");
  if (!src && !dest) return fail("one of the source and destination must be CONTAINER:PATH");
  if (o.source == "-" && !dest) return fail("cp -: the destination must be CONTAINER:PATH");
  auto engine = KRILL_TRY(open_engine(ctx));
  ctx.out.flush();
  engine::CopyOptions copy;
  copy.follow_link = o.follow_link;
  copy.extract.overwrite = o.overwrite;
  if (src) {
    // Docker: files land owned by the user running cp, unless -a keeps the container's ids.
    if (!o.archive) copy.extract.owner = std::make_pair(::geteuid(), ::getegid());
    KRILL_CHECK(engine.with_container_path(
        src->container, src->path,
        [&](const engine::ContainerRecord&, const engine::PathRoot& root,
            const std::string& path) -> Result<void> {
          if (o.destination == "-") return engine::copy_to_tar(root, path, 1, o.follow_link);
          auto host = KRILL_TRY(engine::host_root());
          return engine::copy_path(root, path, host, o.destination, copy);
        }));
    return 0;
  }
  // Docker: files land owned by the container's root, unless -a keeps the source's ids.
  if (!o.archive) copy.extract.owner = std::make_pair(uid_t{0}, gid_t{0});
  KRILL_CHECK(
      engine.with_container_path(dest->container, dest->path,
                                 [&](const engine::ContainerRecord&, const engine::PathRoot& root,
                                     const std::string& path) -> Result<void> {
                                   if (o.source == "-") {
                                     copy.extract.what = "the tar stream on stdin";
                                     return engine::copy_from_tar(0, root, path, copy.extract);
                                   }
                                   auto host = KRILL_TRY(engine::host_root());
                                   return engine::copy_path(host, o.source, root, path, copy);
                                 }));
  return 0;
}

Result<int> run_container_diff(Context& ctx, const DiffFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto changes = KRILL_TRY(engine.changes(o.container));
  if (o.format == "json") {
    json doc = json::object();
    for (const auto& [kind, path] : changes) {
      const char* key = kind == 'A' ? "added" : kind == 'D' ? "deleted" : "changed";
      doc[key].push_back(path);
    }
    ctx.out << doc.dump(4) << "\n";
    return 0;
  }
  if (!o.format.empty() && o.format != "table")
    return fail("diff --format " + o.format + ": supported are json and table");
  for (const auto& [kind, path] : changes) ctx.out << kind << " " << path << "\n";
  return 0;
}

Result<int> run_container_export(Context& ctx, const ExportOptions& o) {
  if (o.output.empty() && ::isatty(1))
    return fail("refusing to export to terminal. Use -o flag or redirect");
  auto engine = KRILL_TRY(open_engine(ctx));
  ctx.out.flush();
  UniqueFd out_fd;
  std::string temp;
  if (!o.output.empty()) {
    temp = o.output + ".krill-tmp";
    out_fd = UniqueFd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out_fd.get() < 0) return fail_errno("export: create " + o.output);
  }
  auto exported = engine.with_rootfs(
      o.container, [&](const engine::ContainerRecord&, const std::string& rootfs) -> Result<void> {
        UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root) return fail_errno("export: open " + rootfs);
        auto tar = KRILL_TRY(engine::TarWriter::open(out_fd ? out_fd.get() : 1, true));
        KRILL_CHECK(tar.add_children(root.get()));
        return tar.finish();
      });
  if (!exported) {
    if (!temp.empty()) ::unlink(temp.c_str());
    return std::unexpected(exported.error());
  }
  if (!temp.empty()) {
    if (::fsync(out_fd.get()) != 0 || ::rename(temp.c_str(), o.output.c_str()) != 0) {
      ::unlink(temp.c_str());
      return fail_errno("export: write " + o.output);
    }
  }
  return 0;
}

Result<int> run_container_commit(Context& ctx, const CommitFlags& o) {
  std::string name;
  if (!o.image.empty()) name = KRILL_TRY(normalize_name(o.image));
  auto engine = KRILL_TRY(open_engine(ctx));
  auto record =
      KRILL_TRY(engine.commit(o.container, name, o.message, o.author, o.changes, o.pause));
  ctx.out << record.id.str() << "\n";
  return 0;
}

Result<int> run_container_port(Context& ctx, const PortFlags& o) {
  auto engine = KRILL_TRY(open_engine(ctx));
  auto record = KRILL_TRY(engine.find(o.container));
  std::vector<network::PortMapping> ports;
  if (record.status == engine::ContainerStatus::kRunning ||
      record.status == engine::ContainerStatus::kPaused) {
    auto state = KRILL_TRY(engine.network_state(record));
    if (state) ports = state->ports;
  }
  std::string wanted = o.port;
  if (!wanted.empty() && wanted.find('/') == std::string::npos) wanted += "/tcp";
  bool any = false;
  for (const auto& p : ports) {
    std::string key = std::to_string(p.container_port) + "/" + p.protocol;
    std::string host = (p.host_ip.empty() ? std::string("0.0.0.0") : p.host_ip) + ":" +
                       std::to_string(p.host_port);
    if (wanted.empty()) {
      ctx.out << key << " -> " << host << "\n";
    } else if (key == wanted) {
      ctx.out << host << "\n";
    } else {
      continue;
    }
    any = true;
  }
  if (!wanted.empty() && !any)
    return fail("no public port '" + wanted + "' published for " + o.container);
  return 0;
}

void KrillCommandLine::register_container_fs_commands(CLI::App& p, bool g) {
  auto& f = options.container.fs;
  {
    auto* c = add(p, "cp", "Copy files between a container and the host",
                  "[-a] CONTAINER:SRC_PATH DEST_PATH|-  or  [-a] SRC_PATH|- CONTAINER:DEST_PATH",
                  "krill cp web:/etc/hosts ./hosts && krill cp ./conf/. web:/etc/app/\n"
                  "  krill cp web:/var/log - | tar -t",
                  [&f](Context& ctx) { return run_container_cp(ctx, f.cp); });
    c->add_option("SRC", f.cp.source, "CONTAINER:PATH, a host path or - (tar on stdin)")
        ->required();
    c->add_option("DEST", f.cp.destination, "CONTAINER:PATH, a host path or - (tar on stdout)")
        ->required();
    c->add_flag("-a,--archive", f.cp.archive, "keep the files' uid/gid");
    c->add_flag("-L,--follow-link", f.cp.follow_link, "follow a symlink in SRC");
    c->add_flag("--overwrite", f.cp.overwrite,
                "let a directory replace a non-directory and the reverse");
  }
  {
    auto* c = add(p, "diff", "Show the files a container added (A), changed (C) or deleted (D)",
                  "CONTAINER", "krill diff web",
                  [&f](Context& ctx) { return run_container_diff(ctx, f.diff); });
    c->add_option("CONTAINER", f.diff.container, "the container")->required();
    c->add_option("--format", f.diff.format, "json");
  }
  {
    auto* c = add(p, "commit", "Create an image from a container's changes", "CONTAINER [IMAGE]",
                  "krill commit -m 'add config' -c 'CMD [\"httpd\",\"-f\"]' web localhost/web:v2",
                  [&f](Context& ctx) { return run_container_commit(ctx, f.commit); });
    c->add_option("CONTAINER", f.commit.container, "the container")->required();
    c->add_option("IMAGE", f.commit.image, "name of the new image");
    c->add_option("-m,--message", f.commit.message, "commit message (history comment)");
    c->add_option("-a,--author", f.commit.author, "author");
    c->add_option("-c,--change", f.commit.changes,
                  "Dockerfile instruction: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, "
                  "USER, VOLUME, WORKDIR")
        ->allow_extra_args(false);
    c->add_flag("-p,--pause", f.commit.pause, "pause the container while committing");
    c->add_flag("-q,--quiet", f.commit.quiet, "accepted for podman compatibility");
  }
  {
    auto* c = add(p, "stats", "Show containers' CPU, memory, network, block I/O and PIDs usage",
                  "[CONTAINER...]",
                  "krill stats --no-stream --format json web\n"
                  "  krill stats --interval 2 --format 'table {{.Name}}\\t{{.CPUPerc}}'",
                  [&f](Context& ctx) { return run_container_stats(ctx, f.stats); });
    c->add_option("CONTAINER", f.stats.containers, "names or ids (default: running ones)");
    c->add_flag("--no-stream", f.stats.no_stream, "one sample, then exit");
    c->add_flag("-a,--all", f.stats.all, "every container, not just running ones");
    c->add_flag("--no-trunc", f.stats.no_trunc, "full container ids");
    c->add_flag("--no-reset", f.stats.no_reset, "do not clear the terminal between samples");
    c->add_option("-i,--interval", f.stats.interval, "seconds between samples (default 1)");
    c->add_option("--format", f.stats.format,
                  "json, table, or a Go template: {{.ID}} {{.Name}} {{.CPUPerc}} {{.MemUsage}} "
                  "{{.MemPerc}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}");
  }
  {
    auto* c = add(p, "port", "List a container's published ports", "CONTAINER [PORT]",
                  "krill port web", [&f](Context& ctx) { return run_container_port(ctx, f.port); });
    c->add_option("CONTAINER", f.port.container, "the container")->required();
    c->add_option("PORT", f.port.port, "PORT[/PROTO]");
  }
  if (g) {
    auto* c = add(p, "export", "Write a container's filesystem as a tarball", "CONTAINER",
                  "krill container export -o rootfs.tar c1",
                  [this](Context& ctx) { return run_container_export(ctx, options.export_); });
    c->add_option("CONTAINER", options.export_.container, "the container")->required();
    c->add_option("-o,--output", options.export_.output, "the tarball (default stdout)");
  }
}

}  // namespace krill::cli
