#!/usr/bin/env bash
# sgemm throughput: seqcurate (Debian OpenBLAS via cblas_sgemm) against numpy's np.dot
# (its bundled OpenBLAS) on float32 1024x1024, interleaved in one run so both see the same
# machine load. Every round is printed (stderr) with the load average before each side; the JSON
# summary gives each side's median over rounds and the median of the per-round ratios
# ("ratioBest": of each run's best call, "ratioMedian": of each run's median call); target >= 0.9.
#
# Usage: tools/bench_sgemm.sh [--size N] [--repeat R] [--rounds K]
#   SEQCURATE=/path/to/seqcurate skips the release build and uses that binary.
#
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the environment of both sides so each library picks its
# own best kernels (seqcurate through BLASRuntime.ensureOptimalKernels). The same number of
# threads is used by both (OPENBLAS_NUM_THREADS, default: all cores).
set -euo pipefail
cd "$(dirname "$0")/.."

size=1024 repeat=20 rounds=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "usage: $0 [--size N] [--repeat R] [--rounds K]" >&2; exit 2 ;;
  esac
done

if [[ -z "${SEQCURATE:-}" ]]; then
  swift build -c release --product seqcurate >&2
  SEQCURATE="$(swift build -c release --show-bin-path)/seqcurate"
fi
threads="${OPENBLAS_NUM_THREADS:-$(nproc)}"

swift_runs=() numpy_runs=()
echo "bench_sgemm.sh: $(nproc) cores, $threads threads, size $size, $repeat products per run, $rounds interleaved rounds" >&2
for ((r = 0; r < rounds; r++)); do
  echo "round $((r + 1)): load before seqcurate: $(cat /proc/loadavg)" >&2
  swift_runs+=("$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" \
    "$SEQCURATE" bench sgemm --size "$size" --repeat "$repeat")")
  echo "round $((r + 1)) seqcurate: ${swift_runs[-1]}" >&2
  echo "round $((r + 1)): load before numpy: $(cat /proc/loadavg)" >&2
  numpy_runs+=("$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS="$threads" python3 - "$size" "$repeat" <<'PY'
import ctypes, glob, json, os, sys, time
import numpy as np

n, repeats = int(sys.argv[1]), int(sys.argv[2])
core = "unknown"
libs = glob.glob(os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs", "*openblas*.so*"))
if libs:
    lib = ctypes.CDLL(libs[0])
    for sym in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
        if hasattr(lib, sym):
            fn = getattr(lib, sym)
            fn.restype = ctypes.c_char_p
            core = fn().decode()
            break
rng = np.random.default_rng(12345)
a = rng.random((n, n), dtype=np.float32)
b = rng.random((n, n), dtype=np.float32)
np.dot(a, b)  # warm-up: thread start-up
times = []
for _ in range(repeats):
    t = time.perf_counter()
    np.dot(a, b)
    times.append(time.perf_counter() - t)
times.sort()
flops = 2.0 * n ** 3
print(json.dumps({"op": "np.dot", "size": n, "repeats": repeats, "core": core,
                  "numpy": np.__version__, "gflopsBest": flops / times[0] / 1e9,
                  "gflopsMedian": flops / times[len(times) // 2] / 1e9}))
PY
)")
  echo "round $((r + 1)) numpy:     ${numpy_runs[-1]}" >&2
done

python3 - "$threads" "${swift_runs[@]}" -- "${numpy_runs[@]}" <<'PY'
import json, sys
threads = int(sys.argv[1])
args = sys.argv[2:]
split = args.index("--")
swift = [json.loads(s) for s in args[:split]]
numpy = [json.loads(s) for s in args[split + 1:]]
import statistics
def summary(runs):
    return {"core": runs[0]["core"],
            "gflopsBest": round(statistics.median(r["gflopsBest"] for r in runs), 1),
            "gflopsMedian": round(statistics.median(r["gflopsMedian"] for r in runs), 1)}
s, n = summary(swift), summary(numpy)
# Per-round ratios (the two sides of a round saw about the same load), then their median.
best = [a["gflopsBest"] / b["gflopsBest"] for a, b in zip(swift, numpy)]
med = [a["gflopsMedian"] / b["gflopsMedian"] for a, b in zip(swift, numpy)]
print(json.dumps({"size": swift[0]["size"], "threads": threads, "rounds": len(swift),
                  "seqcurate": s, "numpy": n,
                  "roundRatiosBest": [round(x, 3) for x in best], "roundRatiosMedian": [round(x, 3) for x in med],
                  "ratioBest": round(statistics.median(best), 3),
                  "ratioMedian": round(statistics.median(med), 3)}, indent=2))
PY
