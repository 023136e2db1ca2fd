#!/usr/bin/env bash
# Configures, builds and runs the CMake example with Ninja. Usage: examples/cmake-two-shapes/build.sh [KEVC]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
kevc="$(realpath "$(command -v "${1:-kevc}")")"
out="${BUILD_DIR:-$here/build}"
cmake -S "$here" -B "$out" -G Ninja -Dkevc_DIR="$here/../../cmake" -DKEVC_EXECUTABLE="$kevc" >/dev/null
cmake --build "$out"
"$out/two_shapes"
