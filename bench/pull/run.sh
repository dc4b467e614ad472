#!/bin/bash
# Pull and push benchmark (issue 3): a multi-layer image of a few hundred MB in a local
# docker-registry on 127.0.0.1, pulled and unpacked by
#   (a) krill pull                      (fresh --root every run)
#   (b) podman pull                     (own --root/--runroot, wiped every run)
#   (c) skopeo copy docker://… oci:DIR + umoci unpack
#   (d) the floor: curl each blob | gzip -d | tar -x (layers one after the other, and all at once)
# and pushed by krill push (from its store) vs skopeo copy (from an OCI layout) into an empty
# registry, against the push floor (bench/pull/push-floor.sh: curl PUTs every blob at once). Peak
# RSS (/usr/bin/time -v) of krill pull for images with small and big layers shows whether memory
# stays bounded. Prints a markdown report on stdout; progress goes to stderr.
#
#   sudo bench/pull/run.sh [path/to/krill] > report.md
#
# Env: RUNS (timed runs per command, default 5; one warmup run more), LAYERS (default 4),
# LAYER_MB (uncompressed MB per layer, default 60: 40% random data in 8 MB files, 60% text-like
# data in 100 KB files), BIG_MB (the single layer of the RSS image, default 240),
# PODMAN_DRIVER (overlay, or vfs; default overlay), RESULTS_DIR (keep hyperfine's JSON there),
# KRILL_BASELINE (another krill binary, e.g. a build of the previous commit: timed in the same
# run as "krill pull (baseline)" / "krill push (baseline)" for a before/after comparison).
# Needs: hyperfine, jq, bc, curl, gzip, tar, od, split, /usr/bin/time, docker-registry, skopeo,
# umoci, podman. Run as root (podman and umoci keep file owners). Nothing outside the temp dir is
# written (skopeo's and podman's blob-info cache under /var/lib/containers/cache aside); the two
# registries are killed by pid at exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNS=${RUNS:-5}
LAYERS=${LAYERS:-4}
LAYER_MB=${LAYER_MB:-60}
BIG_MB=${BIG_MB:-240}
PODMAN_DRIVER=${PODMAN_DRIVER:-overlay}

KRILL=${1:-${KRILL:-}}
if [ -z "$KRILL" ]; then
  for candidate in "$repo"/build*/src/cli/krill; do
    [ -x "$candidate" ] && KRILL=$candidate && break
  done
fi
[ -n "$KRILL" ] && [ -x "$KRILL" ] || { echo "krill binary not found (pass its path)" >&2; exit 2; }
KRILL=$(readlink -f "$KRILL")
BASELINE=${KRILL_BASELINE:-}
[ -z "$BASELINE" ] || BASELINE=$(readlink -f "$BASELINE")
[ -z "$BASELINE" ] || [ -x "$BASELINE" ] || { echo "KRILL_BASELINE $BASELINE is not executable" >&2; exit 2; }
for tool in hyperfine jq bc curl gzip tar od split /usr/bin/time docker-registry skopeo umoci podman; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d /tmp/krill-bench-pull-XXXXXX)
out=$work/out
mkdir -p "$out" "$work/home" "$work/tmp"
# Private config for every tool: no registries.conf search, no auth files of the machine.
export HOME=$work/home TMPDIR=$work/tmp XDG_RUNTIME_DIR=$work/xdg REGISTRY_AUTH_FILE=$work/auth.json
export CONTAINERS_CONF=/dev/null CONTAINERS_REGISTRIES_CONF=$work/registries.conf
echo 'unqualified-search-registries = []' > "$work/registries.conf"
echo '{"auths":{}}' > "$REGISTRY_AUTH_FILE"  # podman wants an auth file it is pointed at to exist
mkdir -p "$XDG_RUNTIME_DIR"

# podman with its own store under $work/podman
podman_args=(--root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp"
  --storage-driver "$PODMAN_DRIVER" --cgroup-manager cgroupfs --events-backend file)
podman_() { podman "${podman_args[@]}" "$@"; }

cleanup() {
  local rc=$?
  set +e
  for pidfile in "$work"/registry-*/pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  if [ -d "$work/podman/root" ]; then podman_ system reset --force >/dev/null 2>&1; fi
  # podman's overlay driver may leave its home bind-mounted: unmount what is under $work.
  grep -F " $work/" /proc/self/mountinfo | awk '{print $5}' | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  sleep 0.2
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT

# ---- registries -----------------------------------------------------------------------------

# start_registry NAME [PORT]: docker-registry with storage in $work/registry-NAME; prints the port.
start_registry() {
  local name=$1 port=${2:-} dir=$work/registry-$1 try
  mkdir -p "$dir"
  for try in 1 2 3 4 5; do
    [ -n "$port" ] || port=$((20000 + RANDOM % 40000))
    cat > "$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: krill-bench
EOF
    # (docker-registry reads REGISTRY_* variables as configuration: not our REGISTRY_AUTH_FILE)
    env -u REGISTRY_AUTH_FILE docker-registry serve "$dir/config.yml" > "$dir/log" 2>&1 &
    echo $! > "$dir/pid"
    local i
    for i in $(seq 100); do
      if grep -q "listening on 127.0.0.1:$port" "$dir/log" &&
         [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = 200 ]; then
        echo "$port"
        return 0
      fi
      kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
      sleep 0.05
    done
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    wait "$(cat "$dir/pid")" 2>/dev/null || true
    port=${2:-}
  done
  echo "could not start docker-registry $name" >&2
  return 1
}

# ---- the test image -------------------------------------------------------------------------

# make_layer DIR MB: MB megabytes, 40% random (8 MB files), 60% text-like (100 KB files).
make_layer() {
  local dir=$1 mb=$2
  mkdir -p "$dir/data" "$dir/text"
  local random_mb=$((mb * 4 / 10)) text_bytes=$(((mb - mb * 4 / 10) * 1024 * 1024))
  head -c "${random_mb}M" /dev/urandom | split -b 8M -a 3 - "$dir/data/blob-"
  # od output of random bytes: hex text, gzip ratio about 3:1 like source code.
  { head -c $((text_bytes / 3 + 4096)) /dev/urandom | od -An -tx1 -v | head -c "$text_bytes" || true; } |
    split -b 100K -a 4 - "$dir/text/file-"
}

# write_layout LAYOUT TAG TAR...: an OCI layout with one image of gzip layers (gzip -6).
write_layout() {
  local layout=$1 tag=$2 tar diff gz digest size layers="" diffs=""
  shift 2
  mkdir -p "$layout/blobs/sha256"
  for tar in "$@"; do
    diff=$(sha256sum "$tar" | cut -c1-64)
    gzip -6 -n -c "$tar" > "$layout/layer.tmp"
    digest=$(sha256sum "$layout/layer.tmp" | cut -c1-64)
    size=$(stat -c %s "$layout/layer.tmp")
    mv "$layout/layer.tmp" "$layout/blobs/sha256/$digest"
    layers+="${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$digest\",\"size\":$size}"
    diffs+="${diffs:+,}\"sha256:$diff\""
  done
  printf '{"architecture":"amd64","os":"linux","created":"2026-01-01T00:00:00Z","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" > "$layout/config.tmp"
  local config_digest config_size
  config_digest=$(sha256sum "$layout/config.tmp" | cut -c1-64)
  config_size=$(stat -c %s "$layout/config.tmp")
  mv "$layout/config.tmp" "$layout/blobs/sha256/$config_digest"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$config_digest" "$config_size" "$layers" > "$layout/manifest.tmp"
  local manifest_digest manifest_size
  manifest_digest=$(sha256sum "$layout/manifest.tmp" | cut -c1-64)
  manifest_size=$(stat -c %s "$layout/manifest.tmp")
  mv "$layout/manifest.tmp" "$layout/blobs/sha256/$manifest_digest"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$manifest_size" "$tag" > "$layout/index.json"
}

skopeo_() { skopeo --insecure-policy --registries-conf "$work/registries.conf" "$@"; }

echo "== building the images" >&2
for i in $(seq "$LAYERS"); do
  make_layer "$work/src/layer$i" "$LAYER_MB"
  tar -C "$work/src/layer$i" -cf "$work/layer$i.tar" .
  rm -rf "$work/src/layer$i"
done
layer_tars=()
for i in $(seq "$LAYERS"); do layer_tars+=("$work/layer$i.tar"); done
write_layout "$work/layout" bench "${layer_tars[@]}"
uncompressed_mb=$(du -cm "${layer_tars[@]}" | tail -1 | cut -f1)
compressed_mb=$(du -cm "$work"/layout/blobs/sha256/* | tail -1 | cut -f1)
rm -f "${layer_tars[@]}"
# Two single-layer images for the memory measurement: a small layer and a big one.
make_layer "$work/src/small" 16
tar -C "$work/src/small" -cf "$work/small.tar" .
write_layout "$work/layout-small" small "$work/small.tar"
make_layer "$work/src/big" "$BIG_MB"
tar -C "$work/src/big" -cf "$work/big.tar" .
write_layout "$work/layout-big" big "$work/big.tar"
rm -rf "$work/src" "$work/small.tar" "$work/big.tar"

port=$(start_registry source)
reg=127.0.0.1:$port
for image in bench small big; do
  layout=$work/layout; [ "$image" = bench ] || layout=$work/layout-$image
  skopeo_ copy -q --dest-tls-verify=false "oci:$layout:$image" "docker://$reg/bench/$image:1" >&2
done
ref=$reg/bench/bench:1

# ---- pull -----------------------------------------------------------------------------------

cat > "$work/floor-seq.sh" <<EOF
#!/bin/bash
set -eo pipefail
rm -rf "$work/floor"; mkdir -p "$work/floor"
for d in \$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://$reg/v2/bench/bench/manifests/1 | jq -r '.layers[].digest'); do
  mkdir "$work/floor/\${d#sha256:}"
  curl -s http://$reg/v2/bench/bench/blobs/\$d | gzip -d | tar -x -C "$work/floor/\${d#sha256:}"
done
EOF
cat > "$work/floor-par.sh" <<EOF
#!/bin/bash
set -eo pipefail
rm -rf "$work/floor"; mkdir -p "$work/floor"
for d in \$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://$reg/v2/bench/bench/manifests/1 | jq -r '.layers[].digest'); do
  mkdir "$work/floor/\${d#sha256:}"
  (curl -s http://$reg/v2/bench/bench/blobs/\$d | gzip -d | tar -x -C "$work/floor/\${d#sha256:}") &
done
wait
EOF
cat > "$work/skopeo-umoci.sh" <<EOF
#!/bin/bash
set -eo pipefail
mkdir -p "$work/su"
skopeo --insecure-policy --registries-conf "$work/registries.conf" copy -q --src-tls-verify=false docker://$ref "oci:$work/su/oci:bench"
umoci unpack --image "$work/su/oci:bench" "$work/su/bundle" >/dev/null
EOF
cat > "$work/podman-reset.sh" <<EOF
#!/bin/bash
podman --root "$work/podman/root" --runroot "$work/podman/run" --tmpdir "$work/podman/tmp" --storage-driver $PODMAN_DRIVER --cgroup-manager cgroupfs --events-backend file system reset --force >/dev/null 2>&1
grep -F " $work/podman/" /proc/self/mountinfo | awk '{print \$5}' | sort -r | xargs -r umount 2>/dev/null
rm -rf "$work/podman"
exit 0
EOF
chmod +x "$work"/*.sh
sync

echo "== pull: $LAYERS layers, $uncompressed_mb MB uncompressed, $compressed_mb MB gzip" >&2
baseline_pull=() baseline_push=()
if [ -n "$BASELINE" ]; then
  baseline_pull=(--prepare "rm -rf $work/b-root $work/b-run; sync" -n "krill pull (baseline)"
    "$BASELINE --root $work/b-root --runroot $work/b-run pull -q --tls-verify=false $ref")
fi
hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$out/pull.json" \
  --prepare "rm -rf $work/k-root $work/k-run; sync" -n "krill pull" \
  "$KRILL --root $work/k-root --runroot $work/k-run pull -q --tls-verify=false $ref" \
  "${baseline_pull[@]}" \
  --prepare "$work/podman-reset.sh; sync" -n "podman pull ($PODMAN_DRIVER)" \
  "podman --root $work/podman/root --runroot $work/podman/run --tmpdir $work/podman/tmp --storage-driver $PODMAN_DRIVER --cgroup-manager cgroupfs --events-backend file pull -q --tls-verify=false $ref" \
  --prepare "rm -rf $work/su; sync" -n "skopeo copy + umoci unpack" "$work/skopeo-umoci.sh" \
  --prepare "rm -rf $work/floor; sync" -n "floor: curl | gzip -d | tar -x, one layer after another" "$work/floor-seq.sh" \
  --prepare "rm -rf $work/floor; sync" -n "floor: curl | gzip -d | tar -x, all layers at once" "$work/floor-par.sh" >&2
"$work/podman-reset.sh"
rm -rf "$work/su" "$work/floor" "$work/b-root" "$work/b-run"

# Phases of one krill pull: the per-event lines (non-terminal progress) with timestamps.
rm -rf "$work/k-root" "$work/k-run"
echo "$(date +%s.%N) start" > "$out/krill-pull-events.txt"
"$KRILL" --root "$work/k-root" --runroot "$work/k-run" --log-level debug pull --tls-verify=false "$ref" 2>&1 |
  while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done >> "$out/krill-pull-events.txt"

# ---- push -----------------------------------------------------------------------------------

# The destination: an empty registry for every run (no blob already there, no mount possible).
push_port=$(start_registry push)
cat > "$work/push-reset.sh" <<EOF
#!/bin/bash
kill \$(cat "$work/registry-push/pid") 2>/dev/null
while kill -0 \$(cat "$work/registry-push/pid") 2>/dev/null; do sleep 0.02; done
rm -rf "$work/registry-push/storage"
env -u REGISTRY_AUTH_FILE docker-registry serve "$work/registry-push/config.yml" > "$work/registry-push/log" 2>&1 &
echo \$! > "$work/registry-push/pid"
for i in \$(seq 200); do
  [ "\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$push_port/v2/)" = 200 ] && exit 0
  sleep 0.05
done
exit 1
EOF
chmod +x "$work/push-reset.sh"
# krill pushes from its store: the image pulled above (the phases run).
echo "== push" >&2
if [ -n "$BASELINE" ]; then
  baseline_push=(--prepare "$work/push-reset.sh" -n "krill push (baseline)"
    "$BASELINE --root $work/k-root --runroot $work/k-run push --tls-verify=false $ref 127.0.0.1:$push_port/bench/pushed:1")
fi
hyperfine --style basic --warmup 1 --runs "$RUNS" --export-json "$out/push.json" \
  --prepare "$work/push-reset.sh" -n "krill push" \
  "$KRILL --root $work/k-root --runroot $work/k-run push --tls-verify=false $ref 127.0.0.1:$push_port/bench/pushed:1" \
  "${baseline_push[@]}" \
  --prepare "$work/push-reset.sh" -n "skopeo copy oci: → docker://" \
  "skopeo --insecure-policy --registries-conf $work/registries.conf copy -q --dest-tls-verify=false oci:$work/layout:bench docker://127.0.0.1:$push_port/bench/pushed:1" \
  --prepare "$work/push-reset.sh" -n "floor: curl PUT of every blob at once + manifest" \
  "$here/push-floor.sh http://127.0.0.1:$push_port/v2/bench/pushed 1 $work/layout" >&2

# ---- memory ---------------------------------------------------------------------------------

echo "== peak RSS" >&2
declare -A rss
for image in small bench big; do
  rm -rf "$work/k-root" "$work/k-run"
  /usr/bin/time -v -o "$out/time-$image.txt" "$KRILL" --root "$work/k-root" --runroot "$work/k-run" \
    pull -q --tls-verify=false "$reg/bench/$image:1" >/dev/null
  rss[$image]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time-$image.txt")
done
rm -rf "$work/k-root" "$work/k-run"
podman_ pull -q --tls-verify=false "$reg/bench/big:1" >/dev/null 2>&1 || true
"$work/podman-reset.sh"
/usr/bin/time -v -o "$out/time-podman-big.txt" podman "${podman_args[@]}" pull -q --tls-verify=false "$reg/bench/big:1" >/dev/null
rss[podman-big]=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time-podman-big.txt")
"$work/podman-reset.sh"
layer_mb() {  # image -> "largest compressed MB / uncompressed MB" of its layers
  local layout=$work/layout; [ "$1" = bench ] || layout=$work/layout-$1
  local manifest
  manifest=$(jq -r '.manifests[0].digest' "$layout/index.json")
  jq -r '[.layers[].size] | max / 1048576 | floor' "$layout/blobs/sha256/${manifest#sha256:}"
}

# ---- report ---------------------------------------------------------------------------------

median_ms() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .median * 1000' "$out/$1.json"; }
range_ms() { jq -r --arg n "$2" '.results[] | select(.command == $n) | "\(.min * 1000 | floor)–\(.max * 1000 | floor)"' "$out/$1.json"; }
f0() { printf '%.0f' "$1"; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
verdict() { [ "$(echo "$1" | bc -l)" = 1 ] && echo met || echo MISSED; }

k=$(median_ms pull "krill pull")
p=$(median_ms pull "podman pull ($PODMAN_DRIVER)")
s=$(median_ms pull "skopeo copy + umoci unpack")
fs=$(median_ms pull "floor: curl | gzip -d | tar -x, one layer after another")
fp=$(median_ms pull "floor: curl | gzip -d | tar -x, all layers at once")
kp=$(median_ms push "krill push")
sp=$(median_ms push "skopeo copy oci: → docker://")
pf=$(median_ms push "floor: curl PUT of every blob at once + manifest")

echo "## Pull and push (issue 3)"
echo
echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: Linux $(uname -r), $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, $(findmnt -n -o FSTYPE -T "$work") under $work; load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) (a shared host: other builds ran at the same time)."
echo "- Versions: krill $("$KRILL" --version 2>/dev/null | head -1 | awk '{print $NF}') ($KRILL), podman $(podman --version | awk '{print $3}') (driver $PODMAN_DRIVER), skopeo $(skopeo --version | awk '{print $3}'), umoci $(umoci --version | awk '{print $3}'), docker-registry $(docker-registry --version | awk '{print $3}'), hyperfine $(hyperfine --version | awk '{print $2}')."
echo "- Image: $LAYERS layers of $LAYER_MB MB ($uncompressed_mb MB uncompressed, $compressed_mb MB as gzip -6; each layer 40% random data in 8 MB files and 60% hex text in 100 KB files), built as an OCI layout and pushed by skopeo into docker-registry on 127.0.0.1 (plain HTTP)."
echo "- $RUNS timed runs per command after one warmup; before every run the destination is wiped (fresh krill --root, \`podman system reset\`, empty OCI dir, empty registry for pushes) and \`sync\` runs. Cells: median (min–max) wall time in ms."
echo
echo "| pull + unpack | median ms (min–max) | krill / this |"
echo "|---|---:|---:|"
baseline_rows=()
[ -z "$BASELINE" ] || baseline_rows=("krill pull (baseline)")
for name in "krill pull" "${baseline_rows[@]}" "podman pull ($PODMAN_DRIVER)" "skopeo copy + umoci unpack" \
  "floor: curl | gzip -d | tar -x, one layer after another" "floor: curl | gzip -d | tar -x, all layers at once"; do
  m=$(median_ms pull "$name")
  echo "| ${name//|/\\|} | $(f0 "$m") ($(range_ms pull "$name")) | $(ratio "$k" "$m") |"
done
echo
echo "| push (into an empty registry) | median ms (min–max) | krill / this |"
echo "|---|---:|---:|"
baseline_rows=()
[ -z "$BASELINE" ] || baseline_rows=("krill push (baseline)")
for name in "krill push" "${baseline_rows[@]}" "skopeo copy oci: → docker://" "floor: curl PUT of every blob at once + manifest"; do
  m=$(median_ms push "$name")
  echo "| $name | $(f0 "$m") ($(range_ms push "$name")) | $(ratio "$kp" "$m") |"
done
echo
echo "| peak RSS of one pull (/usr/bin/time -v) | largest layer, MB gzip | KiB |"
echo "|---|---:|---:|"
echo "| krill pull, 1 layer of 16 MB | $(layer_mb small) | ${rss[small]} |"
echo "| krill pull, $LAYERS layers of $LAYER_MB MB | $(layer_mb bench) | ${rss[bench]} |"
echo "| krill pull, 1 layer of $BIG_MB MB | $(layer_mb big) | ${rss[big]} |"
echo "| podman pull, 1 layer of $BIG_MB MB | $(layer_mb big) | ${rss[podman-big]} |"
echo
echo "Targets:"
echo
echo "- krill pull ≤ 0.5 × podman pull: $(f0 "$k") ms vs $(f0 "$p") ms, ratio $(ratio "$k" "$p"): **$(verdict "$k <= 0.5 * $p")**."
echo "- krill pull ≤ 1.2 × floor (layers one after another): $(f0 "$k") ms vs $(f0 "$fs") ms, ratio $(ratio "$k" "$fs"): **$(verdict "$k <= 1.2 * $fs")**; against the parallel floor ($(f0 "$fp") ms): ratio $(ratio "$k" "$fp"): **$(verdict "$k <= 1.2 * $fp")**."
echo "- krill push ≤ 0.8 × skopeo copy: $(f0 "$kp") ms vs $(f0 "$sp") ms, ratio $(ratio "$kp" "$sp"): **$(verdict "$kp <= 0.8 * $sp")**. The push floor (curl, no tool logic) takes $(f0 "$pf") ms: krill / floor $(ratio "$kp" "$pf"), skopeo / floor $(ratio "$sp" "$pf")."
echo "- Memory bounded: peak RSS $(f0 "$(echo "${rss[small]} / 1024" | bc -l)") MiB with a 16 MB layer, $(f0 "$(echo "${rss[big]} / 1024" | bc -l)") MiB with a $BIG_MB MB layer."
echo "- skopeo copy + umoci unpack for reference: $(f0 "$s") ms (krill / that: $(ratio "$k" "$s"))."
echo
echo "Phases of one krill pull (\`--log-level debug\`, stderr lines time-stamped as they arrive; seconds from the start):"
echo
echo '```'
awk 'NR == 1 {t0 = $1} {printf "%6.2f ", $1 - t0; $1 = ""; print substr($0, 2)}' "$out/krill-pull-events.txt" | cut -c1-110
echo '```'
if [ -n "${RESULTS_DIR:-}" ]; then
  mkdir -p "$RESULTS_DIR"
  cp "$out"/* "$RESULTS_DIR"/
fi
