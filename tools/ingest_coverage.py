#!/usr/bin/env python3
"""Coverage of a default (key frame) ingest against an exhaustive one, from the output of
`seqcurate tracks --json --faces` of both catalogs.

A face of the exhaustive run counts when the sequence selector could keep it: score >= 0.9
and eye distance at least the selector's floor (12 pixels by default). It is covered when the
default run has a face in the same frame with IoU >= 0.5.

    python3 tools/ingest_coverage.py EXHAUSTIVE.json DEFAULT.json [--min-score 0.9] [--min-eye 12]

Prints one line: `coverage C covered N of M keepable faces (default faces D, exhaustive E)`.
"""
import argparse
import json
import sys
from collections import defaultdict


def faces(path):
    with open(path) as f:
        tracks = json.load(f)
    out = []
    for t in tracks:
        if "face_list" not in t:
            sys.exit(f"{path}: no face_list in the tracks; run `seqcurate tracks --json --faces`")
        for face in t["face_list"]:
            out.append((t["video_id"], face))
    return out


def iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    area = lambda r: max(0.0, r[2] - r[0]) * max(0.0, r[3] - r[1])
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("exhaustive")
    p.add_argument("default")
    p.add_argument("--min-score", type=float, default=0.9)
    p.add_argument("--min-eye", type=float, default=12.0)
    p.add_argument("--min-iou", type=float, default=0.5)
    a = p.parse_args()
    reference = faces(a.exhaustive)
    candidates = faces(a.default)
    # Videos are matched by position (each catalog holds the same clips in the same order).
    ref_videos = sorted({v for v, _ in reference})
    cand_videos = sorted({v for v, _ in candidates})
    vmap = dict(zip(ref_videos, cand_videos))
    by_frame = defaultdict(list)
    for v, f in candidates:
        by_frame[(v, f["frame"])].append(f["box"])
    keepable = [(v, f) for v, f in reference
                if f["score"] >= a.min_score and f["eye_distance"] >= a.min_eye and f.get("source") != "interpolated"]
    covered = sum(1 for v, f in keepable
                  if any(iou(f["box"], b) >= a.min_iou for b in by_frame.get((vmap.get(v), f["frame"]), [])))
    share = covered / len(keepable) if keepable else 1.0
    print(f"coverage {share:.4f} covered {covered} of {len(keepable)} keepable faces "
          f"(default faces {len(candidates)}, exhaustive {len(reference)})")


if __name__ == "__main__":
    main()
