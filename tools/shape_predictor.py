#!/usr/bin/env python3
"""dlib's 5-point face shape predictor in numpy: its own reader of dlib's serialisation and its
own cascade of regression trees, the groundwork of a Swift landmark refiner (docs/embedding.md,
"Why two faces exceed 0.2"; issue #11 step 3).

    python3 tools/shape_predictor.py check --seqcurate .build/debug/seqcurate
    python3 tools/shape_predictor.py --layout    # the cascade's sizes
    python3 tools/shape_predictor.py convert --out assets/dlib_shape_predictor_5.safetensors

The file (assets/shape_predictor_5_face_landmarks.dat) is dlib's `serialize` of a
`shape_predictor`, integers and floats as in dlib's network files (docs/embedding.md):
version 1; the initial shape (a column matrix: -rows, -cols, then rows x cols floats: x0, y0,
x1, y1, ... in the unit square of the face box); the forests (a vector of cascades, each a
vector of trees; a tree is its splits, a vector of (idx1, idx2, threshold), then its leaf
values, a vector of column matrices of the shape's size); the anchor indices (per cascade, per
feature pixel, the landmark it hangs from) and the deltas (per cascade, per feature pixel, an
(x, y) offset in the initial shape's frame).

Prediction from a face box (left, top, right, bottom) on an RGB image: start from the initial
shape; for each cascade, fit the similarity (rotation and scale only) taking the initial shape
to the current one, place every feature pixel at current[anchor] + S delta, map it from the unit
square into the box, read the image's intensity there (nearest pixel, (r+g+b)/3, 0 outside),
and add the leaf of every tree (a tree goes left while pixel[idx1] - pixel[idx2] > threshold).
The shape mapped into the box is the five landmarks.

convert: writes the predictor as float32 safetensors for Sources/SeqEmbed/ShapePredictor.swift
(deterministic; indices are whole numbers, exact in float32): `initial` [P, 2], `idx1`, `idx2`,
`threshold` [C, T, S], `leaves` [C, T, L, P, 2], `anchor` [C, F], `delta` [C, F, 2].
check: on the real faces of tools/chip_template.py, this predictor against dlib's own from the
same HOG boxes (largest landmark difference).
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = os.path.join(ROOT, "assets", "shape_predictor_5_face_landmarks.dat")


class Reader:
    """dlib's serialisation: integers (a control byte, then the magnitude's bytes), floats
    (mantissa and exponent integers)."""

    def __init__(self, data, path):
        self.data, self.pos, self.path = data, 0, path

    def integer(self):
        if self.pos >= len(self.data):
            raise ValueError(f"{self.path}: truncated at byte {self.pos}")
        control = self.data[self.pos]
        n = control & 0x0F
        if control & 0x70 or n > 8:
            raise ValueError(f"{self.path}: not an integer at byte {self.pos}")
        value = int.from_bytes(self.data[self.pos + 1:self.pos + 1 + n], "little")
        self.pos += 1 + n
        return -value if control & 0x80 else value

    def real(self):
        mantissa, exponent = self.integer(), self.integer()
        if exponent >= 32000:
            return (np.inf, -np.inf, np.nan)[exponent - 32000]
        return float(mantissa) * 2.0 ** exponent

    def column(self):
        rows, cols = abs(self.integer()), abs(self.integer())
        return np.array([self.real() for _ in range(rows * cols)], np.float32)

    def vector(self, item):
        return [item() for _ in range(self.integer())]


class ShapePredictor:
    def __init__(self, path=DEFAULT):
        with open(path, "rb") as f:
            r = Reader(f.read(), path)
        if r.integer() != 1:
            raise ValueError(f"{path}: not a dlib shape predictor (version)")
        self.initial = r.column().reshape(-1, 2)
        self.cascades = []  # per cascade: (idx1 [T, S], idx2, thresholds, leaves [T, L, P, 2])
        for trees in r.vector(lambda: r.vector(lambda: (r.vector(lambda: (r.integer(), r.integer(), r.real())),
                                                          r.vector(r.column)))):
            splits = np.array([[s for s in t[0]] for t in trees], np.float64)  # [T, S, 3]
            leaves = np.array([t[1] for t in trees], np.float32).reshape(len(trees), -1, len(self.initial), 2)
            self.cascades.append((splits[..., 0].astype(int), splits[..., 1].astype(int),
                                  splits[..., 2].astype(np.float32), leaves))
        self.anchors = [np.array(a, int) for a in r.vector(lambda: r.vector(r.integer))]
        self.deltas = [np.array(d, np.float32).reshape(-1, 2) for d in r.vector(lambda: r.vector(lambda: (r.real(), r.real())))]
        if r.pos != len(r.data):
            raise ValueError(f"{path}: {len(r.data) - r.pos} bytes left over")

    def layout(self):
        i1, _, _, leaves = self.cascades[0]
        return (f"{len(self.initial)} landmarks, {len(self.cascades)} cascades x {i1.shape[0]} trees, "
                f"{i1.shape[1]} splits and {leaves.shape[1]} leaves per tree, "
                f"{len(self.deltas[0])} feature pixels per cascade")

    def __call__(self, img, box):
        """The landmarks [P, 2] (image pixels) of the face in `box` (left, top, right, bottom)."""
        left, top, right, bottom = box
        h, w = img.shape[:2]
        gray = img.astype(np.int32).sum(2) // 3
        shape = self.initial.astype(np.float32).copy()
        for (i1, i2, th, leaves), anchors, deltas in zip(self.cascades, self.anchors, self.deltas):
            s = rotation_scale(self.initial, shape)
            p = shape[anchors] + deltas @ s.T
            x = np.floor(left + p[:, 0] * (right - left) + 0.5).astype(int)
            y = np.floor(top + p[:, 1] * (bottom - top) + 0.5).astype(int)
            inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
            pix = np.where(inside, gray[np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)], 0).astype(np.float32)
            for t in range(i1.shape[0]):
                node = 0
                while node < i1.shape[1]:
                    node = 2 * node + 1 if pix[i1[t, node]] - pix[i2[t, node]] > th[t, node] else 2 * node + 2
                shape += leaves[t, node - i1.shape[1]]
        return np.stack([left + shape[:, 0] * (right - left), top + shape[:, 1] * (bottom - top)], 1)


def rotation_scale(src, dst):
    """The 2x2 part of the least-squares similarity taking src [P, 2] onto dst (Umeyama)."""
    ms, md = src.mean(0), dst.mean(0)
    a, b = src - ms, dst - md
    cov = b.T @ a / len(src)
    u, sv, vt = np.linalg.svd(cov)
    flip = np.diag([1.0, -1.0 if np.linalg.det(u) * np.linalg.det(vt) < 0 else 1.0])
    return (np.trace(np.diag(sv) @ flip) / ((a ** 2).sum() / len(src)) * (u @ flip @ vt)).astype(np.float32)


def check(args, sp):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import chip_template as ct
    import dlib
    ref = ct.Dlib()
    worst, n = 0.0, 0
    for name, img, mt in ct.images(args.seqcurate):
        if ct.animated(name):
            continue
        for r in ref.detector(img, 1):
            theirs = ref.predictor(img, r)
            theirs = np.array([(theirs.part(i).x, theirs.part(i).y) for i in range(theirs.num_parts)], float)
            ours = sp(img, (r.left(), r.top(), r.right(), r.bottom()))
            # dlib's full_object_detection holds integer points: compare after rounding.
            diff = np.abs(np.floor(ours + 0.5) - theirs).max()
            n += 1
            if diff > worst:
                worst = diff
                print(f"  {name}: largest difference so far {diff:.0f} px")
    print(f"{n} faces: largest landmark difference to dlib's predictor {worst:.0f} px (dlib rounds to whole pixels)")
    return 0 if worst <= 1 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", nargs="?", choices=["check", "convert"])
    ap.add_argument("--out", help="convert: the safetensors file to write")
    ap.add_argument("--predictor", default=DEFAULT)
    ap.add_argument("--layout", action="store_true")
    ap.add_argument("--seqcurate", default=os.path.join(ROOT, ".build/debug/seqcurate"))
    args = ap.parse_args()
    sp = ShapePredictor(args.predictor)
    if args.layout or args.mode is None:
        print(sp.layout())
    if args.mode == "check":
        return check(args, sp)
    if args.mode == "convert":
        if not args.out:
            ap.error("convert needs --out")
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from convert_dlib import write_safetensors
        c = sp.cascades
        write_safetensors({"initial": sp.initial,
                           "idx1": np.stack([x[0] for x in c]), "idx2": np.stack([x[1] for x in c]),
                           "threshold": np.stack([x[2] for x in c]), "leaves": np.stack([x[3] for x in c]),
                           "anchor": np.stack(sp.anchors), "delta": np.stack(sp.deltas)},
                          args.out, {"source": os.path.basename(args.predictor), "format": "seqcurate dlib shape predictor 1"})
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
