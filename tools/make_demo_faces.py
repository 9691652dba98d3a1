#!/usr/bin/env python3
"""Writes a small synthetic training set in the exported-list layout, for demos of
`seqcurate train` and benchmarks: every class is a random colour layout (3x3 grid, smoothly
upsampled); its images are shifted, brightness-jittered and noisy.

  tools/make_demo_faces.py OUT [--identities 20] [--sequences 30] [--per-class 8] [--size 36] [--seed 0]

Creates OUT/identity.txt (labels 0..F-1), OUT/sequence.txt (labels -1..-S), OUT/heldout.txt
(unseen identities, labels 0..) and the PNG images they name.
"""
import argparse, os
import numpy as np
from PIL import Image


def render(template, size, rng):
    dx, dy = rng.integers(-2, 3, size=2)
    gain = 0.85 + 0.3 * rng.random()
    coords = (np.arange(size, dtype=np.float32) / (size - 1)) * 2
    gx = np.clip(coords + dx / (size - 1) * 2, 0, 2)
    gy = np.clip(coords + dy / (size - 1) * 2, 0, 2)
    x0 = np.minimum(gx.astype(int), 1); fx = gx - x0
    y0 = np.minimum(gy.astype(int), 1); fy = gy - y0
    t = template.reshape(3, 3, 3)
    top = t[y0][:, x0] * (1 - fx)[None, :, None] + t[y0][:, x0 + 1] * fx[None, :, None]
    bot = t[y0 + 1][:, x0] * (1 - fx)[None, :, None] + t[y0 + 1][:, x0 + 1] * fx[None, :, None]
    img = top * (1 - fy)[:, None, None] + bot * fy[:, None, None]
    img = img * gain + rng.normal(0, 12, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write_list(out, name, folder, classes, per_class, label, size, rng):
    lines = []
    for k in range(classes):
        template = rng.random(27) * 200 + 28
        os.makedirs(os.path.join(out, folder, str(k)), exist_ok=True)
        for i in range(per_class):
            rel = f"{folder}/{k}/{i}.png"
            Image.fromarray(render(template, size, rng)).save(os.path.join(out, rel))
            lines.append(f"{rel} {label(k)}")
    with open(os.path.join(out, name), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--identities", type=int, default=20)
    ap.add_argument("--sequences", type=int, default=30)
    ap.add_argument("--per-class", type=int, default=8)
    ap.add_argument("--size", type=int, default=36)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    write_list(a.out, "identity.txt", "id", a.identities, a.per_class, lambda k: k, a.size, rng)
    write_list(a.out, "sequence.txt", "seq", a.sequences, max(5, a.per_class // 2), lambda k: -(k + 1), a.size, rng)
    write_list(a.out, "heldout.txt", "heldout", 10, 5, lambda k: k, a.size, rng)
    print(f"wrote {a.out}/identity.txt, sequence.txt, heldout.txt")


if __name__ == "__main__":
    main()
