#!/bin/bash
# Build benchmark of issue 5: `krill build` vs `buildah bud --layers` vs `podman build` of the same
# multi-stage Dockerfile (bench/build/Dockerfile) and the same generated context, all three on
# storage driver overlay with private stores. Prints a markdown report on stdout; hyperfine's
# progress goes to stderr.
#
#   sudo bench/build/run.sh [path/to/krill] > report.md
#
# The krill binary defaults to build/src/cli/krill; krill-runtime and krill-monitor are taken from
# the same directory. All three are copied into the temp dir first (krill finds krill-runtime next
# to itself), so a rebuild of the tree during the run does not change what is measured.
#
# Env: RUNS (timed runs per command and scenario, default 10, split into ROUNDS rounds, default 2,
# whose command order rotates so that a load change on a shared host hits every tool alike),
# RUNC (/usr/sbin/runc), PROFILE (1: also profile one cold and one cached krill build with
# per-step timing, strace -c and perf if present; default 1), RESULTS_DIR (optional: keep
# hyperfine's JSON, the step timings and the profiles there).
# Needs root, hyperfine, jq, bc, python3, unshare, buildah, podman, runc, busybox-static
# (/bin/busybox); strace and perf for the profile.
#
# What it measures:
# - The base image: a rootfs tar of Debian's busybox-static (bin/busybox plus one symlink per
#   applet), `krill import`ed as localhost/busybox:latest, exported with `krill image copy
#   containers-storage:localhost/busybox:latest oci-archive:T/base.tar`, then `buildah pull` /
#   `podman pull` of that archive and `tag` to the same name. No registry, no network.
# - The context (generated deterministically, python's random with a fixed seed): src/ with 400
#   files in 20 directories, 15–35 kB each, ~10 MB, half random bytes, half text.
# - The Dockerfile (bench/build/Dockerfile, copied into the context): stage `gen` RUNs a loop
#   writing 200 text files of 50 kB; stage `proc` (independent) COPYs src/ and RUNs sha256sum
#   over it; the final stage COPY --from both stages and RUNs a small `find | wc -l`.
# - (a) cold build: `krill build --no-cache`, `buildah bud --layers --no-cache`,
#   `podman build --no-cache`; (b) no-change rebuild with the cache: `krill build` (layer cache on
#   by default), `buildah bud --layers`, `podman build` (layers on by default). Every build tags
#   localhost/bench:TOOL, uses `--network none` for RUN, and podman/buildah use --runtime $RUNC
#   (podman also --cgroup-manager cgroupfs --events-backend file). krill uses its built-in
#   runtime (krill-runtime).
# - Equivalence: after the runs, the final image of each tool is run (`krill run`, `buildah from`
#   + `buildah run`, `podman run`) and prints the sorted list of its files with sizes and the
#   sha256 of everything under /app; the three lists must be identical.
#
# Isolation: the script re-executes itself in a private mount namespace (unshare --mount
# --propagation private) and bind-mounts empty directories of the temp dir over the places that
# podman/buildah/runc write to even with --root/--runroot/--tmpdir: /var/lib/containers (the
# blob-info cache), /var/tmp (image copies), /run/runc, /run/containers, /run/libpod, /run/crun,
# /run/krill, /dev/shm (podman's libpod_lock) and /etc/cni/net.d (cni.lock), each only if it exists.
# So the system's podman/buildah storage and locks are never seen. Every store is under the temp
# dir; the cleanup removes images and containers (krill rmi, buildah rm --all, podman system reset
# --force on the private root), unmounts whatever is left under the temp dir and removes it; the
# namespace's mounts vanish with it. Transient cgroups of the RUN steps are created and removed
# by the runtimes; any left behind are reported.
set -euo pipefail

if [ -z "${KRILL_BENCH_BUILD_NS:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
  exec unshare --mount --propagation private env KRILL_BENCH_BUILD_NS=1 bash "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

RUNC=${RUNC:-/usr/sbin/runc}
RUNS=${RUNS:-10}
ROUNDS=${ROUNDS:-2}
PROFILE=${PROFILE:-1}

SRC_KRILL=$(readlink -f "${1:-$repo/build/src/cli/krill}")
SRC_DIR=$(dirname "$SRC_KRILL")
for tool in hyperfine jq bc python3 unshare buildah podman /bin/busybox "$RUNC" "$SRC_KRILL" \
  "$SRC_DIR/krill-runtime" "$SRC_DIR/krill-monitor"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d /tmp/krill-bench-build-XXXXXX)
chmod 0711 "$work"
out=$work/out
mkdir -p "$out" "$work/bin" "$work/home" "$work/tmp" "$work/sys"

cp "$SRC_KRILL" "$SRC_DIR/krill-runtime" "$SRC_DIR/krill-monitor" "$work/bin/"
KRILL=$work/bin/krill
krill_id="sha256 $(sha256sum "$KRILL" | cut -c1-12)…, built $(date -u -r "$SRC_KRILL" '+%H:%M UTC')"

# Private config for podman/buildah: no containers.conf or registries.conf of the machine.
export HOME=$work/home TMPDIR=$work/tmp XDG_RUNTIME_DIR=$work/xdg
export CONTAINERS_CONF=/dev/null CONTAINERS_REGISTRIES_CONF=$work/registries.conf
echo 'unqualified-search-registries = []' > "$work/registries.conf"
mkdir -p "$XDG_RUNTIME_DIR"

# Hide the system's container state from everything in this (private) mount namespace.
hidden=()
for path in /var/lib/containers /var/tmp /run/runc /run/containers /run/libpod /run/crun \
  /run/krill /dev/shm /etc/cni/net.d; do
  [ -d "$path" ] || continue
  dir=$work/sys/$(echo "${path#/}" | tr / _)
  mkdir -p "$dir"
  chmod 1777 "$dir"
  mount --bind "$dir" "$path"
  hidden+=("$path")
done

IMG=localhost/busybox:latest
K=("$KRILL" --root "$work/krill" --runroot "$work/krill-run")
B=(buildah --root "$work/buildah" --runroot "$work/buildah-run" --storage-driver overlay)
P=(podman --root "$work/podman" --runroot "$work/podman-run" --tmpdir "$work/podman-tmp"
   --storage-driver overlay --runtime "$RUNC" --cgroup-manager cgroupfs --events-backend file)
LIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)  # for `podman run` (see bench/engine)
k_() { "${K[@]}" "$@"; }
b_() { "${B[@]}" "$@"; }
p_() { "${P[@]}" "$@"; }

cleanup() {
  local rc=$?
  set +e
  if [ -d "$work/krill" ]; then
    k_ rm -f -a >/dev/null 2>&1
    k_ rmi -f -a >/dev/null 2>&1
  fi
  if [ -d "$work/buildah" ]; then
    b_ rm --all >/dev/null 2>&1
    b_ rmi --all --force >/dev/null 2>&1
  fi
  if [ -d "$work/podman" ]; then
    p_ rm -f -a -t 0 >/dev/null 2>&1
    p_ system reset --force >/dev/null 2>&1
  fi
  local m
  for m in $(grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
  done
  local path
  for path in "${hidden[@]}"; do umount "$path" 2>/dev/null; done  # (gone with the namespace anyway)
  local left
  left=$(find /sys/fs/cgroup -maxdepth 3 -type d \( -name 'krill-krill-build-*' -o -name 'buildah-buildah*' \) 2>/dev/null | head)
  [ -n "$left" ] && { echo "warning: cgroups left behind:" >&2; echo "$left" >&2; }
  if [ -n "${RESULTS_DIR:-}" ]; then mkdir -p "$RESULTS_DIR"; cp -r "$out"/. "$RESULTS_DIR"/; fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# ---- base image -----------------------------------------------------------------------------

echo "== base image and context" >&2
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$work/rootfs/bin/$applet"
done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
rm -rf "$work/rootfs"
k_ import "$work/rootfs.tar" "$IMG" >/dev/null
k_ image copy -q "containers-storage:$IMG" "oci-archive:$work/base.tar"
base_id=$(b_ pull -q "oci-archive:$work/base.tar")
b_ tag "$base_id" "$IMG"
base_id=$(p_ pull -q "oci-archive:$work/base.tar")
p_ tag "$base_id" "$IMG"

# ---- context --------------------------------------------------------------------------------

ctx=$work/ctx
mkdir -p "$ctx"
cp "$here/Dockerfile" "$ctx/Dockerfile"
python3 - "$ctx/src" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(5)
words = ["w%d" % i for i in range(500)]
for i in range(400):
    d = os.path.join(root, "dir%02d" % (i % 20))
    os.makedirs(d, exist_ok=True)
    size = 15000 + rng.randrange(20000)
    if i % 2:
        name, data = "blob%03d.bin" % i, rng.randbytes(size)
    else:
        lines, n = [], 0
        while n < size:
            line = " ".join(rng.choice(words) for _ in range(10)) + ";\n"
            lines.append(line)
            n += len(line)
        name, data = "file%03d.c" % i, "".join(lines).encode()[:size]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
PY
find "$ctx" -exec touch -h -d @1767225600 {} +
ctx_files=$(find "$ctx/src" -type f | wc -l)
ctx_kb=$(du -sk --apparent-size "$ctx/src" | cut -f1)
ctx_sum=$(cd "$ctx" && find src -type f | sort | xargs cat | sha256sum | cut -c1-16)

# ---- the build commands ---------------------------------------------------------------------

BUILD_COMMON="--network none -f $ctx/Dockerfile"
names=(krill buildah podman)
declare -A COLD=(
  [krill]="${K[*]} build --no-cache $BUILD_COMMON -t localhost/bench:krill $ctx"
  [buildah]="${B[*]} bud --layers --no-cache --runtime $RUNC $BUILD_COMMON -t localhost/bench:buildah $ctx"
  [podman]="${P[*]} build --no-cache $BUILD_COMMON -t localhost/bench:podman $ctx"
)
declare -A WARM=(
  [krill]="${K[*]} build $BUILD_COMMON -t localhost/bench:krill $ctx"
  [buildah]="${B[*]} bud --layers --runtime $RUNC $BUILD_COMMON -t localhost/bench:buildah $ctx"
  [podman]="${P[*]} build $BUILD_COMMON -t localhost/bench:podman $ctx"
)
# One build of each first (not timed): checks that all three work and fills the page cache.
for name in "${names[@]}"; do
  echo "== first build: $name" >&2
  ${COLD[$name]} > "$out/first-$name.log" 2>&1 || { tail -20 "$out/first-$name.log" >&2; exit 1; }
done

# bench SCENARIO: RUNS runs per tool in ROUNDS rounds of rotating order -> $out/SCENARIO-rN.json
bench() {
  local scenario=$1 per_round r k name
  local -n cmds=$2
  per_round=$(( (RUNS + ROUNDS - 1) / ROUNDS ))
  for ((r = 1; r <= ROUNDS; r++)); do
    cut -d' ' -f1 /proc/loadavg >> "$work/loads-$scenario"
    local order=("${names[@]}") args=()
    for ((k = 0; k < (r - 1) % ${#names[@]}; k++)); do order=("${order[@]:1}" "${order[0]}"); done
    for name in "${order[@]}"; do args+=(-n "$name" "${cmds[$name]}"); done
    echo "== $scenario, round $r/$ROUNDS" >&2
    hyperfine -N --style basic --warmup 1 --runs "$per_round" --export-json "$out/$scenario-r$r.json" \
      "${args[@]}" >&2
  done
}
bench cold COLD
bench rebuild WARM

# ---- equivalence ----------------------------------------------------------------------------

LIST='find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /etc -o -path /run \) -prune -o -print | sort | while read -r f; do if [ -f "$f" ] && [ ! -L "$f" ]; then echo "$f $(stat -c %s "$f") $(sha256sum < "$f" | cut -c1-16)"; else echo "$f $(stat -c %F "$f")"; fi; done'
k_ run --rm --network none "${LIMITS[@]}" localhost/bench:krill sh -c "$LIST" > "$out/files-krill.txt"
ctr=$(b_ from -q localhost/bench:buildah)
b_ run --runtime "$RUNC" --network none "$ctr" sh -c "$LIST" > "$out/files-buildah.txt"
b_ rm "$ctr" >/dev/null
p_ run --rm --network none "${LIMITS[@]}" localhost/bench:podman sh -c "$LIST" > "$out/files-podman.txt"
equiv=identical
for name in buildah podman; do
  if ! cmp -s "$out/files-krill.txt" "$out/files-$name.txt"; then
    equiv="DIFFERENT (krill vs $name)"
    diff "$out/files-krill.txt" "$out/files-$name.txt" | head -20 >&2 || true
  fi
done
n_entries=$(wc -l < "$out/files-krill.txt")
app_files=$(grep -c '^/app/.* [0-9]* [0-9a-f]*$' "$out/files-krill.txt" || true)
app_kb=$(awk '$1 ~ /^\/app\// && NF == 3 {s += $2} END {printf "%d", s / 1024}' "$out/files-krill.txt")
count_txt=$(k_ run --rm --network none "${LIMITS[@]}" localhost/bench:krill | tr -d '\n')
layers_k=$(k_ image inspect localhost/bench:krill | jq '.[0].RootFS.Layers | length')
layers_b=$(b_ inspect --type image localhost/bench:buildah | jq '.OCIv1.rootfs.diff_ids | length')
layers_p=$(p_ image inspect localhost/bench:podman | jq '.[0].RootFS.Layers | length')

# ---- profile of krill -----------------------------------------------------------------------

# timed_steps FILE CMD...: stderr+stdout of a build, each line prefixed by seconds since start.
timed_steps() {
  local file=$1 start
  shift
  start=$(date +%s.%N)
  "$@" 2>&1 | while IFS= read -r line; do
    printf '%6.2f %s\n' "$(echo "$(date +%s.%N) - $start" | bc)" "${line:0:90}"
  done > "$file"
}
if [ "$PROFILE" = 1 ]; then
  echo "== profile" >&2
  timed_steps "$out/steps-krill-cold.txt" ${COLD[krill]} --progress plain
  timed_steps "$out/steps-buildah-cold.txt" ${COLD[buildah]}
  timed_steps "$out/steps-krill-rebuild.txt" ${WARM[krill]} --progress plain
  if command -v strace >/dev/null; then
    strace -c -f -o "$out/strace-c-cold.txt" ${COLD[krill]} >/dev/null 2>&1
    strace -c -f -o "$out/strace-c-rebuild.txt" ${WARM[krill]} >/dev/null 2>&1
  fi
  if command -v perf >/dev/null; then
    for s in cold rebuild; do
      if [ $s = cold ]; then cmd=${COLD[krill]}; else cmd=${WARM[krill]}; fi
      perf record -q -F 999 -o "$out/perf-$s.data" -- $cmd >/dev/null 2>&1 &&
        perf report -i "$out/perf-$s.data" --no-children --sort comm,dso --stdio 2>/dev/null |
          grep -E '^ +[0-9.]+%' | head -12 > "$out/perf-$s.txt" || true
      rm -f "$out/perf-$s.data"
    done
  fi
fi

# ---- report ---------------------------------------------------------------------------------

stat_s() {  # scenario name which(median|min|max) -> seconds over all rounds
  jq -s -r --arg n "$2" --arg w "$3" '
    [.[] | .results[] | select(.command == $n) | .times[]] | sort as $t | ($t | length) as $l |
    if $w == "median" then (if $l % 2 == 1 then $t[($l - 1) / 2] else ($t[$l / 2 - 1] + $t[$l / 2]) / 2 end)
    elif $w == "min" then $t[0] else $t[$l - 1] end' "$out/$1"-r*.json
}
count() { jq -s -r --arg n "$2" '[.[] | .results[] | select(.command == $n) | .times[]] | length' "$out/$1"-r*.json; }
f2() { printf '%.2f' "$1"; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
verdict() { [ "$(echo "$1" | bc -l)" = 1 ] && echo met || echo MISSED; }

echo "## Build (issue 5)"
echo
echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: Linux $(uname -r), $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(findmnt -n -o FSTYPE -T "$work") under $work (all three stores)."
echo "- Load average before: $load_before; 1-min load at the start of each round: cold $(paste -sd' ' "$work/loads-cold"), rebuild $(paste -sd' ' "$work/loads-rebuild"); after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "- Versions: krill $("$KRILL" --version 2>/dev/null | head -1 | awk '{print $NF}') (copied from $SRC_DIR: $krill_id), buildah $(buildah --version | awk '{print $3}'), podman $(podman --version | awk '{print $3}'), runc $("$RUNC" --version | awk 'NR == 1 {print $3}'), hyperfine $(hyperfine --version | awk '{print $2}')."
echo "- Context: $ctx_files files, $ctx_kb KiB (src/, sha256 of the contents $ctx_sum…). Storage driver overlay for all three; RUN with \`--network none\`; buildah/podman with \`--runtime $RUNC\`; hidden by bind mounts in the private mount namespace: ${hidden[*]:-nothing}."
echo "- Result check: final images $equiv (${n_entries} paths outside /proc /sys /dev /etc /run, ${app_files} files = ${app_kb} KiB under /app; \`count.txt\` = $count_txt); layers: krill $layers_k, buildah $layers_b, podman $layers_p."
echo
echo "$(count cold krill) timed runs per tool and scenario (hyperfine -N, 1 warmup per round, $ROUNDS rounds with rotating order). Wall time in seconds:"
echo
echo "| scenario | tool | median | min–max | krill / this |"
echo "|---|---|---:|---:|---:|"
for scenario in cold rebuild; do
  km=$(stat_s "$scenario" krill median)
  for name in "${names[@]}"; do
    m=$(stat_s "$scenario" "$name" median)
    label="cold (\`--no-cache\`)"; [ "$scenario" = rebuild ] && label="no-change rebuild (cache)"
    echo "| $label | $name | $(f2 "$m") | $(f2 "$(stat_s "$scenario" "$name" min)")–$(f2 "$(stat_s "$scenario" "$name" max)") | $(ratio "$km" "$m") |"
  done
done
echo
kc=$(stat_s cold krill median); bc_=$(stat_s cold buildah median); pc=$(stat_s cold podman median)
kw=$(stat_s rebuild krill median); bw=$(stat_s rebuild buildah median); pw=$(stat_s rebuild podman median)
echo "Targets:"
echo
echo "- cold ≤ 0.5 × buildah: $(f2 "$kc") s vs $(f2 "$bc_") s, ratio $(ratio "$kc" "$bc_"): **$(verdict "$kc <= 0.5 * $bc_")** (krill / podman $(ratio "$kc" "$pc"))."
echo "- no-change rebuild ≤ 0.1 × buildah: $(f2 "$kw") s vs $(f2 "$bw") s, ratio $(ratio "$kw" "$bw"): **$(verdict "$kw <= 0.1 * $bw")** (krill / podman $(ratio "$kw" "$pw"))."
if [ "$PROFILE" = 1 ]; then
  for f in steps-krill-cold steps-buildah-cold steps-krill-rebuild; do
    echo
    echo "\`$f\` (seconds since start when each output line appeared):"
    echo
    echo '```'
    cat "$out/$f.txt"
    echo '```'
  done
  for s in cold rebuild; do
    if [ -s "$out/strace-c-$s.txt" ]; then
      echo
      echo "\`strace -c -f\` of one krill $s build (top 12):"
      echo
      echo '```'
      head -14 "$out/strace-c-$s.txt"
      grep -E 'total' "$out/strace-c-$s.txt"
      echo '```'
    fi
    if [ -s "$out/perf-$s.txt" ]; then
      echo
      echo "\`perf record\` of one krill $s build, samples by process and object:"
      echo
      echo '```'
      sed 's/  *$//' "$out/perf-$s.txt"
      echo '```'
    fi
  done
fi
