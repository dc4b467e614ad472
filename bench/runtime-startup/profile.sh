#!/bin/bash
# Where krill-runtime's time goes in `run` of /bin/true (the bundle of run.sh): N runs under
# `perf trace record` (syscall tracepoints into a ring buffer, ~1-2 µs per syscall, much lighter
# than strace), split into phases by phases.py. Prints markdown on stdout.
#
#   sudo bench/runtime-startup/profile.sh [path/to/krill-runtime] > profile.md
#
# Env: N (runs per configuration, default 15), CRUN (/usr/bin/crun).
# Configurations: hybrid layout + state on tmpfs; hybrid + state on disk (ext4 /tmp here);
# v1-only view + tmpfs; crun in the v1-only view (total and slowest syscalls, for comparison).
# Everything runs in private mount namespaces (tracefs and the tmpfs are mounted there); the
# containers clean up after themselves (`run`), and the temp dir is removed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
KRILL=${1:-}
if [ -z "$KRILL" ]; then
  for candidate in "$repo"/build*/src/cli/krill-runtime; do
    [ -x "$candidate" ] && KRILL=$candidate && break
  done
fi
KRILL=$(readlink -f "$KRILL")
CRUN=${CRUN:-/usr/bin/crun}
N=${N:-15}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
command -v perf >/dev/null || { echo "missing: perf" >&2; exit 2; }

work=$(mktemp -d /tmp/krill-profile-XXXXXX)
chmod 0711 "$work"
ls -d /sys/fs/cgroup/*/krill > "$work/parents-before" 2>/dev/null || true
cleanup() {
  find /sys/fs/cgroup -depth -type d -name 'krillprof-*' -exec rmdir {} \; 2>/dev/null
  local dir  # krill/ parent cgroups this script created
  for dir in /sys/fs/cgroup/*/krill; do
    [ -d "$dir" ] || continue
    grep -qxF "$dir" "$work/parents-before" 2>/dev/null || rmdir "$dir" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
bundle=$work/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/dev" "$bundle/rootfs/sys"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
ln -s busybox "$bundle/rootfs/bin/true"
(cd "$bundle" && /usr/sbin/runc spec)
jq '.process.args = ["/bin/true"] | .process.terminal = false' "$bundle/config.json" > "$work/c.json"
mv "$work/c.json" "$bundle/config.json"

# $1 = label, $2 = "v1" to unmount the cgroup2 hierarchy, $3 = state root kind (tmpfs|disk),
# $4 = runtime binary.
trace_runs() {
  local label=$1 view=$2 kind=$3 bin=$4
  unshare -m --propagation private bash -euc '
    label=$1 view=$2 kind=$3 bin=$4 work=$5 bundle=$6 n=$7
    mount -t tracefs nodev /sys/kernel/tracing
    if [ "$view" = v1 ] && mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
    root=$work/state-$label
    mkdir -p "$root"
    if [ "$kind" = tmpfs ]; then mount -t tmpfs krillprof-state "$root"; fi
    for i in $(seq 3); do "$bin" --root "$root" run --bundle "$bundle" krillprof-warm >/dev/null; done
    for i in $(seq "$n"); do
      perf trace record -q -o "$work/$label-$i.data" -- "$bin" --root "$root" run --bundle "$bundle" krillprof-$i >/dev/null 2>&1
      perf trace -i "$work/$label-$i.data" -o "$work/$label-$i.txt"
    done
    if [ "$kind" = tmpfs ]; then umount "$root"; fi
  ' _ "$label" "$view" "$kind" "$bin" "$work" "$bundle" "$N"
}

echo "## krill-runtime \`run\` profile ($N traced runs per configuration)"
echo
echo "Host: Linux $(uname -r), $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg). Times are"
echo "wall-clock ms from \`perf trace record\`, which adds a little per syscall; the phase split"
echo "is what matters."
for cfg in "hybrid-tmpfs hybrid tmpfs" "hybrid-disk hybrid disk" "v1-tmpfs v1 tmpfs"; do
  set -- $cfg
  trace_runs "$1" "$2" "$3" "$KRILL"
  echo
  echo "### krill, cgroups $2, state dir on $3"
  echo
  python3 "$here/phases.py" krill "$work/$1"-*.txt
done
trace_runs crun-v1 v1 tmpfs "$CRUN"
for cfg in "v1-tmpfs krill" "crun-v1 crun"; do
  set -- $cfg
  echo
  echo "### $2, cgroups v1, state dir on tmpfs: time inside syscalls"
  echo
  python3 "$here/phases.py" top10 "$work/$1"-*.txt
done

