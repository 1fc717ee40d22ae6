"""What AlexNet's LRN (Sect. 3.3) costs in a training step, before and after reviewlib's fast LRN.

The paper AlexNet at the study size (width 0.25, ``input_side("alexnet_paper", 128)`` = 130 px, 10 classes, batch
64), forward + backward of the cross-entropy, three ways, interleaved: without LRN (``lrn=False``), with
:class:`reviewlib.nets.layers.LocalResponseNorm` (one 1x1 convolution by a 0/1 band matrix for the sum of squares,
a written-out backward) and with the implementation it replaced (torch's ``F.local_response_norm`` with
``alpha * n``, once per tower, concatenated). LRN's share of the step is ``(t_with - t_without) / t_with``. Also the
layer alone, forward + backward, on the ``[64, 24, 30, 30]`` map of lrn1 at that size (two towers of 12 maps).
On the CPU all of it runs inside :func:`benchmarks.common.malloc_cache` (``--no-malloc-cache`` to leave glibc's
malloc alone), so every variant measures its arithmetic, not the page faults of freshly mapped buffers.

    .venv/bin/python -m benchmarks.lrn_share [--repeats 15] [--threads N] [--device cpu|cuda|mps]
"""
from __future__ import annotations

import argparse
import statistics

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from reviewlib.nets import alexnet, input_side
from reviewlib.nets.layers import LocalResponseNorm

from .common import interleaved, load_average, malloc_cache, machine_line, set_threads, to_text

BATCH, WIDTH, CLASSES, TRAIN_SIZE = 64, 0.25, 10, 128


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


def step(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """One forward + backward of the cross-entropy (gradients dropped first, no optimizer step)."""
    def run() -> None:
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
    return run


def layer_step(fn, x: torch.Tensor, g: torch.Tensor):
    def run() -> None:
        x.grad = None
        fn(x).backward(g)
    return run


def run(repeats: int = 15, device: str = "cpu") -> pd.DataFrame:
    size = input_side("alexnet_paper", TRAIN_SIZE)
    torch.manual_seed(0)
    x = torch.randn(BATCH, 3, size, size, device=device)
    y = torch.randint(0, CLASSES, (BATCH,), device=device)

    def build(**kw) -> nn.Module:
        torch.manual_seed(0)
        return alexnet("paper", num_classes=CLASSES, width=WIDTH, image_size=size, **kw).to(device).train()

    models = {"no LRN": build(lrn=False), "LRN, reviewlib (band conv)": build(),
              "LRN, torch F.local_response_norm (before)": with_torch_lrn(build())}
    steps = {name: step(m, x, y) for name, m in models.items()}
    times = interleaved(steps, repeats=repeats, warmup=2, device=device)
    # the layer alone, on lrn1's map at this size (96 * 0.25 = 24 channels in two towers of 12)
    maps = (torch.rand(BATCH, 24, 30, 30, device=device) * 10).requires_grad_()
    grad = torch.randn_like(maps)
    lrn = LocalResponseNorm(towers=2)
    layers = {"LRN, reviewlib (band conv)": layer_step(lrn, maps, grad),
              "LRN, torch F.local_response_norm (before)": layer_step(TorchLRN(lrn), maps, grad)}
    layer_times = interleaved(layers, repeats=3 * repeats, warmup=2, device=device)

    base = {clock: statistics.median(getattr(times, clock)["no LRN"]) for clock in ("wall", "cpu")}
    rows = []
    for name in models:
        wall, cpu = (statistics.median(getattr(times, clock)[name]) for clock in ("wall", "cpu"))
        row = {"variant": name, "step_ms": 1e3 * wall, "step_cpu_ms": 1e3 * cpu,
               "lrn_share_%": 100 * (wall - base["wall"]) / wall, "lrn_share_cpu_%": 100 * (cpu - base["cpu"]) / cpu}
        if name in layer_times.wall:
            row["layer_fwd_bwd_ms"] = 1e3 * statistics.median(layer_times.wall[name])
        rows.append(row)
    df = pd.DataFrame(rows)
    df.loc[0, ["lrn_share_%", "lrn_share_cpu_%"]] = float("nan")
    return df


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--no-malloc-cache", action="store_true", help="leave glibc's malloc thresholds alone")
    args = p.parse_args(argv)
    threads = set_threads(args.threads)
    print(machine_line())
    print(f"AlexNet (paper), width {WIDTH}, {input_side('alexnet_paper', TRAIN_SIZE)} px, batch {BATCH}, "
          f"{CLASSES} classes, forward + backward on {args.device}: {threads} thread(s), {args.repeats} interleaved "
          f"repeats, load {load_average()}")
    with malloc_cache(not args.no_malloc_cache and args.device == "cpu") as cached:
        table = run(args.repeats, args.device)
    print(f"malloc cache: {'on' if cached else 'off'}")
    print(to_text(table))
    print(f"load after: {load_average()}")
    return table


if __name__ == "__main__":
    main()
