#include "image/archive_library.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/dynamic_library.h"

namespace krill::image {
namespace {

constexpr const char* kLibraryName = "libarchive.so.13";

[[noreturn]] void cannot_load(const std::string& why) {
  const std::string message = "krill: " + why + " (apt-get install libarchive13)\n";
  (void)!::write(STDERR_FILENO, message.data(), message.size());
  std::_Exit(125);
}

// `#name` and `api.name` are not calls, so the call macros of archive_library.h leave them be.
ArchiveLibrary load() {
  auto library = DynamicLibrary::open(kLibraryName);
  if (!library) cannot_load(library.error().message());
  ArchiveLibrary api{};
#define KRILL_LOOK_UP(name) library->look_up(#name, api.name);
  KRILL_ARCHIVE_FUNCTIONS(KRILL_LOOK_UP)
#undef KRILL_LOOK_UP
  if (!library->missing().empty())
    cannot_load(std::string(kLibraryName) + " lacks " + library->missing());
  return api;  // the library stays loaded for the life of the process
}

}  // namespace

const ArchiveLibrary& archive_library() {
  // Written once, under the static's initialisation guard, and only read afterwards.
  static const ArchiveLibrary loaded = load();
  return loaded;
}

}  // namespace krill::image
