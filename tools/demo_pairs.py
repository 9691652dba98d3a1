#!/usr/bin/env python3
"""Verification pairs of real faces for tools/demo.sh, from the catalog's own sequences.

    seqcurate sequences --catalog DB --json | tools/demo_pairs.py OUT_PAIRS [EXTRA_FACE...]

Same person: two kept faces of one sequence (a sequence is one person; kept faces are distinct
and spread in time). Different people: faces of sequences from different videos, and each
EXTRA_FACE (a crop of someone who is in neither video, e.g. `seqcurate align assets/messi5.jpg`)
against faces of every sequence. Paths are as the catalog gives them (relative to its folder).
Writes SeqFace's LFW list layout, `path1 path2 label`, as many different as same pairs.
"""
import itertools
import json
import os
import random
import sys

out, extras = sys.argv[1], sys.argv[2:]
sequences = json.load(sys.stdin)
rng = random.Random(0)
faces = {}  # sequence id -> (video, [crop paths])
for s in sequences:
    if s["status"].startswith("excluded"):
        continue
    crops = [f["crop"] for f in s["faces"] if f.get("crop")]
    if len(crops) >= 2:
        faces[s["sequence_id"]] = (os.path.basename(s["video"]), crops)
if not faces:
    sys.exit("demo_pairs: no sequence with two crops")
same = [(a, b, 1) for _, crops in faces.values() for a, b in itertools.combinations(crops, 2)]
ids = sorted(faces)
candidates = [(rng.choice(faces[x][1]), rng.choice(faces[y][1]))
              for x, y in itertools.combinations(ids, 2) if faces[x][0] != faces[y][0]
              for _ in range(len(same))]
candidates += [(e, c) for e in extras for _, crops in faces.values() for c in crops]
candidates += list(itertools.combinations(extras, 2))
rng.shuffle(candidates)
different = [(a, b, 0) for a, b in dict.fromkeys(candidates)][:len(same)]
pairs = same + different
rng.shuffle(pairs)
with open(out, "w") as f:
    f.writelines(f"{a} {b} {label}\n" for a, b, label in pairs)
print(f"demo_pairs: {len(same)} same-person pairs (faces of one sequence), {len(different)} different-person "
      f"pairs (different videos, or {len(extras)} other people's photos), from {len(faces)} sequences", file=sys.stderr)
