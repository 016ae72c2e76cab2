#!/usr/bin/env bash
# Submits a sharded tarmac evaluation to Slurm (docs/scale-out.md):
#   1. an array of N tasks, task K running shard K/N of the suite
#      (tarmac-shard.sbatch, one results database per shard in OUT_DIR);
#   2. a merge job that starts when every task has ended (afterany): it merges
#      the shards into one run in MERGED_DB and, given --baseline, compares it
#      with the baseline run (tarmac-merge.sbatch). It fails if a shard is
#      missing or unfinished, or if the candidate regresses.
#
#   tools/deploy/slurm/submit.sh --shards N --out DIR [--name RUN_NAME] [--merged DB]
#       [--baseline DB:RUN] [--cpus-per-task C] [--max-running M]
#       [--sbatch "EXTRA SBATCH ARGS"] -- TARMAC_RUN_ARGS...
#
# --max-running M: at most M shard tasks at once (--array=1-N%M). --sbatch:
# options for both jobs (partition, time limit, account, ...).
#
# TARMAC_RUN_ARGS go to every `tarmac run` (e.g. --planner pdm --agents idm
# --scenarios nightly.suite); relative paths are taken from the submit
# directory (the jobs' working directory). Every path must be on a file system
# all nodes see. Environment: TARMAC_BIN (default: build/tools/tarmac of this
# checkout if built, else tarmac on PATH); TARMAC_SCRATCH (node-local folder
# for the shards' databases while they run; see tarmac-shard.sbatch);
# TARMAC_ACCEPTED (the accepted-run file the merge job compares with and
# updates; see tarmac-merge.sbatch). The jobs get the submitting environment.
# Prints "ARRAY_JOB_ID MERGE_JOB_ID" on stdout; logs go to OUT_DIR/logs/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
die() { echo "submit: $*" >&2; exit 2; }

shards=""
out=""
name=""
merged=""
baseline=""
cpus=1
max_running=""
extra=""
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    --merged) merged=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --cpus-per-task) cpus=$2; shift 2 ;;
    --max-running) max_running=$2; shift 2 ;;
    --sbatch) extra=$2; shift 2 ;;
    --) shift; break ;;
    *) die "unknown argument '$1' (tarmac run arguments go after --)" ;;
  esac
done
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "--shards N (a positive integer) is required"
[ -n "$out" ] || die "--out DIR is required"
[ -z "$max_running" ] || [[ "$max_running" =~ ^[1-9][0-9]*$ ]] || die "--max-running M must be a positive integer"
command -v sbatch >/dev/null || die "sbatch not found: is this a Slurm login node?"
mkdir -p "$out/logs"
out=$(cd "$out" && pwd)
name=${name:-tarmac-$(date -u +%Y%m%dT%H%M%SZ)}
merged=${merged:-$out/merged.db}
if [ -z "${TARMAC_BIN:-}" ]; then
  if [ -x "$root/build/tools/tarmac" ]; then TARMAC_BIN=$root/build/tools/tarmac; else TARMAC_BIN=tarmac; fi
fi
export TARMAC_BIN TARMAC_SHARDS=$shards

# shellcheck disable=SC2086
array_job=$(sbatch --parsable --array="1-$shards${max_running:+%$max_running}" --cpus-per-task="$cpus" \
  --export=ALL,TARMAC_BIN,TARMAC_SHARDS --output="$out/logs/shard-%a-of-$shards.out" $extra \
  "$here/tarmac-shard.sbatch" "$out" "$name" "$@") || die "submitting the shard array failed"
array_job=${array_job%%;*}  # --parsable prints JOBID[;CLUSTER]
# shellcheck disable=SC2086
merge_job=$(sbatch --parsable --dependency="afterany:$array_job" --export=ALL,TARMAC_BIN \
  --output="$out/logs/merge.out" $extra \
  "$here/tarmac-merge.sbatch" "$out" "$name" "$shards" "$merged" ${baseline:+"$baseline"}) ||
  die "submitting the merge job failed (the array $array_job is queued: scancel $array_job)"
merge_job=${merge_job%%;*}
echo "submit: array job $array_job ($shards shards of '$name'), merge job $merge_job; logs in $out/logs" >&2
echo "$array_job $merge_job"
