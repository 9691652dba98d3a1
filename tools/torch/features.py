#!/usr/bin/env python3
"""fc5 features with PyTorch, as `seqcurate features` computes them for a trained run.

  features.py CKPT.pt --list LIST [--root DIR] --out F.npy [--flip] [--device cuda]

CKPT is a train.py checkpoint (or a converted run, `convert.py from-run`). Writes F.npy
(float32, one row per list line) and F.keys.txt (the list paths), like `seqcurate features`.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from seqface_torch import checkpoint, features  # noqa: E402
from seqface_torch.data import read_list  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--list", required=True)
    ap.add_argument("--root")
    ap.add_argument("--out", required=True)
    ap.add_argument("--flip", action="store_true")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    try:
        cfg, net = checkpoint.model_from(checkpoint.load(args.checkpoint))
        items = read_list(args.list, args.root, keys=True)
        feats = features.extract(net, cfg, [p for _, p, _ in items], args.batch_size, args.flip, args.device)
    except (ValueError, OSError, RuntimeError) as e:
        sys.exit(f"features.py: error: {e}")
    np.save(args.out, feats)
    stem = args.out[:-4] if args.out.endswith(".npy") else args.out
    with open(stem + ".keys.txt", "w") as f:
        for key, _, _ in items:
            f.write((key[2:] if key.startswith("./") else key) + "\n")
    print(f"{args.out}: {feats.shape[0]} x {feats.shape[1]}")


if __name__ == "__main__":
    main()
