// What create hands to run: the record it saved and the terminal it kept.
#pragma once

#include "base/unique_fd.h"
#include "runtime/runtime.h"
#include "runtime/state_store.h"

namespace krill::runtime {

struct Runtime::Created {
  ContainerRecord record;
  UniqueFd console_master;  // valid when process.terminal and no console socket
};

}  // namespace krill::runtime
