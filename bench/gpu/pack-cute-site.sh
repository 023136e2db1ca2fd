#!/usr/bin/env bash
# Packs the CuTe DSL (nvidia-cutlass-dsl 4.8.1) for the GPU machine, which has no package index: the four cp312
# manylinux_2_28 wheels (nvidia_cutlass_dsl, libs_base, libs_core, libs_cu13) unpacked into one folder cute-site/,
# as tar.xz split into parts under 64 MiB (one transfer's limit):
#   bench/gpu/pack-cute-site.sh OUT_DIR     -> OUT_DIR/cute-site.tar.xz.part-aa, -ab, ...
# There: KEVC_CUTE_SITE=OUT_DIR bench/gpu/targets-check.sh RESULTS (joins, unpacks to /tmp/cute-site, addsitedir).
set -euo pipefail
OUT=${1:?usage: bench/gpu/pack-cute-site.sh OUT_DIR}
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --dest "$work/wheels" nvidia-cutlass-dsl==4.8.1 \
  "nvidia-cutlass-dsl-libs-base==4.8.1" "nvidia-cutlass-dsl-libs-core==4.8.1" "nvidia-cutlass-dsl-libs-cu13==4.8.1"
mkdir -p "$work/cute-site"
for w in "$work"/wheels/*.whl; do python3 -m zipfile -e "$w" "$work/cute-site"; done
tar -C "$work" -c cute-site | xz -T0 -9 > "$work/cute-site.tar.xz"
split -b 34000000 "$work/cute-site.tar.xz" "$OUT/cute-site.tar.xz.part-"
ls -l "$OUT"
