"""Helpers the cross-check scripts in tools/ share: finding the built seqcurate binary and
comparing arrays."""
import os
import sys

import numpy as np


def find_binary(explicit, script):
    """`explicit`, else .build/release/seqcurate, else .build/debug/seqcurate; exits naming
    `script` when none is built."""
    if explicit:
        return explicit
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for cfg in ("release", "debug"):
        p = os.path.join(root, ".build", cfg, "seqcurate")
        if os.path.exists(p):
            return p
    sys.exit(f"{script}: no seqcurate binary found; build it or pass --seqcurate")


def rel_err(a, b):
    """Largest absolute difference relative to the reference's largest magnitude."""
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))
