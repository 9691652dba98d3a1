#!/usr/bin/env bash
# Speed and coverage of the default ingest (key frames + refinement, docs/ingest.md) against
# decoding alone and against `ingest --exhaustive` (full MTCNN on every frame).
#
#   tools/bench_ingest.sh
#
# Clips (made here with ffmpeg from assets/ of tools/setup.sh): carphone_pristine.mp4 and
# Megamind.avi, looped to DURATION seconds and upscaled to 1280x720 and to 640x360 (libx264
# -crf 18). For each clip, ROUNDS interleaved rounds of
#   decode      ffmpeg -threads 2 -i CLIP -f null -
#   default     seqcurate ingest CLIP (fresh catalog)
#   exhaustive  seqcurate ingest CLIP --exhaustive (fresh catalog)
#   no-identity seqcurate ingest CLIP --no-embeddings (fresh catalog; only when the embedding
#               weights assets/dlib_face_resnet.safetensors are there, so that the default embeds)
# every run printed with the load average (/proc/loadavg) before it. Summary per clip: the
# median wall time of each side, the ratios ingest / decode (target <= 2.5x at 720p, goal
# 1.5x), what identity costs (default / no-identity: target <= 1.15x at 640x360), coverage (tools/ingest_coverage.py: the share of the exhaustive run's keepable faces,
# score >= 0.9 and eye distance >= 12 px, that the default run has in the same frame at
# IoU >= 0.5; target >= 95%) and the sequence counts (default must give no fewer).
#
# Env: SEQCURATE=path/to/seqcurate (default: build release here), ROUNDS=3, DURATION=12
# (seconds per clip; the defaults finish in about 8 minutes on a quiet 2-core machine),
# SIZES="1280x720 640x360", EXTRA="..." (more ingest options for the default side).
# Runs under `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`: OpenBLAS picks its own kernels.
# Needs: ffmpeg, GNU time (/usr/bin/time), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-12}
SIZES=${SIZES:-"1280x720 640x360"}
EXTRA=${EXTRA:-}
[[ -f assets/carphone_pristine.mp4 && -f assets/Megamind.avi && -f assets/mtcnn.safetensors ]] \
    || { echo "assets missing: run tools/setup.sh" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }
if [[ -z "${SEQCURATE:-}" ]]; then
    swift build -c release --product seqcurate >&2
    SEQCURATE="$(swift build -c release --show-bin-path)/seqcurate"
fi
CLEAN_ENV=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

IDENTITY=0
[[ -f assets/dlib_face_resnet.safetensors ]] && IDENTITY=1
ratio() { python3 -c "import statistics as s, sys; d, f = sys.argv[1].split(), sys.argv[2].split(); print(f'{s.median(float(b) / float(a) for a, b in zip(d, f)):.2f}')" "$1" "$2"; }
clips=()
for size in $SIZES; do
    for src in carphone_pristine.mp4 Megamind.avi; do
        out="$WORK/${src%%.*}_$size.mp4"
        ffmpeg -nostdin -v error -y -stream_loop -1 -i "assets/$src" -t "$DURATION" -an \
            -vf "scale=${size/x/:}:flags=bicubic,setsar=1" -c:v libx264 -crf 18 -pix_fmt yuv420p "$out"
        clips+=("$out")
    done
done

load() { cut -d' ' -f1-3 /proc/loadavg; }
# Wall seconds of a command (GNU time), its output kept in $WORK/last.*.
timed() {
    "${CLEAN_ENV[@]}" /usr/bin/time -f "%e" -o "$WORK/time" "$@" > "$WORK/last.out" 2> "$WORK/last.err" \
        || { echo "failed: $*" >&2; cat "$WORK/last.err" >&2; exit 1; }
    cat "$WORK/time"
}
median() { python3 -c "import statistics, sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.2f}')" "$@"; }
sequences() { sed -n 's/.* tracks, \([0-9]*\) sequences.*/\1/p' "$1"; }

printf '%-28s %5s %-11s %8s %s\n' clip round side wall_s "load(1,5,15) before"
summary=()
for clip in "${clips[@]}"; do
    name=$(basename "$clip" .mp4)
    dec=(); def=(); exh=(); noid=()
    run_default() {
        rm -f "$WORK/def.db"; rm -rf "$WORK/crops"
        l=$(load); t=$(timed "$SEQCURATE" ingest "$clip" --catalog "$WORK/def.db" --quiet $EXTRA)
        def+=("$t"); cp "$WORK/last.out" "$WORK/def.out"
        printf '%-28s %5s %-11s %8s %s\n' "$name" "$round" default "$t" "$l"
    }
    run_no_identity() {
        (( IDENTITY )) || return 0
        rm -f "$WORK/noid.db"; rm -rf "$WORK/crops"
        l=$(load); t=$(timed "$SEQCURATE" ingest "$clip" --catalog "$WORK/noid.db" --quiet --no-embeddings $EXTRA)
        noid+=("$t"); printf '%-28s %5s %-11s %8s %s\n' "$name" "$round" no-identity "$t" "$l"
    }
    for round in $(seq 1 "$ROUNDS"); do
        l=$(load); t=$(timed ffmpeg -nostdin -threads 2 -i "$clip" -f null -)
        dec+=("$t"); printf '%-28s %5s %-11s %8s %s\n' "$name" "$round" decode "$t" "$l"
        # default and no-identity run next to each other, their order alternating by round,
        # so that neither always follows the same side.
        if (( round % 2 )); then run_default; run_no_identity; else run_no_identity; run_default; fi
        rm -f "$WORK/exh.db"; rm -rf "$WORK/crops"
        l=$(load); t=$(timed "$SEQCURATE" ingest "$clip" --catalog "$WORK/exh.db" --quiet --exhaustive)
        exh+=("$t"); cp "$WORK/last.out" "$WORK/exh.out"
        printf '%-28s %5s %-11s %8s %s\n' "$name" "$round" exhaustive "$t" "$l"
    done
    "$SEQCURATE" tracks --catalog "$WORK/def.db" --json --faces > "$WORK/def.json"
    "$SEQCURATE" tracks --catalog "$WORK/exh.db" --json --faces > "$WORK/exh.json"
    cov=$(python3 tools/ingest_coverage.py "$WORK/exh.json" "$WORK/def.json")
    md=$(median "${dec[@]}"); mf=$(median "${def[@]}"); me=$(median "${exh[@]}")
    # The ratios are medians of the per-round ratios (each round's sides saw the same machine).
    rf=$(ratio "${dec[*]}" "${def[*]}")
    re=$(ratio "${dec[*]}" "${exh[*]}")
    identity=""
    (( IDENTITY )) && identity=$(printf '  identity %sx (no-identity %ss)' "$(ratio "${noid[*]}" "${def[*]}")" "$(median "${noid[@]}")")
    summary+=("$(printf '%-28s decode %6ss  default %6ss (%5sx decode)  exhaustive %6ss (%5sx decode)%s  sequences default %s exhaustive %s  %s' \
        "$name" "$md" "$mf" "$rf" "$me" "$re" "$identity" \
        "$(sequences "$WORK/def.out")" "$(sequences "$WORK/exh.out")" "$cov")")
done
echo
echo "medians of $ROUNDS rounds (times: median per side; ratios: median of the per-round ratios), $DURATION s clips ($(nproc) cores; load after: $(load)):"
printf '%s\n' "${summary[@]}"
