// The stages of a Dockerfile and what depends on what: which stages a target needs (FROM
// <stage>, COPY --from=<stage>, RUN --mount=from=<stage>) and in which order to build them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "build/dockerfile.h"
#include "build/shell_words.h"

namespace krill::build {

struct Stage {
  int index = 0;
  std::string name;  // the AS name, lower case; "" when unnamed
  std::string base;  // the FROM argument after substitution with the global ARGs
  const Instruction* from = nullptr;
  std::vector<const Instruction*> body;  // the instructions after FROM
  std::vector<int> depends_on;           // stages it reads (FROM, --from), sorted, unique
};

struct StagePlan {
  std::vector<const Instruction*> global_args;  // ARGs before the first FROM
  std::vector<Stage> stages;
};

// Splits the Dockerfile into stages and resolves stage references; `global_lookup` gives the
// values of the global ARGs (defaults overridden by --build-arg) for FROM and --from.
// Errors: "Dockerfile:9: invalid --from=nope: no stage or image named nope" is NOT one (an
// unknown name is an image); a stage referring to itself or to a later stage by name is
// "Dockerfile:4: circular dependency detected on stage: builder"; duplicate stage names are
// "Dockerfile:6: duplicate stage name \"a\"".
Result<StagePlan> plan_stages(const Dockerfile& dockerfile, const VariableLookup& global_lookup);

// A stage by name (case-insensitive) or index ("0"); only stages before `before` count.
std::optional<int> find_stage(const StagePlan& plan, std::string_view name_or_index, int before);

// The stages `target` needs, itself last, in build order (dependencies before dependents).
std::vector<int> stages_needed(const StagePlan& plan, int target);

// The stage a --from / FROM value refers to, if any (for one instruction of stage `current`).
std::optional<int> referenced_stage(const StagePlan& plan, const std::string& value, int current);

}  // namespace krill::build
