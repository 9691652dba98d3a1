#!/usr/bin/env bash
# Training and feature-extraction throughput of face_res20net: seqcurate (Swift, OpenBLAS)
# against the same network in PyTorch (CPU), same thread count, batch 16 at 128x128.
#
#   tools/bench_train.sh [--threads N] [--iterations N] [--batch N] [--seqcurate PATH]
#
# Builds the release binary unless --seqcurate is given. Prints both JSON results and a
# Markdown table row set for docs/performance.md ("Training").
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=2 ITERS=3 BATCH=16 BIN=""
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --iterations) ITERS=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --seqcurate) BIN=$2; shift 2 ;;
    *) echo "bench_train.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$BIN" ]; then
  swift build -c release --product seqcurate >&2
  BIN=.build/release/seqcurate
fi
export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
swift_json=$("$BIN" train --benchmark "$ITERS" --identity-batch "$BATCH" --network face_res20net --out /tmp/seqcurate-bench)
torch_json=$(python3 tools/bench_train.py --threads "$THREADS" --iterations "$ITERS" --batch "$BATCH")
echo "seqcurate: $swift_json"
echo "pytorch:   $torch_json"
python3 - "$swift_json" "$torch_json" "$THREADS" <<'PY'
import json, sys
s, t, threads = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
print(f"\n| face_res20net, batch {s['batch']}, {s['input_size']}x{s['input_size']}, {threads} threads | seqcurate | PyTorch {t['torch']} | ratio |")
print("| --- | --- | --- | --- |")
for key, name in [("train_images_per_s", "train images/s (fwd+bwd+SGD)"), ("features_images_per_s", "feature extraction images/s")]:
    print(f"| {name} | {s[key]:.2f} | {t[key]:.2f} | {s[key] / t[key]:.2f}x |")
print(f"| peak memory MiB | {s['peak_memory_mib']:.0f} | {t['peak_memory_mib']:.0f} | {s['peak_memory_mib'] / t['peak_memory_mib']:.2f}x |")
PY
