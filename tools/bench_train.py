#!/usr/bin/env python3
"""PyTorch peer of `seqcurate train --benchmark`: the published SeqFace training step on CPU.

Same configuration as the Swift side: face_res20net (3x3 convs + PReLU, 64/128/256/512
channels, 1-2-4-1 residual units, fc5 512), NormL2 -> Scale(32) -> SphereFace A-Softmax head
(m = 4, lambda 5, class-weight rows normalised in place every forward, Caffe's
MarginInnerProduct backward rule as a custom autograd function), LSRO over identity and
sequence samples, the DSA loss on fc5 (lambda 0.5, dropout 0.99, alpha 2, beta 1, weight 0.04,
center-style agent update), SGD with momentum 0.9 and weight decay 5e-4 and the per-parameter
multipliers of train_val.prototxt (opening-conv and fc5 biases lr x2 no decay, residual-unit
biases frozen, PReLU slopes and weights lr x1 decay x1, agents lr x1 no decay). Synthetic input,
a fixed number of threads. Prints one JSON line like the Swift benchmark.

  tools/bench_train.py [--threads 2] [--identity-batch 8] [--sequence-batch 8] [--iterations 3]
                       [--input 128] [--classes 1000] [--sequences 1000]
"""
import argparse, json, math, resource, time
import torch
import torch.nn as nn
import torch.nn.functional as F

SCALE, M, LAMBDA = 32.0, 4, 5.0
DSA_LAMBDA, DSA_DROPOUT, DSA_ALPHA, DSA_BETA, DSA_WEIGHT = 0.5, 0.99, 2.0, 1.0, 0.04


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c1, self.a1 = nn.Conv2d(c, c, 3, 1, 1), nn.PReLU(c, 0.25)
        self.c2, self.a2 = nn.Conv2d(c, c, 3, 1, 1), nn.PReLU(c, 0.25)
        for conv in (self.c1, self.c2):     # lr_mult 0: frozen zero biases
            nn.init.zeros_(conv.bias)
            conv.bias.requires_grad_(False)

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


class CaffeMarginInnerProduct(torch.autograd.Function):
    """QUADRUPLE MarginInnerProduct on the scaled feature xs: forward normalises the weight rows
    in place; backward is Caffe's (unit (coeff_w, coeff_x) at the label, weight gradient g^T xs)."""

    @staticmethod
    def forward(ctx, xs, weight, labels, lam):
        with torch.no_grad():
            weight.div_(weight.norm(dim=1, keepdim=True))
        xn = xs.norm(dim=1)
        xw = xs @ weight.t()
        ident = torch.nonzero(labels >= 0).flatten()
        y = labels[ident]
        c = xw[ident, y] / xn[ident]
        s3 = torch.sign(c) * torch.sign(2 * c * c - 1)
        s4 = 2 * torch.sign(c) + s3 - 3
        psi = s3 * (8 * c ** 4 - 8 * c ** 2 + 1) + s4
        out = xw.clone()
        out[ident, y] = (xn[ident] * psi + lam * xw[ident, y]) / (1 + lam)
        ctx.save_for_backward(xs, weight, ident, y, c, s3, s4, xn)
        ctx.lam = lam
        return out

    @staticmethod
    def backward(ctx, g):
        xs, weight, ident, y, c, s3, s4, xn = ctx.saved_tensors
        lam = ctx.lam
        dw = g.t() @ xs
        dx = g @ weight
        cw = s3 * (32 * c ** 3 - 16 * c)
        cx = -(s3 * (24 * c ** 4 - 8 * c ** 2 - 1) - s4) / xn[ident]
        norm = torch.sqrt(cw * cw + cx * cx)
        gy = g[ident, y] / (1 + lam)
        dx[ident] += (gy * (cw / norm - 1))[:, None] * weight[y] + (gy * cx / norm)[:, None] * xs[ident]
        return dx, dw, None, None


def lsro(logits, labels):
    logp = F.log_softmax(logits, dim=1)
    ident = labels >= 0
    per = torch.where(ident, -logp.gather(1, labels.clamp(min=0)[:, None])[:, 0], -logp.mean(dim=1))
    return per.mean()


def dsa(features, labels, agents, classes, generator):
    """DSA loss on fc5 (agents constant) and the center-style agent update."""
    n = agents.shape[0]
    k = int(math.floor(n * (1.0 - DSA_DROPOUT)))
    own = torch.where(labels >= 0, labels, classes - 1 - labels)
    d_own = ((features - agents[own]) ** 2).sum(1) / 4
    loss = DSA_LAMBDA * d_own
    if k > 0:
        sampled = torch.randperm(n, generator=generator)[:k]
        d = torch.cdist(features, agents[sampled]) ** 2 / 4
        keep = (sampled[None, :] != own[:, None]) & ((own[:, None] < classes) | (sampled[None, :] < classes))
        hinge = torch.relu(DSA_ALPHA * d_own[:, None] - d + DSA_BETA) * keep
        loss = loss + (1 - DSA_LAMBDA) / k * hinge.sum(1)
    with torch.no_grad():
        diff = torch.zeros_like(agents)
        count = torch.zeros(n)
        diff.index_add_(0, own, agents[own] - features.detach())
        count.index_add_(0, own, torch.ones(len(own)))
        diff /= 2 * (count[:, None] + 1)
    return DSA_WEIGHT * loss.mean(), diff


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--identity-batch", type=int, default=8)
    ap.add_argument("--sequence-batch", type=int, default=8)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--input", type=int, default=128)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--sequences", type=int, default=1000)
    ap.add_argument("--profile", action="store_true",
                    help="print torch.profiler's per-operator CPU times of one training step and one "
                         "feature pass (stderr) instead of timing")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(1)
    net = FaceRes20(size=a.input)
    weight = nn.Parameter(torch.randn(a.classes, 512) * 0.05)
    agents = nn.Parameter(torch.randn(a.classes + a.sequences, 512) * 0.05) if a.sequence_batch > 0 else None
    slopes = [p for m in net.modules() if isinstance(m, nn.PReLU) for p in m.parameters()]
    weights = [m.weight for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))] + [weight]
    biases = [m.bias for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias.requires_grad]
    lr = 1e-4
    groups = [{"params": weights + slopes, "lr": lr, "weight_decay": 5e-4},
              {"params": biases, "lr": 2 * lr, "weight_decay": 0.0}]
    if agents is not None:
        groups.append({"params": [agents], "lr": lr, "weight_decay": 0.0})
    opt = torch.optim.SGD(groups, lr=lr, momentum=0.9)
    batch = a.identity_batch + a.sequence_batch
    x = torch.randn(batch, 3, a.input, a.input) * 0.5
    y = torch.cat([torch.randint(0, a.classes, (a.identity_batch,)), -1 - torch.randint(0, a.sequences, (a.sequence_batch,))])

    def step():
        opt.zero_grad(set_to_none=False)
        f = net(x)
        logits = CaffeMarginInnerProduct.apply(SCALE * F.normalize(f, eps=1e-12), weight, y, LAMBDA)
        loss = lsro(logits, y)
        if agents is not None:
            d, diff = dsa(f, y, agents.detach(), a.classes, generator)
            loss = loss + d
            agents.grad = diff
        loss.backward()
        opt.step()

    step()
    if a.profile:
        from torch.profiler import ProfilerActivity, profile
        import sys
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            step()
        print("training step:", file=sys.stderr)
        print(prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=25), file=sys.stderr)
        with torch.no_grad(), profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            net(x)
        print("feature pass:", file=sys.stderr)
        print(prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=20), file=sys.stderr)
        return
    t = time.perf_counter()
    for _ in range(a.iterations):
        step()
    train = batch * a.iterations / (time.perf_counter() - t)
    with torch.no_grad():
        net(x)
        t = time.perf_counter()
        for _ in range(a.iterations):
            net(x)
        feats = batch * a.iterations / (time.perf_counter() - t)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"train_images_per_s": train, "features_images_per_s": feats, "peak_memory_mib": peak,
                      "batch": batch, "identity_batch": a.identity_batch, "sequence_batch": a.sequence_batch,
                      "iterations": a.iterations, "input_size": a.input, "classes": a.classes, "sequences": a.sequences,
                      "head": "sphereface/caffe", "dsa": agents is not None, "torch": torch.__version__, "threads": a.threads}))


if __name__ == "__main__":
    main()
