#!/usr/bin/env bash
# The Slurm deployment (tools/deploy/slurm/) end to end on a real, single-node
# Slurm cluster started here by hand, as CI runs it (.ci/run):
#
#   1. installs Debian's slurmctld, slurmd, slurm-client, munge (and sqlite3)
#      if missing; starts munged, slurmctld and slurmd in the background on
#      localhost with a private slurm.conf (SLURM_CONF) in a scratch folder;
#   2. runs the real suite (../shared/data: commonroad-ngsim and
#      nuscenes-mini-scenarionet, 32 scenarios) in one process: the reference;
#   3. submits it with tools/deploy/slurm/submit.sh as a job array of
#      $SHARDS shard tasks plus the dependent merge-and-compare job, and waits;
#   4. checks that every job completed, that the merged run equals the
#      single-process run scenario by scenario (state hash, score, every
#      metric, events, traces, configuration) and that `tarmac compare` found
#      no difference, and that merging again changes nothing;
#   5. submits again with shard 2 failing: the merge job must fail (exit 2),
#      naming the missing shard, and write nothing;
#   6. stops the daemons by PID (also on failure) and removes the scratch folder.
#
# Needs root (it starts the daemons). Environment: BUILD_DIR (default build),
# TARMAC_DATA_DIR (default ../shared/data), SHARDS (default 4),
# KEEP_SLURM_TEST_DIR=1 keeps the scratch folder. Exit 0 only if everything
# above held; every failure says what and shows the daemons' logs.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${BUILD_DIR:-build}
case "$build_dir" in /*) ;; *) build_dir=$root/$build_dir ;; esac
tarmac=$build_dir/tools/tarmac
data=${TARMAC_DATA_DIR:-$root/../shared/data}
shards=${SHARDS:-4}
start_seconds=$SECONDS

say() { printf '\n== slurm test: %s\n' "$*"; }
fail() { printf '\nslurm test FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root: it installs packages and starts munged, slurmctld and slurmd"
[ -x "$tarmac" ] || fail "$tarmac not built (tools/bootstrap.sh build, or set BUILD_DIR)"
suite=("$data/commonroad-ngsim" "$data/nuscenes-mini-scenarionet")
for d in "${suite[@]}"; do [ -d "$d" ] || fail "real data missing: $d (set TARMAC_DATA_DIR)"; done

# ---- 1. packages and daemons -----------------------------------------------------
packages=(slurmctld slurmd slurm-client munge sqlite3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq || fail "apt-get update failed"
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    fail "apt-get install failed for: ${missing[*]}"
fi
for tool in munged munge slurmctld slurmd sbatch squeue sinfo scontrol sqlite3; do
  command -v "$tool" >/dev/null || fail "$tool not found after installing ${packages[*]}"
done

work=$(mktemp -d /tmp/tarmac-slurm-test.XXXXXX)
chmod 755 "$work"
pids=()
names=()
cleanup() {
  local rc=$?
  set +e
  for ((i = ${#pids[@]} - 1; i >= 0; --i)); do
    kill "${pids[$i]}" 2>/dev/null && echo "stopped ${names[$i]} (pid ${pids[$i]})"
  done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  if [ $rc -ne 0 ]; then
    for log in slurmctld.log slurmd.log munge/munged.log out/logs/*.out; do
      [ -f "$work/$log" ] || continue
      echo "---- $log (last 40 lines)"
      tail -n 40 "$work/$log"
    done
  fi
  if [ "${KEEP_SLURM_TEST_DIR:-0}" = 1 ] || [ $rc -ne 0 ]; then
    echo "scratch folder kept: $work"
  else
    rm -rf "$work"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts a daemon in the foreground of a background job; remembers its PID.
start() {
  local name=$1
  shift
  "$@" >"$work/$name.stdout" 2>&1 &
  pids+=($!)
  names+=("$name")
}

# Polls `$@` until it succeeds, for at most $1 seconds.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  for ((t = 0; t < seconds * 5; ++t)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  fail "timed out after ${seconds}s waiting for $what"
}

say "starting munged, slurmctld and slurmd in $work"
mkdir -m 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge/munge.key"
chmod 711 "$work/munge"  # clients reach the socket; the key stays private
socket=$work/munge/munge.socket
start munged munged --foreground --force --socket="$socket" --key-file="$work/munge/munge.key" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" --seed-file="$work/munge/munged.seed"
wait_for 20 "munged to answer" bash -c "munge -S '$socket' -n | unmunge -S '$socket'"

host=$(hostname -s)
cpus=$(nproc)
mkdir -p "$work/state" "$work/spool"
cat >"$work/slurm.conf" <<EOF
# A single-node cluster on localhost for the tarmac Slurm test.
ClusterName=tarmactest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=${SLURMCTLD_PORT:-26817}
SlurmdPort=${SLURMD_PORT:-26818}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
# Keep finished jobs visible to scontrol (there is no accounting database).
MinJobAge=3600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
# OverSubscribe: more array tasks than cores may run at once.
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
export SLURM_CONF=$work/slurm.conf
start slurmctld slurmctld -D -f "$SLURM_CONF"
start slurmd slurmd -D -N "$host" -f "$SLURM_CONF"
node_idle() { [ "$(sinfo -h -N -n "$host" -o '%t' 2>/dev/null)" = idle ]; }
wait_for 60 "node $host to be idle (sinfo)" node_idle
sinfo

# ---- 2. the reference: one process ------------------------------------------------
say "single-process run of the suite (the reference)"
t0=$SECONDS
"$tarmac" run --planner pdm --agents idm --scenarios "${suite[@]}" --db "$work/single.db" --run-name single \
  --json >"$work/single.json" || fail "the single-process run failed"
single_seconds=$((SECONDS - t0))
scenarios=$(sqlite3 "$work/single.db" "SELECT count(*) FROM results WHERE run_id = 1")
[ "$scenarios" -ge 32 ] || fail "the suite has $scenarios scenarios, expected the 32 real ones"
echo "$scenarios scenarios in ${single_seconds}s"

# ---- 3. the same suite as a Slurm job array -----------------------------------------
say "submitting $shards shards and the merge job"
t0=$SECONDS
# The shards write to node-local scratch and copy their databases out (TARMAC_SCRATCH);
# the failing run below writes into the output folder directly.
read -r array_job merge_job < <(TARMAC_BIN=$tarmac TARMAC_SCRATCH=$work/scratch \
  "$root/tools/deploy/slurm/submit.sh" --shards "$shards" \
  --out "$work/out" --name nightly --merged "$work/out/merged.db" --baseline "$work/single.db:single" \
  --cpus-per-task 1 --max-running 3 -- --planner pdm --agents idm --scenarios "${suite[@]}") ||
  fail "submit.sh failed"
if [ -z "$array_job" ] || [ -z "$merge_job" ]; then fail "submit.sh printed no job ids"; fi
echo "array job $array_job, merge job $merge_job"
squeue
jobs_gone() { [ -z "$(squeue -h -j "$array_job,$merge_job" -o '%i' 2>/dev/null)" ]; }
wait_for 240 "jobs $array_job and $merge_job to finish" jobs_gone
slurm_seconds=$((SECONDS - t0))

# Every job, every array task: COMPLETED with exit code 0:0 (scontrol; no accounting).
# One line per job: "ARRAY_TASK_ID STATE EXIT_CODE".
job_states() {
  scontrol -o show job "$1" | while read -r line; do
    local task state code
    task=$(grep -o ' ArrayTaskId=[0-9]*' <<<"$line" || echo " ArrayTaskId=-")
    state=$(grep -o ' JobState=[A-Z_]*' <<<"$line")
    code=$(grep -o ' ExitCode=[0-9:]*' <<<"$line")
    echo "${task#*=} ${state#*=} ${code#*=}"
  done | sort -n
}
states=$(job_states "$array_job")
echo "array tasks (task, state, exit code):"
echo "$states"
[ "$(grep -c ' COMPLETED 0:0$' <<<"$states")" -eq "$shards" ] || fail "not every shard task completed"
merge_state=$(job_states "$merge_job")
echo "merge job: $merge_state"
[ "$merge_state" = "- COMPLETED 0:0" ] || fail "the merge job did not complete"
grep -q "merged $shards shards into run 1 'nightly'" "$work/out/logs/merge.out" || fail "merge log: no merge"
grep -q "verdict: OK (no regression)" "$work/out/logs/merge.out" || fail "merge log: compare did not pass"
for k in $(seq 1 "$shards"); do
  grep -q "copied to $work/out/shard-$k-of-$shards.db" "$work/out/logs/shard-$k-of-$shards.out" ||
    fail "shard $k did not write through TARMAC_SCRATCH"
done

# ---- 4. the merged run is the single-process run --------------------------------------
say "comparing the merged run with the single-process run, scenario by scenario"
merged=$work/out/merged.db
q() { sqlite3 -batch "$merged" "ATTACH '$work/single.db' AS s; $1"; }
for k in $(seq 1 "$shards"); do
  [ -f "$work/out/shard-$k-of-$shards.db" ] || fail "shard database $k of $shards missing"
done
[ "$(q "SELECT count(*) FROM runs")" = 1 ] || fail "merged.db should hold exactly one run"
run=$(q "SELECT shard || ' ' || num_scenarios FROM runs WHERE id = 1")
[ "$run" = "1/1 $scenarios" ] || fail "merged run: shard and scenarios '$run', expected '1/1 $scenarios'"
[ "$(q "SELECT count(*) FROM main.runs m JOIN s.runs r ON m.config_json = r.config_json AND
       m.suite_sha256 = r.suite_sha256 AND m.planner = r.planner AND m.agents = r.agents AND m.seed = r.seed")" = 1 ] ||
  fail "the merged run's configuration, suite or planner differs from the single-process run's"
[ "$(q "SELECT count(*) FROM merged_from WHERE run_id = 1")" = "$shards" ] || fail "merged_from lacks shards"
# Scenario by scenario: state hash and score, listed if they differ.
differ=$(q "SELECT m.scenario_id || ': ' || ifnull(m.state_hash, 'NULL') || ' ' || ifnull(m.score, 'NULL') ||
              ' vs ' || ifnull(r.state_hash, 'NULL') || ' ' || ifnull(r.score, 'NULL')
            FROM s.results r LEFT JOIN main.results m ON m.run_id = 1 AND m.scenario_id = r.scenario_id
            WHERE r.run_id = 1 AND (m.scenario_id IS NULL OR m.state_hash IS NOT r.state_hash OR m.score IS NOT r.score)")
[ -z "$differ" ] || fail "scenarios that differ (merged vs single):
$differ"
same_hashes=$(q "SELECT count(*) FROM main.results m JOIN s.results r USING (scenario_id)
                 WHERE m.state_hash = r.state_hash AND m.score IS r.score")
[ "$same_hashes" = "$scenarios" ] || fail "only $same_hashes of $scenarios scenarios match"
# Every column but run_id and wall_ms (a timing), every event, every trace: both ways.
cols=$(sqlite3 "$merged" "SELECT group_concat('\"' || name || '\"', ', ') FROM pragma_table_info('results')
                          WHERE name NOT IN ('run_id', 'wall_ms')")
ev="scenario_id, step, kind, agent_id, agent_type, detail, value"
tr="scenario_id, dt, start_step, num_steps, agent_meta, ego, agents, plans"
for check in "results:$cols" "events:$ev" "traces:$tr"; do
  table=${check%%:*}
  c=${check#*:}
  extra=$(q "SELECT count(*) FROM (SELECT $c FROM main.$table WHERE run_id = 1 EXCEPT SELECT $c FROM s.$table WHERE run_id = 1)")
  lacking=$(q "SELECT count(*) FROM (SELECT $c FROM s.$table WHERE run_id = 1 EXCEPT SELECT $c FROM main.$table WHERE run_id = 1)")
  counts=$(q "SELECT (SELECT count(*) FROM main.$table WHERE run_id = 1) || ' ' || (SELECT count(*) FROM s.$table WHERE run_id = 1)")
  echo "$table: $counts rows (merged, single); $extra only in merged, $lacking only in single"
  if [ "$extra" != 0 ] || [ "$lacking" != 0 ] || [ "${counts% *}" != "${counts#* }" ]; then fail "$table differ"; fi
done
# The shards cover the suite exactly once.
covered=$(for k in $(seq 1 "$shards"); do
  sqlite3 "$work/out/shard-$k-of-$shards.db" "SELECT scenario_id FROM results"; done | sort | uniq -c |
  awk '$1 != 1 { bad++ } END { print NR, bad + 0 }')
[ "$covered" = "$scenarios 0" ] || fail "shards cover '$covered' (scenarios, doubled), expected '$scenarios 0'"

# Merging again changes nothing.
before=$(sha256sum <"$merged")
inputs=()
for k in $(seq 1 "$shards"); do inputs+=("$work/out/shard-$k-of-$shards.db"); done
"$tarmac" merge "$merged" "${inputs[@]}" --run-name nightly | tee "$work/again.txt" || fail "second merge failed"
grep -q "already merged: run 1" "$work/again.txt" || fail "a second merge was not recognised"
[ "$(sha256sum <"$merged")" = "$before" ] || fail "a second merge changed merged.db"

# ---- 5. a failing shard fails the merge job, which names it -------------------------
say "a shard task that fails: the merge job fails and names the missing shard"
cat >"$work/failing-tarmac" <<EOF
#!/usr/bin/env bash
# tarmac, except that shard 2 fails as a crashed task would.
case " \$* " in *" --shard 2/$shards "*) echo "shard 2 crashes" >&2; exit 1 ;; esac
exec "$tarmac" "\$@"
EOF
chmod +x "$work/failing-tarmac"
read -r array_job merge_job < <(TARMAC_BIN=$work/failing-tarmac "$root/tools/deploy/slurm/submit.sh" \
  --shards "$shards" --out "$work/failing" --name failing -- --planner pdm --agents idm --horizon 20 \
  --scenarios "${suite[@]}") || fail "submit.sh failed"
wait_for 240 "jobs $array_job and $merge_job to finish" jobs_gone
states=$(job_states "$array_job")
echo "$states"
[ "$(grep -c ' COMPLETED 0:0$' <<<"$states")" -eq $((shards - 1)) ] || fail "expected $((shards - 1)) completed tasks"
grep -q '^2 FAILED 1:0$' <<<"$states" || fail "task 2 should have failed"
merge_state=$(job_states "$merge_job")
echo "merge job: $merge_state"
[ "$merge_state" = "- FAILED 2:0" ] || fail "the merge job should fail with exit code 2"
grep -q "missing shard 2 of $shards" "$work/failing/logs/merge.out" || fail "the merge log does not name shard 2"
grep -A3 "cannot merge" "$work/failing/logs/merge.out"
[ ! -e "$work/failing/merged.db" ] || fail "a failed merge wrote merged.db"

say "passed: $shards Slurm array tasks + merge job gave the single-process run exactly ($scenarios scenarios);"
echo "   single process ${single_seconds}s, Slurm submit-to-merged ${slurm_seconds}s, whole test $((SECONDS - start_seconds))s"
