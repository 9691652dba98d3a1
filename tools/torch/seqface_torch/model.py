"""`face_res20net` as a torch module with the layer structure and the parameter names of
SeqTrain's `FaceResNet` (Sources/SeqTrain/FaceResNet.swift): `conv{s}_1` (3x3, stride 2) and
`relu{s}_1` open stage `s`; residual unit `u` is `conv{s}_{2+2u}` / `relu{s}_{2+2u}` /
`conv{s}_{3+2u}` / `relu{s}_{3+2u}` added to its input; then `fc5`. Every state_dict key is
the name of the seqcurate checkpoint tensor (`conv1_1.weight`, `relu1_1.slope`, `fc5.bias`, ...),
so a checkpoint maps 1:1 in both directions."""
import math

import torch
from torch import nn
import torch.nn.functional as F

from . import config as cfgmod


class PReLU(nn.Module):
    """Per-channel PReLU whose parameter is named `slope`, as in SeqNN's PReLU."""

    def __init__(self, channels, init=0.25):
        super().__init__()
        self.slope = nn.Parameter(torch.full((channels,), float(init)))

    def forward(self, x):
        return F.prelu(x, self.slope)


class FaceResNet(nn.Module):
    def __init__(self, network=None, seed=None):
        super().__init__()
        network = dict(cfgmod.DEFAULTS["network"], **(network or {}))
        self.network = network
        chans = cfgmod.effective_channels(network)
        self.stages = []   # per stage: (opening conv name, [(conv a, relu a, conv b, relu b), ...])
        in_c = network["input_channels"]
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        for s, out_c in enumerate(chans, start=1):
            conv = nn.Conv2d(in_c, out_c, 3, stride=2, padding=1)
            self._xavier(conv.weight, in_c * 9, g)
            nn.init.zeros_(conv.bias)
            self.add_module(f"conv{s}_1", conv)
            self.add_module(f"relu{s}_1", PReLU(out_c))
            units = []
            for u in range(network["units"][s - 1]):
                names = (f"conv{s}_{2 + 2 * u}", f"relu{s}_{2 + 2 * u}", f"conv{s}_{3 + 2 * u}", f"relu{s}_{3 + 2 * u}")
                for i, name in enumerate(names):
                    if i % 2 == 0:
                        c = nn.Conv2d(out_c, out_c, 3, stride=1, padding=1)
                        with torch.no_grad():
                            c.weight.normal_(0, 0.01, generator=g)
                            c.bias.zero_()
                        # Frozen at zero in the published model (lr_mult 0, decay_mult 0).
                        c.bias.requires_grad_(False)
                        self.add_module(name, c)
                    else:
                        self.add_module(name, PReLU(out_c))
                units.append(names)
            self.stages.append((f"conv{s}_1", f"relu{s}_1", units))
            in_c = out_c
        side = cfgmod.final_map_size(network)
        self.fc5 = nn.Linear(in_c * side * side, network["feature_dim"])
        self._xavier(self.fc5.weight, in_c * side * side, g)
        nn.init.zeros_(self.fc5.bias)

    @staticmethod
    def _xavier(w, fan_in, g):
        """Caffe's xavier filler: uniform in ±sqrt(3 / fan_in)."""
        bound = math.sqrt(3.0 / max(fan_in, 1))
        with torch.no_grad():
            w.uniform_(-bound, bound, generator=g)

    def forward(self, x):
        for conv, relu, units in self.stages:
            x = getattr(self, relu)(getattr(self, conv)(x))
            for ca, ra, cb, rb in units:
                x = x + getattr(self, rb)(getattr(self, cb)(getattr(self, ra)(getattr(self, ca)(x))))
        return self.fc5(torch.flatten(x, 1))

    def multipliers(self):
        """(lr_mult, decay_mult) of every parameter by name, as FaceResNet.swift and the published
        train_val.prototxt: weights and slopes 1/1, opening conv and fc5 biases 2/0, residual biases 0/0."""
        out = {}
        for name, _ in self.named_parameters():
            if name.endswith(".bias"):
                layer = name.split(".")[0]
                opening = layer == "fc5" or layer.endswith("_1")
                out[name] = (2.0, 0.0) if opening else (0.0, 0.0)
            else:
                out[name] = (1.0, 1.0)
        return out
