#!/usr/bin/env python3
"""The distances behind seqcurate's identity thresholds (docs/catalog.md, "Distances over the
sample media"): `seqcurate embed` over the carphone man on every 10th frame of
carphone_pristine.mp4, three Megamind (cartoon) crops and messi5.jpg, then Euclidean distances
per kind of pair (face against face, face against a person's mean, mean against mean).

    python3 tools/identity_distances.py --seqcurate .build/release/seqcurate

Needs ffmpeg, numpy and the assets of tools/setup.sh.
"""
import argparse
import glob
import itertools
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASSETS = os.path.join(ROOT, "assets")

# (name, ffmpeg filter) of the cartoon crops: frames 105-150 of one, 15-90 of the others, every 9th.
CARTOONS = [("cartoon_a", "select='between(n,105,150)*not(mod(n,9))',crop=240:290:370:90"),
            ("cartoon_b", "select='between(n,15,90)*not(mod(n,15))',crop=200:240:200:130"),
            ("cartoon_c", "select='between(n,15,90)*not(mod(n,15))',crop=120:130:430:150")]


def frames(video, vf, out_pattern):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", video, "-vf", vf, "-vsync", "0", out_pattern], check=True)


def embed(seqcurate, paths, out):
    subprocess.run([seqcurate, "embed", "--out", out] + paths, capture_output=True, text=True)
    keys = [line.strip() for line in open(out.replace(".npy", ".keys.txt"))]
    return dict(zip(keys, np.load(out)))


def stats(name, same, values):
    v = np.array(values)
    if len(v) == 1:
        return f"| {name} | {same} | 1 | | {v[0]:.3f} | |"
    return f"| {name} | {same} | {len(v)} | {v.min():.3f} | {np.median(v):.3f} | {v.max():.3f} |"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seqcurate", default=os.path.join(ROOT, ".build/release/seqcurate"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        frames(os.path.join(ASSETS, "carphone_pristine.mp4"), "select='not(mod(n,10))'", f"{tmp}/carphone_%03d.png")
        for name, vf in CARTOONS:
            frames(os.path.join(ASSETS, "Megamind.avi"), vf, f"{tmp}/{name}_%03d.png")
        paths = sorted(glob.glob(f"{tmp}/*.png")) + [os.path.join(ASSETS, "messi5.jpg")]
        e = embed(args.seqcurate, paths, f"{tmp}/e.npy")
    group = {}
    for path, vec in e.items():
        base = os.path.basename(path)
        key = "messi5" if base.startswith("messi5") else base.rsplit("_", 1)[0]
        group.setdefault(key, []).append(vec)
    d = lambda a, b: float(np.linalg.norm(a - b))
    car = group.get("carphone", [])
    messi = group.get("messi5", [])
    carts = [group[n] for n, _ in CARTOONS if n in group]
    mean = lambda faces: np.mean(faces, 0)
    half = len(car) // 2
    print(f"faces embedded: carphone {len(car)}, messi5 {len(messi)}, cartoon crops {[len(c) for c in carts]}")
    print("| pair | same person? | n | min | median | max |")
    print("|---|---|---:|---:|---:|---:|")
    print(stats("carphone – carphone, face against face", "same", [d(a, b) for a, b in itertools.combinations(car, 2)]))
    print(stats("carphone face – carphone mean", "same", [d(a, mean(car)) for a in car]))
    print(stats("carphone mean of the first half – of the second", "same", [d(mean(car[:half]), mean(car[half:]))]))
    if messi:
        print(stats("carphone – messi5, face against face", "different", [d(a, messi[0]) for a in car]))
        print(stats("carphone mean – messi5", "different", [d(mean(car), messi[0])]))
    print(stats("carphone – any cartoon crop", "different", [d(a, b) for a in car for c in carts for b in c]))
    print(stats("carphone mean – cartoon crop means", "different", [d(mean(car), mean(c)) for c in carts]))
    print(stats("one cartoon crop, face against face", "same", [d(a, b) for c in carts for a, b in itertools.combinations(c, 2)]))
    print(stats("consecutive carphone faces (10 frames apart)", "same", [d(a, b) for a, b in zip(car, car[1:])]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
