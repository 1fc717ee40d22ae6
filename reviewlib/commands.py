"""The command lines (entry points, like the notebooks' first cells: the only places a Study is built).

``python -m reviewlib.train`` (:func:`main`): train one model with its paper's recipe, exactly as the notebook's
main run trains, and write ``<out>/history.csv``. ``python -m reviewlib.experiments record`` (:func:`record_main`):
a notebook's experiments run longer, saved under results/.

    python -m reviewlib.train --model vgg_A --budget study --data PATH --out runs/vgg_A [--resume]
    torchrun --nproc_per_node=2 -m reviewlib.train ...          (several processes: reviewlib.train.distributed)

``python -m reviewlib.train`` is four steps: parse the arguments, build the run description (:func:`describe`), train it
(:func:`train`), write the history (:func:`write_history`). A user error (an unknown budget or model, an impossible
size, a missing or empty data folder, a refused or damaged checkpoint) prints ``error: <message>`` and exits with 2.
"""
from __future__ import annotations

import argparse
import sys
import time
from importlib import import_module
from pathlib import Path

import pandas as pd
import torch

from .device import pick_device
from .errors import USER_ERRORS, CheckpointError, ConfigError
from .experiments import record
from .experiments.runner import splits, train_variant
from .nets import build_model, paper_of
from .papers import NOTEBOOKS
from .study import Study
from .train import distributed
from .train.checkpoint import CHECKPOINT_NAME, load_checkpoint
from .train.run import Run


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m reviewlib.train",
        description="Train one of the review's models with its paper's recipe scaled to a budget "
                    "(also under torchrun --nproc_per_node=N).")
    p.add_argument("--model", required=True, help="a reviewlib.nets name, e.g. alexnet_paper, vgg_A, vgg16, "
                                                   "googlenet_paper")
    p.add_argument("--data", default=None, help="data root (default: reviewlib.data's search)")
    p.add_argument("--budget", default=None, help="smoke | study | paper (default: $REVIEWLIB_BUDGET or study)")
    p.add_argument("--epochs", type=int, default=None, help="total epochs (default: the recipe's)")
    p.add_argument("--out", required=True, help=f"folder for {CHECKPOINT_NAME} and history.csv")
    p.add_argument("--resume", action="store_true", help=f"continue from OUT/{CHECKPOINT_NAME} when it exists")
    p.add_argument("--width", type=float, default=None, help="channel multiplier (default: the budget's)")
    p.add_argument("--image-size", type=int, default=None, help="training crop (default: the budget's)")
    p.add_argument("--classes", type=int, default=None, help="number of classes (default: the budget's)")
    p.add_argument("--max-batches", type=int, default=None, help="cap on batches per epoch")
    p.add_argument("--batch-size", type=int, default=None, help="global batch size (default: the recipe's)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: the recipe's)")
    p.add_argument("--warm-start", default=None, help=f"VGG: a trained vgg_A's {CHECKPOINT_NAME} to copy the "
                                                      "first 4 conv and last 3 FC layers from (VGG Sect. 3.1)")
    p.add_argument("--device", default=None, help="cuda | mps | cpu (default: the best available)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p.parse_args(argv)


def describe(args: argparse.Namespace, device: torch.device) -> tuple[Study, Run]:
    """The run description: the study of the model's paper under ``--budget`` (data found once) and its main run,
    with the command line's changes applied through the same size rules (:meth:`Study.run`)."""
    paper = paper_of(args.model)
    study = Study.for_paper(paper, args.budget, data=args.data, device=str(device))
    changes = {k: v for k, v in dict(classes=args.classes, batch_size=args.batch_size).items() if v is not None}
    if changes:
        study = study.with_(**changes)
    main = study.runs["main"]
    recipe_changes = {"lr": args.lr} if args.lr is not None else {}
    run = study.run("main", model=args.model, size=args.image_size, epochs=args.epochs or main.epochs,
                    batches=args.max_batches if args.max_batches is not None else main.batches,
                    width=args.width if args.width is not None else main.width, seeds=(args.seed,),
                    **recipe_changes)
    return study, run


def warm_source(path: str, study: Study, run: Run) -> torch.nn.Module:
    """VGG Sect. 3.1: the trained net A whose first four conv and last three FC layers start ``run``'s model."""
    if paper_of(run.model) != "vgg":
        raise ConfigError(f"--warm-start is VGG's (Sect. 3.1: deeper nets start from a trained net A); "
                          f"{run.model} is not a VGG model")
    source = build_model("vgg_A", num_classes=len(splits(study, run)[0].wnids), width=run.width,
                         image_size=run.image_size)
    try:
        source.load_state_dict(load_checkpoint(path)["model"])
    except RuntimeError as e:
        raise CheckpointError(f"--warm-start {path} is not a vgg_A checkpoint of this size ({str(e)[:200]}); train "
                              f"--model vgg_A with the same --width, --image-size and --classes first") from e
    return source


def train(study: Study, run: Run, *, out: str | Path, resume: bool = False, progress: bool = True,
          warm_start: str | None = None) -> pd.DataFrame:
    """Train ``run`` exactly as the notebook's main run trains (:func:`~reviewlib.experiments.runner.
    train_variant`), checkpointing to ``out/checkpoint.pt``; returns the history (on every process)."""
    warm = warm_source(warm_start, study, run) if warm_start else None
    if distributed.is_main():
        r = run.recipe
        print(f"{run.model} ({r.paper} recipe, budget {study.budget.name}) on {study.data.description}: "
              f"{run.image_size}-px input, width {run.width:g}, {distributed.world_size()} process(es) on "
              f"{study.device}; batch {study.batch_size}, lr {r.lr:g} ({r.schedule}), {run.epochs} epochs")
    trained = train_variant(study, run, seed=run.seeds[0], warm=warm, checkpoint=Path(out) / CHECKPOINT_NAME,
                            resume=resume, progress=progress)
    if warm is not None and distributed.is_main():
        print(f"warm start from {warm_start}: {', '.join(trained.warm_started) or 'no layer matched'}")
    return trained.history


def write_history(history: pd.DataFrame, out: str | Path) -> Path:
    """``out/history.csv`` (one row per epoch: val_acc1, and ema_val_acc1 with Polyak averaging), and print it."""
    path = Path(out) / "history.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    history.to_csv(path, index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(history.round(4).to_string(index=False))
    return path


def main(argv=None) -> int:
    """Parse, describe, train, write the history; ``error: <message>`` and exit status 2 for a user error."""
    args = parse_args(argv)
    try:
        with distributed.process_group(pick_device(args.device)) as device:
            study, run = describe(args, device)
            history = train(study, run, out=args.out, resume=args.resume, progress=not args.no_progress,
                            warm_start=args.warm_start)
            if distributed.is_main():
                write_history(history, args.out)
    except USER_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def record_main(argv=None) -> int:
    """``python -m reviewlib.experiments record --paper P``: a notebook's experiments, run longer and with more
    seeds (``papers.P.plan.recorded``), saved under results/P/ (:mod:`reviewlib.experiments.record`)."""
    p = argparse.ArgumentParser(prog="python -m reviewlib.experiments",
                                description="Record a notebook's experiments with more steps and seeds.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("record", help="run a notebook's experiments longer and save them under results/<paper>/")
    r.add_argument("--paper", required=True, help=f"one of {', '.join(NOTEBOOKS)}")
    r.add_argument("--budget", default="study", help="smoke | study | paper (default: study)")
    r.add_argument("--data", default=None, help="data root (default: reviewlib.data's search)")
    r.add_argument("--only", nargs="*", default=None, help="record only these experiments (default: all)")
    r.add_argument("--out", default=None, help="results folder (default: the repo's results/)")
    args = p.parse_args(argv)
    try:
        if args.paper not in NOTEBOOKS:
            raise ConfigError(f"unknown paper {args.paper!r}; choose one of {', '.join(NOTEBOOKS)}")
        study = import_module(f"reviewlib.papers.{args.paper}.plan").recorded(
            Study.for_paper(args.paper, args.budget, data=args.data))
        experiments = import_module(f"reviewlib.papers.{args.paper}.experiments").EXPERIMENTS
        unknown = set(args.only or ()) - set(experiments)
        if unknown:
            raise ConfigError(f"--only {sorted(unknown)}: {args.paper} records {', '.join(experiments)}")
        for name, experiment in experiments.items():
            if args.only and name not in args.only:
                continue
            start = time.perf_counter()
            result = experiment(study)
            path = record.save(result, args.paper, name, runs=study.runs.values(), device=study.device,
                               seconds=time.perf_counter() - start,
                               folder=Path(args.out) if args.out else None)
            print(f"{args.paper}/{name}: {time.perf_counter() - start:.0f} s -> {path}", flush=True)
    except USER_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
