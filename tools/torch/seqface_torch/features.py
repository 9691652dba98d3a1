"""`fc5` features of images with a torch FaceResNet, preprocessed as `seqcurate features`
does for a trained run (central crop of the image brought to image_size)."""
import numpy as np
import torch

from . import config as cfgmod
from .data import Preprocess


def preprocess_for(cfg):
    n = cfg["network"]
    return Preprocess(cfgmod.image_size(cfg), n["input_size"], n["input_channels"], n["channel_order"])


@torch.no_grad()
def extract(net, cfg, paths, batch_size=16, flip=False, device="cpu"):
    """Features `[len(paths), feature_dim]` (float32 numpy); with `flip` the mirrored crop's
    feature is added, as `seqcurate features --flip`."""
    pre = preprocess_for(cfg)
    net = net.to(device).eval()
    rows = []
    for start in range(0, len(paths), batch_size):
        chunk = []
        for p in paths[start:start + batch_size]:
            with open(p, "rb") as f:
                chunk.append(f.read())
        x = torch.stack([pre(d) for d in chunk]).to(device)
        y = net(x)
        if flip:
            y = y + net(torch.flip(x, dims=[3]))
        rows.append(y.float().cpu())
    return torch.cat(rows).numpy().astype(np.float32)
