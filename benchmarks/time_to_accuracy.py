"""Time to accuracy: each paper's model, paper-faithful (no BatchNorm), trained with its paper's recipe scaled to
the study budget on the 10-class Tiny ImageNet subset (../shared/data/tiny-imagenet-10, 64x64 images upsampled
to the budget's crop); prints validation top-1 and minutes per model.

    .venv/bin/python benchmarks/time_to_accuracy.py                      # alexnet_paper vgg_A vgg_D googlenet_paper
    .venv/bin/python benchmarks/time_to_accuracy.py --models vgg_A --epochs 4 --lr 0.02

The issue's target: >= 60% val top-1 within 5 minutes per model on a 2-core CPU. The report gives, per model,
the final top-1, the best, the top-1 of the last epoch that ended within ``--minutes``, the minutes, the settings
and the machine's load average (the CPUs may be shared). Decoded images are cached in memory once (the JPEG
decode is not what is measured); the paper's augmentation still runs on every image of every epoch.
``vgg_D`` is warm-started from the ``vgg_A`` trained just before it (VGG Sect. 3.1) when both are listed.

Measured (README, "Time to accuracy"), study budget, width 0.25, batch 64, study recipes:

    alexnet_paper   128 px, 1 thread, load 2.7:  60.6% at epoch 9 (3.7 min), 68.4% at 4.9 min
    vgg_A            64 px, 1 thread, load 1.1:  63.0% at epoch 13 (4.5 min), 65.0% at 4.8 min
    googlenet_paper  96 px, 2 threads, load 1.2: 60.8% (Polyak-averaged weights) at epoch 10 (3.4 min), 64.2% at 3.7 min

Earlier, at a single 96-px crop for every model and under heavy load (load average 9-10), AlexNet stayed near 40%
after 8 epochs: its pool5 map is 1x1 at 96 px. GoogLeNet at 128 px with one thread needed 8.3 minutes for 59%.
With two torch threads on a busy machine the waiting OpenMP threads spin (about 15x more CPU time per step was
seen): use ``--threads 1`` whenever the CPUs are shared.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd
import torch
from torch.utils.data import Dataset

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from reviewlib.budget import get_budget  # noqa: E402
from reviewlib.data.files import get_datasets, load_rgb, make_loader  # noqa: E402
from reviewlib.nets import build_model, paper_of  # noqa: E402
from reviewlib.train.recipes import init_model, recipe_for, warm_start_vgg  # noqa: E402
from reviewlib.train.loop import fit  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "tiny-imagenet-10"


class InMemory(Dataset):
    """The decoded RGB images of an ImageNetSubset kept in memory; the dataset's transform runs on each access."""

    def __init__(self, ds):
        self.images = [load_rgb(p) for p, _ in ds.samples]
        self.labels = [label for _, label in ds.samples]
        self.transform = ds.transform
        self.wnids = ds.wnids

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(self.images[i]), self.labels[i]


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=["alexnet_paper", "vgg_A", "vgg_D", "googlenet_paper"])
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--budget", default="study")
    p.add_argument("--image-size", type=int, default=None)
    p.add_argument("--width", type=float, default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--max-batches", type=int, default=None, help="cap on batches per epoch (quick checks)")
    p.add_argument("--lr", type=float, default=None, help="override every model's recipe lr")
    p.add_argument("--workers", type=int, default=0, help="DataLoader workers (0: augment in the training process)")
    p.add_argument("--minutes", type=float, default=5.0, help="the time target per model")
    p.add_argument("--no-warm-start", action="store_true")
    p.add_argument("--out", default=None, help="folder for checkpoints and results.csv (default: none)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads (default: torch's; 1 is far faster when other jobs share the CPUs, since "
                        "waiting OpenMP threads spin)")
    p.add_argument("--progress", action="store_true")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    if not Path(args.data).is_dir():
        raise SystemExit(f"no data at {args.data}; pass --data (a Tiny ImageNet-style folder)")
    budget = get_budget(args.budget)
    if args.image_size is not None:  # one size for every paper
        budget = budget.with_(paper_image_sizes=())
    budget = budget.with_(**{k: v for k, v in dict(image_size=args.image_size, width=args.width,
                                                      epochs=args.epochs, batch_size=args.batch_size).items()
                             if v is not None})
    device = torch.device("cpu") if not torch.cuda.is_available() else torch.device("cuda")
    print(f"budget {budget.name}: {budget.image_size}px, width {budget.width}, {budget.epochs} epochs, batch "
          f"{budget.batch_size}; {torch.get_num_threads()} threads on {device}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    cache: dict[str, tuple] = {}
    trained: dict[str, torch.nn.Module] = {}
    rows = []
    for name in args.models:
        paper = paper_of(name)
        if paper not in cache:
            t = time.perf_counter()
            train_ds, val_ds, _ = get_datasets(paper, budget, root=args.data)
            cache[paper] = (InMemory(train_ds), InMemory(val_ds))
            print(f"  data for {paper}: {len(train_ds)} train / {len(val_ds)} val images cached in "
                  f"{time.perf_counter() - t:.1f}s", flush=True)
        train_ds, val_ds = cache[paper]
        overrides = {"lr": args.lr} if args.lr is not None else {}
        recipe = recipe_for(paper, budget, **overrides)
        torch.manual_seed(0)
        size = budget.image_size_for(paper)
        model = build_model(name, num_classes=len(train_ds.wnids), width=budget.width, image_size=size)
        init_model(model, recipe)
        warm = []
        if name.startswith("vgg_") and name != "vgg_A" and "vgg_A" in trained and not args.no_warm_start:
            warm = warm_start_vgg(model, trained["vgg_A"])
        train_loader = make_loader(train_ds, recipe.batch_size, train=True, num_workers=args.workers,
                                   device=device, seed=0)
        val_loader = make_loader(val_ds, 200, train=False, num_workers=args.workers, device=device)
        load0 = os.getloadavg()[0]
        t, cpu = time.perf_counter(), time.process_time()
        ckpt = Path(args.out) / name if args.out else None
        hist = fit(model, train_loader, val_loader, recipe, device=device, checkpoint_dir=ckpt,
                   progress=args.progress, seed=0, max_batches=args.max_batches)
        minutes = (time.perf_counter() - t) / 60
        cpu_minutes = (time.process_time() - cpu) / 60
        trained[name] = model
        hist["minutes"] = hist.seconds.cumsum() / 60
        within = hist[hist.minutes <= args.minutes]
        acc_col = "ema_val_acc1" if "ema_val_acc1" in hist else "val_acc1"
        print(hist.round(3).to_string(index=False), flush=True)
        row = {
            "model": name, "paper": paper, "val_top1": hist.val_acc1.iloc[-1],
            "val_top1_ema": hist.ema_val_acc1.iloc[-1] if "ema_val_acc1" in hist else None,
            "best_top1": hist[["val_acc1"] + (["ema_val_acc1"] if "ema_val_acc1" in hist else [])].max().max(),
            f"top1_within_{args.minutes:g}min": within[acc_col].iloc[-1] if len(within) else None,
            "minutes": minutes, "cpu_minutes": cpu_minutes, "epochs": len(hist), "image_size": size, "width": budget.width,
            "batch": recipe.batch_size, "lr": recipe.lr, "init": recipe.init,
            "warm_start": ",".join(warm) if warm else "", "load_avg": round((load0 + os.getloadavg()[0]) / 2, 1),
        }
        rows.append(row)
        print(f"==> {name}: val top-1 {row['val_top1']:.1f}% (best {row['best_top1']:.1f}%) in {minutes:.2f} min "
              f"({cpu_minutes:.2f} CPU-min, load {row['load_avg']})",
              flush=True)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 220, "display.max_columns", 30):
        print(table.round(2).to_string(index=False))
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        table.to_csv(Path(args.out) / "results.csv", index=False)
    return table


if __name__ == "__main__":
    main()
