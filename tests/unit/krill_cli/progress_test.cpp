#include "cli/krill/progress.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/krill/image_json.h"

namespace krill::cli {
namespace {

image::Digest digest_of(std::string_view s) { return image::sha256_of(s); }

TEST(Progress, FormatBytes) {
  EXPECT_EQ(format_bytes(0), "0B");
  EXPECT_EQ(format_bytes(1023), "1023B");
  EXPECT_EQ(format_bytes(1536), "1.5KiB");
  EXPECT_EQ(format_bytes(12ull << 20), "12.0MiB");
  EXPECT_EQ(format_bytes(3ull << 30), "3.0GiB");
}

TEST(Progress, HumanSize) {
  EXPECT_EQ(human_size(812), "812 B");
  EXPECT_EQ(human_size(4200000), "4.2 MB");
  EXPECT_EQ(human_size(1234567), "1.23 MB");
  EXPECT_EQ(human_size(5600), "5.6 kB");
}

TEST(Progress, EventLines) {
  BlobProgress b;
  b.digest = digest_of("x");
  std::string shortd = "sha256:" + b.digest.hex().substr(0, 12);
  EXPECT_EQ(format_event_line(b), "Copying blob " + shortd + "…");
  b.state = BlobState::kDone;
  EXPECT_EQ(format_event_line(b), "Copying blob " + shortd + "… done");
  b.state = BlobState::kSkipped;
  b.kind = "config";
  EXPECT_EQ(format_event_line(b), "Copying config " + shortd + "… skipped: already exists");
}

TEST(Progress, TerminalLine) {
  BlobProgress b;
  b.digest = digest_of("y");
  b.done = 5 << 20;
  b.total = 10 << 20;
  b.rate = 1 << 20;
  b.state = BlobState::kRunning;
  EXPECT_EQ(format_terminal_line(b, 10), "Copying blob " + b.digest.hex().substr(0, 12) +
                                             " [=====>----] 5.0MiB / 10.0MiB | 1.0MiB/s");
  b.state = BlobState::kDone;
  EXPECT_EQ(format_terminal_line(b, 10),
            "Copying blob " + b.digest.hex().substr(0, 12) + " done   | 5.0MiB");
  b.total = 0;
  b.state = BlobState::kRunning;
  EXPECT_NE(format_terminal_line(b, 4).find("[>---] 5.0MiB / ?"), std::string::npos);
}

TEST(Progress, DisplayWithoutTerminalPrintsOneLinePerEvent) {
  std::ostringstream out;
  ProgressDisplay display(out, false, false);
  auto callbacks = display.callbacks();
  image::Descriptor layer;
  layer.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  layer.digest = digest_of("layer");
  layer.size = 100;
  image::Descriptor config;
  config.media_type = "application/vnd.oci.image.config.v1+json";
  config.digest = digest_of("config");
  callbacks.on_blob_start(layer);
  callbacks.on_blob_bytes(layer, 60);
  callbacks.on_blob_bytes(layer, 40);
  callbacks.on_blob_done(layer, false);
  callbacks.on_blob_done(config, true);
  callbacks.on_manifest(digest_of("m"), "x", false);
  std::string l = "sha256:" + layer.digest.hex().substr(0, 12);
  std::string c = "sha256:" + config.digest.hex().substr(0, 12);
  EXPECT_EQ(out.str(), "Copying blob " + l + "…\nCopying blob " + l + "… done\nCopying config " +
                           c +
                           "… skipped: already exists\nWriting manifest to image destination\n");
}

TEST(Progress, QuietPrintsNothing) {
  std::ostringstream out;
  ProgressDisplay display(out, true, true);
  image::Descriptor d;
  d.digest = digest_of("z");
  display.blob_start(d);
  display.blob_done(d, false);
  display.message("Getting image source signatures");
  EXPECT_EQ(out.str(), "");
}

TEST(Progress, TerminalRedrawsInPlace) {
  std::ostringstream out;
  ProgressDisplay display(out, true, false);
  image::Descriptor d;
  d.digest = digest_of("t");
  d.size = 10;
  display.blob_start(d);
  display.blob_done(d, false);
  std::string s = out.str();
  EXPECT_NE(s.find("\x1b[1A"), std::string::npos);  // moved up over the first drawing
  EXPECT_NE(s.find("done"), std::string::npos);
}

TEST(ImageJson, HumanDurationAndRfc3339) {
  EXPECT_EQ(human_duration(0), "Less than a second");
  EXPECT_EQ(human_duration(1), "1 second");
  EXPECT_EQ(human_duration(59), "59 seconds");
  EXPECT_EQ(human_duration(90), "About a minute");
  EXPECT_EQ(human_duration(3600), "About an hour");
  EXPECT_EQ(human_duration(5 * 3600), "5 hours");
  EXPECT_EQ(human_duration(3 * 86400), "3 days");
  EXPECT_EQ(human_duration(15 * 86400), "2 weeks");
  EXPECT_EQ(human_duration(90 * 86400), "3 months");
  EXPECT_EQ(human_duration(800 * 86400), "2 years");
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:01:00Z"), 60);
  EXPECT_EQ(parse_rfc3339("1970-01-01T01:00:00.5+01:00"), 0);
  EXPECT_EQ(parse_rfc3339("garbage"), std::nullopt);
  EXPECT_EQ(time_ago("1970-01-01T00:00:00Z", 7200), "2 hours ago");
}

TEST(ImageJson, SplitRepositoryTag) {
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(split_repository_tag("docker.io/library/busybox:latest"),
            P("docker.io/library/busybox", "latest"));
  EXPECT_EQ(split_repository_tag("localhost:5000/a/b:1"), P("localhost:5000/a/b", "1"));
  EXPECT_EQ(split_repository_tag("localhost:5000/a/b"), P("localhost:5000/a/b", "<none>"));
  EXPECT_EQ(split_repository_tag("h/a@sha256:00"), P("h/a", "<none>"));
}

TEST(ImageJson, ImageRowsForNamedAndDanglingImages) {
  image::ImageRecord r;
  r.id = image::sha256_of("cfg");
  r.manifest_digest = image::sha256_of("m");
  r.names = {"docker.io/library/busybox:latest", "localhost:5000/bb:1"};
  r.created = "1970-01-01T00:00:00Z";
  r.size = 4200000;
  auto rows = image_rows(r, false, 7200);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["Repository"], "docker.io/library/busybox");
  EXPECT_EQ(rows[0]["Tag"], "latest");
  EXPECT_EQ(rows[0]["ID"], r.id.hex().substr(0, 12));
  EXPECT_EQ(rows[0]["Created"], "2 hours ago");
  EXPECT_EQ(rows[0]["Size"], "4.2 MB");
  EXPECT_EQ(rows[1]["Repository"], "localhost:5000/bb");
  r.names.clear();
  rows = image_rows(r, true, 7200);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["Repository"], "<none>");
  EXPECT_EQ(rows[0]["ID"], r.id.str());
  EXPECT_EQ(rows[0]["Dangling"], true);
}

}  // namespace
}  // namespace krill::cli
