// The steps that change files: RUN (with --mount and --network) and COPY / ADD (context,
// --from a stage or image, heredocs, URLs), each committed as a layer.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/file_io.h"
#include "build/build_internal.h"
#include "build/file_copy.h"
#include "build/run_step.h"
#include "build/working_rootfs.h"
#include "engine/spec_builder.h"
#include "image/digest.h"

namespace krill::build::detail {
namespace {

std::string json_text(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump();
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

std::string trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// "<<EOF", "<<-EOF", "<<'EOF'", "<<\"EOF\"" -> "EOF"; "" when `word` is no heredoc marker.
std::string heredoc_marker_name(std::string_view word) {
  if (!word.starts_with("<<")) return "";
  word.remove_prefix(2);
  if (word.starts_with("-")) word.remove_prefix(1);
  if (word.size() >= 2 && (word.front() == '"' || word.front() == '\'') &&
      word.back() == word.front())
    word = word.substr(1, word.size() - 2);
  return std::string(word);
}

const Heredoc* find_heredoc(const Instruction& instruction, const std::string& name) {
  for (const auto& heredoc : instruction.heredocs)
    if (heredoc.name == name) return &heredoc;
  return nullptr;
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  UniqueFd fd(::open("/dev/urandom", O_RDONLY | O_CLOEXEC));
  if (fd.get() >= 0) (void)!::read(fd.get(), raw.data(), raw.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

// "type=cache,target=/x,ro" -> {type: cache, target: /x, ro: ""}.
std::map<std::string, std::string> parse_mount_fields(const std::string& value) {
  std::map<std::string, std::string> fields;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string field = value.substr(start, comma - start);
    if (!field.empty()) {
      size_t eq = field.find('=');
      fields[field.substr(0, eq)] = eq == std::string::npos ? "" : field.substr(eq + 1);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (fields.count("dst")) fields["target"] = fields["dst"];
  if (fields.count("destination")) fields["target"] = fields["destination"];
  if (fields.count("src")) fields["source"] = fields["src"];
  return fields;
}

// The host path of `path` inside `root`, resolved inside it.
Result<std::string> host_path_in_root(const std::string& root, const std::string& path) {
  auto fd = KRILL_TRY(open_in_root(root, path, O_PATH));
  char buffer[4096];
  std::string link = "/proc/self/fd/" + std::to_string(fd.get());
  ssize_t n = ::readlink(link.c_str(), buffer, sizeof(buffer) - 1);
  if (n < 0) return fail_errno("resolve " + path);
  return std::string(buffer, static_cast<size_t>(n));
}

}  // namespace

// ---- RUN --------------------------------------------------------------------------------

struct PreparedMounts {
  std::vector<engine::MountRequest> mounts;
  std::vector<std::unique_ptr<WorkingRootfs>> sources;  // from=stage/image, alive for the run
  std::string description;                              // for the cache key
};

static Result<PreparedMounts> prepare_run_mounts(BuildRun& build, int current_stage,
                                                 const Instruction& instruction,
                                                 const VariableLookup& variables,
                                                 const std::string& workdir) {
  PreparedMounts out;
  const BuildOptions& options = build.options();
  for (const Flag& flag : instruction.flags) {
    if (flag.name != "mount") continue;
    std::string expanded = KRILL_TRY(expand_word(flag.value, variables, build.escape()));
    auto fields = parse_mount_fields(expanded);
    std::string type = fields.count("type") ? fields["type"] : "bind";
    std::string target = fields.count("target") ? fields["target"] : "";
    if (type != "secret" && target.empty())
      return fail("--mount " + expanded + ": target is required");
    if (!target.empty() && target.front() != '/') target = resolve_workdir(workdir, target);
    engine::MountRequest mount;
    mount.destination = target;
    out.description += type + ":" + target + ";";
    if (type == "bind") {
      std::string source = fields.count("source") ? fields["source"] : "/";
      std::string root = options.context->root();
      if (fields.count("from")) {
        const std::string& from = fields["from"];
        std::vector<image::Digest> layers;
        auto stage = referenced_stage(build.plan(), from, current_stage);
        auto stage_result = stage ? build.stage_result(*stage) : std::nullopt;
        if (stage && !stage_result)
          return fail("--mount from=" + from + ": stage " + std::to_string(*stage) +
                      " is not built before this one (name it in a global ARG or literally)");
        if (stage_result) {
          layers = stage_result->image.config.rootfs.diff_ids;
          out.description += "from-stage:" + stage_result->key + ";";
        } else {
          auto loaded = KRILL_TRY(build.load_image(from));
          layers = loaded.config.rootfs.diff_ids;
          out.description += "from-image:" + image::to_json(loaded.config) + ";";
        }
        auto working =
            KRILL_TRY(WorkingRootfs::create(build.store(), layers, build.new_work_dir("mount")));
        root = working.rootfs();
        out.sources.push_back(std::make_unique<WorkingRootfs>(std::move(working)));
      } else {
        CopyRequest digest_request;
        digest_request.source_root = root;
        digest_request.ignore = &options.context->ignore();
        digest_request.sources = {source};
        out.description += "context:" + KRILL_TRY(sources_digest(digest_request)) + ";";
      }
      mount.type = "bind";
      mount.source = KRILL_TRY(host_path_in_root(root, source));
      bool writable = fields.count("rw") || fields.count("readwrite");
      if (writable && !fields.count("from"))
        return fail("--mount " + expanded +
                    ": a writable bind mount of the build context is not supported");
      mount.read_only = !writable;
    } else if (type == "cache") {
      std::string id = fields.count("id") ? fields["id"] : target;
      std::string dir = options.cache_root + "/mounts/" + image::sha256_of(id).hex();
      auto number = [&](const char* field, int base,
                        unsigned long fallback) -> Result<unsigned long> {
        if (!fields.count(field)) return fallback;
        const std::string& text = fields[field];
        unsigned long value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
        if (ec != std::errc() || end != text.data() + text.size() || text.empty())
          return fail("--mount " + expanded + ": " + field + "=" + text + " is not a number");
        return value;
      };
      const uid_t uid = static_cast<uid_t>(KRILL_TRY(number("uid", 10, 0)));
      const gid_t gid = static_cast<gid_t>(KRILL_TRY(number("gid", 10, 0)));
      const mode_t mode = static_cast<mode_t>(KRILL_TRY(number("mode", 8, 0755)));
      bool fresh = ::access(dir.c_str(), F_OK) != 0;
      KRILL_CHECK(mkdir_all(dir, 0755));
      if (fresh) {
        if (::chown(dir.c_str(), uid, gid) != 0) return fail_errno("chown cache mount " + dir);
        if (::chmod(dir.c_str(), mode) != 0) return fail_errno("chmod cache mount " + dir);
      }
      mount.type = "bind";
      mount.source = dir;
      mount.read_only = fields.count("ro") || fields.count("readonly");
    } else if (type == "tmpfs") {
      mount.type = "tmpfs";
      if (fields.count("size")) mount.options.push_back("size=" + fields["size"]);
    } else if (type == "secret") {
      std::string id = fields.count("id") ? fields["id"] : "";
      if (id.empty() && !target.empty()) id = target.substr(target.find_last_of('/') + 1);
      if (id.empty()) return fail("--mount " + expanded + ": a secret needs an id or a target");
      if (target.empty()) target = "/run/secrets/" + id;
      auto secret = options.secrets.find(id);
      if (secret == options.secrets.end()) {
        if (fields.count("required") && fields["required"] != "false")
          return fail("secret " + id + " is required but was not given with --secret");
        continue;
      }
      mount.type = "bind";
      mount.source = secret->second;
      mount.destination = target;
      mount.read_only = true;
      // The secret's content is not part of the cache key, only that it is mounted.
    } else {
      return fail("--mount " + expanded + ": type " + type +
                  " is not supported (bind, cache, tmpfs, secret)");
    }
    out.mounts.push_back(std::move(mount));
  }
  return out;
}

Result<void> StageRun::run_instruction(const Instruction& instruction) {
  const BuildOptions& options = build_.options();
  const image::ContainerConfig& config = *current_.config.config;
  std::vector<std::string> args;
  std::string heredoc_file;  // a #! script from a heredoc, run from this path in the rootfs
  std::string heredoc_body;
  if (instruction.json_form) {
    args = instruction.args;
  } else if (!instruction.heredocs.empty() &&
             heredoc_marker_name(trim(instruction.rest)) == instruction.heredocs[0].name &&
             instruction.heredocs.size() == 1) {
    // The heredoc is the whole command: its body is the script.
    heredoc_body = instruction.heredocs[0].content;
    if (heredoc_body.starts_with("#!")) {
      heredoc_file = "/.krill-heredoc-" + random_hex(6);
      args = {heredoc_file};
    } else {
      args = shell_command(current_.config, heredoc_body);
    }
  } else {
    std::string script = instruction.rest;
    for (const auto& heredoc : instruction.heredocs)
      script += "\n" + heredoc.content + heredoc.name;
    args = shell_command(current_.config, script);
  }

  std::string network = options.network;
  if (const Flag* flag = find_flag(instruction, "network")) {
    if (flag->value == "none" || flag->value == "host")
      network = flag->value;
    else if (flag->value != "default")
      return fail(where(instruction) + "RUN --network=" + flag->value +
                  ": must be default, none or host");
  }
  if (const Flag* flag = find_flag(instruction, "security"); flag && flag->value != "sandbox")
    return fail(where(instruction) + "RUN --security=" + flag->value +
                ": only sandbox is supported");
  std::string workdir = config.working_dir.empty() ? "/" : config.working_dir;
  auto mounts = prepare_run_mounts(build_, stage_.index, instruction, variables(), workdir);
  if (!mounts) return fail(where(instruction) + mounts.error().message());

  std::vector<std::string> build_args = args_in_scope();
  std::vector<std::string> env = config.env;
  for (const auto& arg : build_args) {
    std::string key = arg.substr(0, arg.find('='));
    bool set_by_env = std::any_of(env.begin(), env.end(),
                                  [&](const auto& e) { return e.starts_with(key + "="); });
    if (!set_by_env) env.push_back(arg);
  }
  std::string created_by = "RUN ";
  if (!build_args.empty())
    created_by += "|" + std::to_string(build_args.size()) + " " + join(build_args, " ") + " ";
  created_by += join(args, " ");
  std::string key =
      chain_cache_key(key_, "RUN " + json_text(args) + "\n" + heredoc_body + "\n" + json_text(env) +
                                "\nuser " + config.user + "\nworkdir " + workdir + "\nnetwork " +
                                network + "\nmounts " + mounts->description);
  if (!options.no_cache) {
    if (auto cached = build_.cache().lookup(key, build_.store())) {
      build_.print("--> Using cache " + key.substr(0, 12));
      current_ = std::move(*cached);
      key_ = key;
      return {};
    }
  }

  auto working = WorkingRootfs::create(build_.store(), current_.config.rootfs.diff_ids,
                                       build_.new_work_dir("run"));
  if (!working) return fail(where(instruction) + working.error().message());
  if (!heredoc_file.empty()) {
    UniqueFd root(::open(working->rootfs().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::string name = heredoc_file.substr(1);
    UniqueFd script(
        ::openat(root.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755));
    if (script.get() < 0 || ::write(script.get(), heredoc_body.data(), heredoc_body.size()) !=
                                static_cast<ssize_t>(heredoc_body.size()))
      return fail_errno(where(instruction) + "write the heredoc script");
  }
  RunStep run;
  run.args = args;
  run.env = env;
  run.user = config.user;
  run.workdir = workdir;
  run.network = network;
  run.mounts = mounts->mounts;
  RunEnvironment environment;
  environment.rootfs = working->rootfs();
  environment.bundle_dir = working->bundle_dir();
  environment.isolation = options.isolation;
  environment.runtime_path = options.runtime_path;
  environment.runtime_root =
      options.runtime_root.empty() ? options.work_root + "/runtime" : options.runtime_root;
  environment.container_id = "krill-build-" + random_hex(8);
  environment.stdout_fd = options.run_stdout_fd;
  environment.stderr_fd = options.run_stderr_fd;
  auto status = run_step(run, environment);
  if (!heredoc_file.empty()) {
    UniqueFd root(::open(working->rootfs().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    (void)::unlinkat(root.get(), heredoc_file.substr(1).c_str(), 0);
  }
  if (!status) return fail(where(instruction) + status.error().message());
  if (*status != 0)
    return fail(where(instruction) + "RUN failed (stage " + std::to_string(stage_.index) +
                (stage_.name.empty() ? "" : " " + stage_.name) + "): process \"" + join(args, " ") +
                "\" did not complete successfully: exit code: " + std::to_string(*status));
  auto layer = working->commit_layer(options.timestamp);
  if (!layer) return fail(where(instruction) + layer.error().message());
  StageImage next = current_;
  next.layers.push_back(layer->blob);
  next.config.rootfs.diff_ids.push_back(layer->diff_id);
  add_history(next, created_by, false);
  return finish_step(key, std::move(next));
}

// ---- COPY / ADD -------------------------------------------------------------------------

Result<void> StageRun::copy_instruction(const Instruction& instruction) {
  const BuildOptions& options = build_.options();
  const std::string& keyword = instruction.keyword;
  auto fail_here = [&](const std::string& message) -> Result<void> {
    return fail(where(instruction) + message);
  };
  std::vector<std::string> words;
  if (instruction.json_form) {
    for (const auto& arg : instruction.args) {
      auto word = expand_word(arg, variables(), build_.escape());
      if (!word) return fail_here(word.error().message());
      words.push_back(*word);
    }
  } else {
    auto expanded = expand_words(instruction.rest, variables(), build_.escape());
    if (!expanded) return fail_here(expanded.error().message());
    words = std::move(*expanded);
  }
  if (words.size() < 2) return fail_here(keyword + " requires at least two arguments");
  CopyRequest request;
  request.instruction = keyword;
  request.destination = words.back();
  request.sources.assign(words.begin(), words.end() - 1);
  const image::ContainerConfig& config = *current_.config.config;
  request.workdir = config.working_dir.empty() ? "/" : config.working_dir;
  request.extract_archives = keyword == "ADD";
  for (const Flag& flag : instruction.flags) {
    if (flag.name == "exclude") {
      auto pattern = expand_word(flag.value, variables(), build_.escape());
      if (!pattern) return fail_here(pattern.error().message());
      request.excludes.push_back(*pattern);
    }
  }
  std::string chown;
  if (const Flag* flag = find_flag(instruction, "chown")) {
    auto value = expand_word(flag->value, variables(), build_.escape());
    if (!value) return fail_here(value.error().message());
    chown = *value;
  }
  if (const Flag* flag = find_flag(instruction, "chmod")) {
    char* end = nullptr;
    unsigned long mode = std::strtoul(flag->value.c_str(), &end, 8);
    if (flag->value.empty() || *end != '\0' || mode > 07777)
      return fail_here("invalid --chmod=" + flag->value + ": not an octal mode");
    request.mode = static_cast<mode_t>(mode);
  }
  std::string checksum;
  if (const Flag* flag = find_flag(instruction, "checksum")) checksum = flag->value;
  if (find_flag(instruction, "keep-git-dir"))
    return fail_here("ADD --keep-git-dir: git sources are not supported");

  // Where the sources come from: heredocs and URLs are written into a directory of their own.
  std::unique_ptr<WorkingRootfs> from_rootfs;
  std::string staging_dir;
  std::string source_description;
  auto cleanup_staging = [&] {
    if (!staging_dir.empty()) (void)remove_all(staging_dir);
  };
  std::string created_by = keyword + " " + join(request.sources, " ") + " " + request.destination;
  bool heredoc_sources = std::any_of(request.sources.begin(), request.sources.end(),
                                     [](const auto& s) { return s.starts_with("<<"); });
  bool url_sources = std::any_of(request.sources.begin(), request.sources.end(), [](const auto& s) {
    return s.starts_with("http://") || s.starts_with("https://") || s.starts_with("git@");
  });
  if (const Flag* flag = find_flag(instruction, "from")) {
    auto from = expand_word(flag->value, variables(), build_.escape());
    if (!from) return fail_here(from.error().message());
    std::vector<image::Digest> layers;
    if (auto stage = referenced_stage(build_.plan(), *from, stage_.index)) {
      auto built = build_.stage_result(*stage);
      if (!built)
        return fail_here(keyword + " --from=" + *from + ": stage " + std::to_string(*stage) +
                         " is not built before this one (its name comes from a stage ARG; use "
                         "a global ARG or the name itself)");
      const StageResult result = *built;
      layers = result.image.config.rootfs.diff_ids;
      source_description = "stage " + result.key;
    } else {
      auto loaded = build_.load_image(*from);
      if (!loaded) return fail_here(keyword + " --from=" + *from + ": " + loaded.error().message());
      layers = loaded->config.rootfs.diff_ids;
      source_description = "image " + image::to_json(loaded->config);
    }
    auto working = WorkingRootfs::create(build_.store(), layers, build_.new_work_dir("from"));
    if (!working) return fail_here(working.error().message());
    from_rootfs = std::make_unique<WorkingRootfs>(std::move(*working));
    request.source_root = from_rootfs->rootfs();
  } else if (heredoc_sources || url_sources) {
    staging_dir = build_.new_work_dir("sources");
    KRILL_CHECK(mkdir_all(staging_dir, 0700));
    request.source_root = staging_dir;
    for (auto& source : request.sources) {
      if (source.starts_with("<<")) {
        std::string name = heredoc_marker_name(source);
        const Heredoc* heredoc = find_heredoc(instruction, name);
        if (!heredoc) {
          cleanup_staging();
          return fail_here("no heredoc named " + name);
        }
        std::string content = heredoc->content;
        if (heredoc->expand) {
          auto expanded = expand_variables(content, variables());
          if (expanded) content = *expanded;
        }
        if (auto written = write_file_atomic(staging_dir + "/" + name, content, 0644); !written) {
          cleanup_staging();
          return fail_here(written.error().message());
        }
        source = name;
      } else if (keyword != "ADD") {
        cleanup_staging();
        return fail_here("COPY cannot copy from a URL (" + source + "): use ADD");
      } else if (source.starts_with("git@") || source.ends_with(".git")) {
        cleanup_staging();
        return fail_here("ADD of a git repository is not supported: " + source);
      } else {
        std::string name = source.substr(source.find_last_of('/') + 1);
        if (name.empty() || name.find('?') != std::string::npos) name = "download";
        auto downloaded = download_url(source, staging_dir + "/" + name, checksum);
        if (!downloaded) {
          cleanup_staging();
          return fail_here(downloaded.error().message());
        }
        if (*downloaded) {
          struct timespec times[2] = {{**downloaded, 0}, {**downloaded, 0}};
          (void)::utimensat(AT_FDCWD, (staging_dir + "/" + name).c_str(), times, 0);
        }
        source = name;
        request.extract_archives = false;  // Docker does not unpack downloaded archives
      }
    }
  } else {
    request.source_root = options.context->root();
    request.ignore = &options.context->ignore();
  }
  auto digest = sources_digest(request);
  if (!digest) {
    cleanup_staging();
    return fail_here(digest.error().message());
  }
  std::string description = keyword + " " + *digest + " " + source_description + "\n" +
                            json_text(request.sources) + " -> " + request.destination +
                            "\nworkdir " + request.workdir + "\nchown " + chown + "\nchmod " +
                            (request.mode ? std::to_string(*request.mode) : "") + "\nexclude " +
                            json_text(request.excludes) + (request.extract_archives ? "\nx" : "");
  std::string key = chain_cache_key(key_, description);
  if (!options.no_cache) {
    if (auto cached = build_.cache().lookup(key, build_.store())) {
      cleanup_staging();
      build_.print("--> Using cache " + key.substr(0, 12));
      current_ = std::move(*cached);
      key_ = key;
      return {};
    }
  }
  auto working = WorkingRootfs::create(build_.store(), current_.config.rootfs.diff_ids,
                                       build_.new_work_dir("copy"));
  if (!working) {
    cleanup_staging();
    return fail_here(working.error().message());
  }
  if (!chown.empty()) {
    std::string user = chown.substr(0, chown.find(':'));
    auto resolved = engine::resolve_user(working->rootfs(), chown, {});
    if (!resolved) {
      cleanup_staging();
      return fail_here(keyword + " --chown=" + chown + ": " + resolved.error().message());
    }
    request.uid = resolved->uid;
    // A user without a group: Docker uses the same number as the uid.
    request.gid = chown.find(':') == std::string::npos ? resolved->uid : resolved->gid;
  }
  auto copied = copy_into_rootfs(request, working->rootfs());
  cleanup_staging();
  if (!copied) return fail_here(copied.error().message());
  auto layer = working->commit_layer(options.timestamp);
  if (!layer) return fail_here(layer.error().message());
  StageImage next = current_;
  next.layers.push_back(layer->blob);
  next.config.rootfs.diff_ids.push_back(layer->diff_id);
  add_history(next, created_by, false);
  return finish_step(key, std::move(next));
}

}  // namespace krill::build::detail
