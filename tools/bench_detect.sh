#!/usr/bin/env bash
# Frames per second of `seqcurate detect` against facenet-pytorch's MTCNN (torch CPU, 2 threads)
# on every frame of carphone_pristine.mp4, at its native 176x144 and upscaled to 640x360.
#
#   tools/bench_detect.sh [VIDEO]
#
# Env: SEQCURATE=path/to/seqcurate (default: build release here), RUNS=3 (best of RUNS is kept
# on both sides, since the machine is shared), THREADS=2 (torch threads).
# seqcurate is timed end to end (process start, weight loading, decoding, JSON output);
# facenet-pytorch is timed on detection alone (frames decoded beforehand, model warmed up),
# so the ratio understates seqcurate's advantage slightly.
# Needs: ffmpeg, python3 with torch, `pip install --no-deps facenet-pytorch==2.6.0`.
set -euo pipefail
cd "$(dirname "$0")/.."
VIDEO=${1:-../shared/testdata/real/carphone_pristine.mp4}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
if [[ -z "${SEQCURATE:-}" ]]; then
    swift build -c release --product seqcurate >&2
    SEQCURATE=.build/release/seqcurate
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The upscaled clip, encoded near-losslessly so both sides decode the same pixels.
UPSCALED="$WORK/clip_640x360.mp4"
ffmpeg -nostdin -v error -y -i "$VIDEO" -vf scale=640:360 -c:v libx264 -qp 0 -pix_fmt yuv420p "$UPSCALED"

frames_of() { ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$1"; }

seqcurate_fps() {  # best frames/s of RUNS end-to-end runs
    local clip=$1 n best=0 t0 t1 fps
    n=$(frames_of "$clip")
    for _ in $(seq "$RUNS"); do
        t0=$(date +%s.%N)
        "$SEQCURATE" detect --json "$clip" > "$WORK/out.jsonl"
        t1=$(date +%s.%N)
        fps=$(python3 -c "print(f'{$n / ($t1 - $t0):.2f}')")
        best=$(python3 -c "print(max($best, $fps))")
    done
    [[ $(wc -l < "$WORK/out.jsonl") -eq $n ]] || { echo "seqcurate wrote $(wc -l < "$WORK/out.jsonl") records for $n frames" >&2; exit 1; }
    echo "$best"
}

torch_fps() {
    local clip=$1 best=0 fps
    for _ in $(seq "$RUNS"); do
        fps=$(python3 tools/mtcnn_reference.py --bench "$clip" --threads "$THREADS")
        best=$(python3 -c "print(max($best, $fps))")
    done
    echo "$best"
}

echo "seqcurate: $SEQCURATE   OpenBLAS threads: ${OPENBLAS_NUM_THREADS:-default}   torch threads: $THREADS   best of $RUNS"
printf "%-22s %14s %18s %8s\n" "clip" "seqcurate f/s" "facenet-pytorch f/s" "ratio"
for clip in "$VIDEO" "$UPSCALED"; do
    size=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 "$clip")
    ours=$(seqcurate_fps "$clip")
    theirs=$(torch_fps "$clip")
    printf "%-22s %14s %18s %7sx\n" "$(basename "$VIDEO") $size" "$ours" "$theirs" "$(python3 -c "print(f'{$ours / $theirs:.2f}')")"
done
