#!/bin/bash
# Startup benchmark: krill-runtime vs runc vs crun running /bin/true from one busybox bundle
# (default `spec`, args ["/bin/true"], terminal false). Prints a markdown report on stdout.
#
#   sudo bench/runtime-startup/run.sh [path/to/krill-runtime]
#
# Env: RUNS (default 30), CONCURRENT (default 50), RUNC (/usr/sbin/runc), CRUN (/usr/bin/crun).
# Needs root, hyperfine, jq, /usr/bin/time, busybox-static (/bin/busybox).
#
# crun 1.8 refuses this host's hybrid cgroup layout (v1 controllers + cgroup2 at
# /sys/fs/cgroup/unified), so the three-way comparison runs inside `unshare -m` after
# unmounting /sys/fs/cgroup/unified (a v1-only view); krill is also measured on the real hybrid
# layout. Nothing outside the private mount namespace and the temp dir is changed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
KRILL=${1:-${KRILL_RUNTIME:-}}
if [ -z "$KRILL" ]; then
  for candidate in "$repo"/build*/src/cli/krill-runtime; do
    [ -x "$candidate" ] && KRILL=$candidate && break
  done
fi
RUNC=${RUNC:-/usr/sbin/runc}
CRUN=${CRUN:-/usr/bin/crun}
RUNS=${RUNS:-30}
CONCURRENT=${CONCURRENT:-50}

for tool in hyperfine jq /usr/bin/time /bin/busybox unshare; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }

declare -A BIN=([runc]=$RUNC [crun]=$CRUN)
names=(runc crun)
if [ -n "$KRILL" ] && [ -x "$KRILL" ]; then
  BIN[krill]=$(readlink -f "$KRILL")
  names=(krill runc crun)
else
  echo "note: krill-runtime not found (pass its path); measuring runc and crun only" >&2
fi

work=$(mktemp -d /tmp/krill-bench-XXXXXX)
cleanup() {
  for name in "${names[@]}"; do
    for root in "$work/root-$name" "$work/root-hybrid-$name"; do
      [ -d "$root" ] || continue
      for id in $("${BIN[$name]}" --root "$root" list -q 2>/dev/null); do
        "${BIN[$name]}" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
      done
    done
  done
  rm -rf "$work"
}
trap cleanup EXIT

bundle=$work/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/dev" "$bundle/rootfs/sys"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in sh true; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
(cd "$bundle" && "$RUNC" spec)
jq '.process.args = ["/bin/true"] | .process.terminal = false' "$bundle/config.json" > "$work/c.json"
mv "$work/c.json" "$bundle/config.json"

# The measured commands, written as small scripts so hyperfine runs them without a shell quirk.
make_scripts() {  # name binary root
  local name=$1 bin=$2 root=$3
  mkdir -p "$root"
  cat > "$work/run-$name.sh" <<SCRIPT
#!/bin/sh
exec "$bin" --root "$root" run --bundle "$bundle" bench-$name-\$\$ >/dev/null
SCRIPT
  cat > "$work/csd-$name.sh" <<SCRIPT
#!/bin/sh
id=bench-csd-$name-\$\$
"$bin" --root "$root" create --bundle "$bundle" \$id >/dev/null &&
"$bin" --root "$root" start \$id &&
"$bin" --root "$root" delete --force \$id
SCRIPT
  cat > "$work/par-$name.sh" <<SCRIPT
#!/bin/sh
seq $CONCURRENT | xargs -P $CONCURRENT -I{} "$bin" --root "$root" run --bundle "$bundle" bench-par-$name-\$\$-{} >/dev/null
SCRIPT
  chmod +x "$work/run-$name.sh" "$work/csd-$name.sh" "$work/par-$name.sh"
}

# Runs inside the private mount namespace (v1-only view) or on the host (hybrid).
measure() {  # label suffix names...
  local label=$1; shift
  local suffix=$1; shift
  local cmds=() pars=() csds=()
  for name in "$@"; do
    cmds+=(-n "$name" "$work/run-$name$suffix.sh")
    csds+=(-n "$name" "$work/csd-$name$suffix.sh")
    pars+=(-n "$name" "$work/par-$name$suffix.sh")
  done
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$work/$label-run.json" "${cmds[@]}" >&2
  hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$work/$label-csd.json" "${csds[@]}" >&2
  hyperfine -N --warmup 1 --runs 5 --export-json "$work/$label-par.json" "${pars[@]}" >&2
  for name in "$@"; do
    /usr/bin/time -v "$work/run-$name$suffix.sh" 2> "$work/$label-time-$name.txt" || true
  done
}

for name in "${names[@]}"; do make_scripts "$name" "${BIN[$name]}" "$work/root-$name"; done
if [ -n "${BIN[krill]:-}" ]; then
  make_scripts krill-hybrid "${BIN[krill]}" "$work/root-hybrid-krill"
  for kind in run csd par; do mv "$work/$kind-krill-hybrid.sh" "$work/$kind-krill-h.sh"; done
fi

export -f measure
export work RUNS
# Three-way comparison in a v1-only view of the cgroup hierarchy.
unshare -m --propagation private bash -c '
  set -e
  if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
  measure v1 "" '"${names[*]}"'
'
# krill on the real hybrid layout.
if [ -n "${BIN[krill]:-}" ]; then measure hybrid "-h" krill; fi

median_ms() { jq -r --arg n "$2" '.results[] | select(.command == $n) | (.median * 1000)' "$1"; }
rss_kb() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1" 2>/dev/null || echo "?"; }
fmt() { printf '%.1f' "$1"; }

echo "## Runtime startup (busybox bundle, /bin/true)"
echo
echo "Host: $(uname -r), $(nproc) CPUs; runs per benchmark: $RUNS; concurrent: $CONCURRENT."
echo "Versions: runc $("$RUNC" --version | head -1 | awk '{print $3}'), crun $("$CRUN" --version | head -1 | awk '{print $3}')${BIN[krill]:+, krill-runtime $("${BIN[krill]}" --version 2>/dev/null | head -1)}."
echo
echo "| runtime | cgroup view | run median (ms) | vs runc | create+start+delete median (ms) | vs runc | $CONCURRENT concurrent runs median (ms) | vs runc | peak RSS of run (KiB) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
base_run=$(median_ms "$work/v1-run.json" runc)
base_csd=$(median_ms "$work/v1-csd.json" runc)
base_par=$(median_ms "$work/v1-par.json" runc)
row() {  # label view run csd par rss
  echo "| $1 | $2 | $(fmt "$3") | $(printf "%.2f" "$(echo "$3 / $base_run" | bc -l)")x | $(fmt "$4") | $(printf "%.2f" "$(echo "$4 / $base_csd" | bc -l)")x | $(fmt "$5") | $(printf "%.2f" "$(echo "$5 / $base_par" | bc -l)")x | $6 |"
}
for name in "${names[@]}"; do
  row "$name" "v1 only" "$(median_ms "$work/v1-run.json" "$name")" "$(median_ms "$work/v1-csd.json" "$name")" \
      "$(median_ms "$work/v1-par.json" "$name")" "$(rss_kb "$work/v1-time-$name.txt")"
done
if [ -n "${BIN[krill]:-}" ]; then
  row krill "hybrid" "$(median_ms "$work/hybrid-run.json" krill)" "$(median_ms "$work/hybrid-csd.json" krill)" \
      "$(median_ms "$work/hybrid-par.json" krill)" "$(rss_kb "$work/hybrid-time-krill.txt")"
fi
echo
echo "Peak RSS is /usr/bin/time -v's maximum resident set size of one \`run\` (the runtime process tree's largest member)."
