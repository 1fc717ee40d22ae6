"""Does the data path keep the model fed? End-to-end training images/s against the training step alone.

For the three study models (``alexnet_paper`` at width 0.25 with 130-px crops from a 146-px square, ``vgg_A`` at width
0.25 with 64-px crops from S in [73, 146], ``googlenet_paper`` at width 0.25 with 96-px crops), on the
tiny-imagenet-10 store (decoded once, :func:`reviewlib.data.load_store`):

* ``end to end``: batches from :class:`reviewlib.data.Batches` (gathered and augmented on the device; with
  ``--prefetch`` the next batch is prepared in a thread meanwhile) -> forward + backward + SGD step;
* ``step alone``: the same step on one fixed batch already in memory;
* ``batches``: the batches alone (no model), images/s (timed after the other two).

The first two loops are timed in turn (A B A B ... A: :func:`benchmarks.common.interleaved`), so a change of the machine's
load hits both; ``ratio`` = end-to-end / step-alone images/s, the median over repeats of the paired ratios
(target >= 0.95); ``vs_step_cpu`` the same by this process's CPU time (the work the data path adds, whether or not a
thread overlaps it with the step). Each end-to-end turn starts a fresh epoch iterator at the next batch and closes it, so the
prepared-ahead batch of one turn is never carried into the next (which would flatter the ratio).

Data: ``$REVIEWLIB_DATA``, else ``../shared/data/tiny-imagenet-10`` beside the repo. Written to stdout:

    .venv/bin/python -m benchmarks.pipeline [--quick] [--threads N] [--device cpu] [--prefetch] [--models ...]

``measure_throughput`` (the old per-image DataLoader check notebook 01 calls) lives here too.
"""
from __future__ import annotations

import argparse
import copy
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F

from reviewlib.data import AlexNetTrain, Batches, GoogLeNetTrain, VGGTrain, load_store
from reviewlib.nets import build_model

from .common import REPO, interleaved, load_average, malloc_cache, paired_ratio, rate_summary, set_threads, sync, \
    to_text

SHARED_DATA = REPO.parent / "shared" / "data" / "tiny-imagenet-10"
TARGET_RATIO = 1.5  # batches alone / training step (headroom)
TARGET_END_TO_END = 0.95  # end to end / training step alone
BATCH_SIZE = 64
WIDTH = 0.25
STORE_SIDE = 146  # the largest side any of the three transforms reads (Tiny ImageNet stays at its 64 px)

# model -> (paper, model input side, training transform): the study settings of the three papers
STUDY = {
    "alexnet_paper": ("alexnet", 130, AlexNetTrain(resize=146, crop=130)),
    "vgg_A": ("vgg", 64, VGGTrain(s_min=73, s_max=146, crop=64)),
    "googlenet_paper": ("googlenet", 96, GoogLeNetTrain(crop=96)),
}


def data_root() -> Path:
    """``$REVIEWLIB_DATA``, else the shared Tiny ImageNet subset."""
    env = os.environ.get("REVIEWLIB_DATA", "").strip()
    return Path(env) if env else SHARED_DATA


def loss_of(out, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy; GoogLeNet in train mode returns (logits, aux2, aux1): the aux losses weigh 0.3 (Sect. 5)."""
    if isinstance(out, tuple):
        main, *aux = out
        return F.cross_entropy(main, y) + 0.3 * sum(F.cross_entropy(a, y) for a in aux)
    return F.cross_entropy(out, y)


def end_to_end(model_name: str, store, *, device: torch.device, steps: int = 6, repeats: int = 5,
               budget_s: float = 60.0, prefetch: bool = False) -> dict:
    """One row of the table for ``model_name``: the step alone and end to end in turn, then the batches alone."""
    paper, side, transform = STUDY[model_name]
    torch.manual_seed(0)
    net = build_model(model_name, num_classes=len(store.wnids), width=WIDTH, image_size=side).to(device).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    batches = Batches.from_store(store, transform, BATCH_SIZE, shuffle=True, seed=0, device=device,
                                 drop_last=True, prefetch=prefetch)
    x0, y0 = batches.batch(0, 0)
    position = {"i": 0}  # the next batch of the endless sequence of epochs

    def step(x, y) -> None:
        opt.zero_grad(set_to_none=True)
        loss_of(net(x), y).backward()
        opt.step()

    def loop(train: bool) -> None:
        done = 0
        while done < steps:
            e, start = divmod(position["i"], len(batches))
            it = batches.epoch(e, start)
            for x, y in it:
                if train:
                    step(x, y)
                done += 1
                position["i"] += 1
                if done == steps:
                    break
            it.close()  # waits for the batch prepared ahead: counted in this turn
        sync(device)

    t = interleaved({"step alone": lambda: [step(x0, y0) for _ in range(steps)], "end to end": lambda: loop(True)},
                    repeats=repeats, warmup=1, device=device, budget_s=budget_s)
    alone = interleaved({"batches": lambda: loop(False)}, repeats=3, warmup=0, device=device)
    images = steps * BATCH_SIZE
    ratio, lo, hi = paired_ratio(t.wall["end to end"], t.wall["step alone"])
    work = paired_ratio(t.cpu["end to end"], t.cpu["step alone"])[0]  # CPU seconds: the work added, overlap or not
    return {"paper": paper, "model": model_name, "input": side, "workers": 0,
            "step_alone_img_s": rate_summary(t.wall["step alone"], images)[0],
            "end_to_end_img_s": rate_summary(t.wall["end to end"], images)[0],
            "loader_img_s": rate_summary(alone.wall["batches"], images)[0],
            "vs_step": ratio, "vs_step_min": lo, "vs_step_max": hi, "vs_step_cpu": work,
            "waiting_%": max(0.0, 100 * (1 - ratio)),  # the share of the loop's time the data path adds
            "meets_0.95": ratio >= TARGET_END_TO_END, "repeats": len(t.wall["end to end"]),
            "prefetch": batches.prefetch, "load": load_average()}


def run(quick: bool = False, root: str | Path | None = None, device: str = "cpu", prefetch: bool = False,
        models=tuple(STUDY)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(batches vs step table, end-to-end table) for the three study models (``python -m benchmarks`` reads both)."""
    root = Path(root) if root else data_root()
    dev = torch.device(device)
    t0 = time.perf_counter()
    store = load_store(root, "train", side=STORE_SIDE)
    print(f"  store: {len(store)} images of {store.side} px decoded in {store.seconds:.2f} s "
          f"({time.perf_counter() - t0:.2f} s with listing)", flush=True)
    rows = []
    with malloc_cache():
        for name in models:
            r = end_to_end(name, store, device=dev, steps=3 if quick else 12, repeats=3 if quick else 7,
                           budget_s=20 if quick else 90, prefetch=prefetch)
            rows.append(r)
            print(f"  {name:16s} end to end {r['end_to_end_img_s']:7.1f} img/s, step alone "
                  f"{r['step_alone_img_s']:7.1f} img/s -> {r['vs_step']:.3f} (range {r['vs_step_min']:.2f}-"
                  f"{r['vs_step_max']:.2f}; by CPU time {r['vs_step_cpu']:.3f}); batches alone "
                  f"{r['loader_img_s']:7.0f} img/s", flush=True)
    e2e = pd.DataFrame(rows)
    table = e2e[["paper", "model", "workers", "loader_img_s"]].copy()
    table["train_step_img_s"] = e2e["step_alone_img_s"]
    table["ratio"] = table["loader_img_s"] / table["train_step_img_s"]
    table[f"meets_{TARGET_RATIO}x"] = table["ratio"] >= TARGET_RATIO
    return table, e2e


# ----------------------------------------------------------------------------- the old per-image loader check
def measure_throughput(loader, model: torch.nn.Module | None = None, *, batches: int = 10,
                       device: torch.device | str | None = None, warmup: int = 1, lr: float = 0.01) -> dict:
    """Loader images/s against training-step images/s: does augmentation on the CPU keep the model fed?

    The loader (any iterable of ``(x, y)`` batches) is timed over ``batches`` batches after the first and after the
    ``num_workers * prefetch_factor`` batches its workers prepared during start-up (start-up is reported as
    ``startup_s``). The training step (forward, backward, SGD step on a copy of ``model``, so its weights are
    untouched) is timed on one loaded batch repeated ``batches`` times, after ``warmup`` steps. ``ratio`` =
    loader / train-step images/s; ``starved`` is True when the loader is the slower one.
    """
    if batches < 1:
        raise ValueError(f"measure_throughput: batches must be >= 1, got {batches}")
    if device is None:
        from reviewlib.device import pick_device

        device = pick_device()
    device = torch.device(device)
    t0 = time.perf_counter()
    it = iter(loader)
    try:
        first = next(it)
    except StopIteration:
        raise ValueError("measure_throughput: the loader yields no batches") from None
    startup = time.perf_counter() - t0
    # batches the workers prepared while starting up would come out instantly and flatter the loader
    prefetched = getattr(loader, "num_workers", 0) * (getattr(loader, "prefetch_factor", None) or 0)
    for _ in range(prefetched):
        if next(it, None) is None:
            break
    images, timed = 0, 0
    t0 = time.perf_counter()
    for batch in it:
        images += len(batch[0])
        timed += 1
        if timed >= batches:
            break
    elapsed = time.perf_counter() - t0
    del it
    if timed == 0:  # a one-batch loader: count the first batch, start-up included
        images, elapsed = len(first[0]), startup
    result: dict[str, Any] = {
        "loader_images_per_s": images / max(elapsed, 1e-9), "loader_batches": timed, "startup_s": startup,
        "batch_size": len(first[0]), "num_workers": getattr(loader, "num_workers", 0), "device": str(device),
        "train_images_per_s": None, "ratio": None, "starved": None,
    }
    if model is None:
        return result
    net = copy.deepcopy(model).to(device).train()
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    x = first[0].to(device, non_blocking=True)
    y = torch.as_tensor(first[1]).to(device, non_blocking=True)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        loss_of(net(x), y).backward()
        opt.step()

    for _ in range(warmup):
        step()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(batches):
        step()
    sync(device)
    train_ips = batches * len(x) / max(time.perf_counter() - t0, 1e-9)
    result["train_images_per_s"] = train_ips
    result["ratio"] = result["loader_images_per_s"] / train_ips
    result["starved"] = result["loader_images_per_s"] < train_ips
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--root", default=None, help="data root (default: $REVIEWLIB_DATA or ../shared/data/...)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--prefetch", action="store_true", help="prepare the next batch in a thread during the step")
    p.add_argument("--models", nargs="+", default=list(STUDY), choices=list(STUDY))
    args = p.parse_args(argv)
    threads = set_threads(args.threads)
    print(f"data pipeline: {threads} torch thread(s), load {load_average()}, device {args.device}, "
          f"data {args.root or data_root()}", flush=True)
    table, e2e = run(args.quick, args.root, args.device, prefetch=args.prefetch, models=args.models)
    print(to_text(e2e.drop(columns=["workers"])))
    return table, e2e


if __name__ == "__main__":
    main()
