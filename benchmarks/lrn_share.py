"""What AlexNet's LRN (Sect. 3.3) costs in the study's training step, with reviewlib's fast LRN and the one it replaced.

The AlexNet study main run (``Study.for_paper("alexnet", "study").runs["main"]``: ``alexnet_paper`` at its real input
side, width and batch size, with its recipe), one training step (:func:`benchmarks.common.train_step`: forward, loss,
backward, SGD) on one real batch of the study's data, three ways, interleaved: without LRN (``lrn=False``, the
ablation's model), with :class:`reviewlib.nets.layers.LocalResponseNorm` (the paper's formula as one 1x1 convolution
by a 0/1 band matrix for the sum of squares and a written-out backward) and with the implementation it replaced
(torch's ``F.local_response_norm`` with ``alpha * n``, once per tower, concatenated). LRN's share of the step is
``(t_with - t_without) / t_with``, by the wall clock and by this process's CPU time (the steady one on a shared
machine; target <= 15%). Also each LRN alone, forward + backward, on lrn1's input map at this size.

    .venv/bin/python -m benchmarks.lrn_share [--repeats 15] [--threads N] [--device cpu|cuda|mps] [--root DATA]
"""
from __future__ import annotations

import argparse
import statistics

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from reviewlib.device import keep_freed_memory
from reviewlib.nets.layers import LocalResponseNorm

from .common import (build_run_model, data_root, interleaved, load_average, machine_line,
                     set_threads, study_runs, to_text, train_step)
from .pipeline import train_batches

TARGET_SHARE = 15.0  # % of the AlexNet study step (issue 12)
WITH = "LRN, reviewlib (band conv)"
BEFORE = "LRN, torch F.local_response_norm (before)"


class TorchLRN(nn.Module):
    """The LRN reviewlib used before: torch's kernel with the paper's alpha times n, tower by tower."""

    def __init__(self, lrn: LocalResponseNorm) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k, self.towers = lrn.size, lrn.alpha, lrn.beta, lrn.k, lrn.towers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts = x.chunk(self.towers, dim=1)
        return torch.cat([F.local_response_norm(p, self.size, alpha=self.alpha * self.size, beta=self.beta,
                                                k=self.k) for p in parts], dim=1)


def with_torch_lrn(model: nn.Module) -> nn.Module:
    """``model`` with every reviewlib LRN replaced by :class:`TorchLRN` (in place)."""
    for i, m in enumerate(model.features):
        if isinstance(m, LocalResponseNorm):
            model.features[i] = TorchLRN(m)
    return model


def first_lrn_input(model: nn.Module, x: torch.Tensor) -> tuple[LocalResponseNorm, torch.Size]:
    """The first LRN of ``model`` and the shape of its input for the batch ``x``."""
    lrn = next(m for m in model.modules() if isinstance(m, LocalResponseNorm))
    seen = {}

    def record(module, inputs, output) -> None:
        seen.setdefault("shape", inputs[0].shape)

    hook = lrn.register_forward_hook(record)
    with torch.no_grad():
        model(x)
    hook.remove()
    return lrn, seen["shape"]


def layer_step(fn, x: torch.Tensor, g: torch.Tensor):
    def run() -> None:
        x.grad = None
        fn(x).backward(g)
    return run


def run(repeats: int = 15, device: str = "cpu", root=None, runs: dict | None = None,
        malloc_tuning: bool = True) -> pd.DataFrame:
    """One row per variant: step ms (wall, CPU), LRN's share of the step, and the LRN layer alone; inside
    :func:`reviewlib.device.keep_freed_memory` as training is on the CPU (``malloc_tuning``)."""
    with keep_freed_memory(malloc_tuning and torch.device(device).type == "cpu"):
        return _run(repeats, device, root, runs)


def _run(repeats: int, device: str, root, runs: dict | None) -> pd.DataFrame:
    study, main = (runs or study_runs(root, device=device, papers=("alexnet",)))["alexnet"]
    batches, _ = train_batches(study, main)
    x, y = batches.batch(0, 0)
    models = {"no LRN": build_run_model(study, main, lrn=False), WITH: build_run_model(study, main),
              BEFORE: with_torch_lrn(build_run_model(study, main))}
    steps = {name: train_step(m, main.recipe) for name, m in models.items()}
    # four steps a timing: one step (60-120 ms) is too short to time steadily on a shared machine (the share moved
    # between 15% and 20% from run to run when each timing was a single step)
    times = interleaved({name: (lambda s=s: s(x, y)) for name, s in steps.items()}, repeats=repeats, warmup=2,
                        inner=4, device=study.device)
    lrn, shape = first_lrn_input(models[WITH], x)
    maps = (torch.rand(shape, device=study.device) * 10).requires_grad_()
    grad = torch.randn_like(maps)
    layers = {WITH: layer_step(lrn, maps, grad), BEFORE: layer_step(TorchLRN(lrn), maps, grad)}
    layer_times = interleaved(layers, repeats=3 * repeats, warmup=2, device=study.device)

    base = {clock: statistics.median(getattr(times, clock)["no LRN"]) for clock in ("wall", "cpu")}
    rows = []
    for name in models:
        wall, cpu = (statistics.median(getattr(times, clock)[name]) for clock in ("wall", "cpu"))
        row = {"variant": name, "model": main.model, "input": f"{main.image_size}px", "width": main.width,
               "batch": len(x), "step_ms": 1e3 * wall, "step_cpu_ms": 1e3 * cpu,
               "lrn_share_%": 100 * (wall - base["wall"]) / wall, "lrn_share_cpu_%": 100 * (cpu - base["cpu"]) / cpu,
               "lrn1_input": "x".join(map(str, shape)), "layer_fwd_bwd_ms": None, "layer_fwd_bwd_cpu_ms": None}
        if name in layer_times.wall:
            row["layer_fwd_bwd_ms"] = 1e3 * statistics.median(layer_times.wall[name])
            row["layer_fwd_bwd_cpu_ms"] = 1e3 * statistics.median(layer_times.cpu[name])
        rows.append(row)
    df = pd.DataFrame(rows)
    df.loc[0, ["lrn_share_%", "lrn_share_cpu_%"]] = float("nan")
    df["repeats"] = len(times.wall["no LRN"])
    df["load"] = load_average()
    return df


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--root", default=None, help="data root (default: $REVIEWLIB_DATA or ../shared/data/...)")
    p.add_argument("--no-malloc-cache", action="store_true",
                   help="let glibc return freed memory at once (training keeps it: reviewlib.device.keep_freed_memory)")
    args = p.parse_args(argv)
    threads = set_threads(args.threads)
    print(machine_line())
    print(f"AlexNet study step with and without LRN on {args.device} ({data_root(args.root)}): {threads} thread(s), "
          f"{args.repeats} interleaved repeats, load {load_average()}", flush=True)
    table = run(args.repeats, args.device, args.root, malloc_tuning=not args.no_malloc_cache)
    print(to_text(table))
    print(f"load after: {load_average()}")
    return table


if __name__ == "__main__":
    main()
