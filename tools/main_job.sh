#!/usr/bin/env bash
# The main job on the embedded default suite: read, validate, summarise and
# draw every scenario, then drive each one in closed loop with the default
# planner (pdm) among reactive agents (idm). `tarmac run`, with the metrics and
# the results store, takes this over once it exists.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${1:-build}
case "$build_dir" in /*) ;; *) build_dir=$root/$build_dir ;; esac
tarmac=$build_dir/tools/tarmac
suite=$root/suites/default
out=$root/out/default-suite
mkdir -p "$out"

echo "== validate the default suite"
"$tarmac" scenario validate "$suite"
echo "== summary"
"$tarmac" scenario info "$suite" --json > "$out/info.jsonl"
"$tarmac" scenario info "$suite" | grep -E '^\S|  (id|time|tracks|ego|map) '
echo "== convert to tarmac .pb and render the start of each scenario into $out"
"$tarmac" scenario convert "$suite" "$out/pb/"
for f in "$out"/pb/*.pb; do
  "$tarmac" scenario render "$f" -o "$out/$(basename "$f" .pb).png" >/dev/null
done
echo "== closed loop: planner pdm, reactive agents"
"$tarmac" simulate "$suite" --planner pdm --agents idm --threads "$(nproc)"
echo "done: $(ls "$out"/*.png | wc -l) pictures, summary in $out/info.jsonl"
