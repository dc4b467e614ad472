#include "base/dynamic_library.h"

#include <dlfcn.h>

namespace krill {

Result<DynamicLibrary> DynamicLibrary::open(const char* name) {
  void* handle = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    return fail(std::string("load ") + name + ": " + (why ? why : "unknown error"));
  }
  return DynamicLibrary(handle);
}

void* DynamicLibrary::address_of(const char* symbol) const { return ::dlsym(handle_, symbol); }

}  // namespace krill
