#!/usr/bin/env python3
"""dlib's frontal face detector (HOG) in numpy, scored only where asked: the reference for
Sources/SeqEmbed/DlibFrontalDetector.swift, which picks dlib's own box among the few detector boxes
around an estimate (docs/embedding.md, "dlib's own box"; issue #11).

    python3 tools/dlib_hog.py save --out assets/dlib_frontal_face_detector.svm   # needs dlib-bin
    python3 tools/dlib_hog.py convert assets/dlib_frontal_face_detector.svm --out assets/dlib_hog.safetensors
    python3 tools/dlib_hog.py check [IMAGE ...]          # our scores against dlib's detections

The file is dlib's `serialize` of `object_detector<scan_fhog_pyramid<pyramid_down<6>>>`
(integers and floats as in dlib's other files, tools/shape_predictor.py's Reader): version 2;
the scanner (version 1, an empty feature cache, cell size, padding, window width and height,
pyramid limits, a regularisation strength, the number of dimensions); the overlap test (two
reals); the number of detectors; per detector a column of dims + 1 reals: 31 planes of a
filter of (window / cell + 2 padding) cells square, row-major, then the threshold.

What a box scores (dlib's `object_detector::operator()`, run with one upsampling):
1. the image upsampled by `pyramid_up` (bilinear `resize_image` to the size of
   `pyramid_down<2>::rect_up` of the image: 2 w + 2 by 2 h + 1), then levels of
   `pyramid_down<6>` (bilinear resize to floor(5 n / 6)), each from the one before; the RGB bilinear resize runs in float32 with
   positions accumulated four columns at a time, and truncates;
2. FHOG of the level: 8-pixel cells, per pixel the colour channel with the largest gradient,
   18 signed orientations, votes spread bilinearly over 4 cells, 4 normalisations clipped at
   0.2, 18 + 9 + 4 = 31 features per cell; cells placed in a zero border of (filter - 1) / 2;
3. the filter's dot product with the features around the cell (filter response cell r reads
   padded rows r - 5 ... r + 4; tools/chip_template.py's and DlibDetectorGrid's cells are
   response cells + 1), minus the detector's threshold. dlib keeps, among overlapping boxes, the one that scores highest
   over all five detectors.
"""
import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shape_predictor import Reader  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SVM = os.path.join(ROOT, "assets", "dlib_frontal_face_detector.svm")


def read_detector(path):
    """cell size, filters [D, 31, F, F] (float32), thresholds [D] of a saved frontal detector."""
    with open(path, "rb") as f:
        r = Reader(f.read(), path)
    if r.integer() != 2 or r.integer() != 1:
        raise ValueError(f"{path}: not a dlib HOG object detector (version)")
    if r.integer() != 0 or r.integer() != 0:  # the scanner's feature cache (an empty array)
        raise ValueError(f"{path}: unexpected feature cache")
    cell, padding, width, height = r.integer(), r.integer(), r.integer(), r.integer()
    r.integer(), r.integer(), r.integer()  # pyramid limits: levels, minimum width and height
    r.real()  # nuclear norm regularisation (training only)
    dims = r.integer()
    # The filter covers the window's cells (dlib's image_to_fhog of the window) plus `padding`
    # cells around; a square window gives a square filter.
    fw = fh = int(round(math.sqrt(dims / 31)))
    if width != height or dims != 31 * fw * fh:
        raise ValueError(f"{path}: {dims} dimensions for a {width}x{height} window")
    r.real(), r.real()  # the overlap test used by non-maximum suppression
    filters, thresholds = [], []
    for _ in range(r.integer()):
        n = abs(r.integer()) * abs(r.integer())
        w = np.array([r.real() for _ in range(n)], np.float64)
        filters.append(w[:dims].reshape(31, fh, fw))
        thresholds.append(w[dims])
    if r.pos != len(r.data):
        raise ValueError(f"{path}: {len(r.data) - r.pos} bytes left over")
    return {"cell": cell, "padding": padding, "window": (width, height),
            "filters": np.array(filters, np.float32), "thresholds": np.array(thresholds, np.float64)}


# --- the pyramid --------------------------------------------------------------------------

def resize_rgb(img, rows, cols):
    """dlib's resize_image(rgb, rgb, interpolate_bilinear), value for value."""
    h, w = img.shape[:2]
    xs = (w - 1) / max(cols - 1, 1)
    ys = (h - 1) / max(rows - 1, 1)
    y = np.cumsum(np.concatenate([[-ys], np.full(rows, ys)]))[1:]
    top = np.floor(y).astype(int)
    bottom = np.minimum(top + 1, h - 1)
    tb = y - top
    out = np.zeros((rows, cols, 3), np.uint8)
    # Four columns at a time in float32: lanes start at x0 + j xs (double, then float) and
    # step by float(4 xs); a block runs while its last right neighbour is inside.
    x0 = -4 * xs
    lanes = np.array([x0, x0 + xs, x0 + 2 * xs, x0 + 3 * xs], np.float32)
    step = np.float32(4 * xs)
    xcols, c = [], 0
    while True:
        lanes = (lanes + step).astype(np.float32)
        left = lanes.astype(np.int32)  # truncation, as _mm_cvttps_epi32
        if left[3] + 1 >= w or c + 4 > cols:
            break
        xcols.append((c, lanes.copy(), left))
        c += 4
    src = img.astype(np.float32)
    tbf = tb.astype(np.float32)
    itbf = (1 - tb).astype(np.float32)
    if xcols:
        cs = np.concatenate([np.arange(cc, cc + 4) for cc, _, _ in xcols])
        xl = np.concatenate([l for _, l, _ in xcols]).astype(np.float32)
        left = np.concatenate([lf for _, _, lf in xcols])
        lr = (xl - left.astype(np.float32)).astype(np.float32)
        ilr = (np.float32(1) - lr).astype(np.float32)
        tlf = itbf[:, None] * ilr[None, :]
        trf = itbf[:, None] * lr[None, :]
        blf = tbf[:, None] * ilr[None, :]
        brf = tbf[:, None] * lr[None, :]
        for ch in range(3):
            p = src[:, :, ch]
            v = (tlf * p[top][:, left] + trf * p[top][:, left + 1]).astype(np.float32)
            v = (v + blf * p[bottom][:, left]).astype(np.float32)
            v = (v + brf * p[bottom][:, left + 1]).astype(np.float32)
            out[:, cs, ch] = v.astype(np.int32).astype(np.uint8)
    # The rest in double, truncated.
    x = -xs + c * xs
    p = img.astype(np.float64)
    for cc in range(c, cols):
        x += xs
        left = int(math.floor(x))
        right = min(left + 1, w - 1)
        lr = x - left
        v = (1 - tb)[:, None] * ((1 - lr) * p[top, left] + lr * p[top, right]) + \
            tb[:, None] * ((1 - lr) * p[bottom, left] + lr * p[bottom, right])
        out[:, cc] = v.astype(np.int32).astype(np.uint8)
    return out


def lround(v):
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def pyramid_up(img):
    """pyramid_up with pyramid_down<2>: the size of rect_up of the whole image."""
    h, w = img.shape[:2]
    return resize_rgb(img, lround((h - 1 + 0.75) * 2) + 1, lround((w - 1 + 1.25) * 2) + 1)


def pyramid_down6(img):
    h, w = img.shape[:2]
    return resize_rgb(img, (5 * h) // 6, (5 * w) // 6)


# --- FHOG -----------------------------------------------------------------------------------

DIRECTIONS = np.array([[1.0000, 0.0000], [0.9397, 0.3420], [0.7660, 0.6428], [0.500, 0.8660],
                       [0.1736, 0.9848], [-0.1736, 0.9848], [-0.5000, 0.8660], [-0.7660, 0.6428],
                       [-0.9397, 0.3420]], np.float32)


def fhog(img, cell=8, pad=10):
    """dlib's extract_fhog_features of an RGB image: [31, hog_nr + pad - 1, hog_nc + pad - 1].
    Follows dlib's eight-columns-at-a-time rules everywhere; dlib does its last few columns one
    at a time (other tie and rounding order, which Sources/SeqEmbed/FHOG.swift follows), so the
    rightmost feature column may differ slightly here."""
    nr, nc = img.shape[:2]
    cells_nr = int(np.float32(nr) / np.float32(cell) + np.float32(0.5))
    cells_nc = int(np.float32(nc) / np.float32(cell) + np.float32(0.5))
    hist = np.zeros((cells_nr + 2, cells_nc + 2, 18), np.float32)
    hog_nr, hog_nc = max(cells_nr - 2, 0), max(cells_nc - 2, 0)
    off = (pad - 1) // 2
    out = np.zeros((31, hog_nr + pad - 1, hog_nc + pad - 1), np.float32)
    if hog_nr == 0 or hog_nc == 0:
        return out
    vis_nr = min(cells_nr * cell, nr) - 1
    vis_nc = min(cells_nc * cell, nc) - 1
    p = img.astype(np.int32)
    ys, xs = np.arange(1, vis_nr), np.arange(1, vis_nc)
    Y, X = np.meshgrid(ys, xs, indexing="ij")
    gx = p[Y, X + 1] - p[Y, X - 1]
    gy = p[Y + 1, X] - p[Y - 1, X]
    ln = gx * gx + gy * gy  # [.., .., 3]
    # red if strictly larger than green, else green; that if strictly larger than blue, else blue
    pick = np.where(ln[..., 0] > ln[..., 1], 0, 1)
    l01 = np.take_along_axis(ln, pick[..., None], 2)[..., 0]
    pick = np.where(l01 > ln[..., 2], pick, 2)
    gx = np.take_along_axis(gx, pick[..., None], 2)[..., 0].astype(np.float32)
    gy = np.take_along_axis(gy, pick[..., None], 2)[..., 0].astype(np.float32)
    v = np.sqrt(np.take_along_axis(ln, pick[..., None], 2)[..., 0].astype(np.float32))
    best_dot = np.zeros_like(gx)
    best_o = np.zeros(gx.shape, np.int32)
    for o in range(9):
        dot = (gx * DIRECTIONS[o, 0] + gy * DIRECTIONS[o, 1]).astype(np.float32)
        m = dot > best_dot
        best_dot = np.where(m, dot, best_dot)
        best_o = np.where(m, o, best_o)
        m = -dot > best_dot
        best_dot = np.where(m, -dot, best_dot)
        best_o = np.where(m, o + 9, best_o)
    yp = ((Y + 0.5) / np.float32(cell) - 0.5).astype(np.float32)
    iyp = np.floor(yp).astype(int)
    vy0 = (yp - iyp).astype(np.float32)
    vy1 = (np.float32(1) - vy0).astype(np.float32)
    xp = ((X.astype(np.float32) + np.float32(0.5)) / np.float32(cell) + np.float32(0.5)).astype(np.float32)
    ixp = xp.astype(np.int32)
    vx0 = (xp - ixp).astype(np.float32)
    vx1 = (np.float32(1) - vx0).astype(np.float32)
    vx1v, vx0v = vx1 * v, vx0 * v
    # Votes are added in the order dlib adds them (pixel by pixel, row-major, four cells
    # each), in float32: ufunc.at adds sequentially.
    W2 = cells_nc + 2
    idx, val = [], []
    for (dy, dx, wgt) in ((1, 0, vy1 * vx1v), (2, 0, vy0 * vx1v), (1, 1, vy1 * vx0v), (2, 1, vy0 * vx0v)):
        idx.append(((iyp + dy) * W2 + (ixp + dx)) * 18 + best_o)
        val.append(wgt.astype(np.float32))
    np.add.at(hist.reshape(-1), np.stack(idx, -1).reshape(-1), np.stack(val, -1).reshape(-1))
    h = hist[1:cells_nr + 1, 1:cells_nc + 1]
    e = ((h[..., :9] + h[..., 9:]) ** 2).astype(np.float32)
    nrm = np.zeros((cells_nr, cells_nc), np.float32)
    for o in range(9):
        nrm = (nrm + e[..., o]).astype(np.float32)
    eps = np.float32(0.0001)
    Y0, X0 = np.arange(hog_nr)[:, None], np.arange(hog_nc)[None, :]
    z1 = np.stack([nrm[Y0 + 1, X0 + 1], nrm[Y0, X0 + 1], nrm[Y0 + 1, X0], nrm[Y0, X0]], -1)
    z2 = np.stack([nrm[Y0 + 1, X0 + 2], nrm[Y0, X0 + 2], nrm[Y0 + 1, X0 + 1], nrm[Y0, X0 + 1]], -1)
    z3 = np.stack([nrm[Y0 + 2, X0 + 1], nrm[Y0 + 1, X0 + 1], nrm[Y0 + 2, X0], nrm[Y0 + 1, X0]], -1)
    z4 = np.stack([nrm[Y0 + 2, X0 + 2], nrm[Y0 + 1, X0 + 2], nrm[Y0 + 2, X0 + 1], nrm[Y0 + 1, X0 + 1]], -1)
    nn = (np.float32(0.2) * np.sqrt((((z1 + z2) + z3) + z4) + eps)).astype(np.float32)  # [R, C, 4]
    n = (np.float32(0.1) / nn).astype(np.float32)
    cellh = hist[2:hog_nr + 2, 2:hog_nc + 2]  # [R, C, 18]
    hs = (np.minimum(cellh[..., None], nn[..., None, :]) * n[..., None, :]).astype(np.float32)  # [R, C, 18, 4]
    hi = (cellh[..., :9] + cellh[..., 9:]).astype(np.float32)
    hu = (np.minimum(hi[..., None], nn[..., None, :]) * n[..., None, :]).astype(np.float32)
    t = (hs.sum(2, dtype=np.float32) * np.float32(2 * 0.2357)).astype(np.float32)
    feats = np.concatenate([hs.sum(3, dtype=np.float32), hu.sum(3, dtype=np.float32), t], -1)
    out[:, off:off + hog_nr, off:off + hog_nc] = feats.transpose(2, 0, 1)
    return out


def check(args):
    import dlib
    from PIL import Image
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from chip_template import on_grid
    det = read_detector(args.svm)
    reference = dlib.get_frontal_face_detector()
    worst = 0.0
    for path in args.images:
        img = np.array(Image.open(path).convert("RGB"))
        rects, scores, idx = reference.run(img, 1, -0.3)
        up = pyramid_up(img)
        levels = [up]
        for r, s, k in zip(rects, scores, idx):
            box = (r.left(), r.top(), r.right(), r.bottom())
            g = on_grid(box)
            if g is None:
                print(f"{path}: {box} not on the grid")
                continue
            level, col, row = g
            while len(levels) <= level:
                levels.append(pyramid_down6(levels[-1]))
            F = det["filters"].shape[-1]
            feats = fhog(levels[level], pad=F)
            r0, c0 = row - 1 - F // 2, col - 1 - F // 2  # grid cell -> response cell -> first padded row
            ours = (det["filters"][int(k)].astype(np.float64) *
                    feats[:, r0:r0 + F, c0:c0 + F]).sum() - det["thresholds"][int(k)]
            worst = max(worst, abs(ours - s))
            print(f"{os.path.basename(path)} {box} level {level} cell ({col},{row}) detector {k}: "
                  f"dlib {s:.5f} ours {ours:.5f}")
    print(f"largest score difference {worst:.2e}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("save")
    s.add_argument("--out", default=SVM)
    c = sub.add_parser("convert")
    c.add_argument("svm", nargs="?", default=SVM)
    c.add_argument("--out", required=True)
    k = sub.add_parser("check")
    k.add_argument("images", nargs="*", default=[os.path.join(ROOT, "assets", "messi5.jpg"),
                                                   os.path.join(ROOT, "assets", "astronaut.png")])
    k.add_argument("--svm", default=SVM)
    args = ap.parse_args()
    if args.mode == "save":
        import dlib
        dlib.get_frontal_face_detector().save(args.out)
        return 0
    if args.mode == "check":
        return check(args)
    from convert_dlib import write_safetensors
    det = read_detector(args.svm)
    write_safetensors({"filters": det["filters"], "thresholds": det["thresholds"].astype(np.float32)}, args.out,
                      {"source": os.path.basename(args.svm), "cell_size": str(det["cell"]),
                       "window": f"{det['window'][0]}x{det['window'][1]}", "format": "seqcurate dlib_hog v1"})
    print(f"{args.out}: {len(det['thresholds'])} filters of 31 x {det['filters'].shape[2]} x {det['filters'].shape[3]} cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
