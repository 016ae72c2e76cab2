#!/usr/bin/env bash
# The main job: `tarmac run` with no arguments — the embedded default suite,
# the default planner (the shipped transformer, models/README.md, with plan
# costs) among reactive agents (idm), results into
# ./tarmac.db — after checking that every scenario of the suite is valid.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-build}
case "$build_dir" in /*) ;; *) build_dir=$root/$build_dir ;; esac
tarmac=$build_dir/tools/tarmac
cd "$root"

echo "== validate the default suite"
"$tarmac" scenario validate suites/default | tail -n 1
echo "== tarmac run"
"$tarmac" run
echo "== results in $root/tarmac.db (see docs/results-db.md; compare runs with: tarmac compare BASE CAND)"
