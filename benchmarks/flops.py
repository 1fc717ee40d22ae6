"""Achieved FLOP/s and the fraction of the machine's matmul peak.

FLOPs per image come from the analysis table (:func:`reviewlib.review.tables.macs_total`: multiply-adds of the convs and
linear layers in one eval-mode forward pass, torchvision's convention), times 2 FLOPs per multiply-add; a training
step (forward + backward) counts 3x the forward (the backward computes the gradients of both the inputs and the
weights, each as costly as the forward) — the usual convention for model FLOP utilisation. Pooling, ReLU, LRN and
BatchNorm count zero, so the memory-bound layers only show as a lower fraction of peak.

The peak is measured in the same run with the same threads: the best of several large float32 matrix products. On a
shared machine the fraction of peak compares FLOPs per CPU-second of this process on both sides (the models'
CPU-time images/s against the matmul's CPU-time rate), so other processes' load does not lower it.

    .venv/bin/python -m benchmarks.flops          # just the peak, and each model's FLOPs per image
"""
from __future__ import annotations

import argparse
from functools import lru_cache

import pandas as pd
import torch

from reviewlib.nets import build_model, input_side
from reviewlib.review.tables import macs_total

from .common import calls_for, interleaved, load_average, set_threads, to_text

TRAIN_FACTOR = 3  # forward + backward = 3 forwards


@lru_cache(maxsize=None)
def macs(model: str, image_size: int, width: float = 1.0, num_classes: int = 1000, built_for: int | None = None
         ) -> int:
    """Multiply-adds of one ``image_size`` image through ``build_model(model, ...)`` (built on the meta device, so
    nothing is allocated). ``built_for`` is the ``image_size`` the model is built with (None: the builder's
    default, as the torchvision twins are)."""
    kw = {} if built_for is None else {"image_size": built_for}
    with torch.device("meta"):
        net = build_model(model, num_classes=num_classes, width=width, **kw)
    return macs_total(net, image_size)


def cpu_peak(n: int = 2048, repeats: int = 5) -> tuple[float, float]:
    """float32 matmul FLOP/s on the CPU with the current threads: (per wall second, per CPU second of this
    process), each from its best repeat."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    c = torch.empty(n, n)
    fn = lambda: torch.mm(a, b, out=c)  # noqa: E731
    inner = calls_for(fn, 0.3, cap=200)
    t = interleaved({"mm": fn}, repeats=repeats, warmup=1, inner=inner)
    return 2.0 * n ** 3 / min(t.wall["mm"]), 2.0 * n ** 3 / min(t.cpu["mm"])


def model_flops(models: pd.DataFrame, peak: float, peak_cpu: float | None = None) -> pd.DataFrame:
    """For each row of the models-vs-torchvision table: GFLOPs per image, achieved GFLOP/s by the wall clock (ours
    and torchvision's), and the fraction of the peak. The fraction compares like with like: FLOPs per CPU-second of
    this process (``*_cpu_img_s``) against the matmul's FLOPs per CPU-second (``peak_cpu``), so other processes
    on a shared machine do not lower it; without ``peak_cpu``, wall clock against ``peak``."""
    rows = []
    for r in models.itertuples(index=False):
        size = int(str(r.input).rstrip("px"))
        twin = r.tv_img_s is not None and r.tv_img_s == r.tv_img_s
        m = macs(r.model, size, built_for=None if twin else size)
        factor = TRAIN_FACTOR if r.mode == "forward+backward" else 1
        flop = 2 * m * factor
        ours, tv = (r.ours_cpu_img_s, r.tv_cpu_img_s) if peak_cpu else (r.ours_img_s, r.tv_img_s)
        ref = peak_cpu or peak
        row = {"model": r.model, "input": r.input, "batch": r.batch, "mode": r.mode,
               "GMACs_per_img": m / 1e9, "GFLOP_per_img": flop / 1e9,
               "ours_GFLOP_s": flop * r.ours_img_s / 1e9, "ours_%_peak": 100 * flop * ours / ref}
        if twin:
            row |= {"tv_GFLOP_s": flop * r.tv_img_s / 1e9, "tv_%_peak": 100 * flop * tv / ref}
        else:
            row |= {"tv_GFLOP_s": None, "tv_%_peak": None}
        rows.append(row)
    return pd.DataFrame(rows)


def training_step_flops(pipeline: pd.DataFrame, peak: float, peak_cpu: float | None = None) -> pd.DataFrame:
    """The same for the study main runs' training steps, from the data-pipeline table (:mod:`benchmarks.pipeline`:
    one row per run with its model, real input side, width, classes and step-alone images/s)."""
    if pipeline is None or "step_alone_img_s" not in pipeline:
        return pd.DataFrame()
    rows = []
    for r in pipeline.itertuples(index=False):
        side = int(str(r.input).rstrip("px"))
        m = macs(r.model, side, width=r.width, num_classes=r.classes, built_for=side)
        flop = 2 * m * TRAIN_FACTOR
        ours, ref = (r.step_alone_cpu_img_s, peak_cpu) if peak_cpu else (r.step_alone_img_s, peak)
        rows.append({"paper": r.paper, "model": r.model, "input": r.input, "width": r.width, "batch": r.batch,
                     "mode": "train step (+SGD)", "GMACs_per_img": m / 1e9, "img_s": r.step_alone_img_s,
                     "GFLOP_s": flop * r.step_alone_img_s / 1e9, "%_peak": 100 * flop * ours / ref})
    return pd.DataFrame(rows)


def main(argv=None) -> float:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=2048, help="matrix side for the peak")
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    threads = set_threads(args.threads)
    peak, peak_cpu = cpu_peak(args.n)
    print(f"float32 matmul peak ({args.n}x{args.n}, {threads} threads, load {load_average()}): "
          f"{peak / 1e9:.1f} GFLOP/s ({peak_cpu / 1e9:.1f} GFLOP per CPU-second)")
    rows = []
    for name in ("alexnet", "vgg16", "googlenet", "alexnet_paper", "vgg_A", "googlenet_paper"):
        side = input_side(name, 224)  # the papers' 224 crop; 227 for the paper AlexNet
        rows.append({"model": name, "input": f"{side}px", "GMACs_per_img": macs(name, side, built_for=side) / 1e9})
    print(to_text(pd.DataFrame(rows)))
    return peak


if __name__ == "__main__":
    main()
