#!/usr/bin/env bash
# `krill ps -a` with many containers and `krill rm -a` / `rm -f -a` of them, alone (the ps part
# of run.sh without podman, quick to repeat).
#
#   bench/engine/ps.sh [path/to/krill]
#
# PS_COUNT (containers, default 1000), PS_RUNS (hyperfine runs, default 20), RUNNING (how many
# of them are started detached, `sleep 600`, for rm -f -a; default 20). Results in
# $RESULTS_DIR when set (hyperfine JSON), a summary on stdout.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
KRILL=$(readlink -f "${1:-$repo/build/src/cli/krill}")
PS_COUNT=${PS_COUNT:-1000}
PS_RUNS=${PS_RUNS:-20}
RUNNING=${RUNNING:-20}
work=$(mktemp -d /tmp/krill-bench-ps.XXXXXX)
out=$work/results
mkdir -p "$out"
k_() { "$KRILL" --root "$work/store" --runroot "$work/run" "$@"; }

cleanup() {
  local rc=$?
  set +e
  [ -d "$work/store" ] && k_ rm -f -a >/dev/null 2>&1
  grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r umount 2>/dev/null
  if [ -n "${RESULTS_DIR:-}" ]; then mkdir -p "$RESULTS_DIR"; cp -r "$out"/. "$RESULTS_DIR"/; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# A busybox image from Debian's busybox-static.
mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for a in sh true sleep; do ln -s busybox "$work/rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
echo 'root:x:0:' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
k_ import -q -c ENV=PATH=/bin "$work/rootfs.tar" localhost/bb:1 >/dev/null
IMG=localhost/bb:1

echo "== creating $PS_COUNT containers" >&2
t0=$(date +%s.%N)
for ((i = 0; i < PS_COUNT - RUNNING; i++)); do k_ create --network none "$IMG" true >/dev/null; done
for ((i = 0; i < RUNNING; i++)); do k_ run -d --network none "$IMG" sleep 600 >/dev/null; done
create_s=$(echo "$(date +%s.%N) - $t0" | bc -l)
[ "$(k_ ps -a -q | wc -l)" = "$PS_COUNT" ] || { echo "krill ps -a: wrong count" >&2; exit 1; }

echo "== ps, $PS_COUNT containers ($RUNNING running)" >&2
hyperfine -N --style basic --warmup 2 --runs "$PS_RUNS" --export-json "$out/ps.json" \
  -n "krill ps -a" "$KRILL --root $work/store --runroot $work/run ps -a" \
  -n "krill ps -a -q" "$KRILL --root $work/store --runroot $work/run ps -a -q" \
  -n "krill ps (running only)" "$KRILL --root $work/store --runroot $work/run ps" \
  -n "krill ps -a --format '{{.Names}} {{.Status}}'" \
  "$KRILL --root $work/store --runroot $work/run ps -a --format {{.Names}}\ {{.Status}}" >&2

echo "== rm -f -a" >&2
t0=$(date +%s.%N)
k_ rm -f -a >/dev/null
rm_s=$(echo "$(date +%s.%N) - $t0" | bc -l)
[ "$(k_ ps -a -q | wc -l)" = 0 ] || { echo "rm -f -a left containers" >&2; exit 1; }

python3 - "$out/ps.json" "$create_s" "$rm_s" "$PS_COUNT" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
count = int(sys.argv[4])
print("| command | containers | median (min–max) ms |")
print("|---|---:|---:|")
for r in doc["results"]:
    t = sorted(r["times"])
    print("| %s | %d | %.1f (%.1f–%.1f) |" % (r["command"], count, r["median"] * 1000, t[0] * 1000, t[-1] * 1000))
print()
print("create/run of %d containers: %.1f s (%.1f ms each); rm -f -a: %.1f s (%.1f ms each)" % (
    count, float(sys.argv[2]), float(sys.argv[2]) * 1000 / count, float(sys.argv[3]),
    float(sys.argv[3]) * 1000 / count))
PY
