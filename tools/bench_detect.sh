#!/usr/bin/env bash
# Frames per second of `seqcurate detect` against facenet-pytorch's MTCNN (torch CPU, 2 threads)
# on every frame of carphone_pristine.mp4, at its native 176x144 and upscaled to 640x360.
#
#   tools/bench_detect.sh [VIDEO]
#
# Env: SEQCURATE=path/to/seqcurate (default: build release here), RUNS=3 (interleaved rounds,
# each printed with the load average; the summary is the median per-round ratio), THREADS=2
# (torch threads). A user-set OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE is removed so OpenBLAS picks
# its best kernels (as tools/bench_sgemm.sh does); OPENBLAS_NUM_THREADS is passed through
# (`seqcurate detect` uses 1 OpenBLAS thread unless it is set). torch runs with
# OMP_WAIT_POLICY=PASSIVE, its best setting on a shared machine.
# seqcurate is timed end to end (process start, weight loading, decoding, JSON output);
# facenet-pytorch is timed on detection alone (frames decoded beforehand, model warmed up),
# so the ratio understates seqcurate's advantage slightly.
# Needs: ffmpeg, python3 with torch, `pip install --no-deps facenet-pytorch==2.6.0`.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
VIDEO=${1:-assets/carphone_pristine.mp4}
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

# One timed run of each side; the caller interleaves them.
seqcurate_run() {  # frames/s of one end-to-end run
    local clip=$1 n=$2 t0 t1
    t0=$(date +%s.%N)
    "$SEQCURATE" detect --json "$clip" > "$WORK/out.jsonl"
    t1=$(date +%s.%N)
    [[ $(wc -l < "$WORK/out.jsonl") -eq $n ]] || { echo "seqcurate wrote $(wc -l < "$WORK/out.jsonl") records for $n frames" >&2; exit 1; }
    python3 -c "print(f'{$n / ($t1 - $t0):.2f}')"
}
# Passive OpenMP waits: with torch's default spinning waits a shared machine slows it 10x or more.
torch_run() { OMP_WAIT_POLICY=PASSIVE python3 tools/mtcnn_reference.py --bench "$1" --threads "$THREADS"; }
median() { python3 -c "import statistics, sys; print(f'{statistics.median(float(v) for v in sys.argv[1:]):.2f}')" "$@"; }

echo "seqcurate: $SEQCURATE   OpenBLAS threads: ${OPENBLAS_NUM_THREADS:-default}   torch threads: $THREADS   $RUNS interleaved rounds   $(nproc) cores"
SUMMARY=()
for clip in "$VIDEO" "$UPSCALED"; do
    size=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 "$clip")
    n=$(frames_of "$clip")
    ours_runs=(); theirs_runs=(); ratios=()
    for r in $(seq "$RUNS"); do
        # Which side goes first alternates, so neither always meets the other's leftovers.
        load_a=$(cat /proc/loadavg)
        if (( r % 2 == 1 )); then ours=$(seqcurate_run "$clip" "$n"); load_b=$(cat /proc/loadavg); theirs=$(torch_run "$clip")
        else theirs=$(torch_run "$clip"); load_b=$(cat /proc/loadavg); ours=$(seqcurate_run "$clip" "$n"); fi
        ours_runs+=("$ours"); theirs_runs+=("$theirs")
        ratio=$(python3 -c "print(f'{$ours / $theirs:.2f}')"); ratios+=("$ratio")
        echo "round $r $size: seqcurate $ours f/s, facenet-pytorch $theirs f/s, ratio ${ratio}x  [load before 1st side: $load_a; before 2nd: $load_b]"
    done
    SUMMARY+=("$(printf "%-22s %14s %18s %13sx" "$(basename "$VIDEO") $size" "$(median "${ours_runs[@]}")" "$(median "${theirs_runs[@]}")" "$(median "${ratios[@]}")")")
done
echo
printf "%-22s %14s %18s %14s\n" "clip" "seqcurate f/s" "facenet-pytorch f/s" "median ratio"
printf "%s\n" "${SUMMARY[@]}"
echo "(frames/s columns: medians over rounds; ratio: median of the per-round ratios)"
