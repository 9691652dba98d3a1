"""Checkpoints both ways, with features compared against `seqcurate features` (1e-4, largest
difference relative to the largest feature value)."""
import json
import os
import unittest

import numpy as np
import torch

from tests.helpers import TempDirTest, seqcurate, rel_err, make_faces
from seqface_torch import checkpoint, config as cfgmod, features
from seqface_torch.data import read_list
from seqface_torch.model import FaceResNet

import convert

TOL = 1e-4


def tiny_config(**network):
    cfg = cfgmod.default_config()
    cfg["network"].update(cfgmod.TINY)
    cfg["network"].update(network)
    return cfg


class ConvertTests(TempDirTest):
    def features_cli(self, model, listfile, out, *extra):
        seqcurate("features", "--model", model, "--list", listfile, "--out", out, "--quiet", *extra)
        return np.load(out)

    def test_torch_checkpoint_to_model_folder_gives_the_same_features(self):
        faces = make_faces(self.path("faces"), identities=3, sequences=0, per_class=2, size=36)
        for name, network in [("rgb", {}), ("bgr-narrow", {"channel_order": "bgr", "channels": [4, 8, 8, 12], "units": [1, 0, 2, 1]}),
                              ("gray", {"input_channels": 1})]:
            cfg = tiny_config(**network)
            net = FaceResNet(cfg["network"], seed=7)
            with torch.no_grad():   # slopes and biases away from their initial values, so each is checked
                for k, v in net.state_dict().items():
                    if k.endswith(".slope") or k.endswith(".bias"):
                        v.uniform_(-0.3, 0.3)
            ckpt = self.path(f"{name}.pt")
            checkpoint.save(ckpt, cfg, net, iteration=5)
            model = self.path(f"model-{name}")
            convert.main(["to-model", ckpt, "--out", model])
            with open(os.path.join(model, "model.json")) as f:
                manifest = json.load(f)
            self.assertEqual(manifest["preprocess"]["channel_order"], cfg["network"]["channel_order"])
            listfile = os.path.join(faces, "heldout.txt")
            # Colour images for gray networks too: seqcurate features and the trainer both take
            # the luma (77 R + 150 G + 29 B + 128) >> 8 of the RGB decode.
            paths = [p for p, _ in read_list(listfile)]
            for flip in (False, True):
                theirs = self.features_cli(model, listfile, self.path(f"{name}.npy"), *(["--flip"] if flip else []))
                mine = features.extract(net, cfg, paths, flip=flip)
                self.assertLess(rel_err(mine, theirs, "features: torch checkpoint -> model folder"), TOL, f"{name} flip={flip}")
        # The model folder is accepted by eval --model too.
        pairs = self.path("pairs.txt")
        with open(pairs, "w") as f:
            for k in range(10):
                f.write(f"heldout/{k}/0.png heldout/{k}/1.png 1\nheldout/{k}/0.png heldout/{(k + 1) % 10}/1.png 0\n")
        result = json.loads(seqcurate("eval", "lfw", "--pairs", pairs, "--root", faces, "--model", self.path("model-rgb"), "--json"))
        self.assertEqual(result["pairs"], 20)

    def test_seqcurate_run_to_torch_gives_the_same_features_and_round_trips(self):
        # 40 px images: both sides resize them to the run's image_size (36) before the crop.
        faces = make_faces(self.path("faces"), identities=4, sequences=3, per_class=3, size=40)
        run = self.path("run")
        seqcurate("train", "--identity-list", os.path.join(faces, "identity.txt"), "--sequence-list",
                  os.path.join(faces, "sequence.txt"), "--network", "tiny", "--identity-batch", 4, "--sequence-batch", 4,
                  "--max-iter", 2, "--out", run, "--quiet")
        ckpt = self.path("run.pt")
        convert.main(["from-run", run, "--out", ckpt])
        state = checkpoint.load(ckpt)
        self.assertEqual(state["iteration"], 2)
        self.assertEqual((state["faceid_num"], state["seqid_num"]), (4, 3))
        self.assertEqual(tuple(state["head"]["fc6.weight"].shape), (4, 64))
        self.assertEqual(tuple(state["dsa"]["dsa.agents"].shape), (7, 64))
        cfg, net = checkpoint.model_from(state)
        listfile = os.path.join(faces, "heldout.txt")
        theirs = self.features_cli(run, listfile, self.path("run.npy"))
        mine = features.extract(net, cfg, [p for p, _ in read_list(listfile)])
        self.assertLess(rel_err(mine, theirs, "features: seqcurate run -> torch (resized 40 -> 36)"), TOL)
        # The CLI script writes the same rows and keys as seqcurate features.
        import features as features_cli
        features_cli.main([ckpt, "--list", listfile, "--out", self.path("torch.npy")])
        self.assertLess(rel_err(np.load(self.path("torch.npy")), theirs), TOL)
        with open(self.path("torch.keys.txt")) as a, open(self.path("run.keys.txt")) as b:
            self.assertEqual(a.read(), b.read())
        # Back again: the torch checkpoint as a model folder gives the run's features (on images
        # already at image_size, where the model folder's float resize and the run's agree).
        faces36 = make_faces(self.path("faces36"), identities=2, sequences=0, per_class=2, size=36, seed=3)
        list36 = os.path.join(faces36, "heldout.txt")
        convert.main(["to-model", ckpt, "--out", self.path("model")])
        self.assertLess(rel_err(self.features_cli(self.path("model"), list36, self.path("m.npy")),
                                self.features_cli(run, list36, self.path("r.npy")), "features: run -> torch -> model folder"), TOL)

    def test_bad_inputs_are_one_line_errors(self):
        with open(self.path("junk.pt"), "wb") as f:
            f.write(b"not a checkpoint")
        for argv in (["to-model", self.path("junk.pt"), "--out", self.path("m")],
                     ["from-run", self.path("nowhere"), "--out", self.path("x.pt")]):
            with self.assertRaises(SystemExit) as caught:
                convert.main(argv)
            self.assertIn("convert.py: error:", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
