// A Debian library opened with dlopen on first use, and its functions looked up by name
// (transport/curl_library.h and image/archive_library.h say why those are not linked).
#pragma once

#include <string>

#include "base/error.h"

namespace krill {

class DynamicLibrary {
 public:
  // dlopen(name, RTLD_NOW | RTLD_LOCAL); the error names the library and dlerror()'s reason.
  // The library stays loaded for the life of the process.
  static Result<DynamicLibrary> open(const char* name);

  // Sets `function` to the library's `symbol`; a missing one is remembered for missing().
  template <typename Function>
  void look_up(const char* symbol, Function& function) {
    function = reinterpret_cast<Function>(address_of(symbol));
    if (!function) missing_ += std::string(missing_.empty() ? "" : ", ") + symbol;
  }
  // The symbols look_up did not find, comma-separated; empty when all were there.
  const std::string& missing() const { return missing_; }

 private:
  explicit DynamicLibrary(void* handle) : handle_(handle) {}
  void* address_of(const char* symbol) const;

  void* handle_;
  std::string missing_;
};

}  // namespace krill
