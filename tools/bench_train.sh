#!/usr/bin/env bash
# Training and feature-extraction throughput of face_res20net: seqcurate (Swift, OpenBLAS)
# against the same network in PyTorch (CPU), same thread count, batch 16 at 128x128.
# Both sides run the published training step: sphereface head (m 4, lambda 5, s 32, Caffe's
# MarginInnerProduct backward, class weights normalised in place), LSRO over identity and sequence
# samples, DSA on fc5, SGD with the prototxt's multipliers; --batch is split half identity, half
# sequence images (as published, 32 + 32). The script stops if either side reports another head
# or DSA off.
#
#   tools/bench_train.sh [--threads N] [--iterations N] [--batch N] [--rounds N] [--seqcurate PATH]
#
# Builds the release binary unless --seqcurate is given. The two sides run alternately for
# --rounds rounds (default 3; which side goes first alternates too). Every round of both sides is
# printed with the load average (/proc/loadavg) taken just before it. The summary gives, per
# figure, the MEDIAN over rounds of the per-round ratio seqcurate / PyTorch (each round's two runs
# saw about the same machine), each side's median throughput, and each side's largest peak
# memory (VmHWM / ru_maxrss). With the defaults it took 3 min 50 s at load 7-9 (build excluded).
# SEQCURATE_CONV_BATCH_SPLIT=0 (passed through) makes seqcurate's convolutions use OpenBLAS's own
# threads inside each product instead of splitting the batch over the cores (FaceResNet), to
# compare the two threadings on a given machine.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=2 ITERS=3 BATCH=16 ROUNDS=3 BIN=""
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --iterations) ITERS=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --seqcurate) BIN=$2; shift 2 ;;
    *) echo "bench_train.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$ROUNDS" -ge 1 ] || { echo "bench_train.sh: --rounds must be at least 1" >&2; exit 2; }
if [ -z "$BIN" ]; then
  swift build -c release --product seqcurate >&2
  BIN=.build/release/seqcurate
fi
# Let each library pick its best kernels and cache sizes (this machine sets
# OPENBLAS_CORETYPE=Haswell and OPENBLAS_L2_SIZE for other tools).
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
ID_BATCH=$(( (BATCH + 1) / 2 )) SEQ_BATCH=$(( BATCH / 2 ))
OUT=$(mktemp -d "${TMPDIR:-/tmp}/seqcurate-bench-train.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

run_seqcurate() {
  echo "  load before seqcurate: $(cat /proc/loadavg)" >&2
  "$BIN" train --benchmark "$ITERS" --identity-batch "$ID_BATCH" --sequence-batch "$SEQ_BATCH" \
    --network face_res20net --out "$OUT/run"
}
run_pytorch() {
  echo "  load before pytorch:   $(cat /proc/loadavg)" >&2
  python3 tools/bench_train.py --threads "$THREADS" --iterations "$ITERS" \
    --identity-batch "$ID_BATCH" --sequence-batch "$SEQ_BATCH"
}

echo "bench_train.sh: $(nproc) cores, $THREADS threads, batch $BATCH ($ID_BATCH identity + $SEQ_BATCH sequence), $ITERS timed iterations per run, $ROUNDS rounds, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "binary: $BIN   env: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=$THREADS, SEQCURATE_CONV_BATCH_SPLIT=${SEQCURATE_CONV_BATCH_SPLIT:-unset (on)}"
results=()
for r in $(seq "$ROUNDS"); do
  echo "round $r:"
  if (( r % 2 == 1 )); then
    swift_json=$(run_seqcurate); echo "round $r seqcurate: $swift_json"
    torch_json=$(run_pytorch);   echo "round $r pytorch:   $torch_json"
  else
    torch_json=$(run_pytorch);   echo "round $r pytorch:   $torch_json"
    swift_json=$(run_seqcurate); echo "round $r seqcurate: $swift_json"
  fi
  results+=("$swift_json" "$torch_json")
done
echo "load after the last round: $(cat /proc/loadavg)"
python3 - "$THREADS" "${results[@]}" <<'PY'
import json, statistics, sys
threads, runs = sys.argv[1], [json.loads(a) for a in sys.argv[2:]]
sw, th = runs[0::2], runs[1::2]
for a, b in zip(sw, th):
    for key in ("head", "dsa", "identity_batch", "sequence_batch", "classes", "sequences", "input_size"):
        assert a[key] == b[key], f"the two sides ran different configurations: {key} {a[key]} vs {b[key]}"
    assert a["head"] == "sphereface/caffe" and a["dsa"], f"not the published configuration: head {a['head']}, DSA {a['dsa']}"
s0, t0 = sw[0], th[0]
print(f"\n| face_res20net, batch {s0['batch']} ({s0['identity_batch']} identity + {s0['sequence_batch']} sequence), "
      f"{s0['input_size']}x{s0['input_size']}, {s0['head']} head, DSA {'on' if s0['dsa'] else 'off'}, {threads} threads, "
      f"{len(sw)} rounds | seqcurate (median) | PyTorch {t0['torch']} (median) | per-round ratios | median ratio |")
print("| --- | --- | --- | --- | --- |")
for key, name in [("train_images_per_s", "train images/s (fwd+bwd+SGD)"), ("features_images_per_s", "feature extraction images/s")]:
    ratios = [a[key] / b[key] for a, b in zip(sw, th)]
    print(f"| {name} | {statistics.median(a[key] for a in sw):.2f} | {statistics.median(b[key] for b in th):.2f} | "
          f"{', '.join(f'{x:.2f}' for x in ratios)} | **{statistics.median(ratios):.2f}x** |")
a, b = max(r["peak_memory_mib"] for r in sw), max(r["peak_memory_mib"] for r in th)
print(f"| peak memory MiB (largest of the rounds) | {a:.0f} | {b:.0f} | | **{a / b:.2f}x** |")
PY
