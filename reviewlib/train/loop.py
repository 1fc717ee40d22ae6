"""Train a model with its paper's recipe: ``fit()`` for notebooks, ``python -m reviewlib.train`` for the shell.

``fit`` runs SGD with momentum as the recipe says (:mod:`reviewlib.recipes`: AlexNet Sect. 5, VGG Sect. 3.1,
GoogLeNet Sect. 6), with GoogLeNet's auxiliary losses (Sect. 5) and Polyak averaging (:mod:`reviewlib.ema`),
and returns the history as a DataFrame. Accuracies are percentages (``val_acc1`` = 100 - the papers' top-1 error).

Around the recipe, the usual engineering, using torch's own pieces:

* bf16 autocast and channels_last on CUDA; float32 elsewhere.
* A checkpoint (``checkpoint.pt`` in ``checkpoint_dir``) written atomically (temp file in the same folder +
  ``os.replace``) after every epoch and when interrupted (Ctrl-C / Jupyter's interrupt: the signal is deferred
  to the end of the current step, a second one stops at once). ``resume=True`` continues exactly where it stopped:
  model, optimizer, scheduler, EMA, every RNG (Python, NumPy, torch, CUDA, the DataLoader's shuffle generator),
  epoch, batch and history. Exact with ``num_workers=0`` or non-persistent workers; with persistent workers the
  augmentations after a resume differ (their RNG lives in the worker processes).
  Loaded with ``torch.load(weights_only=True)``: the checkpoint holds only tensors and plain Python values.
* A NaN/inf loss stops training with :class:`TrainingDiverged` naming the epoch, batch and learning rate.
* tqdm progress bars, and a live plot in Jupyter (``live_plot=True``; nothing outside a notebook).
* DistributedDataParallel when ``torch.distributed`` is initialised (``torchrun``): rank 0 logs and writes the
  checkpoint, with barriers around the write; metrics are summed over ranks.

CLI (also under ``torchrun --nproc_per_node=N``)::

    python -m reviewlib.train --model vgg16 --data PATH --budget study --epochs 8 --out runs/vgg16 [--resume]
"""
from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ..device import pick_device, seed_everything
from .ema import make_ema
from ..evaluate import topk_correct
from .recipes import Recipe, init_model, recipe_for, warm_start_vgg

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = 1


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; the message names the epoch, batch and learning rate."""


# ---------------------------------------------------------------------------------------------------------------
# Loss and metrics
# ---------------------------------------------------------------------------------------------------------------

def compute_loss(outputs, targets: torch.Tensor, aux_weight: float = 0.0):
    """Cross-entropy of the main logits plus ``aux_weight`` x each auxiliary classifier's (GoogLeNet Sect. 5).

    ``outputs`` is a logits tensor, or GoogLeNet's train-mode namedtuple ``(logits, aux_logits2, aux_logits1)``
    (entries may be ``None``). Returns ``(logits, total_loss, parts)`` with ``parts`` = ``{"main": ...,
    "aux1": ..., "aux2": ...}`` for tuples (empty for plain tensors);
    ``total = CE(main) + aux_weight * (CE(aux1) + CE(aux2))``.
    """
    if not isinstance(outputs, tuple):
        return outputs, F.cross_entropy(outputs, targets), {}
    fields = getattr(outputs, "_fields", None) or ["logits"] + [f"aux_logits{i}" for i in range(len(outputs) - 1, 0, -1)]
    logits = outputs[0]
    main = F.cross_entropy(logits, targets)
    parts = {"main": main}
    for name, aux in zip(fields[1:], outputs[1:]):
        if aux is not None:
            parts[name.replace("aux_logits", "aux")] = F.cross_entropy(aux, targets)
    aux_names = sorted(k for k in parts if k != "main")
    if not aux_names:
        return logits, main, parts
    aux_sum = parts[aux_names[0]]
    for k in aux_names[1:]:
        aux_sum = aux_sum + parts[k]
    return logits, main + aux_weight * aux_sum, parts


def _autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _to_device(x, y, device):
    x = x.to(device, non_blocking=True)
    if device.type == "cuda" and x.dim() == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, y.to(device, non_blocking=True)


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def _all_sum(values: list[float], device) -> list[float]:
    """Sum a list of numbers over ranks (no-op when not distributed)."""
    if not _distributed():
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


@torch.no_grad()
def validate(model: nn.Module, loader, *, device=None, max_batches: int | None = None) -> dict[str, float]:
    """Mean loss and top-1/top-5 accuracy (%) of ``model`` over ``loader`` (one centre crop per image).

    Under ``torch.distributed`` the sums are added over ranks, so a loader sharded over ranks gives the whole set.
    """
    device = torch.device(device) if device else next(model.parameters()).device
    was_training = model.training
    model.eval()
    loss_sum, c1, c5, n = 0.0, 0, 0, 0
    try:
        for b, (x, y) in enumerate(loader):
            if max_batches is not None and b >= max_batches:
                break
            x, y = _to_device(x, y, device)
            with _autocast(device):
                out = model(x)
            logits = out[0] if isinstance(out, tuple) else out
            logits = logits.float()
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            k1, k5 = topk_correct(logits, y)
            c1, c5, n = c1 + k1, c5 + k5, n + len(y)
    finally:
        model.train(was_training)
    loss_sum, c1, c5, n = _all_sum([loss_sum, c1, c5, n], device)
    if n == 0:
        raise ValueError("validate: the validation loader yielded no batches (is the validation set empty?)")
    return {"loss": loss_sum / n, "acc1": 100.0 * c1 / n, "acc5": 100.0 * c5 / n}


# ---------------------------------------------------------------------------------------------------------------
# Checkpoints and RNG states (weights_only-safe: tensors and plain Python values only)
# ---------------------------------------------------------------------------------------------------------------

def save_checkpoint(state: dict, path: str | os.PathLike) -> Path:
    """Write ``state`` with ``torch.save`` to a temp file in the same folder, then ``os.replace`` it over
    ``path``: a crash or error midway leaves the previous checkpoint intact and no temp file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` with ``weights_only=True`` (onto the CPU)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; train first (fit(..., checkpoint_dir=...)) or fix the path")
    return torch.load(path, map_location="cpu", weights_only=True)


def get_rng_state(loader_generator: torch.Generator | None = None) -> dict:
    """Every RNG's state as tensors and plain values (Python, NumPy, torch CPU, CUDA, a DataLoader generator)."""
    py_version, py_state, py_gauss = random.getstate()
    _, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    return {
        "python_version": py_version,
        "python": torch.tensor(py_state, dtype=torch.int64),
        "python_gauss": py_gauss,
        "numpy": torch.from_numpy(np_keys.astype(np.int64)),
        "numpy_pos": int(np_pos),
        "numpy_has_gauss": int(np_has_gauss),
        "numpy_gauss": float(np_gauss),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "loader": loader_generator.get_state() if loader_generator is not None else None,
    }


def set_rng_state(state: dict, loader_generator: torch.Generator | None = None) -> None:
    """Restore what :func:`get_rng_state` captured."""
    random.setstate((state["python_version"], tuple(int(v) for v in state["python"].tolist()),
                     state["python_gauss"]))
    np.random.set_state(("MT19937", state["numpy"].numpy().astype(np.uint32), state["numpy_pos"],
                         state["numpy_has_gauss"], state["numpy_gauss"]))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
    if loader_generator is not None and state["loader"] is not None:
        loader_generator.set_state(state["loader"])


def _gather_rng(loader_generator) -> list[dict]:
    """This rank's RNG state, or every rank's (all ranks must call it) when distributed."""
    mine = get_rng_state(loader_generator)
    if not _distributed():
        return [mine]
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, mine)
    return out


def _pick_rng(states: list[dict]) -> dict:
    rank = dist.get_rank() if _distributed() else 0
    return states[rank % len(states)]


# ---------------------------------------------------------------------------------------------------------------
# Interrupts, schedules, live plot
# ---------------------------------------------------------------------------------------------------------------

class _DeferredInterrupt:
    """Turn the first SIGINT into a flag checked between steps (so the checkpoint is consistent); a second one
    raises KeyboardInterrupt at once. Only in the main thread (signal handlers cannot be set elsewhere)."""

    def __init__(self):
        self.requested = False
        self._old = None
        self._installed = False

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(self, *exc):
        if self._installed:
            signal.signal(signal.SIGINT, self._old if self._old is not None else signal.SIG_DFL)
        return False


def _make_scheduler(optimizer, recipe: Recipe):
    if recipe.schedule == "step":
        def factor(epoch: int) -> float:
            return recipe.lr_factor(epoch)
        return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    floor = recipe.lr * recipe.gamma ** recipe.max_reductions
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=recipe.gamma, patience=recipe.patience, min_lr=floor, eps=floor * 1e-3)


class _LivePlot:
    """Loss and accuracy curves redrawn in place after each epoch in Jupyter; does nothing elsewhere."""

    def __init__(self, enabled: bool):
        self.handle = None
        if not enabled:
            return
        try:
            from IPython import get_ipython
            from IPython.display import display
            ip = get_ipython()
            if ip is None or "IPKernelApp" not in getattr(ip, "config", {}):
                return
            import matplotlib.pyplot as plt
            self.fig, self.axes = plt.subplots(1, 2, figsize=(10, 3.2))
            plt.close(self.fig)  # shown through the display handle only
            self.handle = display(self.fig, display_id=True)
        except Exception:  # no IPython / no display: a plot is a nicety, never a failure
            self.handle = None

    def update(self, history: pd.DataFrame) -> None:
        if self.handle is None or history.empty:
            return
        ax_loss, ax_acc = self.axes
        ax_loss.clear()
        ax_acc.clear()
        ax_loss.plot(history.epoch, history.train_loss, "o-", label="train")
        ax_loss.plot(history.epoch, history.val_loss, "o-", label="val")
        ax_loss.set(xlabel="epoch", ylabel="loss")
        ax_acc.plot(history.epoch, history.train_acc1, "o-", label="train top-1")
        ax_acc.plot(history.epoch, history.val_acc1, "o-", label="val top-1")
        if "ema_val_acc1" in history:
            ax_acc.plot(history.epoch, history.ema_val_acc1, "o--", label="val top-1 (averaged weights)")
        ax_acc.set(xlabel="epoch", ylabel="accuracy (%)")
        for ax in self.axes:
            ax.legend()
            ax.grid(alpha=0.3)
        self.fig.tight_layout()
        self.handle.update(self.fig)


# ---------------------------------------------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------------------------------------------

def fit(model: nn.Module, train_loader, val_loader, recipe: Recipe, *, epochs: int | None = None,
        device=None, checkpoint_dir: str | os.PathLike | None = None, resume: bool = False,
        max_batches: int | None = None, progress: bool = True, live_plot: bool = False,
        seed: int = 0) -> pd.DataFrame:
    """Train ``model`` with ``recipe`` for ``epochs`` (default ``recipe.epochs``) epochs in total; return the
    history, one row per epoch.

    Columns: ``epoch``, ``lr``, ``train_loss`` (the total loss, aux terms included), ``train_acc1``,
    ``val_loss``, ``val_acc1``, ``val_acc5`` (accuracies in %), ``images_per_s`` (training images per second)
    and ``seconds`` (the epoch's wall time, validation included); GoogLeNet-style outputs add
    ``train_main_loss``, ``train_aux1_loss``, ``train_aux2_loss``; ``recipe.ema_decay`` adds ``ema_val_loss``,
    ``ema_val_acc1``, ``ema_val_acc5`` (the averaged weights).

    ``epochs`` counts from the start of training, so ``fit(..., epochs=2, resume=True)`` after a 1-epoch run
    trains one more epoch. ``resume=True`` loads ``checkpoint_dir/checkpoint.pt`` when there is one (else starts
    afresh); if it already holds ``epochs`` epochs, the stored history is returned without training.
    ``max_batches`` caps the batches per epoch (training and validation). ``seed`` seeds every RNG at the start
    of a fresh run (not a resumed one); the model's initialisation is the caller's.
    """
    epochs = int(epochs or recipe.epochs)
    device = torch.device(device) if device is not None else pick_device()
    distributed = _distributed()
    rank = dist.get_rank() if distributed else 0
    is_main = rank == 0
    net = model.module if isinstance(model, DistributedDataParallel) else model
    net.to(device)
    if device.type == "cuda":
        net.to(memory_format=torch.channels_last)
    if distributed:
        train_model = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    else:
        train_model = net
    optimizer = torch.optim.SGD(net.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                                weight_decay=recipe.weight_decay)
    scheduler = _make_scheduler(optimizer, recipe)
    ema = make_ema(net, recipe.ema_decay) if recipe.ema_decay is not None else None
    loader_gen = getattr(train_loader, "generator", None)
    sampler = getattr(train_loader, "sampler", None)
    ckpt_path = Path(checkpoint_dir) / CHECKPOINT_NAME if checkpoint_dir is not None else None

    history: list[dict] = []
    start_epoch, start_batch, partial = 0, 0, None
    if resume and ckpt_path is not None and ckpt_path.is_file():
        state = load_checkpoint(ckpt_path)
        try:
            net.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            if ema is not None:
                if state["ema"] is None:
                    raise KeyError("the checkpoint has no averaged (EMA) weights but the recipe has ema_decay")
                ema.load_state_dict(state["ema"])
        except (RuntimeError, KeyError, ValueError) as e:
            raise RuntimeError(f"cannot resume from {ckpt_path}: it was written for a different model or recipe "
                               f"({e}). Use another checkpoint_dir or resume=False to start afresh.") from e
        history = list(state["history"])
        start_epoch, start_batch = int(state["epoch"]), int(state["batch"])
        partial = state["partial"]
        set_rng_state(_pick_rng(state["rng"]), loader_gen)
        if is_main and progress:
            where = f"epoch {start_epoch + 1}, batch {start_batch + 1}" if start_batch else f"epoch {start_epoch + 1}"
            print(f"resuming from {ckpt_path} at {where}")
    else:
        if resume and is_main and progress:
            print(f"resume: no checkpoint at {ckpt_path}; starting from scratch")
        seed_everything(seed)

    n_batches = len(train_loader) if max_batches is None else min(len(train_loader), max_batches)
    if n_batches == 0:
        raise ValueError("fit: the training loader has no batches (empty dataset or batch_size > dataset with "
                         "drop_last=True)")

    def checkpoint(epoch_done: int, batch_done: int, partial_state, epoch_rng):
        if ckpt_path is None:
            return
        rng = _gather_rng(loader_gen)
        erng = None
        if epoch_rng is not None:
            erng = [epoch_rng]
            if distributed:
                erng = [None] * dist.get_world_size()
                dist.all_gather_object(erng, epoch_rng)
        if distributed:
            dist.barrier()
        if is_main:
            save_checkpoint({
                "format": CHECKPOINT_FORMAT, "epoch": epoch_done, "batch": batch_done,
                "model": net.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "ema": ema.state_dict() if ema is not None else None,
                "rng": rng, "epoch_rng": erng, "partial": partial_state,
                "history": history, "recipe": {k: v for k, v in vars(recipe).items()},
            }, ckpt_path)
        if distributed:
            dist.barrier()

    from tqdm.auto import tqdm

    plot = _LivePlot(live_plot and is_main)
    plot.update(pd.DataFrame(history))
    show = progress and is_main
    epoch_bar = tqdm(total=epochs, initial=start_epoch, desc="epochs", disable=not show, leave=True)
    train_model.train()
    with _DeferredInterrupt() as interrupt:
        for epoch in range(start_epoch, epochs):
            if hasattr(sampler, "set_epoch"):
                sampler.set_epoch(epoch)
            mid_epoch = partial is not None and start_batch > 0 and epoch == start_epoch
            if mid_epoch:
                ckpt_rng = get_rng_state(loader_gen)  # the state at the interrupt, restored after skipping
                erng = state["epoch_rng"]
                set_rng_state(_pick_rng(erng), loader_gen)
            epoch_rng = get_rng_state(loader_gen)
            lr = optimizer.param_groups[0]["lr"]
            acc = {"loss": 0.0, "correct": 0.0, "n": 0.0, "seconds": 0.0, "train_seconds": 0.0}
            first = 0
            it = iter(train_loader)
            if mid_epoch:
                for _ in range(start_batch):  # same order as before the interrupt; data only, no training
                    next(it)
                set_rng_state(ckpt_rng, loader_gen)
                acc.update(partial)
                first = start_batch
            t_epoch = time.perf_counter()
            batch_bar = tqdm(total=n_batches, initial=first, desc=f"epoch {epoch + 1}/{epochs}",
                             disable=not show, leave=False)
            for b in range(first, n_batches):
                try:
                    x, y = next(it)
                except StopIteration:
                    break
                t0 = time.perf_counter()
                x, y = _to_device(x, y, device)
                with _autocast(device):
                    out = train_model(x)
                    logits, loss, parts = compute_loss(out, y, recipe.aux_weight)
                bad = not bool(torch.isfinite(loss.detach()))
                stop = interrupt.requested
                if distributed:
                    flags = torch.tensor([float(bad), float(stop)], device=device)
                    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
                    bad, stop = bool(flags[0]), bool(flags[1])
                if bad:
                    raise TrainingDiverged(
                        f"loss is {loss.item()} at epoch {epoch + 1}/{epochs}, batch {b + 1}/{n_batches} "
                        f"(lr {lr:g}); lower the learning rate (recipe.with_(lr=...)), check the initialisation "
                        f"and the inputs, then train again (the last good checkpoint is kept)")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if ema is not None:
                    ema.update_parameters(net)
                k = len(y)
                acc["loss"] += loss.item() * k
                acc["correct"] += topk_correct(logits.detach().float(), y, ks=(1,))[0]
                acc["n"] += k
                for name, v in parts.items():
                    acc[f"{name}_loss"] = acc.get(f"{name}_loss", 0.0) + v.item() * k
                acc["train_seconds"] += time.perf_counter() - t0
                batch_bar.update(1)
                if show and (b % 10 == 0 or b == n_batches - 1):
                    batch_bar.set_postfix(loss=f"{acc['loss'] / acc['n']:.3f}", lr=f"{lr:.3g}")
                if stop:
                    acc["seconds"] += time.perf_counter() - t_epoch
                    batch_bar.close()
                    epoch_bar.close()
                    checkpoint(epoch, b + 1, dict(acc), epoch_rng)
                    where = f" to {ckpt_path}" if ckpt_path is not None else " (no checkpoint_dir: nothing saved)"
                    if is_main:
                        print(f"interrupted after epoch {epoch + 1}, batch {b + 1}; saved{where}; "
                              f"fit(..., resume=True) continues from there", file=sys.stderr)
                    raise KeyboardInterrupt(f"training interrupted at epoch {epoch + 1}, batch {b + 1}")
            batch_bar.close()
            partial = None
            extra = {k: v for k, v in acc.items() if k.endswith("_loss")}
            sums = _all_sum([acc["loss"], acc["correct"], acc["n"]] + list(extra.values()), device)
            tloss, tcorrect, tn = sums[:3]
            extra = dict(zip(extra, sums[3:]))
            val = validate(net, val_loader, device=device, max_batches=max_batches)
            row = {"epoch": epoch + 1, "lr": lr, "train_loss": tloss / tn, "train_acc1": 100.0 * tcorrect / tn}
            for name in sorted(extra):
                row[f"train_{name}"] = extra[name] / tn
            row.update({"val_loss": val["loss"], "val_acc1": val["acc1"], "val_acc5": val["acc5"]})
            if ema is not None:
                ev = validate(ema.module, val_loader, device=device, max_batches=max_batches)
                row.update({"ema_val_loss": ev["loss"], "ema_val_acc1": ev["acc1"], "ema_val_acc5": ev["acc5"]})
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(100.0 - val["acc1"])  # the validation top-1 error (AlexNet Sect. 5)
            else:
                scheduler.step()
            acc["seconds"] += time.perf_counter() - t_epoch
            row["images_per_s"] = tn / max(_all_sum([acc["train_seconds"]], device)[0]
                                           / (dist.get_world_size() if distributed else 1), 1e-9)
            row["seconds"] = acc["seconds"]
            history.append(row)
            checkpoint(epoch + 1, 0, None, None)
            epoch_bar.update(1)
            if show:
                epoch_bar.set_postfix(train_loss=f"{row['train_loss']:.3f}", val_acc1=f"{row['val_acc1']:.1f}")
            plot.update(pd.DataFrame(history))
    epoch_bar.close()
    return pd.DataFrame(history)


# ---------------------------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------------------------

def _parse_args(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m reviewlib.train",
        description="Train one of the review's models with its paper's recipe scaled to a budget "
                    "(also under torchrun --nproc_per_node=N).")
    p.add_argument("--model", required=True, help="a reviewlib.nets name, e.g. alexnet_paper, vgg_D, vgg16, "
                                                   "googlenet_paper")
    p.add_argument("--data", default=None, help="data root (default: reviewlib.data.find_data's search)")
    p.add_argument("--budget", default=None, help="smoke | study | paper (default: $REVIEWLIB_BUDGET or study)")
    p.add_argument("--epochs", type=int, default=None, help="total epochs (default: the recipe's)")
    p.add_argument("--out", required=True, help="folder for checkpoint.pt and history.csv")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt when it exists")
    p.add_argument("--width", type=float, default=None, help="channel multiplier (default: the budget's)")
    p.add_argument("--image-size", type=int, default=None, help="training crop (default: the budget's)")
    p.add_argument("--classes", type=int, default=None, help="number of classes (default: the budget's)")
    p.add_argument("--max-batches", type=int, default=None, help="cap on batches per epoch")
    p.add_argument("--batch-size", type=int, default=None, help="global batch size (default: the recipe's)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: the recipe's)")
    p.add_argument("--workers", type=int, default=None, help="DataLoader workers per process")
    p.add_argument("--warm-start", default=None, help="VGG: checkpoint.pt of a trained vgg_A to copy the first "
                                                      "4 conv and last 3 FC layers from (VGG Sect. 3.1)")
    p.add_argument("--device", default=None, help="cuda | mps | cpu (default: the best available)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p.parse_args(argv)


def main(argv=None) -> pd.DataFrame:
    """Entry point of ``python -m reviewlib.train``; returns the history on rank 0 (``None`` on other ranks)."""
    args = _parse_args(argv)
    from ..budget import get_budget
    from ..data.files import get_datasets, make_loader
    from ..nets import build_model, paper_of

    world = int(os.environ.get("WORLD_SIZE", "1"))
    distributed = world > 1
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = pick_device(args.device)
    if distributed:
        if device.type == "cuda":
            device = torch.device("cuda", local_rank)
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    rank = dist.get_rank() if distributed else 0
    try:
        budget = get_budget(args.budget)
        changes = {k: v for k, v in dict(width=args.width, image_size=args.image_size, classes=args.classes,
                                          max_batches=args.max_batches, epochs=args.epochs,
                                          num_workers=args.workers).items() if v is not None}
        if args.image_size is not None:
            changes["paper_image_sizes"] = ()  # --image-size is the crop for every paper
        budget = budget.with_(**changes)
        paper = paper_of(args.model)
        overrides = {k: v for k, v in dict(batch_size=args.batch_size, lr=args.lr).items() if v is not None}
        recipe = recipe_for(paper, budget, **overrides)
        if args.epochs is not None:
            recipe = recipe.with_(epochs=args.epochs)
        train_ds, val_ds, source = get_datasets(paper, budget, root=args.data)
        num_classes = len(getattr(train_ds, "wnids", None) or []) or budget.classes
        seed_everything(args.seed)
        size = budget.image_size_for(paper)
        model = build_model(args.model, num_classes=num_classes, width=budget.width, image_size=size)
        init_model(model, recipe)
        if args.warm_start:
            source_a = build_model("vgg_A", num_classes=num_classes, width=budget.width, image_size=size)
            source_a.load_state_dict(load_checkpoint(args.warm_start)["model"])
            copied = warm_start_vgg(model, source_a)
            if rank == 0:
                print(f"warm start from {args.warm_start}: {', '.join(copied) or 'no layer matched'}")
        if recipe.batch_size % world:
            raise ValueError(f"--batch-size {recipe.batch_size} is not divisible by the {world} processes")
        per_rank = recipe.batch_size // world
        sampler = val_sampler = None
        if distributed:
            sampler = torch.utils.data.DistributedSampler(train_ds, num_replicas=world, rank=rank, shuffle=True,
                                                          seed=args.seed)
            val_sampler = list(range(rank, len(val_ds), world))  # an exact shard: no padding duplicates
        train_loader = make_loader(train_ds, per_rank, train=True, num_workers=budget.num_workers, device=device,
                                   seed=args.seed, sampler=sampler)
        val_loader = make_loader(val_ds, per_rank, train=False, num_workers=budget.num_workers, device=device,
                                 sampler=val_sampler)
        if rank == 0:
            print(f"{args.model} ({paper} recipe, budget {budget.name}) on {source.description}: "
                  f"{len(train_ds)} train / {len(val_ds)} val images, {num_classes} classes, {world} process(es) "
                  f"on {device}; batch {recipe.batch_size}, lr {recipe.lr:g}, {recipe.epochs} epochs")
        history = fit(model, train_loader, val_loader, recipe, epochs=recipe.epochs, device=device,
                      checkpoint_dir=args.out, resume=args.resume, max_batches=budget.max_batches,
                      progress=not args.no_progress, seed=args.seed)
        if rank == 0:
            history.to_csv(Path(args.out) / "history.csv", index=False)
            with pd.option_context("display.width", 200, "display.max_columns", 30):
                print(history.round(4).to_string(index=False))
            return history
        return None
    finally:
        if distributed and dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
