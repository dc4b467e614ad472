// build_image: stages in dependency order, each instruction a step with a cache key, then the
// target stage's state as an image in the store.
#include "build/builder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "base/file_io.h"
#include "build/build_internal.h"
#include "build/run_step.h"
#include "build/working_rootfs.h"
#include "image/media_types.h"
#include "image/platform.h"
#include "image/snapshot.h"

namespace krill::build {
namespace detail {
namespace {

// Build args every build knows without an ARG (Docker's predefined proxy args; not recorded
// in the history) and the automatic platform args of the global scope.
bool is_proxy_arg(std::string_view name) {
  static constexpr std::string_view kProxyArgs[] = {
      "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY",
      "ftp_proxy",  "NO_PROXY",   "no_proxy",    "ALL_PROXY",   "all_proxy"};
  return std::find(std::begin(kProxyArgs), std::end(kProxyArgs), name) != std::end(kProxyArgs);
}

std::map<std::string, std::string> platform_args() {
  image::Platform host = image::host_platform();
  std::map<std::string, std::string> out;
  for (const char* prefix : {"TARGET", "BUILD"}) {
    std::string p(prefix);
    out[p + "PLATFORM"] = host.str();
    out[p + "OS"] = host.os;
    out[p + "ARCH"] = host.architecture;
    out[p + "VARIANT"] = host.variant;
  }
  return out;
}

}  // namespace

// ---- BuildRun ---------------------------------------------------------------------------

std::optional<std::string> BuildRun::global_arg(std::string_view name) const {
  auto it = global_args_.find(std::string(name));
  if (it == global_args_.end()) return std::nullopt;
  return it->second;
}

std::optional<StageResult> BuildRun::stage_result(int index) const {
  std::lock_guard lock(mutex_);
  auto it = finished_.find(index);
  if (it == finished_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> BuildRun::build_arg(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = options_.build_args.find(std::string(name));
  if (it == options_.build_args.end()) return std::nullopt;
  consumed_args_.insert(it->first);
  return it->second;
}

void BuildRun::print(const std::string& line) {
  std::lock_guard lock(mutex_);
  if (options_.out) *options_.out << line << "\n" << std::flush;
}

void BuildRun::announce(const Instruction& instruction) {
  int step = 0;
  {
    std::lock_guard lock(mutex_);
    step = ++step_;
  }
  print("STEP " + std::to_string(step) + "/" + std::to_string(total_steps_) + ": " +
        instruction.original);
}

std::string BuildRun::new_work_dir(std::string_view what) {
  std::lock_guard lock(mutex_);
  return options_.work_root + "/" + std::to_string(::getpid()) + "-" +
         std::to_string(++work_counter_) + "-" + std::string(what);
}

Result<StageImage> BuildRun::load_image(const std::string& reference) {
  if (!options_.resolve_image) return fail("no way to find image " + reference);
  std::lock_guard lock(load_mutex_);  // one pull at a time, progress lines not interleaved
  auto base = KRILL_TRY(options_.resolve_image(reference));
  StageImage out;
  out.config = std::move(base.config);
  out.layers = std::move(base.manifest.layers);
  if (out.layers.size() != out.config.rootfs.diff_ids.size())
    return fail("image " + reference + ": " + std::to_string(out.layers.size()) + " layers but " +
                std::to_string(out.config.rootfs.diff_ids.size()) + " diff_ids");
  return out;
}

Result<void> BuildRun::load_global_args() {
  for (const auto& [name, value] : platform_args()) global_args_[name] = value;
  VariableLookup lookup = [&](std::string_view name) { return global_arg(name); };
  for (const Instruction* instruction : plan_.global_args) {
    auto pairs = parse_key_values("ARG", instruction->rest, lookup, escape());
    if (!pairs)
      return fail(file_name() + ":" + std::to_string(instruction->line) + ": " +
                  pairs.error().message());
    auto words = KRILL_TRY(split_raw_words(instruction->rest, escape()));
    for (size_t i = 0; i < pairs->size(); ++i) {
      const auto& [name, default_value] = (*pairs)[i];
      bool has_default = i < words.size() && words[i].find('=') != std::string::npos;
      std::optional<std::string> value;
      if (has_default) value = default_value;
      if (auto given = build_arg(name)) value = *given;
      global_args_[name] = value;
    }
  }
  return {};
}

Result<BuildResult> BuildRun::run() {
  const Dockerfile& dockerfile = options_.dockerfile;
  // The plan needs the global ARGs; their ARG lines are before the first FROM.
  {
    StagePlan preliminary;
    for (const Instruction& instruction : dockerfile.instructions) {
      if (instruction.keyword == "FROM") break;
      if (instruction.keyword == "ARG") preliminary.global_args.push_back(&instruction);
    }
    plan_ = std::move(preliminary);
    KRILL_CHECK(load_global_args());
  }
  plan_ = KRILL_TRY(plan_stages(dockerfile, [&](std::string_view n) { return global_arg(n); }));
  int target = static_cast<int>(plan_.stages.size()) - 1;
  if (!options_.target.empty()) {
    auto found = find_stage(plan_, options_.target, static_cast<int>(plan_.stages.size()));
    if (!found) return fail("target stage \"" + options_.target + "\" could not be found");
    target = *found;
  }
  std::vector<int> order = stages_needed(plan_, target);
  for (int index : order) total_steps_ += 1 + static_cast<int>(plan_.stages[index].body.size());
  KRILL_CHECK(run_stages(order));
  BuildResult out;
  for (const auto& [name, value] : options_.build_args) {
    if (!consumed_args_.count(name) && !is_proxy_arg(name))
      out.warnings.push_back("one or more build args were not consumed: [" + name + "]");
  }
  StageResult final_stage = *stage_result(target);
  if (options_.squash) final_stage = KRILL_TRY(squash(final_stage));
  out.image = KRILL_TRY(write_final_image(final_stage));
  return out;
}

Result<void> BuildRun::run_stages(const std::vector<int>& order) {
  constexpr size_t kMaxParallelStages = 4;
  std::condition_variable changed;
  std::set<int> started, done;
  std::optional<Error> first_error;
  std::vector<std::thread> threads;
  std::unique_lock lock(mutex_);
  auto ready = [&](int index) {
    for (int dep : plan_.stages[index].depends_on)
      if (!done.count(dep)) return false;
    return true;
  };
  while (done.size() < order.size()) {
    if (!first_error) {
      for (int index : order) {
        if (started.count(index) || !ready(index) ||
            started.size() - done.size() >= kMaxParallelStages)
          continue;
        started.insert(index);
        threads.emplace_back([this, index, &changed, &done, &first_error] {
          StageRun stage(*this, plan_.stages[index]);
          auto result = stage.run();
          std::lock_guard inner(mutex_);
          if (result)
            finished_[index] = std::move(*result);
          else if (!first_error)
            first_error = result.error();
          done.insert(index);
          changed.notify_all();
        });
      }
    }
    if (first_error && started.size() == done.size()) break;
    changed.wait(lock);
  }
  lock.unlock();
  for (auto& thread : threads) thread.join();
  if (first_error) return std::unexpected(*first_error);
  return {};
}

// --squash: the layers this build added, applied in order onto the base's, as one layer.
Result<StageResult> BuildRun::squash(const StageResult& result) {
  StageResult out = result;
  image::ImageConfig& config = out.image.config;
  const size_t base = result.base_layers;
  if (config.rootfs.diff_ids.size() <= base + 1) return out;  // nothing to merge
  std::vector<image::Digest> base_layers(config.rootfs.diff_ids.begin(),
                                         config.rootfs.diff_ids.begin() + base);
  auto working = KRILL_TRY(WorkingRootfs::create(store_, base_layers, new_work_dir("squash")));
  for (size_t i = base; i < config.rootfs.diff_ids.size(); ++i)
    KRILL_CHECK(
        image::apply_layer_copy(store_.layer_dir(config.rootfs.diff_ids[i]), working.rootfs()));
  auto layer = KRILL_TRY(working.commit_layer(options_.timestamp));
  config.rootfs.diff_ids.resize(base);
  config.rootfs.diff_ids.push_back(layer.diff_id);
  out.image.layers.resize(base);
  out.image.layers.push_back(layer.blob);
  // The history keeps every step; only the last of the new ones carries the squashed layer.
  size_t non_empty_seen = 0;
  int last_new = -1;
  for (size_t i = 0; i < config.history.size(); ++i) {
    if (config.history[i].empty_layer) continue;
    if (non_empty_seen++ >= base) {
      config.history[i].empty_layer = true;
      last_new = static_cast<int>(i);
    }
  }
  if (last_new >= 0) config.history[last_new].empty_layer = false;
  return out;
}

Result<image::ImageRecord> BuildRun::write_final_image(const StageResult& result) {
  StageImage final_image = result.image;
  image::ImageConfig& config = final_image.config;
  if (!options_.labels.empty()) {
    if (!config.config) config.config = image::ContainerConfig{};
    for (const auto& [key, value] : options_.labels) config.config->labels[key] = value;
  }
  if (!config.history.empty()) config.created = config.history.back().created;
  bool docker = options_.format == "docker";
  image::ImageManifest manifest;
  manifest.schema_version = 2;
  manifest.media_type = docker ? std::string(image::media_types::kDockerManifest)
                               : std::string(image::media_types::kOciManifest);
  for (image::Descriptor layer : final_image.layers) {
    layer.media_type = docker ? KRILL_TRY(image::docker_layer_media_type(layer.media_type))
                              : KRILL_TRY(image::oci_layer_media_type(layer.media_type));
    layer.annotations.clear();
    layer.urls.clear();
    manifest.layers.push_back(std::move(layer));
  }
  std::string config_bytes = image::to_json(config);
  manifest.config.media_type = docker ? std::string(image::media_types::kDockerConfig)
                                      : std::string(image::media_types::kOciConfig);
  manifest.config.digest = image::sha256_of(config_bytes);
  manifest.config.size = static_cast<int64_t>(config_bytes.size());
  image::ManifestBlob blob;
  blob.bytes = image::to_json(manifest);
  blob.media_type = manifest.media_type;
  return store_.add_image(blob, config_bytes, options_.tags);
}

// ---- StageRun ---------------------------------------------------------------------------

std::string StageRun::where(const Instruction& instruction) const {
  return build_.file_name() + ":" + std::to_string(instruction.line) + ": ";
}

std::optional<std::string> StageRun::lookup(std::string_view name) const {
  // ENV wins over ARG (Docker's rule).
  if (current_.config.config) {
    for (const auto& entry : current_.config.config->env) {
      if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
          entry[name.size()] == '=')
        return entry.substr(name.size() + 1);
    }
  }
  if (auto it = args_.find(std::string(name)); it != args_.end()) return it->second;
  return std::nullopt;
}

VariableLookup StageRun::variables() const {
  return [this](std::string_view name) { return lookup(name); };
}

std::vector<std::string> StageRun::args_in_scope() const {
  std::vector<std::string> out;
  for (const auto& [name, value] : args_)
    if (value) out.push_back(name + "=" + *value);
  for (const auto& [name, value] : build_.options().build_args)
    if (is_proxy_arg(name) && !args_.count(name)) out.push_back(name + "=" + value);
  std::sort(out.begin(), out.end());
  return out;
}

std::string StageRun::created_time() const {
  if (build_.options().timestamp) return format_rfc3339_nano(*build_.options().timestamp, 0);
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  return format_rfc3339_nano(ns / 1000000000, static_cast<long>(ns % 1000000000));
}

void StageRun::add_history(StageImage& next, const std::string& created_by,
                           bool empty_layer) const {
  image::HistoryEntry entry;
  entry.created = created_time();
  entry.created_by = created_by;
  entry.comment = "krill build";
  entry.empty_layer = empty_layer;
  next.config.history.push_back(std::move(entry));
}

Result<void> StageRun::finish_step(const std::string& key, StageImage next) {
  KRILL_CHECK(build_.cache().record(key, next));
  current_ = std::move(next);
  key_ = key;
  return {};
}

Result<void> StageRun::start_from_base() {
  const Instruction& from = *stage_.from;
  build_.announce(from);
  if (auto stage = referenced_stage(build_.plan(), stage_.base, stage_.index)) {
    auto built = build_.stage_result(*stage);
    if (!built) return fail(where(from) + "stage " + stage_.base + " is not built");
    const StageResult parent = *built;
    current_ = parent.image;
    key_ = parent.key;
    base_layers_ = parent.base_layers;
  } else if (stage_.base == "scratch") {
    image::Platform host = image::host_platform();
    current_ = StageImage{};
    current_.config.architecture = host.architecture;
    current_.config.os = host.os;
    current_.config.variant = host.variant;
    current_.config.config = image::ContainerConfig{};
    // BuildKit gives images from scratch the default PATH.
    current_.config.config->env = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
    current_.config.rootfs.type = "layers";
    key_ = chain_cache_key("", "FROM scratch " + host.str());
  } else {
    auto loaded = build_.load_image(stage_.base);
    if (!loaded) return fail(where(from) + loaded.error().message());
    current_ = std::move(*loaded);
    key_ = chain_cache_key("", "FROM " + image::to_json(current_.config));
    base_layers_ = current_.layers.size();
  }
  // A new image starts without the parent's ONBUILD triggers (they run now, below).
  if (!current_.config.config) current_.config.config = image::ContainerConfig{};
  return {};
}

Result<void> StageRun::declare_args(const Instruction& instruction) {
  auto pairs = KRILL_TRY(parse_key_values("ARG", instruction.rest, variables(), build_.escape()));
  auto words = KRILL_TRY(split_raw_words(instruction.rest, build_.escape()));
  std::string description = "ARG";
  for (size_t i = 0; i < pairs.size(); ++i) {
    const auto& [name, default_value] = pairs[i];
    bool has_default = i < words.size() && words[i].find('=') != std::string::npos;
    std::optional<std::string> value;
    if (has_default)
      value = default_value;
    else if (build_.is_global_arg(name))
      value = build_.global_arg(name);
    if (auto given = build_.build_arg(name)) value = *given;
    args_[name] = value;
    description += " " + name + (value ? "=" + *value : "");
  }
  key_ = chain_cache_key(key_, description);
  return {};
}

Result<void> StageRun::step(const Instruction& instruction) {
  const std::string& keyword = instruction.keyword;
  if (keyword == "ARG") return declare_args(instruction);
  if (keyword == "RUN") return run_instruction(instruction);
  if (keyword == "COPY" || keyword == "ADD") return copy_instruction(instruction);
  if (!is_config_instruction(keyword))
    return fail(where(instruction) + "unknown instruction: " + keyword);
  StageImage next = current_;
  StageConfigState state = config_state_;
  auto history =
      apply_config_instruction(next.config, instruction, variables(), build_.escape(), state);
  if (!history) return fail(where(instruction) + history.error().message());
  std::string key = chain_cache_key(key_, *history);
  if (auto cached = build_.cache().lookup(key, build_.store());
      cached && !build_.options().no_cache) {
    build_.print("--> Using cache " + key.substr(0, 12));
    config_state_ = state;
    current_ = std::move(*cached);
    key_ = key;
    return {};
  }
  config_state_ = state;
  if (keyword == "WORKDIR") return workdir_step(key, std::move(next), *history);
  add_history(next, *history, true);
  return finish_step(key, std::move(next));
}

// WORKDIR creates its directory (owned by root, 0755) when the image lacks it, as Docker does:
// a layer with just that directory; otherwise only the config changes.
Result<void> StageRun::workdir_step(const std::string& key, StageImage next,
                                    const std::string& history) {
  const std::string dir = next.config.config->working_dir;
  auto working = WorkingRootfs::create(build_.store(), next.config.rootfs.diff_ids,
                                       build_.new_work_dir("workdir"));
  if (!working) return std::unexpected(working.error());
  auto existing = open_in_root(working->rootfs(), dir, O_PATH | O_DIRECTORY);
  if (existing) {
    add_history(next, history, true);
    return finish_step(key, std::move(next));
  }
  KRILL_CHECK(make_directories_in_root(working->rootfs(), dir));
  auto layer = KRILL_TRY(working->commit_layer(build_.options().timestamp));
  next.layers.push_back(layer.blob);
  next.config.rootfs.diff_ids.push_back(layer.diff_id);
  add_history(next, history, false);
  return finish_step(key, std::move(next));
}

Result<StageResult> StageRun::run() {
  KRILL_CHECK(start_from_base());
  // ONBUILD triggers of the base image run first, as if they followed FROM.
  std::vector<std::string> triggers = current_.config.config->on_build;
  current_.config.config->on_build.clear();
  std::vector<Dockerfile> trigger_files;
  for (const auto& trigger : triggers) {
    auto parsed =
        parse_onbuild_trigger(trigger, build_.file_name() + " (ONBUILD of " + stage_.base + ")");
    if (!parsed) return std::unexpected(parsed.error());
    trigger_files.push_back(std::move(*parsed));
  }
  for (const auto& file : trigger_files) {
    for (const auto& instruction : file.instructions) {
      build_.print("ONBUILD " + instruction.original);
      KRILL_CHECK(step(instruction));
    }
  }
  for (const Instruction* instruction : stage_.body) {
    build_.announce(*instruction);
    KRILL_CHECK(step(*instruction));
  }
  return StageResult{current_, key_, base_layers_};
}

}  // namespace detail

Result<BuildResult> build_image(image::ImageStore& store, const BuildOptions& options) {
  if (!options.context) return fail("build: no context");
  if (options.format != "oci" && options.format != "docker")
    return fail("--format " + options.format + ": must be oci or docker");
  if (options.network != "host" && options.network != "none")
    return fail("--network " + options.network + ": must be host or none");
  if (options.isolation != "oci" && options.isolation != "chroot")
    return fail("--isolation " + options.isolation + ": must be oci or chroot");
  KRILL_CHECK(mkdir_all(options.work_root, 0700));
  detail::BuildRun run(store, options);
  return run.run();
}

}  // namespace krill::build
