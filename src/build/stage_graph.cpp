// plan_stages: stages, names and the dependency graph of a Dockerfile.
#include "build/stage_graph.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace krill::build {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string at_line(const Dockerfile& dockerfile, const Instruction& instruction) {
  return dockerfile.file_name + ":" + std::to_string(instruction.line) + ": ";
}

// The stage-like references of one instruction: --from of COPY/ADD, from= of RUN --mount.
std::vector<std::string> from_references(const Instruction& instruction) {
  std::vector<std::string> out;
  if (instruction.keyword == "COPY" || instruction.keyword == "ADD") {
    if (const Flag* from = find_flag(instruction, "from")) out.push_back(from->value);
  }
  if (instruction.keyword == "RUN") {
    for (const Flag& flag : instruction.flags) {
      if (flag.name != "mount") continue;
      size_t start = 0;
      while (start <= flag.value.size()) {
        size_t comma = flag.value.find(',', start);
        std::string field = flag.value.substr(start, comma - start);
        if (field.starts_with("from=")) out.push_back(field.substr(5));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
  }
  return out;
}

}  // namespace

std::optional<int> find_stage(const StagePlan& plan, std::string_view name_or_index, int before) {
  std::string wanted = lower(name_or_index);
  for (const Stage& stage : plan.stages) {
    if (stage.index >= before) break;
    if (!stage.name.empty() && stage.name == wanted) return stage.index;
  }
  if (!wanted.empty() && std::all_of(wanted.begin(), wanted.end(), ::isdigit) &&
      wanted.size() < 6) {
    int index = std::stoi(wanted);
    if (index < before && index < static_cast<int>(plan.stages.size())) return index;
  }
  return std::nullopt;
}

std::optional<int> referenced_stage(const StagePlan& plan, const std::string& value, int current) {
  return find_stage(plan, value, current);
}

Result<StagePlan> plan_stages(const Dockerfile& dockerfile, const VariableLookup& global_lookup) {
  StagePlan plan;
  for (const Instruction& instruction : dockerfile.instructions) {
    if (instruction.keyword == "FROM") {
      Stage stage;
      stage.index = static_cast<int>(plan.stages.size());
      stage.from = &instruction;
      auto words = expand_words(instruction.rest, global_lookup, dockerfile.escape);
      if (!words) return fail(at_line(dockerfile, instruction) + words.error().message());
      if (words->size() != 1 && words->size() != 3)
        return fail(at_line(dockerfile, instruction) +
                    "FROM requires either one or three arguments");
      stage.base = (*words)[0];
      if (words->size() == 3) {
        if (lower((*words)[1]) != "as")
          return fail(at_line(dockerfile, instruction) +
                      "FROM requires either one or three arguments");
        stage.name = lower((*words)[2]);
        for (const Stage& other : plan.stages) {
          if (other.name == stage.name)
            return fail(at_line(dockerfile, instruction) + "duplicate stage name \"" + stage.name +
                        "\"");
        }
      }
      plan.stages.push_back(std::move(stage));
      continue;
    }
    if (plan.stages.empty()) {
      if (instruction.keyword != "ARG")
        return fail(at_line(dockerfile, instruction) + "no build stage in current context");
      plan.global_args.push_back(&instruction);
      continue;
    }
    plan.stages.back().body.push_back(&instruction);
  }
  if (plan.stages.empty()) return fail(dockerfile.file_name + ": no FROM instruction");

  for (Stage& stage : plan.stages) {
    std::set<int> deps;
    auto add_reference = [&](const std::string& value, const Instruction& where) -> Result<void> {
      if (value.empty()) return {};
      if (lower(value) == stage.name && !stage.name.empty())
        return fail(at_line(dockerfile, where) +
                    "circular dependency detected on stage: " + stage.name);
      if (auto found = find_stage(plan, value, stage.index)) {
        deps.insert(*found);
        return {};
      }
      // This stage or a later one by index or name is a cycle in BuildKit's terms.
      if (!value.empty() && value.size() < 6 &&
          std::all_of(value.begin(), value.end(), ::isdigit)) {
        int index = std::stoi(value);
        if (index >= stage.index && index < static_cast<int>(plan.stages.size()))
          return fail(at_line(dockerfile, where) +
                      "circular dependency detected on stage: " + value);
      }
      for (const Stage& later : plan.stages) {
        if (later.index > stage.index && !later.name.empty() && later.name == lower(value))
          return fail(at_line(dockerfile, where) +
                      "circular dependency detected on stage: " + later.name);
      }
      return {};  // an image
    };
    KRILL_CHECK(add_reference(stage.base, *stage.from));
    for (const Instruction* instruction : stage.body) {
      for (const std::string& raw : from_references(*instruction)) {
        auto value = expand_word(raw, global_lookup, dockerfile.escape);
        if (!value) return fail(at_line(dockerfile, *instruction) + value.error().message());
        KRILL_CHECK(add_reference(*value, *instruction));
      }
    }
    stage.depends_on.assign(deps.begin(), deps.end());
  }
  return plan;
}

std::vector<int> stages_needed(const StagePlan& plan, int target) {
  std::vector<bool> needed(plan.stages.size(), false);
  std::vector<int> pending{target};
  while (!pending.empty()) {
    int index = pending.back();
    pending.pop_back();
    if (index < 0 || index >= static_cast<int>(needed.size()) || needed[index]) continue;
    needed[index] = true;
    for (int dep : plan.stages[index].depends_on) pending.push_back(dep);
  }
  // Dependencies always have smaller indexes: index order is a build order.
  std::vector<int> order;
  for (size_t i = 0; i < needed.size(); ++i)
    if (needed[i]) order.push_back(static_cast<int>(i));
  return order;
}

}  // namespace krill::build
