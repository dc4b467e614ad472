// compile_seccomp_cached and load_compiled_seccomp: the compiled-filter cache of the runtime.
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "child_process.h"
#include "runtime/security/seccomp.h"

namespace krill::security {
namespace {

namespace fs = std::filesystem;
using test_support::run_in_child;

class SeccompCache : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "krill-seccomp-cache-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    cache_ = root_ + "/@seccomp-cache";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::vector<fs::path> entries() const {
    std::vector<fs::path> found;
    if (!fs::exists(cache_)) return found;
    for (const auto& e : fs::directory_iterator(cache_)) found.push_back(e.path());
    return found;
  }
  static std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  static void write(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  std::string root_, cache_;
};

oci::Seccomp errno_config(std::vector<std::string> names, uint32_t errno_ret) {
  oci::Seccomp config;
  config.default_action = "SCMP_ACT_ALLOW";
  oci::SeccompSyscall syscall;
  syscall.names = std::move(names);
  syscall.action = "SCMP_ACT_ERRNO";
  syscall.errno_ret = errno_ret;
  config.syscalls.push_back(syscall);
  return config;
}

TEST_F(SeccompCache, SecondCompileComesFromTheCacheAndMatchesLibseccomp) {
  const auto config = errno_config({"mkdir", "mkdirat"}, EXDEV);
  auto direct = compile_seccomp(config);
  ASSERT_TRUE(direct) << direct.error().message();
  auto first = compile_seccomp_cached(config, cache_);
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_EQ(first->program, direct->program);
  EXPECT_EQ(first->flags, direct->flags);
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_EQ(fs::status(cache_).permissions() & fs::perms::all, fs::perms::owner_all);

  // Proof that the second compile reads the entry: change the program's last byte there.
  const fs::path entry = entries().front();
  std::string text = read(entry);
  ASSERT_GE(text.size(), direct->program.size());
  text.back() = static_cast<char>(text.back() ^ 0x5a);
  write(entry, text);
  auto second = compile_seccomp_cached(config, cache_);
  ASSERT_TRUE(second) << second.error().message();
  ASSERT_EQ(second->program.size(), direct->program.size());
  EXPECT_NE(second->program.back(), direct->program.back());
}

TEST_F(SeccompCache, AnotherConfigsEntryUnderTheSameNameIsAMiss) {
  const auto a = errno_config({"mkdir"}, EXDEV);
  const auto b = errno_config({"rmdir"}, EPERM);
  ASSERT_TRUE(compile_seccomp_cached(a, cache_));
  ASSERT_EQ(entries().size(), 1u);
  const fs::path a_entry = entries().front();
  ASSERT_TRUE(compile_seccomp_cached(b, cache_));
  ASSERT_EQ(entries().size(), 2u);
  fs::path b_entry = entries()[0] == a_entry ? entries()[1] : entries()[0];
  // As if the two keys hashed alike: b's entry under a's name.
  write(a_entry, read(b_entry));
  auto again = compile_seccomp_cached(a, cache_);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->program, compile_seccomp(a)->program);
  EXPECT_NE(read(a_entry), read(b_entry));  // replaced by a's own
}

TEST_F(SeccompCache, DamagedEntryIsCompiledAgainAndReplaced) {
  const auto config = errno_config({"mkdir"}, EXDEV);
  ASSERT_TRUE(compile_seccomp_cached(config, cache_));
  const fs::path entry = entries().front();
  const std::string good = read(entry);
  for (const std::string& damaged : {std::string(), good.substr(0, good.size() / 2),
                                     good.substr(0, good.size() - 3), std::string("garbage")}) {
    write(entry, damaged);
    auto compiled = compile_seccomp_cached(config, cache_);
    ASSERT_TRUE(compiled) << compiled.error().message();
    EXPECT_EQ(compiled->program, compile_seccomp(config)->program);
    EXPECT_EQ(read(entry), good);
  }
}

TEST_F(SeccompCache, UnwritableCacheStillCompilesAndBadConfigsAreNotCached) {
  write(root_ + "/file", "x");
  auto compiled = compile_seccomp_cached(errno_config({"mkdir"}, EXDEV), root_ + "/file/cache");
  ASSERT_TRUE(compiled) << compiled.error().message();
  EXPECT_FALSE(compiled->program.empty());

  oci::Seccomp bad;
  bad.default_action = "SCMP_ACT_NO_SUCH_ACTION";
  auto refused = compile_seccomp_cached(bad, cache_);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("SCMP_ACT_NO_SUCH_ACTION"), std::string::npos)
      << refused.error().message();
  EXPECT_TRUE(entries().empty());
}

TEST_F(SeccompCache, LoadedFromTheCacheTheFilterApplies) {
  const auto config = errno_config({"mkdir", "mkdirat"}, EXDEV);
  ASSERT_TRUE(compile_seccomp_cached(config, cache_));  // the entry
  auto cached = compile_seccomp_cached(config, cache_);
  ASSERT_TRUE(cached);
  const std::string target = root_ + "/blocked";
  auto child = run_in_child([&](int out) {
    auto listener = load_compiled_seccomp(*cached);
    if (!listener) {
      test_support::write_all(out, listener.error().message());
      return 10;
    }
    if (listener->valid()) return 11;
    if (mkdir(target.c_str(), 0700) == 0 || errno != EXDEV) return 12;
    if (getpid() <= 0) return 13;
    return 0;
  });
  EXPECT_TRUE(child.exited_with(0)) << child.describe();
  EXPECT_FALSE(fs::exists(target));
}

TEST_F(SeccompCache, NotifyFilterGivesAListenerAndMalformedProgramsAreRefused) {
  if (seccomp_api_get() < 6) GTEST_SKIP() << "no seccomp notify support here";
  oci::Seccomp config;
  config.default_action = "SCMP_ACT_ALLOW";
  oci::SeccompSyscall syscall;
  syscall.names = {"mkdir"};
  syscall.action = "SCMP_ACT_NOTIFY";
  config.syscalls.push_back(syscall);
  auto compiled = compile_seccomp_cached(config, cache_);
  ASSERT_TRUE(compiled) << compiled.error().message();
  EXPECT_TRUE(compiled->uses_notify);
  auto child = run_in_child([&](int out) {
    auto listener = load_compiled_seccomp(*compiled);
    if (!listener) {
      test_support::write_all(out, listener.error().message());
      return 10;
    }
    return listener->valid() ? 0 : 11;
  });
  EXPECT_TRUE(child.exited_with(0)) << child.describe();

  CompiledSeccomp malformed = *compiled;
  malformed.program.resize(malformed.program.size() - 1);
  auto refused = load_compiled_seccomp(malformed);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("malformed"), std::string::npos);
}

}  // namespace
}  // namespace krill::security
