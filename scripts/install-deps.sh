#!/usr/bin/env bash
# Installs everything krill needs to build, test and benchmark, from Debian 12's archive only.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache git
  # libraries
  nlohmann-json3-dev libcli11-dev libseccomp-dev libcap-dev libgtest-dev libgmock-dev
  libssl-dev libarchive-dev libcurl4-openssl-dev libzstd-dev zlib1g-dev libsqlite3-dev
  # the container at the heart of the demo and the tests
  busybox-static
  # peers the tests and benchmarks compare against
  runc crun podman uidmap skopeo umoci buildah docker-registry
  # the init `run --init` runs as pid 1, and the pause process that keeps a rootless user's
  # namespace (catatonit -P): podman uses it for both
  catatonit
  # networks: the CNI plugins (bridge, host-local, portmap, firewall, tuning, loopback), the
  # iptables they call, rootless networking, and the throughput benchmark
  containernetworking-plugins iptables passt slirp4netns iperf3
  # tools used by tests and benchmarks
  iproute2 procps util-linux jq curl bc hyperfine time openssl apache2-utils
  # validating oci: layouts against the image-spec JSON schemas (ship tests)
  python3-jsonschema
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
