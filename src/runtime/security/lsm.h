// Linux security modules: AppArmor profiles and SELinux labels for the container process.
// Both take effect at the next execve, so the init calls them last, before exec.
#pragma once

#include <string>

#include "base/error.h"

namespace krill::security {

// /sys/module/apparmor/parameters/enabled is "Y" (and securityfs has apparmor when mounted).
bool apparmor_enabled();
// selinuxfs is mounted at /sys/fs/selinux and the process has a label other than "kernel".
bool selinux_enabled();

// Applies the AppArmor profile at the next exec: writes "exec <profile>" to
// /proc/thread-self/attr/apparmor/exec (Linux >= 5.8) or attr/exec. No-op when profile is empty.
// Error "apparmor profile X requested but AppArmor is not enabled on this host" otherwise.
Result<void> apply_apparmor_profile(const std::string& profile);

// Writes the SELinux label for the next exec to /proc/thread-self/attr/exec. No-op when the
// label is empty; "SELinux label X requested but SELinux is not enabled on this host" otherwise.
Result<void> apply_selinux_exec_label(const std::string& label);

// The mount option for linux.mountLabel: context="<label>"; empty when the label is empty.
// Pure formatting: callers add it only where SELinux is enabled (other kernels reject it).
std::string selinux_mount_context(const std::string& mount_label);

}  // namespace krill::security
