#include "cli/krill/progress.h"

#include <cmath>
#include <cstdio>
#include <ostream>

#include "image/media_types.h"

namespace krill::cli {
namespace {

std::string one_decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

}  // namespace

std::string format_bytes(uint64_t bytes) {
  static const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return std::to_string(bytes) + "B";
  double v = static_cast<double>(bytes);
  int unit = -1;
  while (v >= 1024 && unit < 3) {
    v /= 1024;
    ++unit;
  }
  return one_decimal(v) + units[unit];
}

std::string human_size(uint64_t bytes) {
  // go-units HumanSizeWithPrecision(size, 3): "%.4g" then unit, decimal.
  static const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1000 && unit < 5) {
    v /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return std::string(buf) + " " + units[unit];
}

std::string short_digest(const image::Digest& digest) {
  if (digest.empty()) return "";
  return digest.algorithm() + ":" + digest.hex().substr(0, 12);
}

std::string format_terminal_line(const BlobProgress& blob, size_t bar_width) {
  std::string line = "Copying " + blob.kind + " " + blob.digest.hex().substr(0, 12) + " ";
  if (blob.state == BlobState::kSkipped) return line + "skipped: already exists";
  if (blob.state == BlobState::kDone) return line + "done   | " + format_bytes(blob.done);
  size_t filled = 0;
  if (blob.total > 0)
    filled = static_cast<size_t>(
        static_cast<double>(bar_width) *
        std::min<double>(1.0, static_cast<double>(blob.done) / static_cast<double>(blob.total)));
  std::string bar(filled, '=');
  if (filled < bar_width) {
    bar += '>';
    bar.append(bar_width - filled - 1, '-');
  }
  line += "[" + bar + "] " + format_bytes(blob.done) + " / " +
          (blob.total ? format_bytes(blob.total) : std::string("?"));
  line += " | " + format_bytes(static_cast<uint64_t>(blob.rate)) + "/s";
  return line;
}

std::string format_event_line(const BlobProgress& blob) {
  std::string line = "Copying " + blob.kind + " " + short_digest(blob.digest) + "…";
  switch (blob.state) {
    case BlobState::kStarted:
    case BlobState::kRunning:
      return line;
    case BlobState::kDone:
      return line + " done";
    case BlobState::kSkipped:
      return line + " skipped: already exists";
  }
  return line;
}

BlobProgress& ProgressDisplay::entry(const image::Descriptor& blob) {
  for (auto& b : blobs_)
    if (b.digest == blob.digest) return b;
  BlobProgress b;
  b.kind = image::media_types::is_image_config(blob.media_type) ? "config" : "blob";
  b.digest = blob.digest;
  b.total = blob.size > 0 ? static_cast<uint64_t>(blob.size) : 0;
  blobs_.push_back(b);
  started_.push_back(std::chrono::steady_clock::now());
  return blobs_.back();
}

void ProgressDisplay::redraw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  std::string text;
  if (drawn_lines_ > 0) text += "\x1b[" + std::to_string(drawn_lines_) + "A";
  for (const auto& b : blobs_) text += "\r\x1b[2K" + format_terminal_line(b) + "\n";
  drawn_lines_ = blobs_.size();
  out_ << text << std::flush;
}

void ProgressDisplay::blob_start(const image::Descriptor& blob) {
  if (quiet_) return;
  std::lock_guard lock(mutex_);
  auto& b = entry(blob);
  b.state = BlobState::kStarted;
  if (terminal_)
    redraw(true);
  else
    out_ << format_event_line(b) << "\n" << std::flush;
}

void ProgressDisplay::blob_bytes(const image::Descriptor& blob, uint64_t n) {
  if (quiet_) return;
  std::lock_guard lock(mutex_);
  auto& b = entry(blob);
  b.done += n;
  b.state = BlobState::kRunning;
  size_t index = static_cast<size_t>(&b - blobs_.data());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_[index]).count();
  if (seconds > 0) b.rate = static_cast<double>(b.done) / seconds;
  if (terminal_) redraw(false);
}

void ProgressDisplay::blob_done(const image::Descriptor& blob, bool skipped) {
  if (quiet_) return;
  std::lock_guard lock(mutex_);
  auto& b = entry(blob);
  b.state = skipped ? BlobState::kSkipped : BlobState::kDone;
  if (terminal_)
    redraw(true);
  else
    out_ << format_event_line(b) << "\n" << std::flush;
}

void ProgressDisplay::manifest_written(bool is_instance) {
  if (quiet_ || is_instance) return;
  message("Writing manifest to image destination");
}

void ProgressDisplay::message(const std::string& line) {
  if (quiet_) return;
  std::lock_guard lock(mutex_);
  if (terminal_) {
    // Printed below the blob lines; later redraws start after it.
    out_ << line << "\n" << std::flush;
    blobs_.clear();
    started_.clear();
    drawn_lines_ = 0;
    return;
  }
  out_ << line << "\n" << std::flush;
}

transport::CopyProgress ProgressDisplay::callbacks() {
  transport::CopyProgress p;
  p.on_blob_start = [this](const image::Descriptor& d) { blob_start(d); };
  p.on_blob_bytes = [this](const image::Descriptor& d, uint64_t n) { blob_bytes(d, n); };
  p.on_blob_done = [this](const image::Descriptor& d, bool skipped) { blob_done(d, skipped); };
  p.on_manifest = [this](const image::Digest&, const std::string&, bool is_instance) {
    manifest_written(is_instance);
  };
  return p;
}

}  // namespace krill::cli
