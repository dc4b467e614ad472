// Signal names and numbers as `kill` accepts them: "KILL", "SIGKILL", "kill",
// "9", "SIGRTMIN+3", "RTMAX-1".
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace krill::cli {

// The signal number for a name or number; `unknown signal "FOO"` otherwise.
// Names are case-insensitive and the "SIG" prefix is optional. Real-time
// signals use the C library's SIGRTMIN/SIGRTMAX, as kill(1) does.
Result<int> parse_signal(std::string_view text);

// "SIGKILL" for 9, "SIGRTMIN+3" for SIGRTMIN+3; the number itself when unnamed.
std::string signal_name(int signal);

}  // namespace krill::cli
