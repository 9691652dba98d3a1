#!/usr/bin/env python3
"""Reference port (NumPy, float64) of the published SeqFace head as its Caffe layers compute it:
NormL2 -> Scale(s) -> MarginInnerProduct, forward and backward.

Written from the semantics of the C++ layers in the SeqFace repository
(caffe/src/caffe/layers/normL2_layer.cpp, scale_layer.cpp with a fixed scale,
margin_inner_product_layer.cpp), not from seqcurate's Swift code:

- NormL2: y = x / sqrt(|x|^2 + 1e-7); backward (g - y (y.g)) / sqrt(|x|^2 + 1e-7).
- Scale: y = s x; backward s g (the scale itself has lr_mult 0).
- MarginInnerProduct, type SINGLE/DOUBLE/TRIPLE/QUADRUPLE (m = 1..4):
  * lambda = max(base (1 + gamma iter)^-power, lambda_min), iter counted from 1;
  * every forward rescales each weight row to unit norm IN PLACE (w / sqrt(w.w));
  * cos = x.w / |x| with the sign blobs of the C++ code; the label's output is
    |x| (sign polynomial) blended with lambda x.w, all outputs divided by (1 + lambda)
    (SINGLE: plain x.w);
  * weight gradient top_diff^T x (no margin term, no projection);
  * bottom gradient: top_diff w / (1 + lambda) per class, plus lambda / (1 + lambda) top_diff W;
    at the label the pair (coeff_w, coeff_x) is divided by its Euclidean norm.
  Negative labels (sequence samples) get no margin.

Use as a module (`head_forward_backward`) or from the command line on .npy files:

  tools/caffe_margin_reference.py --features X.npy --weight W.npy --labels Y.npy --top-diff G.npy \
      --iteration N [--m 4] [--scale 32] [--base 5 --gamma 0.12 --power 1 --lambda-min 5] --out-dir D
"""
import argparse, os
import numpy as np

NORM_EPS = 1e-7


def sphere_lambda(iteration, base, gamma, power, lambda_min):
    return max(base * (1.0 + gamma * iteration) ** (-power), lambda_min)


def norml2_forward(x):
    return x / np.sqrt((x * x).sum(axis=1, keepdims=True) + NORM_EPS)


def norml2_backward(x, y, gy):
    g = gy - y * (y * gy).sum(axis=1, keepdims=True)
    return g / np.sqrt((x * x).sum(axis=1, keepdims=True) + NORM_EPS)


class MarginInnerProduct:
    """One layer instance: `weight` is its blob, rewritten in place by `forward`."""

    def __init__(self, weight, m):
        if m not in (1, 2, 3, 4):
            raise ValueError("Caffe's MarginInnerProduct has m = 1 (SINGLE) ... 4 (QUADRUPLE)")
        self.weight = np.array(weight, dtype=np.float64)
        self.m = m

    def forward(self, x, labels, lam):
        w = self.weight
        w /= np.sqrt((w * w).sum(axis=1, keepdims=True))          # in place, as the C++ layer
        xn = np.sqrt((x * x).sum(axis=1))
        xw = x @ w.T
        cos = xw / xn[:, None]
        s0 = np.sign(cos)
        c2, c3, c4 = cos ** 2, cos ** 3, cos ** 4
        t = {"x": x, "labels": labels, "lam": lam, "xn": xn, "cos": cos, "s0": s0, "c2": c2, "c3": c3, "c4": c4}
        top = xw.copy()
        if self.m == 1:
            self.saved = t
            return top
        if self.m == 3:
            s1 = np.sign(np.abs(cos) - 0.5)
            t["s1"], t["s2"] = s1, s0 * (1 + s1) - 2
        if self.m == 4:
            s3 = s0 * np.sign(2 * c2 - 1)
            t["s3"], t["s4"] = s3, 2 * s0 + s3 - 3
        for i, y in enumerate(labels):
            if y < 0:
                continue
            if self.m == 2:
                v = 2 * s0[i, y] * c2[i, y] - 1
            elif self.m == 3:
                v = t["s1"][i, y] * (4 * c3[i, y] - 3 * cos[i, y]) + t["s2"][i, y]
            else:
                v = t["s3"][i, y] * (8 * c4[i, y] - 8 * c2[i, y] + 1) + t["s4"][i, y]
            top[i, y] = xn[i] * v
        top = (top + lam * xw) / (1 + lam)
        self.saved = t
        return top

    def backward(self, top_diff):
        t, w = self.saved, self.weight
        x, labels, lam, xn = t["x"], t["labels"], t["lam"], t["xn"]
        dweight = top_diff.T @ x
        if self.m == 1:
            return top_diff @ w, dweight
        dx = np.zeros_like(x)
        for i, y in enumerate(labels):
            for j in range(w.shape[0]):
                g = top_diff[i, j] / (1 + lam)
                if j != y:
                    dx[i] += g * w[j]
                    continue
                c, c2, c3, c4 = t["cos"][i, j], t["c2"][i, j], t["c3"][i, j], t["c4"][i, j]
                if self.m == 2:
                    s0 = t["s0"][i, j]
                    cw = 4 * s0 * c
                    cx = -(2 * s0 * c2 + 1) / xn[i]
                elif self.m == 3:
                    s1, s2 = t["s1"][i, j], t["s2"][i, j]
                    cw = s1 * (12 * c2 - 3)
                    cx = -(8 * s1 * c3 - s2) / xn[i]
                else:
                    s3, s4 = t["s3"][i, j], t["s4"][i, j]
                    cw = s3 * (32 * c3 - 16 * c)
                    cx = -(s3 * (24 * c4 - 8 * c2 - 1) - s4) / xn[i]
                norm = np.sqrt(cw * cw + cx * cx)
                dx[i] += g * (cw / norm) * w[j] + g * (cx / norm) * x[i]
        dx += lam / (1 + lam) * (top_diff @ w)
        return dx, dweight


def head_forward_backward(features, weight, labels, top_diff, iteration, m=4, scale=32.0,
                          base=5.0, gamma=0.12, power=1.0, lambda_min=5.0):
    """Returns logits, d(raw features), d(weight), the weights after the in-place
    normalisation, and lambda."""
    f = np.asarray(features, dtype=np.float64)
    labels = [int(v) for v in np.asarray(labels).reshape(-1)]
    lam = sphere_lambda(iteration, base, gamma, power, lambda_min)
    unit = norml2_forward(f)
    scaled = scale * unit
    layer = MarginInnerProduct(weight, m)
    logits = layer.forward(scaled, labels, lam)
    dscaled, dweight = layer.backward(np.asarray(top_diff, dtype=np.float64))
    dfeatures = norml2_backward(f, unit, scale * dscaled)
    return logits, dfeatures, dweight, layer.weight, lam


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for name in ("features", "weight", "labels", "top-diff", "out-dir"):
        ap.add_argument("--" + name, required=True)
    ap.add_argument("--iteration", type=int, required=True)
    ap.add_argument("--m", type=int, default=4)
    ap.add_argument("--scale", type=float, default=32.0)
    ap.add_argument("--base", type=float, default=5.0)
    ap.add_argument("--gamma", type=float, default=0.12)
    ap.add_argument("--power", type=float, default=1.0)
    ap.add_argument("--lambda-min", type=float, default=5.0)
    a = ap.parse_args()
    out = head_forward_backward(np.load(a.features), np.load(a.weight), np.load(a.labels), np.load(a.top_diff),
                                a.iteration, a.m, a.scale, a.base, a.gamma, a.power, a.lambda_min)
    os.makedirs(a.out_dir, exist_ok=True)
    for name, value in zip(("logits", "dfeatures", "dweight", "weight"), out[:4]):
        np.save(os.path.join(a.out_dir, name + ".npy"), value.astype(np.float32))
    print('{"lambda": %.9g}' % out[4])


if __name__ == "__main__":
    main()
