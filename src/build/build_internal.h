// Internals of build_image shared by builder.cpp (stages, final image) and build_steps.cpp
// (RUN, COPY, ADD).
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "build/build_cache.h"
#include "build/builder.h"
#include "build/stage_graph.h"
#include "build/step_config.h"

namespace krill::build::detail {

// What a finished stage left: its image and the cache key of its last step.
struct StageResult {
  StageImage image;
  std::string key;
  size_t base_layers = 0;  // layers that came from the FROM image (not this build's)
};

class BuildRun;

// One stage being built.
class StageRun {
 public:
  StageRun(BuildRun& build, const Stage& stage) : build_(build), stage_(stage) {}
  Result<StageResult> run();

 private:
  Result<void> start_from_base();
  Result<void> step(const Instruction& instruction);
  Result<void> declare_args(const Instruction& instruction);
  Result<void> run_instruction(const Instruction& instruction);
  Result<void> copy_instruction(const Instruction& instruction);
  Result<void> workdir_step(const std::string& key, StageImage next, const std::string& history);
  // Records the new state for `key` (cache) and makes it current.
  Result<void> finish_step(const std::string& key, StageImage next);
  void add_history(StageImage& next, const std::string& created_by, bool empty_layer) const;
  std::string created_time() const;
  std::optional<std::string> lookup(std::string_view name) const;
  VariableLookup variables() const;
  // The build args in scope with values, "K=V", sorted (RUN's extra env and cache key).
  std::vector<std::string> args_in_scope() const;
  std::string where(const Instruction& instruction) const;

  BuildRun& build_;
  const Stage& stage_;
  StageImage current_;
  std::string key_;
  StageConfigState config_state_;
  size_t base_layers_ = 0;
  std::map<std::string, std::optional<std::string>> args_;  // declared in this stage
};

// The whole build: options, plan, finished stages.
class BuildRun {
 public:
  BuildRun(image::ImageStore& store, const BuildOptions& options)
      : store_(store), options_(options), cache_(options.layers ? options.cache_root : "") {}
  Result<BuildResult> run();

  image::ImageStore& store() { return store_; }
  const BuildOptions& options() const { return options_; }
  const BuildCache& cache() const { return cache_; }
  const StagePlan& plan() const { return plan_; }
  // A finished stage's result (nullopt while it is not finished). Stages run in parallel
  // threads: everything shared goes through the mutex.
  std::optional<StageResult> stage_result(int index) const;
  char escape() const { return options_.dockerfile.escape; }
  const std::string& file_name() const { return options_.dockerfile.file_name; }
  // The global ARGs' values (defaults, then --build-arg), for FROM and stage ARGs.
  std::optional<std::string> global_arg(std::string_view name) const;
  bool is_global_arg(std::string_view name) const { return global_args_.count(std::string(name)); }
  std::optional<std::string> build_arg(std::string_view name);  // marks it consumed
  // "STEP 3/9: RUN make".
  void announce(const Instruction& instruction);
  void print(const std::string& line);
  // A fresh directory name under the work root for a working snapshot.
  std::string new_work_dir(std::string_view what);
  // The image a FROM or --from names, loaded (pulled by the caller's callback if needed).
  Result<StageImage> load_image(const std::string& reference);

 private:
  Result<void> load_global_args();
  Result<image::ImageRecord> write_final_image(const StageResult& result);
  // Builds `order` with independent stages in parallel threads (dependencies first).
  Result<void> run_stages(const std::vector<int>& order);
  Result<StageResult> squash(const StageResult& result);

  image::ImageStore& store_;
  const BuildOptions& options_;
  BuildCache cache_;
  StagePlan plan_;
  std::map<std::string, std::optional<std::string>> global_args_;
  std::set<std::string> consumed_args_;
  mutable std::mutex mutex_;  // guards what follows and serialises output and image loads
  std::mutex load_mutex_;
  std::map<int, StageResult> finished_;
  int step_ = 0, total_steps_ = 0;
  unsigned work_counter_ = 0;
};

}  // namespace krill::build::detail
