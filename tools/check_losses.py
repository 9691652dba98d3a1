#!/usr/bin/env python3
"""Cross-check `seqcurate loss` against an independent PyTorch implementation.

LSRO: the reference loss is written with torch ops and its gradient taken by autograd.
DSA: the loss is written with torch ops; the feature gradient comes from autograd (the DSA
feature gradient is the true gradient of the loss), the center-style agent update is computed
from its definition. Inputs are random; every trial checks loss, gradients and agents.

Usage: tools/check_losses.py [--seqcurate PATH] [--trials N] [--seed S]
Exit status 0 when every comparison is within --tol (relative to the reference's max |value|).
"""
import argparse, json, math, os, subprocess, sys, tempfile
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checklib import find_binary, rel_err  # noqa: E402
import torch

FLT_MIN = float(np.finfo(np.float32).tiny)


def run(binary, args):
    out = subprocess.run([binary] + args, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"check_losses: {' '.join(args[:2])} failed: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])["loss"]


def lsro_reference(logits, labels):
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(labels, dtype=torch.int64)
    p = torch.softmax(z, dim=1)
    logp = torch.log(torch.clamp(p, min=FLT_MIN))
    per = torch.where(y >= 0, -logp.gather(1, y.clamp(min=0)[:, None])[:, 0], -logp.mean(dim=1))
    loss = per.sum() / max(len(labels), 1)
    loss.backward()
    return loss.item(), z.grad.numpy()


def dsa_reference(x, labels, centers, order, F, S, lam, ratio, alpha, beta, use_norm, scale):
    c = torch.tensor(centers, dtype=torch.float64)
    if use_norm:
        c = c * scale / torch.sqrt((c * c).sum(1, keepdim=True) + 1e-7)
    N = F + S
    K = int(math.floor(N * (1.0 - ratio)))
    sampled = [int(n) for n in order[:K]]
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    agent = []
    for y in labels:
        if y >= 0:
            agent.append(int(y))
        else:
            agent.append(F - 1 - int(y) if S > 0 else -1)
    valid = [m for m, a in enumerate(agent) if a >= 0]
    total = xt.sum() * 0
    for m in valid:
        a = agent[m]
        own = ((xt[m] - c[a]) ** 2).sum() / 4
        total = total + lam * own
        for n in sampled:
            if n == a or not (a < F or n < F):
                continue
            dn = ((xt[m] - c[n]) ** 2).sum() / 4
            total = total + (1 - lam) / K * torch.relu(alpha * own - dn + beta)
    loss = total / max(len(valid), 1)
    loss.backward()
    dc = np.zeros_like(centers, dtype=np.float64)
    cn = c.numpy()
    for a in set(agent[m] for m in valid):
        ms = [m for m in valid if agent[m] == a]
        dc[a] = -sum((x[m] - cn[a]) / 2 for m in ms) / (len(ms) + 1)
    return loss.item(), xt.grad.numpy(), dc, cn


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seqcurate")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tol", type=float, default=1e-4)
    args = ap.parse_args()
    binary = find_binary(args.seqcurate, "check_losses")
    rng = np.random.default_rng(args.seed)
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        def save(name, arr):
            path = os.path.join(tmp, name)
            np.save(path, arr)
            return path

        for t in range(args.trials):
            B, C = int(rng.integers(1, 40)), int(rng.integers(2, 200))
            logits = (rng.standard_normal((B, C)) * rng.uniform(0.5, 4)).astype(np.float32)
            labels = rng.integers(-5, C, size=B).astype(np.int32)
            out = os.path.join(tmp, f"lsro{t}")
            loss = run(binary, ["loss", "lsro", "--logits", save("l.npy", logits), "--labels", save("y.npy", labels), "--out-dir", out])
            ref_loss, ref_grad = lsro_reference(logits, labels)
            errs = [abs(loss - ref_loss) / max(abs(ref_loss), 1e-12), rel_err(np.load(os.path.join(out, "dlogits.npy")), ref_grad)]
            print(f"lsro trial {t}: B={B} C={C} loss {loss:.6f} ref {ref_loss:.6f} rel errors {errs[0]:.2e} {errs[1]:.2e}")
            worst = max(worst, *errs)

        for t in range(args.trials):
            F, S, D, B = int(rng.integers(1, 20)), int(rng.integers(0, 30)), int(rng.integers(2, 64)), int(rng.integers(1, 40))
            lam, ratio = float(rng.uniform(0, 1)), float(rng.choice([0.0, 0.5, 0.9, float(rng.uniform(0, 1))]))
            alpha, beta = float(rng.uniform(1, 3)), float(rng.uniform(0, 2))
            use_norm, scale = bool(rng.integers(0, 2)), float(rng.uniform(1, 5))
            x = rng.standard_normal((B, D)).astype(np.float32)
            centers = rng.standard_normal((F + S, D)).astype(np.float32)
            labels = rng.integers(-S if S > 0 else -3, F, size=B).astype(np.int32)
            order = rng.permutation(F + S).astype(np.int32)
            out = os.path.join(tmp, f"dsa{t}")
            cmd = ["loss", "dsa", "--features", save("x.npy", x), "--labels", save("y.npy", labels),
                   "--centers", save("c.npy", centers), "--agent-order", save("p.npy", order),
                   "--faceid-num", str(F), "--seqid-num", str(S), "--lambda", repr(lam), "--dropout-ratio", repr(ratio),
                   "--alpha", repr(alpha), "--beta", repr(beta), "--scale", repr(scale), "--out-dir", out]
            if use_norm:
                cmd.append("--use-normalize")
            loss = run(binary, cmd)
            # The binary reads lambda/alpha/beta/scale as float32; give the reference the same values.
            f32 = lambda v: float(np.float32(v))
            ref = dsa_reference(x.astype(np.float64), labels, centers.astype(np.float64), order, F, S,
                                f32(lam), ratio, f32(alpha), f32(beta), use_norm, f32(scale))
            errs = [abs(loss - ref[0]) / max(abs(ref[0]), 1e-12),
                    rel_err(np.load(os.path.join(out, "dfeatures.npy")), ref[1]),
                    rel_err(np.load(os.path.join(out, "dcenters.npy")), ref[2]),
                    rel_err(np.load(os.path.join(out, "centers.npy")), ref[3])]
            print(f"dsa trial {t}: F={F} S={S} D={D} B={B} ratio={ratio:.2f} norm={use_norm} loss {loss:.6f} ref {ref[0]:.6f} "
                  f"rel errors " + " ".join(f"{e:.2e}" for e in errs))
            worst = max(worst, *errs)
    print(json.dumps({"worst_relative_error": worst, "tolerance": args.tol, "ok": worst <= args.tol}))
    return 0 if worst <= args.tol else 1


if __name__ == "__main__":
    sys.exit(main())
