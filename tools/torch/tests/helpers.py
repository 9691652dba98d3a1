"""Shared test helpers: the seqcurate binary, temporary folders, a tiny data set."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(TORCH_DIR))
sys.path.insert(0, TORCH_DIR)


def binary():
    """$SEQCURATE_BIN, else the debug build `swift test` made."""
    path = os.environ.get("SEQCURATE_BIN") or os.path.join(REPO, ".build", "debug", "seqcurate")
    if not os.path.exists(path):
        raise unittest.SkipTest(f"no seqcurate binary at {path} (build it with swift build, or set SEQCURATE_BIN)")
    return path


def seqcurate(*args):
    """Runs the binary; returns stdout. A non-zero exit fails with its stderr."""
    out = subprocess.run([binary(), *map(str, args)], capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError(f"seqcurate {' '.join(map(str, args))} exited {out.returncode}: {out.stderr.strip()}")
    return out.stdout


def last_json(text):
    return json.loads(text.strip().splitlines()[-1])


WORST = {}


def rel_err(a, b, what=None):
    """Largest difference relative to the largest reference value. With SEQFACE_TORCH_REPORT=1
    the worst value of each `what` is printed at exit (the figures in docs/training.md)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shapes {a.shape} and {b.shape}"
    err = float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12)) if a.size else 0.0
    if what:
        WORST[what] = max(WORST.get(what, 0.0), err)
    return err


def _report():
    if os.environ.get("SEQFACE_TORCH_REPORT") and WORST:
        for what in sorted(WORST):
            print(f"worst relative difference, {what}: {WORST[what]:.2e}", file=sys.stderr)


import atexit  # noqa: E402
atexit.register(_report)


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="seqface-torch-")
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)


def make_faces(out, identities=6, sequences=4, per_class=6, size=36, seed=0):
    """A tiny export-like data set with the repository's generator (tools/make_demo_faces.py):
    OUT/identity.txt (0…F-1), OUT/sequence.txt (-1…-S), OUT/heldout.txt, PNG images."""
    subprocess.run([sys.executable, os.path.join(REPO, "tools", "make_demo_faces.py"), out,
                    "--identities", str(identities), "--sequences", str(sequences),
                    "--per-class", str(per_class), "--size", str(size), "--seed", str(seed)],
                   check=True, capture_output=True)
    return out
