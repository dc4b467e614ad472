# krill-runtime linked statically and for size (docs/benchmarks.md, proposal 2). The runtime is
# exec'd for every container operation: without shared libraries to map and relocate it starts
# faster and its peak RSS is less than half (libstdc++, libc, libm, libseccomp and libcap were
# 92% of it). Nothing else is linked statically this way; the krill binary and the tests keep
# the shared libraries.
#
# Needs libc.a (libc6-dev), libstdc++.a (libstdc++-12-dev), libseccomp.a (libseccomp-dev) and
# libcap.a (libcap-dev), all from Debian's -dev packages. The runtime makes no NSS or time-zone
# lookups (owner names come from /etc/passwd, read directly), so a static glibc is sound.
#
# Provides:
#   KRILL_STATIC_RUNTIME_ENABLED   ON when the static link is used
#   krill_seccomp, krill_libcap    interface targets: the static archive for a target whose
#                                  KRILL_STATIC_LINK property is ON, the shared library otherwise
#   krill_link_statically(target)  -static-pie, --gc-sections and that property for an executable
#
# -static-pie rather than -static keeps address-space randomisation for a program that runs as
# root on container input, as the PIE runc and crun have; it costs 4,800 relative relocations at
# start-up (microseconds) and about 0.1-0.2 MB of RSS for the relocated read-only data.
#   krill_size_optimise(target...) for the libraries of krill-runtime: -Os in optimised builds
#                                  and -ffunction-sections -fdata-sections, so that --gc-sections
#                                  drops what the executable does not reach
#
# -Os against -O2, both static (2026-12-07, shared host under load): peak RSS of `run` 2.3 MB
# against 3.0 MB (crun 3.1-3.3 MB), `--version` 1.3 ms against 2.2 ms, `run` of /bin/true the
# same or slightly faster. The libraries are shared with krill and the tests, which therefore
# run the same -Os code that krill-runtime ships; their hot paths are in system calls and
# Debian's libraries (compression, TLS, SQLite), which keep their own optimisation.

option(KRILL_STATIC_RUNTIME
       "Link krill-runtime statically where libc.a, libseccomp.a and libcap.a exist" ON)

set(KRILL_STATIC_RUNTIME_ENABLED OFF)
if(KRILL_STATIC_RUNTIME AND KRILL_SANITIZE)
  message(STATUS "krill-runtime: linked dynamically (the sanitizers cannot be linked statically)")
elseif(KRILL_STATIC_RUNTIME)
  find_library(KRILL_SECCOMP_ARCHIVE NAMES libseccomp.a HINTS ${SECCOMP_LIBRARY_DIRS})
  find_library(KRILL_LIBCAP_ARCHIVE NAMES libcap.a HINTS ${LIBCAP_LIBRARY_DIRS})
  if(KRILL_SECCOMP_ARCHIVE AND KRILL_LIBCAP_ARCHIVE)
    # The archives alone are not enough: libc.a and libstdc++.a must link too.
    include(CheckCXXSourceCompiles)
    set(CMAKE_REQUIRED_LINK_OPTIONS -static-pie)
    set(CMAKE_REQUIRED_LIBRARIES ${KRILL_SECCOMP_ARCHIVE} ${KRILL_LIBCAP_ARCHIVE})
    set(CMAKE_REQUIRED_QUIET ON)
    check_cxx_source_compiles([[
      #include <seccomp.h>
      #include <sys/capability.h>
      #include <string>
      int main(int argc, char**) {
        std::string text(static_cast<size_t>(argc), 'x');
        scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
        cap_t caps = cap_get_proc();
        return filter != nullptr && caps != nullptr && !text.empty() ? 0 : 1;
      }]] KRILL_STATIC_PIE_LINK_WORKS)
    unset(CMAKE_REQUIRED_LINK_OPTIONS)
    unset(CMAKE_REQUIRED_LIBRARIES)
    unset(CMAKE_REQUIRED_QUIET)
  endif()
  if(KRILL_STATIC_PIE_LINK_WORKS)
    set(KRILL_STATIC_RUNTIME_ENABLED ON)
    message(STATUS "krill-runtime: linked statically (static-pie, with ${KRILL_SECCOMP_ARCHIVE} "
                   "and ${KRILL_LIBCAP_ARCHIVE})")
  else()
    message(WARNING "krill-runtime: linked dynamically: no static libc, libstdc++, libseccomp or "
                    "libcap to link with (install libc6-dev, libseccomp-dev and libcap-dev, see "
                    "scripts/install-deps.sh, or configure with -DKRILL_STATIC_RUNTIME=OFF to "
                    "silence this)")
  endif()
else()
  message(STATUS "krill-runtime: linked dynamically (KRILL_STATIC_RUNTIME=OFF)")
endif()

# What a target links for libseccomp and libcap, chosen per linked executable (in a link
# context $<TARGET_PROPERTY:...> without a target names the executable being linked).
# krill itself takes the archives too (KRILL_STATIC_DEPS, cmake/static_dependencies.cmake).
set(krill_static_link_wanted
    "$<OR:$<BOOL:$<TARGET_PROPERTY:KRILL_STATIC_LINK>>,$<BOOL:$<TARGET_PROPERTY:KRILL_STATIC_DEPS>>>")
add_library(krill_seccomp INTERFACE)
add_library(krill_libcap INTERFACE)
if(KRILL_STATIC_RUNTIME_ENABLED)
  target_link_libraries(krill_seccomp INTERFACE
    "$<IF:${krill_static_link_wanted},${KRILL_SECCOMP_ARCHIVE},PkgConfig::SECCOMP>")
  target_link_libraries(krill_libcap INTERFACE
    "$<IF:${krill_static_link_wanted},${KRILL_LIBCAP_ARCHIVE},PkgConfig::LIBCAP>")
else()
  target_link_libraries(krill_seccomp INTERFACE PkgConfig::SECCOMP)
  target_link_libraries(krill_libcap INTERFACE PkgConfig::LIBCAP)
endif()
# The headers, whichever library is linked.
target_include_directories(krill_seccomp INTERFACE ${SECCOMP_INCLUDE_DIRS})
target_include_directories(krill_libcap INTERFACE ${LIBCAP_INCLUDE_DIRS})

function(krill_link_statically target)
  if(NOT KRILL_STATIC_RUNTIME_ENABLED)
    return()
  endif()
  set_target_properties(${target} PROPERTIES KRILL_STATIC_LINK ON)
  target_link_options(${target} PRIVATE -static-pie -Wl,--gc-sections)
endfunction()

function(krill_size_optimise)
  if(NOT KRILL_STATIC_RUNTIME_ENABLED)
    return()
  endif()
  foreach(target IN LISTS ARGN)
    # After CMAKE_CXX_FLAGS_<CONFIG> on the command line, so -Os wins over -O2/-O3.
    target_compile_options(${target} PRIVATE $<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:-Os>
                           -ffunction-sections -fdata-sections)
  endforeach()
endfunction()
