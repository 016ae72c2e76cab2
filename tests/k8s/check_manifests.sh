#!/usr/bin/env bash
# CI step: checks the Kubernetes manifests (tools/deploy/k8s/) without a
# cluster (tests/k8s/check_manifests.py says what): installs python3-yaml if
# missing, then runs the pods' scripts on the real scenarios (../shared/data,
# or $TARMAC_DATA_DIR). Environment: BUILD_DIR (default build).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${BUILD_DIR:-build}
case "$build_dir" in /*) ;; *) build_dir=$root/$build_dir ;; esac
data=${TARMAC_DATA_DIR:-$root/../shared/data}
fail() { echo "k8s manifests FAILED: $*" >&2; exit 1; }
[ -x "$build_dir/tools/tarmac" ] || fail "$build_dir/tools/tarmac not built (set BUILD_DIR)"
for d in commonroad-ngsim nuscenes-mini-scenarionet; do
  [ -d "$data/$d" ] || fail "real data missing: $data/$d (set TARMAC_DATA_DIR)"
done
if ! python3 -c 'import yaml' 2>/dev/null; then
  [ "$(id -u)" -eq 0 ] || fail "python3-yaml is missing and installing it needs root"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq || fail "apt-get update failed"
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3 python3-yaml >/dev/null ||
    fail "apt-get install python3-yaml failed"
fi
exec python3 "$root/tests/k8s/check_manifests.py" "$build_dir/tools/tarmac" \
  "$data/commonroad-ngsim" "$data/nuscenes-mini-scenarionet"
