// Parsing of OCI mount options ("ro", "rbind", "rprivate", "mode=755", ...) into mount(2)
// flags, propagation flags, recursive mount_setattr(2) attributes and filesystem data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace krill::rootfs {

struct MountFlags {
  unsigned long flags = 0;        // MS_* for mount(2), without MS_BIND/MS_REC or propagation
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC), or 0
  bool bind = false;              // "bind" or "rbind"
  bool recursive_bind = false;    // "rbind"
  bool tmpcopyup = false;         // copy the destination's contents into the new tmpfs
  bool idmap = false;             // "idmap" or "ridmap"
  bool recursive_idmap = false;   // "ridmap"
  uint64_t attr_set = 0;          // MOUNT_ATTR_* set recursively (rro, rnosuid, ...)
  uint64_t attr_clr = 0;          // MOUNT_ATTR_* cleared recursively (rrw, rsuid, ...)
  std::string data;               // filesystem-specific options, comma separated

  bool rro() const;  // recursive read-only requested
  bool has_recursive_attrs() const { return attr_set != 0 || attr_clr != 0; }
};

// Every option runc and crun accept; unknown options become `data`. Later options override
// earlier ones ("ro,rw" is read-write). Fails only on an empty option name.
Result<MountFlags> parse_mount_options(const std::vector<std::string>& options);

// "shared", "rslave", ... -> MS_* (| MS_REC); "" -> 0. For linux.rootfsPropagation.
Result<unsigned long> parse_propagation(std::string_view value);

}  // namespace krill::rootfs
