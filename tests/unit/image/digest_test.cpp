#include "image/digest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>

namespace krill::image {
namespace {

using ::testing::HasSubstr;

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcSha256[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kEmptySha512[] =
    "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
    "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
constexpr char kAbcSha512[] =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

TEST(DigestParse, AcceptsSha256) {
  Result<Digest> d = Digest::parse(std::string("sha256:") + kEmptySha256);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->algorithm(), "sha256");
  EXPECT_EQ(d->hex(), kEmptySha256);
  EXPECT_EQ(d->str(), std::string("sha256:") + kEmptySha256);
  EXPECT_FALSE(d->empty());
}

TEST(DigestParse, AcceptsSha512) {
  Result<Digest> d = Digest::parse(std::string("sha512:") + kEmptySha512);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->algorithm(), "sha512");
  EXPECT_EQ(d->hex().size(), 128u);
}

TEST(DigestParse, RejectsUppercaseHex) {
  std::string hex = kEmptySha256;
  hex[3] = 'C';
  Result<Digest> d = Digest::parse("sha256:" + hex);
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message(), HasSubstr("invalid digest \"sha256:"));
  EXPECT_THAT(d.error().message(), HasSubstr("sha256 needs lowercase hex"));
}

TEST(DigestParse, RejectsWrongLength) {
  Result<Digest> shorter = Digest::parse("sha256:abcd");
  ASSERT_FALSE(shorter);
  EXPECT_THAT(shorter.error().message(), HasSubstr("sha256 needs 64 hex characters, got 4"));

  Result<Digest> longer = Digest::parse(std::string("sha256:") + kEmptySha256 + "0");
  ASSERT_FALSE(longer);
  EXPECT_THAT(longer.error().message(), HasSubstr("got 65"));

  // A sha256-length hex under sha512 is wrong too.
  Result<Digest> mixed = Digest::parse(std::string("sha512:") + kEmptySha256);
  ASSERT_FALSE(mixed);
  EXPECT_THAT(mixed.error().message(), HasSubstr("sha512 needs 128 hex characters, got 64"));
}

TEST(DigestParse, RejectsNonHex) {
  std::string hex = kEmptySha256;
  hex[0] = 'g';
  Result<Digest> d = Digest::parse("sha256:" + hex);
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message(), HasSubstr("needs hex digits, found 'g'"));
}

TEST(DigestParse, RejectsUnknownAlgorithm) {
  // Grammatical but unregistered / unsupported algorithms.
  for (const char* text : {"md5:d41d8cd98f00b204e9800998ecf8427e",
                           "sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be0743",
                           "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
                           "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"}) {
    Result<Digest> d = Digest::parse(text);
    ASSERT_FALSE(d) << text;
    EXPECT_THAT(d.error().message(), HasSubstr("unsupported digest algorithm")) << text;
    EXPECT_THAT(d.error().message(), HasSubstr("supported are sha256, sha512")) << text;
  }
}

TEST(DigestParse, RejectsMissingColon) {
  Result<Digest> d = Digest::parse(kEmptySha256);
  ASSERT_FALSE(d);
  EXPECT_THAT(d.error().message(), HasSubstr("missing ':' between algorithm and encoded part"));
}

TEST(DigestParse, RejectsBadGrammar) {
  for (const char* text : {"", ":", "sha256:", ":abc", "SHA256:abc", "sha256-:abc", "sha256:ab/cd",
                           "sha256:ab cd", "sha256::ab"}) {
    Result<Digest> d = Digest::parse(text);
    ASSERT_FALSE(d) << text;
    EXPECT_THAT(d.error().message(), HasSubstr("invalid digest")) << text;
  }
}

TEST(DigestParse, QuotesLongInputShortened) {
  const std::string text = "sha256:" + std::string(5000, 'a');
  Result<Digest> d = Digest::parse(text);
  ASSERT_FALSE(d);
  EXPECT_LT(d.error().message().size(), 300u);
  EXPECT_THAT(d.error().message(), HasSubstr("...\""));
}

TEST(DigestParse, OrdersAndComparesForMaps) {
  const Digest a = *Digest::parse(std::string("sha256:") + kAbcSha256);
  const Digest e = *Digest::parse(std::string("sha256:") + kEmptySha256);
  EXPECT_EQ(a, *Digest::parse(a.str()));
  EXPECT_NE(a, e);
  EXPECT_LT(a, e);  // "ba78…" < "e3b0…"
  std::map<Digest, int> m{{e, 1}, {a, 2}};
  EXPECT_EQ(m.begin()->first, a);
  EXPECT_TRUE(Digest().empty());
  EXPECT_EQ(Digest().str(), "");
}

TEST(Hasher, KnownSha256Vectors) {
  EXPECT_EQ(sha256_of("").str(), std::string("sha256:") + kEmptySha256);
  EXPECT_EQ(sha256_of("abc").str(), std::string("sha256:") + kAbcSha256);
  EXPECT_EQ(sha256_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Hasher, KnownSha512Vectors) {
  Result<Hasher> h = Hasher::create("sha512");
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->finish().str(), std::string("sha512:") + kEmptySha512);
  h->update(std::string_view("abc"));
  EXPECT_EQ(h->bytes(), 3u);
  const Digest d = h->finish();
  EXPECT_EQ(d.algorithm(), "sha512");
  EXPECT_EQ(d.hex(), kAbcSha512);
  EXPECT_EQ(h->bytes(), 0u);  // starts over after finish()
}

TEST(Hasher, RejectsUnsupportedAlgorithm) {
  Result<Hasher> h = Hasher::create("md5");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().message(),
            "unsupported digest algorithm \"md5\": supported are sha256, sha512");
}

TEST(Hasher, StreamingEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>((i * 131) ^ (i >> 7));
  Hasher h = *Hasher::create();
  size_t offset = 0;
  size_t chunk = 1;
  while (offset < data.size()) {
    const size_t n = std::min(chunk, data.size() - offset);
    h.update(std::as_bytes(std::span(data.data() + offset, n)));
    offset += n;
    chunk = chunk * 3 + 1;
  }
  EXPECT_EQ(h.bytes(), data.size());
  EXPECT_EQ(h.finish(), sha256_of(data));
}

TEST(Hasher, MovedHasherKeepsState) {
  Hasher a = *Hasher::create();
  a.update(std::string_view("ab"));
  Hasher b = std::move(a);
  b.update(std::string_view("c"));
  EXPECT_EQ(b.finish().hex(), kAbcSha256);
}

TEST(DigestFile, HashesFileAndReportsMissing) {
  char path[] = "/tmp/krill-digest-test-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "abc", 3), 3);
  ::close(fd);
  Result<Digest> d = digest_file(path);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->hex(), kAbcSha256);
  Result<Digest> d512 = digest_file(path, "sha512");
  ASSERT_TRUE(d512);
  EXPECT_EQ(d512->hex(), kAbcSha512);
  ::unlink(path);

  Result<Digest> missing = digest_file(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "hash " + std::string(path) + ": No such file or directory");
  EXPECT_EQ(missing.error().errno_value(), ENOENT);
}

}  // namespace
}  // namespace krill::image
