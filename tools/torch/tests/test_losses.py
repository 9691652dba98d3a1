"""The torch loss modules against `seqcurate loss lsro|dsa|margin` on random inputs: loss and
every gradient the CLI writes, within 1e-5 (largest difference relative to the largest value)."""
import unittest

import numpy as np
import torch

from tests.helpers import TempDirTest, seqcurate, last_json, rel_err
from seqface_torch.losses import LSROLoss, DSALoss, MarginHead, sphere_lambda

TOL = 1e-5


class LossTests(TempDirTest):
    def save(self, name, array):
        path = self.path(name)
        np.save(path, array)
        return path

    def test_lsro_matches_cli(self):
        rng = np.random.default_rng(1)
        for trial, ignore in enumerate([None, 2, None]):
            B, C = 7 + trial, 5 + 2 * trial
            logits = (rng.normal(size=(B, C)) * 3).astype(np.float32)
            labels = rng.integers(-3, C, size=B).astype(np.int32)
            args = ["loss", "lsro", "--logits", self.save("z.npy", logits), "--labels", self.save("y.npy", labels),
                    "--out-dir", self.path("out")]
            if ignore is not None:
                args += ["--ignore-label", ignore]
            loss = last_json(seqcurate(*args))["loss"]
            z = torch.tensor(logits, requires_grad=True)
            mine = LSROLoss(ignore_label=ignore)(z, torch.tensor(labels))
            mine.backward()
            self.assertLess(abs(mine.item() - loss) / max(abs(loss), 1e-12), TOL)
            rel_err(np.float32(mine.item()), np.float32(loss), "lsro loss")
            self.assertLess(rel_err(z.grad.numpy(), np.load(self.path("out", "dlogits.npy")), "lsro dlogits"), TOL)

    def test_dsa_matches_cli(self):
        rng = np.random.default_rng(2)
        cases = [dict(F=6, S=4, D=8, B=10, ratio=0.5, norm=False, lam=0.5),
                 dict(F=5, S=5, D=6, B=12, ratio=0.2, norm=True, lam=0.3),
                 dict(F=8, S=0, D=4, B=6, ratio=0.0, norm=False, lam=0.7)]
        for c in cases:
            F, S, D, B = c["F"], c["S"], c["D"], c["B"]
            x = rng.normal(size=(B, D)).astype(np.float32)
            labels = rng.integers(-S if S else 0, F, size=B).astype(np.int32)
            centers = (rng.normal(size=(F + S, D)) * 0.8).astype(np.float32)
            order = rng.permutation(F + S).astype(np.int32)
            settings = {"lambda": c["lam"], "dropout_ratio": c["ratio"], "alpha": 2.0, "beta": 1.0,
                        "use_normalize": c["norm"], "scale": 1.5}
            args = ["loss", "dsa", "--features", self.save("x.npy", x), "--labels", self.save("y.npy", labels),
                    "--centers", self.save("c.npy", centers), "--agent-order", self.save("p.npy", order),
                    "--faceid-num", F, "--seqid-num", S, "--lambda", c["lam"], "--dropout-ratio", c["ratio"],
                    "--alpha", 2, "--beta", 1, "--scale", 1.5, "--out-dir", self.path("out")]
            if c["norm"]:
                args.append("--use-normalize")
            loss = last_json(seqcurate(*args))["loss"]
            dsa = DSALoss(F, S, D, settings)
            dsa.agents.copy_(torch.tensor(centers))
            xt = torch.tensor(x, requires_grad=True)
            y = torch.tensor(labels)
            mine = dsa(xt, y, torch.tensor(order))
            mine.backward()
            update = dsa.agent_update(xt.detach(), y)
            self.assertLess(abs(mine.item() - loss) / max(abs(loss), 1e-12), TOL, c)
            rel_err(np.float32(mine.item()), np.float32(loss), "dsa loss")
            self.assertLess(rel_err(xt.grad.numpy(), np.load(self.path("out", "dfeatures.npy")), "dsa dfeatures"), TOL, c)
            self.assertLess(rel_err(update.numpy(), np.load(self.path("out", "dcenters.npy")), "dsa dcenters"), TOL, c)
            self.assertLess(rel_err(dsa.agents.numpy(), np.load(self.path("out", "centers.npy")), "dsa centers"), TOL, c)

    def test_dsa_statistics_sum_across_shards_to_the_whole_batch_update(self):
        # What train.py all-reduces: the per-agent sums and counts of two halves of a batch give
        # the update of the whole batch, so every rank applies the single-process update.
        rng = np.random.default_rng(3)
        dsa = DSALoss(5, 3, 4, {"dropout_ratio": 0.5})
        x = torch.tensor(rng.normal(size=(12, 4)).astype(np.float32))
        y = torch.tensor(rng.integers(-3, 5, size=12))
        whole = dsa.agent_update(x, y)
        s1, n1 = dsa.agent_statistics(x[:6], y[:6])
        s2, n2 = dsa.agent_statistics(x[6:], y[6:])
        self.assertLess(rel_err(DSALoss.agent_update_from(s1 + s2, n1 + n2).numpy(), whole.numpy()), 1e-6)

    def test_margin_heads_match_cli(self):
        rng = np.random.default_rng(4)
        cases = [("sphereface", None, 1), ("sphereface", None, 500), ("sphereface", "exact", 7),
                 ("cosface", None, 1), ("arcface", None, 1), ("none", None, 1)]
        for kind, backward, iteration in cases:
            B, C, D = 9, 7, 6
            x = (rng.normal(size=(B, D)) * 2).astype(np.float32)
            w = rng.normal(size=(C, D)).astype(np.float32)
            labels = rng.integers(-2, C, size=B).astype(np.int32)
            top = rng.normal(size=(B, C)).astype(np.float32)
            args = ["loss", "margin", "--type", kind, "--features", self.save("x.npy", x), "--weight", self.save("w.npy", w),
                    "--labels", self.save("y.npy", labels), "--top-diff", self.save("g.npy", top),
                    "--iteration", iteration, "--out-dir", self.path("out")]
            if backward:
                args += ["--backward", backward]
            lam = last_json(seqcurate(*args))["lambda"]
            spec = {"kind": kind}
            if backward:
                spec["backward"] = backward
            head = MarginHead(D, C, spec)
            with torch.no_grad():
                head.weight.copy_(torch.tensor(w))
            xt = torch.tensor(x, requires_grad=True)
            logits = head(xt, torch.tensor(labels), iteration)
            logits.backward(torch.tensor(top))
            what = f"{kind} {backward or 'default'} iteration {iteration}"
            if kind == "sphereface":
                self.assertAlmostEqual(sphere_lambda(head.head, iteration), lam, places=5, msg=what)
            self.assertLess(rel_err(logits.detach().numpy(), np.load(self.path("out", "logits.npy")), f"{kind} logits"), TOL, what)
            self.assertLess(rel_err(xt.grad.numpy(), np.load(self.path("out", "dfeatures.npy")), f"{kind} dfeatures"), TOL, what)
            self.assertLess(rel_err(head.weight.grad.numpy(), np.load(self.path("out", "dweight.npy")), f"{kind} dweight"), TOL, what)
            self.assertLess(rel_err(head.weight.detach().numpy(), np.load(self.path("out", "weight.npy")), f"{kind} weight"), TOL, what)


if __name__ == "__main__":
    unittest.main()
