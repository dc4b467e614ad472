#include "monitor/log_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "base/file_io.h"
#include "monitor/log_format.h"

namespace krill::monitor {
namespace {

class LogDir {
 public:
  LogDir() {
    char templ[] = "/tmp/krill-monitor-log-XXXXXX";
    path_ = ::mkdtemp(templ);
  }
  ~LogDir() { (void)remove_all(path_); }
  std::string log() const { return path_ + "/ctr.log"; }

 private:
  std::string path_;
};

// 2026-11-28T11:00:00.123456789Z
constexpr int64_t kTime = 1795863600LL * 1000000000 + 123456789;

std::string slurp(const std::string& path) {
  auto text = read_file(path);
  return text ? *text : std::string("<missing>");
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

LogWriter open_writer(const std::string& driver, const std::string& path, int64_t max_size = 0,
                      int max_files = 1) {
  LogWriterOptions options;
  options.driver = driver;
  options.path = path;
  options.max_size = max_size;
  options.max_files = max_files;
  auto writer = LogWriter::open(options);
  EXPECT_TRUE(writer) << writer.error().message();
  return std::move(*writer);
}

std::vector<LogEntry> read_all(const std::string& driver, const std::string& path,
                               LogReadOptions options = {}) {
  std::vector<LogEntry> entries;
  auto read = read_logs(driver, path, options, [&](const LogEntry& e) { entries.push_back(e); });
  EXPECT_TRUE(read) << read.error().message();
  return entries;
}

TEST(MonitorLogTime, FormatAndParse) {
  EXPECT_EQ(format_rfc3339_nano(kTime, false), "2026-11-28T11:00:00.123456789+00:00");
  EXPECT_EQ(format_rfc3339_nano(kTime, true), "2026-11-28T11:00:00.123456789Z");
  EXPECT_EQ(format_rfc3339_nano(1795863600LL * 1000000000, true), "2026-11-28T11:00:00.000000000Z");
  EXPECT_EQ(parse_rfc3339_nano("2026-11-28T11:00:00.123456789+00:00").value(), kTime);
  EXPECT_EQ(parse_rfc3339_nano("2026-11-28T11:00:00.123456789Z").value(), kTime);
  EXPECT_EQ(parse_rfc3339_nano("2026-11-28T12:30:00.123456789+01:30").value(), kTime);
  EXPECT_EQ(parse_rfc3339_nano("2026-11-28T11:00:00.1234Z").value(),
            1795863600LL * 1000000000 + 123400000);
  EXPECT_EQ(parse_rfc3339_nano("2026-11-28T11:00:00Z").value(), 1795863600LL * 1000000000);
  EXPECT_FALSE(parse_rfc3339_nano("2026-11-28"));
  EXPECT_FALSE(parse_rfc3339_nano("2026-11-28T11:00:00"));
  EXPECT_FALSE(parse_rfc3339_nano("2026-11-28T11:00:00.Z"));
  EXPECT_FALSE(parse_rfc3339_nano("2026-13-28T11:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_nano("2026-11-28T11:00:00Zjunk"));
}

TEST(MonitorLogWriter, K8sFileFormatExactly) {
  LogDir dir;
  LogWriter writer = open_writer("k8s-file", dir.log());
  ASSERT_TRUE(writer.write(LogStream::kStdout, "hello\nwor", kTime));
  ASSERT_TRUE(writer.write(LogStream::kStderr, "oops\n", kTime));
  ASSERT_TRUE(writer.write(LogStream::kStdout, "ld\n\nprompt> ", kTime + 1));
  EXPECT_TRUE(writer.has_pending());
  ASSERT_TRUE(writer.flush(kTime + 2));
  EXPECT_FALSE(writer.has_pending());
  EXPECT_EQ(slurp(dir.log()),
            "2026-11-28T11:00:00.123456789+00:00 stdout F hello\n"
            "2026-11-28T11:00:00.123456789+00:00 stderr F oops\n"
            "2026-11-28T11:00:00.123456790+00:00 stdout F world\n"
            "2026-11-28T11:00:00.123456790+00:00 stdout F \n"
            "2026-11-28T11:00:00.123456791+00:00 stdout P prompt> \n");
  auto entries = read_all("k8s-file", dir.log());
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].text, "hello");
  EXPECT_EQ(entries[0].time_ns, kTime);
  EXPECT_EQ(entries[1].stream, LogStream::kStderr);
  EXPECT_EQ(entries[2].text, "world");
  EXPECT_EQ(entries[3].text, "");
  EXPECT_FALSE(entries[3].partial);
  EXPECT_EQ(entries[4].text, "prompt> ");
  EXPECT_TRUE(entries[4].partial);
}

TEST(MonitorLogWriter, JsonFileFormatExactly) {
  LogDir dir;
  LogWriter writer = open_writer("json-file", dir.log());
  ASSERT_TRUE(writer.write(LogStream::kStdout, "say \"hi\" <b>&\t\\ \x01 caf\xc3\xa9\n", kTime));
  ASSERT_TRUE(writer.write(LogStream::kStderr, "bad \xff byte\npart", kTime));
  ASSERT_TRUE(writer.flush(kTime));
  EXPECT_EQ(
      slurp(dir.log()),
      R"({"log":"say \"hi\" \u003cb\u003e\u0026\t\\ \u0001 café\n","stream":"stdout","time":"2026-11-28T11:00:00.123456789Z"})"
      "\n"
      R"({"log":"bad � byte\n","stream":"stderr","time":"2026-11-28T11:00:00.123456789Z"})"
      "\n"
      R"({"log":"part","stream":"stderr","time":"2026-11-28T11:00:00.123456789Z"})"
      "\n");
  auto entries = read_all("json-file", dir.log());
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].text, "say \"hi\" <b>&\t\\ \x01 caf\xc3\xa9");
  EXPECT_FALSE(entries[0].partial);
  EXPECT_EQ(entries[1].stream, LogStream::kStderr);
  EXPECT_EQ(entries[2].text, "part");
  EXPECT_TRUE(entries[2].partial);
  EXPECT_EQ(entries[2].time_ns, kTime);
}

TEST(MonitorLogWriter, LongLinesAreSplitIntoPartialEntries) {
  LogDir dir;
  LogWriter writer = open_writer("k8s-file", dir.log());
  const std::string long_line(40 * 1024, 'x');
  // In pieces, as a pipe delivers it.
  for (size_t pos = 0; pos < long_line.size(); pos += 5000)
    ASSERT_TRUE(writer.write(LogStream::kStdout, long_line.substr(pos, 5000), kTime));
  ASSERT_TRUE(writer.write(LogStream::kStdout, "\n" + long_line + "\n", kTime));
  auto entries = read_all("k8s-file", dir.log());
  std::vector<std::string> lines(1);
  for (const LogEntry& entry : entries) {
    EXPECT_LE(entry.text.size(), 16u * 1024);
    lines.back() += entry.text;
    if (!entry.partial) lines.emplace_back();
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], long_line);
  EXPECT_EQ(lines[1], long_line);
  EXPECT_EQ(lines[2], "");
}

std::string numbered_line(int n) {
  return "line " + std::to_string(n) + " " + std::string(40, 'z');
}

// Every entry's text is numbered_line(k): checks they are consecutive from `first`.
void expect_consecutive(const std::vector<LogEntry>& entries, int first) {
  for (size_t i = 0; i < entries.size(); ++i) {
    ASSERT_EQ(entries[i].text, numbered_line(first + static_cast<int>(i))) << "entry " << i;
  }
}

TEST(MonitorLogWriter, RotationKeepsMaxFiles) {
  LogDir dir;
  constexpr int64_t kMaxSize = 1000;
  LogWriter writer = open_writer("k8s-file", dir.log(), kMaxSize, 3);
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(writer.write(LogStream::kStdout, numbered_line(i) + "\n", kTime + i));
  EXPECT_TRUE(exists(dir.log()));
  EXPECT_TRUE(exists(dir.log() + ".1"));
  EXPECT_TRUE(exists(dir.log() + ".2"));
  EXPECT_FALSE(exists(dir.log() + ".3"));
  for (const std::string& file : {dir.log(), dir.log() + ".1", dir.log() + ".2"}) {
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_LE(st.st_size, kMaxSize) << file;
    EXPECT_GT(st.st_size, 0) << file;
  }
  // The oldest kept entries come first and the newest entry is the last.
  auto entries = read_all("k8s-file", dir.log());
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().text, numbered_line(199));
  expect_consecutive(entries, 200 - static_cast<int>(entries.size()));
  EXPECT_GT(entries.size(), 20u);  // three files' worth of ~90-byte entries
}

TEST(MonitorLogWriter, RotationWithOneFileTruncates) {
  LogDir dir;
  LogWriter writer = open_writer("json-file", dir.log(), 500, 1);
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(writer.write(LogStream::kStdout, numbered_line(i) + "\n", kTime));
  EXPECT_FALSE(exists(dir.log() + ".1"));
  struct stat st {};
  ASSERT_EQ(::stat(dir.log().c_str(), &st), 0);
  EXPECT_LE(st.st_size, 500);
  auto entries = read_all("json-file", dir.log());
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries.back().text, numbered_line(49));
  expect_consecutive(entries, 50 - static_cast<int>(entries.size()));
}

TEST(MonitorLogWriter, AppendsToAnExistingLog) {
  LogDir dir;
  {
    LogWriter writer = open_writer("k8s-file", dir.log(), 300, 2);
    ASSERT_TRUE(writer.write(LogStream::kStdout, numbered_line(0) + "\n", kTime));
  }
  LogWriter writer = open_writer("k8s-file", dir.log(), 300, 2);
  ASSERT_TRUE(writer.write(LogStream::kStdout, numbered_line(1) + "\n", kTime));
  auto entries = read_all("k8s-file", dir.log());
  ASSERT_EQ(entries.size(), 2u);
  expect_consecutive(entries, 0);
  // The existing size counts towards max_size.
  for (int i = 2; i < 5; ++i)
    ASSERT_TRUE(writer.write(LogStream::kStdout, numbered_line(i) + "\n", kTime));
  EXPECT_TRUE(exists(dir.log() + ".1"));
}

TEST(MonitorLogReader, TailSinceUntil) {
  LogDir dir;
  LogWriter writer = open_writer("k8s-file", dir.log(), 400, 10);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(writer.write(LogStream::kStdout, numbered_line(i) + "\n", kTime + i * 1000));
  ASSERT_TRUE(exists(dir.log() + ".1"));  // the reads below cross rotated files

  LogReadOptions tail;
  tail.tail = 3;
  auto entries = read_all("k8s-file", dir.log(), tail);
  ASSERT_EQ(entries.size(), 3u);
  expect_consecutive(entries, 17);

  tail.tail = 0;
  EXPECT_TRUE(read_all("k8s-file", dir.log(), tail).empty());
  tail.tail = 100;
  EXPECT_EQ(read_all("k8s-file", dir.log(), tail).size(), 20u);

  LogReadOptions window;
  window.since_ns = kTime + 5 * 1000;
  window.until_ns = kTime + 9 * 1000;
  entries = read_all("k8s-file", dir.log(), window);
  ASSERT_EQ(entries.size(), 5u);
  expect_consecutive(entries, 5);

  window.tail = 2;
  entries = read_all("k8s-file", dir.log(), window);
  ASSERT_EQ(entries.size(), 2u);
  expect_consecutive(entries, 8);
}

TEST(MonitorLogReader, TailCountsLinesNotPartialEntries) {
  LogDir dir;
  LogWriter writer = open_writer("k8s-file", dir.log());
  ASSERT_TRUE(writer.write(LogStream::kStdout, "one\ntw", kTime));
  ASSERT_TRUE(writer.flush(kTime));
  ASSERT_TRUE(writer.write(LogStream::kStdout, "o\nthree\n", kTime));
  LogReadOptions tail;
  tail.tail = 2;
  auto entries = read_all("k8s-file", dir.log(), tail);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].text, "tw");
  EXPECT_TRUE(entries[0].partial);
  EXPECT_EQ(entries[1].text, "o");
  EXPECT_EQ(entries[2].text, "three");
}

TEST(MonitorLogReader, MissingLogAndUnknownDriver) {
  LogDir dir;
  EXPECT_TRUE(read_all("k8s-file", dir.log()).empty());
  auto none = read_logs("none", dir.log(), {}, [](const LogEntry&) {});
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("none"), std::string::npos);
}

// Many rotations: with enough files kept, every line of ~20 MB written through 1 MB files is
// read back, in order, once.
TEST(MonitorLogReader, ManyRotationsWithoutLoss) {
  LogDir dir;
  constexpr int kLines = 200000;  // ~20 MB of k8s-file entries
  {
    LogWriter writer = open_writer("k8s-file", dir.log(), 1024 * 1024, 30);
    std::string chunk;
    for (int i = 0; i < kLines; ++i) {
      chunk += numbered_line(i) + "\n";
      if (chunk.size() > 7000 || i == kLines - 1) {
        ASSERT_TRUE(writer.write(LogStream::kStdout, chunk, kTime + i));
        chunk.clear();
      }
    }
  }
  EXPECT_TRUE(exists(dir.log() + ".15"));
  EXPECT_FALSE(exists(dir.log() + ".30"));
  int next = 0;
  bool in_order = true;
  auto read = read_logs("k8s-file", dir.log(), {}, [&](const LogEntry& entry) {
    if (entry.text != numbered_line(next)) in_order = false;
    ++next;
  });
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(next, kLines);
}

// A follower keeps up across rotations while a writer is busy, and stops once the writer is
// done and everything was read.
TEST(MonitorLogReader, FollowAcrossRotations) {
  LogDir dir;
  constexpr int kLines = 30000;
  LogWriter writer = open_writer("json-file", dir.log(), 64 * 1024, 200);
  ASSERT_TRUE(writer.write(LogStream::kStdout, numbered_line(0) + "\n", kTime));
  std::atomic<bool> writing{true};
  std::thread producer([&] {
    for (int i = 1; i < kLines; ++i) {
      (void)writer.write(LogStream::kStdout, numbered_line(i) + "\n", kTime + i);
      if (i % 1000 == 0) ::usleep(20000);
    }
    writing = false;
  });
  int next = 0;
  bool in_order = true;
  LogReadOptions follow;
  follow.follow = true;
  auto read = read_logs(
      "json-file", dir.log(), follow,
      [&](const LogEntry& entry) {
        if (entry.text != numbered_line(next)) in_order = false;
        ++next;
      },
      [&] { return writing.load(); });
  producer.join();
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_TRUE(exists(dir.log() + ".5"));  // it did rotate meanwhile
  EXPECT_TRUE(in_order);
  EXPECT_EQ(next, kLines);
}

TEST(MonitorLogReader, FollowStopsAtUntil) {
  LogDir dir;
  LogWriter writer = open_writer("k8s-file", dir.log());
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(writer.write(LogStream::kStdout, numbered_line(i) + "\n", kTime + i));
  LogReadOptions options;
  options.follow = true;
  options.until_ns = kTime + 2;
  std::vector<LogEntry> entries;
  // still_running stays true: only --until ends the follow.
  auto read = read_logs(
      "k8s-file", dir.log(), options, [&](const LogEntry& e) { entries.push_back(e); },
      [] { return true; });
  ASSERT_TRUE(read);
  ASSERT_EQ(entries.size(), 3u);
  expect_consecutive(entries, 0);
}

}  // namespace
}  // namespace krill::monitor
