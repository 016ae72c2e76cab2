#!/usr/bin/env bash
# GPU check of the learned planners, in one go, for a machine with an NVIDIA
# GPU and a CUDA-enabled PyTorch (python3 -c 'import torch' must work and see
# the GPU). Builds tarmac against that PyTorch's LibTorch in build-cuda/,
# trains a small transformer for a few batches on the embedded suite (CPU),
# then prints `tarmac bench planner` on the CPU and on the GPU and a batched
# closed-loop run with --device cuda.
#
#   tools/gpu_check.sh            (env: PYTHON, default python3; JOBS, default nproc)
#
# Not yet run on a GPU machine (docs/learned-planners.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
py=${PYTHON:-python3}
jobs=${JOBS:-$(nproc)}
say() { printf '\n== %s\n' "$*"; }

say "PyTorch"
"$py" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda, "available", torch.cuda.is_available(),
      "ABI cxx11", torch.compiled_with_cxx11_abi())'
"$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' ||
  { echo "gpu_check: this PyTorch sees no GPU" >&2; exit 1; }
prefix=$("$py" -c 'import torch; print(torch.utils.cmake_prefix_path)')

say "configure and build (build-cuda, $jobs jobs)"
cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTARMAC_WITH_TORCH=ON \
      -DTARMAC_BUILD_BENCH=OFF -DCMAKE_PREFIX_PATH="$prefix" -DTARMAC_TORCH_PYTHON="$(command -v "$py")" >/dev/null
cmake --build build-cuda -j "$jobs" --target tarmac tarmac_learned_tests
B=build-cuda/tools/tarmac
out=$(mktemp -d)

say "learned-planner tests"
build-cuda/tests/tarmac_learned_tests

say "a small transformer (CPU, a few batches)"
$B train --model transformer --data suites/default --out "$out/t.ckpt" --epochs 1 --max-batches 20 --threads "$jobs"

for device in cpu cuda; do
  say "bench planner --device $device"
  $B bench planner suites/default --planner "transformer:$out/t.ckpt" --device "$device" --threads "$jobs"
done

say "closed loop on the GPU (--batch 64)"
time $B simulate suites/default --planner "transformer:$out/t.ckpt" --agents idm --device cuda --batch 64 \
  --threads "$jobs" | tail -1
