#include "transport/curl_library.h"

#include <string>

#include "base/dynamic_library.h"

namespace krill::transport {
namespace {

constexpr const char* kLibraryName = "libcurl.so.4";

Result<CurlLibrary> load() {
  auto library = DynamicLibrary::open(kLibraryName);
  if (!library)
    return fail(library.error().message() + " (HTTP needs libcurl: apt-get install libcurl4)");
  CurlLibrary api{};
  library->look_up("curl_easy_init", api.easy_init);
  library->look_up("curl_easy_cleanup", api.easy_cleanup);
  library->look_up("curl_easy_reset", api.easy_reset);
  library->look_up("curl_easy_setopt", api.easy_setopt);
  library->look_up("curl_easy_getinfo", api.easy_getinfo);
  library->look_up("curl_easy_perform", api.easy_perform);
  library->look_up("curl_easy_strerror", api.easy_strerror);
  library->look_up("curl_slist_append", api.slist_append);
  library->look_up("curl_slist_free_all", api.slist_free_all);
  library->look_up("curl_version_info", api.version_info);
  CURLcode (*global_init)(long) = nullptr;
  library->look_up("curl_global_init", global_init);
  if (!library->missing().empty())
    return fail(std::string(kLibraryName) + " lacks " + library->missing() +
                ": it is older than 7.85");
  if (CURLcode code = global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK)
    return fail(std::string("initialise libcurl: ") + api.easy_strerror(code));
  return api;  // the library stays loaded for the life of the process
}

}  // namespace

Result<const CurlLibrary*> curl_library() {
  // Written once, under the static's initialisation guard, and only read afterwards.
  static const Result<CurlLibrary> loaded = load();
  if (!loaded) return std::unexpected(loaded.error());
  return &*loaded;
}

}  // namespace krill::transport
