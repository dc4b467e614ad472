// The `krill run` flag value parsers, good and bad input.
#include <gtest/gtest.h>

#include <csignal>
#include <limits>

#include "engine/spec_builder.h"

namespace krill::engine {
namespace {

TEST(SpecFlagParsersTest, ByteSizes) {
  EXPECT_EQ(parse_byte_size("1024").value(), 1024);
  EXPECT_EQ(parse_byte_size("100k").value(), 100 * 1024);
  EXPECT_EQ(parse_byte_size("512m").value(), 512LL << 20);
  EXPECT_EQ(parse_byte_size("512M").value(), 512LL << 20);
  EXPECT_EQ(parse_byte_size("512mb").value(), 512LL << 20);
  EXPECT_EQ(parse_byte_size("512MiB").value(), 512LL << 20);
  EXPECT_EQ(parse_byte_size("1g").value(), 1LL << 30);
  EXPECT_EQ(parse_byte_size("1.5g").value(), 3LL << 29);
  EXPECT_EQ(parse_byte_size("2t").value(), 2LL << 40);
  EXPECT_EQ(parse_byte_size("10b").value(), 10);
  EXPECT_EQ(parse_byte_size("0").value(), 0);
  for (const char* bad : {"", "abc", "-1", "12x", "m", "1..5m", "1e3", "99999999999p"}) {
    auto size = parse_byte_size(bad);
    EXPECT_FALSE(size.has_value()) << bad;
    if (!size) {
      EXPECT_NE(size.error().message().find("\"" + std::string(bad) + "\""), std::string::npos);
    }
  }
}

TEST(SpecFlagParsersTest, Cpus) {
  EXPECT_EQ(parse_cpus("1").value(), 1000000000);
  EXPECT_EQ(parse_cpus("1.5").value(), 1500000000);
  EXPECT_EQ(parse_cpus("0.01").value(), 10000000);
  EXPECT_EQ(parse_cpus(".5").value(), 500000000);
  EXPECT_EQ(parse_cpus("2.000000001").value(), 2000000001);
  for (const char* bad : {"", "abc", "-1", "1.5x", "0.0000000001", "."}) {
    auto cpus = parse_cpus(bad);
    EXPECT_FALSE(cpus.has_value()) << bad;
  }
  EXPECT_NE(parse_cpus("abc").error().message().find("\"abc\""), std::string::npos);
}

TEST(SpecFlagParsersTest, Ulimits) {
  EXPECT_EQ(parse_ulimit("nofile=1024:2048").value(), (UlimitRequest{"nofile", 1024, 2048}));
  EXPECT_EQ(parse_ulimit("nproc=100").value(), (UlimitRequest{"nproc", 100, 100}));
  EXPECT_EQ(parse_ulimit("NOFILE=5").value(), (UlimitRequest{"nofile", 5, 5}));
  auto unlimited = parse_ulimit("core=-1");
  ASSERT_TRUE(unlimited.has_value());
  EXPECT_EQ(unlimited->soft, std::numeric_limits<uint64_t>::max());
  auto bad = parse_ulimit("nofile=abc");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(), "--ulimit nofile=abc: not a number");
  auto swapped = parse_ulimit("nofile=2048:1024");
  ASSERT_FALSE(swapped.has_value());
  EXPECT_NE(swapped.error().message().find("exceeds the hard limit"), std::string::npos);
  EXPECT_FALSE(parse_ulimit("bogus=1").has_value());
  EXPECT_FALSE(parse_ulimit("nofile").has_value());
  EXPECT_FALSE(parse_ulimit("nofile=1:").has_value());
}

TEST(SpecFlagParsersTest, Devices) {
  EXPECT_EQ(parse_device("/dev/sda:/dev/xvda:rwm").value(),
            (DeviceRequest{"/dev/sda", "/dev/xvda", "rwm"}));
  EXPECT_EQ(parse_device("/dev/sda").value(), (DeviceRequest{"/dev/sda", "/dev/sda", "rwm"}));
  EXPECT_EQ(parse_device("/dev/sda:r").value(), (DeviceRequest{"/dev/sda", "/dev/sda", "r"}));
  EXPECT_EQ(parse_device("/dev/sda:/dev/b").value(), (DeviceRequest{"/dev/sda", "/dev/b", "rwm"}));
  for (const char* bad : {"sda", "/dev/sda:/dev/b:rwx", "/dev/sda:/b:rw:x", "/dev/sda:rel:rw",
                          "/dev/sda:/b:rrw", ""}) {
    auto device = parse_device(bad);
    EXPECT_FALSE(device.has_value()) << bad;
    if (!device) {
      EXPECT_EQ(device.error().message().rfind("--device " + std::string(bad), 0), 0u);
    }
  }
}

TEST(SpecFlagParsersTest, VolumeFlag) {
  auto bind = parse_volume_flag("/src:/dst:ro,Z,rshared");
  ASSERT_TRUE(bind.has_value()) << bind.error().message();
  EXPECT_EQ(bind->type, "bind");
  EXPECT_EQ(bind->source, "/src");
  EXPECT_EQ(bind->destination, "/dst");
  EXPECT_TRUE(bind->read_only);
  EXPECT_EQ(bind->relabel, "Z");
  EXPECT_EQ(bind->propagation, "rshared");

  auto named = parse_volume_flag("data:/var/lib/data:U");
  ASSERT_TRUE(named.has_value()) << named.error().message();
  EXPECT_EQ(named->type, "volume");
  EXPECT_EQ(named->source, "data");
  EXPECT_TRUE(named->chown);
  EXPECT_FALSE(named->read_only);

  auto anonymous = parse_volume_flag("/cache");
  ASSERT_TRUE(anonymous.has_value());
  EXPECT_EQ(anonymous->type, "volume");
  EXPECT_EQ(anonymous->source, "");
  EXPECT_EQ(anonymous->destination, "/cache");

  auto relative = parse_volume_flag("./x:/x");
  ASSERT_TRUE(relative.has_value());
  EXPECT_EQ(relative->type, "bind");
  EXPECT_EQ(relative->source.front(), '/');
  EXPECT_TRUE(relative->source.ends_with("/x"));

  for (const char* bad : {"/src:rel", "/a:/b:bogus", "/a:/b:ro,rw", "a b:/x", "/a:/", ":/x",
                          "/a:/b:c:d", "vol:/x:shared", ""}) {
    auto mount = parse_volume_flag(bad);
    EXPECT_FALSE(mount.has_value()) << bad;
    if (!mount) {
      EXPECT_EQ(mount.error().message().rfind("-v " + std::string(bad), 0), 0u);
    }
  }
}

TEST(SpecFlagParsersTest, MountFlag) {
  auto bind = parse_mount_flag("type=bind,source=/a,target=/b,readonly");
  ASSERT_TRUE(bind.has_value()) << bind.error().message();
  EXPECT_EQ(bind->type, "bind");
  EXPECT_EQ(bind->source, "/a");
  EXPECT_EQ(bind->destination, "/b");
  EXPECT_TRUE(bind->read_only);

  auto alias = parse_mount_flag("type=bind,src=/a,dst=/b,ro=false,bind-propagation=rslave");
  ASSERT_TRUE(alias.has_value()) << alias.error().message();
  EXPECT_FALSE(alias->read_only);
  EXPECT_EQ(alias->propagation, "rslave");

  auto tmpfs = parse_mount_flag("type=tmpfs,destination=/run,tmpfs-size=64m,tmpfs-mode=1770");
  ASSERT_TRUE(tmpfs.has_value()) << tmpfs.error().message();
  EXPECT_EQ(tmpfs->type, "tmpfs");
  EXPECT_EQ(tmpfs->options, (std::vector<std::string>{"size=67108864", "mode=1770"}));

  auto volume = parse_mount_flag("source=data,target=/data");
  ASSERT_TRUE(volume.has_value()) << volume.error().message();
  EXPECT_EQ(volume->type, "volume");
  EXPECT_EQ(volume->source, "data");

  for (const char* bad :
       {"type=bind,target=/b", "type=bind,source=/a", "type=nfs,target=/x", "target=rel",
        "type=tmpfs,target=/x,tmpfs-size=lots", "type=bind,source=/a,target=/b,colour=red",
        "type=volume,target=/x,bind-propagation=shared", "type=bind,src=/a,dst=/b,ro=maybe"}) {
    auto mount = parse_mount_flag(bad);
    EXPECT_FALSE(mount.has_value()) << bad;
    if (!mount) {
      EXPECT_EQ(mount.error().message().rfind("--mount " + std::string(bad), 0), 0u);
    }
  }
  EXPECT_EQ(parse_mount_flag("type=bind,source=/a").error().message(),
            "--mount type=bind,source=/a: target is required");
}

TEST(SpecFlagParsersTest, TmpfsFlag) {
  auto plain = parse_tmpfs_flag("/run");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->type, "tmpfs");
  EXPECT_EQ(plain->destination, "/run");
  EXPECT_TRUE(plain->options.empty());
  auto sized = parse_tmpfs_flag("/run:rw,size=64m,exec,mode=1777");
  ASSERT_TRUE(sized.has_value()) << sized.error().message();
  EXPECT_FALSE(sized->read_only);
  EXPECT_EQ(sized->options, (std::vector<std::string>{"size=64m", "exec", "mode=1777"}));
  auto read_only = parse_tmpfs_flag("/x:ro");
  ASSERT_TRUE(read_only.has_value());
  EXPECT_TRUE(read_only->read_only);
  for (const char* bad : {"run", "/run:size=big", "/run:bogus", "/run:mode=999", "/"}) {
    auto mount = parse_tmpfs_flag(bad);
    EXPECT_FALSE(mount.has_value()) << bad;
    if (!mount) {
      EXPECT_EQ(mount.error().message().rfind("--tmpfs " + std::string(bad), 0), 0u);
    }
  }
}

TEST(SpecFlagParsersTest, Restart) {
  EXPECT_EQ(parse_restart("no").value(), (RestartPolicy{"no", 0}));
  EXPECT_EQ(parse_restart("always").value(), (RestartPolicy{"always", 0}));
  EXPECT_EQ(parse_restart("unless-stopped").value(), (RestartPolicy{"unless-stopped", 0}));
  EXPECT_EQ(parse_restart("on-failure").value(), (RestartPolicy{"on-failure", 0}));
  EXPECT_EQ(parse_restart("on-failure:3").value(), (RestartPolicy{"on-failure", 3}));
  for (const char* bad :
       {"sometimes", "always:3", "on-failure:-1", "on-failure:x", "on-failure:"}) {
    auto policy = parse_restart(bad);
    EXPECT_FALSE(policy.has_value()) << bad;
    if (!policy) {
      EXPECT_EQ(policy.error().message().rfind("--restart " + std::string(bad), 0), 0u);
    }
  }
}

TEST(SpecFlagParsersTest, Signals) {
  EXPECT_EQ(parse_signal("SIGTERM").value(), SIGTERM);
  EXPECT_EQ(parse_signal("TERM").value(), SIGTERM);
  EXPECT_EQ(parse_signal("term").value(), SIGTERM);
  EXPECT_EQ(parse_signal("15").value(), 15);
  EXPECT_EQ(parse_signal("SIGKILL").value(), SIGKILL);
  EXPECT_EQ(parse_signal("HUP").value(), SIGHUP);
  EXPECT_EQ(parse_signal("SIGUSR1").value(), SIGUSR1);
  EXPECT_EQ(parse_signal("WINCH").value(), SIGWINCH);
  EXPECT_EQ(parse_signal("SIGCHLD").value(), SIGCHLD);
  EXPECT_EQ(parse_signal("PWR").value(), SIGPWR);
  EXPECT_EQ(parse_signal("SIGRTMIN").value(), 34);
  EXPECT_EQ(parse_signal("RTMIN+3").value(), 37);
  EXPECT_EQ(parse_signal("SIGRTMAX-2").value(), 62);
  EXPECT_EQ(parse_signal("RTMAX").value(), 64);
  EXPECT_EQ(parse_signal("64").value(), 64);
  for (const char* bad : {"", "0", "65", "SIGFOO", "RTMIN+31", "RTMAX-", "-9", "9x"}) {
    auto signal = parse_signal(bad);
    EXPECT_FALSE(signal.has_value()) << bad;
    if (!signal) {
      EXPECT_EQ(signal.error().message(), "invalid signal \"" + std::string(bad) + "\"");
    }
  }
}

}  // namespace
}  // namespace krill::engine
