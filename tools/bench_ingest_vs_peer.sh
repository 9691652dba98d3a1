#!/usr/bin/env bash
# Ingest speed and memory of `seqcurate ingest` against a Python peer (facenet-pytorch MTCNN plus
# greedy IoU linking, tools/bench_ingest_peer.py), in one run on the same inputs.
#
#   tools/bench_ingest_vs_peer.sh
#
# Inputs (made here with ffmpeg, from assets/ of tools/setup.sh):
#   carphone_pristine.mp4 as it is (176x144, 120 frames, 4 s);
#   the same frames scaled to 640x360 (libx264 -crf 18);
#   for the memory check, the sample looped (-stream_loop) to 10 s and 60 s at 640x360.
# Speed: video-seconds per wall-second of the whole process (`/usr/bin/time`), detection on
# every frame; seqcurate is timed end to end (start, weights, decode, shots, MTCNN, tracks,
# quality, crops, SQLite), each run into a fresh catalog. The peer is reported two ways:
# its decode-detect-link loop alone (`loop`, model already loaded: the figure the ratio uses,
# which favours the peer) and its whole process (`proc`, with importing torch).
# Peak memory: maximum resident set size (`/usr/bin/time -f %M`).
# CPU: user + system seconds per video-second (less sensitive than wall time to other work on a
# shared machine).
#
# Env: SEQCURATE=path/to/seqcurate (default: build release here), RUNS=3 (interleaved rounds;
# every run is printed with the load average taken before it; the summary gives each side's
# median and the median of the per-round ratios), THREADS=2 (torch threads),
# PEER_LONG=1 (also run the peer on the 10 s input; off by default: it takes minutes),
# PEER_OMP_WAIT_POLICY (default PASSIVE; see below), BLAS1=0 (skip the diagnostic column).
# Both sides run under `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`, so a machine-wide
# setting (this one sets Haswell) handicaps neither: each library picks its own kernels.
# The peer runs with OMP_WAIT_POLICY=PASSIVE: torch's OpenMP threads otherwise spin while
# waiting, which on a shared 2-core machine made the same run 5-9x slower (44.6 s instead of
# 5.1 s on the 4 s sample); passive waiting is the peer's best setting here.
# Diagnostic column "seqcurate BLAS1": seqcurate with OPENBLAS_NUM_THREADS=1 (ingest detects
# frames on 2 threads already; OpenBLAS's own 2 threads per call then oversubscribe the cores).
# Needs: ffmpeg/ffprobe, GNU time (/usr/bin/time), python3 with torch (CPU) and
# `pip install --no-deps facenet-pytorch==2.6.0`.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
BLAS1=${BLAS1:-1}
PEER_ENV=(OMP_WAIT_POLICY="${PEER_OMP_WAIT_POLICY:-PASSIVE}")
SAMPLE=assets/carphone_pristine.mp4
[[ -f $SAMPLE && -f assets/mtcnn.safetensors ]] || { echo "assets missing: run tools/setup.sh" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }
python3 -c "import facenet_pytorch" 2>/dev/null || python3 -c "import sys; sys.path.insert(0, 'tools'); import mtcnn_reference; mtcnn_reference.make_detector()" \
    || { echo "facenet-pytorch missing: pip install --no-deps facenet-pytorch==2.6.0" >&2; exit 1; }
if [[ -z "${SEQCURATE:-}" ]]; then
    swift build -c release --product seqcurate >&2
    SEQCURATE="$(swift build -c release --show-bin-path)/seqcurate"
fi
CLEAN_ENV=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

ffmpeg_make() { ffmpeg -nostdin -v error -y "$@"; }
ffmpeg_make -i "$SAMPLE" -vf scale=640:360 -c:v libx264 -crf 18 -pix_fmt yuv420p "$WORK/carphone_640x360.mp4"
ffmpeg_make -stream_loop -1 -i "$SAMPLE" -t 10 -vf scale=640:360 -c:v libx264 -crf 18 -pix_fmt yuv420p "$WORK/loop10s_640x360.mp4"
ffmpeg_make -stream_loop -1 -i "$SAMPLE" -t 60 -vf scale=640:360 -c:v libx264 -crf 18 -pix_fmt yuv420p "$WORK/loop60s_640x360.mp4"

# Video seconds of a clip: decoded frames / frame rate, the same figure for both sides.
video_seconds() {
    local n rate
    n=$(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$1")
    rate=$(ffprobe -v error -select_streams v:0 -show_entries stream=r_frame_rate -of csv=p=0 "$1")
    python3 -c "n, (a, b) = $n, '$rate'.split('/'); print(f'{n * float(b) / float(a):.4f}')"
}
calc() { python3 -c "print(f'{$1:.${2:-2}f}')"; }

# One seqcurate run into a fresh catalog: prints "wall_s peak_kib cpu_s".
seqcurate_run() {  # CLIP [VAR=VALUE...]
    local clip=$1 dir
    shift
    dir=$(mktemp -d -p "$WORK")
    "${CLEAN_ENV[@]}" "$@" /usr/bin/time -f "%e %M %U %S" -o "$dir/time" \
        "$SEQCURATE" ingest "$clip" --catalog "$dir/c.db" --quiet > "$dir/out" 2> "$dir/err" \
        || { echo "seqcurate ingest failed on $clip:" >&2; cat "$dir/err" >&2; exit 1; }
    grep -q "^ingested 1," "$dir/out" || { echo "seqcurate did not ingest $clip: $(cat "$dir/out")" >&2; exit 1; }
    read -r wall rss user sys < "$dir/time"
    echo "$wall $rss $(calc "$user + $sys")"
    rm -rf "$dir"
}

# One peer run: prints "loop_s wall_s peak_kib cpu_s frames faces tracks".
peer_run() {
    local clip=$1 json
    "${CLEAN_ENV[@]}" "${PEER_ENV[@]}" /usr/bin/time -f "%e %M %U %S" -o "$WORK/peer_time" \
        python3 tools/bench_ingest_peer.py "$clip" --threads "$THREADS" > "$WORK/peer_out" 2> "$WORK/peer_err" \
        || { echo "peer failed on $clip:" >&2; cat "$WORK/peer_err" >&2; exit 1; }
    json=$(tail -1 "$WORK/peer_out")
    read -r wall rss user sys < "$WORK/peer_time"
    python3 -c "import json, sys; d = json.loads(sys.argv[1]); print(d['loop_s'], '$wall', '$rss', f'{$user + $sys:.2f}', d['frames'], d['faces'], d['tracks'])" "$json"
}

median() { python3 -c "import statistics, sys; print(statistics.median(float(v) for v in sys.argv[1:]))" "$@"; }
speed() { calc "$1 / $2"; }   # video seconds / wall seconds
mib() { calc "$1 / 1024" 0; }

echo "seqcurate: $SEQCURATE   torch threads: $THREADS   OpenBLAS threads: ${OPENBLAS_NUM_THREADS:-default}   runs: $RUNS   $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "env for both sides: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE (was: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}); peer also ${PEER_ENV[*]}"
echo
SUMMARY=()
for clip in "$SAMPLE" "$WORK/carphone_640x360.mp4"; do
    size=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 "$clip")
    secs=$(video_seconds "$clip")
    ours_wall=(); ours1_wall=(); peer_loop=(); peer_wall=(); ratios=()
    for r in $(seq "$RUNS"); do
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        out=$(seqcurate_run "$clip"); read -r wall rss cpu <<< "$out"
        ours_wall+=("$wall"); ours_rss=$rss
        echo "run $r $size ${secs}s  seqcurate: wall ${wall}s = $(speed "$secs" "$wall")x, cpu ${cpu}s ($(calc "$cpu / $secs") cpu-s per video-s), peak $(mib "$rss") MiB  [load before: $load]"
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        out=$(peer_run "$clip"); read -r loop pwall prss pcpu frames faces tracks <<< "$out"
        peer_loop+=("$loop"); peer_wall+=("$pwall"); peer_rss=$prss
        echo "run $r $size ${secs}s  peer:      loop ${loop}s = $(speed "$secs" "$loop")x, process ${pwall}s = $(speed "$secs" "$pwall")x, cpu ${pcpu}s, peak $(mib "$prss") MiB, $frames frames, $faces faces, $tracks tracks  [load before: $load]"
        ratios+=("$(calc "$loop / $wall" 3)")
        echo "run $r $size ratio seqcurate / peer loop: $(calc "$loop / $wall")x"
        if [[ $BLAS1 == 1 ]]; then
            out=$(seqcurate_run "$clip" OPENBLAS_NUM_THREADS=1); read -r wall1 rss1 cpu1 <<< "$out"
            ours1_wall+=("$wall1")
            echo "run $r $size ${secs}s  seqcurate with OPENBLAS_NUM_THREADS=1: wall ${wall1}s = $(speed "$secs" "$wall1")x, cpu ${cpu1}s ($(calc "$cpu1 / $secs") cpu-s per video-s), peak $(mib "$rss1") MiB"
        fi
    done
    o=$(median "${ours_wall[@]}"); p=$(median "${peer_loop[@]}"); pw=$(median "${peer_wall[@]}")
    o1=-; [[ $BLAS1 == 1 ]] && o1="$(speed "$secs" "$(median "${ours1_wall[@]}")")x"
    SUMMARY+=("$(printf "%-30s %10s %12s %12s %7sx %9s %9s %15s" "$(basename "$SAMPLE" .mp4) $size" \
        "$(speed "$secs" "$o")x" "$(speed "$secs" "$p")x" "$(speed "$secs" "$pw")x" "$(calc "$(median "${ratios[@]}")")" \
        "$(mib "$ours_rss")" "$(mib "$peer_rss")" "$o1")")
done
echo
echo "Ingest speed, video-seconds per wall-second (median of $RUNS rounds; ratio: median of the per-round ratios; detection on every frame)"
printf "%-30s %10s %12s %12s %8s %9s %9s %15s\n" "input" "seqcurate" "peer (loop)" "peer (proc)" "ratio" "ours MiB" "peer MiB" "seqcurate BLAS1"
printf "%s\n" "${SUMMARY[@]}"

echo
echo "Peak memory against video length (seqcurate, 640x360)"
printf "%-22s %8s %10s %10s %10s\n" "input" "frames" "speed" "peak MiB" "cpu-s/vs"
for clip in "$WORK/loop10s_640x360.mp4" "$WORK/loop60s_640x360.mp4"; do
    secs=$(video_seconds "$clip")
    out=$(seqcurate_run "$clip"); read -r wall rss cpu <<< "$out"
    frames=$(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$clip")
    printf "%-22s %8s %9sx %10s %10s\n" "$(basename "$clip" .mp4) (${secs}s)" "$frames" "$(speed "$secs" "$wall")" "$(mib "$rss")" "$(calc "$cpu / $secs")"
    if [[ -n "${PEER_LONG:-}" && $clip == *loop10s* ]]; then
        out=$(peer_run "$clip"); read -r loop pwall prss pcpu _ <<< "$out"
        printf "%-22s %8s %9sx %10s %10s\n" "  peer (loop)" "$frames" "$(speed "$secs" "$loop")" "$(mib "$prss")" "$(calc "$pcpu / $secs")"
    fi
done
