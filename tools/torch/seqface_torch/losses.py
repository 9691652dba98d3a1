"""The SeqFace losses and the margin head as torch modules, computing what SeqTrain computes
(LSROLoss.swift, DSALoss.swift, MarginHead.swift) forward and backward, so that they agree with
`seqcurate loss lsro|dsa|margin` (tests/test_losses.py)."""
import math

import torch
from torch import nn

FLT_MIN = 1.1754943508222875e-38


# --- LSRO ---------------------------------------------------------------------------------

class _LSROFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits, labels, ignore_label):
        z = logits.float()
        b, c = z.shape
        valid = torch.ones(b, dtype=torch.bool, device=z.device)
        if ignore_label is not None:
            valid = labels != ignore_label
        p = torch.softmax(z, dim=1)
        logp = torch.log(p.clamp_min(FLT_MIN))
        ident = valid & (labels >= 0)
        seq = valid & (labels < 0)
        target = torch.zeros_like(p)
        if ident.any():
            target[ident] = torch.nn.functional.one_hot(labels[ident].long(), c).to(p.dtype)
        target[seq] = 1.0 / c
        per = -(target * logp).sum(dim=1)
        count = max(int(valid.sum()), 1)
        ctx.save_for_backward(p, target, valid)
        ctx.count = count
        return (per * valid).sum() / count

    @staticmethod
    def backward(ctx, grad):
        p, target, valid = ctx.saved_tensors
        g = (p - target) * valid.unsqueeze(1) / ctx.count
        return g * grad, None, None


class LSROLoss(nn.Module):
    """Softmax loss with label smoothing for outliers: `-log p_y` for identity samples, the
    uniform target over all classes for sequence samples (label < 0); mean over the samples that
    are not `ignore_label`. Probabilities are clamped to FLT_MIN before the log; the gradient is
    `(p - target) / valid`, as LSROLoss.swift."""

    def __init__(self, ignore_label=None):
        super().__init__()
        self.ignore_label = ignore_label

    def forward(self, logits, labels):
        return _LSROFunction.apply(logits, labels, self.ignore_label)


# --- DSA ----------------------------------------------------------------------------------

class DSALoss(nn.Module):
    """The DSA loss with its agents (`F + S` rows) as a buffer, not a parameter: as in
    DSALoss.swift their "gradient" is the center-style update, which `agent_update` returns and
    `apply_agent_update` applies SGD-style (lr x1, no weight decay, with momentum, as SeqTrain's
    solver does for `dsa.agents`).

    For data-parallel training `agent_statistics` gives the per-agent sums of `x - c` and the
    counts, which can be all-reduced across ranks before `agent_update_from` turns them into the
    update; every rank then applies the same update and the agents stay identical (train.py)."""

    def __init__(self, faceid_num, seqid_num, feature_dim, settings=None, ignore_label=None, generator=None):
        super().__init__()
        s = {"lambda": 0.5, "dropout_ratio": 0.99, "alpha": 2, "beta": 1, "use_normalize": False, "scale": 1,
             "center_iter": 0, "diff_iter": 0}
        s.update(settings or {})
        self.settings = s
        self.faceid_num, self.seqid_num, self.feature_dim = faceid_num, seqid_num, feature_dim
        self.ignore_label = ignore_label
        n = faceid_num + seqid_num
        bound = math.sqrt(3.0 / feature_dim)
        self.register_buffer("agents", (torch.rand(n, feature_dim, generator=generator) * 2 - 1) * bound)
        self.register_buffer("agents_momentum", torch.zeros(n, feature_dim))
        self.register_buffer("iteration", torch.zeros((), dtype=torch.long))

    @property
    def agent_count(self):
        return self.faceid_num + self.seqid_num

    @property
    def sampled_count(self):
        """K_used = floor(N (1 - dropout_ratio)) in double precision."""
        return int(math.floor(self.agent_count * (1.0 - float(self.settings["dropout_ratio"]))))

    def agent_rows(self, labels):
        """Agent row per sample (label y >= 0 -> y, label -k -> F - 1 + k), -1 when left out."""
        labels = labels.long()
        rows = torch.where(labels >= 0, labels, self.faceid_num - 1 - labels)
        keep = torch.ones_like(labels, dtype=torch.bool)
        if self.ignore_label is not None:
            keep &= labels != self.ignore_label
        if self.seqid_num == 0:
            keep &= labels >= 0
        if bool(((labels >= self.faceid_num) & keep).any()) or bool(((labels < -self.seqid_num) & keep).any()):
            raise ValueError(f"DSA: a label is outside -{self.seqid_num}…{self.faceid_num - 1}")
        return torch.where(keep, rows, torch.full_like(rows, -1))

    @torch.no_grad()
    def normalize_agents(self):
        s = float(self.settings["scale"])
        norms = (self.agents.pow(2).sum(1, keepdim=True) + 1e-7).sqrt()
        self.agents.mul_(s / norms)

    def forward(self, features, labels, agent_order):
        """Mean loss over the valid samples (unweighted); autograd gives the feature gradient of
        DSALoss.swift. Advances the iteration counter and, with use_normalize, rescales the agents
        first. `agent_order` is a permutation of 0..N-1; its first K_used entries are sampled."""
        rows = self.agent_rows(labels)
        self.iteration += 1
        if self.settings["use_normalize"]:
            self.normalize_agents()
        it = int(self.iteration)
        valid = rows >= 0
        pull = it > self.settings["center_iter"]
        hinge = it > self.settings["diff_iter"]
        if not bool(valid.any()) or not (pull or hinge):
            return features.sum() * 0
        x = features[valid].float()
        r = rows[valid]
        c = self.agents.detach()
        own = (x - c[r]).pow(2).sum(1) / 4
        loss = torch.zeros_like(own)
        lam, alpha, beta = float(self.settings["lambda"]), float(self.settings["alpha"]), float(self.settings["beta"])
        if pull:
            loss = loss + lam * own
        sampled = agent_order[:self.sampled_count].to(features.device).long()
        if hinge and sampled.numel() > 0 and lam < 1:
            w = (1 - lam) / sampled.numel()
            dist = (x.unsqueeze(1) - c[sampled].unsqueeze(0)).pow(2).sum(2) / 4
            # A sample is not pushed from its own agent; a sequence sample only from identity agents.
            mask = sampled.unsqueeze(0) != r.unsqueeze(1)
            mask &= (r.unsqueeze(1) < self.faceid_num) | (sampled.unsqueeze(0) < self.faceid_num)
            margin = alpha * own.unsqueeze(1) - dist + beta
            loss = loss + w * (torch.relu(margin) * mask).sum(1)
        return loss.sum() / valid.sum()

    @torch.no_grad()
    def agent_statistics(self, features, labels):
        """Per-agent sums of `x - c_a` over the batch's samples and their counts."""
        rows = self.agent_rows(labels)
        valid = rows >= 0
        n = self.agent_count
        sums = torch.zeros(n, self.feature_dim, device=features.device)
        counts = torch.zeros(n, device=features.device)
        if bool(valid.any()):
            r = rows[valid]
            x = features.detach()[valid].float()
            sums.index_add_(0, r, x - self.agents[r])
            counts.index_add_(0, r, torch.ones_like(r, dtype=counts.dtype))
        return sums, counts

    @staticmethod
    def agent_update_from(sums, counts):
        """The center-style update `-0.5 / (count + 1) * sum(x - c)` per agent (DSALoss.agentUpdate)."""
        return sums * (-0.5 / (counts + 1)).unsqueeze(1)

    def agent_update(self, features, labels):
        return self.agent_update_from(*self.agent_statistics(features, labels))

    @torch.no_grad()
    def apply_agent_update(self, update, lr, momentum):
        """`v = momentum v + lr update; agents -= v`, as SGDSolver does for `dsa.agents` (no decay)."""
        self.agents_momentum.mul_(momentum).add_(update, alpha=lr)
        self.agents.sub_(self.agents_momentum)


# --- Margin head --------------------------------------------------------------------------

def sphere_lambda(head, iteration):
    return max(head["lambda_base"] * (1 + head["gamma"] * iteration) ** (-head["power"]), head["lambda_min"])


def _chebyshev(m, x):
    t0, t1 = torch.ones_like(x), x
    d0, d1 = torch.zeros_like(x), torch.ones_like(x)
    if m == 0:
        return t0, d0
    for _ in range(2, m + 1):
        t2 = 2 * x * t1 - t0
        d2 = 2 * t1 + 2 * x * d1 - d0
        t0, t1, d0, d1 = t1, t2, d1, d2
    return t1, d1


def _sphere_psi(m, cos):
    theta = torch.acos(cos)
    k = torch.clamp(torch.floor(m * theta / math.pi), max=m - 1)
    t, dt = _chebyshev(m, cos)
    sign = 1 - 2 * torch.remainder(k, 2)
    return sign * t - 2 * k, sign * dt


def _margin(kind, m, cos, lam):
    """Own-class value g(cos) and dg/dcos (MarginHead.margin)."""
    if kind == "none":
        return cos, torch.ones_like(cos)
    if kind == "cosface":
        return cos - m, torch.ones_like(cos)
    if kind == "arcface":
        sine = torch.clamp((1 - cos * cos).sqrt(), min=1e-6)
        inside = cos > math.cos(math.pi - m)
        v = torch.where(inside, cos * math.cos(m) - sine * math.sin(m), cos - m * math.sin(math.pi - m))
        d = torch.where(inside, math.cos(m) + math.sin(m) * cos / sine, torch.ones_like(cos))
        return v, d
    psi, dpsi = _sphere_psi(int(m), cos)
    return (lam * cos + psi) / (1 + lam), (lam + dpsi) / (1 + lam)


def _normalize(v):
    norms = (v.pow(2).sum(1, keepdim=True) + 1e-12).sqrt()
    return v / norms, norms


class _MarginFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, features, weight, labels, head, lam):
        """`weight` holds unit rows already (MarginHead.forward rewrites them first)."""
        s, kind, m = float(head["scale"]), head["kind"], float(head["m"])
        caffe = kind == "sphereface" and head["backward"] == "caffe"
        u, norms = _normalize(features.float())
        z = u @ weight.t()
        b, c = z.shape
        targets = labels.long().clone()
        has = (targets >= 0) & (targets < c) if kind != "none" else torch.zeros_like(targets, dtype=torch.bool)
        targets[~has] = -1
        idx = has.nonzero().squeeze(1)
        slope = torch.zeros(b, device=z.device)
        cw = torch.zeros(b, device=z.device)
        cx = torch.zeros(b, device=z.device)
        if idx.numel():
            y = targets[idx]
            cos = z[idx, y].clamp(-1, 1)
            value, d = _margin(kind, m, cos, lam)
            z[idx, y] = value
            slope[idx] = d
            if caffe:
                psi, dpsi = _sphere_psi(int(m), cos)
                on_w, on_x = dpsi, (psi - cos * dpsi) / s
                norm = (on_w * on_w + on_x * on_x).sqrt()
                ok = norm > 0
                safe = torch.where(ok, norm, torch.ones_like(norm))
                cw[idx] = torch.where(ok, (on_w / safe - 1) / (1 + lam), torch.full_like(norm, -1 / (1 + lam)))
                cx[idx] = torch.where(ok, on_x / safe * s / (1 + lam), torch.zeros_like(norm))
        ctx.save_for_backward(u, norms, weight, targets, slope, cw, cx)
        ctx.s, ctx.caffe = s, caffe
        return z * s

    @staticmethod
    def backward(ctx, dlogits):
        u, norms, w, targets, slope, cw, cx = ctx.saved_tensors
        s, caffe = ctx.s, ctx.caffe
        dcos = dlogits * s
        idx = (targets >= 0).nonzero().squeeze(1)
        y = targets[idx]
        if not caffe and idx.numel():
            dcos = dcos.clone()
            dcos[idx, y] = dcos[idx, y] * slope[idx]
        du = dcos @ w
        if caffe and idx.numel():
            gy = dcos[idx, y]
            du[idx] += (gy * cw[idx]).unsqueeze(1) * w[y] + (gy * cx[idx]).unsqueeze(1) * u[idx]
        dw = dcos.t() @ u
        du = (du - u * (du * u).sum(1, keepdim=True)) / norms
        if not caffe:
            # The rows are unit vectors (normalised in place before forward), so their norms are 1.
            dw = dw - w * (dw * w).sum(1, keepdim=True)
        return du, dw, None, None, None


class MarginHead(nn.Module):
    """Classifier on L2-normalised features times `scale` with L2-normalised class weights
    (`fc6.weight`, rewritten to unit rows in place before every forward, as Caffe's layer and
    MarginHead.swift do) and the sphereface/cosface/arcface margin on identity samples' own
    class; sequence samples (label < 0) get plain scaled cosines. Backward by `head["backward"]`:
    `caffe` (MarginInnerProduct's rule, sphereface) or `exact`."""

    def __init__(self, feature_dim, classes, head=None, generator=None):
        super().__init__()
        from .config import DEFAULTS, HEAD_M
        h = dict(DEFAULTS["head"])
        if head and "kind" in head:
            h["m"] = HEAD_M[head["kind"]]
            h["backward"] = "caffe" if head["kind"] == "sphereface" else "exact"
        h.update(head or {})
        self.head = h
        bound = math.sqrt(3.0 / feature_dim)
        self.weight = nn.Parameter((torch.rand(classes, feature_dim, generator=generator) * 2 - 1) * bound)

    def forward(self, features, labels, iteration=1):
        with torch.no_grad():
            self.weight.copy_(_normalize(self.weight)[0])
        lam = sphere_lambda(self.head, iteration) if self.head["kind"] == "sphereface" else 0.0
        return _MarginFunction.apply(features, self.weight, labels, self.head, float(lam))
