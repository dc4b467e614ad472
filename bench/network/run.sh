#!/bin/bash
# Network benchmarks of issue 6, krill against podman (Debian's podman 4.3 with its CNI backend
# and the same CNI plugins) in the same run:
#   1. container-to-container TCP throughput on one bridge network (iperf3, 5 s, median of
#      ROUNDS), against the same two iperf3 processes on loopback;
#   2. what `run -d -p 8080:80` costs over `run -d --network none` (hyperfine medians).
# Prints a markdown report on stdout; hyperfine's progress goes to stderr.
#
#   sudo bench/network/run.sh [path/to/krill] > report.md
#
# Env: ROUNDS (iperf3 runs per pair, default 3), RUNS (hyperfine runs per command, default 20),
# RUNC (/usr/sbin/runc), RESULTS_DIR (optional: keep the raw JSON there).
# Needs root, hyperfine, jq, iperf3, podman, busybox-static, unshare.
#
# Isolation: the script re-executes itself in a network namespace of its own (unshare --net):
# the bridges, veths, firewall rules and every packet stay inside it. podman keeps its CNI
# configuration in the temp dir (--network-config-dir), both engines their stores there.
# The image holds busybox and iperf3 with the libraries ldd names, imported by both engines.
set -euo pipefail

if [ -z "${KRILL_BENCH_NETNS:-}" ]; then
  exec unshare --net env KRILL_BENCH_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNC=${RUNC:-/usr/sbin/runc}
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-20}
KRILL=$(readlink -f "${1:-$repo/build/src/cli/krill}")
for tool in hyperfine jq iperf3 podman /bin/busybox "$RUNC" "$KRILL"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d /tmp/krill-bench-net-XXXXXX)
out=$work/out
mkdir -p "$out" "$work/cni"
IMG=localhost/netbench:1
LIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
k_() { "$KRILL" --root "$work/k-store" --runroot "$work/k-run" "$@"; }
P=(podman --runtime "$RUNC" --cgroup-manager cgroupfs --events-backend file --root "$work/podman"
   --runroot "$work/podman-run" --tmpdir "$work/podman-tmp" --storage-driver overlay
   --network-config-dir "$work/cni")
p_() { "${P[@]}" "$@"; }

cleanup() {
  local rc=$?
  set +e
  [ -d "$work/k-store" ] && k_ rm -f -a >/dev/null 2>&1
  if [ -d "$work/podman" ]; then
    p_ rm -f -a -t 0 >/dev/null 2>&1
    p_ system reset --force >/dev/null 2>&1
  fi
  grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r umount -l 2>/dev/null
  if [ -n "${RESULTS_DIR:-}" ]; then mkdir -p "$RESULTS_DIR"; cp -r "$out"/. "$RESULTS_DIR"/; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# ---- the image: busybox + iperf3 and its libraries ------------------------------------------
root=$work/rootfs
mkdir -p "$root/bin" "$root/tmp" "$root/etc"
cp /bin/busybox "$root/bin/busybox"
for applet in sh sleep httpd true; do ln -s busybox "$root/bin/$applet"; done
cp /usr/bin/iperf3 "$root/bin/iperf3"
for lib in $(ldd /usr/bin/iperf3 | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
tar -C "$root" -cf "$work/r.tar" .
k_ import -c ENV=PATH=/bin "$work/r.tar" "$IMG" >/dev/null
p_ import -q -c ENV=PATH=/bin "$work/r.tar" "$IMG" >/dev/null

median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
gbits() { jq '.end.sum_received.bits_per_second / 1e9'; }

# ---- 1. throughput ---------------------------------------------------------------------------
loopback=()
for i in $(seq "$ROUNDS"); do
  iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
  server=$!
  sleep 0.3
  iperf3 -c 127.0.0.1 -p 5201 -t 5 -J > "$out/loopback-$i.json"
  wait "$server" || true
  loopback+=("$(gbits < "$out/loopback-$i.json")")
done

pair() {  # engine runner, result file prefix
  local engine=$1 prefix=$2 i server_ip
  for i in $(seq "$ROUNDS"); do
    $engine run -d --name "iperf-server-$i" "${LIMITS[@]}" "$IMG" iperf3 -s -1 >/dev/null
    server_ip=$($engine inspect --format '{{.NetworkSettings.IPAddress}}' "iperf-server-$i")
    sleep 0.3
    $engine run --rm "${LIMITS[@]}" "$IMG" iperf3 -c "$server_ip" -t 5 -J > "$out/$prefix-$i.json"
    $engine rm -f "iperf-server-$i" >/dev/null
  done
}
pair k_ krill
pair p_ podman
k_gbits=$(for i in $(seq "$ROUNDS"); do gbits < "$out/krill-$i.json"; done | median)
p_gbits=$(for i in $(seq "$ROUNDS"); do gbits < "$out/podman-$i.json"; done | median)
l_gbits=$(printf '%s\n' "${loopback[@]}" | median)

# ---- 2. run -d -p vs run -d --network none --------------------------------------------------
# Each timed run starts a detached container; --prepare removes the previous one (untimed).
KRM="$KRILL --root $work/k-store --runroot $work/k-run rm -f -a"
PRM="${P[*]} rm -f -a -t 0"
hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$out/run-p.json" \
  --prepare "$KRM" --prepare "$KRM" --prepare "$PRM" --prepare "$PRM" \
  -n "krill --network none" \
  "$KRILL --root $work/k-store --runroot $work/k-run run -d --network none ${LIMITS[*]} $IMG sleep 100" \
  -n "krill -p 8080:80" \
  "$KRILL --root $work/k-store --runroot $work/k-run run -d -p 8080:80 ${LIMITS[*]} $IMG sleep 100" \
  -n "podman --network none" "${P[*]} run -d --network none ${LIMITS[*]} $IMG sleep 100" \
  -n "podman -p 8080:80" "${P[*]} run -d -p 8080:80 ${LIMITS[*]} $IMG sleep 100" >&2
k_ rm -f -a >/dev/null
p_ rm -f -a -t 0 >/dev/null
ms() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median * 1000' "$out/run-p.json"; }
k_none=$(ms "krill --network none"); k_p=$(ms "krill -p 8080:80")
p_none=$(ms "podman --network none"); p_p=$(ms "podman -p 8080:80")

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
fmt() { printf '%.2f' "$1"; }
cat <<EOF
## Networks (issue 6)

Load average before/after: $load_before / $load_after; iperf3 rounds: $ROUNDS, hyperfine runs: $RUNS.

| TCP throughput (iperf3, 5 s, median) | Gbit/s | vs loopback |
|---|---|---|
| two processes on loopback | $(fmt "$l_gbits") | 1.00 |
| krill: container → container, one bridge network | $(fmt "$k_gbits") | $(fmt "$(echo "$k_gbits / $l_gbits" | bc -l)") |
| podman: container → container, its default network | $(fmt "$p_gbits") | $(fmt "$(echo "$p_gbits / $l_gbits" | bc -l)") |

| \`run -d\` (median, ms) | --network none | -p 8080:80 | what -p adds |
|---|---|---|---|
| krill | $(fmt "$k_none") | $(fmt "$k_p") | $(fmt "$(echo "$k_p - $k_none" | bc -l)") |
| podman (runc) | $(fmt "$p_none") | $(fmt "$p_p") | $(fmt "$(echo "$p_p - $p_none" | bc -l)") |

krill's -p overhead / podman's: $(fmt "$(echo "($k_p - $k_none) / ($p_p - $p_none)" | bc -l)")
EOF
