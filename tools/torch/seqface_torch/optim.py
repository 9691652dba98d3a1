"""Caffe-style SGD as SeqTrain's SGDSolver: `v = momentum v + lr lr_mult (g + wd decay_mult w)`,
`w -= v`. (torch.optim.SGD applies the learning rate after the momentum, which differs from
Caffe whenever the learning rate steps.)"""
import torch


class CaffeSGD(torch.optim.Optimizer):
    def __init__(self, named_params, multipliers, momentum=0.9, weight_decay=5e-4):
        groups = {}
        for name, p in named_params:
            if not p.requires_grad:
                continue
            lr_mult, decay_mult = multipliers.get(name, (1.0, 1.0))
            groups.setdefault((lr_mult, decay_mult), []).append(p)
        param_groups = [{"params": ps, "lr_mult": lm, "decay_mult": dm} for (lm, dm), ps in sorted(groups.items())]
        super().__init__(param_groups, {"momentum": momentum, "weight_decay": weight_decay, "lr": 0.0})

    @torch.no_grad()
    def step(self, lr):
        for g in self.param_groups:
            rate, decay = lr * g["lr_mult"], g["weight_decay"] * g["decay_mult"]
            for p in g["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                v = state.get("momentum_buffer")
                if v is None:
                    v = state["momentum_buffer"] = torch.zeros_like(p)
                d = p.grad if decay == 0 else p.grad.add(p, alpha=decay)
                v.mul_(g["momentum"]).add_(d, alpha=rate)
                p.sub_(v)
