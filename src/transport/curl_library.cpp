#include "transport/curl_library.h"

#include <dlfcn.h>

#include <string>

namespace krill::transport {
namespace {

constexpr const char* kLibraryName = "libcurl.so.4";

template <typename Function>
bool look_up(void* library, const char* name, Function& function, std::string& missing) {
  function = reinterpret_cast<Function>(::dlsym(library, name));
  if (!function) missing += std::string(missing.empty() ? "" : ", ") + name;
  return function != nullptr;
}

Result<CurlLibrary> load() {
  void* library = ::dlopen(kLibraryName, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* why = ::dlerror();
    return fail(std::string("load ") + kLibraryName + ": " + (why ? why : "unknown error") +
                " (HTTP needs libcurl: apt-get install libcurl4)");
  }
  CurlLibrary api{};
  std::string missing;
  look_up(library, "curl_easy_init", api.easy_init, missing);
  look_up(library, "curl_easy_cleanup", api.easy_cleanup, missing);
  look_up(library, "curl_easy_reset", api.easy_reset, missing);
  look_up(library, "curl_easy_setopt", api.easy_setopt, missing);
  look_up(library, "curl_easy_getinfo", api.easy_getinfo, missing);
  look_up(library, "curl_easy_perform", api.easy_perform, missing);
  look_up(library, "curl_easy_strerror", api.easy_strerror, missing);
  look_up(library, "curl_slist_append", api.slist_append, missing);
  look_up(library, "curl_slist_free_all", api.slist_free_all, missing);
  look_up(library, "curl_version_info", api.version_info, missing);
  CURLcode (*global_init)(long) = nullptr;
  look_up(library, "curl_global_init", global_init, missing);
  if (!missing.empty()) {
    ::dlclose(library);
    return fail(std::string(kLibraryName) + " lacks " + missing + ": it is older than 7.85");
  }
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
