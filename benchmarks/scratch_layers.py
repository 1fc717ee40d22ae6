"""What the hand-written layers cost: reviewlib.nets.scratch against torch's built-ins, on AlexNet-sized inputs.

:mod:`reviewlib.nets.scratch` writes conv2d (im2col + one matrix product), max-pooling (max over ``unfold``'s windows),
LRN (the Sect. 3.3 formula as a loop over channels) and dropout (a Bernoulli mask) in a few lines each, for reading.
They are expected to be slower than torch's fused kernels; this prints by how much (time of scratch / time of torch,
median of interleaved repeats), forward and forward + backward, so the notebooks can quote it.

    .venv/bin/python -m benchmarks.scratch_layers [--quick]
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F

from reviewlib.nets import scratch

from .common import calls_for, interleaved, load_average, paired_ratio, set_threads, to_text


@dataclass(frozen=True)
class LayerCase:
    """A layer at one input shape: the scratch and torch versions as functions of (x, *params)."""

    layer: str
    where: str  # which paper layer this size is
    shape: tuple[int, ...]  # input shape without the batch
    params: tuple[tuple[int, ...], ...]  # weight / bias shapes
    scratch: Callable
    builtin: Callable


CASES = [
    LayerCase("conv2d", "AlexNet conv1 11x11/4, 3->96", (3, 227, 227), ((96, 3, 11, 11), (96,)),
              lambda x, w, b: scratch.conv2d(x, w, b, stride=4),
              lambda x, w, b: F.conv2d(x, w, b, stride=4)),
    LayerCase("conv2d", "AlexNet conv2 5x5, 96->256, 2 towers", (96, 27, 27), ((256, 48, 5, 5), (256,)),
              lambda x, w, b: scratch.conv2d(x, w, b, padding=2, groups=2),
              lambda x, w, b: F.conv2d(x, w, b, padding=2, groups=2)),
    LayerCase("conv2d", "VGG conv4 3x3, 256->256 at 28px", (256, 28, 28), ((256, 256, 3, 3), (256,)),
              lambda x, w, b: scratch.conv2d(x, w, b, padding=1),
              lambda x, w, b: F.conv2d(x, w, b, padding=1)),
    LayerCase("max_pool2d", "AlexNet pool1 3x3/2 (overlapping)", (96, 55, 55), (),
              lambda x: scratch.max_pool2d(x, 3, 2),
              lambda x: F.max_pool2d(x, 3, 2)),
    LayerCase("local_response_norm", "AlexNet LRN1 n=5 (paper constants)", (96, 55, 55), (),
              lambda x: scratch.local_response_norm(x, 5, 1e-4, 0.75, 2.0),
              lambda x: F.local_response_norm(x, 5, alpha=5e-4, beta=0.75, k=2.0)),
    LayerCase("dropout", "AlexNet fc6 input, p=0.5", (9216,), (),
              lambda x: scratch.dropout(x, 0.5),
              lambda x: F.dropout(x, 0.5, training=True)),
]


def _runner(fn: Callable, x: torch.Tensor, params: list[torch.Tensor], backward: bool):
    """A no-argument call of ``fn`` on fixed tensors; with ``backward``, back-propagates a fixed gradient too."""
    if not backward:
        def run() -> None:
            with torch.no_grad():
                fn(x, *params)
        return run
    leaves = [x, *params]
    grad_out = None

    def run() -> None:
        nonlocal grad_out
        for t in leaves:
            t.grad = None
        out = fn(x, *params)
        if grad_out is None:
            grad_out = torch.ones_like(out)
        out.backward(grad_out)
    return run


def run(batch: int = 8, repeats: int = 5, target_s: float = 0.15, budget_s: float | None = None) -> pd.DataFrame:
    """The slowdown table: one row per case and mode."""
    g = torch.Generator().manual_seed(0)
    rows = []
    per_case = None if budget_s is None else budget_s / (2 * len(CASES))
    for case in CASES:
        x = torch.randn(batch, *case.shape, generator=g)
        params = [torch.randn(*s, generator=g) * 0.01 for s in case.params]
        for backward in (False, True):
            xs = x.clone().requires_grad_(backward)
            ps = [p.clone().requires_grad_(backward) for p in params]
            fns = {"scratch": _runner(case.scratch, xs, ps, backward), "torch": _runner(case.builtin, xs, ps, backward)}
            inner = {k: calls_for(f, target_s, cap=500) for k, f in fns.items()}
            # the same number of calls for both, sized by the faster one's to keep each repeat short
            n = max(1, min(inner.values()))
            load0 = load_average()
            times = interleaved(fns, repeats=repeats, warmup=0, inner=n, budget_s=per_case,
                                min_repeats=min(3, repeats)).cpu
            # paired_ratio(a, b) = median(t_b / t_a): here scratch time over torch time, i.e. how many times slower
            slow, lo, hi = paired_ratio(times["torch"], times["scratch"])
            rows.append({"layer": case.layer, "size": case.where, "batch": batch,
                         "mode": "forward+backward" if backward else "forward",
                         "torch_ms": 1e3 * sorted(times["torch"])[len(times["torch"]) // 2],
                         "scratch_ms": 1e3 * sorted(times["scratch"])[len(times["scratch"]) // 2],
                         "time_ratio": slow, "ratio_min": lo, "ratio_max": hi,
                         "repeats": len(times["torch"]), "load": round((load0 + load_average()) / 2, 1)})
            r = rows[-1]
            print(f"  {case.layer:20s} {r['mode']:17s} torch {r['torch_ms']:8.2f} ms | "
                  f"scratch {r['scratch_ms']:8.2f} ms"
                  f" | scratch/torch time {slow:5.2f}  ({case.where})", flush=True)
    return pd.DataFrame(rows)


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--batch", type=int, default=None, help="images per call (default 8, quick 2)")
    p.add_argument("--repeats", type=int, default=None, help="interleaved repeats (default 5, quick 3)")
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    threads = set_threads(args.threads)
    batch = args.batch or (2 if args.quick else 8)
    repeats = args.repeats or (3 if args.quick else 5)
    print(f"scratch layers vs torch: {threads} thread(s), batch {batch}, {repeats} repeats, load {load_average()}")
    table = run(batch, repeats, target_s=0.05 if args.quick else 0.15)
    print(to_text(table))
    return table


if __name__ == "__main__":
    main()
