// cp, diff, export, commit, stats, port: the container's file system and resource usage.
//
// cp and export work on the container's rootfs on the host (engine::Engine::with_rootfs: the
// mounted one while it runs, else mounted for the call). Container paths are resolved inside
// the rootfs with openat2(RESOLVE_IN_ROOT), so a symlink in the container never leads out of
// it; the copy itself is GNU tar (create | extract), which never follows symlinks it archives.
#include "cli/krill/cmd_container_fs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
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

namespace {

// ---- paths ----

struct SplitPath {
  std::string parent;           // "" = the current dir / the root
  std::string base;             // "" = the path is the root itself
  bool contents = false;        // ends with "/." : the directory's contents
  bool trailing_slash = false;  // ends with "/"
};

SplitPath split_path(std::string path) {
  SplitPath s;
  if (path.ends_with("/.")) {
    s.contents = true;
    path.resize(path.size() - 1);
  }
  if (path.size() > 1 && path.ends_with("/")) s.trailing_slash = !s.contents;
  while (path.size() > 1 && path.ends_with("/")) path.pop_back();
  if (path == "/" || path.empty()) {
    s.parent = "/";
    return s;
  }
  auto slash = path.rfind('/');
  if (slash == std::string::npos) {
    s.parent = ".";
    s.base = path;
  } else {
    s.parent = slash == 0 ? "/" : path.substr(0, slash);
    s.base = path.substr(slash + 1);
  }
  if (s.base == "." || s.base == "..") {  // "a/.." : not split
    s.parent = path;
    s.base.clear();
  }
  return s;
}

// `path` inside `rootfs` (symlinks resolved as if rootfs were "/") as a host path.
Result<std::string> resolve_in_rootfs(const std::string& rootfs, const std::string& path) {
  UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return fail_errno("open " + rootfs);
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  std::string rel = path.empty() ? "." : path;
  int fd = static_cast<int>(::syscall(SYS_openat2, root.get(), rel.c_str(), &how, sizeof how));
  if (fd < 0) return fail_errno(path);
  UniqueFd resolved(fd);
  char buf[PATH_MAX];
  std::string link = "/proc/self/fd/" + std::to_string(resolved.get());
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n < 0) return fail_errno("readlink " + link);
  std::string host(buf, static_cast<size_t>(n));
  if (host != rootfs && !host.starts_with(rootfs + "/"))
    return fail(path + ": resolves outside the container");
  return host;
}

// The host path of a path of the container (resolved in the rootfs) or of the host.
Result<std::string> resolve_dir(const std::optional<std::string>& rootfs, const std::string& dir) {
  if (rootfs) return resolve_in_rootfs(*rootfs, dir);
  return dir;
}

// ---- tar ----

pid_t spawn(const std::vector<std::string>& argv, int in_fd, int out_fd) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (in_fd >= 0 && in_fd != 0) ::dup2(in_fd, 0);
  if (out_fd >= 0 && out_fd != 1) ::dup2(out_fd, 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

Result<void> wait_ok(pid_t pid, const std::string& what) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return fail_errno("wait " + what);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return fail(what + " failed (status " +
                std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
                ")");
  return {};
}

std::string sed_escape(const std::string& s, bool regex) {
  std::string out;
  for (char c : s) {
    if (c == ',' || c == '\\' ||
        (regex && std::string_view(".[]*^$").find(c) != std::string_view::npos) ||
        (!regex && c == '&'))
      out += '\\';
    out += c;
  }
  return out;
}

// tar -c of `name` in `dir` (renamed `rename_to` when not empty) to out_fd (-1: stdout).
std::vector<std::string> tar_create(const std::string& dir, const std::string& name,
                                    const std::string& rename_to) {
  std::vector<std::string> argv = {"tar", "--numeric-owner", "-C", dir, "-cf", "-"};
  if (!rename_to.empty() && rename_to != name)
    argv.push_back("--transform=s,^" + sed_escape(name, true) + "$," +
                   sed_escape(rename_to, false) + ",S");
  argv.push_back("--");
  argv.push_back(name);
  return argv;
}

std::vector<std::string> tar_extract(const std::string& dir, bool archive) {
  std::vector<std::string> argv = {"tar", "--numeric-owner", "-C", dir, "-xf", "-"};
  if (!archive) argv.push_back("--no-same-owner");
  return argv;
}

Result<void> tar_pipe(const std::vector<std::string>& create,
                      const std::vector<std::string>& extract) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  pid_t writer = spawn(create, -1, write_end.get());
  pid_t reader = spawn(extract, read_end.get(), -1);
  read_end.reset();
  write_end.reset();
  auto created = wait_ok(writer, "tar (create)");
  auto extracted = wait_ok(reader, "tar (extract)");
  if (!created) return created;
  return extracted;
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The copy once both sides are host paths. src_parent/src.base is the source (src.contents:
// its contents); the destination is `dest` with dest_rootfs = its container's rootfs (or
// nullopt: a host path).
Result<void> copy_between(const std::string& src_parent, const SplitPath& src,
                          const std::string& dest_arg,
                          const std::optional<std::string>& dest_rootfs, bool archive) {
  std::string src_path = src_parent + (src.base.empty() ? "" : "/" + src.base);
  struct stat st {};
  if (::lstat(src_path.c_str(), &st) != 0) return fail_errno("cp " + src_path);
  bool src_dir = S_ISDIR(st.st_mode);
  if ((src.contents || src.trailing_slash) && !src_dir)
    return fail("cp: source is not a directory");
  std::string src_dir_of = src.base.empty() ? src_parent : src_parent;
  std::string src_name = src.base.empty() ? "." : src.base;

  SplitPath dest = split_path(dest_arg);
  // The destination as it is, if it exists (symlinks followed inside the rootfs).
  std::optional<std::string> dest_host;
  if (auto r = resolve_dir(dest_rootfs, dest_arg.empty() ? "." : dest_arg)) {
    struct stat dst {};
    if (::stat(r->c_str(), &dst) == 0) dest_host = *r;
  }
  if (dest_host && is_dir(*dest_host)) {
    if (src.contents || src.base.empty())
      return tar_pipe(tar_create(src_path, ".", ""), tar_extract(*dest_host, archive));
    return tar_pipe(tar_create(src_dir_of, src_name, ""), tar_extract(*dest_host, archive));
  }
  if (dest_host) {  // an existing file
    if (src_dir) return fail("cp: cannot copy a directory to a file: " + dest_arg);
    if (dest.trailing_slash) return fail("cp " + dest_arg + ": not a directory");
  } else if (dest.trailing_slash && !src_dir) {
    return fail("cp " + dest_arg +
                ": no such file or directory (the destination directory must "
                "exist)");
  }
  if (dest.base.empty()) return fail("cp " + dest_arg + ": invalid destination");
  auto parent = resolve_dir(dest_rootfs, dest.parent);
  if (!parent || !is_dir(*parent))
    return fail("cp " + dest_arg + ": " + dest.parent + ": no such file or directory");
  if (src_dir) {
    std::string target = *parent + "/" + dest.base;
    if (::mkdir(target.c_str(), st.st_mode & 07777) != 0 && errno != EEXIST)
      return fail_errno("mkdir " + dest_arg);
    return tar_pipe(tar_create(src_path, ".", ""), tar_extract(target, archive));
  }
  return tar_pipe(tar_create(src_dir_of, src_name, dest.base), tar_extract(*parent, archive));
}

// ---- stats ----

struct StatsSample {
  uint64_t cpu_ns = 0;
  uint64_t mem_usage = 0, mem_limit = 0;
  uint64_t pids = 0;
  uint64_t block_read = 0, block_write = 0;
  std::chrono::steady_clock::time_point at;
};

StatsSample parse_stats(const std::string& text) {
  StatsSample s;
  s.at = std::chrono::steady_clock::now();
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object()) return s;
  const json& d = doc.contains("data") ? doc["data"] : doc;
  auto num = [](const json& j, std::initializer_list<const char*> path) -> uint64_t {
    const json* p = &j;
    for (const char* k : path) {
      if (!p->is_object() || !p->contains(k)) return 0;
      p = &(*p)[k];
    }
    return p->is_number() ? p->get<uint64_t>() : 0;
  };
  s.cpu_ns = num(d, {"cpu", "usage", "total"});
  s.mem_usage = num(d, {"memory", "usage", "usage"});
  s.mem_limit = num(d, {"memory", "usage", "limit"});
  s.pids = num(d, {"pids", "current"});
  if (d.contains("blkio") && d["blkio"].contains("ioServiceBytesRecursive") &&
      d["blkio"]["ioServiceBytesRecursive"].is_array())
    for (const auto& e : d["blkio"]["ioServiceBytesRecursive"]) {
      std::string op = e.value("op", "");
      std::transform(op.begin(), op.end(), op.begin(), ::tolower);
      uint64_t v = e.value("value", uint64_t{0});
      if (op == "read") s.block_read += v;
      if (op == "write") s.block_write += v;
    }
  return s;
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int i = 0;
  while (v >= 1000 && i < 4) {
    v /= 1000;
    ++i;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, i == 0 ? "%.0f%s" : "%.3g%s", v, units[i]);
  return buf;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", v);
  return buf;
}

bool live(const engine::ContainerRecord& r) {
  return r.status == engine::ContainerStatus::kRunning ||
         r.status == engine::ContainerStatus::kPaused;
}

}  // namespace

// ---- verbs ----

Result<int> run_container_cp(Context& ctx, const CpFlags& o) {
  auto src = split_container_path(o.source);
  auto dest = split_container_path(o.destination);
  if (src && dest) return fail("copying between containers is not supported");
  if (!src && !dest) return fail("one of the source and destination must be CONTAINER:PATH");
  auto engine = KRILL_TRY(open_engine(ctx));
  ctx.out.flush();
  if (src) {
    SplitPath s = split_path(src->path);
    KRILL_CHECK(engine.with_rootfs(
        src->container,
        [&](const engine::ContainerRecord&, const std::string& rootfs) -> Result<void> {
          auto parent = resolve_in_rootfs(rootfs, s.parent);
          if (!parent)
            return fail("cp " + src->path + ": no such file or directory (in container " +
                        src->container + ")");
          std::string path = *parent + (s.base.empty() ? "" : "/" + s.base);
          struct stat st {};
          if (::lstat(path.c_str(), &st) != 0)
            return fail("cp " + src->path + ": no such file or directory (in container " +
                        src->container + ")");
          if (o.follow_link && S_ISLNK(st.st_mode)) {
            auto followed = resolve_in_rootfs(rootfs, src->path);
            if (!followed) return std::unexpected(followed.error());
            auto last = followed->rfind('/');
            SplitPath f{followed->substr(0, last), followed->substr(last + 1), s.contents, false};
            return copy_between(f.parent, f, o.destination, std::nullopt, o.archive);
          }
          if (o.destination == "-") {
            std::string dir = s.base.empty() ? path : *parent;
            std::string name = s.base.empty() ? "." : s.base;
            pid_t pid = spawn(tar_create(dir, name, ""), -1, -1);
            return wait_ok(pid, "tar (create)");
          }
          return copy_between(*parent, s, o.destination, std::nullopt, o.archive);
        }));
    return 0;
  }
  KRILL_CHECK(engine.with_rootfs(
      dest->container,
      [&](const engine::ContainerRecord&, const std::string& rootfs) -> Result<void> {
        if (o.source == "-") {
          auto dir = resolve_in_rootfs(rootfs, dest->path);
          if (!dir || !is_dir(*dir))
            return fail("cp " + dest->path + ": destination must be an existing directory");
          pid_t pid = spawn(tar_extract(*dir, o.archive), -1, -1);
          return wait_ok(pid, "tar (extract)");
        }
        SplitPath s = split_path(o.source);
        std::string parent = s.parent;
        if (o.follow_link) {
          std::error_code ec;
          auto canonical = std::filesystem::canonical(o.source, ec);
          if (!ec) {
            std::string c = canonical.string();
            auto last = c.rfind('/');
            s.parent = last == 0 ? "/" : c.substr(0, last);
            s.base = c.substr(last + 1);
            parent = s.parent;
          }
        }
        return copy_between(parent, s, dest->path, rootfs, o.archive);
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
        std::vector<std::string> names;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(rootfs, ec))
          names.push_back(e.path().filename().string());
        if (ec) return fail("export: read " + rootfs + ": " + ec.message());
        std::sort(names.begin(), names.end());
        std::vector<std::string> argv = {
            "tar", "--numeric-owner", "--xattrs", "-C", rootfs, "-cf", "-", "--"};
        argv.insert(argv.end(), names.begin(), names.end());
        pid_t pid = spawn(argv, -1, out_fd ? out_fd.get() : -1);
        return wait_ok(pid, "tar (export)");
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

Result<int> run_container_stats(Context& ctx, const StatsFlags& o) {
  if (!o.no_stream)
    ctx.err << "WARNING: streaming stats is not supported yet; showing one sample "
               "(--no-stream)\n";
  auto engine = KRILL_TRY(open_engine(ctx));
  std::vector<engine::ContainerRecord> records;
  if (o.containers.empty()) {
    for (auto& r : KRILL_TRY(engine.list()))
      if (o.all || live(r)) records.push_back(std::move(r));
  } else {
    for (const auto& name : o.containers) {
      auto r = KRILL_TRY(engine.find(name));
      if (!live(r)) return fail("container " + name + " is not running");
      records.push_back(std::move(r));
    }
  }
  std::vector<std::optional<StatsSample>> first(records.size());
  for (size_t i = 0; i < records.size(); ++i)
    if (live(records[i]))
      if (auto text = engine.stats_json(records[i].id)) first[i] = parse_stats(*text);
  if (!records.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  json rows = json::array();
  std::vector<std::vector<std::string>> table;
  table.push_back(
      {"ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET IO", "BLOCK IO", "PIDS"});
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    StatsSample s;
    double cpu = 0;
    if (first[i]) {
      if (auto text = engine.stats_json(r.id)) s = parse_stats(*text);
      double wall = std::chrono::duration<double, std::nano>(s.at - first[i]->at).count();
      if (wall > 0 && s.cpu_ns >= first[i]->cpu_ns)
        cpu = 100.0 * static_cast<double>(s.cpu_ns - first[i]->cpu_ns) / wall;
    }
    double mem = s.mem_limit > 0
                     ? 100.0 * static_cast<double>(s.mem_usage) / static_cast<double>(s.mem_limit)
                     : 0;
    std::string id = o.no_trunc ? r.id : r.id.substr(0, 12);
    rows.push_back({{"id", id},
                    {"name", r.name},
                    {"cpu_percent", percent(cpu)},
                    {"mem_usage", human_bytes(s.mem_usage) + " / " + human_bytes(s.mem_limit)},
                    {"mem_percent", percent(mem)},
                    {"net_io", "-- / --"},
                    {"block_io", human_bytes(s.block_read) + " / " + human_bytes(s.block_write)},
                    {"pids", std::to_string(s.pids)},
                    {"cpu_ns", s.cpu_ns},
                    {"mem_bytes", s.mem_usage},
                    {"mem_limit", s.mem_limit}});
    table.push_back({id, r.name, percent(cpu),
                     human_bytes(s.mem_usage) + " / " + human_bytes(s.mem_limit), percent(mem),
                     "-- / --", human_bytes(s.block_read) + " / " + human_bytes(s.block_write),
                     std::to_string(s.pids)});
  }
  if (o.format == "json") {
    ctx.out << rows.dump(4) << "\n";
    return 0;
  }
  if (!o.format.empty() && o.format != "table")
    return fail("stats --format " + o.format + ": supported are json and table");
  std::vector<size_t> widths(table.front().size(), 0);
  for (const auto& row : table)
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  for (const auto& row : table) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 2, ' ');
    }
    ctx.out << line << "\n";
  }
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
    auto* c = add(p, "stats", "Show containers' CPU, memory and PIDs usage", "[CONTAINER...]",
                  "krill stats --no-stream --format json web",
                  [&f](Context& ctx) { return run_container_stats(ctx, f.stats); });
    c->add_option("CONTAINER", f.stats.containers, "names or ids (default: running ones)");
    c->add_flag("--no-stream", f.stats.no_stream, "one sample, then exit");
    c->add_flag("-a,--all", f.stats.all, "every container, not just running ones");
    c->add_flag("--no-trunc", f.stats.no_trunc, "full container ids");
    c->add_option("--format", f.stats.format, "json or table");
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
