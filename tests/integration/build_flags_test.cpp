// krill build's --squash, parallel stages and ADD of an http URL (served by python3 on
// 127.0.0.1 only), through the krill binary (build_test_support.h).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "build_test_support.h"

namespace krill::it {
namespace {

const std::string kFrom = std::string("FROM ") + EngineEnv::kImage + "\n";

TEST(BuildFlags, SquashMakesTheNewLayersOneAndKeepsDeletions) {
  BuildEnv env;
  auto plain = env.build(kFrom + "RUN echo one > /one\nRUN echo two > /two && rm /bin/yes\n");
  ASSERT_TRUE(plain.ok()) << plain.describe();
  auto squashed = env.build("", {}, {"--squash"});
  ASSERT_TRUE(squashed.ok()) << squashed.describe();
  auto layers = [&](const std::string& id) { return env.config(id)["rootfs"]["diff_ids"].size(); };
  EXPECT_EQ(layers(plain.id), layers(squashed.id) + 1);
  EXPECT_EQ(env.sh(squashed.id, "cat /one /two; ls /bin | grep -c '^yes$' || true"), "one\ntwo\n0");
  // The history still shows both steps; only one of them carries a layer.
  auto history = env.config(squashed.id)["history"];
  int with_layer = 0;
  for (const auto& entry : history)
    if (!entry.value("empty_layer", false)) ++with_layer;
  EXPECT_EQ(with_layer, static_cast<int>(layers(squashed.id)));
}

// Each stage waits (up to 20 s) for the other's marker in a shared cache mount: only stages
// that run at the same time both finish.
TEST(BuildFlags, IndependentStagesRunAtTheSameTime) {
  BuildEnv env;
  auto stage = [](const char* name, const char* me, const char* other) {
    return std::string("FROM ") + EngineEnv::kImage + " AS " + name +
           "\nRUN --mount=type=cache,target=/meet,id=meet-" + std::to_string(::getpid()) +
           " touch /meet/" + me + " && i=0 && while [ ! -e /meet/" + other +
           " ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done && test -e /meet/" + other +
           " && echo " + me + " > /" + me + "\n";
  };
  auto built = env.build(stage("a", "a", "b") + stage("b", "b", "a") + kFrom +
                         "COPY --from=a /a /a\nCOPY --from=b /b /b\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.sh(built.id, "cat /a /b"), "a\nb");
}

// `python3 -m http.server` bound to 127.0.0.1 on an ephemeral port.
class LoopbackHttpServer {
 public:
  explicit LoopbackHttpServer(const std::string& dir) {
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      if (::chdir(dir.c_str()) != 0) ::_exit(127);
      ::execlp("python3", "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(out[1]);
    std::string banner;
    char c;
    while (banner.find(" (") == std::string::npos && ::read(out[0], &c, 1) == 1) banner += c;
    ::close(out[0]);
    if (size_t at = banner.find(" port "); at != std::string::npos)
      port_ = std::atoi(banner.c_str() + at + 6);
  }
  ~LoopbackHttpServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + path;
  }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST(BuildFlags, AddUrlDownloadsAndVerifiesTheChecksum) {
  TempDir www("www");
  std::ofstream(www.path() + "/payload.txt") << "from the web\n";
  LoopbackHttpServer server(www.path());
  ASSERT_GT(server.port(), 0);
  auto summed = run_command({"sha256sum", www.path() + "/payload.txt"});
  ASSERT_TRUE(summed.ok()) << summed.describe();
  const std::string sha = "sha256:" + summed.out.substr(0, 64);
  // Never through a proxy: the server is on our loopback.
  ::setenv("no_proxy", "127.0.0.1", 1);
  ::setenv("NO_PROXY", "127.0.0.1", 1);
  BuildEnv env;
  auto built =
      env.build(kFrom + "ADD --checksum=" + sha + " " + server.url("payload.txt") + " /srv/\n");
  ASSERT_TRUE(built.ok()) << built.describe();
  EXPECT_EQ(env.sh(built.id, "cat /srv/payload.txt"), "from the web");
  auto wrong = env.build(kFrom + "ADD --checksum=sha256:" + std::string(64, '0') + " " +
                         server.url("payload.txt") + " /srv/\n");
  EXPECT_NE(wrong.result.exit_code, 0);
  EXPECT_NE(wrong.result.err.find("checksum"), std::string::npos) << wrong.describe();
  auto missing = env.build(kFrom + "ADD " + server.url("nope.txt") + " /srv/\n");
  EXPECT_NE(missing.result.exit_code, 0);
  EXPECT_NE(missing.result.err.find("404"), std::string::npos) << missing.describe();
}

}  // namespace
}  // namespace krill::it
