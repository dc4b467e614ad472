#include "image/archive_library.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace krill::image {
namespace {

constexpr const char* kLibraryName = "libarchive.so.13";

template <typename Function>
void look_up(void* library, const char* name, Function& function, std::string& missing) {
  function = reinterpret_cast<Function>(::dlsym(library, name));
  if (!function) missing += std::string(missing.empty() ? "" : ", ") + name;
}

[[noreturn]] void cannot_load(const std::string& why) {
  const std::string message = "krill: " + why + " (apt-get install libarchive13)\n";
  (void)!::write(STDERR_FILENO, message.data(), message.size());
  std::_Exit(125);
}

// The functions are taken by their real names: the call macros of archive_library.h are not
// in effect for the names in the strings.
ArchiveLibrary load() {
  void* library = ::dlopen(kLibraryName, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char* why = ::dlerror();
    cannot_load(std::string("load ") + kLibraryName + ": " + (why ? why : "unknown error"));
  }
  ArchiveLibrary api{};
  std::string missing;
  look_up(library, "archive_entry_atime", api.archive_entry_atime, missing);
  look_up(library, "archive_entry_atime_is_set", api.archive_entry_atime_is_set, missing);
  look_up(library, "archive_entry_atime_nsec", api.archive_entry_atime_nsec, missing);
  look_up(library, "archive_entry_copy_hardlink", api.archive_entry_copy_hardlink, missing);
  look_up(library, "archive_entry_filetype", api.archive_entry_filetype, missing);
  look_up(library, "archive_entry_free", api.archive_entry_free, missing);
  look_up(library, "archive_entry_gid", api.archive_entry_gid, missing);
  look_up(library, "archive_entry_hardlink", api.archive_entry_hardlink, missing);
  look_up(library, "archive_entry_mtime", api.archive_entry_mtime, missing);
  look_up(library, "archive_entry_mtime_is_set", api.archive_entry_mtime_is_set, missing);
  look_up(library, "archive_entry_mtime_nsec", api.archive_entry_mtime_nsec, missing);
  look_up(library, "archive_entry_new", api.archive_entry_new, missing);
  look_up(library, "archive_entry_pathname", api.archive_entry_pathname, missing);
  look_up(library, "archive_entry_pathname_utf8", api.archive_entry_pathname_utf8, missing);
  look_up(library, "archive_entry_perm", api.archive_entry_perm, missing);
  look_up(library, "archive_entry_rdev", api.archive_entry_rdev, missing);
  look_up(library, "archive_entry_rdevmajor", api.archive_entry_rdevmajor, missing);
  look_up(library, "archive_entry_rdevminor", api.archive_entry_rdevminor, missing);
  look_up(library, "archive_entry_set_filetype", api.archive_entry_set_filetype, missing);
  look_up(library, "archive_entry_set_gid", api.archive_entry_set_gid, missing);
  look_up(library, "archive_entry_set_hardlink", api.archive_entry_set_hardlink, missing);
  look_up(library, "archive_entry_set_mode", api.archive_entry_set_mode, missing);
  look_up(library, "archive_entry_set_mtime", api.archive_entry_set_mtime, missing);
  look_up(library, "archive_entry_set_pathname", api.archive_entry_set_pathname, missing);
  look_up(library, "archive_entry_set_perm", api.archive_entry_set_perm, missing);
  look_up(library, "archive_entry_set_rdev", api.archive_entry_set_rdev, missing);
  look_up(library, "archive_entry_set_size", api.archive_entry_set_size, missing);
  look_up(library, "archive_entry_set_symlink", api.archive_entry_set_symlink, missing);
  look_up(library, "archive_entry_set_uid", api.archive_entry_set_uid, missing);
  look_up(library, "archive_entry_size", api.archive_entry_size, missing);
  look_up(library, "archive_entry_size_is_set", api.archive_entry_size_is_set, missing);
  look_up(library, "archive_entry_symlink", api.archive_entry_symlink, missing);
  look_up(library, "archive_entry_symlink_utf8", api.archive_entry_symlink_utf8, missing);
  look_up(library, "archive_entry_uid", api.archive_entry_uid, missing);
  look_up(library, "archive_entry_xattr_add_entry", api.archive_entry_xattr_add_entry, missing);
  look_up(library, "archive_entry_xattr_next", api.archive_entry_xattr_next, missing);
  look_up(library, "archive_entry_xattr_reset", api.archive_entry_xattr_reset, missing);
  look_up(library, "archive_error_string", api.archive_error_string, missing);
  look_up(library, "archive_read_data", api.archive_read_data, missing);
  look_up(library, "archive_read_data_block", api.archive_read_data_block, missing);
  look_up(library, "archive_read_free", api.archive_read_free, missing);
  look_up(library, "archive_read_new", api.archive_read_new, missing);
  look_up(library, "archive_read_next_header", api.archive_read_next_header, missing);
  look_up(library, "archive_read_open", api.archive_read_open, missing);
  look_up(library, "archive_read_open_fd", api.archive_read_open_fd, missing);
  look_up(library, "archive_read_open_filename", api.archive_read_open_filename, missing);
  look_up(library, "archive_read_support_filter_all", api.archive_read_support_filter_all, missing);
  look_up(library, "archive_read_support_filter_gzip", api.archive_read_support_filter_gzip, missing);
  look_up(library, "archive_read_support_format_gnutar", api.archive_read_support_format_gnutar, missing);
  look_up(library, "archive_read_support_format_raw", api.archive_read_support_format_raw, missing);
  look_up(library, "archive_read_support_format_tar", api.archive_read_support_format_tar, missing);
  look_up(library, "archive_write_add_filter_gzip", api.archive_write_add_filter_gzip, missing);
  look_up(library, "archive_write_close", api.archive_write_close, missing);
  look_up(library, "archive_write_data", api.archive_write_data, missing);
  look_up(library, "archive_write_data_block", api.archive_write_data_block, missing);
  look_up(library, "archive_write_disk_new", api.archive_write_disk_new, missing);
  look_up(library, "archive_write_disk_set_options", api.archive_write_disk_set_options, missing);
  look_up(library, "archive_write_finish_entry", api.archive_write_finish_entry, missing);
  look_up(library, "archive_write_free", api.archive_write_free, missing);
  look_up(library, "archive_write_header", api.archive_write_header, missing);
  look_up(library, "archive_write_new", api.archive_write_new, missing);
  look_up(library, "archive_write_open", api.archive_write_open, missing);
  look_up(library, "archive_write_open2", api.archive_write_open2, missing);
  look_up(library, "archive_write_open_filename", api.archive_write_open_filename, missing);
  look_up(library, "archive_write_set_bytes_in_last_block", api.archive_write_set_bytes_in_last_block, missing);
  look_up(library, "archive_write_set_bytes_per_block", api.archive_write_set_bytes_per_block, missing);
  look_up(library, "archive_write_set_filter_option", api.archive_write_set_filter_option, missing);
  look_up(library, "archive_write_set_format_option", api.archive_write_set_format_option, missing);
  look_up(library, "archive_write_set_format_pax_restricted", api.archive_write_set_format_pax_restricted, missing);
  look_up(library, "archive_write_set_format_raw", api.archive_write_set_format_raw, missing);
  if (!missing.empty()) cannot_load(std::string(kLibraryName) + " lacks " + missing);
  return api;  // the library stays loaded for the life of the process
}

}  // namespace

const ArchiveLibrary& archive_library() {
  // Written once, under the static's initialisation guard, and only read afterwards.
  static const ArchiveLibrary loaded = load();
  return loaded;
}

}  // namespace krill::image
