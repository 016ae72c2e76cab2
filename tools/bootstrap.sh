#!/usr/bin/env bash
# One-command set-up for a fresh Debian 12 machine (run as root, or with sudo):
#
#   tools/bootstrap.sh run    install what is needed, build, run the main job
#   tools/bootstrap.sh test   install what is needed, build, run the whole test suite
#   tools/bootstrap.sh fuzz   build the libFuzzer targets (clang, ASan+UBSan), run each briefly
#   tools/bootstrap.sh build  install and build only
#
# Environment: BUILD_DIR (default build), JOBS (default: all cores),
# FUZZ_SECONDS (default 30 per fuzzer), TARMAC_DATA_DIR (real data; default ../shared/data),
# TARMAC_REQUIRE_BROWSER=1 (CI: npm ci and the browser tests must work, else fail).
set -euo pipefail

mode=${1:-}
case "$mode" in run|test|fuzz|build) ;; *)
  echo "usage: tools/bootstrap.sh run|test|fuzz|build" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}

say() { printf '\n== %s\n' "$*"; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libprotobuf-dev protobuf-compiler libpugixml-dev nlohmann-json3-dev libcli11-dev
  libcairo2-dev libgif-dev libfmt-dev catch2 libeigen3-dev libbenchmark-dev
  libopenblas0-openmp libssl-dev
  libsqlite3-dev zlib1g-dev
  libcpp-httplib-dev
  libtorch-dev libgloo-dev
)
if [ "$mode" = fuzz ]; then packages+=(clang libclang-rt-14-dev); fi
# The dashboard (tarmac serve): its front end is built with npm packages; its
# tests drive Debian's Chromium. An existing Node.js (>= 18) is kept.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then packages+=(nodejs npm); fi
# python3-torch scripts the TorchScript fixtures of the learned planners' tests.
if [ "$mode" = test ]; then packages+=(chromium python3-torch); fi

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then return; fi
  say "installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq || die "apt-get update failed"
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install failed for: ${missing[*]}"
  # OpenBLAS (OpenMP) as the system BLAS/LAPACK: the reference BLAS is 10-30x
  # slower. LibTorch (libtorch-dev) calls this BLAS too (libblas.so.3).
  local arch; arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
  for lib in libblas.so.3 liblapack.so.3; do
    local alt=/usr/lib/$arch/openblas-openmp/$lib
    if [ -e "$alt" ]; then $sudo update-alternatives --set "$lib-$arch" "$alt" >/dev/null || true; fi
  done
}

# node_modules/ from package-lock.json (esbuild and uPlot for the dashboard's
# front end, playwright-core for its browser tests), when missing or stale.
# Offline, the build goes on without the front end (tarmac serve says so).
install_web_packages() {
  if [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
    return
  fi
  say "npm ci (the dashboard's front end and browser tests)"
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    [ "${TARMAC_REQUIRE_BROWSER:-0}" = 1 ] && die "npm ci failed"
    echo "bootstrap: npm ci failed: building without the dashboard's front end" >&2
  fi
}

configure_and_build() {
  install_web_packages
  say "building in $build_dir ($jobs jobs)"
  # The learned planners need LibTorch (libtorch-dev above): required here.
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTARMAC_WITH_TORCH=ON >/dev/null ||
    die "cmake configure failed (see above)"
  cmake --build "$build_dir" -j "$jobs" || die "build failed"
}

install_packages
case "$mode" in
  build) configure_and_build ;;
  run)
    configure_and_build
    exec "$root/tools/main_job.sh" "$build_dir"
    ;;
  test)
    configure_and_build
    say "tests"
    data=${TARMAC_DATA_DIR:-$root/../shared/data}
    if [ ! -f "$data/SOURCES.md" ]; then
      echo "note: real data not found at $data; tests that need it are skipped (set TARMAC_DATA_DIR)"
    fi
    (cd "$build_dir" && ctest -j "$jobs" --output-on-failure --timeout 900) || die "tests failed"
    say "all tests passed"
    ;;
  fuzz)
    exec "$root/tests/fuzz/run_fuzzers.sh"
    ;;
esac
