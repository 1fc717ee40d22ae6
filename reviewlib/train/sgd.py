"""AlexNet's update rule (Sect. 5) written out, and how it differs from ``torch.optim.SGD``.

The paper: ``v <- 0.9 v - 0.0005 lr w - lr grad; w <- w + v``. torch keeps the learning rate outside the velocity
(``b <- 0.9 b + grad + wd w; w <- w - lr b``). Both give the same weights while the learning rate is constant and
differ right after it changes: torch applies the new rate to the whole accumulated velocity at once, the paper only
to new gradients. Training uses ``torch.optim.SGD``; this module shows the difference.
"""
from __future__ import annotations

from typing import Iterable

import pandas as pd
import torch


@torch.no_grad()
def paper_sgd_step(params: Iterable[torch.Tensor], velocities: Iterable[torch.Tensor], lr: float,
                   momentum: float = 0.9, weight_decay: float = 5e-4) -> None:
    """One step of AlexNet Sect. 5's rule, in place, written out by hand (it is what the review is about):

        v <- momentum * v - weight_decay * lr * w - lr * grad
        w <- w + v

    ``velocities`` start at zero and belong to the caller (one tensor per parameter).
    ``torch.optim.SGD(momentum=0.9, weight_decay=5e-4)`` instead keeps ``lr`` outside the velocity
    (``b <- 0.9 b + grad + wd * w``; ``w <- w - lr * b``): the same weights while lr is constant (then
    ``v = -lr * b``), different ones right after lr changes (torch applies the new lr to the whole
    accumulated velocity at once; the paper only to new gradients).
    """
    for w, v in zip(params, velocities, strict=True):
        if w.grad is None:
            continue
        v.mul_(momentum).add_(w, alpha=-weight_decay * lr).add_(w.grad, alpha=-lr)
        w.add_(v)


def compare_with_torch_sgd(lrs: Iterable[float], *, momentum: float = 0.9, weight_decay: float = 5e-4,
                           size: int = 8, seed: int = 0) -> pd.DataFrame:
    """Train the same toy least-squares model with :func:`paper_sgd_step` and with ``torch.optim.SGD`` using the
    learning rate ``lrs[t]`` at step t; one row per step with the max absolute weight difference (float64)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, size, generator=g, dtype=torch.float64)
    y = torch.randn(64, generator=g, dtype=torch.float64)
    w0 = torch.randn(size, generator=g, dtype=torch.float64)
    w_paper = w0.clone().requires_grad_(True)
    w_torch = w0.clone().requires_grad_(True)
    vel = [torch.zeros_like(w_paper)]
    opt = torch.optim.SGD([w_torch], lr=1.0, momentum=momentum, weight_decay=weight_decay)
    rows = []
    for t, lr in enumerate(lrs):
        for w in (w_paper, w_torch):
            w.grad = None
            ((x @ w - y) ** 2).mean().backward()
        paper_sgd_step([w_paper], vel, lr, momentum, weight_decay)
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        rows.append({"step": t, "lr": lr, "max_abs_diff": (w_paper - w_torch).abs().max().item()})
    return pd.DataFrame(rows)
