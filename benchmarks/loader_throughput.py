"""How fast are the batches alone (no model)? The per-image PIL DataLoader against the batched path.

For each paper's study augmentation, images/s of

* ``pil``: the per-image path (``reviewlib.data.files.get_datasets`` + ``make_loader``: decode, augment with
  ``torchvision.transforms.v2`` on PIL images, collate) with 0, 1 and 2 DataLoader workers;
* ``batched``: :class:`reviewlib.data.Batches` over a store decoded once (:func:`reviewlib.data.load_store`), the
  same papers' augmentations as batched tensor ops on the device (:mod:`benchmarks.pipeline`'s ``STUDY``).

Not a test; numbers on a shared machine are noisy. Run from the repo root:

    .venv/bin/python -m benchmarks.loader_throughput [--batches 10] [--workers 0 1 2] [--device cpu]
"""
from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from reviewlib.data import Batches, load_store
from reviewlib.data.files import get_datasets, make_loader

from .common import load_average, set_threads, sync, to_text
from .pipeline import BATCH_SIZE, STORE_SIDE, STUDY, data_root


def images_per_s(batches, n: int, device) -> float:
    """Images/s over ``n`` batches of an iterable of (x, y), after one untimed batch (start-up)."""
    it = iter(batches)
    next(it)
    images, t0 = 0, time.perf_counter()
    for _ in range(n):
        x, _ = next(it)
        images += len(x)
    sync(device)
    return images / (time.perf_counter() - t0)


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=None)
    p.add_argument("--workers", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--batches", type=int, default=10, help="batches timed per measurement")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    threads = set_threads(args.threads)
    root = args.root or str(data_root())
    device = torch.device(args.device)
    print(f"batches alone: {threads} torch thread(s), load {load_average()}, device {device}, data {root}")
    store = load_store(root, "train", side=STORE_SIDE)
    rows = []
    for model, (paper, side, transform) in STUDY.items():
        b = Batches.from_store(store, transform, BATCH_SIZE, shuffle=True, seed=0, device=device)
        rows.append({"paper": paper, "path": "batched", "workers": 0,
                     "img_s": images_per_s(b.epoch(0), args.batches, device)})
        train_ds, _, _ = get_datasets(paper, "study", root=root, download=False)
        for w in args.workers:
            loader = make_loader(train_ds, BATCH_SIZE, train=True, num_workers=w, device=device)
            rows.append({"paper": paper, "path": "pil", "workers": w,
                         "img_s": images_per_s(loader, args.batches, device)})
            del loader
        print(f"  {paper}: batched {rows[-1 - len(args.workers)]['img_s']:.0f} img/s, per-image PIL "
              + ", ".join(f"{r['img_s']:.0f} ({r['workers']} workers)" for r in rows[-len(args.workers):]), flush=True)
    table = pd.DataFrame(rows)
    table["load"] = load_average()
    print(to_text(table))
    return table


if __name__ == "__main__":
    main()
