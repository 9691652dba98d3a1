#!/usr/bin/env bash
# What identity embeddings cost ingest: CPU seconds (user+sys, less sensitive than wall time to
# other work on a shared machine) and wall seconds of `seqcurate ingest` at 640x360 without
# embeddings (--no-embeddings: ingest as before them) and with --embed-every K; min of RUNS.
#
#   SEQCURATE=.build/release/seqcurate tools/bench_identity_ingest.sh [VIDEO]
#
# VIDEO defaults to the sample scaled to 640x360 as tools/bench_ingest.sh makes it.
# Env: RUNS=3, MODES="none 20 10 5 1". Needs ffmpeg, GNU time, sqlite3; the weights of
# tools/setup.sh (mtcnn.safetensors, dlib_face_resnet.safetensors) in assets/.
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SEQCURATE:?set SEQCURATE to a seqcurate binary (a release build)}
RUNS=${RUNS:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
IN=${1:-}
if [[ -z $IN ]]; then
    IN=$TMP/carphone_640x360.mp4
    ffmpeg -nostdin -v error -y -i assets/carphone_pristine.mp4 -vf scale=640:360 -c:v libx264 -crf 18 -pix_fmt yuv420p "$IN"
fi
for mode in ${MODES:-none 20 10 5 1}; do
  best=999999; bestwall=999999
  for r in $(seq $RUNS); do
    W=$(mktemp -d)
    args=(ingest "$IN" --catalog "$W/c.db" --quiet)
    if [[ $mode == none ]]; then args+=(--no-embeddings); else args+=(--embed-every "$mode"); fi
    /usr/bin/time -o "$W/t" -f "%U %S %e" env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$S" "${args[@]}" >/dev/null 2>&1
    out=$(tail -1 "$W/t")
    emb=$(sqlite3 "$W/c.db" "select count(*) from face_embeddings" 2>/dev/null || echo 0)
    rm -rf "$W"
    cpu=$(echo "$out" | awk '{print $1+$2}'); wall=$(echo "$out" | awk '{print $3}')
    best=$(echo "if ($cpu < $best) $cpu else $best" | bc); bestwall=$(echo "if ($wall < $bestwall) $wall else $bestwall" | bc)
  done
  echo "embed-every=$mode embeddings=$emb cpu=${best}s wall=${bestwall}s"
done
