"""Datasets over what `seqcurate export` writes, with the preprocessing of SeqTrain's
`FacePreprocessor` (FacePreprocessor.swift, BatchLoader.swift):

1. decode to 8-bit RGB (gray when `input_channels` is 1: `(77 R + 150 G + 29 B + 128) >> 8`;
   a gray image feeds all three planes of an RGB network);
2. bring to `image_size` (default `input_size * 9/8`) by bilinear resizing on pixel centres,
   rounded back to 8 bits, when the image has another size;
3. crop `input_size`: at a random offset in `0…image_size-input_size` in training, central
   (`(image_size - input_size) // 2`) otherwise; mirror with probability 1/2 in training;
4. `(v - 127.5) / 128`, planes in the network's `channel_order` (`rgb` or `bgr`), CHW.

Labels as in the lists: identities `0…F-1`, sequences `-1…-S`.
"""
import io
import json
import os
import tarfile

import numpy as np
import torch
from PIL import Image


class Preprocess:
    def __init__(self, image_size, crop_size, channels=3, channel_order="rgb"):
        if image_size < crop_size:
            raise ValueError(f"image_size {image_size} is smaller than the crop {crop_size}")
        self.image_size, self.crop_size = image_size, crop_size
        self.channels, self.channel_order = channels, channel_order

    def pixels(self, data):
        """Decoded image bytes as `[H, W, C]` uint8 with the network's channel count."""
        img = Image.open(io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data)
        arr = np.asarray(img.convert("RGB"), dtype=np.uint8)
        if self.channels == 1:
            a = arr.astype(np.int32)
            arr = ((a[..., 0] * 77 + a[..., 1] * 150 + a[..., 2] * 29 + 128) >> 8).astype(np.uint8)[..., None]
        return arr

    def fitted(self, arr):
        side = self.image_size
        if arr.shape[0] == side and arr.shape[1] == side:
            return arr
        return resize_bilinear(arr, side, side)

    def __call__(self, data, offset=None, mirror=False):
        """`[C, crop, crop]` float32 tensor; `offset` (x, y) of the crop, None for the centre."""
        src = self.fitted(self.pixels(data))
        margin = self.image_size - self.crop_size
        ox, oy = offset if offset is not None else (margin // 2, margin // 2)
        crop = src[oy:oy + self.crop_size, ox:ox + self.crop_size]
        if mirror:
            crop = crop[:, ::-1]
        out = (crop.astype(np.float32) - 127.5) / 128
        if self.channel_order == "bgr" and self.channels == 3:
            out = out[..., ::-1]
        return torch.from_numpy(np.ascontiguousarray(out.transpose(2, 0, 1)))

    def random_params(self, rng, mirror):
        """Crop offset and flip for training."""
        margin = self.image_size - self.crop_size
        ox = int(rng.integers(0, margin + 1)) if margin > 0 else 0
        oy = int(rng.integers(0, margin + 1)) if margin > 0 else 0
        return (ox, oy), bool(mirror and rng.integers(0, 2) == 1)


def resize_bilinear(arr, height, width):
    """FacePreprocessor.resized: pixel-centre bilinear, clamped at the border, rounded to uint8."""
    h, w, _ = arr.shape
    sy, sx = np.float32(h) / np.float32(height), np.float32(w) / np.float32(width)
    fy = np.clip((np.arange(height, dtype=np.float32) + 0.5) * sy - 0.5, 0, h - 1)
    fx = np.clip((np.arange(width, dtype=np.float32) + 0.5) * sx - 0.5, 0, w - 1)
    # Weights in float32 as in Swift (fy - y0 with an integer y0 would promote to float64).
    y0 = fy.astype(np.int64); y1 = np.minimum(y0 + 1, h - 1); wy = (fy - y0.astype(np.float32))[:, None, None]
    x0 = fx.astype(np.int64); x1 = np.minimum(x0 + 1, w - 1); wx = (fx - x0.astype(np.float32))[None, :, None]
    a = arr.astype(np.float32)
    top = a[y0][:, x0] * (1 - wx) + a[y0][:, x1] * wx
    bot = a[y1][:, x0] * (1 - wx) + a[y1][:, x1] * wx
    v = top * (1 - wy) + bot * wy
    # Swift rounds half away from zero; v >= 0, so floor(v + 0.5).
    return np.clip(np.floor(v + 0.5), 0, 255).astype(np.uint8)


def _manifest_beside(path):
    m = os.path.join(os.path.dirname(os.path.abspath(path)), "manifest.json")
    if os.path.exists(m):
        with open(m) as f:
            return json.load(f)
    return None


def read_list(path, root=None, keys=False):
    """`(absolute path, label)` pairs of an exported list (with `keys`, `(path as written,
    absolute path, label)`). Relative paths start at `root`, else
    the `filters.root` of the export's manifest.json beside the list, else the list's folder
    (as TrainingList.swift). Blank lines and `#` comments are skipped; the label is after the
    last space."""
    manifest = _manifest_beside(path)
    if root is None:
        root = ((manifest or {}).get("filters") or {}).get("root") or os.path.dirname(os.path.abspath(path))
    items = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            cut = max(line.rfind(" "), line.rfind("\t"))
            if cut < 0:
                raise ValueError(f"{path}:{number}: no label after the path")
            rel, label = line[:cut].strip(), line[cut + 1:]
            try:
                label = int(label)
            except ValueError:
                raise ValueError(f"{path}:{number}: label {label!r} is not an integer") from None
            full = rel if os.path.isabs(rel) else os.path.join(root, rel)
            items.append((rel, full, label) if keys else (full, label))
    if not items:
        raise ValueError(f"{path}: list is empty")
    return items


class FaceDataset(torch.utils.data.Dataset):
    """Samples `(image bytes source, label)`; `__getitem__` takes an index or `(index, seed)`:
    with a seed the crop offset and mirroring are drawn from it (training), without it the
    crop is central (features)."""

    def __init__(self, preprocess, mirror=True):
        self.preprocess = preprocess
        self.mirror = mirror
        self.labels = []

    def read_bytes(self, i):
        raise NotImplementedError

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, item):
        i, seed = item if isinstance(item, tuple) else (item, None)
        data = self.read_bytes(i)
        if seed is None:
            x = self.preprocess(data)
        else:
            offset, flip = self.preprocess.random_params(np.random.default_rng(seed), self.mirror)
            x = self.preprocess(data, offset, flip)
        return x, torch.tensor(self.labels[i], dtype=torch.long)

    def identity_indices(self):
        return [i for i, y in enumerate(self.labels) if y >= 0]

    def sequence_indices(self):
        return [i for i, y in enumerate(self.labels) if y < 0]


class ListDataset(FaceDataset):
    """Over one or more exported lists (`image_train_part1.txt`, `image_train_part2_seq.txt`)."""

    def __init__(self, lists, preprocess, root=None, mirror=True):
        super().__init__(preprocess, mirror)
        self.paths = []
        for path in ([lists] if isinstance(lists, str) else lists):
            for p, y in read_list(path, root):
                self.paths.append(p)
                self.labels.append(y)
        missing = [p for p in self.paths if not os.path.exists(p)]
        if missing:
            raise FileNotFoundError(f"{len(missing)} listed images do not exist, e.g. {missing[0]}")

    def read_bytes(self, i):
        with open(self.paths[i], "rb") as f:
            return f.read()


class ShardDataset(FaceDataset):
    """Over `export --format webdataset` shards (plain tarfile): each sample is `KEY.<image>` +
    `KEY.json` with `label`. The shards are indexed once (member offsets), then images are read
    by offset, so the dataset is random access and shuffles like the lists do. `shards` is the
    export folder (its manifest's `shard` files) or a list of tar files."""

    def __init__(self, shards, preprocess, mirror=True, role="shard"):
        super().__init__(preprocess, mirror)
        if isinstance(shards, str) and os.path.isdir(shards):
            with open(os.path.join(shards, "manifest.json")) as f:
                manifest = json.load(f)
            shards = [os.path.join(shards, e["name"]) for e in manifest["files"] if e.get("role") == role]
        self.shards = list(shards)
        self.members = []   # (shard index, data offset, size)
        self.meta = []
        for s, path in enumerate(self.shards):
            with tarfile.open(path) as tar:
                pending = {}
                for m in tar.getmembers():
                    key, _, ext = m.name.partition(".")
                    pending.setdefault(key, {})[ext] = m
                for key in sorted(pending):
                    parts = pending[key]
                    if "json" not in parts or len(parts) != 2:
                        raise ValueError(f"{path}: sample {key} is not an image + json pair")
                    image = next(v for k, v in parts.items() if k != "json")
                    meta = json.loads(tar.extractfile(parts["json"]).read())
                    self.members.append((s, image.offset_data, image.size))
                    self.meta.append(meta)
                    self.labels.append(int(meta["label"]))
        self._files = {}

    def read_bytes(self, i):
        s, offset, size = self.members[i]
        f = self._files.get(s)
        if f is None:
            f = self._files[s] = open(self.shards[s], "rb")
        f.seek(offset)
        return f.read(size)

    def __getstate__(self):
        # Open files do not travel to DataLoader workers; each worker opens its own.
        state = dict(self.__dict__)
        state["_files"] = {}
        return state


class MixedBatchSampler(torch.utils.data.Sampler):
    """Per iteration `identity_batch` identity samples then `sequence_batch` sequence samples
    for this rank, as BatchLoader.swift mixes them: each pool is walked in epochs, each epoch a
    permutation drawn from `(seed, pool, epoch)`. The global stream is split between ranks (rank
    r takes the r-th block of each iteration), so the ranks together see what one process with a
    `world`-times larger batch would. Yields `(index, augmentation seed)` pairs."""

    def __init__(self, identity, sequence, identity_batch, sequence_batch, seed=1, rank=0, world=1, start=0, iterations=None):
        self.pools = [(list(identity), identity_batch, 0x1D)]
        if sequence_batch > 0 and sequence:
            self.pools.append((list(sequence), sequence_batch, 0x5E9))
        self.seed, self.rank, self.world = seed, rank, world
        self.start, self.iterations = start, iterations
        self._orders = {}

    def _order(self, tag, n, epoch):
        key = (tag, epoch)
        if key not in self._orders:
            if len(self._orders) > 8:
                self._orders.clear()
            self._orders[key] = np.random.default_rng([self.seed, tag, epoch]).permutation(n)
        return self._orders[key]

    def batch(self, it):
        out = []
        for pool, size, tag in self.pools:
            n = len(pool)
            for k in range(size):
                position = (it * self.world + self.rank) * size + k
                order = self._order(tag, n, position // n)
                out.append((pool[order[position % n]], (self.seed, it, self.rank, len(out))))
        return out

    def __iter__(self):
        it = self.start
        while self.iterations is None or it < self.start + self.iterations:
            yield self.batch(it)
            it += 1

    def __len__(self):
        return self.iterations if self.iterations is not None else 2 ** 62
