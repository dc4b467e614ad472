#!/usr/bin/env bash
# The main job: install, build, then Build → Ship → Run with krill:
#   a base image from Debian's busybox-static (krill import), then `krill build` of the
#   multi-stage examples/hello on it, push to a local registry (Debian's docker-registry on
#   127.0.0.1), remove it, pull it back, and run it with `krill run` (krill-monitor +
#   krill-runtime).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KRILL_DEMO_NETNS:-}" ]; then
  scripts/install-deps.sh
  scripts/build.sh
  # The rest runs in a network namespace of its own: the registry on its loopback, the
  # container on krill's default bridge network inside it — nothing touches the host's network.
  exec unshare --net env KRILL_DEMO_NETNS=1 bash "$0" "$@"
fi
ip link set lo up

krill="$PWD/build/src/cli/krill"
work=$(mktemp -d /tmp/krill-demo.XXXXXX)
# Container run state (sockets) lives under /run like podman's; kept short for unix socket paths.
runroot="/run/krill-demo-$$"
run=(--runroot "$runroot")
id="krill-demo-$$"
registry_pid=""
cleanup() {
  "$krill" "${store[@]}" "${run[@]}" rm -f "$id" "$id-web" >/dev/null 2>&1 || true
  rm -rf "$runroot"
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# A free port on loopback for the registry.
port=""
for _ in $(seq 100); do
  candidate=$((20000 + RANDOM % 20000))
  ss -ltnH "sport = :$candidate" | grep -q . || { port=$candidate; break; }
done
[ -n "$port" ] || { echo "demo: no free port on 127.0.0.1" >&2; exit 1; }
cat > "$work/registry.yml" <<YAML
version: 0.1
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for attempt in $(seq 200); do
  curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  if [ "$attempt" = 200 ] || ! kill -0 "$registry_pid" 2>/dev/null; then
    echo "demo: the registry did not start:" >&2; cat "$work/registry.log" >&2; exit 1
  fi
  sleep 0.1
done

store=(--root "$work/store")
image="127.0.0.1:$port/demo/hello:1"

echo "== Base: an image from Debian's busybox-static"
base="localhost/busybox:latest"
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/busybox"
for applet in sh echo cat ls uname hostname id mkdir chmod; do
  ln -s busybox "$work/rootfs/bin/$applet"
done
tar -C "$work/rootfs" -cf "$work/rootfs.tar" .
"$krill" "${store[@]}" import --change CMD=/bin/sh --change ENV=PATH=/bin "$work/rootfs.tar" "$base"

echo "== Build: examples/hello (two stages) with krill build"
"$krill" "${store[@]}" "${run[@]}" build --pull=never --build-arg BASE="$base" -t "$image" examples/hello
"$krill" "${store[@]}" images

echo "== Ship: push to the local registry, remove, pull back"
"$krill" "${store[@]}" push --tls-verify=false "$image"
"$krill" "${store[@]}" rmi "$image"
"$krill" "${store[@]}" pull --tls-verify=false "$image"

echo "== Run: a container from the pulled image (krill run: monitor, logs, --rm), on krill's"
echo "   default bridge network (CNI bridge + host-local + portmap + firewall)"
"$krill" "${store[@]}" "${run[@]}" run --rm --name "$id" "$image"

echo "== Network: the same image serving HTTP on a published port (-p 8080:80), fetched from the host"
"$krill" "${store[@]}" "${run[@]}" run -d --name "$id-web" -p 8080:80 "$image" \
  busybox httpd -f -p 80 -h /usr/share/hello >/dev/null
"$krill" "${store[@]}" "${run[@]}" port "$id-web"
for attempt in $(seq 50); do
  curl -sf http://127.0.0.1:8080/greeting.txt && break
  [ "$attempt" = 50 ] && { echo "demo: no answer on the published port" >&2; exit 1; }
  sleep 0.1
done
"$krill" "${store[@]}" "${run[@]}" rm -f "$id-web" >/dev/null
