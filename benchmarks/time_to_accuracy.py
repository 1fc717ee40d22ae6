"""Time to accuracy: each paper's main run, trained exactly as the notebook and ``python -m reviewlib.train`` train it,
on a given data folder; prints the validation top-1 of every epoch and the time.

A thin wrapper: for each paper, ``Study.for_paper(paper, budget, data=...)`` gives the main run (model, real input
side, resize, width, epochs, recipe) and :func:`reviewlib.experiments.runner.train_variant` trains it with seed 0,
the same call ``python -m reviewlib.train --model <model> --budget <budget> --data <folder>`` makes. Nothing is
tuned here: to change a run, change its paper's plan or recipe.

    .venv/bin/python -m benchmarks.time_to_accuracy --data ../shared/data/tiny-imagenet-10
    .venv/bin/python -m benchmarks.time_to_accuracy --data ../shared/data/tiny-imagenet-10b --papers vgg
    .venv/bin/python -m benchmarks.time_to_accuracy --budget smoke      # a seconds-long check of the code path
    .venv/bin/python benchmarks/time_to_accuracy.py ...                  # the same, run as a script

The issue's targets (study budget, 2-core CPU): >= 60% val top-1 on tiny-imagenet-10 and about 50% on ten other
classes (tiny-imagenet-10b), each notebook within 10 minutes. The report gives, per run, the final and best top-1
(and the Polyak-averaged weights' for GoogLeNet), minutes by the wall clock and CPU-minutes of this process, the
torch threads and the load average (the CPUs may be shared: use ``--threads 1`` when they are, since waiting OpenMP
threads spin).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd
import torch

if __package__ in (None, ""):  # run as a script: python benchmarks/time_to_accuracy.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import PAPERS, data_root, load_average  # noqa: E402
from reviewlib.experiments.runner import train_variant  # noqa: E402
from reviewlib.study import Study  # noqa: E402


def train_main_run(paper: str, *, budget: str, data: str, device: str | None, epochs: int | None = None,
                   progress: bool = False) -> tuple[pd.DataFrame, dict]:
    """Train ``paper``'s main run; (its history, one summary row)."""
    study = Study.for_paper(paper, budget, data=data, device=device)
    run = study.runs["main"]
    if epochs is not None:
        run = study.run("main", model=run.model, epochs=epochs, batches=run.batches, width=run.width,
                        seeds=run.seeds, eval_images=run.eval_images)
    print(f"{paper}: {run.model}, {run.image_size}-px input from a {run.resize}-px square, width {run.width:g}, "
          f"{run.epochs} epochs{f' of {run.batches} batches' if run.batches else ''}, batch {study.batch_size}, "
          f"lr {run.recipe.lr:g} ({run.recipe.schedule}) on {study.data.description}, {study.device}", flush=True)
    load0, t0, c0 = load_average(), time.perf_counter(), time.process_time()
    history = train_variant(study, run, seed=0, progress=progress).history
    minutes, cpu_minutes = (time.perf_counter() - t0) / 60, (time.process_time() - c0) / 60
    acc = [c for c in ("val_acc1", "ema_val_acc1") if c in history]
    for r in history.itertuples(index=False):
        print(f"  epoch {r.epoch:3d}  " + "  ".join(f"{c} {getattr(r, c):5.1f}%" for c in acc)
              + f"  ({r.seconds:.0f} s, {r.images_per_s:.0f} img/s)", flush=True)
    row = {"paper": paper, "model": run.model, "data": Path(study.data.root).name,
           "val_top1": history.val_acc1.iloc[-1],
           "ema_val_top1": history.ema_val_acc1.iloc[-1] if "ema_val_acc1" in history else None,
           "best_top1": float(history[acc].max().max()), "epochs": len(history), "minutes": minutes,
           "cpu_minutes": cpu_minutes, "input": run.image_size, "width": run.width, "batch": study.batch_size,
           "lr": run.recipe.lr, "threads": torch.get_num_threads(), "load": round((load0 + load_average()) / 2, 1)}
    print(f"==> {paper} ({run.model}): val top-1 {row['val_top1']:.1f}% (best {row['best_top1']:.1f}%) in "
          f"{minutes:.2f} min ({cpu_minutes:.2f} CPU-min, load {row['load']})", flush=True)
    return history, row


def main(argv=None) -> pd.DataFrame:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=None, help="data folder (default: $REVIEWLIB_DATA or ../shared/data/"
                                                "tiny-imagenet-10)")
    p.add_argument("--papers", nargs="+", default=list(PAPERS), choices=list(PAPERS))
    p.add_argument("--budget", default="study", help="smoke | study | paper (default: study)")
    p.add_argument("--epochs", type=int, default=None, help="train this many epochs instead (a quick look only)")
    p.add_argument("--device", default=None, help="cuda | mps | cpu (default: the best available)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--progress", action="store_true", help="progress bars")
    p.add_argument("--out", default=None, help="folder for results.csv and <paper>_history.csv")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    data = str(data_root(args.data))
    print(f"time to accuracy, budget {args.budget}, data {data}: {torch.get_num_threads()} torch thread(s), load "
          f"average {load_average()} on {os.cpu_count()} CPUs", flush=True)
    rows = []
    for paper in args.papers:
        history, row = train_main_run(paper, budget=args.budget, data=data, device=args.device, epochs=args.epochs,
                                      progress=args.progress)
        rows.append(row)
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            history.to_csv(Path(args.out) / f"{paper}_history.csv", index=False)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 220, "display.max_columns", 30):
        print(table.round(2).to_string(index=False))
    if args.out:
        table.to_csv(Path(args.out) / "results.csv", index=False)
    return table


if __name__ == "__main__":
    sys.exit(0 if main() is not None else 1)
