#include "monitor/monitor_protocol.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "base/file_io.h"
#include "monitor/attach_socket.h"
#include "monitor/oom_watch.h"

namespace krill::monitor {
namespace {

class ScratchDir {
 public:
  ScratchDir() {
    char templ[] = "/tmp/krill-monitor-unit-XXXXXX";
    path_ = ::mkdtemp(templ);
  }
  ~ScratchDir() { (void)remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(MonitorProtocol, ConfigRoundTrip) {
  MonitorConfig config;
  config.id = "c1";
  config.bundle = "/var/lib/krill/containers/c1/userdata";
  config.run_dir = "/run/krill/containers/c1";
  config.runtime_path = "/usr/bin/krill-runtime";
  config.runtime_root = "/run/krill/runtime";
  config.tty = true;
  config.stdin_open = true;
  config.log_driver = "json-file";
  config.log_path = "/x/ctr.log";
  config.log_max_size = 1 << 20;
  config.log_max_files = 5;
  config.exit_command = {"/usr/bin/krill", "container", "cleanup", "c1"};
  auto parsed = monitor_config_from_json(monitor_config_to_json(config));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->id, config.id);
  EXPECT_EQ(parsed->bundle, config.bundle);
  EXPECT_EQ(parsed->run_dir, config.run_dir);
  EXPECT_EQ(parsed->runtime_path, config.runtime_path);
  EXPECT_EQ(parsed->runtime_root, config.runtime_root);
  EXPECT_TRUE(parsed->tty);
  EXPECT_TRUE(parsed->stdin_open);
  EXPECT_EQ(parsed->log_driver, "json-file");
  EXPECT_EQ(parsed->log_path, config.log_path);
  EXPECT_EQ(parsed->log_max_size, 1 << 20);
  EXPECT_EQ(parsed->log_max_files, 5);
  EXPECT_EQ(parsed->exit_command, config.exit_command);
}

TEST(MonitorProtocol, ConfigErrors) {
  EXPECT_FALSE(monitor_config_from_json("not json"));
  EXPECT_FALSE(monitor_config_from_json("[1]"));
  EXPECT_FALSE(monitor_config_from_json(R"({"run_dir":"/r","runtime_path":"/x"})"));  // no id
  auto wrong_type = monitor_config_from_json(R"({"id":"c","run_dir":"/r","runtime_path":"/x",
      "log_driver":"none","tty":"yes"})");
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(wrong_type.error().message().find("tty"), std::string::npos);
  EXPECT_FALSE(monitor_config_from_json(
      R"({"id":"c","run_dir":"/r","runtime_path":"/x","log_driver":"syslog"})"));
  auto minimal = monitor_config_from_json(
      R"({"id":"c","run_dir":"/r","runtime_path":"/x","log_driver":"none"})");
  ASSERT_TRUE(minimal) << minimal.error().message();
  EXPECT_FALSE(minimal->tty);
  EXPECT_EQ(minimal->log_max_files, 1);
}

TEST(MonitorProtocol, ReadyRoundTrip) {
  MonitorReady ok;
  ok.container_pid = 4242;
  EXPECT_EQ(monitor_ready_to_json(ok), R"({"pid":4242})");
  auto parsed = monitor_ready_from_json(monitor_ready_to_json(ok));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->container_pid, 4242);
  EXPECT_TRUE(parsed->error.empty());

  MonitorReady bad;
  bad.error = "container_linux.go: \"quoted\"\nsecond line \xff";
  parsed = monitor_ready_from_json(monitor_ready_to_json(bad));
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(parsed->container_pid, 0);
  EXPECT_EQ(parsed->error, "container_linux.go: \"quoted\"\nsecond line \xef\xbf\xbd");
  EXPECT_FALSE(monitor_ready_from_json("{}"));
}

TEST(MonitorProtocol, ExitRecordRoundTripAndRead) {
  ExitRecord record;
  record.exit_code = 137;
  record.finished_ns = 1795000000123456789;
  record.oom_killed = true;
  auto parsed = exit_record_from_json(exit_record_to_json(record));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->exit_code, 137);
  EXPECT_EQ(parsed->finished_ns, 1795000000123456789);
  EXPECT_TRUE(parsed->oom_killed);
  EXPECT_FALSE(exit_record_from_json(R"({"finished_ns":1})"));

  ScratchDir dir;
  auto missing = read_exit_record(dir.path());
  ASSERT_TRUE(missing) << missing.error().message();
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(write_file_atomic(dir.path() + "/exit.json", exit_record_to_json(record)));
  auto present = read_exit_record(dir.path());
  ASSERT_TRUE(present) << present.error().message();
  ASSERT_TRUE(present->has_value());
  EXPECT_EQ((*present)->exit_code, 137);
  ASSERT_TRUE(write_file_atomic(dir.path() + "/exit.json", "garbage"));
  auto broken = read_exit_record(dir.path());
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message().find("exit.json"), std::string::npos);
}

TEST(MonitorProtocol, DetachKeys) {
  EXPECT_EQ(parse_detach_keys("ctrl-p,ctrl-q").value(), "\x10\x11");
  EXPECT_EQ(parse_detach_keys("ctrl-a,x").value(), std::string("\x01x"));
  EXPECT_EQ(parse_detach_keys("").value(), "");
  EXPECT_EQ(parse_detach_keys("ctrl-@").value(), std::string(1, '\0'));
  EXPECT_EQ(parse_detach_keys("ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_").value(),
            "\x1b\x1c\x1d\x1e\x1f");
  EXPECT_EQ(parse_detach_keys("ctrl-P").value(), "\x10");
  EXPECT_EQ(parse_detach_keys("a,b,c").value(), "abc");
  EXPECT_FALSE(parse_detach_keys("ctrl-"));
  EXPECT_FALSE(parse_detach_keys("ctrl-1"));
  EXPECT_FALSE(parse_detach_keys("ab"));
  EXPECT_FALSE(parse_detach_keys("ctrl-p,"));
  EXPECT_FALSE(parse_detach_keys(",ctrl-p"));
}

TEST(MonitorProtocol, Frames) {
  int code = 0;
  const std::string exit_frame = encode_exit_frame(137);
  ASSERT_EQ(exit_frame.size(), 5u);
  EXPECT_EQ(exit_frame[0], static_cast<char>(FrameType::kExit));
  EXPECT_EQ(exit_frame.substr(1), std::string("\x89\0\0\0", 4));
  ASSERT_TRUE(decode_exit_payload(std::string_view(exit_frame).substr(1), code));
  EXPECT_EQ(code, 137);
  EXPECT_FALSE(decode_exit_payload("abc", code));
  const std::string resize = encode_resize_frame(50, 300);
  uint16_t rows = 0, cols = 0;
  ASSERT_TRUE(decode_resize_payload(std::string_view(resize).substr(1), rows, cols));
  EXPECT_EQ(rows, 50);
  EXPECT_EQ(cols, 300);
  EXPECT_EQ(encode_frame(FrameType::kStdout, "hi"), std::string("\x01hi"));
}

TEST(MonitorProtocol, OomCounters) {
  EXPECT_EQ(parse_oom_kill_count("low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n"), 2);
  EXPECT_EQ(parse_oom_kill_count("oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"), 0);
  EXPECT_EQ(parse_oom_kill_count("oom_kill_disable 0\nunder_oom 0\n"), 0);
  bool v2 = false;
  EXPECT_EQ(memory_cgroup_path("0::/krill-abc\n", v2), "/krill-abc");
  EXPECT_TRUE(v2);
  EXPECT_EQ(memory_cgroup_path("12:cpu,cpuacct:/x\n4:memory:/krill-abc\n1:name=systemd:/y\n", v2),
            "/krill-abc");
  EXPECT_FALSE(v2);
  EXPECT_EQ(memory_cgroup_path("", v2), "");
}

}  // namespace
}  // namespace krill::monitor
