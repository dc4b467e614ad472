#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "cli/krill/krill_cli.h"

namespace krill::cli {
namespace {

struct Parsed {
  std::optional<int> status;
  std::string out, err;
};

Parsed parse(KrillCommandLine& line, std::vector<std::string> args) {
  std::ostringstream out, err;
  Parsed p;
  p.status = line.parse(args, out, err);
  p.out = out.str();
  p.err = err.str();
  return p;
}

int main_status(std::vector<std::string> args, std::string* out_text = nullptr,
                std::string* err_text = nullptr) {
  args.insert(args.begin(), "krill");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::istringstream in;
  std::ostringstream out, err;
  int status = krill_main(static_cast<int>(args.size()), argv.data(), in, out, err);
  if (out_text) *out_text = out.str();
  if (err_text) *err_text = err.str();
  return status;
}

TEST(KrillCommandLine, GlobalFlags) {
  KrillCommandLine line;
  auto p = parse(line, {"--root", "/s", "--runroot", "/r", "--log-level", "debug",
                        "--storage-driver", "vfs", "--registries-conf", "/c.conf", "images"});
  EXPECT_FALSE(p.status) << p.err;
  EXPECT_EQ(line.options.global.root, "/s");
  EXPECT_EQ(line.options.global.runroot, "/r");
  EXPECT_EQ(line.options.global.log_level, "debug");
  EXPECT_EQ(line.options.global.storage_driver, "vfs");
  EXPECT_EQ(line.options.global.registries_conf, "/c.conf");
  EXPECT_EQ(line.command_name(), "images");
}

TEST(KrillCommandLine, GlobalFlagsAfterTheCommand) {
  KrillCommandLine line;
  auto p = parse(line, {"images", "--root", "/s"});
  EXPECT_FALSE(p.status) << p.err;
  EXPECT_EQ(line.options.global.root, "/s");
}

TEST(KrillCommandLine, BadGlobalValues) {
  KrillCommandLine a;
  EXPECT_EQ(parse(a, {"--storage-driver", "btrfs", "images"}).status, 125);
  KrillCommandLine b;
  EXPECT_EQ(parse(b, {"--log-level", "loud", "images"}).status, 125);
}

TEST(KrillCommandLine, Version) {
  KrillCommandLine line;
  auto p = parse(line, {"--version"});
  EXPECT_EQ(p.status, 0);
  EXPECT_EQ(p.out.rfind("krill version ", 0), 0u);
  std::string out;
  EXPECT_EQ(main_status({"-v"}, &out), 0);
  EXPECT_EQ(out.rfind("krill version ", 0), 0u);
}

TEST(KrillCommandLine, UnknownCommand) {
  std::string err;
  EXPECT_EQ(main_status({"frobnicate"}, nullptr, &err), 125);
  EXPECT_EQ(
      err,
      "Error: unrecognized command `krill frobnicate`\nTry 'krill --help' for more information\n");
  EXPECT_EQ(main_status({"image", "frobnicate"}, nullptr, &err), 125);
  EXPECT_EQ(err.rfind("Error: unrecognized command `krill image frobnicate`", 0), 0u);
}

TEST(KrillCommandLine, MissingCommandAndUsageErrors) {
  std::string err;
  EXPECT_EQ(main_status({}, nullptr, &err), 125);
  EXPECT_EQ(err.rfind("Error: missing command 'krill COMMAND'", 0), 0u);
  EXPECT_EQ(main_status({"image"}, nullptr, &err), 125);
  EXPECT_EQ(err.rfind("Error: missing command 'krill image COMMAND'", 0), 0u);
  EXPECT_EQ(main_status({"pull"}, nullptr, &err), 125);  // NAME is required
  EXPECT_EQ(err.rfind("Error: ", 0), 0u);
  EXPECT_EQ(main_status({"images", "--no-such-flag"}, nullptr, &err), 125);
  EXPECT_NE(err.find("See 'krill images --help'"), std::string::npos);
  EXPECT_EQ(main_status({"push", "--format", "xml", "a"}, nullptr, &err), 125);
}

TEST(KrillCommandLine, HelpHasAnExample) {
  std::string out;
  EXPECT_EQ(main_status({"pull", "--help"}, &out), 0);
  EXPECT_NE(out.find("Usage: krill pull [options] NAME..."), std::string::npos) << out;
  EXPECT_NE(out.find("Example:\n  krill pull"), std::string::npos);
  EXPECT_EQ(main_status({"image", "copy", "--help"}, &out), 0);
  EXPECT_NE(out.find("Usage: krill image copy"), std::string::npos) << out;
  EXPECT_EQ(main_status({"--help"}, &out), 0);
  EXPECT_NE(out.find("runtime"), std::string::npos);
}

TEST(KrillCommandLine, RuntimeIsDelegated) {
  std::string out, err;
  EXPECT_EQ(main_status({"runtime", "--version"}, &out, &err), 0);
  EXPECT_EQ(out.rfind("krill-runtime version", 0), 0u) << out << err;
  EXPECT_EQ(main_status({"runtime", "frob"}, &out, &err), 3);  // runc's unknown-command status
}

TEST(KrillCommandLine, Pull) {
  KrillCommandLine line;
  auto p =
      parse(line, {"pull", "-q", "--platform", "linux/arm64", "--tls-verify=false", "--creds",
                   "u:p", "--authfile", "/a.json", "--cert-dir", "/certs", "busybox", "alpine:3"});
  ASSERT_FALSE(p.status) << p.err;
  const auto& o = line.options.pull;
  EXPECT_TRUE(o.quiet);
  EXPECT_EQ(o.platform, "linux/arm64");
  EXPECT_FALSE(o.registry_flags.tls_verify);
  EXPECT_EQ(o.registry_flags.creds, "u:p");
  EXPECT_EQ(o.registry_flags.authfile, "/a.json");
  EXPECT_EQ(o.registry_flags.cert_dir, "/certs");
  EXPECT_EQ(o.names, (std::vector<std::string>{"busybox", "alpine:3"}));
  EXPECT_EQ(line.command_name(), "pull");
}

TEST(KrillCommandLine, TlsVerifyDefaultsOn) {
  KrillCommandLine line;
  ASSERT_FALSE(parse(line, {"image", "pull", "x"}).status);
  EXPECT_TRUE(line.options.pull.registry_flags.tls_verify);
  EXPECT_EQ(line.command_name(), "image pull");
}

TEST(KrillCommandLine, Push) {
  KrillCommandLine line;
  ASSERT_FALSE(
      parse(line, {"push", "--format", "oci", "--tls-verify=false", "app", "localhost:5000/app:1"})
          .status);
  EXPECT_EQ(line.options.push.source, "app");
  EXPECT_EQ(line.options.push.destination, "localhost:5000/app:1");
  EXPECT_EQ(line.options.push.format, "oci");
  EXPECT_FALSE(line.options.push.registry_flags.tls_verify);
}

TEST(KrillCommandLine, ImagesAndImageLs) {
  KrillCommandLine a;
  ASSERT_FALSE(parse(a, {"images", "--format", "{{.ID}}", "-q", "--no-trunc", "-f", "dangling=true",
                         "busybox"})
                   .status);
  EXPECT_EQ(a.options.images.format, "{{.ID}}");
  EXPECT_TRUE(a.options.images.quiet);
  EXPECT_TRUE(a.options.images.no_trunc);
  EXPECT_EQ(a.options.images.filters, std::vector<std::string>{"dangling=true"});
  EXPECT_EQ(a.options.images.name, "busybox");
  KrillCommandLine b;
  ASSERT_FALSE(parse(b, {"image", "list", "--noheading"}).status);
  EXPECT_EQ(b.command_name(), "image ls");
  EXPECT_TRUE(b.options.images.noheading);
}

TEST(KrillCommandLine, RmiTagInspectHistory) {
  KrillCommandLine a;
  ASSERT_FALSE(parse(a, {"rmi", "-f", "a", "b"}).status);
  EXPECT_TRUE(a.options.rmi.force);
  EXPECT_EQ(a.options.rmi.names, (std::vector<std::string>{"a", "b"}));
  KrillCommandLine b;
  ASSERT_FALSE(parse(b, {"tag", "src", "n1", "n2"}).status);
  EXPECT_EQ(b.options.tag.source, "src");
  EXPECT_EQ(b.options.tag.targets, (std::vector<std::string>{"n1", "n2"}));
  KrillCommandLine c;
  // skopeo's inspect flag is --tls-verify, not --src-tls-verify
  EXPECT_EQ(parse(c, {"image", "inspect", "--raw", "--src-tls-verify=false", "docker://x"}).status,
            125);
  KrillCommandLine d;
  ASSERT_FALSE(parse(d, {"image", "inspect", "--raw", "--tls-verify=false", "docker://x"}).status);
  EXPECT_TRUE(d.options.inspect.raw);
  EXPECT_FALSE(d.options.inspect.registry_flags.tls_verify);
  KrillCommandLine e;
  ASSERT_FALSE(parse(e, {"history", "--no-trunc", "--format", "json", "img"}).status);
  EXPECT_TRUE(e.options.history.no_trunc);
  EXPECT_EQ(e.options.history.name, "img");
}

TEST(KrillCommandLine, SaveLoadImportExport) {
  KrillCommandLine a;
  ASSERT_FALSE(
      parse(a, {"save", "-o", "/t.tar", "--format", "oci-archive", "-m", "a", "b"}).status);
  EXPECT_EQ(a.options.save.output, "/t.tar");
  EXPECT_EQ(a.options.save.format, "oci-archive");
  EXPECT_TRUE(a.options.save.multi_image);
  EXPECT_EQ(a.options.save.names.size(), 2u);
  KrillCommandLine b;
  EXPECT_EQ(parse(b, {"save", "--format", "zip", "a"}).status, 125);
  KrillCommandLine c;
  ASSERT_FALSE(parse(c, {"load", "-i", "/t.tar", "-q"}).status);
  EXPECT_EQ(c.options.load.input, "/t.tar");
  EXPECT_TRUE(c.options.load.quiet);
  KrillCommandLine d;
  ASSERT_FALSE(parse(d, {"import", "-c", "CMD=/bin/sh", "-m", "msg", "-", "base:1"}).status);
  EXPECT_EQ(d.options.import.source, "-");
  EXPECT_EQ(d.options.import.reference, "base:1");
  EXPECT_EQ(d.options.import.changes, std::vector<std::string>{"CMD=/bin/sh"});
  EXPECT_EQ(d.options.import.message, "msg");
  KrillCommandLine e;
  ASSERT_FALSE(parse(e, {"export", "-o", "x.tar", "c1"}).status);
  EXPECT_EQ(e.options.export_.container, "c1");
}

TEST(KrillCommandLine, SkopeoCopyFlags) {
  KrillCommandLine line;
  ASSERT_FALSE(parse(line, {"image", "copy", "--all", "--format", "v2s2", "--src-tls-verify=false",
                            "--dest-creds", "u:p", "--src-creds", "a:b", "--dest-cert-dir", "/d",
                            "--preserve-digests", "docker://a/b:1", "oci:/tmp/x:1"})
                   .status);
  const auto& o = line.options.copy;
  EXPECT_TRUE(o.all);
  EXPECT_EQ(o.format, "v2s2");
  EXPECT_FALSE(o.src.tls_verify);
  EXPECT_TRUE(o.dest.tls_verify);
  EXPECT_EQ(o.src.creds, "a:b");
  EXPECT_EQ(o.dest.creds, "u:p");
  EXPECT_EQ(o.dest.cert_dir, "/d");
  EXPECT_TRUE(o.preserve_digests);
  EXPECT_EQ(o.source, "docker://a/b:1");
  EXPECT_EQ(o.destination, "oci:/tmp/x:1");
}

TEST(KrillCommandLine, RemoteVerbs) {
  KrillCommandLine a;
  ASSERT_FALSE(parse(a, {"image", "list-tags", "docker://h/r"}).status);
  EXPECT_EQ(a.options.remote.reference, "docker://h/r");
  KrillCommandLine b;
  ASSERT_FALSE(parse(b, {"registry", "catalog", "--tls-verify=false", "localhost:5000"}).status);
  EXPECT_EQ(b.command_name(), "registry catalog");
  EXPECT_EQ(b.options.remote.reference, "localhost:5000");
  KrillCommandLine c;
  ASSERT_FALSE(
      parse(c, {"image", "sync", "--src", "docker", "--dest", "dir", "--scoped", "h/r", "/m"})
          .status);
  EXPECT_EQ(c.options.sync.dest_type, "dir");
  EXPECT_TRUE(c.options.sync.scoped);
}

TEST(KrillCommandLine, LoginLogout) {
  KrillCommandLine a;
  ASSERT_FALSE(parse(a, {"login", "-u", "me", "--password-stdin", "--authfile", "/a.json",
                         "--tls-verify=false", "localhost:5000"})
                   .status);
  EXPECT_EQ(a.options.login.username, "me");
  EXPECT_TRUE(a.options.login.password_stdin);
  EXPECT_EQ(a.options.login.registry_flags.authfile, "/a.json");
  EXPECT_FALSE(a.options.login.registry_flags.tls_verify);
  EXPECT_EQ(a.options.login.registry, "localhost:5000");
  KrillCommandLine b;
  ASSERT_FALSE(parse(b, {"logout", "-a"}).status);
  EXPECT_TRUE(b.options.logout.all);
}

TEST(KrillCommandLine, SystemVerbs) {
  KrillCommandLine a;
  ASSERT_FALSE(parse(a, {"system", "check", "--repair"}).status);
  EXPECT_TRUE(a.options.check.repair);
  KrillCommandLine b;
  ASSERT_FALSE(parse(b, {"system", "prune", "-a", "-f"}).status);
  EXPECT_TRUE(b.options.prune.all && b.options.prune.force);
  KrillCommandLine c;
  ASSERT_FALSE(parse(c, {"image", "prune", "-f"}).status);
  EXPECT_EQ(c.command_name(), "image prune");
}

TEST(KrillMain, EngineErrorsExit125) {
  std::string err;
  EXPECT_EQ(
      main_status({"login", "--password", "x", "--password-stdin", "-u", "me", "h"}, nullptr, &err),
      125);
  EXPECT_EQ(err, "Error: --password and --password-stdin are mutually exclusive\n");
  EXPECT_EQ(main_status({"image", "copy", "a", "b"}, nullptr, &err), 125);
  EXPECT_EQ(err.rfind("Error: invalid image name \"a\"", 0), 0u);
  char store[] = "/tmp/krill-cli-store-XXXXXX";
  ASSERT_NE(::mkdtemp(store), nullptr);
  EXPECT_EQ(main_status({"--root", store, "--runroot", std::string(store) + "/run", "export", "c1"},
                        nullptr, &err),
            125);
  EXPECT_EQ(err.rfind("Error: ", 0), 0u) << err;
  EXPECT_NE(err.find("c1"), std::string::npos) << err;
  std::filesystem::remove_all(store);
}

// krill_main builds only the named command's options (KrillCommandLine(args)); whatever the
// arguments, parsing must come out as with every command built.
TEST(KrillCommandLine, LineForTheArgumentsParsesLikeTheFullLine) {
  const std::vector<std::vector<std::string>> cases = {
      {"run", "--rm", "-e", "A=1", "--name", "box", "busybox", "sh", "-c", "echo hi"},
      {"--root", "/s", "--runroot=/r", "run", "-d", "busybox"},
      {"container", "run", "--rm", "busybox", "true"},
      {"container", "cleanup", "3f2a"},
      {"ps", "-a", "--format", "{{.Names}}"},
      {"container", "ls", "-a"},
      {"container", "list", "-a"},  // an alias
      {"container", "ps", "-q"},    // an alias that is a top-level name too
      {"image", "ls", "--format", "json"},
      {"image", "list"},
      {"images", "-q"},
      {"rm", "-f", "-v", "web"},
      {"container", "remove", "web"},
      {"unmount", "box"},
      {"system", "df"},
      {"healthcheck", "run", "web"},
      {"volume", "create", "data"},
      {"network", "ls"},
      {"image", "build", "-t", "x", "."},
      {"exec", "-it", "web", "sh"},
      {"run", "--help"},
      {"image", "--help"},
      {"image"},
      {"--help"},
      {"--version"},
      {},
      {"nosuchcommand", "x"},
      {"image", "nosuch"},
      {"run", "--nosuchflag", "busybox"},
      {"ps", "--", "x"},
  };
  for (const auto& args : cases) {
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    KrillCommandLine full;
    KrillCommandLine targeted(args);
    Parsed a = parse(full, args), b = parse(targeted, args);
    EXPECT_EQ(a.status, b.status) << shown;
    EXPECT_EQ(a.out, b.out) << shown;
    EXPECT_EQ(a.err, b.err) << shown;
    EXPECT_EQ(full.command_name(), targeted.command_name()) << shown;
    EXPECT_EQ(full.options.container.run.name, targeted.options.container.run.name) << shown;
    EXPECT_EQ(full.options.container.run.command, targeted.options.container.run.command) << shown;
    EXPECT_EQ(full.options.global.root, targeted.options.global.root) << shown;
    EXPECT_EQ(full.options.container.ps.all, targeted.options.container.ps.all) << shown;
  }
}

}  // namespace
}  // namespace krill::cli
