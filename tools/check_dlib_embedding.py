#!/usr/bin/env python3
"""Checks seqcurate's dlib face embedding against dlib itself on the same 150x150 chips.

    pip install dlib-bin==20.0.1.post1      # the reference; tools only, never in Swift tests
    python3 tools/check_dlib_embedding.py [--seqcurate .build/debug/seqcurate] [--json F]

Chips: dlib's own (HOG detector, 5-point shape predictor, get_face_chip size 150 padding 0.25)
of every face dlib finds in assets/messi5.jpg, assets/astronaut.png (when tools/setup.sh has
fetched it) and every 4th frame of carphone_pristine.mp4 and every 10th of Megamind.avi
(decoded with the ffmpeg command line to rgb24). Each chip is written as PNG and embedded twice:
by dlib's face_recognition_model_v1.compute_face_descriptor(chip) (no jitter) and by
`seqcurate embed --aligned --json`. Prints the largest per-dimension difference and the largest
distance over all chips; exits 1 when they exceed 1e-3 / 0.01 (docs/embedding.md).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

import dlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chip_template  # noqa: E402  (the same image list and dlib pipeline)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seqcurate", default=os.path.join(chip_template.ROOT, ".build/debug/seqcurate"))
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    ref = chip_template.Dlib()
    with tempfile.TemporaryDirectory() as tmp:
        chips = []  # (name, path, dlib descriptor)
        for name, img, _ in chip_template.images(args.seqcurate):
            for k, r in enumerate(ref.detector(img, 1)):
                chip = dlib.get_face_chip(img, ref.predictor(img, r), size=150, padding=0.25)
                path = os.path.join(tmp, f"{len(chips):04d}.png")
                Image.fromarray(chip).save(path)
                chips.append((f"{name}/{k}", path, np.array(ref.model.compute_face_descriptor(chip))))
        out = subprocess.run([args.seqcurate, "embed", "--aligned", "--json"] + [c[1] for c in chips],
                             check=True, capture_output=True, text=True).stdout
        ours = {r["source"]: np.array(r["embedding"]) for r in map(json.loads, filter(str.strip, out.splitlines()))}
    diff = np.array([np.abs(ours[p] - d).max() for _, p, d in chips])
    dist = np.array([np.linalg.norm(ours[p] - d) for _, p, d in chips])
    figures = {"dlib": dlib.__version__, "chips": len(chips), "max_abs_diff": float(diff.max()),
               "max_distance": float(dist.max()), "mean_distance": float(dist.mean()),
               "worst": chips[int(dist.argmax())][0]}
    print(f"{len(chips)} chips: largest |ours - dlib| per dimension {diff.max():.3g}, "
          f"distance mean {dist.mean():.3g} max {dist.max():.3g} ({figures['worst']})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)
    return 0 if diff.max() <= 1e-3 and dist.max() <= 0.01 else 1


if __name__ == "__main__":
    sys.exit(main())
