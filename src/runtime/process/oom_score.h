// process.oomScoreAdj: the OOM killer's bias for the container process.
#pragma once

#include "base/error.h"

namespace krill::process {

// Writes `value` (-1000..1000) to /proc/self/oom_score_adj. Lowering it below the minimum a
// privileged writer set needs CAP_SYS_RESOURCE; the error says so.
Result<void> set_oom_score_adj(int value);

}  // namespace krill::process
