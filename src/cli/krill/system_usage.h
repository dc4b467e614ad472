// What `system df` reports, as podman reports it: images, containers and local volumes, each
// with how many there are, how many are in use, their bytes and the bytes pruning would free.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/krill/context.h"

namespace krill::cli {

struct UsageSummary {
  std::string type;  // "Images" | "Containers" | "Local Volumes"
  size_t total = 0;
  size_t active = 0;  // images and volumes some container uses; running containers
  uint64_t size = 0;
  uint64_t reclaimable = 0;
};

// One image, container or volume for `system df -v`.
struct UsageItem {
  std::string type;  // as UsageSummary::type
  std::string id, name, status;
  size_t links = 0;  // containers using an image or volume
  uint64_t size = 0;
};

struct SystemUsage {
  std::vector<UsageSummary> summaries;  // Images, Containers, Local Volumes
  std::vector<UsageItem> items;
};

// Reads the image store, the container database and the volumes' data. Image bytes count each
// layer once; an image's layers are reclaimable when no image a container uses shares them.
// A container's bytes are its writable layer (the whole rootfs with vfs); a stopped
// container's are reclaimable. A volume's bytes are its data; an unused volume's are
// reclaimable.
Result<SystemUsage> system_usage(const Context& ctx);

}  // namespace krill::cli
