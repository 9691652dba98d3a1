#!/usr/bin/env bash
# Decode throughput to RGB24: seqcurate's VideoReader against the ffmpeg tool, same file, same
# threads, same run. Target: seqcurate >= 0.9x ffmpeg's frames/s.
#   tools/bench_decode.sh [threads=2] [seconds=20] [rounds=3]
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset (neither side multiplies matrices; kept uniform
# with the other bench scripts).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${1:-2}
SECONDS_LONG=${2:-20}
ROUNDS=${3:-3}
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CLIP="$WORK/testsrc2_720p.mp4"
ffmpeg -v error -f lavfi -i "testsrc2=size=1280x720:rate=30" -t "$SECONDS_LONG" -c:v libx264 -preset fast -pix_fmt yuv420p -y "$CLIP"
swift build -c release --product seqcurate >/dev/null
BIN=$(swift build -c release --show-bin-path)/seqcurate
FRAMES=$("$BIN" probe --json "$CLIP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])')

# Interleaved rounds: ffmpeg then seqcurate in odd rounds, the other way round in even ones;
# every run is printed with the load average taken just before it; the summary is the median of
# the per-round ratios (each round's two runs saw about the same machine).
wall() { # command... -> wall seconds of one run
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.3f}')"
}
run_ff() { echo "  load before ffmpeg:    $(cat /proc/loadavg)" >&2; wall ffmpeg -v error -threads "$THREADS" -i "$CLIP" -f rawvideo -pix_fmt rgb24 -y /dev/null; }
run_sc() { echo "  load before seqcurate: $(cat /proc/loadavg)" >&2; wall "$BIN" frames "$CLIP" --threads "$THREADS" --raw /dev/null; }
echo "1280x720 H.264, $FRAMES frames, $THREADS threads, $ROUNDS rounds, $(nproc) cores"
T_FF=() T_SC=()
for r in $(seq "$ROUNDS"); do
    if (( r % 2 == 1 )); then ff=$(run_ff); sc=$(run_sc); else sc=$(run_sc); ff=$(run_ff); fi
    T_FF+=("$ff"); T_SC+=("$sc")
    python3 -c "n=$FRAMES; print(f'round $r: ffmpeg {n / $ff:8.1f} frames/s, seqcurate {n / $sc:8.1f} frames/s, ratio {$ff / $sc:.2f}x')"
done
python3 - "$FRAMES" "${T_FF[*]}" "${T_SC[*]}" <<'PY'
import statistics, sys
n, tff, tsc = int(sys.argv[1]), [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
print(f"ffmpeg    {statistics.median(n / t for t in tff):8.1f} frames/s (median)")
print(f"seqcurate {statistics.median(n / t for t in tsc):8.1f} frames/s (median)")
print(f"ratio     {statistics.median(a / b for a, b in zip(tff, tsc)):8.2f}x median of per-round ratios (target >= 0.90)")
PY
