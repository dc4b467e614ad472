#include "runtime/rootfs/mount_options.h"

#include <sys/mount.h>

namespace krill::rootfs {
namespace {

enum class Kind { kSet, kClear, kPropagation, kAttrSet, kAttrClear, kAtime, kSpecial };

struct OptionSpec {
  std::string_view name;
  Kind kind;
  uint64_t value;
};

// MOUNT_ATTR_* atime values form an enum inside MOUNT_ATTR__ATIME; changing them means
// clearing the whole mask, so they get their own kind.
constexpr OptionSpec kOptions[] = {
    {"defaults", Kind::kSet, 0},
    {"ro", Kind::kSet, MS_RDONLY},
    {"rw", Kind::kClear, MS_RDONLY},
    {"nosuid", Kind::kSet, MS_NOSUID},
    {"suid", Kind::kClear, MS_NOSUID},
    {"nodev", Kind::kSet, MS_NODEV},
    {"dev", Kind::kClear, MS_NODEV},
    {"noexec", Kind::kSet, MS_NOEXEC},
    {"exec", Kind::kClear, MS_NOEXEC},
    {"sync", Kind::kSet, MS_SYNCHRONOUS},
    {"async", Kind::kClear, MS_SYNCHRONOUS},
    {"dirsync", Kind::kSet, MS_DIRSYNC},
    {"remount", Kind::kSet, MS_REMOUNT},
    {"mand", Kind::kSet, MS_MANDLOCK},
    {"nomand", Kind::kClear, MS_MANDLOCK},
    {"noatime", Kind::kSet, MS_NOATIME},
    {"atime", Kind::kClear, MS_NOATIME},
    {"nodiratime", Kind::kSet, MS_NODIRATIME},
    {"diratime", Kind::kClear, MS_NODIRATIME},
    {"relatime", Kind::kSet, MS_RELATIME},
    {"norelatime", Kind::kClear, MS_RELATIME},
    {"strictatime", Kind::kSet, MS_STRICTATIME},
    {"nostrictatime", Kind::kClear, MS_STRICTATIME},
    {"iversion", Kind::kSet, MS_I_VERSION},
    {"noiversion", Kind::kClear, MS_I_VERSION},
    {"lazytime", Kind::kSet, MS_LAZYTIME},
    {"nolazytime", Kind::kClear, MS_LAZYTIME},
    {"silent", Kind::kSet, MS_SILENT},
    {"loud", Kind::kClear, MS_SILENT},
    {"nosymfollow", Kind::kSet, MS_NOSYMFOLLOW},
    {"symfollow", Kind::kClear, MS_NOSYMFOLLOW},
    {"private", Kind::kPropagation, MS_PRIVATE},
    {"rprivate", Kind::kPropagation, MS_PRIVATE | MS_REC},
    {"shared", Kind::kPropagation, MS_SHARED},
    {"rshared", Kind::kPropagation, MS_SHARED | MS_REC},
    {"slave", Kind::kPropagation, MS_SLAVE},
    {"rslave", Kind::kPropagation, MS_SLAVE | MS_REC},
    {"unbindable", Kind::kPropagation, MS_UNBINDABLE},
    {"runbindable", Kind::kPropagation, MS_UNBINDABLE | MS_REC},
    {"rro", Kind::kAttrSet, MOUNT_ATTR_RDONLY},
    {"rrw", Kind::kAttrClear, MOUNT_ATTR_RDONLY},
    {"rnosuid", Kind::kAttrSet, MOUNT_ATTR_NOSUID},
    {"rsuid", Kind::kAttrClear, MOUNT_ATTR_NOSUID},
    {"rnodev", Kind::kAttrSet, MOUNT_ATTR_NODEV},
    {"rdev", Kind::kAttrClear, MOUNT_ATTR_NODEV},
    {"rnoexec", Kind::kAttrSet, MOUNT_ATTR_NOEXEC},
    {"rexec", Kind::kAttrClear, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", Kind::kAttrSet, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", Kind::kAttrClear, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", Kind::kAttrSet, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", Kind::kAttrClear, MOUNT_ATTR_NOSYMFOLLOW},
    {"rnoatime", Kind::kAtime, MOUNT_ATTR_NOATIME},
    {"rstrictatime", Kind::kAtime, MOUNT_ATTR_STRICTATIME},
    {"rrelatime", Kind::kAtime, MOUNT_ATTR_RELATIME},
    // Leaving noatime/strictatime falls back to the kernel default, relatime.
    {"ratime", Kind::kAtime, MOUNT_ATTR_RELATIME},
    {"rnorelatime", Kind::kAtime, MOUNT_ATTR_RELATIME},
    {"rnostrictatime", Kind::kAtime, MOUNT_ATTR_RELATIME},
    {"bind", Kind::kSpecial, 0},
    {"rbind", Kind::kSpecial, 0},
    {"tmpcopyup", Kind::kSpecial, 0},
    {"idmap", Kind::kSpecial, 0},
    {"ridmap", Kind::kSpecial, 0},
};

const OptionSpec* find_option(std::string_view name) {
  for (const auto& spec : kOptions)
    if (spec.name == name) return &spec;
  return nullptr;
}

}  // namespace

bool MountFlags::rro() const { return (attr_set & MOUNT_ATTR_RDONLY) != 0; }

Result<MountFlags> parse_mount_options(const std::vector<std::string>& options) {
  MountFlags result;
  for (const auto& option : options) {
    if (option.empty()) return fail("parse mount options: empty option");
    const OptionSpec* spec = find_option(option);
    if (spec == nullptr) {
      if (!result.data.empty()) result.data += ',';
      result.data += option;
      continue;
    }
    switch (spec->kind) {
      case Kind::kSet:
        result.flags |= spec->value;
        break;
      case Kind::kClear:
        result.flags &= ~static_cast<unsigned long>(spec->value);
        break;
      case Kind::kPropagation:
        result.propagation = spec->value;
        break;
      case Kind::kAttrSet:
        result.attr_set |= spec->value;
        result.attr_clr &= ~spec->value;
        break;
      case Kind::kAttrClear:
        result.attr_clr |= spec->value;
        result.attr_set &= ~spec->value;
        break;
      case Kind::kAtime:
        result.attr_set = (result.attr_set & ~uint64_t{MOUNT_ATTR__ATIME}) | spec->value;
        result.attr_clr |= MOUNT_ATTR__ATIME;
        break;
      case Kind::kSpecial:
        if (option == "bind") {
          result.bind = true;
        } else if (option == "rbind") {
          result.bind = true;
          result.recursive_bind = true;
        } else if (option == "tmpcopyup") {
          result.tmpcopyup = true;
        } else if (option == "idmap") {
          result.idmap = true;
        } else if (option == "ridmap") {
          result.idmap = true;
          result.recursive_idmap = true;
        }
        break;
    }
  }
  return result;
}

Result<unsigned long> parse_propagation(std::string_view value) {
  if (value.empty()) return 0UL;
  const OptionSpec* spec = find_option(value);
  if (spec == nullptr || spec->kind != Kind::kPropagation)
    return fail("invalid mount propagation \"" + std::string(value) + "\"");
  return static_cast<unsigned long>(spec->value);
}

}  // namespace krill::rootfs
