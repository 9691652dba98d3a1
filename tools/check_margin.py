#!/usr/bin/env python3
"""Cross-check `seqcurate loss margin` against tools/caffe_margin_reference.py, the NumPy port of
the published Caffe head (NormL2 -> Scale(32) -> MarginInnerProduct).

Every trial draws random raw fc5 features, class weights (not unit norm, so the in-place
normalisation is exercised), labels (identity classes and negative sequence labels), a logit
gradient and an iteration, for each Caffe margin type m = 1…4 (QUADRUPLE, m = 4, is the
published one), runs both, and compares logits, the raw-feature gradient, the class-weight
gradient and the normalised weights. Reports the worst relative error (max |a - b| / max |b|
per array). Also reports how much larger the exact derivative's feature gradient is on identity
samples (`--backward exact` against the Caffe rule), for m = 4.

Usage: tools/check_margin.py [--seqcurate PATH] [--trials N] [--seed S] [--tol T]
Exit status 0 when every comparison is within --tol.
"""
import argparse, json, os, subprocess, sys, tempfile
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checklib import find_binary, rel_err  # noqa: E402
import caffe_margin_reference as ref  # noqa: E402


def run_seqcurate(binary, folder, args):
    out = os.path.join(folder, "out-" + "-".join(a.strip("-") for a in args[::2][:3]))
    cmd = [binary, "loss", "margin", "--type", "sphereface",
           "--features", os.path.join(folder, "x.npy"), "--weight", os.path.join(folder, "w.npy"),
           "--labels", os.path.join(folder, "y.npy"), "--top-diff", os.path.join(folder, "g.npy"),
           "--out-dir", out] + args
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"check_margin: seqcurate failed: {p.stderr.strip()}")
    lam = json.loads(p.stdout.strip().splitlines()[-1])["lambda"]
    return {k: np.load(os.path.join(out, k + ".npy")) for k in ("logits", "dfeatures", "dweight", "weight")}, lam


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seqcurate")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    binary = find_binary(a.seqcurate, "check_margin")
    rng = np.random.default_rng(a.seed)
    worst, worst_where, ratios = 0.0, "", []
    with tempfile.TemporaryDirectory() as folder:
        for trial in range(a.trials):
            b, k, n = int(rng.integers(4, 17)), int(rng.integers(8, 65)), int(rng.integers(3, 12))
            x = (rng.standard_normal((b, k)) * rng.uniform(0.5, 5)).astype(np.float32)
            w = (rng.standard_normal((n, k)) * rng.uniform(0.1, 3)).astype(np.float32)
            y = rng.integers(0, n, b).astype(np.int32)
            y[rng.random(b) < 0.3] = -1 - rng.integers(0, 7)
            g = (rng.standard_normal((b, n)) * 0.1).astype(np.float32)
            for name, v in (("x", x), ("w", w), ("y", y), ("g", g)):
                np.save(os.path.join(folder, name + ".npy"), v)
            # Published schedule (lambda stays 5) and an annealing one that reaches low lambdas.
            schedule = [("5", "0.12", "1", "5"), ("1000", "0.12", "1", "0.5")][trial % 2]
            iteration = int(rng.integers(1, 5000))
            for m in (1, 2, 3, 4):
                args = ["--m", str(m), "--iteration", str(iteration), "--base", schedule[0], "--gamma", schedule[1],
                        "--power", schedule[2], "--lambda-min", schedule[3]]
                got, lam = run_seqcurate(binary, folder, args)
                want = ref.head_forward_backward(x, w, y, g, iteration, m=m, base=float(schedule[0]), gamma=float(schedule[1]),
                                                 power=float(schedule[2]), lambda_min=float(schedule[3]))
                for key, expected in zip(("logits", "dfeatures", "dweight", "weight"), want[:4]):
                    e = rel_err(got[key].astype(np.float64), expected)
                    if e > worst:
                        worst, worst_where = e, f"trial {trial} m={m} {key}"
                e = abs(lam - want[4]) / max(abs(want[4]), 1e-12)
                if e > worst:
                    worst, worst_where = e, f"trial {trial} m={m} lambda"
                if m == 4:
                    exact, _ = run_seqcurate(binary, folder, args + ["--backward", "exact"])
                    for i in np.nonzero(y >= 0)[0]:
                        ratios.append(np.linalg.norm(exact["dfeatures"][i]) / np.linalg.norm(got["dfeatures"][i]))
            print(f"trial {trial}: batch {b}, dim {k}, classes {n}, iteration {iteration}, worst so far {worst:.2e}")
    print(f"worst relative error {worst:.2e} ({worst_where}); tolerance {a.tol:g}")
    if ratios:
        print(f"exact / caffe fc5 gradient norm on identity samples (m=4): median {np.median(ratios):.2f}, "
              f"range {min(ratios):.2f}-{max(ratios):.2f}")
    sys.exit(0 if worst <= a.tol else 1)


if __name__ == "__main__":
    main()
