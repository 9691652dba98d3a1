"""train.py under `torchrun --nproc_per_node 2` on CPU (gloo): the losses fall, the DSA agents
stay identical on both ranks, a resumed run continues exactly, and the converted checkpoint
gives `seqcurate features` the features torch computes."""
import json
import os
import subprocess
import sys
import unittest

import numpy as np

from tests.helpers import TempDirTest, seqcurate, rel_err, make_faces, TORCH_DIR
from seqface_torch import checkpoint, features
from seqface_torch.data import read_list

import convert


def torchrun(*args):
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           os.path.join(TORCH_DIR, "train.py"), *map(str, args)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise AssertionError(f"torchrun exited {out.returncode}:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def metrics(run):
    with open(os.path.join(run, "metrics.jsonl")) as f:
        return [json.loads(line) for line in f]


class TrainTests(TempDirTest):
    def test_two_process_training(self):
        faces = make_faces(self.path("faces"), identities=6, sequences=4, per_class=6, size=36)
        with open(self.path("config.json"), "w") as f:
            # The tiny preset with cosface; agents sampled at 50% (the published 99% samples none of 10).
            json.dump({"network": {"channels": [8, 16, 24, 32], "units": [1, 1, 1, 1], "input_size": 32, "feature_dim": 64},
                       "head": {"kind": "cosface"}, "dsa": {"dropout_ratio": 0.5},
                       "data": {"identity_batch": 8, "sequence_batch": 8}}, f)
        lists = [os.path.join(faces, "identity.txt"), os.path.join(faces, "sequence.txt")]
        common = ["--config", self.path("config.json"), "--lists", *lists, "--workers", 0, "--quiet"]
        run = self.path("run")
        summary = torchrun(*common, "--out", run, "--max-iter", 40, "--snapshot", 20)
        self.assertEqual(summary["world_size"], 2)
        m = metrics(run)
        self.assertEqual([r["iter"] for r in m], list(range(1, 41)))
        lsro = np.array([r["lsro"] for r in m])
        dsa = np.array([r["dsa"] for r in m])
        self.assertLess(lsro[-5:].mean(), 0.7 * lsro[:5].mean(), lsro.round(2).tolist())
        # DSA starts near 0 (fc5 starts near 0) and rises as the features grow; it must then fall.
        self.assertLess(dsa[-5:].mean(), 0.8 * dsa.max(), dsa.round(2).tolist())
        # (train.py checks at every checkpoint that both ranks hold rank 0's agents.)

        # Resumed from iteration 20 by a second torchrun: the same losses as without the stop.
        # The second half syncs the agents by all-reduce instead of all-gather: the same updates.
        resumed = self.path("resumed")
        torchrun(*common, "--out", resumed, "--max-iter", 20, "--snapshot", 20)
        torchrun("--out", resumed, "--resume", "--max-iter", 40, "--workers", 0, "--quiet", "--agent-sync", "allreduce")
        again = metrics(resumed)
        self.assertEqual([r["iter"] for r in again], list(range(1, 41)))
        np.testing.assert_allclose([r["lsro"] for r in again], lsro, rtol=1e-5)
        np.testing.assert_allclose([r["dsa"] for r in again], dsa, rtol=1e-5)

        # The final checkpoint as a seqcurate model folder: the same features in both.
        final = os.path.join(run, "checkpoints", "iter_00000040.pt")
        convert.main(["to-model", final, "--out", self.path("model")])
        listfile = os.path.join(faces, "heldout.txt")
        seqcurate("features", "--model", self.path("model"), "--list", listfile, "--out", self.path("s.npy"), "--quiet")
        cfg, net = checkpoint.model_from(checkpoint.load(final))
        mine = features.extract(net, cfg, [p for p, _ in read_list(listfile)])
        self.assertLess(rel_err(mine, np.load(self.path("s.npy")), "features: torchrun checkpoint -> model folder"), 1e-4)
        if os.environ.get("SEQFACE_TORCH_REPORT"):
            print(f"\nlsro {lsro.round(2).tolist()}\ndsa {dsa.round(2).tolist()}", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
