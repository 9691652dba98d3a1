#!/usr/bin/env bash
# Decode throughput to RGB24: seqcurate's VideoReader against the ffmpeg tool, same file, same
# threads, same run. Target: seqcurate >= 0.9x ffmpeg's frames/s.
#   tools/bench_decode.sh [threads=2] [seconds=20]
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
SECONDS_LONG=${2:-20}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CLIP="$WORK/testsrc2_720p.mp4"
ffmpeg -v error -f lavfi -i "testsrc2=size=1280x720:rate=30" -t "$SECONDS_LONG" -c:v libx264 -preset fast -pix_fmt yuv420p -y "$CLIP"
swift build -c release --product seqcurate >/dev/null
BIN=$(swift build -c release --show-bin-path)/seqcurate
FRAMES=$("$BIN" probe --json "$CLIP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])')

best() { # command... -> best wall seconds of 3 runs
    local best=1e9
    for _ in 1 2 3; do
        local t0 t1
        t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
        best=$(python3 -c "print(min($best, $t1 - $t0))")
    done
    echo "$best"
}
T_FF=$(best ffmpeg -v error -threads "$THREADS" -i "$CLIP" -f rawvideo -pix_fmt rgb24 -y /dev/null)
T_SC=$(best "$BIN" frames "$CLIP" --threads "$THREADS" --raw /dev/null)
python3 - "$FRAMES" "$T_FF" "$T_SC" "$THREADS" <<'PY'
import sys
n, tff, tsc, th = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
ff, sc = n / tff, n / tsc
print(f"1280x720 H.264, {n} frames, {th} threads")
print(f"ffmpeg    {ff:8.1f} frames/s")
print(f"seqcurate {sc:8.1f} frames/s")
print(f"ratio     {sc / ff:8.2f}x (target >= 0.90)")
PY
