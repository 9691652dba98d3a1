#!/usr/bin/env python3
"""PyTorch peer of `seqcurate train --benchmark`: the same face_res20net (3x3 convs + PReLU,
64/128/256/512 channels, 1-2-4-1 residual units, fc5 512), a normalised-cosine head with a
CosFace margin, cross-entropy, SGD with momentum 0.9 and weight decay 5e-4. Synthetic input,
CPU, a fixed number of threads. Prints one JSON line like the Swift benchmark.

  tools/bench_train.py [--threads 2] [--batch 16] [--iterations 3] [--input 128] [--classes 1000]
"""
import argparse, json, resource, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1, self.a1 = nn.Conv2d(c, c, 3, 1, 1), nn.PReLU(c, 0.25)
        self.c2, self.a2 = nn.Conv2d(c, c, 3, 1, 1), nn.PReLU(c, 0.25)

    def forward(self, x):
        return x + self.a2(self.c2(self.a1(self.c1(x))))


class FaceRes20(nn.Module):
    def __init__(self, channels=(64, 128, 256, 512), units=(1, 2, 4, 1), size=128, feature=512):
        super().__init__()
        layers, cin = [], 3
        for c, u in zip(channels, units):
            layers += [nn.Conv2d(cin, c, 3, 2, 1), nn.PReLU(c, 0.25)] + [Residual(c) for _ in range(u)]
            cin = c
            size = (size - 1) // 2 + 1
        self.body = nn.Sequential(*layers)
        self.fc5 = nn.Linear(cin * size * size, feature)

    def forward(self, x):
        return self.fc5(torch.flatten(self.body(x), 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--input", type=int, default=128)
    ap.add_argument("--classes", type=int, default=1000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    net = FaceRes20(size=a.input)
    weight = nn.Parameter(torch.randn(a.classes, 512) * 0.01)
    opt = torch.optim.SGD(list(net.parameters()) + [weight], lr=1e-4, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(a.batch, 3, a.input, a.input) * 0.5
    y = torch.randint(0, a.classes, (a.batch,))
    s, m = 32.0, 0.35

    def step():
        opt.zero_grad(set_to_none=False)
        cos = F.linear(F.normalize(net(x)), F.normalize(weight))
        logits = s * (cos - m * F.one_hot(y, a.classes))
        F.cross_entropy(logits, y).backward()
        opt.step()

    step()
    t = time.perf_counter()
    for _ in range(a.iterations):
        step()
    train = a.batch * a.iterations / (time.perf_counter() - t)
    with torch.no_grad():
        net(x)
        t = time.perf_counter()
        for _ in range(a.iterations):
            net(x)
        feats = a.batch * a.iterations / (time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"train_images_per_s": train, "features_images_per_s": feats, "peak_memory_mib": peak,
                      "batch": a.batch, "iterations": a.iterations, "input_size": a.input, "classes": a.classes,
                      "torch": torch.__version__, "threads": a.threads}))


if __name__ == "__main__":
    main()
