#!/usr/bin/env bash
# Builds kevc as a static release binary (Swift stdlib and LLVM linked in) for machines without Swift or LLVM 22
# (the GPU test machine), and compresses it: writes bench/gpu/kevc-static.xz.
set -euo pipefail
cd "$(dirname "$0")/../.."
libs=$(llvm-config-22 --link-static --libs core analysis target native orcjit passes bitwriter executionengine)
export KEVC_STATIC_LLVM_FLAGS="-L$(llvm-config-22 --libdir) $libs -lstdc++ -lz -lzstd"
swift build -c release --static-swift-stdlib --scratch-path .build-static --product kevc
strip -o bench/gpu/kevc-static .build-static/release/kevc
xz -T0 -6 -f bench/gpu/kevc-static
ls -l bench/gpu/kevc-static.xz
