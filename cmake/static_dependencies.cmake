# The krill binary links SQLite, OpenSSL's libcrypto, zstd, libseccomp and libcap from their
# static archives (Debian's -dev packages ship them); the tests and krill-monitor keep linking
# the shared libraries. Every krill command used to map and relocate these at start: libcrypto
# alone has 21,000 relocations, for the SHA-2 functions krill calls; from the archive only those
# objects are linked. With libcurl loaded on first use (transport/curl_library.h) this took
# `krill ps` from 15 to 13 ms (docs/benchmarks.md).
#
# Provides:
#   krill_sqlite3, krill_crypto, krill_zstd   interface targets: the archive for an executable
#                                             whose KRILL_STATIC_DEPS property is ON (and its own
#                                             dependencies), the shared library otherwise
#   krill_link_dependencies_statically(target)
#
# Off in the sanitizer build (whose runtime wants shared libraries) and where an archive is
# missing: then everything links shared, as before.

find_library(KRILL_SQLITE3_ARCHIVE NAMES libsqlite3.a HINTS ${SQLITE3_LIBRARY_DIRS})
find_library(KRILL_CRYPTO_ARCHIVE NAMES libcrypto.a)
find_library(KRILL_ZSTD_ARCHIVE NAMES libzstd.a HINTS ${ZSTD_LIBRARY_DIRS})
find_library(KRILL_Z_SHARED NAMES z)

set(KRILL_STATIC_DEPENDENCIES_ENABLED OFF)
if(NOT KRILL_SANITIZE AND KRILL_SQLITE3_ARCHIVE AND KRILL_CRYPTO_ARCHIVE AND KRILL_ZSTD_ARCHIVE
   AND KRILL_STATIC_RUNTIME_ENABLED)
  set(KRILL_STATIC_DEPENDENCIES_ENABLED ON)
endif()

set(krill_static_dependencies_wanted "$<BOOL:$<TARGET_PROPERTY:KRILL_STATIC_DEPS>>")
add_library(krill_sqlite3 INTERFACE)
add_library(krill_crypto INTERFACE)
add_library(krill_zstd INTERFACE)
if(KRILL_STATIC_DEPENDENCIES_ENABLED)
  target_link_libraries(krill_sqlite3 INTERFACE
    "$<IF:${krill_static_dependencies_wanted},${KRILL_SQLITE3_ARCHIVE};m;${KRILL_Z_SHARED},PkgConfig::SQLITE3>")
  target_link_libraries(krill_crypto INTERFACE
    "$<IF:${krill_static_dependencies_wanted},${KRILL_CRYPTO_ARCHIVE};${CMAKE_DL_LIBS},OpenSSL::Crypto>")
  target_link_libraries(krill_zstd INTERFACE
    "$<IF:${krill_static_dependencies_wanted},${KRILL_ZSTD_ARCHIVE},PkgConfig::ZSTD>")
  message(STATUS "krill: SQLite, libcrypto, zstd, libseccomp and libcap linked statically")
else()
  target_link_libraries(krill_sqlite3 INTERFACE PkgConfig::SQLITE3)
  target_link_libraries(krill_crypto INTERFACE OpenSSL::Crypto)
  target_link_libraries(krill_zstd INTERFACE PkgConfig::ZSTD)
endif()
target_include_directories(krill_sqlite3 INTERFACE ${SQLITE3_INCLUDE_DIRS})
target_include_directories(krill_crypto INTERFACE ${OPENSSL_INCLUDE_DIR})
target_include_directories(krill_zstd INTERFACE ${ZSTD_INCLUDE_DIRS})

function(krill_link_dependencies_statically target)
  if(KRILL_STATIC_DEPENDENCIES_ENABLED)
    set_target_properties(${target} PROPERTIES KRILL_STATIC_DEPS ON)
    # libstdc++ too: binding its ~1,500 symbols was a tenth of every krill command's start-up.
    target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
  endif()
endfunction()
