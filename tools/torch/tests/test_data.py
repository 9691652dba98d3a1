"""Datasets over a real `seqcurate export` (lists and webdataset shards of one catalog) and the
batch sampler's split between ranks."""
import json
import os
import unittest

import numpy as np
import torch

from tests.helpers import TempDirTest, seqcurate, make_faces
from seqface_torch.data import ListDataset, ShardDataset, MixedBatchSampler, Preprocess, read_list


class DataTests(TempDirTest):
    def test_lists_and_shards_of_one_export_give_the_same_samples(self):
        faces = make_faces(self.path("faces"), identities=4, sequences=0, per_class=3, size=36)
        catalog = self.path("c.db")
        seqcurate("import-identities", os.path.join(faces, "id"), "--aligned", "--size", 36, "--catalog", catalog, "--quiet")
        seqcurate("export", "--catalog", catalog, "--out", self.path("lists"))
        seqcurate("export", "--catalog", catalog, "--out", self.path("shards"), "--format", "webdataset", "--shard-size", 5)
        pre = Preprocess(36, 32)
        lists = ListDataset(self.path("lists", "image_train_part1.txt"), pre)
        shards = ShardDataset(self.path("shards"), pre)
        self.assertEqual(len(lists), 12)
        self.assertEqual(len(shards), 12)
        self.assertEqual(len(shards.shards), 3)
        self.assertEqual(sorted(set(shards.labels)), [0, 1, 2, 3])
        by_path = {os.path.realpath(p): i for i, p in enumerate(lists.paths)}
        root = os.path.dirname(catalog)
        for i, meta in enumerate(shards.meta):
            j = by_path[os.path.realpath(os.path.join(root, meta["path"]))]
            x, y = shards[i]
            x2, y2 = lists[j]
            self.assertEqual(int(y), int(y2))
            self.assertTrue(torch.equal(x, x2), meta["path"])
            # Training samples (random crop and flip from a seed) agree too.
            self.assertTrue(torch.equal(shards[(i, (1, 2, 3))][0], lists[(j, (1, 2, 3))][0]))
        # train.py reads the shards (one process; F from the export's manifest).
        import train
        train.run(["--shards", self.path("shards"), "--out", self.path("run"), "--network", "tiny", "--margin", "cosface",
                   "--identity-batch", "4", "--max-iter", "3", "--workers", "0", "--quiet"])
        with open(self.path("run", "metrics.jsonl")) as f:
            self.assertEqual([json.loads(line)["iter"] for line in f], [1, 2, 3])
        with open(self.path("run", "run.json")) as f:
            self.assertEqual(json.load(f)["faceid_num"], 4)

    def test_preprocessing(self):
        from PIL import Image
        img = np.arange(40 * 40 * 3, dtype=np.uint32).reshape(40, 40, 3) % 251
        Image.fromarray(img.astype(np.uint8)).save(self.path("a.png"))
        with open(self.path("a.png"), "rb") as f:
            data = f.read()
        pre = Preprocess(40, 32, 3, "rgb")
        x = pre(data)
        self.assertEqual(tuple(x.shape), (3, 32, 32))
        # Central crop at 4, (v - 127.5) / 128, RGB planes.
        self.assertAlmostEqual(float(x[0, 0, 0]), (img[4, 4, 0] - 127.5) / 128, places=6)
        self.assertAlmostEqual(float(Preprocess(40, 32, 3, "bgr")(data)[0, 0, 0]), (img[4, 4, 2] - 127.5) / 128, places=6)
        self.assertAlmostEqual(float(pre(data, (0, 8), True)[1, 0, 0]), (img[8, 31, 1] - 127.5) / 128, places=6)
        self.assertEqual(tuple(Preprocess(36, 32, 1)(data).shape), (1, 32, 32))

    def test_lists_follow_the_export_rules(self):
        faces = make_faces(self.path("faces"), identities=2, sequences=2, per_class=2)
        with open(self.path("faces", "mixed.txt"), "w") as f:
            f.write("# comment\n\nid/0/0.png 0\r\nseq/1/1.png -2\n")
        items = read_list(self.path("faces", "mixed.txt"))
        self.assertEqual([y for _, y in items], [0, -2])
        self.assertTrue(all(os.path.exists(p) for p, _ in items))
        with open(self.path("faces", "bad.txt"), "w") as f:
            f.write("id/0/0.png zero\n")
        with self.assertRaisesRegex(ValueError, "bad.txt:1: label 'zero'"):
            read_list(self.path("faces", "bad.txt"))
        ds = ListDataset([self.path("faces", "identity.txt"), self.path("faces", "sequence.txt")], Preprocess(36, 32))
        self.assertEqual(len(ds.identity_indices()), len(read_list(self.path("faces", "identity.txt"))))
        self.assertEqual(len(ds.sequence_indices()), len(read_list(self.path("faces", "sequence.txt"))))
        self.assertTrue(all(y < 0 for y in np.asarray(ds.labels)[ds.sequence_indices()]))

    def test_ranks_split_the_single_process_stream(self):
        identity, sequence = list(range(10)), list(range(10, 17))
        one = MixedBatchSampler(identity, sequence, 4, 2, seed=5)
        two = [MixedBatchSampler(identity, sequence, 2, 1, seed=5, rank=r, world=2) for r in range(2)]
        for it in range(12):
            whole = [i for i, _ in one.batch(it)]
            parts = [[i for i, _ in s.batch(it)] for s in two]
            # Identity blocks then sequence blocks: rank 0 takes the first half of each.
            self.assertEqual(parts[0][:2] + parts[1][:2], whole[:4])
            self.assertEqual(parts[0][2:] + parts[1][2:], whole[4:])
        # Each epoch walks the whole pool.
        seen = [i for it in range(5) for i, _ in one.batch(it)[:4]]
        self.assertEqual(sorted(seen[:10]), identity)


if __name__ == "__main__":
    unittest.main()
