// Container ids (random hex), Docker-style generated names, and the boot id.
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/file_io.h"
#include "engine/container_store.h"

namespace krill::engine {
namespace {

constexpr std::array<std::string_view, 44> kAdjectives = {
    "admiring", "amazing",  "angry",     "awesome",    "blissful", "bold",       "brave",
    "busy",     "charming", "clever",    "cool",       "dazzling", "determined", "eager",
    "ecstatic", "elegant",  "epic",      "focused",    "friendly", "gallant",    "gifted",
    "happy",    "hopeful",  "jolly",     "keen",       "kind",     "loving",     "lucid",
    "modest",   "nifty",    "nostalgic", "optimistic", "peaceful", "practical",  "quirky",
    "relaxed",  "serene",   "sharp",     "stoic",      "sweet",    "tender",     "vibrant",
    "wizardly", "zealous"};

constexpr std::array<std::string_view, 64> kSurnames = {
    "archimedes", "babbage", "bardeen",    "bell",     "bohr",       "boole",      "brattain",
    "cerf",       "curie",   "darwin",     "dijkstra", "edison",     "einstein",   "euclid",
    "euler",      "faraday", "fermat",     "fermi",    "feynman",    "franklin",   "galileo",
    "gauss",      "goodall", "hamilton",   "hawking",  "heisenberg", "hopper",     "hypatia",
    "johnson",    "kepler",  "knuth",      "lamarr",   "lamport",    "leavitt",    "liskov",
    "lovelace",   "maxwell", "mcclintock", "meitner",  "mendel",     "mirzakhani", "newton",
    "nobel",      "noether", "pascal",     "pasteur",  "planck",     "ramanujan",  "ritchie",
    "rutherford", "sagan",   "shannon",    "sinoussi", "tesla",      "thompson",   "torvalds",
    "turing",     "volta",   "wilson",     "wing",     "wozniak",    "wright",     "yalow",
    "zuse"};

uint64_t random_u64() {
  uint64_t value = 0;
  auto* bytes = reinterpret_cast<unsigned char*>(&value);
  size_t filled = 0;
  while (filled < sizeof(value)) {
    ssize_t n = getrandom(bytes + filled, sizeof(value) - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // getrandom cannot fail on Linux ≥ 3.17 without a bad argument
    }
    filled += static_cast<size_t>(n);
  }
  return value;
}

}  // namespace

std::string new_container_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(64);
  for (int word = 0; word < 4; ++word) {
    uint64_t bits = random_u64();
    for (int i = 0; i < 16; ++i) {
      id.push_back(kHex[bits & 0xf]);
      bits >>= 4;
    }
  }
  return id;
}

std::string new_container_name(const std::function<bool(const std::string&)>& taken) {
  // Docker: a few plain tries, then a digit suffix ("happy_turing3").
  for (int attempt = 0;; ++attempt) {
    uint64_t bits = random_u64();
    std::string name = std::string(kAdjectives[bits % kAdjectives.size()]) + "_" +
                       std::string(kSurnames[(bits >> 32) % kSurnames.size()]);
    if (attempt >= 10) name += std::to_string((bits >> 16) % 10);
    if (attempt >= 100) name += std::to_string(bits % 100000);
    if (!taken || !taken(name)) return name;
  }
}

std::string current_boot_id() {
  auto text = read_file("/proc/sys/kernel/random/boot_id");
  if (!text) return "";
  std::string id = *text;
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

}  // namespace krill::engine
