"""``python -m reviewlib.train``: train one model with its paper's recipe and write ``<out>/history.csv``.

    python -m reviewlib.train --model vgg_A --budget study --data PATH --out runs/vgg_A [--resume]
    torchrun --nproc_per_node=2 -m reviewlib.train ...          (several processes: reviewlib.train.distributed)

:func:`main` is four steps: parse the arguments, build the run description (:func:`describe`), train it
(:func:`train`), write the history (:func:`write_history`). A user error (an unknown budget or model, an impossible
size, a missing or empty data folder, a refused or damaged checkpoint) prints ``error: <message>`` and exits with 2.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from ..budget import Budget, get_budget
from ..data.augment import resize_side
from ..data.files import get_datasets, make_loader  # TODO(lead): the Study's data, as Batches
from ..device import pick_device, seed_everything
from ..errors import USER_ERRORS, CheckpointError, ConfigError
from ..nets import build_model, input_side, paper_of
from . import distributed
from .adapters import as_batches
from .checkpoint import CHECKPOINT_NAME, load_checkpoint
from .init import init_model, warm_start_vgg
from .loop import fit
from .recipes import recipe_for
from .run import Run


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
    p.add_argument("--workers", type=int, default=None, help="DataLoader workers per process")
    p.add_argument("--warm-start", default=None, help=f"VGG: a trained vgg_A's {CHECKPOINT_NAME} to copy the "
                                                      "first 4 conv and last 3 FC layers from (VGG Sect. 3.1)")
    p.add_argument("--device", default=None, help="cuda | mps | cpu (default: the best available)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p.parse_args(argv)


@dataclass(frozen=True)
class Job:
    """What the command line trains: one :class:`Run`, and where its data comes from."""

    run: Run
    budget: Budget  # for reviewlib.data.files.get_datasets (sizes, classes, images per class, workers)
    data: str | None
    device: torch.device
    warm_start: str | None = None


def describe(args: argparse.Namespace, device: torch.device) -> Job:
    """The run description: the budget with the command line's changes, the recipe scaled to it, the model's sizes.

    TODO(lead): replace with ``Study.for_paper(paper, args.budget, data=args.data, device=device)`` and its main run.
    """
    budget = get_budget(args.budget)
    paper = paper_of(args.model)
    changes = {k: v for k, v in dict(width=args.width, image_size=args.image_size, classes=args.classes,
                                      max_batches=args.max_batches, epochs=args.epochs,
                                      num_workers=args.workers).items() if v is not None}
    if args.image_size is not None:
        changes["paper_image_sizes"] = ()  # --image-size is the crop for every paper
    budget = budget.with_(**changes)
    overrides = {k: v for k, v in dict(batch_size=args.batch_size, lr=args.lr).items() if v is not None}
    recipe = recipe_for(paper, budget, **overrides)
    if args.epochs is not None:
        recipe = recipe.with_(epochs=args.epochs)
    size = budget.image_size_for(paper)
    run = Run(name="main", model=args.model, image_size=input_side(args.model, size), resize=resize_side(size),
              width=budget.width, epochs=recipe.epochs, batches=budget.max_batches, seeds=(args.seed,),
              recipe=recipe)
    return Job(run, budget, args.data, device, args.warm_start)


def _warm_start(model, path: str, run: Run, num_classes: int) -> list[str]:
    """VGG Sect. 3.1: copy a trained net A's first four conv and last three FC layers into ``model``."""
    if paper_of(run.model) != "vgg":
        raise ConfigError(f"--warm-start is VGG's (Sect. 3.1: deeper nets start from a trained net A); "
                          f"{run.model} is not a VGG model")
    source = build_model("vgg_A", num_classes=num_classes, width=run.width, image_size=run.image_size)
    try:
        source.load_state_dict(load_checkpoint(path)["model"])
    except RuntimeError as e:
        raise CheckpointError(f"--warm-start {path} is not a vgg_A checkpoint of this size ({str(e)[:200]}); train "
                              f"--model vgg_A with the same --width, --image-size and --classes first") from e
    return warm_start_vgg(model, source)


def train(job: Job, *, out: str | Path, resume: bool = False, progress: bool = True) -> pd.DataFrame:
    """Build the data and the model of ``job.run`` and train it with :func:`~reviewlib.train.loop.fit`; the
    checkpoint is ``out/checkpoint.pt``. Returns the history (on every process)."""
    run, device, world = job.run, job.device, distributed.world_size()
    train_ds, val_ds, source = get_datasets(run.recipe.paper, job.budget, root=job.data, seed=run.seeds[0])
    num_classes = len(train_ds.wnids)
    seed_everything(run.seeds[0])
    model = build_model(run.model, num_classes=num_classes, width=run.width, image_size=run.image_size)
    init_model(model, run.recipe)
    if job.warm_start:
        copied = _warm_start(model, job.warm_start, run, num_classes)
        if distributed.is_main():
            print(f"warm start from {job.warm_start}: {', '.join(copied) or 'no layer matched'}")
    if run.recipe.batch_size % world:
        raise ConfigError(f"--batch-size {run.recipe.batch_size} is not divisible by the {world} processes")
    train_loader, val_loader = _loaders(train_ds, val_ds, run.recipe.batch_size // world, job)
    if distributed.is_main():
        print(f"{run.model} ({run.recipe.paper} recipe, budget {job.budget.name}) on {source.description}: "
              f"{len(train_ds)} train / {len(val_ds)} val images, {num_classes} classes, {world} process(es) on "
              f"{device}; batch {run.recipe.batch_size}, lr {run.recipe.lr:g}, {run.epochs} epochs")
    return fit(model, as_batches(train_loader, device, run.batches), as_batches(val_loader, device, run.batches),
               run.recipe, epochs=run.epochs, device=device, checkpoint=Path(out) / CHECKPOINT_NAME,
               resume=resume, progress=progress, seed=run.seeds[0])


def _loaders(train_ds, val_ds, per_process: int, job: Job):
    """DataLoaders, sharded over processes under torchrun (validation without padding duplicates).
    TODO(lead): reviewlib.data.batches.Batches(..., rank=, world=) replaces this."""
    rank, world, seed = distributed.rank(), distributed.world_size(), job.run.seeds[0]
    sampler = val_sampler = None
    if world > 1:
        sampler = torch.utils.data.DistributedSampler(train_ds, num_replicas=world, rank=rank, shuffle=True,
                                                      seed=seed)
        val_sampler = list(range(rank, len(val_ds), world))
    workers = job.budget.num_workers
    return (make_loader(train_ds, per_process, train=True, num_workers=workers, device=job.device, seed=seed,
                        sampler=sampler),
            make_loader(val_ds, per_process, train=False, num_workers=workers, device=job.device,
                        sampler=val_sampler))


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
            job = describe(args, device)
            history = train(job, out=args.out, resume=args.resume, progress=not args.no_progress)
            if distributed.is_main():
                write_history(history, args.out)
    except USER_ERRORS as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
