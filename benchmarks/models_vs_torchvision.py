"""Do the table-driven builders cost anything at run time? reviewlib's models against torchvision's own modules.

reviewlib builds AlexNet, VGG and GoogLeNet from their papers' tables (:mod:`reviewlib.arch`) into the same module
layout as torchvision, so torchvision's state_dict loads unchanged. Here both copies hold the *same weights*, see the
*same input* with the *same thread count*, and take turns (A B A B ... A); we report images/s for
the forward pass (eval mode, no autograd) and for forward + backward (train mode: dropout on, GoogLeNet's auxiliary
heads on, cross-entropy with the paper's 0.3 auxiliary weight, gradients freed after each step, as an optimiser's
``zero_grad`` does), and ours / torchvision's as the median of the per-repeat ratios, with their min and max.
images/s are by the wall clock (``*_img_s``) and by this process's CPU time (``*_cpu_img_s``); the ratio uses CPU
time, which leaves out the time other processes held the CPUs and so stays steady on a shared machine (within a
few percent where wall-clock ratios swing by 20%); ``ratio_wall`` and ``ratio_best`` (best wall repeat over best
wall repeat) are given too. Target >= 1.00: a builder that only arranges torch's own layers should not cost
anything. The repeats stop early when the time budget is spent (never fewer than 3). ``same_ops`` says whether
both dispatch exactly the same ATen operators on the same shapes (forward and forward + backward): when they do,
a ratio away from 1 can only be Python-level module overhead or noise. glibc's allocator keeps freed memory during
the table (:func:`reviewlib.device.keep_freed_memory`), so the big FC weight gradients are not page-faulted in anew on
every step; ``--no-malloc-tuning`` turns that off.

The paper variants (AlexNet's two towers with LRN, GoogLeNet's true 5x5 branches and LRN) have no torchvision
twin; their images/s are given for the record.

    .venv/bin/python -m benchmarks.models_vs_torchvision            # the full settings
    .venv/bin/python -m benchmarks.models_vs_torchvision --quick
"""
from __future__ import annotations

import argparse
import gc
from dataclasses import dataclass

import pandas as pd
import torch
import torchvision
from torch import nn

from reviewlib.device import keep_freed_memory
from reviewlib.nets import build_model, input_side
from reviewlib.train.loop import compute_loss

from .common import interleaved, load_average, paired_ratio, rate_summary, set_threads, to_text


@dataclass(frozen=True)
class Case:
    """One model trained at ``size`` (the crop of the recipe) and one batch; ``reference`` names the torchvision
    twin (None: no twin). The model takes ``input_side(model, size)`` pixels: 227 for the paper AlexNet's 224."""

    model: str
    size: int
    batch: int
    reference: str | None

    @property
    def image_size(self) -> int:
        return input_side(self.model, self.size)


TORCHVISION = {
    "alexnet": lambda: torchvision.models.alexnet(weights=None),
    "vgg16": lambda: torchvision.models.vgg16(weights=None),
    "googlenet": lambda: torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False),
}

# Sizes chosen so the whole suite fits a 2-core CPU in minutes: full width (the weights must be torchvision's), a
# reduced input where a 224 input would take seconds per step. The paper variants are built for their real input side.
FULL = [
    Case("alexnet", 224, 2, "alexnet"),
    Case("vgg16", 96, 2, "vgg16"),
    Case("googlenet", 128, 2, "googlenet"),
    Case("alexnet_paper", 224, 2, None),
    Case("googlenet_paper", 128, 2, None),
]
QUICK = [
    Case("alexnet", 128, 2, "alexnet"),
    Case("vgg16", 64, 1, "vgg16"),
    Case("googlenet", 96, 2, "googlenet"),
    Case("alexnet_paper", 224, 1, None),
    Case("googlenet_paper", 96, 2, None),
]
FULL_REPEATS, QUICK_REPEATS = 25, 9
FULL_BUDGET_S, QUICK_BUDGET_S = 200.0, 70.0


def _loss(out, y: torch.Tensor) -> torch.Tensor:
    """The training loss of reviewlib.train: GoogLeNet's auxiliary heads weighted 0.3 (Sect. 5)."""
    return compute_loss(out, y, aux_weight=0.3)[1]


def forward_fn(model: nn.Module, x: torch.Tensor):
    """One inference pass: eval mode, no autograd."""
    def run() -> None:
        model.eval()
        with torch.no_grad():
            model(x)
    return run


def train_fn(model: nn.Module, x: torch.Tensor, y: torch.Tensor):
    """One forward + backward in train mode; gradients are freed afterwards, so every call allocates alike."""
    def run() -> None:
        model.train()
        _loss(model(x), y).backward()
        model.zero_grad(set_to_none=True)
    return run


def aten_ops(fn) -> list[tuple[str, tuple]] | None:
    """The ATen operators (name and input shapes, in order) one call of ``fn`` dispatches, backward included;
    None where torch lacks the dispatch-mode hook. (``TorchDispatchMode`` is what ``FlopCounterMode`` is built on.)"""
    try:
        from torch.utils._python_dispatch import TorchDispatchMode
    except ImportError:  # pragma: no cover - present in every torch 2.x
        return None
    ops: list[tuple[str, tuple]] = []

    class Record(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            shapes = tuple(tuple(a.shape) for a in args if isinstance(a, torch.Tensor))
            ops.append((str(func), shapes))
            return func(*args, **(kwargs or {}))

    with Record():
        fn()
    return ops


def same_ops(models: dict[str, nn.Module], x: torch.Tensor, y: torch.Tensor) -> bool | None:
    """Whether ours and torchvision's run exactly the same ATen operators on the same shapes, in the same order,
    for the forward pass (eval) and for forward + backward (train). True means the two can differ in run time only
    by Python-level module overhead and measurement noise."""
    if set(models) != {"ours", "torchvision"}:
        return None
    seqs = {}
    for k, m in models.items():
        torch.manual_seed(0)
        seqs[k] = (aten_ops(forward_fn(m, x)), aten_ops(train_fn(m, x, y)))
    if seqs["ours"][0] is None:
        return None
    return seqs["ours"] == seqs["torchvision"]


def build_pair(case: Case) -> dict[str, nn.Module]:
    """``{"ours": ..., "torchvision": ...}`` holding the same weights (or only ours for a paper variant).

    Ours loads torchvision's state_dict (the values), then torchvision's module is handed ours' very tensors
    (``load_state_dict(..., assign=True)``): the two read their weights from the same memory, so neither gains from
    where its weights happen to lie (a first-built model measured about 1% slower than a second one in A/A tests).
    """
    torch.manual_seed(0)
    if case.reference is None:
        return {"ours": build_model(case.model, image_size=case.image_size)}
    ours = build_model(case.model)  # torchvision's layout and sizes, so its state_dict loads
    theirs = TORCHVISION[case.reference]()
    ours.load_state_dict(theirs.state_dict())
    theirs.load_state_dict(ours.state_dict(keep_vars=True), assign=True)
    return {"ours": ours, "torchvision": theirs}


def run_case(case: Case, repeats: int, warmup: int = 1, budget_s: float | None = None) -> list[dict]:
    """Rows for one case: forward and forward+backward, ours and (when there is one) torchvision's, interleaved.

    ``budget_s`` (optional) caps the case's timing: a third for the forward pass, the rest for forward+backward;
    at least 3 repeats are always taken (see :func:`benchmarks.common.interleaved`).
    """
    models = build_pair(case)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(case.batch, 3, case.image_size, case.image_size, generator=g)
    y = torch.randint(0, 1000, (case.batch,), generator=g)
    identical = same_ops(models, x, y)
    rows = []
    modes = (("forward", lambda m: forward_fn(m, x), 1 / 3), ("forward+backward", lambda m: train_fn(m, x, y), 2 / 3))
    for mode, make, share in modes:
        load0 = load_average()
        t = interleaved({k: make(m) for k, m in models.items()}, repeats=repeats, warmup=warmup,
                            budget_s=None if budget_s is None else budget_s * share, min_repeats=min(3, repeats))
        wall, cpu = t.wall, t.cpu
        done = len(wall["ours"]) - (1 if "torchvision" in wall else 0)  # the bracketing run is not a repeat
        ours_ips, ours_spread = rate_summary(wall["ours"], case.batch)
        row = {"model": case.model, "input": f"{case.image_size}px", "batch": case.batch, "mode": mode,
               "ours_img_s": ours_ips, "ours_spread_%": ours_spread, "ours_cpu_img_s": rate_summary(cpu["ours"],
                                                                                                  case.batch)[0]}
        if "torchvision" in wall:
            tv_ips, tv_spread = rate_summary(wall["torchvision"], case.batch)
            ratio, lo, hi = paired_ratio(cpu["ours"], cpu["torchvision"])
            row |= {"tv_img_s": tv_ips, "tv_spread_%": tv_spread,
                    "tv_cpu_img_s": rate_summary(cpu["torchvision"], case.batch)[0],
                    "ratio": ratio, "ratio_min": lo, "ratio_max": hi,
                    "ratio_wall": paired_ratio(wall["ours"], wall["torchvision"])[0],
                    "ratio_best": min(wall["torchvision"]) / min(wall["ours"])}
        else:
            row |= {k: None for k in ("tv_img_s", "tv_spread_%", "tv_cpu_img_s", "ratio", "ratio_min", "ratio_max",
                                      "ratio_wall", "ratio_best")}
        row |= {"same_ops": identical, "repeats": done, "load": round((load0 + load_average()) / 2, 1)}
        rows.append(row)
        print(f"  {case.model:16s} {mode:17s} ours {ours_ips:7.2f} img/s"
              + (f" | torchvision {row['tv_img_s']:7.2f} img/s | ratio (CPU time) {row['ratio']:.3f} "
                 f"[{row['ratio_min']:.3f}, {row['ratio_max']:.3f}], wall {row['ratio_wall']:.3f}"
                 if row["ratio"] is not None else ""),
              flush=True)
    del models
    gc.collect()
    return rows


def run(cases: list[Case], repeats: int, paper_repeats: int | None = None,
        budget_s: float | None = None, malloc_tuning: bool = True) -> pd.DataFrame:
    """The table for every case; paper variants (no twin) use ``paper_repeats`` (default: ``repeats``).
    ``budget_s`` is the whole table's timing budget, shared out: a pair gets twice a single model's share.
    ``malloc_tuning``: run inside :func:`reviewlib.device.keep_freed_memory` (column ``malloc_cache``)."""
    weights = [2 if c.reference else 1 for c in cases]
    rows = []
    with keep_freed_memory(malloc_tuning) as cached:
        for case, w in zip(cases, weights):
            share = None if budget_s is None else budget_s * w / sum(weights)
            rows += run_case(case, repeats if case.reference else (paper_repeats or repeats), budget_s=share)
    table = pd.DataFrame(rows)
    table["malloc_cache"] = cached
    return table


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller inputs and fewer repeats (a sanity run)")
    p.add_argument("--repeats", type=int, default=None,
                   help=f"most interleaved repeats (default {FULL_REPEATS}, quick {QUICK_REPEATS})")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default: torch's, or 1 when the load average exceeds the CPU count)")
    p.add_argument("--models", nargs="+", default=None, help="only these cases (model names)")
    p.add_argument("--no-malloc-tuning", action="store_true", help="leave glibc's allocator at its defaults")
    p.add_argument("--budget-s", type=float, default=None,
                   help=f"timing budget for the whole table; at least 3 repeats are always taken "
                        f"(default {FULL_BUDGET_S:g}, quick {QUICK_BUDGET_S:g})")
    args = p.parse_args(argv)
    threads = set_threads(args.threads)
    cases = QUICK if args.quick else FULL
    if args.models:
        cases = [c for c in cases if c.model in args.models]
    repeats = args.repeats or (QUICK_REPEATS if args.quick else FULL_REPEATS)
    budget_s = args.budget_s if args.budget_s is not None else (QUICK_BUDGET_S if args.quick else FULL_BUDGET_S)
    print(f"models vs torchvision: {threads} thread(s), {repeats} interleaved repeats, load {load_average()}")
    table = run(cases, repeats, paper_repeats=max(1, repeats // 2), budget_s=budget_s,
                malloc_tuning=not args.no_malloc_tuning)
    print(to_text(table))
    return table


if __name__ == "__main__":
    main()
