#!/bin/bash
# Runs cgroup-attach-probe.c: the cost of attaching a new process to its cgroups by writing its
# pid (what krill, runc and crun do) versus a self-move through the v1 `tasks` file and
# clone3(CLONE_INTO_CGROUP) on cgroup2. Creates krillbench-probe cgroups and removes them.
#
#   sudo bench/runtime-startup/cgroup-attach-probe.sh [samples, default 10]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
samples=${1:-10}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }

work=$(mktemp -d /tmp/krill-probe-XXXXXX)
v1=() v2=
cleanup() {
  local dir
  for dir in "${v1[@]}" $v2; do rmdir "$dir" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cc -O2 -Wall -o "$work/probe" "$here/cgroup-attach-probe.c"

while read -r mnt type; do
  case $type in
    cgroup) v1+=("$mnt/krillbench-probe") ;;
    cgroup2) v2=$mnt/krillbench-probe ;;
  esac
done < <(awk '{for (i = 7; i <= NF; i++) if ($i == "-") {print $5, $(i + 1); break}}' /proc/self/mountinfo)
for dir in "${v1[@]}" $v2; do mkdir "$dir"; done
for dir in "${v1[@]}"; do
  case $dir in
    */cpuset/*)  # a cpuset cgroup takes no tasks until it has cpus and mems
      cat "$(dirname "$dir")/cpuset.cpus" > "$dir/cpuset.cpus"
      cat "$(dirname "$dir")/cpuset.mems" > "$dir/cpuset.mems" ;;
  esac
done

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
row() {  # label args...
  local label=$1; shift
  for _ in $(seq "$samples"); do "$work/probe" "$@"; sleep 0.05; done > "$work/t"
  echo "| $label | $(median < "$work/t") | $(sort -n "$work/t" | head -1) | $(sort -n "$work/t" | tail -1) |"
}
echo "| attach a new process ($samples samples) | median ms | min | max |"
echo "|---|---:|---:|---:|"
if [ ${#v1[@]} -gt 0 ]; then
  row "v1, ${#v1[@]} hierarchies: parent writes the pid to cgroup.procs" v1 pid "${v1[@]}"
  row "v1, ${#v1[@]} hierarchies: child writes \"0\" to tasks itself" v1 self "${v1[@]}"
fi
if [ -n "$v2" ]; then
  row "cgroup2: clone3, then parent writes the pid to cgroup.procs" v2 pid "$v2"
  row "cgroup2: clone3(CLONE_INTO_CGROUP) (the clone itself)" v2 into "$v2"
fi
