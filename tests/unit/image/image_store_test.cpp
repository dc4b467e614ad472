#include "image/image_store.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>

#include "image_store_test_util.h"

namespace krill::image {
namespace {

using test::TarBuilder;
using test::TempDir;

std::string shared_tar() { return TarBuilder().dir("etc").file("etc/os", "shared").finish(); }

TEST(ImageStore, AddFindTagUntag) {
  TempDir dir;
  auto store = ImageStore::open(dir.path());
  ASSERT_TRUE(store) << store.error().message();
  auto img = test::make_image({shared_tar(), TarBuilder().file("a", "A").finish()});
  auto missing = store->add_image(img.blob(), img.config, {"busybox"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("not in the store"), std::string::npos);
  ASSERT_TRUE(test::import_all(*store, img));
  auto rec = store->add_image(img.blob(), img.config, {"busybox"});
  ASSERT_TRUE(rec) << rec.error().message();
  EXPECT_EQ(rec->names, std::vector<std::string>{"docker.io/library/busybox:latest"});
  ASSERT_EQ(rec->layers.size(), 2u);
  EXPECT_EQ(rec->layers[0].str(), img.diff_ids[0]);
  std::string id = rec->id.str();
  std::string manifest_digest = rec->manifest_digest.str();
  for (std::string name : {std::string("busybox"), std::string("busybox:latest"),
                           std::string("docker.io/library/busybox:latest"), id, id.substr(7),
                           id.substr(7, 3), "busybox@" + manifest_digest}) {
    auto found = store->find(name);
    ASSERT_TRUE(found) << name << ": " << found.error().message();
    ASSERT_TRUE(found->has_value()) << name;
    EXPECT_EQ((*found)->id, rec->id) << name;
  }
  EXPECT_FALSE(store->find("alpine")->has_value());
  struct stat st;
  EXPECT_EQ(stat((store->layer_dir(rec->layers[1]) + "/a").c_str(), &st), 0);

  auto other = test::make_image({shared_tar()}, "other");
  ASSERT_TRUE(test::import_all(*store, other));
  ASSERT_TRUE(store->add_image(other.blob(), other.config, {"other:1"}));
  ASSERT_TRUE(store->tag("other:1", "busybox"));  // moves the name
  EXPECT_TRUE((*store->find(id))->names.empty());
  EXPECT_EQ((*store->find("busybox"))->names.size(), 2u);
  ASSERT_TRUE(store->untag("busybox"));
  EXPECT_FALSE(store->find("busybox")->has_value());
  EXPECT_FALSE(store->untag("busybox"));
  EXPECT_EQ(store->list()->size(), 2u);
}

// An image pulled by digest alone is named repo@digest (as podman names it): found again by
// that digest, not by a tag; `tag` still refuses a digest; rmi by digest removes the image.
TEST(ImageStore, DigestNameFromAPullByDigest) {
  TempDir dir;
  auto store = ImageStore::open(dir.path());
  ASSERT_TRUE(store) << store.error().message();
  auto img = test::make_image({shared_tar()});
  ASSERT_TRUE(test::import_all(*store, img));
  const std::string digest = sha256_of(img.manifest).str();
  auto rec = store->add_image(img.blob(), img.config, {"example.com/app@" + digest});
  ASSERT_TRUE(rec) << rec.error().message();
  EXPECT_EQ(rec->names, std::vector<std::string>{"example.com/app@" + digest});
  auto found = store->find("example.com/app@" + digest);
  ASSERT_TRUE(found && found->has_value());
  EXPECT_FALSE(store->find("example.com/app")->has_value()) << "no tag, so not app:latest";
  EXPECT_FALSE(store->find("example.com/other@" + digest)->has_value()) << "another repository";
  auto tagged = store->tag(rec->id.str(), "example.com/app@" + digest);
  ASSERT_FALSE(tagged);
  EXPECT_NE(tagged.error().message().find("cannot name an image"), std::string::npos);
  ASSERT_TRUE(store->tag(rec->id.str(), "example.com/app:1"));
  ASSERT_TRUE(store->remove("example.com/app@" + digest, false));
  EXPECT_TRUE(store->list()->empty()) << "rmi by digest removes the image, not one name";
}

// What extraction skipped reaches the store's warn callback (the CLI prints it as WARN).
TEST(ImageStore, ExtractionWarningsReachTheCallback) {
  TempDir dir;
  std::vector<std::string> warnings;
  auto store = ImageStore::open(
      dir.path(), {.rootless = true, .warn = [&](const std::string& w) { warnings.push_back(w); }});
  ASSERT_TRUE(store) << store.error().message();
  auto img = test::make_image(
      {TarBuilder().device("dev/null", AE_IFCHR, makedev(1, 3)).file("a", "A").finish()});
  ASSERT_TRUE(test::import_all(*store, img));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("import layer sha256:"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("\"dev/null\": device node skipped"), std::string::npos)
      << warnings[0];
}

TEST(ImageStore, RemoveKeepsSharedLayerUntilLastUser) {
  TempDir dir;
  auto store = ImageStore::open(dir.path());
  ASSERT_TRUE(store);
  auto a = test::make_image({shared_tar(), TarBuilder().file("a", "A").finish()}, "a");
  auto b = test::make_image({shared_tar(), TarBuilder().file("b", "B").finish()}, "b");
  ASSERT_TRUE(test::import_all(*store, a));
  ASSERT_TRUE(test::import_all(*store, b));
  auto ra = store->add_image(a.blob(), a.config, {"a", "a:2"});
  auto rb = store->add_image(b.blob(), b.config, {"b"});
  ASSERT_TRUE(ra && rb);
  // By one of two names: only untagged.
  auto r1 = store->remove("a:2");
  ASSERT_TRUE(r1) << r1.error().message();
  EXPECT_FALSE(r1->deleted);
  auto r2 = store->remove("a");
  ASSERT_TRUE(r2) << r2.error().message();
  ASSERT_TRUE(r2->deleted);
  EXPECT_EQ(r2->deleted_layers, std::vector<Digest>{ra->layers[1]});
  EXPECT_TRUE(store->has_layer(ra->layers[0]));
  EXPECT_FALSE(store->has_layer(ra->layers[1]));
  EXPECT_FALSE(store->content().contains(ra->id));
  EXPECT_FALSE(store->content().contains(*Digest::parse(test::sha256_of_bytes(a.blobs[1]))));
  // A snapshot reference keeps the layer.
  ASSERT_TRUE(store->add_layer_ref(rb->layers[0], "c1"));
  EXPECT_FALSE(store->remove("b"));
  auto r3 = store->remove("b", true);
  ASSERT_TRUE(r3) << r3.error().message();
  EXPECT_TRUE(store->has_layer(rb->layers[0]));
  EXPECT_FALSE(store->has_layer(rb->layers[1]));
  ASSERT_TRUE(store->remove_layer_ref(rb->layers[0], "c1"));
  EXPECT_TRUE(store->list()->empty());
}

TEST(ImageStore, ParallelImportOfTheSameLayer) {
  TempDir dir;
  ASSERT_TRUE(ImageStore::open(dir.path()));
  TarBuilder tb;
  for (int i = 0; i < 50; ++i) tb.file("f" + std::to_string(i), std::string(10000, 'a' + i % 26));
  std::string gz = test::gzip_bytes(tb.finish());
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      auto store = ImageStore::open(dir.path());
      if (!store) _exit(2);
      auto fd = test::memfd_with(gz);
      auto r = store->import_layer(fd.get(), test::layer_descriptor(gz));
      _exit(r ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  int dirs = 0, temps = 0;
  DIR* d = opendir((dir.path() + "/layers").c_str());
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() == 64) ++dirs;
    if (n.starts_with(".tmp-")) ++temps;
  }
  closedir(d);
  EXPECT_EQ(dirs, 1);
  EXPECT_EQ(temps, 0);
}

TEST(ImageStore, KilledImportLeavesOnlyTempDirsThatOpenRemoves) {
  TempDir dir;
  ASSERT_TRUE(ImageStore::open(dir.path()));
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[1]);
    auto store = ImageStore::open(dir.path());
    Descriptor d;
    (void)store->import_layer(fds[0], d);  // blocks on the pipe
    _exit(0);
  }
  close(fds[0]);
  std::string tar = TarBuilder().file("big", std::string(100000, 'x')).finish();
  (void)!write(fds[1], tar.data(), 20000);  // part of the layer
  usleep(300000);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(fds[1]);
  std::vector<std::string> entries;
  DIR* d = opendir((dir.path() + "/layers").c_str());
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != ".." && n != "by-blob") entries.push_back(n);
  }
  closedir(d);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].starts_with(".tmp-"));
  ASSERT_TRUE(ImageStore::open(dir.path()));
  struct stat st;
  EXPECT_NE(stat((dir.path() + "/layers/" + entries[0]).c_str(), &st), 0);
}

// The one-pass pull: the blob and the layer from one read of the stream.
TEST(ImageStore, PullLayerStoresTheBlobAndTheLayerInOnePass) {
  TempDir dir;
  auto store = ImageStore::open(dir.path());
  ASSERT_TRUE(store);
  std::string tar = TarBuilder().dir("etc").file("etc/motd", "hello").finish();
  std::string gz = test::gzip_bytes(tar);
  Descriptor blob = test::layer_descriptor(gz);
  Digest diff_id = *Digest::parse(test::sha256_of_bytes(tar));
  // Through a pipe, as a download arrives: nothing is re-read.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t writer = fork();
  if (writer == 0) {
    close(fds[0]);
    for (size_t at = 0; at < gz.size(); at += 7)
      (void)!write(fds[1], gz.data() + at, std::min<size_t>(7, gz.size() - at));
    _exit(0);
  }
  close(fds[1]);
  auto pulled = store->pull_layer(fds[0], blob, diff_id);
  close(fds[0]);
  waitpid(writer, nullptr, 0);
  ASSERT_TRUE(pulled) << pulled.error().message();
  EXPECT_EQ(*pulled, diff_id);
  EXPECT_TRUE(store->content().contains(blob.digest));
  EXPECT_EQ(*store->content().read_blob(blob.digest), gz);
  EXPECT_EQ(store->layer_for_blob(blob.digest), diff_id);
  EXPECT_EQ(*krill::read_file(store->layer_dir(diff_id) + "/etc/motd"), "hello");
  auto info = store->layer_info(diff_id);
  ASSERT_TRUE(info);
  ASSERT_EQ(info->compressed.size(), 1u);
  EXPECT_EQ(info->compressed[0].digest, blob.digest);

  // The blob went missing but the layer is there: only the blob is stored again.
  ASSERT_TRUE(store->content().remove(blob.digest));
  auto fd = test::memfd_with(gz);
  auto again = store->pull_layer(fd.get(), blob, diff_id);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_TRUE(store->content().contains(blob.digest));
}

// Nothing of a bad layer becomes visible: neither the blob nor the layer.
TEST(ImageStore, PullLayerRefusesBadDigestSizeAndDiffId) {
  TempDir dir;
  auto store = ImageStore::open(dir.path());
  ASSERT_TRUE(store);
  std::string tar = TarBuilder().file("a", std::string(5000, 'a')).finish();
  std::string gz = test::gzip_bytes(tar);
  Digest diff_id = *Digest::parse(test::sha256_of_bytes(tar));
  auto nothing_visible = [&](const Descriptor& blob) {
    EXPECT_FALSE(store->content().contains(blob.digest));
    EXPECT_FALSE(store->has_layer(diff_id));
    EXPECT_FALSE(store->layer_for_blob(blob.digest));
    int entries = 0;
    for (const char* sub : {"/layers", "/ingest"}) {
      DIR* d = opendir((dir.path() + sub).c_str());
      while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != ".." && n != "by-blob") ++entries;
      }
      closedir(d);
    }
    EXPECT_EQ(entries, 0) << "temp files left";
  };
  {
    Descriptor wrong_digest = test::layer_descriptor(gz);
    wrong_digest.digest = *Digest::parse(test::sha256_of_bytes("other"));
    auto fd = test::memfd_with(gz);
    auto r = store->pull_layer(fd.get(), wrong_digest, diff_id);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("digest mismatch"), std::string::npos)
        << r.error().message();
    nothing_visible(wrong_digest);
  }
  {
    Descriptor wrong_size = test::layer_descriptor(gz);
    wrong_size.size += 10;
    auto fd = test::memfd_with(gz);
    auto r = store->pull_layer(fd.get(), wrong_size, diff_id);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("size mismatch"), std::string::npos) << r.error().message();
    nothing_visible(wrong_size);
  }
  {
    Descriptor blob = test::layer_descriptor(gz);
    Digest other = *Digest::parse(test::sha256_of_bytes("not the tar"));
    auto fd = test::memfd_with(gz);
    auto r = store->pull_layer(fd.get(), blob, other);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message().find("diffID mismatch: the config says " + other.str()),
              std::string::npos)
        << r.error().message();
    nothing_visible(blob);
  }
  {
    Descriptor blob = test::layer_descriptor(gz);
    auto fd = test::memfd_with(gz.substr(0, gz.size() / 2));  // truncated
    auto r = store->pull_layer(fd.get(), blob, diff_id);
    ASSERT_FALSE(r);
    nothing_visible(blob);
  }
}

TEST(ImageStore, DecompressionBombLimitIsConfigurable) {
  TempDir dir;
  StoreOptions options;
  options.max_layer_bytes = 64 << 10;
  auto store = ImageStore::open(dir.path(), options);
  ASSERT_TRUE(store);
  // 1 MiB of zeros: a few KB of gzip.
  std::string tar = TarBuilder().file("zeros", std::string(1 << 20, '\0')).finish();
  std::string gz = test::gzip_bytes(tar);
  ASSERT_LT(gz.size(), 64u << 10);
  Descriptor blob = test::layer_descriptor(gz);
  auto fd = test::memfd_with(gz);
  auto r = store->pull_layer(fd.get(), blob, std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("layer exceeds the limit of 65536 bytes uncompressed"),
            std::string::npos)
      << r.error().message();
  EXPECT_FALSE(store->content().contains(blob.digest));
  // The default store takes it.
  auto roomy = ImageStore::open(dir.path());
  ASSERT_TRUE(roomy);
  EXPECT_EQ(roomy->options().max_layer_bytes, StoreOptions::kDefaultMaxLayerBytes);
  auto fd2 = test::memfd_with(gz);
  EXPECT_TRUE(roomy->pull_layer(fd2.get(), blob, std::nullopt));
}

TEST(ImageStore, CheckDetectsMissingLayer) {
  TempDir dir;
  auto store = ImageStore::open(dir.path());
  ASSERT_TRUE(store);
  auto img = test::make_image({shared_tar()});
  ASSERT_TRUE(test::import_all(*store, img));
  auto rec = store->add_image(img.blob(), img.config, {"x"});
  ASSERT_TRUE(rec);
  auto ok = store->check(false);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->problems.empty());
  ASSERT_TRUE(krill::remove_all(dir.path() + "/layers/" + rec->layers[0].hex()));
  auto bad = store->check(false);
  ASSERT_TRUE(bad);
  ASSERT_EQ(bad->problems.size(), 1u);
  EXPECT_NE(bad->problems[0].find("missing"), std::string::npos);
  auto repaired = store->check(true);
  ASSERT_TRUE(repaired);
  EXPECT_EQ(repaired->removed_images.size(), 1u);
  EXPECT_TRUE(store->list()->empty());
  auto usage = store->disk_usage();
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->images, 0u);
}

TEST(ImageStore, AdoptLayerMovesTheDirectoryAndDropsOverlayBookkeeping) {
  TempDir dir;
  auto store = ImageStore::open(dir.path());
  ASSERT_TRUE(store);
  const std::string upper = dir.path() + "/upper";
  ASSERT_EQ(::mkdir(upper.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((upper + "/opaque").c_str(), 0755), 0);
  { std::ofstream(upper + "/file") << "content"; }
  ASSERT_EQ(::setxattr((upper + "/file").c_str(), "trusted.overlay.origin", "x", 1, 0), 0);
  ASSERT_EQ(::setxattr((upper + "/opaque").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_EQ(::setxattr((upper + "/file").c_str(), "user.keep", "k", 1, 0), 0);
  Descriptor blob = test::layer_descriptor("not really a blob");
  Digest diff_id = *Digest::parse(test::sha256_of_bytes("the tar"));

  auto adopted = store->adopt_layer(upper, blob, diff_id, 7);
  ASSERT_TRUE(adopted) << adopted.error().message();
  EXPECT_NE(::access(upper.c_str(), F_OK), 0);  // moved, not copied
  const std::string layer = store->layer_dir(diff_id);
  char value[8] = {};
  EXPECT_LT(::getxattr((layer + "/file").c_str(), "trusted.overlay.origin", value, sizeof value),
            0);
  EXPECT_EQ(::getxattr((layer + "/opaque").c_str(), "trusted.overlay.opaque", value, sizeof value),
            1);
  EXPECT_EQ(::getxattr((layer + "/file").c_str(), "user.keep", value, sizeof value), 1);
  EXPECT_TRUE(store->has_layer(diff_id));
  EXPECT_EQ(store->layer_for_blob(blob.digest), diff_id);
  auto info = store->layer_info(diff_id);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->uncompressed_size, 7u);

  // A second directory for the same layer is left where it is.
  const std::string again = dir.path() + "/again";
  ASSERT_EQ(::mkdir(again.c_str(), 0755), 0);
  ASSERT_TRUE(store->adopt_layer(again, blob, diff_id, 7));
  EXPECT_EQ(::access(again.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace krill::image
