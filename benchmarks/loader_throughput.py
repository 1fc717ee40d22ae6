"""Does CPU augmentation keep the model fed? (AlexNet Sect. 4.1: augmentation is "computationally free" because it
runs on the CPU while the GPU trains on the previous batch.)

For each paper's training augmentation, prints the loader's images/s with 0, 1 and 2 DataLoader workers and the
training step's images/s (forward + backward + SGD step) of that paper's model at the budget's size, and says
whether the training step would be starved. Run from the repo root:

    .venv/bin/python benchmarks/loader_throughput.py                 # the study budget, data from find_data()
    .venv/bin/python benchmarks/loader_throughput.py --budget paper --workers 0 4 8 --batches 20
    REVIEWLIB_DATA=../shared/data/tiny-imagenet-10 .venv/bin/python benchmarks/loader_throughput.py

Takes a few minutes on a laptop CPU at the study budget; not part of the tests.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from reviewlib.budget import get_budget  # noqa: E402
from reviewlib.data.files import get_datasets, make_loader, measure_throughput  # noqa: E402
from reviewlib.device import describe_device, pick_device  # noqa: E402

MODELS = {"alexnet": "alexnet_paper", "vgg": "vgg16", "googlenet": "googlenet_paper"}


def _model(paper: str, name: str, num_classes: int, budget):
    """The paper's model at the budget's width, or None (with a note) when reviewlib.nets cannot build it."""
    try:
        from reviewlib.nets import build_model
    except ImportError as err:
        print(f"  (reviewlib.nets not available: {err}; no training-step numbers)")
        return None
    try:
        return build_model(name, num_classes=num_classes, width=budget.width,
                           image_size=budget.image_size_for(paper))
    except Exception as err:  # noqa: BLE001 - a benchmark reports and goes on
        print(f"  (cannot build {name}: {type(err).__name__}: {err}; no training-step numbers)")
        return None


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budget", default="study")
    p.add_argument("--root", default=None, help="data root (default: find_data's search)")
    p.add_argument("--papers", nargs="+", default=list(MODELS), choices=list(MODELS))
    p.add_argument("--workers", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--batches", type=int, default=10, help="batches timed per measurement")
    p.add_argument("--batch-size", type=int, default=None, help="default: the budget's")
    p.add_argument("--device", default=None)
    p.add_argument("--no-download", action="store_true", help="never try the network for Imagenette")
    args = p.parse_args(argv)

    budget = get_budget(args.budget)
    device = pick_device(args.device)
    batch_size = args.batch_size or budget.batch_size
    print(f"budget {budget.name}: image {budget.image_size} px, width {budget.width}, batch {batch_size}; "
          f"device {describe_device(device)}; torch threads {torch.get_num_threads()}")
    rows = []
    for paper in args.papers:
        train_ds, _, source = get_datasets(paper, budget, root=args.root,
                                           download=False if args.no_download else None)
        print(f"\n{paper}: {len(train_ds)} training images from {source.description}")
        train_ips = None
        model = _model(paper, MODELS[paper], len(train_ds.wnids), budget)
        for workers in args.workers:
            loader = make_loader(train_ds, batch_size, train=True, num_workers=workers, device=device)
            r = measure_throughput(loader, model if train_ips is None else None, batches=args.batches,
                                   device=device)
            train_ips = r["train_images_per_s"] if r["train_images_per_s"] is not None else train_ips
            rows.append({"paper": paper, "model": MODELS[paper] if model is not None else None,
                         "workers": workers, "loader_img_s": r["loader_images_per_s"],
                         "train_step_img_s": train_ips, "startup_s": r["startup_s"]})
            del loader
            line = f"  workers={workers}: loader {r['loader_images_per_s']:8.1f} img/s"
            if train_ips:
                verdict = "starved" if r["loader_images_per_s"] < train_ips else "keeps up"
                line += f" | train step {train_ips:8.1f} img/s ({MODELS[paper]}) -> {verdict}"
            print(line, flush=True)
    table = pd.DataFrame(rows)
    if not table.empty and table["train_step_img_s"].notna().any():
        table["ratio"] = table["loader_img_s"] / table["train_step_img_s"]
        table["starved"] = table["ratio"] < 1
    print("\n" + table.round(2).to_string(index=False))
    return table


if __name__ == "__main__":
    main()
