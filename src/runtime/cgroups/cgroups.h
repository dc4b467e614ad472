// krill::cgroups: container cgroups on v1, v2 and hybrid hosts.
#pragma once

#include "runtime/cgroups/hierarchy.h"  // Layout, Hierarchy, discover_hierarchies
#include "runtime/cgroups/manager.h"    // Manager, ManagerOptions
#include "runtime/cgroups/stats.h"      // Stats, stats_to_json
