// libcurl, loaded on the first HTTP request instead of when krill starts.
//
// Linked normally, libcurl and its dependency tree (about 30 shared objects: GnuTLS, Kerberos,
// LDAP, libssh2, nghttp2, ...) are mapped and relocated by every krill command, registry work or
// not: about 10 ms of each start here, half of `krill ps` (docs/benchmarks.md). The functions
// krill calls are looked up once, after which they are called as before.
#pragma once

#include <curl/curl.h>

#include "base/error.h"

namespace krill::transport {

// The libcurl functions krill uses (the names are curl_<member>).
struct CurlLibrary {
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  CURLcode (*easy_perform)(CURL*);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
  curl_version_info_data* (*version_info)(CURLversion);
};

// libcurl.so.4, loaded and globally initialised once per process (thread-safe; it stays loaded).
// The error names the library and the package to install.
Result<const CurlLibrary*> curl_library();

}  // namespace krill::transport
