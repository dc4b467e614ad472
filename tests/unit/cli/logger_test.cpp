#include "cli/runtime/logger.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace krill::cli {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

class TempPath {
 public:
  TempPath() {
    char name[] = "/tmp/krill-cli-log-XXXXXX";
    int fd = ::mkstemp(name);
    ::close(fd);
    ::unlink(name);
    path_ = name;
  }
  ~TempPath() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LogFormat, ParsesTextAndJson) {
  EXPECT_EQ(parse_log_format("text").value(), LogFormat::kText);
  EXPECT_EQ(parse_log_format("json").value(), LogFormat::kJson);
  auto bad = parse_log_format("xml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "invalid log-format: xml");
}

TEST(Rfc3339, FormatsUtcSeconds) {
  EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339_utc(1714557600), "2024-05-01T10:00:00Z");
}

TEST(FormatLogLine, JsonLineLikeRunc) {
  EXPECT_EQ(format_log_line(LogFormat::kJson, LogLevel::kError, "container does not exist",
                            "2024-05-01T10:00:00Z"),
            "{\"level\":\"error\",\"msg\":\"container does not exist\","
            "\"time\":\"2024-05-01T10:00:00Z\"}\n");
}

TEST(FormatLogLine, JsonEscapesTheMessage) {
  std::string line = format_log_line(LogFormat::kJson, LogLevel::kWarning, "a \"quoted\"\nline\\",
                                     "2024-05-01T10:00:00Z");
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["msg"], "a \"quoted\"\nline\\");
  EXPECT_EQ(parsed["level"], "warning");
  EXPECT_EQ(line.back(), '\n');
}

TEST(FormatLogLine, TextLineLikeLogrus) {
  EXPECT_EQ(format_log_line(LogFormat::kText, LogLevel::kError, "unknown signal \"FOO\"\n",
                            "2024-05-01T10:00:00Z"),
            "time=\"2024-05-01T10:00:00Z\" level=error msg=\"unknown signal \\\"FOO\\\"\\n\"\n");
  EXPECT_EQ(format_log_line(LogFormat::kText, LogLevel::kDebug, "x", "T"),
            "time=\"T\" level=debug msg=\"x\"\n");
}

TEST(Logger, ErrorsGoToStderrWithoutAFile) {
  std::ostringstream err;
  Logger log("krill-runtime", err);
  log.error("container does not exist");
  EXPECT_EQ(err.str(), "krill-runtime: error: container does not exist\n");
}

TEST(Logger, ErrorsGoToStderrAndTheJsonFile) {
  TempPath file;
  std::ostringstream err;
  Logger log("krill-runtime", err);
  ASSERT_TRUE(log.open_file(file.path(), LogFormat::kJson));
  log.error("first");
  log.error("second");
  EXPECT_EQ(err.str(), "krill-runtime: error: first\nkrill-runtime: error: second\n");
  std::istringstream lines(read_file(file.path()));
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  auto first = nlohmann::json::parse(line);
  EXPECT_EQ(first["level"], "error");
  EXPECT_EQ(first["msg"], "first");
  EXPECT_EQ(first["time"].get<std::string>().size(), std::string("2024-05-01T10:00:00Z").size());
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(nlohmann::json::parse(line)["msg"], "second");
}

TEST(Logger, AppendsToAnExistingTextFile) {
  TempPath file;
  {
    std::ofstream existing(file.path());
    existing << "earlier\n";
  }
  std::ostringstream err;
  Logger log("krill-runtime", err);
  ASSERT_TRUE(log.open_file(file.path(), LogFormat::kText));
  log.error("boom");
  std::string text = read_file(file.path());
  EXPECT_EQ(text.rfind("earlier\ntime=\"", 0), 0u);
  EXPECT_NE(text.find(" level=error msg=\"boom\"\n"), std::string::npos);
}

TEST(Logger, DebugOnlyWhenEnabled) {
  std::ostringstream err;
  Logger log("krill-runtime", err);
  log.debug("hidden");
  EXPECT_EQ(err.str(), "");
  log.set_debug(true);
  log.debug("shown");
  EXPECT_EQ(err.str(), "krill-runtime: debug: shown\n");
}

TEST(Logger, OpenFileReportsThePath) {
  std::ostringstream err;
  Logger log("krill-runtime", err);
  auto opened = log.open_file("/nonexistent-dir/log.json", LogFormat::kJson);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().message(),
            "open log file /nonexistent-dir/log.json: No such file or directory");
}

}  // namespace
}  // namespace krill::cli
