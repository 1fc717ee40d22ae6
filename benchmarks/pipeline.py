"""Is the model starved? Loader images/s against training-step images/s at the study budget (AlexNet Sect. 4.1:
augmentation on the CPU is "computationally free" only while it keeps ahead of the training step).

Two measurements:

* ``loader``: :mod:`benchmarks.loader_throughput` (``reviewlib.data.measure_throughput``) for each paper's training
  augmentation with 0, 1 and 2 DataLoader workers, and the training step (forward, backward, SGD) of that paper's
  model at the budget's width and image size, each timed on its own. ``ratio`` = loader / training step; the
  target is >= 1.5 (headroom for the CPU the workers and the step share).
* ``end_to_end`` (full run only): the real loop, each step waiting for its batch from the loader and then
  training on it, with 0 workers and with the budget's number, against the step alone on a batch in memory timed
  around it (see :func:`end_to_end`). On a machine with few cores the workers and the step compete for the same
  CPUs, which the separate timings above cannot show; ``vs_step`` = loop / step-alone images/s (1.0: the loader
  costs nothing), ``waiting_%`` the share of the loop spent waiting for a batch.

Data: ``$REVIEWLIB_DATA``, else ``../shared/data/tiny-imagenet-10`` beside the repo, else whatever
``reviewlib.data.find_data`` finds (never the network).

    .venv/bin/python -m benchmarks.pipeline [--quick]
"""
from __future__ import annotations

import argparse
import os
import time

import pandas as pd
import torch

from reviewlib.budget import get_budget
from reviewlib.data.files import get_datasets, make_loader
from reviewlib.nets import build_model

from . import loader_throughput
from .common import REPO, load_average, set_threads, to_text

SHARED_DATA = REPO.parent / "shared" / "data" / "tiny-imagenet-10"
TARGET_RATIO = 1.5


def data_root() -> str | None:
    """``$REVIEWLIB_DATA``, else the shared Tiny ImageNet subset when present, else None (find_data decides)."""
    env = os.environ.get("REVIEWLIB_DATA", "").strip()
    if env:
        return env
    return str(SHARED_DATA) if SHARED_DATA.is_dir() else None


def loader_table(budget: str = "study", workers=(0, 1, 2), batches: int = 10, root: str | None = None) -> pd.DataFrame:
    """benchmarks/loader_throughput.py's table, with the target column added."""
    argv = ["--budget", budget, "--no-download", "--batches", str(batches), "--workers", *map(str, workers),
            "--device", "cpu"]
    if root:
        argv += ["--root", root]
    table = loader_throughput.main(argv)
    if "ratio" in table:
        table[f"meets_{TARGET_RATIO}x"] = table["ratio"] >= TARGET_RATIO
    return table


def end_to_end(paper: str, model_name: str, workers: int, budget_name: str = "study", steps: int = 4,
               root: str | None = None, prefetch_factor: int = 2) -> dict:
    """The real training loop (batch from the loader, then forward/backward/SGD) against the training step alone,
    measured in the same minute on the CPU, so a change in the machine's load hits both.

    After one warm-up step the order is: ``steps // 2`` steps on a batch already in memory, ``steps`` steps of the
    loop, ``steps - steps // 2`` steps on the batch in memory again. Before the loop is timed, the batches the
    workers queued while idle (``workers x prefetch_factor``) are used up untimed, so the loop is timed in its
    steady state.
    """
    budget = get_budget(budget_name)
    train_ds, _, _ = get_datasets(paper, budget, root=root, download=False)
    torch.manual_seed(0)
    net = build_model(model_name, num_classes=len(train_ds.wnids), width=budget.width,
                      image_size=budget.image_size_for(paper)).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    loader = make_loader(train_ds, budget.batch_size, train=True, num_workers=workers, device="cpu", drop_last=True,
                         prefetch_factor=prefetch_factor)
    from .models_vs_torchvision import _loss  # the same loss as the model benchmark (aux heads weighted 0.3)

    def step(x, y) -> None:
        opt.zero_grad(set_to_none=True)
        _loss(net(x), y).backward()
        opt.step()

    it = iter(loader)
    x0, y0 = next(it)
    step(x0, y0)  # warm-up (and worker start-up)
    alone_s = 0.0
    alone_steps = 0

    def alone(n: int) -> None:
        nonlocal alone_s, alone_steps
        t = time.perf_counter()
        for _ in range(n):
            step(x0, y0)
        alone_s += time.perf_counter() - t
        alone_steps += n

    alone(steps // 2)
    for _ in range(workers * prefetch_factor):  # the queue filled while the loop was not pulling: use it up
        step(*next(it))
    images, wait, t0 = 0, 0.0, time.perf_counter()
    for _ in range(steps):
        tw = time.perf_counter()
        x, y = next(it)
        wait += time.perf_counter() - tw
        step(x, y)
        images += len(x)
    elapsed = time.perf_counter() - t0
    alone(steps - steps // 2)
    del it, loader
    step_ips = alone_steps * len(x0) / alone_s
    loop_ips = images / elapsed
    return {"paper": paper, "model": model_name, "workers": workers, "end_to_end_img_s": loop_ips,
            "step_alone_img_s": step_ips, "vs_step": loop_ips / step_ips, "waiting_%": 100 * wait / elapsed,
            "steps": steps}


def run(quick: bool = False, budget: str = "study", root: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(loader table, end-to-end table); the end-to-end table is empty in quick mode."""
    root = root or data_root()
    workers = (0, 2) if quick else (0, 1, 2)
    loader = loader_table(budget, workers, batches=3 if quick else 8, root=root)
    rows = []
    if not quick and "train_step_img_s" in loader:
        b = get_budget(budget)
        for paper, model in loader_throughput.MODELS.items():
            step_ips = loader.loc[loader.paper == paper, "train_step_img_s"].dropna()
            # about 3 s of the loop per measurement: 2 to 12 steps
            steps = 3 if not len(step_ips) else int(min(12, max(2, round(3 * step_ips.iloc[0] / b.batch_size))))
            for w in sorted({0, b.num_workers}):
                r = end_to_end(paper, model, w, budget, steps=steps, root=root)
                r["load"] = load_average()
                rows.append(r)
                print(f"  end to end {paper:9s} workers={w}: {r['end_to_end_img_s']:7.1f} img/s, training step "
                      f"alone {r['step_alone_img_s']:7.1f} img/s -> {r['vs_step']:.2f} "
                      f"({r['waiting_%']:.0f}% of the loop waiting for data)", flush=True)
    return loader, pd.DataFrame(rows)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--budget", default="study")
    p.add_argument("--root", default=None)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    threads = set_threads(args.threads)
    print(f"data pipeline: {threads} torch threads, load {load_average()}, data {args.root or data_root()}")
    loader, e2e = run(args.quick, args.budget, args.root)
    print(to_text(loader))
    if len(e2e):
        print(to_text(e2e))
    return loader, e2e


if __name__ == "__main__":
    main()
