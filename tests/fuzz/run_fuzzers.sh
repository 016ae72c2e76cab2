#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 30) on a seed corpus made from real files: the
# CommonRoad and ScenarioNet data read in place, and WOMD / GPUDrive / tarmac
# files written by `tarmac scenario convert` into a temporary folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-30}
build=${FUZZ_BUILD_DIR:-build-fuzz}
data=${TARMAC_DATA_DIR:-$root/../shared/data}
tarmac=${TARMAC_BIN:-$root/${BUILD_DIR:-build}/tools/tarmac}

command -v clang++ >/dev/null || { echo "run_fuzzers: clang++ missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTARMAC_FUZZ=ON -DTARMAC_BUILD_TESTS=OFF -DTARMAC_BUILD_BENCH=OFF -DTARMAC_WITH_TORCH=OFF >/dev/null
# One target per "name:Format" entry of TARMAC_FUZZ_FORMATS in tests/fuzz/CMakeLists.txt.
targets=$(grep -o '"[a-z_]*:k[A-Za-z]*"' tests/fuzz/CMakeLists.txt | sed 's/"\([a-z_]*\):.*/fuzz_\1/')
# shellcheck disable=SC2086
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target $targets

mkdir -p "$root/out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
seed() { mkdir -p "$work/$1"; shift_name=$1; shift; for f in "$@"; do [ -f "$f" ] && cp "$f" "$work/$shift_name/"; done; }
# Small real files make fast seeds.
seed commonroad "$root"/suites/default/commonroad/USA_US101-3_3_T-1.xml "$root"/suites/default/commonroad/USA_Peach-4_8_T-1.xml
seed scenarionet "$data"/nuscenes-mini-scenarionet/sd_nuscenes_v1.0-mini_scene-1100.pkl
seed tarmac_spec "$root"/authoring/templates/*.spec
if [ -x "$tarmac" ]; then
  for fmt in womd:tfrecord gpudrive:json tarmac_pb:pb tarmac_pbtxt:pbtxt; do
    name=${fmt%%:*}; ext=${fmt##*:}
    mkdir -p "$work/$name"
    "$tarmac" scenario convert "$root"/suites/default/commonroad/USA_US101-3_3_T-1.xml \
      "$work/$name/seed.$ext" >/dev/null || { echo "run_fuzzers: cannot make the $ext seed" >&2; exit 1; }
  done
  # The record fuzzer takes bare Scenario protos: strip the TFRecord frame
  # (8-byte length, 4-byte CRC before; 4-byte CRC after).
  mkdir -p "$work/womd_record"
  tail -c +13 "$work/womd/seed.tfrecord" | head -c -4 > "$work/womd_record/seed.pb"
else
  echo "run_fuzzers: $tarmac not built; run tools/bootstrap.sh build first" >&2
  exit 1
fi
status=0
for t in $targets; do
  name=${t#fuzz_}
  mkdir -p "$work/$name" "$work/$name.new"
  # Inputs as long as the largest real seed, so seeds are not cut short.
  max_len=$(find "$work/$name" -type f -printf '%s\n' | sort -n | tail -n 1)
  max_len=$(( ${max_len:-0} > 65536 ? ${max_len:-0} : 65536 ))
  echo "== $t for ${seconds}s ($(ls "$work/$name" | wc -l) seed files, inputs up to $max_len bytes)"
  if ! "$build/tests/fuzz/$t" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 \
       -timeout=10 -print_final_stats=1 -artifact_prefix="$root/out/fuzz-$name-" \
       "$work/$name.new" "$work/$name" > "$work/$name.log" 2>&1; then
    echo "FAILED: $t (log tail below; the crashing input is in out/fuzz-$name-*)"
    tail -n 40 "$work/$name.log"
    status=1
  else
    grep -E 'stat::number_of_executed_units|cov:' "$work/$name.log" | tail -n 2
  fi
done
exit $status
