#!/bin/bash
# The push floor for bench/pull/run.sh: uploads every blob of an OCI layout's first image with
# curl, monolithically (POST, then PUT ?digest=), all blobs at once, then PUTs the manifest.
#
#   bench/pull/push-floor.sh http://127.0.0.1:PORT/v2/REPO TAG LAYOUT
set -eo pipefail
base=$1 tag=$2 layout=$3
manifest=$(jq -r '.manifests[0].digest' "$layout/index.json")
origin=${base%%/v2/*}
upload() {
  local loc
  loc=$(curl -s -D - -o /dev/null -X POST "$base/blobs/uploads/" |
    awk -F': ' 'tolower($1) == "location" {print $2}' | tr -d '\r')
  case $loc in http*) ;; *) loc=$origin$loc ;; esac
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/octet-stream' \
    -T "$layout/blobs/sha256/${1#sha256:}" "$loc&digest=$1")" = 201 ]
}
pids=()
for digest in $(jq -r '.config.digest, .layers[].digest' "$layout/blobs/sha256/${manifest#sha256:}"); do
  upload "$digest" &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
  -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$layout/blobs/sha256/${manifest#sha256:}" "$base/manifests/$tag")" = 201 ]
