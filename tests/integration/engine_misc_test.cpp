// run --init (catatonit), wait --condition, cp (Docker's rules, tar streams, containment),
// diff without the engine's mount points, stats streaming: through the real krill binary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <sstream>
#include <thread>

#include "engine_test_support.h"

namespace krill::it {
namespace {

using namespace std::chrono_literals;

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

void expect_clean(const EngineEnv& env) {
  eventually([&] { return env.leftover_processes().empty(); }, 5s);
  EXPECT_TRUE(env.leftover_processes().empty());
  EXPECT_TRUE(env.leftover_mounts().empty());
}

// ---- run --init ----

TEST(EngineInit, CatatonitIsPid1AndTheCommandItsChild) {
  EngineEnv env;
  auto run = env.krill({"run", "--rm", "--init", EngineEnv::kImage, "sh", "-c",
                        "cat /proc/1/cmdline; echo; echo pid=$$; grep PPid /proc/$$/status"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  auto lines = lines_of(run.out);
  ASSERT_GE(lines.size(), 3u) << run.out;
  // argv of pid 1, NUL-separated: the init, "--", then the command.
  std::string cmdline = lines[0];
  EXPECT_TRUE(cmdline.starts_with(std::string("/run/podman-init\0--\0sh\0-c", 25))) << run.out;
  EXPECT_NE(lines[1], "pid=1");
  EXPECT_EQ(lines[2], "PPid:\t1") << run.out;
  // The init is catatonit, bind-mounted read-only.
  auto same = env.krill({"run", "--rm", "--init", EngineEnv::kImage, "sh", "-c",
                         "stat -c %s /run/podman-init; echo x > /run/podman-init || echo ro"});
  ASSERT_EQ(same.exit_code, 0) << same.describe();
  struct stat st {};
  ASSERT_EQ(::stat("/usr/bin/catatonit", &st), 0);
  EXPECT_EQ(lines_of(same.out).front(), std::to_string(st.st_size)) << same.out;
  EXPECT_TRUE(has_line(same.out, "ro")) << same.out;
  expect_clean(env);
}

TEST(EngineInit, ExitCodeSignalsAndZombies) {
  EngineEnv env;
  auto code = env.krill({"run", "--rm", "--init", EngineEnv::kImage, "sh", "-c", "exit 7"});
  EXPECT_EQ(code.exit_code, 7) << code.describe();

  // An orphan re-parented to pid 1 is reaped by the init: no zombie remains.
  auto reaped = env.krill({"run", "--rm", "--init", EngineEnv::kImage, "sh", "-c",
                           "(sleep 0.2 &); sleep 1; cat /proc/[0-9]*/stat"});
  ASSERT_EQ(reaped.exit_code, 0) << reaped.describe();
  EXPECT_EQ(reaped.out.find(") Z "), std::string::npos) << reaped.out;
  EXPECT_NE(reaped.out.find("(podman-init)"), std::string::npos) << reaped.out;

  // stop's SIGTERM goes to pid 1 (catatonit), which forwards it to the command.
  auto started = env.krill({"run", "-d", "--init", "--name", "sig", EngineEnv::kImage, "sh", "-c",
                            "trap 'echo got-term; exit 3' TERM; echo ready; "
                            "while true; do sleep 0.1; done"});
  ASSERT_EQ(started.exit_code, 0) << started.describe();
  ASSERT_TRUE(eventually([&] {
    return env.krill({"logs", "sig"}).out.find("ready") != std::string::npos;
  }));
  auto stopped = env.krill({"stop", "-t", "10", "sig"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.describe();
  EXPECT_EQ(env.inspect("sig", "{{.State.ExitCode}}"), "3");
  EXPECT_NE(env.krill({"logs", "sig"}).out.find("got-term"), std::string::npos);
  EXPECT_EQ(env.inspect("sig", "{{.HostConfig.Init}}"), "true");
  EXPECT_EQ(env.krill({"rm", "sig"}).exit_code, 0);
  expect_clean(env);
}

TEST(EngineInit, InitPathOverridesAndBadInitPathsFail) {
  EngineEnv env;
  TempDir dir("init-path");
  std::string script = dir.path() + "/my-init";
  ASSERT_TRUE(write_file(script, "#!/bin/sh\nshift\necho custom-init\nexec \"$@\"\n"));
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  auto custom = env.krill(
      {"run", "--rm", "--init", "--init-path", script, EngineEnv::kImage, "echo", "hello"});
  EXPECT_EQ(custom.exit_code, 0) << custom.describe();
  EXPECT_EQ(custom.out, "custom-init\nhello\n");

  // --read-only: the mount point is still made.
  auto read_only =
      env.krill({"run", "--rm", "--init", "--read-only", EngineEnv::kImage, "echo", "ro-ok"});
  EXPECT_EQ(read_only.exit_code, 0) << read_only.describe();
  EXPECT_EQ(read_only.out, "ro-ok\n");

  for (const std::string& bad :
       {dir.path() + "/missing", std::string("relative/init"), dir.path()}) {
    auto run = env.krill({"run", "--rm", "--init", "--init-path", bad, EngineEnv::kImage, "true"});
    EXPECT_EQ(run.exit_code, 125) << run.describe();
    EXPECT_NE(run.err.find("--init-path " + bad), std::string::npos) << run.err;
    auto created = env.krill({"create", "--init", "--init-path", bad, EngineEnv::kImage, "true"});
    EXPECT_EQ(created.exit_code, 125) << created.describe();
  }
  EXPECT_TRUE(env.container_ids().empty());
  expect_clean(env);
}

// ---- wait --condition ----

// podman's rm -f -t N stops the container first (its stop signal, SIGKILL after N seconds):
// a container that traps SIGTERM gets to run its handler; plain rm -f kills it outright.
TEST(EngineRm, ForceWithTimeStopsGracefullyFirst) {
  EngineEnv env;
  TempDir out("rm-time");
  const std::string trap =
      "trap 'echo term > /out/$0; exit 0' TERM; echo up > /out/$0.up; "
      "while true; do sleep 0.1; done";
  for (const char* name : {"graceful", "killed"}) {
    auto run = env.krill({"run", "-d", "--name", name, "-v", out.path() + ":/out",
                          EngineEnv::kImage, "sh", "-c", trap, name});
    ASSERT_EQ(run.exit_code, 0) << run.describe();
  }
  ASSERT_TRUE(eventually(
      [&] {
        return path_exists(out.path() + "/graceful.up") && path_exists(out.path() + "/killed.up");
      },
      std::chrono::seconds(20)));
  auto bad = env.krill({"rm", "-f", "-t", "-1", "graceful"});
  EXPECT_EQ(bad.exit_code, 125) << bad.describe();
  auto graceful = env.krill({"rm", "-f", "-t", "10", "graceful"});
  EXPECT_EQ(graceful.exit_code, 0) << graceful.describe();
  EXPECT_TRUE(path_exists(out.path() + "/graceful")) << "SIGTERM first";
  auto killed = env.krill({"rm", "-f", "killed"});
  EXPECT_EQ(killed.exit_code, 0) << killed.describe();
  EXPECT_FALSE(path_exists(out.path() + "/killed")) << "plain rm -f kills";
  EXPECT_TRUE(env.container_ids().empty());
}

TEST(EngineWait, ConditionsAsPodman) {
  EngineEnv env;
  ASSERT_EQ(env.krill({"create", "--name", "w1", EngineEnv::kImage, "sh", "-c", "sleep 4; exit 4"})
                .exit_code,
            0);
  // A created container: created/configured/not-running hold at once.
  auto created = env.krill({"wait", "--condition", "created", "w1"}, {.timeout = 5000ms});
  EXPECT_EQ(created.exit_code, 0) << created.describe();
  EXPECT_EQ(created.out, "-1\n");
  auto configured = env.krill({"wait", "--condition=configured", "w1"}, {.timeout = 5000ms});
  EXPECT_EQ(configured.out, "-1\n") << configured.describe();
  auto not_running = env.krill({"wait", "--condition", "not-running", "w1"}, {.timeout = 5000ms});
  EXPECT_EQ(not_running.out, "0\n") << not_running.describe();
  // "running" does not hold for a created container: still waiting when the timeout hits.
  auto not_yet = env.krill({"wait", "--condition", "running", "--interval", "20ms", "w1"},
                           {.timeout = 1500ms});
  EXPECT_TRUE(not_yet.timed_out) << not_yet.describe();

  // next-exit and running, waited for before the start.
  auto next_exit = std::async(std::launch::async, [&] {
    return env.krill({"wait", "--condition", "next-exit", "-i", "20", "w1"}, {.timeout = 20000ms});
  });
  auto running = std::async(std::launch::async, [&] {
    return env.krill({"wait", "--condition", "running", "-i", "20ms", "w1"}, {.timeout = 20000ms});
  });
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(env.krill({"start", "w1"}).exit_code, 0);
  auto ran = running.get();
  EXPECT_EQ(ran.exit_code, 0) << ran.describe();
  EXPECT_EQ(ran.out, "-1\n");
  // paused: waited for, then the pause.
  auto paused = std::async(std::launch::async, [&] {
    return env.krill({"wait", "--condition", "paused", "-i", "20ms", "w1"}, {.timeout = 20000ms});
  });
  std::this_thread::sleep_for(200ms);
  auto pause = env.krill({"pause", "w1"});
  ASSERT_EQ(pause.exit_code, 0) << pause.describe();
  auto was_paused = paused.get();
  EXPECT_EQ(was_paused.out, "-1\n") << was_paused.describe();
  ASSERT_EQ(env.krill({"unpause", "w1"}).exit_code, 0);
  // Several conditions: whichever holds first (running, now) ends the wait.
  auto either = env.krill({"wait", "--condition", "exited", "--condition", "running", "w1"},
                          {.timeout = 5000ms});
  EXPECT_EQ(either.out, "-1\n") << either.describe();
  auto exited = next_exit.get();
  EXPECT_EQ(exited.exit_code, 0) << exited.describe();
  EXPECT_EQ(exited.out, "4\n");
  // exited/stopped/default on an exited container: its code at once.
  for (std::vector<std::string> args : {std::vector<std::string>{"wait", "w1"},
                                        {"wait", "--condition", "exited", "w1"},
                                        {"wait", "--condition", "stopped,running", "w1"}}) {
    auto w = env.krill(args, {.timeout = 5000ms});
    EXPECT_EQ(w.exit_code, 0) << w.describe();
    EXPECT_EQ(w.out, "4\n") << w.describe();
  }
  // removed: until rm.
  auto removed = std::async(std::launch::async, [&] {
    return env.krill({"wait", "--condition", "removed", "-i", "20ms", "w1"}, {.timeout = 20000ms});
  });
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(env.krill({"rm", "w1"}).exit_code, 0);
  auto gone = removed.get();
  EXPECT_EQ(gone.exit_code, 0) << gone.describe();
  EXPECT_EQ(gone.out, "4\n");
  expect_clean(env);
}

TEST(EngineWait, SeveralContainersAndBadInput) {
  EngineEnv env;
  ASSERT_EQ(env.krill({"run", "--name", "a", EngineEnv::kImage, "sh", "-c", "exit 2"}).exit_code,
            2);
  ASSERT_EQ(
      env.krill({"run", "-d", "--name", "b", EngineEnv::kImage, "sh", "-c", "sleep 0.5; exit 5"})
          .exit_code,
      0);
  auto both = env.krill({"wait", "a", "b"}, {.timeout = 20000ms});
  EXPECT_EQ(both.exit_code, 0) << both.describe();
  EXPECT_EQ(both.out, "2\n5\n");
  // A missing one among them: the others' codes, an error for it, exit 125.
  auto missing = env.krill({"wait", "a", "nope", "b"}, {.timeout = 20000ms});
  EXPECT_EQ(missing.exit_code, 125) << missing.describe();
  EXPECT_EQ(missing.out, "2\n5\n");
  EXPECT_NE(missing.err.find("no such container"), std::string::npos) << missing.err;

  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"wait", "--condition", "bogus", "a"}, "unknown container state: bogus"},
           {{"wait", "--condition", "healthy", "a"}, "not supported yet"},
           {{"wait", "--condition", "unhealthy", "a"}, "not supported yet"},
           {{"wait", "--condition", "initialized", "a"}, "no initialized state"},
           {{"wait", "--interval", "soon", "a"}, "--interval soon"},
           {{"wait", "--interval", "0", "a"}, "must be positive"},
           {{"wait", "--interval=-5ms", "a"}, "must be positive"},
       }) {
    auto r = env.krill(c.args, {.timeout = 5000ms});
    EXPECT_EQ(r.exit_code, 125) << r.describe();
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.describe();
    EXPECT_EQ(r.out, "");
  }
  expect_clean(env);
}

// ---- cp ----

// One ustar member (regular file), for hostile archives the host's tar will not make.
std::string tar_member(const std::string& name, const std::string& content) {
  std::string header(512, '\0');
  auto put = [&](size_t at, const std::string& value) { header.replace(at, value.size(), value); };
  auto octal = [](uint64_t value, int width) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%0*llo", width - 1, static_cast<unsigned long long>(value));
    return std::string(buf);
  };
  put(0, name);
  put(100, octal(0644, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(content.size(), 12));
  put(136, octal(0, 12));
  put(148, std::string(8, ' '));
  header[156] = '0';
  put(257, std::string("ustar\0", 6) + "00");
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  put(148, octal(sum, 7) + std::string(1, '\0'));
  std::string data = content;
  data.resize((content.size() + 511) / 512 * 512, '\0');
  return header + data;
}

TEST(EngineCp, DockerPathRulesBothDirections) {
  EngineEnv env;
  TempDir host("cp-rules");
  auto run = env.krill({"run", "--name", "c", EngineEnv::kImage, "sh", "-c",
                        "mkdir -p /d/sub && echo one > /d/a && echo two > /d/sub/b && "
                        "busybox chown 1234:4321 /d/a && busybox ln -s /tmp /lnk && "
                        "busybox ln -s a /d/alink && echo f > /file"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  const std::string h = host.path();

  // Container -> host. Without -a the copies are ours; with -a the container's ids stay.
  auto cp = env.krill({"cp", "c:/d/a", h + "/a1"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(read_file(h + "/a1"), "one\n");
  struct stat st {};
  ASSERT_EQ(::stat((h + "/a1").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::geteuid());
  cp = env.krill({"cp", "-a", "c:/d/a", h + "/a2"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  ASSERT_EQ(::stat((h + "/a2").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 4321u);
  // A symlink source is copied as a link; -L copies its target under the link's name.
  cp = env.krill({"cp", "c:/d/alink", h + "/link-copy"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_TRUE(std::filesystem::is_symlink(h + "/link-copy"));
  cp = env.krill({"cp", "-L", "c:/d/alink", h});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_FALSE(std::filesystem::is_symlink(h + "/alink"));
  EXPECT_EQ(read_file(h + "/alink"), "one\n");
  // Directory -> missing destination: made, with the contents.
  cp = env.krill({"cp", "c:/d", h + "/newdir"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(read_file(h + "/newdir/sub/b"), "two\n");
  // Directory -> existing directory: inside it by name; "/." : its contents.
  cp = env.krill({"cp", "c:/d", h + "/newdir"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(read_file(h + "/newdir/d/sub/b"), "two\n");
  std::filesystem::create_directory(h + "/contents");
  cp = env.krill({"cp", "c:/d/.", h + "/contents"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(read_file(h + "/contents/a"), "one\n");
  EXPECT_FALSE(path_exists(h + "/contents/d"));
  // File -> existing file: overwritten.
  write_file(h + "/existing", "old contents that are longer\n");
  cp = env.krill({"cp", "c:/file", h + "/existing"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  EXPECT_EQ(read_file(h + "/existing"), "f\n");

  // Errors, with nothing made.
  struct Bad {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Bad& b : std::vector<Bad>{
           {{"cp", "c:/d", h + "/existing"}, "cannot copy a directory to a file"},
           {{"cp", "c:/file", h + "/nodir/"}, "destination directory must exist"},
           {{"cp", "c:/file", h + "/no/such/parent"}, "no such file or directory"},
           {{"cp", "c:/file/", h + "/x"}, "not a directory"},
           {{"cp", "c:/file/.", h + "/x"}, "not a directory"},
           {{"cp", "c:/missing", h + "/x"}, "no such file or directory"},
           {{"cp", "c:/file", h + "/existing/"}, "not a directory"},
           {{"cp", h + "/a1", h + "/a3"}, "CONTAINER:PATH"},
           {{"cp", "c:/file", "c:/file2"}, "between containers"},
           {{"cp", "nope:/file", h + "/x"}, "no such container"},
       }) {
    auto r = env.krill(b.args);
    EXPECT_NE(r.exit_code, 0) << r.describe();
    EXPECT_NE(r.err.find(b.message), std::string::npos) << r.describe();
  }
  EXPECT_FALSE(path_exists(h + "/x"));
  EXPECT_FALSE(path_exists(h + "/nodir"));
  EXPECT_FALSE(path_exists(h + "/a3"));

  // Host -> container: owned by the container's root without -a; a symlink as destination is
  // followed inside the container (/lnk -> /tmp).
  write_file(h + "/in.txt", "from host\n");
  ASSERT_EQ(::chown((h + "/in.txt").c_str(), 2222, 3333), 0);
  cp = env.krill({"cp", h + "/in.txt", "c:/lnk"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  cp = env.krill({"cp", "-a", h + "/in.txt", "c:/kept.txt"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  cp = env.krill({"cp", h + "/newdir", "c:/hostdir"});
  ASSERT_EQ(cp.exit_code, 0) << cp.describe();
  // What the container holds now, seen through an image of it.
  auto commit = env.krill({"commit", "c", "localhost/cp-check:1"});
  ASSERT_EQ(commit.exit_code, 0) << commit.describe();
  auto seen = env.krill({"run", "--rm", "localhost/cp-check:1", "sh", "-c",
                         "cat /tmp/in.txt; stat -c %u:%g /tmp/in.txt /kept.txt; "
                         "cat /hostdir/sub/b; test -L /lnk && echo link-kept"});
  EXPECT_EQ(seen.exit_code, 0) << seen.describe();
  EXPECT_EQ(seen.out, "from host\n0:0\n2222:3333\ntwo\nlink-kept\n");
  auto removed = env.krill({"rmi", "localhost/cp-check:1"});
  EXPECT_EQ(removed.exit_code, 0) << removed.describe();
  expect_clean(env);
}

TEST(EngineCp, SymlinksNeverLeadOutOfTheContainer) {
  EngineEnv env;
  TempDir host("cp-escape");
  std::string marker = "krill-cp-escape-" + std::to_string(::getpid());
  auto run = env.krill({"run", "--name", "e", EngineEnv::kImage, "sh", "-c",
                        "mkdir /d && busybox ln -s ../../../../../.. /d/up && "
                        "busybox ln -s / /d/root && busybox ln -s /" +
                            marker +
                            " /d/abs && "
                            "echo inside > /etc/inside"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  write_file(host.path() + "/f", "payload\n");
  // Through a relative link climbing past the root, an absolute link, a link as destination.
  for (const std::string& dest :
       {"e:/d/up/" + marker, "e:/d/root/" + marker, std::string("e:/d/abs")}) {
    auto cp = env.krill({"cp", host.path() + "/f", dest});
    EXPECT_EQ(cp.exit_code, 0) << cp.describe();
    EXPECT_FALSE(path_exists("/" + marker)) << dest;
  }
  auto out = env.krill({"cp", "e:/d/up/etc/inside", host.path() + "/inside"});
  EXPECT_EQ(out.exit_code, 0) << out.describe();
  EXPECT_EQ(read_file(host.path() + "/inside"), "inside\n");
  // A tar stream with an entry climbing out is refused; nothing lands outside.
  std::string hostile = tar_member("../../../../" + marker + "-tar", "x") + std::string(1024, '\0');
  auto in = env.krill({"cp", "-", "e:/d"}, {.stdin_data = hostile});
  EXPECT_NE(in.exit_code, 0) << in.describe();
  EXPECT_NE(in.err.find("leaves the destination"), std::string::npos) << in.err;
  EXPECT_FALSE(path_exists("/" + marker + "-tar"));
  auto listed = env.krill({"cp", "e:/" + marker, "-"});
  EXPECT_EQ(listed.exit_code, 0) << listed.describe();
  EXPECT_NE(listed.out.find("payload"), std::string::npos);
  ::unlink(("/" + marker).c_str());  // only if the test failed
  expect_clean(env);
}

TEST(EngineCp, TarStreamsAndARunningContainersMounts) {
  EngineEnv env;
  TempDir host("cp-tar");
  auto run = env.krill({"run", "-d", "--name", "r", "--tmpfs", "/scratch", "-v", "vol1:/vol",
                        EngineEnv::kImage, "sleep", "1000"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  // A tar made by the host's tar, into the container's tmpfs (seen only in its own mounts).
  std::filesystem::create_directories(host.path() + "/src/sub");
  write_file(host.path() + "/src/sub/x", "in tar\n");
  ::symlink("sub/x", (host.path() + "/src/xl").c_str());
  auto tar = run_command({"tar", "-C", host.path() + "/src", "-cf", "-", "."});
  ASSERT_TRUE(tar.ok()) << tar.describe();
  auto in = env.krill({"cp", "-", "r:/scratch"}, {.stdin_data = tar.out});
  ASSERT_EQ(in.exit_code, 0) << in.describe();
  auto exec = env.krill({"exec", "r", "sh", "-c", "cat /scratch/sub/x; cat /scratch/xl"});
  EXPECT_EQ(exec.out, "in tar\nin tar\n") << exec.describe();
  // Gzipped too.
  auto gz = run_command({"tar", "-C", host.path() + "/src", "-czf", "-", "sub"});
  ASSERT_TRUE(gz.ok()) << gz.describe();
  in = env.krill({"cp", "-", "r:/vol"}, {.stdin_data = gz.out});
  ASSERT_EQ(in.exit_code, 0) << in.describe();
  EXPECT_EQ(env.krill({"exec", "r", "cat", "/vol/sub/x"}).out, "in tar\n");
  // Out of the volume as a tar stream, read back by the host's tar.
  auto out = env.krill({"cp", "r:/vol/sub", "-"});
  ASSERT_EQ(out.exit_code, 0) << out.describe();
  std::string tar_path = host.path() + "/out.tar";
  write_file(tar_path, out.out);
  auto listed = run_command({"tar", "-tvf", tar_path});
  EXPECT_TRUE(listed.ok()) << listed.describe();
  EXPECT_NE(listed.out.find("sub/x"), std::string::npos) << listed.out;
  // "/." : the contents, "./"-relative.
  out = env.krill({"cp", "r:/scratch/.", "-"});
  write_file(tar_path, out.out);
  listed = run_command({"tar", "-tf", tar_path});
  EXPECT_TRUE(has_line(listed.out, "./sub/x")) << listed.out;
  // Bad streams and destinations.
  auto not_dir = env.krill({"cp", "-", "r:/scratch/sub/x"}, {.stdin_data = tar.out});
  EXPECT_NE(not_dir.exit_code, 0);
  EXPECT_NE(not_dir.err.find("must be an existing directory"), std::string::npos) << not_dir.err;
  auto garbage = env.krill({"cp", "-", "r:/scratch"}, {.stdin_data = std::string(3000, 'x')});
  EXPECT_NE(garbage.exit_code, 0);
  EXPECT_NE(garbage.err.find("tar stream on stdin"), std::string::npos) << garbage.err;
  // A directory may not replace a file (and the reverse) without --overwrite.
  std::filesystem::create_directories(host.path() + "/clash/x");
  auto clash = run_command({"tar", "-C", host.path() + "/clash", "-cf", "-", "x"});
  auto refused = env.krill({"cp", "-", "r:/scratch/sub"}, {.stdin_data = clash.out});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("cannot overwrite non-directory"), std::string::npos) << refused.err;
  auto overwritten =
      env.krill({"cp", "--overwrite", "-", "r:/scratch/sub"}, {.stdin_data = clash.out});
  EXPECT_EQ(overwritten.exit_code, 0) << overwritten.describe();
  EXPECT_EQ(env.krill({"exec", "r", "test", "-d", "/scratch/sub/x"}).exit_code, 0);
  // The container's /etc/hosts (a bind mount) as the container sees it.
  auto hosts = env.krill({"cp", "r:/etc/hosts", host.path() + "/hosts"});
  EXPECT_EQ(hosts.exit_code, 0) << hosts.describe();
  EXPECT_EQ(read_file(host.path() + "/hosts"), env.krill({"exec", "r", "cat", "/etc/hosts"}).out);
  EXPECT_EQ(env.krill({"rm", "-f", "-v", "r"}).exit_code, 0);
  EXPECT_EQ(env.krill({"volume", "rm", "vol1"}).exit_code, 0);
  expect_clean(env);
}

// ---- diff ----

TEST(EngineDiff, EngineMountPointsAreNotListed) {
  EngineEnv env;
  auto run = env.krill({"run", "--name", "d", "--init", "-v", "dv:/data", "--tmpfs", "/mnt/t",
                        EngineEnv::kImage, "sh", "-c", "echo x > /newfile"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  auto diff = env.krill({"diff", "d"});
  ASSERT_EQ(diff.exit_code, 0) << diff.describe();
  EXPECT_EQ(diff.out, "A /newfile\n");
  // A real change next to a mount point stays, the mount point does not.
  run = env.krill({"run", "--name", "d2", EngineEnv::kImage, "sh", "-c", "echo y > /etc/extra"});
  ASSERT_EQ(run.exit_code, 0) << run.describe();
  diff = env.krill({"diff", "d2"});
  EXPECT_EQ(diff.out, "C /etc\nA /etc/extra\n") << diff.describe();
  // Never started: nothing at all.
  ASSERT_EQ(env.krill({"create", "--name", "d3", EngineEnv::kImage, "true"}).exit_code, 0);
  diff = env.krill({"diff", "d3"});
  EXPECT_EQ(diff.exit_code, 0) << diff.describe();
  EXPECT_EQ(diff.out, "");
  expect_clean(env);
}

// ---- stats ----

// `krill stats ...` running with its stdout on a pipe (not a terminal).
class StatsProcess {
 public:
  StatsProcess(const EngineEnv& env, const std::vector<std::string>& args) {
    std::vector<std::string> argv = env.global_args();
    argv.insert(argv.end(), args.begin(), args.end());
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      int null = ::open("/dev/null", O_RDONLY);
      ::dup2(null, 0);
      std::vector<char*> c;
      for (auto& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      ::execv(c[0], c.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~StatsProcess() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  // Reads until `count` occurrences of `marker` were seen (or the timeout).
  bool read_until(const std::string& marker, size_t count, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (occurrences(marker) < count) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) return false;
      text_.append(buf, static_cast<size_t>(n));
      stamps_.push_back(std::chrono::steady_clock::now());
    }
    return true;
  }
  size_t occurrences(const std::string& marker) const {
    size_t n = 0;
    for (size_t at = text_.find(marker); at != std::string::npos; at = text_.find(marker, at + 1))
      ++n;
    return n;
  }
  // SIGINT, then its exit status.
  int interrupt() {
    ::kill(pid_, SIGINT);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& text() const { return text_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int out_ = -1;
  std::string text_;
  std::vector<std::chrono::steady_clock::time_point> stamps_;
};

TEST(EngineStats, StreamsATableEachIntervalUntilSigint) {
  EngineEnv env;
  ASSERT_EQ(env.krill({"run", "-d", "--name", "s1", EngineEnv::kImage, "sleep", "1000"}).exit_code,
            0);
  {
    StatsProcess stats(env, {"stats", "s1"});
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(stats.read_until("MEM USAGE / LIMIT", 2, 10s)) << stats.text();
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(took, 900ms);  // one interval between the two frames
    EXPECT_EQ(stats.text().find("\033[2J"), std::string::npos);  // not a terminal: no clearing
    EXPECT_GE(stats.occurrences("s1"), 2u);
    EXPECT_EQ(stats.interrupt(), 0);
  }
  {
    StatsProcess stats(env, {"stats", "--format", "{{.Name}} pids={{.PIDs}}", "--interval", "1"});
    ASSERT_TRUE(stats.read_until("s1 pids=1\n", 2, 10s)) << stats.text();
    EXPECT_EQ(stats.interrupt(), 0);
  }
  {
    StatsProcess stats(env, {"stats", "--format", "json", "s1"});
    ASSERT_TRUE(stats.read_until("\"cpu_percent\"", 2, 10s)) << stats.text();
    EXPECT_EQ(stats.interrupt(), 0);
    auto first = stats.text().substr(0, stats.text().find("]\n") + 1);
    auto doc = parse_json(first);
    ASSERT_TRUE(doc.is_array()) << first;
    EXPECT_EQ(doc[0]["name"], "s1");
  }
  // --no-stream: one frame, then exit; -a shows a stopped container without numbers.
  ASSERT_EQ(env.krill({"create", "--name", "s2", EngineEnv::kImage, "true"}).exit_code, 0);
  auto once = env.krill({"stats", "--no-stream", "-a", "--format", "{{.Name}} {{.CPUPerc}}"});
  EXPECT_EQ(once.exit_code, 0) << once.describe();
  EXPECT_TRUE(has_line(once.out, "s2 --")) << once.out;
  auto running_only = env.krill({"stats", "--no-stream", "--format", "{{.Name}}"});
  EXPECT_EQ(running_only.out, "s1\n") << running_only.describe();
  // Bad input.
  for (std::vector<std::string> args : {std::vector<std::string>{"stats", "--no-stream", "s2"},
                                        {"stats", "--no-stream", "nope"},
                                        {"stats", "--interval", "0", "s1"},
                                        {"stats", "--no-stream", "--format", "{{.Name", "s1"}}) {
    auto r = env.krill(args, {.timeout = 10000ms});
    EXPECT_EQ(r.exit_code, 125) << r.describe();
    EXPECT_EQ(r.out, "") << r.describe();
  }
  EXPECT_EQ(env.krill({"rm", "-f", "s1", "s2"}).exit_code, 0);
  expect_clean(env);
}

}  // namespace
}  // namespace krill::it
