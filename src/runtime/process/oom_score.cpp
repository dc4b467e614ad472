#include "runtime/process/oom_score.h"

#include <string>

#include "runtime/process/small_file.h"

namespace krill::process {

Result<void> set_oom_score_adj(int value) {
  std::string what = "set oom_score_adj to " + std::to_string(value);
  if (value < -1000 || value > 1000) return fail(what + ": out of range -1000..1000");
  auto written = write_small_file("/proc/self/oom_score_adj", std::to_string(value));
  if (!written) {
    Error error = std::move(written.error()).context(what);
    if (error.errno_value() == EACCES)
      return std::unexpected(
          Error(error.message() + " (lowering oom_score_adj needs CAP_SYS_RESOURCE)", EACCES));
    return std::unexpected(std::move(error));
  }
  return {};
}

}  // namespace krill::process
