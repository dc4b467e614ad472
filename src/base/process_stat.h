// Facts about a process read from /proc/<pid>/stat, chiefly its start time,
// which together with the pid identifies a process across pid reuse.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

#include "base/error.h"

namespace krill {

struct ProcessStat {
  pid_t pid = 0;
  char state = '?';         // field 3: R, S, D, Z (zombie), X (dead), T, t, I, ...
  pid_t parent_pid = 0;     // field 4
  uint64_t start_time = 0;  // field 22: clock ticks after boot
};

// Parses the text of /proc/<pid>/stat. The comm field (2) is in parentheses
// and may itself contain spaces and parentheses, so parsing continues after
// the *last* ')'.
Result<ProcessStat> parse_process_stat(std::string_view text);

// Reads and parses /proc/<pid>/stat.
Result<ProcessStat> read_process_stat(pid_t pid);

// Field 22 of /proc/<pid>/stat.
Result<uint64_t> process_start_time(pid_t pid);

// True when `pid` exists, is not a zombie (or dead), and started at
// `start_time`: a different start time means the pid was reused.
bool process_alive(pid_t pid, uint64_t start_time);

// Whether this process holds capability `cap` (a CAP_* number) in its effective set, from
// CapEff in /proc/self/status (false when unreadable).
bool has_effective_capability(int cap);

}  // namespace krill
