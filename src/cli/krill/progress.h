// Progress of an image copy, as podman/skopeo show it:
//   on a terminal, one line per blob redrawn in place (ANSI cursor movement):
//     Copying blob 4abcd5e6f7a8 [=========>----------] 12.0MiB / 24.5MiB | 3.1 MiB/s
//   otherwise one line per event:
//     Copying blob sha256:4abcd5e6f7a8…
//     Copying blob sha256:4abcd5e6f7a8… done
//     Copying blob sha256:4abcd5e6f7a8… skipped: already exists
//     Copying config sha256:0123456789ab… done
//     Writing manifest to image destination
//   --quiet: nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <mutex>
#include <string>
#include <vector>

#include "image/manifest.h"
#include "transport/copy.h"

namespace krill::cli {

// 1023 -> "1023B", 1536 -> "1.5KiB", 12.0 MiB -> "12.0MiB" (binary units, one decimal).
std::string format_bytes(uint64_t bytes);
// podman's sizes in listings (decimal units, 3 significant digits): 1.23 MB, 5.6 kB, 812 B.
std::string human_size(uint64_t bytes);
// "sha256:4abcd5e6f7a8" from a digest (12 hex digits).
std::string short_digest(const image::Digest& digest);

enum class BlobState { kStarted, kRunning, kDone, kSkipped };

struct BlobProgress {
  std::string kind = "blob";  // "blob" or "config"
  image::Digest digest;
  uint64_t done = 0;
  uint64_t total = 0;  // 0: unknown
  double rate = 0;     // bytes per second
  BlobState state = BlobState::kStarted;
};

// The terminal line of a blob (without newline), `width` columns for the bar.
std::string format_terminal_line(const BlobProgress& blob, size_t bar_width = 30);
// The event line (without newline) for a non-terminal.
std::string format_event_line(const BlobProgress& blob);

class ProgressDisplay {
 public:
  ProgressDisplay(std::ostream& out, bool terminal, bool quiet)
      : out_(out), terminal_(terminal), quiet_(quiet) {}
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  void blob_start(const image::Descriptor& blob);
  void blob_bytes(const image::Descriptor& blob, uint64_t n);
  void blob_done(const image::Descriptor& blob, bool skipped);
  void manifest_written(bool is_instance);
  // Prints a line of its own ("Getting image source signatures").
  void message(const std::string& line);

  // Callbacks for copy_image bound to this display (which must outlive the copy).
  transport::CopyProgress callbacks();

 private:
  BlobProgress& entry(const image::Descriptor& blob);
  void redraw(bool force);

  std::ostream& out_;
  bool terminal_;
  bool quiet_;
  std::mutex mutex_;
  std::vector<BlobProgress> blobs_;
  std::vector<std::chrono::steady_clock::time_point> started_;
  size_t drawn_lines_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace krill::cli
