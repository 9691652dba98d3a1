#!/usr/bin/env bash
# Interleaved A/B of seqcurate builds (or settings) on one 1280x720 clip of tools/bench_ingest.sh,
# each against decoding alone: per round, `ffmpeg -threads 2 -i CLIP -f null -` and then every
# variant's default ingest in turn (fresh catalog), printed with the load average; then each
# variant's median ratio ingest / decode.
#
#   tools/ab_ingest.sh CLIP ROUNDS "LABEL|BINARY [OPTIONS...]" ...
#   tools/ab_ingest.sh Megamind 8 "old|/tmp/old/seqcurate" "new|.build/release/seqcurate"
#
# CLIP is carphone or Megamind (the sample looped to 12 s and scaled to 1280x720 as
# tools/bench_ingest.sh makes it, made here in a temporary folder). Runs under
# `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`. Needs ffmpeg and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
(( $# >= 3 )) || { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
clip=$1 rounds=$2; shift 2
case "$clip" in
    carphone) src=assets/carphone_pristine.mp4 ;;
    Megamind) src=assets/Megamind.avi ;;
    *) echo "ab_ingest: CLIP is carphone or Megamind" >&2; exit 2 ;;
esac
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
video="$WORK/${clip}_720.mp4"
ffmpeg -nostdin -v error -y -stream_loop -1 -i "$src" -t 12 -an -vf "scale=1280:720:flags=bicubic,setsar=1" \
    -c:v libx264 -crf 18 -pix_fmt yuv420p "$video"
declare -A ratios
for r in $(seq 1 "$rounds"); do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    /usr/bin/time -f "%e" -o "$WORK/t" ffmpeg -nostdin -v error -threads 2 -i "$video" -f null -
    decode=$(cat "$WORK/t")
    line="round $r (load $load): decode ${decode}s"
    for v in "$@"; do
        label=${v%%|*} cmd=${v#*|}
        rm -rf "$WORK/c.db" "$WORK"/crops*
        read -r -a argv <<< "$cmd"
        /usr/bin/time -f "%e" -o "$WORK/t" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
            "${argv[0]}" ingest "$video" --catalog "$WORK/c.db" --quiet "${argv[@]:1}" > /dev/null
        t=$(cat "$WORK/t")
        ratios[$label]+="$(python3 -c "print(round($t / $decode, 3))") "
        line+="  $label ${t}s"
    done
    echo "$line"
done
for v in "$@"; do
    label=${v%%|*}
    echo "$label: median $(python3 -c 'import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))' ${ratios[$label]})x decode (rounds: ${ratios[$label]})"
done
