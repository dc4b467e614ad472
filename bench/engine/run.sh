#!/bin/bash
# Engine benchmarks of issue 4: `krill run --rm IMG true` vs `podman run --rm IMG true` (podman
# with Debian's runc), `krill ps -a` with many containers (and `podman ps -a`), and the memory of
# the monitors of 100 detached containers (krill-monitor vs conmon). Prints a markdown report on
# stdout; hyperfine's progress goes to stderr.
#
#   sudo bench/engine/run.sh [path/to/krill] > report.md
#
# The krill binary defaults to build/src/cli/krill; krill-monitor and krill-runtime are taken from
# the same directory (as krill itself does).
#
# Env: RUNS (timed `run --rm` runs per command, default 30, split into ROUNDS rounds, default 3,
# whose command order rotates so that a load change on a shared host hits every command alike),
# PS_COUNT (containers for `krill ps -a`, default 1000), PODMAN_PS_COUNT (containers for
# `podman ps -a`, default 200: podman create takes ~0.3 s each; krill ps is measured at this count
# too), PS_RUNS (default 20), DETACHED (detached containers for the monitor memory, default 100),
# RUNC (/usr/sbin/runc), RESULTS_DIR (optional: keep hyperfine's JSON, the strace logs and the
# smaps samples there).
# Needs root, hyperfine, jq, bc, strace, python3, podman, conmon, busybox-static (/bin/busybox).
#
# What it measures:
# - The image: a rootfs tar with bin/busybox (Debian's busybox-static), one symlink per applet,
#   the directories docker.io/library/busybox has (dev etc proc root sys tmp usr var) and its
#   /etc/passwd and /etc/group, imported by `krill import` and `podman import` as localhost/bb:1.
#   (Until 2026-12-08 the image had bin/ only: both runtimes then created proc, dev, sys and etc
#   in each container's upper dir.)
# - Both engines run with --network none and the same --ulimit nofile=1024:1024
#   --ulimit nproc=1024:1024 (runc fails to raise RLIMIT_NPROC/NOFILE to podman's defaults on this
#   host, which lacks CAP_SYS_RESOURCE in its bounding set).
# - podman: --runtime $RUNC --cgroup-manager cgroupfs --events-backend file, storage driver
#   overlay, its --root, --runroot and --tmpdir in the temp dir. krill: --root and --runroot in
#   the temp dir, its built-in runtime and `--runtime $RUNC`.
# - The breakdown of one `krill run --rm` comes from `strace -f -ttt` of a single run (execve,
#   clone, wait4, exit_group, openat, fsync/fdatasync; --seccomp-bpf so other syscalls are not
#   stopped), plus `krill --version` timed alone (process start floor) and LD_DEBUG=statistics.
# Nothing outside the temp dir is changed; the cleanup removes every container (krill rm -f -a,
# podman rm -f -a, podman system reset on its own root), unmounts what is left under the temp
# dir and checks that no krill-monitor or conmon of this run is left.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

RUNC=${RUNC:-/usr/sbin/runc}
RUNS=${RUNS:-30}
ROUNDS=${ROUNDS:-3}
PS_COUNT=${PS_COUNT:-1000}
PODMAN_PS_COUNT=${PODMAN_PS_COUNT:-200}
PS_RUNS=${PS_RUNS:-20}
DETACHED=${DETACHED:-100}

KRILL=$(readlink -f "${1:-$repo/build/src/cli/krill}")
for tool in hyperfine jq bc strace python3 podman conmon /bin/busybox "$RUNC" "$KRILL" \
  "$(dirname "$KRILL")/krill-monitor" "$(dirname "$KRILL")/krill-runtime"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d /tmp/krill-bench-engine-XXXXXX)
chmod 0711 "$work"
out=$work/out
mkdir -p "$out"

IMG=localhost/bb:1
LIMITS=(--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
k_()  { "$KRILL" --root "$work/k-store" --runroot "$work/k-run" "$@"; }
kps_() { "$KRILL" --root "$work/ps-store" --runroot "$work/ps-run" "$@"; }
P=(podman --runtime "$RUNC" --cgroup-manager cgroupfs --events-backend file --root "$work/podman"
   --runroot "$work/podman-run" --tmpdir "$work/podman-tmp" --storage-driver overlay)
p_() { "${P[@]}" "$@"; }

monitors() {  # pids of this run's krill-monitor (k-run) or conmon (podman-run) processes
  local pattern=$1 pid
  for pid in $(pgrep -f -- "$pattern" || true); do
    [ -r "/proc/$pid/smaps_rollup" ] && echo "$pid"
  done
}

cleanup() {
  local rc=$?
  set +e
  local store
  for store in k ps; do
    [ -d "$work/$store-store" ] &&
      "$KRILL" --root "$work/$store-store" --runroot "$work/$store-run" rm -f -a >/dev/null 2>&1
  done
  if [ -d "$work/podman" ]; then
    p_ rm -f -a -t 0 >/dev/null 2>&1
    p_ system reset --force >/dev/null 2>&1
  fi
  grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r umount 2>/dev/null
  local left
  left=$(pgrep -af -- "krill-monitor $work/|conmon.*$work/"; grep -F " $work/" /proc/self/mountinfo)
  [ -n "$left" ] && { echo "warning: left behind:" >&2; echo "$left" >&2; }
  if [ -n "${RESULTS_DIR:-}" ]; then mkdir -p "$RESULTS_DIR"; cp -r "$out"/. "$RESULTS_DIR"/; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# ---- the image ------------------------------------------------------------------------------

mkdir -p "$work/rootfs"/{bin,dev,etc,proc,root,sys,tmp,usr,var}
chmod 1777 "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$work/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' \
  >"$work/rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$work/rootfs/etc/group"
tar -C "$work/rootfs" -cf "$work/r.tar" .
rm -rf "$work/rootfs"
k_ import "$work/r.tar" "$IMG" >/dev/null
kps_ import "$work/r.tar" "$IMG" >/dev/null
p_ import -q "$work/r.tar" "$IMG" >/dev/null
# One run of each first (page cache, podman's first-use set-up), not timed.
k_ run --rm "${LIMITS[@]}" "$IMG" true
p_ run --rm "${LIMITS[@]}" "$IMG" true

# ---- 1. run --rm true -----------------------------------------------------------------------

names=("krill" "krill --runtime runc" "podman (runc)")
declare -A CMD=(
  [krill]="$KRILL --root $work/k-store --runroot $work/k-run run --rm ${LIMITS[*]} $IMG true"
  [krill --runtime runc]="$KRILL --root $work/k-store --runroot $work/k-run run --rm --runtime $RUNC ${LIMITS[*]} $IMG true"
  [podman (runc)]="${P[*]} run --rm ${LIMITS[*]} $IMG true"
)
per_round=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
[ "$per_round" -ge 2 ] || per_round=2
: > "$work/loads"
for ((r = 1; r <= ROUNDS; r++)); do
  cut -d' ' -f1 /proc/loadavg >> "$work/loads"
  order=("${names[@]}")
  for ((k = 0; k < (r - 1) % ${#names[@]}; k++)); do order=("${order[@]:1}" "${order[0]}"); done
  args=()
  for name in "${order[@]}"; do args+=(-n "$name" "${CMD[$name]}"); done
  echo "== run --rm true, round $r/$ROUNDS" >&2
  # -i: `krill run --runtime runc` fails now and then (see the report); failures are counted.
  hyperfine -N -i --style basic --warmup 2 --runs "$per_round" --export-json "$out/run-r$r.json" "${args[@]}" >&2
done
# Process start alone: krill --version, krill-runtime --version, and ps -a of an empty store.
echo "== process start" >&2
hyperfine -N --style basic --warmup 3 --runs 30 --export-json "$out/start.json" \
  -n "krill --version" "$KRILL --version" \
  -n "krill-runtime --version" "$(dirname "$KRILL")/krill-runtime --version" \
  -n "krill ps -a (0 containers)" "$KRILL --root $work/k-store --runroot $work/k-run ps -a" \
  -n "podman --version" "podman --version" >&2

# ---- breakdown of one krill run --rm ----------------------------------------------------------

for rt in krill runc; do
  rtflag=(); [ "$rt" = runc ] && rtflag=(--runtime "$RUNC")
  for attempt in 1 2 3 4 5; do  # a successful run (see the failures counted above)
    strace --seccomp-bpf -f -ttt -s 200 -o "$out/strace-$rt.txt" \
      -e trace=execve,clone,clone3,fork,vfork,wait4,exit_group,openat,fsync,fdatasync \
      "$KRILL" --root "$work/k-store" --runroot "$work/k-run" run --rm "${rtflag[@]}" "${LIMITS[@]}" "$IMG" true &&
      break
  done
done
ldd_count=$(ldd "$KRILL" | wc -l)
ld_stats=$(LD_DEBUG=statistics "$KRILL" --version 2>&1 >/dev/null | tr -d '\t' |
  sed -n 's/^ *[0-9]*: *//p' | grep -E 'total startup time|number of relocations|objects loaded' | sed 's/  */ /g')
text_kb=$(size "$KRILL" | awk 'NR == 2 {printf "%d", $1 / 1024}')

cat > "$work/phases.py" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
ev = []  # (pid, t, text)
for l in lines:
    m = re.match(r'(\d+) +(\d+\.\d+) (.*)', l)
    if m: ev.append((int(m.group(1)), float(m.group(2)), m.group(3)))
main = ev[0][0]; t0 = ev[0][1]
def first(pred, after=0.0):
    for p, t, s in ev:
        if t >= after and pred(p, t, s): return (p, t, s)
    return None
def exited(pid):
    e = first(lambda p, t, s: p == pid and s.startswith('+++ exited'))
    return e[1] if e else None
def execve_of(word, after=0.0):
    return first(lambda p, t, s: s.startswith('execve(') and word in s.split(', [')[1][:300], after)
last_so = max((t for p, t, s in ev if p == main and s.startswith('openat(') and '.so' in s
               and t < (execve_of('krill-monitor') or (0, 1e18))[1]), default=t0)
first_own = first(lambda p, t, s: p == main and s.startswith('openat(') and '.so' not in s
                  and '/etc/ld.so' not in s and '/proc/' not in s and t > last_so)
mon = execve_of('krill-monitor')
create = execve_of('"create"')
start = execve_of('"start"')
ctr = first(lambda p, t, s: s.startswith('execve(') and '["true"]' in s)
delete = execve_of('"delete"')
exitcmd = first(lambda p, t, s: s.startswith('execve(') and p != main and re.search(r'/krill", \[', s) is not None)
end = exited(main)
fork_mon = max((t for p, t, s in ev if p == main and re.match(r'(clone|clone3|fork|vfork)\(', s)
                and 'CLONE_THREAD' not in s and t < mon[1]), default=mon[1])
ctr_exit = exited(ctr[0])
reap = first(lambda p, t, s: s.startswith('wait4(') and ('= %d' % ctr[0]) in s, ctr_exit)
noticed = first(lambda p, t, s: p == main and s.startswith('openat(') and 'exit.json' in s, ctr_exit)
def span(e):
    return (e[1], exited(e[0])) if e else (None, None)
rows = [
    ("krill process start: exec, dynamic loading (last .so opened)", t0, last_so),
    ("krill: static init, CLI parsing until its first own file", last_so, first_own[1]),
    ("krill: DB, image, snapshot (rootfs), spec until it forks the monitor", first_own[1], fork_mon),
    ("monitor spawn: fork, exec krill-monitor, until the runtime's exec", fork_mon, create[1]),
    ("runtime create (exec to exit)", create[1], exited(create[0])),
] + ([
    ("create done → runtime start exec (monitor reports, krill records)", exited(create[0]), start[1]),
    ("runtime start until the container's exec", start[1], ctr[1]),
] if start else [
    # krill's built-in runtime starts the container in the krill process (no exec).
    ("create done → the container's exec (monitor reports, krill records, starts it in-process)",
     exited(create[0]), ctr[1]),
]) + [
    ("container runs `true`", ctr[1], ctr_exit),
    ("monitor reaps it (wait4)", ctr_exit, reap[1] if reap else None),
    ("krill run notices the exit (reads exit.json)", ctr_exit, noticed[1] if noticed else None),
    ("krill run removes the container (umount, files, DB) and exits", noticed[1] if noticed else None, end),
    # Not there when `krill run --rm` cleans up alone (the built-in runtime's delete in-process).
    ("runtime delete, exec to exit (the monitor's; krill run's own for --rm)", *span(delete)),
    ("concurrently, monitor: exit command (krill re-run) exec to exit", *span(exitcmd)),
]
print("| phase | from (ms) | duration (ms) |")
print("|---|---:|---:|")
for name, a, b in rows:
    if a is None or b is None:
        print("| %s | n/a | n/a |" % name)
    else:
        print("| %s | %.1f | %.1f |" % (name, (a - t0) * 1000, (b - a) * 1000))
print("| **total (under strace)** | | **%.1f** |" % ((end - t0) * 1000))
def who(pid):
    for p, t, s in ev:
        if p == pid and s.startswith('execve('):
            verb = re.search(r'", "(create|start|delete|kill|state|init|exit|run)"', s)
            return s.split('"')[1].rsplit('/', 1)[-1] + (' ' + verb.group(1) if verb else '')
    return None
syncs = {}
for p, t, s in ev:
    if re.match(r'(fsync|fdatasync)\(', s): syncs[p] = syncs.get(p, 0) + 1
procs = {}
for p, t, s in ev:
    if s.startswith('execve('): procs.setdefault(p, who(p))
print()
print("fsync/fdatasync calls per process: " + (", ".join("%s (pid %d): %d" % (procs.get(p) or 'forked child of %d' % main, p, n) for p, n in syncs.items()) or "none"))
print()
print("Processes exec'd: " + ", ".join("`%s`" % v for v in procs.values()))
PY

# ---- 2. ps -a with many containers -----------------------------------------------------------

create_loop() {  # tool count -> seconds for creating `count` more containers
  local tool=$1 n=$2 i t0
  t0=$(date +%s.%N)
  for ((i = 0; i < n; i++)); do
    if [ "$tool" = krill ]; then kps_ create "${LIMITS[@]}" "$IMG" true >/dev/null
    else p_ create "${LIMITS[@]}" "$IMG" true >/dev/null; fi
  done
  echo "$(date +%s.%N) - $t0" | bc -l
}
echo "== creating $PODMAN_PS_COUNT containers each" >&2
k_create_small=$(create_loop krill "$PODMAN_PS_COUNT")
p_create_small=$(create_loop podman "$PODMAN_PS_COUNT")
[ "$(kps_ ps -a -q | wc -l)" = "$PODMAN_PS_COUNT" ] || { echo "krill ps -a: wrong count" >&2; exit 1; }
[ "$(p_ ps -a -q | wc -l)" = "$PODMAN_PS_COUNT" ] || { echo "podman ps -a: wrong count" >&2; exit 1; }
echo "== ps -a, $PODMAN_PS_COUNT containers" >&2
hyperfine -N --style basic --warmup 2 --runs "$PS_RUNS" --export-json "$out/ps-small.json" \
  -n "krill ps -a" "$KRILL --root $work/ps-store --runroot $work/ps-run ps -a" \
  -n "podman ps -a" "${P[*]} ps -a" >&2
p_ rm -a >/dev/null
echo "== creating $((PS_COUNT - PODMAN_PS_COUNT)) more krill containers" >&2
k_create_big=$(create_loop krill $((PS_COUNT - PODMAN_PS_COUNT)))
[ "$(kps_ ps -a -q | wc -l)" = "$PS_COUNT" ] || { echo "krill ps -a: wrong count" >&2; exit 1; }
echo "== krill ps -a, $PS_COUNT containers" >&2
hyperfine -N --style basic --warmup 2 --runs "$PS_RUNS" --export-json "$out/ps-big.json" \
  -n "krill ps -a" "$KRILL --root $work/ps-store --runroot $work/ps-run ps -a" \
  -n "krill ps -a -q" "$KRILL --root $work/ps-store --runroot $work/ps-run ps -a -q" >&2
echo "== removing them" >&2
t0=$(date +%s.%N)
kps_ rm -a >/dev/null
k_rm_all=$(echo "$(date +%s.%N) - $t0" | bc -l)

# ---- 3. monitors of detached containers ------------------------------------------------------

mem() {  # pids... -> "count rss_kib pss_kib"
  local pid c=0 rss=0 pss=0 a b
  for pid in "$@"; do
    read -r a b < <(awk '/^Rss:/ {r = $2} /^Pss:/ {p = $2} END {print r, p}' "/proc/$pid/smaps_rollup")
    c=$((c + 1)); rss=$((rss + a)); pss=$((pss + b))
  done
  echo "$c $rss $pss"
}
echo "== $DETACHED detached containers each" >&2
t0=$(date +%s.%N)
for ((i = 0; i < DETACHED; i++)); do k_ run -d "${LIMITS[@]}" "$IMG" sleep 600 >/dev/null; done
k_det=$(echo "$(date +%s.%N) - $t0" | bc -l)
t0=$(date +%s.%N)
for ((i = 0; i < DETACHED; i++)); do p_ run -d "${LIMITS[@]}" "$IMG" sleep 600 >/dev/null; done
p_det=$(echo "$(date +%s.%N) - $t0" | bc -l)
sleep 2
mapfile -t kmon < <(monitors "krill-monitor $work/k-run/")
mapfile -t cmon < <(monitors "conmon .*$work/podman")
read -r k_n k_rss k_pss < <(mem "${kmon[@]}")
read -r c_n c_rss c_pss < <(mem "${cmon[@]}")
for pid in "${kmon[@]:0:1}" "${cmon[@]:0:1}"; do cat "/proc/$pid/smaps_rollup" > "$out/smaps-$pid.txt"; done
echo "== stopping them" >&2
t0=$(date +%s.%N)
k_ rm -f -a >/dev/null
k_rmf=$(echo "$(date +%s.%N) - $t0" | bc -l)
t0=$(date +%s.%N)
p_ rm -f -a -t 0 >/dev/null
p_rmf=$(echo "$(date +%s.%N) - $t0" | bc -l)

# ---- report ---------------------------------------------------------------------------------

stat_ms() {  # name which(median|p25|p75) -> ms over all rounds of the run benchmark
  jq -s -r --arg n "$1" --arg w "$2" '
    [.[] | .results[] | select(.command == $n) | .times[]] | sort as $t | ($t | length) as $l |
    (if $w == "median" then (if $l % 2 == 1 then $t[($l - 1) / 2] else ($t[$l / 2 - 1] + $t[$l / 2]) / 2 end)
     elif $w == "p25" then $t[(($l - 1) * 0.25 | floor)]
     else $t[(($l - 1) * 0.75 | ceil)] end) * 1000' "$out"/run-r*.json
}
count() { jq -s -r --arg n "$1" '[.[] | .results[] | select(.command == $n) | .times[]] | length' "$out"/run-r*.json; }
failed() { jq -s -r --arg n "$1" '[.[] | .results[] | select(.command == $n) | .exit_codes[] | select(. != 0)] | length' "$out"/run-r*.json; }
median_ms() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .median * 1000' "$out/$1.json"; }
range_ms() { jq -r --arg n "$2" '.results[] | select(.command == $n) | "\(.min * 1000 * 10 | floor / 10)–\(.max * 1000 * 10 | floor / 10)"' "$out/$1.json"; }
f1() { printf '%.1f' "$1"; }
f0() { printf '%.0f' "$1"; }
ratio() { printf '%.3f' "$(echo "$1 / $2" | bc -l)"; }
verdict() { [ "$(echo "$1" | bc -l)" = 1 ] && echo met || echo MISSED; }

k=$(stat_ms krill median); kr=$(stat_ms "krill --runtime runc" median); p=$(stat_ms "podman (runc)" median)
echo "## Engine (issue 4)"
echo
echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: Linux $(uname -r), $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(findmnt -n -o FSTYPE -T "$work") under $work (stores and state dirs of both engines)."
echo "- Load average before: $load_before; 1-min load at the start of each \`run\` round: $(paste -sd' ' "$work/loads"); after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "- Versions: krill $("$KRILL" --version 2>/dev/null | head -1 | awk '{print $NF}') ($KRILL), podman $(podman --version | awk '{print $3}'), conmon $(conmon --version | awk 'NR == 1 {print $3}'), runc $("$RUNC" --version | awk 'NR == 1 {print $3}'), hyperfine $(hyperfine --version | awk '{print $2}')."
echo "- Image localhost/bb:1: Debian's busybox-static ($(/bin/busybox | head -1 | awk '{print $2}')) with its applet symlinks, imported by \`krill import\` and \`podman import\`. Both engines: \`${LIMITS[*]}\`; podman: \`--runtime $RUNC --cgroup-manager cgroupfs --events-backend file --storage-driver overlay\`, own --root/--runroot/--tmpdir."
echo
echo "### \`run --rm IMG true\`"
echo
echo "$(count krill) timed runs per command (hyperfine -N, 2 warmups per round) in $ROUNDS rounds with rotating order. Median (p25–p75) wall time in ms:"
echo
echo "| command | median (p25–p75) ms | / podman | failed runs |"
echo "|---|---:|---:|---:|"
for name in "${names[@]}"; do
  m=$(stat_ms "$name" median)
  echo "| ${name} | $(f1 "$m") ($(f1 "$(stat_ms "$name" p25)")–$(f1 "$(stat_ms "$name" p75)")) | $(ratio "$m" "$p") | $(failed "$name") of $(count "$name") |"
done
echo
echo "Process start alone (hyperfine, 30 runs, median (min–max) ms):"
echo
echo "| command | median (min–max) ms |"
echo "|---|---:|"
for name in "krill --version" "krill-runtime --version" "krill ps -a (0 containers)" "podman --version"; do
  echo "| $name | $(f1 "$(median_ms start "$name")") ($(range_ms start "$name")) |"
done
echo
echo "- krill: $ldd_count lines of \`ldd\`; text segment $text_kb KiB; LD_DEBUG=statistics of \`krill --version\`: $(echo "$ld_stats" | paste -sd';' | sed 's/;/; /g')."
echo
for rt in krill runc; do
  echo "Breakdown of one \`krill run --rm$([ $rt = runc ] && echo " --runtime runc") IMG true\` under strace (times inflated by strace's stops at each traced call):"
  echo
  python3 "$work/phases.py" "$out/strace-$rt.txt"
  echo
done
echo "### \`ps -a\`"
echo
echo "| command | containers | median (min–max) ms |"
echo "|---|---:|---:|"
echo "| krill ps -a | $PODMAN_PS_COUNT | $(f1 "$(median_ms ps-small "krill ps -a")") ($(range_ms ps-small "krill ps -a")) |"
echo "| podman ps -a | $PODMAN_PS_COUNT | $(f1 "$(median_ms ps-small "podman ps -a")") ($(range_ms ps-small "podman ps -a")) |"
echo "| krill ps -a | $PS_COUNT | $(f1 "$(median_ms ps-big "krill ps -a")") ($(range_ms ps-big "krill ps -a")) |"
echo "| krill ps -a -q | $PS_COUNT | $(f1 "$(median_ms ps-big "krill ps -a -q")") ($(range_ms ps-big "krill ps -a -q")) |"
echo
more=""
[ "$PS_COUNT" -gt "$PODMAN_PS_COUNT" ] &&
  more=", $(f1 "$(echo "$k_create_big * 1000 / ($PS_COUNT - $PODMAN_PS_COUNT)" | bc -l)") ms each (the next $((PS_COUNT - PODMAN_PS_COUNT)))"
echo "Creating them one \`create\` at a time: krill $(f1 "$(echo "$k_create_small * 1000 / $PODMAN_PS_COUNT" | bc -l)") ms each (first $PODMAN_PS_COUNT)$more; podman $(f1 "$(echo "$p_create_small * 1000 / $PODMAN_PS_COUNT" | bc -l)") ms each. \`krill rm -a\` of $PS_COUNT: $(f1 "$k_rm_all") s. $PS_RUNS runs per \`ps\` after 2 warmups."
echo
echo "### Monitors of $DETACHED detached \`sleep 600\` containers"
echo
echo "| monitor | processes | total RSS MiB | total PSS MiB | PSS per container KiB |"
echo "|---|---:|---:|---:|---:|"
echo "| krill-monitor | $k_n | $(f1 "$(echo "$k_rss / 1024" | bc -l)") | $(f1 "$(echo "$k_pss / 1024" | bc -l)") | $(f0 "$(echo "$k_pss / $k_n" | bc -l)") |"
echo "| conmon | $c_n | $(f1 "$(echo "$c_rss / 1024" | bc -l)") | $(f1 "$(echo "$c_pss / 1024" | bc -l)") | $(f0 "$(echo "$c_pss / $c_n" | bc -l)") |"
echo
echo "Starting them: krill $(f0 "$(echo "$k_det * 1000 / $DETACHED" | bc -l)") ms per \`run -d\`, podman $(f0 "$(echo "$p_det * 1000 / $DETACHED" | bc -l)") ms. Removing them (\`rm -f -a\`): krill $(f1 "$k_rmf") s, podman (\`-t 0\`) $(f1 "$p_rmf") s."
echo
echo "### Targets"
echo
echo "- \`krill run --rm\` ≤ 0.1 × podman: $(f1 "$k") ms vs $(f1 "$p") ms → ratio $(ratio "$k" "$p"): **$(verdict "$k <= 0.1 * $p")**. With --runtime runc: $(f1 "$kr") ms, ratio $(ratio "$kr" "$p")."
kp=$(median_ms ps-big "krill ps -a")
echo "- \`krill ps -a\` with $PS_COUNT containers < 50 ms: $(f1 "$kp") ms: **$(verdict "$kp < 50")**."
echo "- monitor ≤ 1 MiB RSS per idle container: krill-monitor $(f0 "$(echo "$k_rss / $k_n" | bc -l)") KiB RSS ($(f0 "$(echo "$k_pss / $k_n" | bc -l)") KiB PSS) per container: **$(verdict "$k_rss / $k_n <= 1024")**; conmon $(f0 "$(echo "$c_rss / $c_n" | bc -l)") KiB RSS ($(f0 "$(echo "$c_pss / $c_n" | bc -l)") KiB PSS)."
