#!/bin/bash
# Startup benchmark: krill-runtime vs runc vs crun running /bin/true from one busybox bundle
# (`runc spec` defaults, args ["/bin/true"], terminal false). Prints a markdown report on stdout;
# hyperfine's progress goes to stderr.
#
#   sudo bench/runtime-startup/run.sh [path/to/krill-runtime] > report.md
#
# Env: RUNS (runs per command per benchmark, default 90; RUNS_SPACED, default 45, for the `run`
# benchmark with SPACING seconds, default 0.2, between runs), ROUNDS (default 9: the runs are split
# into rounds, and the benchmarks, runtimes and cgroup views alternate between rounds, so a load
# change on a shared host hits every runtime alike), CONCURRENT (default 50) and PAR_RUNS
# (default 18) for the concurrent benchmark, RSS_SAMPLES (default 5), RUNC (/usr/sbin/runc),
# CRUN (/usr/bin/crun), SETTLE (seconds to pause after each round's concurrent batches,
# default 3), PAUSE (seconds between the two views' parts of a round, default 1),
# RESULTS_DIR (optional: keep hyperfine's JSON and the RSS samples there).
# Needs root, hyperfine, jq, bc, /usr/bin/time, unshare, busybox-static (/bin/busybox).
#
# What runs where:
# - crun 1.8 refuses this host's hybrid cgroup layout (v1 controllers + cgroup2 at
#   /sys/fs/cgroup/unified), so the three-way comparison runs in a private mount namespace
#   (`unshare -m`) after unmounting /sys/fs/cgroup/unified there: a v1-only view. krill is also
#   measured on the real hybrid layout, in a second private mount namespace.
# - Every runtime's --root (state directory) is on a tmpfs private to that namespace, as /run is
#   on a normal host. The `run` benchmark is repeated with the state directory on the disk
#   (next to the bundle in /tmp), because on this host /run is not a tmpfs.
# - The cgroups are the runtimes' defaults (no cgroupsPath): crun uses /<id>, runc <its own
#   cgroup>/<id>, krill
#   /krill-<id> in every hierarchy. Container ids start with "krillbench-".
# Nothing outside the private mount namespaces, the temp dir and those cgroups is changed; the
# cleanup deletes every container, removes leftover krillbench-* cgroups and the krill/ parent
# cgroups the run created, and checks that nothing is left.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

RUNC=${RUNC:-/usr/sbin/runc}
CRUN=${CRUN:-/usr/bin/crun}
RUNS=${RUNS:-90}
ROUNDS=${ROUNDS:-9}
CONCURRENT=${CONCURRENT:-50}
PAR_RUNS=${PAR_RUNS:-18}
RSS_SAMPLES=${RSS_SAMPLES:-5}
RUNS_SPACED=${RUNS_SPACED:-45}
SPACING=${SPACING:-0.2}

per_round() {  # total -> runs per round (hyperfine needs at least 2)
  local n=$(( ($1 + ROUNDS - 1) / ROUNDS ))
  if [ "$n" -lt 2 ]; then n=2; fi
  echo "$n"
}

# ---------------------------------------------------------------------------------------------
# Inner part: runs inside a private mount namespace. $1 = view (v1 | hybrid), $2 = round number
# or "rss", $3 = the benchmarks to run (a subset of "run spaced disk csd par"), then the runtime
# names.
# ---------------------------------------------------------------------------------------------
inner() {
  view=$1; round=$2; benches=$3; shift 3
  names=("$@")  # globals: the EXIT trap below needs them after this function returned
  if [ "$view" = v1 ] && mountpoint -q /sys/fs/cgroup/unified; then
    umount /sys/fs/cgroup/unified
  fi
  mkdir -p "$work/tmpfs"
  mount -t tmpfs -o mode=0711,size=64m krillbench-state "$work/tmpfs"
  inner_cleanup() {
    local name root id
    for name in "${names[@]}"; do
      for root in "$work/tmpfs/$view-$name" "$work/disk/$view-$name"; do
        [ -d "$root" ] || continue
        for id in $("${BIN[$name]}" --root "$root" list -q 2>/dev/null); do
          "${BIN[$name]}" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
        done
      done
    done
    umount "$work/tmpfs" 2>/dev/null || true
  }
  trap inner_cleanup EXIT

  # The measured commands. `run` is executed directly (hyperfine -N, no shell); the others
  # need a small /bin/sh script. hyperfine runs them in order, so the order rotates per round.
  local name bin troot droot order=("${names[@]}") k
  if [ "$round" != rss ]; then
    for ((k = 0; k < round % ${#names[@]}; k++)); do order=("${order[@]:1}" "${order[0]}"); done
  fi
  local run_cmds=() spaced_cmds=() disk_cmds=() csd_cmds=() par_cmds=()
  for name in "${order[@]}"; do
    bin=${BIN[$name]}
    troot=$work/tmpfs/$view-$name
    droot=$work/disk/$view-$name
    mkdir -p "$troot" "$droot"
    run_cmds+=(-n "$name" "$bin --root $troot run --bundle $bundle krillbench-$name-run")
    spaced_cmds+=(-n "$name" "$bin --root $troot run --bundle $bundle krillbench-$name-spaced")
    disk_cmds+=(-n "$name" "$bin --root $droot run --bundle $bundle krillbench-$name-disk")
    cat > "$work/csd-$view-$name.sh" <<SCRIPT
#!/bin/sh
id=krillbench-$name-csd-\$\$
"$bin" --root "$troot" create --bundle "$bundle" \$id >/dev/null &&
"$bin" --root "$troot" start \$id &&
"$bin" --root "$troot" delete --force \$id
SCRIPT
    cat > "$work/par-$view-$name.sh" <<SCRIPT
#!/bin/sh
seq $CONCURRENT | xargs -P $CONCURRENT -I{} "$bin" --root "$troot" run --bundle "$bundle" krillbench-$name-par-\$\$-{} >/dev/null
SCRIPT
    chmod +x "$work/csd-$view-$name.sh" "$work/par-$view-$name.sh"
    csd_cmds+=(-n "$name" "$work/csd-$view-$name.sh")
    par_cmds+=(-n "$name" "$work/par-$view-$name.sh")
  done
  # Reference floor: fork + the same five new namespaces + exec, no runtime at all.
  if [ "$view" = v1 ]; then run_cmds+=(-n floor "unshare -fpnmiu /bin/true"); fi

  if [ "$round" = rss ]; then
    # Peak RSS: /usr/bin/time's maximum resident set size of one `run` (the largest member of
    # the runtime's process tree, container process included), RSS_SAMPLES times.
    for name in "${names[@]}"; do
      : > "$out/$view-rss-$name.txt"
      for _ in $(seq "$RSS_SAMPLES"); do
        /usr/bin/time -f %M -o "$work/rss.tmp" "${BIN[$name]}" --root "$work/tmpfs/$view-$name" \
          run --bundle "$bundle" "krillbench-$name-rss" >/dev/null
        cat "$work/rss.tmp" >> "$out/$view-rss-$name.txt"
      done
    done
    return
  fi
  local runs spaced_runs par_runs r=$round
  runs=$(per_round "$RUNS")
  spaced_runs=$(per_round "$RUNS_SPACED")
  par_runs=$(per_round "$PAR_RUNS")
  local bench
  for bench in $benches; do
    echo "== $view $bench round $r/$ROUNDS" >&2
    case $bench in
      run) hyperfine -N --style basic --warmup 2 --runs "$runs" --export-json "$out/$view-run-r$r.json" "${run_cmds[@]}" >&2 ;;
      spaced) hyperfine -N --style basic --prepare "sleep $SPACING" --warmup 1 --runs "$spaced_runs" --export-json "$out/$view-spaced-r$r.json" "${spaced_cmds[@]}" >&2 ;;
      disk) hyperfine -N --style basic --warmup 1 --runs "$runs" --export-json "$out/$view-disk-r$r.json" "${disk_cmds[@]}" >&2 ;;
      csd) hyperfine -N --style basic --warmup 1 --runs "$runs" --export-json "$out/$view-csd-r$r.json" "${csd_cmds[@]}" >&2 ;;
      par) hyperfine -N --style basic --warmup 1 --runs "$par_runs" --export-json "$out/$view-par-r$r.json" "${par_cmds[@]}" >&2 ;;
    esac
  done
}

# ---------------------------------------------------------------------------------------------
# Statistics over the rounds' JSON files.
# ---------------------------------------------------------------------------------------------
stat_ms() {  # view bench name which(median|p25|p75) -> milliseconds
  jq -s -r --arg n "$3" --arg w "$4" '
    [.[] | .results[] | select(.command == $n) | .times[]] | sort as $t | ($t | length) as $l |
    if $l == 0 then "nan" else
      (if $w == "median" then (if $l % 2 == 1 then $t[($l - 1) / 2] else ($t[$l / 2 - 1] + $t[$l / 2]) / 2 end)
       elif $w == "p25" then $t[(($l - 1) * 0.25 | floor)]
       else $t[(($l - 1) * 0.75 | ceil)] end) * 1000
    end' "$out/$1-$2"-r*.json
}
count() { jq -s -r --arg n "$3" '[.[] | .results[] | select(.command == $n) | .times[]] | length' "$out/$1-$2"-r*.json; }
rss_median() { sort -n "$out/$1-rss-$2.txt" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
rss_max() { sort -n "$out/$1-rss-$2.txt" | tail -1; }
f1() { printf '%.1f' "$1"; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
cell() { echo "$(f1 "$(stat_ms "$1" "$2" "$3" median)") ($(f1 "$(stat_ms "$1" "$2" "$3" p25)")–$(f1 "$(stat_ms "$1" "$2" "$3" p75)"))"; }

report() {
  local has_krill=$1
  local k_run c_run k_rss c_rss
  echo "## Runtime startup: krill-runtime vs runc vs crun (busybox bundle, /bin/true)"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: Linux $(uname -r), $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM."
  echo "- cgroups: $(awk '{for (i = 7; i <= NF; i++) if ($i == "-") {t = $(i + 1); break}} t == "cgroup" {n++} t == "cgroup2" {u = $5} END {printf "%d v1 hierarchies + cgroup2 at %s", n, u}' /proc/self/mountinfo); state dirs on tmpfs unless noted; bundle and disk state on $(findmnt -n -o FSTYPE -T "$work") ($work)."
  echo "- Load average (1, 5, 15 min) before: $load_before; 1-min load at the start of each round: $(paste -sd' ' "$work/loads") (the benchmark's own processes count too)."
  echo "- Versions: runc $("$RUNC" --version | awk 'NR == 1 {print $3}'), crun $("$CRUN" --version | awk 'NR == 1 {print $3}')${BIN[krill]:+, krill-runtime $("${BIN[krill]}" --version | awk 'NR == 1 {print $3}') (${BIN[krill]})}."
  echo "- Runs per command: $RUNS per benchmark ($RUNS_SPACED for the spaced \`run\`, $PAR_RUNS for the concurrent one) in $ROUNDS alternating rounds; RSS: median of $RSS_SAMPLES."
  echo "- Cells are median (p25–p75) wall time in ms over all rounds."
  echo
  echo "### v1-only cgroup view (all three runtimes)"
  echo
  if [ "$has_krill" = 1 ]; then
    echo "| benchmark | krill | runc | crun | krill/crun | krill/runc |"
    echo "|---|---:|---:|---:|---:|---:|"
  else
    echo "| benchmark | runc | crun |"
    echo "|---|---:|---:|"
  fi
  local bench label
  for bench in run spaced csd par disk; do
    case $bench in
      run) label="\`run\` /bin/true, back to back" ;;
      spaced) label="\`run\` /bin/true, runs ${SPACING}s apart" ;;
      csd) label="create + start + delete (3 invocations)" ;;
      par) label="$CONCURRENT concurrent \`run\`s (wall time of the batch)" ;;
      disk) label="\`run\` /bin/true, state dir on disk ($(findmnt -n -o FSTYPE -T "$work"))" ;;
    esac
    if [ "$has_krill" = 1 ]; then
      echo "| $label | $(cell v1 $bench krill) | $(cell v1 $bench runc) | $(cell v1 $bench crun) | $(ratio "$(stat_ms v1 $bench krill median)" "$(stat_ms v1 $bench crun median)") | $(ratio "$(stat_ms v1 $bench krill median)" "$(stat_ms v1 $bench runc median)") |"
    else
      echo "| $label | $(cell v1 $bench runc) | $(cell v1 $bench crun) |"
    fi
  done
  if [ "$has_krill" = 1 ]; then
    echo "| peak RSS of \`run\`, KiB (median; max) | $(rss_median v1 krill); $(rss_max v1 krill) | $(rss_median v1 runc); $(rss_max v1 runc) | $(rss_median v1 crun); $(rss_max v1 crun) | $(ratio "$(rss_median v1 krill)" "$(rss_median v1 crun)") | $(ratio "$(rss_median v1 krill)" "$(rss_median v1 runc)") |"
  else
    echo "| peak RSS of \`run\`, KiB (median; max) | $(rss_median v1 runc); $(rss_max v1 runc) | $(rss_median v1 crun); $(rss_max v1 crun) |"
  fi
  echo
  echo "Floor (\`unshare -fpnmiu /bin/true\`: fork, the same five new namespaces, exec; no runtime): $(cell v1 run floor) ms."
  if [ "$has_krill" = 1 ]; then
    echo
    echo "### krill-runtime on the real hybrid layout (v1 controllers + cgroup2)"
    echo
    echo "| benchmark | krill (hybrid) | krill (v1-only view, above) |"
    echo "|---|---:|---:|"
    for bench in run spaced csd par disk; do
      case $bench in
        run) label="\`run\` /bin/true, back to back" ;;
        spaced) label="\`run\`, runs ${SPACING}s apart" ;;
        csd) label="create + start + delete" ;;
        par) label="$CONCURRENT concurrent \`run\`s" ;;
        disk) label="\`run\`, state dir on disk" ;;
      esac
      echo "| $label | $(cell hybrid $bench krill) | $(cell v1 $bench krill) |"
    done
    echo "| peak RSS of \`run\`, KiB (median; max) | $(rss_median hybrid krill); $(rss_max hybrid krill) | $(rss_median v1 krill); $(rss_max v1 krill) |"
    echo
    echo "### Targets"
    echo
    local bench_ verdict
    for bench_ in run spaced; do
      k_run=$(stat_ms v1 $bench_ krill median); c_run=$(stat_ms v1 $bench_ crun median)
      verdict=$(echo "$k_run <= 0.6 * $c_run" | bc -l)
      echo "- \`run\` ($([ $bench_ = run ] && echo "back to back" || echo "${SPACING}s apart")) median ≤ 0.6 × crun: krill $(f1 "$k_run") ms vs 0.6 × $(f1 "$c_run") = $(f1 "$(echo "0.6 * $c_run" | bc -l)") ms → ratio $(ratio "$k_run" "$c_run"): **$([ "$verdict" = 1 ] && echo met || echo MISSED)**."
    done
    k_rss=$(rss_median v1 krill); c_rss=$(rss_median v1 crun)
    verdict=$(echo "$k_rss <= $c_rss" | bc -l)
    echo "- peak RSS ≤ crun: krill $k_rss KiB vs crun $c_rss KiB: **$([ "$verdict" = 1 ] && echo met || echo MISSED)**."
  fi
}

# ---------------------------------------------------------------------------------------------
# Cleanup outside the namespaces: containers on disk roots, leftover cgroups, the temp dir.
# ---------------------------------------------------------------------------------------------
cleanup() {
  local rc=$?
  set +e
  local name root id dir
  for name in "${names[@]}"; do
    for root in "$work"/disk/*-"$name"; do
      [ -d "$root" ] || continue
      for id in $("${BIN[$name]}" --root "$root" list -q 2>/dev/null); do
        "${BIN[$name]}" --root "$root" delete --force "$id" >/dev/null 2>&1
      done
    done
  done
  # Cgroups of containers a failed run left behind (deepest first), then the krill/ parents that
  # did not exist before this run.
  find /sys/fs/cgroup -depth -type d -name 'krillbench-*' -exec rmdir {} \; 2>/dev/null
  for dir in /sys/fs/cgroup/*/krill; do
    [ -d "$dir" ] || continue
    grep -qxF "$dir" "$work/krill-parents-before" 2>/dev/null || rmdir "$dir" 2>/dev/null
  done
  local left
  left=$(find /sys/fs/cgroup -name 'krillbench-*' 2>/dev/null; grep -F "$work" /proc/self/mountinfo)
  [ -n "$left" ] && { echo "warning: left behind:" >&2; echo "$left" >&2; }
  rm -rf "$work"
  exit "$rc"
}

# ---------------------------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------------------------
declare -A BIN=([runc]=$RUNC [crun]=$CRUN)
if [ "${1:-}" = --inner ]; then
  # Re-entered by the outer script inside `unshare -m`: the state comes from the environment.
  shift
  BIN[krill]=${KRILL_BIN:-}
  inner "$@"
  exit 0
fi

KRILL=${1:-${KRILL_RUNTIME:-}}
if [ -z "$KRILL" ]; then
  for candidate in "$repo"/build*/src/cli/krill-runtime; do
    [ -x "$candidate" ] && KRILL=$candidate && break
  done
fi
for tool in hyperfine jq bc /usr/bin/time /bin/busybox unshare mountpoint findmnt "$RUNC" "$CRUN"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }

names=(runc crun)
if [ -n "$KRILL" ] && [ -x "$KRILL" ]; then
  BIN[krill]=$(readlink -f "$KRILL")
  names=(krill runc crun)
else
  echo "note: krill-runtime not found (pass its path); measuring runc and crun only" >&2
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d /tmp/krill-bench-XXXXXX)
chmod 0711 "$work"
out=$work/out
mkdir -p "$out" "$work/disk"
ls -d /sys/fs/cgroup/*/krill 2>/dev/null > "$work/krill-parents-before" || true
trap cleanup EXIT

bundle=$work/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/dev" "$bundle/rootfs/sys"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in sh true; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
(cd "$bundle" && "$RUNC" spec)
jq '.process.args = ["/bin/true"] | .process.terminal = false' "$bundle/config.json" > "$work/c.json"
mv "$work/c.json" "$bundle/config.json"

export work out bundle RUNS ROUNDS CONCURRENT PAR_RUNS RSS_SAMPLES RUNS_SPACED SPACING RUNC CRUN
export KRILL_BIN=${BIN[krill]:-}
self=$(readlink -f "$0")
# Rounds alternate between the two views too, so both see the same host load. The concurrent
# batches come last in a round and are followed by a pause: the kernel tears network namespaces
# down asynchronously, and hundreds of them would otherwise slow whatever runs next.
view() {  # view round benches
  if [ "$1" = v1 ]; then
    unshare -m --propagation private "$self" --inner v1 "$2" "$3" "${names[@]}"
  elif [ -n "${BIN[krill]:-}" ]; then
    unshare -m --propagation private "$self" --inner hybrid "$2" "$3" krill
  fi
}
views() {  # round benches; odd rounds start with the v1 view, even ones with the hybrid one
  if [ $(( ${1/rss/1} % 2 )) = 1 ]; then
    view v1 "$1" "$2"; sleep "${PAUSE:-1}"; view hybrid "$1" "$2"
  else
    view hybrid "$1" "$2"; sleep "${PAUSE:-1}"; view v1 "$1" "$2"
  fi
}
for round in $(seq "$ROUNDS"); do
  cut -d' ' -f1 /proc/loadavg >> "$work/loads"
  views "$round" "run spaced disk csd"
  views "$round" par
  sleep "${SETTLE:-3}"
done
views rss -

if [ -n "${RESULTS_DIR:-}" ]; then
  mkdir -p "$RESULTS_DIR"
  cp "$out"/* "$RESULTS_DIR"/
fi
report "$([ -n "${BIN[krill]:-}" ] && echo 1 || echo 0)"
