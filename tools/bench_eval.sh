#!/usr/bin/env bash
# Benchmark and cross-check `seqcurate eval`.
#
#  1. YTF at scale: a 100k-row, 512-d float32 feature file whose keys are frames of the 3226
#     videos in ytf_splits.txt (synthetic identities, so the figure is only a sanity value);
#     times `seqcurate eval ytf` in release (whole process, plus in-process phase times from the
#     hidden --timing flag) interleaved with tools/seqface_eval_reference.py, which recomputes
#     the video features and similarities with numpy, and compares every figure.
#  2. Ties: 6000 LFW-layout pairs whose similarities take only 41 distinct values; the
#     reference applies SeqFace's rule to the exact similarities seqcurate wrote (scores.txt)
#     and must give the same best-threshold accuracy and threshold.
#
# Usage: tools/bench_eval.sh [WORKDIR]     (SEQCURATE=/path/to/binary skips the release build,
#        ROUNDS=3 interleaved rounds of seqcurate and the reference, every round printed with the
#        load average, summary: median of the per-round speed ratios)
set -euo pipefail
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
ROUNDS=${ROUNDS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-$(mktemp -d "${TMPDIR:-/tmp}/seqcurate-bench-eval.XXXXXX")}
PROTO=${PROTOCOLS:-$ROOT/Tests/Fixtures/protocols}
REF="$ROOT/tools/seqface_eval_reference.py"
mkdir -p "$WORK"
if [ -z "${SEQCURATE:-}" ]; then
  (cd "$ROOT" && swift build -c release --product seqcurate >&2)
  SEQCURATE="$ROOT/.build/release/seqcurate"
fi
echo "work folder: $WORK"

python3 - "$PROTO/ytf_splits.txt" "$WORK" <<'PY'
import sys, numpy as np
splits, work = sys.argv[1], sys.argv[2]
rows, dim = 100_000, 512
rng = np.random.default_rng(1803)
videos = []
for line in open(splits):
    c = [x.strip() for x in line.split(",")]
    if c[0].isdigit():
        videos += [c[2], c[3]]
videos = sorted(set(videos))
people = sorted({v.split("/")[0] for v in videos})
# Frames per video: random weights 10..50, scaled so the counts add up to exactly `rows`.
weights = rng.integers(10, 51, len(videos))
bounds = np.round(np.concatenate([[0], np.cumsum(weights)]) * rows / weights.sum()).astype(int)
counts = np.diff(bounds)
identity = {p: rng.standard_normal(dim) for p in people}
feats = np.empty((rows, dim), dtype=np.float32)
keys, r = [], 0
for v, n in zip(videos, counts):
    base = identity[v.split("/")[0]] + 2.5 * rng.standard_normal(dim)   # same person, other video
    feats[r:r + n] = base + 3.0 * rng.standard_normal((n, dim))           # frame noise
    keys += ["%s/%d.%d.jpg" % (v, i, i) for i in range(n)]
    r += n
np.save(f"{work}/ytf_F.npy", feats)
open(f"{work}/ytf_K.txt", "w").write("\n".join(keys) + "\n")
print(f"YTF features: {rows} rows x {dim} ({feats.nbytes / 2**20:.0f} MiB), {len(videos)} videos")

# Tie-heavy LFW-layout set: the second image sits at one of 41 angles from the first.
n = 6000
angles = rng.integers(0, 41, n) * (np.pi / 40)
same = (rng.random(n) < 1 / (1 + np.exp(6 * (angles - 1.2)))).astype(int)
f2 = np.zeros((2 * n, 2), dtype=np.float32)
f2[0::2, 0] = 1
f2[1::2, 0], f2[1::2, 1] = np.cos(angles), np.sin(angles)
np.save(f"{work}/ties_F.npy", f2)
with open(f"{work}/ties_K.txt", "w") as k, open(f"{work}/ties_pairs.txt", "w") as p:
    for i in range(n):
        a, b = f"P{i}/P{i}_0001.jpg", f"P{i}/P{i}_0002.jpg"
        k.write(f"{a}\n{b}\n")
        p.write(f"{a} {b} {same[i]}\n")
PY

echo "== seqcurate eval ytf against the numpy reference, 5000 pairs over 100k rows, $ROUNDS interleaved rounds"
# Whole-process wall seconds of each side (the reference is one Python process: import numpy,
# load, compute); which side goes first alternates; each run is printed with the load average.
elapsed() { python3 -c "print(f'{$2 - $1:.3f}')"; }  # T0 T1 -> seconds
run_ours() {
  echo "  load before seqcurate: $(cat /proc/loadavg)" >&2
  local t0 t1
  t0=$(date +%s.%N)
  "$SEQCURATE" eval ytf --pairs "$PROTO/ytf_splits.txt" --features "$WORK/ytf_F.npy" --keys "$WORK/ytf_K.txt" \
    --json --timing --out "$WORK/ytf_out" > "$WORK/ytf.json" 2> "$WORK/ytf_timing.txt"
  t1=$(date +%s.%N)
  elapsed "$t0" "$t1"
}
run_ref() {
  echo "  load before reference: $(cat /proc/loadavg)" >&2
  local t0 t1
  t0=$(date +%s.%N)
  python3 "$REF" --pairs "$PROTO/ytf_splits.txt" --features "$WORK/ytf_F.npy" --keys "$WORK/ytf_K.txt" \
    --benchmark ytf > "$WORK/ytf_ref.json"
  t1=$(date +%s.%N)
  elapsed "$t0" "$t1"
}
T_OURS=() T_REF=()
for r in $(seq "$ROUNDS"); do
  if (( r % 2 == 1 )); then ours=$(run_ours); ref=$(run_ref); else ref=$(run_ref); ours=$(run_ours); fi
  T_OURS+=("$ours"); T_REF+=("$ref")
  echo "round $r: seqcurate ${ours}s ($(grep '^timing:' "$WORK/ytf_timing.txt" | tr '\n' ' ')), reference ${ref}s, speed ratio $(python3 -c "print(f'{$ref / $ours:.2f}')")x"
done
python3 - "${T_OURS[*]}" "${T_REF[*]}" <<'PY'
import statistics, sys
ours, ref = [float(x) for x in sys.argv[1].split()], [float(x) for x in sys.argv[2].split()]
print(f"median wall: seqcurate {statistics.median(ours):.2f}s, reference {statistics.median(ref):.2f}s; "
      f"median per-round speed ratio (reference time / seqcurate time) {statistics.median(r / o for o, r in zip(ours, ref)):.2f}x")
PY
cat "$WORK/ytf.json"
echo "== reference output"
cat "$WORK/ytf_ref.json"

echo "== ties: seqcurate eval lfw on 6000 pairs with 41 distinct similarities"
"$SEQCURATE" eval lfw --pairs "$WORK/ties_pairs.txt" --features "$WORK/ties_F.npy" --keys "$WORK/ties_K.txt" \
  --json --out "$WORK/ties_out" > "$WORK/ties.json"
python3 "$REF" --scores "$WORK/ties_out/scores.txt" --literal > "$WORK/ties_ref.json"
cat "$WORK/ties.json" "$WORK/ties_ref.json"

python3 - "$WORK" <<'PY'
import json, sys
import numpy as np
w = sys.argv[1]
ok = True
def check(name, a, b, tol):
    global ok
    good = (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= tol)
    ok &= good
    print(f"  {'ok  ' if good else 'FAIL'} {name}: seqcurate {a} reference {b}")
s, r = json.load(open(f"{w}/ytf.json")), json.load(open(f"{w}/ytf_ref.json"))
sims = np.loadtxt(f"{w}/ytf_out/scores.txt", usecols=0)
print("YTF cross-check:")
check("pairs", s["pairs"], r["pairs"], 0)
check("best_threshold_accuracy", s["best_threshold_accuracy"], r["best_threshold_accuracy"], 1e-12)
check("best_threshold", s["best_threshold"], r["best_threshold"], 1e-5)
check("kfold_mean", s["kfold_mean"], r["kfold_mean"], 1e-12)
check("kfold_std", s["kfold_std"], r["kfold_std"], 1e-12)
check("auc", s["auc"], r["auc"], 1e-6)
s, r = json.load(open(f"{w}/ties.json")), json.load(open(f"{w}/ties_ref.json"))
print("ties cross-check (same similarities, SeqFace's rule):")
check("distinct similarities", len(set(np.loadtxt(f"{w}/ties_out/scores.txt", usecols=0))), 41, 0)
check("best_threshold_accuracy", s["best_threshold_accuracy"], r["best_threshold_accuracy"], 0)
check("best_threshold_accuracy (literal loop)", s["best_threshold_accuracy"], r["best_threshold_accuracy_literal"], 0)
check("best_threshold", s["best_threshold"], r["best_threshold"], 0)
check("kfold_mean", s["kfold_mean"], r["kfold_mean"], 1e-12)
check("kfold_std", s["kfold_std"], r["kfold_std"], 1e-12)
check("auc", s["auc"], r["auc"], 1e-12)
print("CROSS-CHECK", "PASSED" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
