// libarchive, loaded when krill first reads or writes a tar stream instead of at its start.
//
// Linked normally, libarchive and what it needs (libxml2 and ICU for the xar format krill never
// uses, nettle, liblzma, libbz2, liblz4, libacl) were mapped and relocated by every krill
// command: about a third of `krill ps`'s start (docs/benchmarks.md). The files that use
// libarchive include this header instead of <archive.h>; the macros at its end send their calls
// through the library loaded on first use, so the code reads as plain libarchive calls. Include
// it only from .cpp files, after the other headers.
#pragma once

#include <archive.h>
#include <archive_entry.h>

namespace krill::image {

// Every libarchive function krill calls (the macros below must match).
#define KRILL_ARCHIVE_FUNCTIONS(X) \
  X(archive_entry_atime) \
  X(archive_entry_atime_is_set) \
  X(archive_entry_atime_nsec) \
  X(archive_entry_copy_hardlink) \
  X(archive_entry_filetype) \
  X(archive_entry_free) \
  X(archive_entry_gid) \
  X(archive_entry_hardlink) \
  X(archive_entry_mtime) \
  X(archive_entry_mtime_is_set) \
  X(archive_entry_mtime_nsec) \
  X(archive_entry_new) \
  X(archive_entry_pathname) \
  X(archive_entry_pathname_utf8) \
  X(archive_entry_perm) \
  X(archive_entry_rdev) \
  X(archive_entry_rdevmajor) \
  X(archive_entry_rdevminor) \
  X(archive_entry_set_filetype) \
  X(archive_entry_set_gid) \
  X(archive_entry_set_hardlink) \
  X(archive_entry_set_mode) \
  X(archive_entry_set_mtime) \
  X(archive_entry_set_pathname) \
  X(archive_entry_set_perm) \
  X(archive_entry_set_rdev) \
  X(archive_entry_set_size) \
  X(archive_entry_set_symlink) \
  X(archive_entry_set_uid) \
  X(archive_entry_size) \
  X(archive_entry_size_is_set) \
  X(archive_entry_symlink) \
  X(archive_entry_symlink_utf8) \
  X(archive_entry_uid) \
  X(archive_entry_xattr_add_entry) \
  X(archive_entry_xattr_next) \
  X(archive_entry_xattr_reset) \
  X(archive_error_string) \
  X(archive_read_data) \
  X(archive_read_data_block) \
  X(archive_read_free) \
  X(archive_read_new) \
  X(archive_read_next_header) \
  X(archive_read_open) \
  X(archive_read_open_fd) \
  X(archive_read_open_filename) \
  X(archive_read_support_filter_all) \
  X(archive_read_support_filter_gzip) \
  X(archive_read_support_format_gnutar) \
  X(archive_read_support_format_raw) \
  X(archive_read_support_format_tar) \
  X(archive_write_add_filter_gzip) \
  X(archive_write_close) \
  X(archive_write_data) \
  X(archive_write_data_block) \
  X(archive_write_disk_new) \
  X(archive_write_disk_set_options) \
  X(archive_write_finish_entry) \
  X(archive_write_free) \
  X(archive_write_header) \
  X(archive_write_new) \
  X(archive_write_open) \
  X(archive_write_open2) \
  X(archive_write_open_filename) \
  X(archive_write_set_bytes_in_last_block) \
  X(archive_write_set_bytes_per_block) \
  X(archive_write_set_filter_option) \
  X(archive_write_set_format_option) \
  X(archive_write_set_format_pax_restricted) \
  X(archive_write_set_format_raw)

struct ArchiveLibrary {
#define KRILL_ARCHIVE_MEMBER(name) decltype(&::name) name;
  KRILL_ARCHIVE_FUNCTIONS(KRILL_ARCHIVE_MEMBER)
#undef KRILL_ARCHIVE_MEMBER
};

// libarchive.so.13, loaded once per process (thread-safe). A process that cannot load it ends
// with a message naming the library and its package, as the dynamic loader ended krill when it
// was linked with it: every caller would fail, and libarchive13 is a dependency of the package.
const ArchiveLibrary& archive_library();

}  // namespace krill::image

// clang-format off
#define archive_entry_atime(...) ::krill::image::archive_library().archive_entry_atime(__VA_ARGS__)
#define archive_entry_atime_is_set(...) ::krill::image::archive_library().archive_entry_atime_is_set(__VA_ARGS__)
#define archive_entry_atime_nsec(...) ::krill::image::archive_library().archive_entry_atime_nsec(__VA_ARGS__)
#define archive_entry_copy_hardlink(...) ::krill::image::archive_library().archive_entry_copy_hardlink(__VA_ARGS__)
#define archive_entry_filetype(...) ::krill::image::archive_library().archive_entry_filetype(__VA_ARGS__)
#define archive_entry_free(...) ::krill::image::archive_library().archive_entry_free(__VA_ARGS__)
#define archive_entry_gid(...) ::krill::image::archive_library().archive_entry_gid(__VA_ARGS__)
#define archive_entry_hardlink(...) ::krill::image::archive_library().archive_entry_hardlink(__VA_ARGS__)
#define archive_entry_mtime(...) ::krill::image::archive_library().archive_entry_mtime(__VA_ARGS__)
#define archive_entry_mtime_is_set(...) ::krill::image::archive_library().archive_entry_mtime_is_set(__VA_ARGS__)
#define archive_entry_mtime_nsec(...) ::krill::image::archive_library().archive_entry_mtime_nsec(__VA_ARGS__)
#define archive_entry_new(...) ::krill::image::archive_library().archive_entry_new(__VA_ARGS__)
#define archive_entry_pathname(...) ::krill::image::archive_library().archive_entry_pathname(__VA_ARGS__)
#define archive_entry_pathname_utf8(...) ::krill::image::archive_library().archive_entry_pathname_utf8(__VA_ARGS__)
#define archive_entry_perm(...) ::krill::image::archive_library().archive_entry_perm(__VA_ARGS__)
#define archive_entry_rdev(...) ::krill::image::archive_library().archive_entry_rdev(__VA_ARGS__)
#define archive_entry_rdevmajor(...) ::krill::image::archive_library().archive_entry_rdevmajor(__VA_ARGS__)
#define archive_entry_rdevminor(...) ::krill::image::archive_library().archive_entry_rdevminor(__VA_ARGS__)
#define archive_entry_set_filetype(...) ::krill::image::archive_library().archive_entry_set_filetype(__VA_ARGS__)
#define archive_entry_set_gid(...) ::krill::image::archive_library().archive_entry_set_gid(__VA_ARGS__)
#define archive_entry_set_hardlink(...) ::krill::image::archive_library().archive_entry_set_hardlink(__VA_ARGS__)
#define archive_entry_set_mode(...) ::krill::image::archive_library().archive_entry_set_mode(__VA_ARGS__)
#define archive_entry_set_mtime(...) ::krill::image::archive_library().archive_entry_set_mtime(__VA_ARGS__)
#define archive_entry_set_pathname(...) ::krill::image::archive_library().archive_entry_set_pathname(__VA_ARGS__)
#define archive_entry_set_perm(...) ::krill::image::archive_library().archive_entry_set_perm(__VA_ARGS__)
#define archive_entry_set_rdev(...) ::krill::image::archive_library().archive_entry_set_rdev(__VA_ARGS__)
#define archive_entry_set_size(...) ::krill::image::archive_library().archive_entry_set_size(__VA_ARGS__)
#define archive_entry_set_symlink(...) ::krill::image::archive_library().archive_entry_set_symlink(__VA_ARGS__)
#define archive_entry_set_uid(...) ::krill::image::archive_library().archive_entry_set_uid(__VA_ARGS__)
#define archive_entry_size(...) ::krill::image::archive_library().archive_entry_size(__VA_ARGS__)
#define archive_entry_size_is_set(...) ::krill::image::archive_library().archive_entry_size_is_set(__VA_ARGS__)
#define archive_entry_symlink(...) ::krill::image::archive_library().archive_entry_symlink(__VA_ARGS__)
#define archive_entry_symlink_utf8(...) ::krill::image::archive_library().archive_entry_symlink_utf8(__VA_ARGS__)
#define archive_entry_uid(...) ::krill::image::archive_library().archive_entry_uid(__VA_ARGS__)
#define archive_entry_xattr_add_entry(...) ::krill::image::archive_library().archive_entry_xattr_add_entry(__VA_ARGS__)
#define archive_entry_xattr_next(...) ::krill::image::archive_library().archive_entry_xattr_next(__VA_ARGS__)
#define archive_entry_xattr_reset(...) ::krill::image::archive_library().archive_entry_xattr_reset(__VA_ARGS__)
#define archive_error_string(...) ::krill::image::archive_library().archive_error_string(__VA_ARGS__)
#define archive_read_data(...) ::krill::image::archive_library().archive_read_data(__VA_ARGS__)
#define archive_read_data_block(...) ::krill::image::archive_library().archive_read_data_block(__VA_ARGS__)
#define archive_read_free(...) ::krill::image::archive_library().archive_read_free(__VA_ARGS__)
#define archive_read_new(...) ::krill::image::archive_library().archive_read_new(__VA_ARGS__)
#define archive_read_next_header(...) ::krill::image::archive_library().archive_read_next_header(__VA_ARGS__)
#define archive_read_open(...) ::krill::image::archive_library().archive_read_open(__VA_ARGS__)
#define archive_read_open_fd(...) ::krill::image::archive_library().archive_read_open_fd(__VA_ARGS__)
#define archive_read_open_filename(...) ::krill::image::archive_library().archive_read_open_filename(__VA_ARGS__)
#define archive_read_support_filter_all(...) ::krill::image::archive_library().archive_read_support_filter_all(__VA_ARGS__)
#define archive_read_support_filter_gzip(...) ::krill::image::archive_library().archive_read_support_filter_gzip(__VA_ARGS__)
#define archive_read_support_format_gnutar(...) ::krill::image::archive_library().archive_read_support_format_gnutar(__VA_ARGS__)
#define archive_read_support_format_raw(...) ::krill::image::archive_library().archive_read_support_format_raw(__VA_ARGS__)
#define archive_read_support_format_tar(...) ::krill::image::archive_library().archive_read_support_format_tar(__VA_ARGS__)
#define archive_write_add_filter_gzip(...) ::krill::image::archive_library().archive_write_add_filter_gzip(__VA_ARGS__)
#define archive_write_close(...) ::krill::image::archive_library().archive_write_close(__VA_ARGS__)
#define archive_write_data(...) ::krill::image::archive_library().archive_write_data(__VA_ARGS__)
#define archive_write_data_block(...) ::krill::image::archive_library().archive_write_data_block(__VA_ARGS__)
#define archive_write_disk_new(...) ::krill::image::archive_library().archive_write_disk_new(__VA_ARGS__)
#define archive_write_disk_set_options(...) ::krill::image::archive_library().archive_write_disk_set_options(__VA_ARGS__)
#define archive_write_finish_entry(...) ::krill::image::archive_library().archive_write_finish_entry(__VA_ARGS__)
#define archive_write_free(...) ::krill::image::archive_library().archive_write_free(__VA_ARGS__)
#define archive_write_header(...) ::krill::image::archive_library().archive_write_header(__VA_ARGS__)
#define archive_write_new(...) ::krill::image::archive_library().archive_write_new(__VA_ARGS__)
#define archive_write_open(...) ::krill::image::archive_library().archive_write_open(__VA_ARGS__)
#define archive_write_open2(...) ::krill::image::archive_library().archive_write_open2(__VA_ARGS__)
#define archive_write_open_filename(...) ::krill::image::archive_library().archive_write_open_filename(__VA_ARGS__)
#define archive_write_set_bytes_in_last_block(...) ::krill::image::archive_library().archive_write_set_bytes_in_last_block(__VA_ARGS__)
#define archive_write_set_bytes_per_block(...) ::krill::image::archive_library().archive_write_set_bytes_per_block(__VA_ARGS__)
#define archive_write_set_filter_option(...) ::krill::image::archive_library().archive_write_set_filter_option(__VA_ARGS__)
#define archive_write_set_format_option(...) ::krill::image::archive_library().archive_write_set_format_option(__VA_ARGS__)
#define archive_write_set_format_pax_restricted(...) ::krill::image::archive_library().archive_write_set_format_pax_restricted(__VA_ARGS__)
#define archive_write_set_format_raw(...) ::krill::image::archive_library().archive_write_set_format_raw(__VA_ARGS__)
// clang-format on
