#!/usr/bin/env bash
# The nightly gate: evaluate a candidate on the suite, compare it with the
# last accepted run, and accept it if it does not regress.
#
#   tools/nightly.sh --planner pdm [--name candidate-N] [--db nightly.db]
#                    [--scenarios PATHS...] [--agents idm] [--strict] [--threads N]
#
# The accepted run's id is kept in <db>.accepted (one line). The first night
# has no baseline: the candidate is accepted as it is. Exit codes: 0 accepted,
# 1 regression (the accepted run stays), 2 usage or input error.
# docs/nightly.md walks through it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tarmac=${TARMAC_BIN:-$root/build/tools/tarmac}
db=nightly.db
planner=""
agents=idm
name=""
strict=""
threads=""
scenarios=()
while [ $# -gt 0 ]; do
  case "$1" in
    --planner) planner=$2; shift 2 ;;
    --agents) agents=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --strict) strict=--strict; shift ;;
    --threads) threads="--threads $2"; shift 2 ;;
    --scenarios) shift; while [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; do scenarios+=("$1"); shift; done ;;
    *) echo "nightly: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -n "$planner" ] || { echo "nightly: --planner is required" >&2; exit 2; }
[ -x "$tarmac" ] || { echo "nightly: $tarmac not built (tools/bootstrap.sh build)" >&2; exit 2; }
name=${name:-$planner-$(date -u +%Y%m%dT%H%M%SZ)}
scenario_args=()
if [ ${#scenarios[@]} -gt 0 ]; then scenario_args=(--scenarios "${scenarios[@]}"); fi

echo "== evaluating '$name' ($planner, agents $agents) into $db"
# shellcheck disable=SC2086
summary=$("$tarmac" run --planner "$planner" --agents "$agents" --db "$db" --run-name "$name" \
  "${scenario_args[@]}" $threads --json) || { echo "nightly: run failed" >&2; exit 2; }
run_id=$(printf '%s' "$summary" | sed -n 's/^  "run_id": \([0-9]*\),*$/\1/p')
[ -n "$run_id" ] || { echo "nightly: could not read the run id" >&2; exit 2; }
echo "   run $run_id, mean score $(printf '%s' "$summary" | sed -n 's/^  "mean_score": \(.*\),*$/\1/p')"

accepted_file="$db.accepted"
if [ ! -s "$accepted_file" ]; then
  echo "== no accepted run yet: accepting run $run_id as the baseline"
  echo "$run_id" > "$accepted_file"
  exit 0
fi
baseline=$(cat "$accepted_file")
echo "== comparing with the accepted run $baseline"
set +e
"$tarmac" compare "$baseline" "$run_id" --db "$db" $strict
verdict=$?
set -e
case $verdict in
  0) echo "$run_id" > "$accepted_file"; echo "== accepted: run $run_id is the new baseline"; exit 0 ;;
  1) echo "== REGRESSION: run $run_id rejected; the baseline stays run $baseline"; exit 1 ;;
  *) echo "nightly: compare failed" >&2; exit 2 ;;
esac
