#!/usr/bin/env bash
# Builds and runs the SwiftPM example with kevc's build-tool plugin. Usage: examples/swiftpm-plugin/build.sh [KEVC]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export KEVC="$(realpath "$(command -v "${1:-kevc}")")"
cd "$here"
swift build ${BUILD_DIR:+--scratch-path "$BUILD_DIR"} --product Demo
"$(swift build ${BUILD_DIR:+--scratch-path "$BUILD_DIR"} --product Demo --show-bin-path)/Demo"
