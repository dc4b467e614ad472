#!/usr/bin/env bash
# The main job: install, build, then run a container with krill's own runtime
# from a bundle made of Debian's busybox-static.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

runtime="$PWD/build/src/cli/krill-runtime"
work=$(mktemp -d /tmp/krill-demo.XXXXXX)
id="krill-demo-$$"
cleanup() {
  "$runtime" --root "$work/state" delete --force "$id" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bundle="$work/bundle"
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in sh echo cat ls uname hostname id ps; do
  ln -s busybox "$bundle/rootfs/bin/$applet"
done
(cd "$bundle" && "$runtime" spec)
# Non-interactive: no terminal; print who and where we are.
jq '.process.terminal = false
    | .process.args = ["sh", "-c", "echo \"hello from krill: $(hostname), pid $$, $(id -u):$(id -g)\"; ls /"]' \
  "$bundle/config.json" > "$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

echo "== krill-runtime run $id (bundle $bundle)"
"$runtime" --root "$work/state" run --bundle "$bundle" "$id"
