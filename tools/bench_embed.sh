#!/usr/bin/env bash
# dlib face embedding throughput: seqcurate's FaceEmbedder (`seqcurate bench embed`) against
# dlib-bin's face_recognition_model_v1.compute_face_descriptor on the same 150x150 chips, in
# batches of the same size, rounds interleaved so both sides see the same machine load. Prints
# every round, the load average before each, and the median ratio ours/dlib as JSON; target >= 5.
#
# Usage: tools/bench_embed.sh [--rounds K] [--repeat R] [--batch-size B] [CHIP.png ...]
#   (default chips: Tests/Fixtures/embedding/*_chip.png; they are repeated to fill a batch)
#   SEQCURATE=/path/to/seqcurate skips the release build and uses that binary.
#   Needs `pip install dlib-bin==20.0.1.post1` and the weights from tools/setup.sh.
#
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from both sides' environment so each library
# picks its own kernels (seqcurate through BLASRuntime.ensureOptimalKernels).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3 repeat=5 batch=32 chips=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --batch-size) batch="$2"; shift 2 ;;
    -*) echo "usage: $0 [--rounds K] [--repeat R] [--batch-size B] [CHIP.png ...]" >&2; exit 2 ;;
    *) chips+=("$1"); shift ;;
  esac
done
(( ${#chips[@]} )) || chips=(Tests/Fixtures/embedding/*_chip.png)
(( rounds >= 1 )) || { echo "--rounds must be at least 1" >&2; exit 2; }

if [[ -z "${SEQCURATE:-}" ]]; then
  swift build -c release --product seqcurate >&2
  SEQCURATE="$(swift build -c release --show-bin-path)/seqcurate"
fi
clean_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)

ratios=()
for ((r = 1; r <= rounds; r++)); do
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  ours=$("${clean_env[@]}" "$SEQCURATE" bench embed --repeat "$repeat" --batch-size "$batch" "${chips[@]}")
  dlib=$("${clean_env[@]}" python3 - "$repeat" "$batch" "${chips[@]}" <<'PY'
import json, os, sys, time
import numpy as np
from PIL import Image
import dlib
repeats, batch, paths = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
model = dlib.face_recognition_model_v1("assets/dlib_face_recognition_resnet_model_v1.dat")
chips = [np.array(Image.open(p).convert("RGB")) for p in paths]
work = [chips[i % len(chips)] for i in range(max(batch, len(chips)))]
batches = [work[i:i + batch] for i in range(0, len(work), batch)]
def once():
    for b in batches:
        model.compute_face_descriptor(b)
once()  # warm-up
rates = []
for _ in range(repeats):
    t = time.perf_counter()
    once()
    rates.append(len(work) / (time.perf_counter() - t))
rates.sort()
print(json.dumps({"chips": len(work), "chips_per_second_median": round(rates[len(rates) // 2], 2),
                  "chips_per_second_best": round(rates[-1], 2), "dlib": dlib.__version__}))
PY
)
  o=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["chips_per_second_median"])' "$ours")
  d=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["chips_per_second_median"])' "$dlib")
  ratio=$(python3 -c "print(round($o / $d, 2))")
  ratios+=("$ratio")
  echo "round $r (load average $load): seqcurate $o chips/s, dlib $d chips/s, ratio $ratio" >&2
  echo "  seqcurate: $ours" >&2
  echo "  dlib:      $dlib" >&2
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
echo "{\"rounds\": $rounds, \"ratios\": [$(IFS=,; echo "${ratios[*]}")], \"median_ratio\": $median, \"load_average_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"target\": 5}"
