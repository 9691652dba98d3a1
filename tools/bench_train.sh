#!/usr/bin/env bash
# Training and feature-extraction throughput of face_res20net: seqcurate (Swift, OpenBLAS)
# against the same network in PyTorch (CPU), same thread count, batch 16 at 128x128.
# Both sides run the published training step: sphereface head (m 4, lambda 5, s 32, Caffe's
# MarginInnerProduct backward, class weights normalised in place), LSRO over identity and sequence
# samples, DSA on fc5, SGD with the prototxt's multipliers; --batch is split half identity, half
# sequence images (as published, 32 + 32).
#
#   tools/bench_train.sh [--threads N] [--iterations N] [--batch N] [--rounds N] [--seqcurate PATH]
#
# Builds the release binary unless --seqcurate is given. The two sides run alternately for
# --rounds rounds (the machine is shared, so single runs vary); the table reports each side's
# best throughput and its largest peak memory.
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
if [ -z "$BIN" ]; then
  swift build -c release --product seqcurate >&2
  BIN=.build/release/seqcurate
fi
# Let each library pick its best kernels (this machine sets OPENBLAS_CORETYPE=Haswell for other tools).
unset OPENBLAS_CORETYPE
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
ID_BATCH=$(( (BATCH + 1) / 2 )) SEQ_BATCH=$(( BATCH / 2 ))
results=()
for r in $(seq "$ROUNDS"); do
  swift_json=$("$BIN" train --benchmark "$ITERS" --identity-batch "$ID_BATCH" --sequence-batch "$SEQ_BATCH" \
                --network face_res20net --out /tmp/seqcurate-bench)
  torch_json=$(python3 tools/bench_train.py --threads "$THREADS" --iterations "$ITERS" \
                --identity-batch "$ID_BATCH" --sequence-batch "$SEQ_BATCH")
  echo "round $r seqcurate: $swift_json"
  echo "round $r pytorch:   $torch_json"
  results+=("$swift_json" "$torch_json")
done
python3 - "$THREADS" "${results[@]}" <<'PY'
import json, sys
threads, runs = sys.argv[1], [json.loads(a) for a in sys.argv[2:]]
sw, th = runs[0::2], runs[1::2]
def best(side, key):
    return max(r[key] for r in side)
s0, t0 = sw[0], th[0]
for a, b in zip(sw, th):
    for key in ("head", "dsa", "identity_batch", "sequence_batch", "classes", "sequences"):
        assert a[key] == b[key], f"the two sides ran different configurations: {key} {a[key]} vs {b[key]}"
print(f"\n| face_res20net, batch {s0['batch']} ({s0['identity_batch']} identity + {s0['sequence_batch']} sequence), "
      f"{s0['input_size']}x{s0['input_size']}, {s0['head']} head, DSA {'on' if s0['dsa'] else 'off'}, {threads} threads, "
      f"best of {len(sw)} | seqcurate | PyTorch {t0['torch']} | ratio |")
print("| --- | --- | --- | --- |")
for key, name in [("train_images_per_s", "train images/s (fwd+bwd+SGD)"), ("features_images_per_s", "feature extraction images/s")]:
    a, b = best(sw, key), best(th, key)
    print(f"| {name} | {a:.2f} | {b:.2f} | {a / b:.2f}x |")
a, b = best(sw, "peak_memory_mib"), best(th, "peak_memory_mib")
print(f"| peak memory MiB | {a:.0f} | {b:.0f} | {a / b:.2f}x |")
PY
