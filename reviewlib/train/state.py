"""The resume state: where a run stands and everything needed to continue it exactly.

A checkpoint holds the model, the optimizer (momentum buffers), the learning-rate scheduler, the averaged weights
(GoogLeNet's Polyak averaging), each process's torch and CUDA random-number state (dropout), the position (epoch and
batch), the running sums of the unfinished epoch, and the history so far. Nothing about the data: a batch's images
and its augmentation draws are a pure function of (seed, epoch, batch) (:class:`reviewlib.data.batches.Batches`),
so continuing at (epoch, batch) replays the same data. On the CPU a resumed run is bit for bit the uninterrupted one.
"""
from __future__ import annotations

import os
from dataclasses import asdict

import torch
from torch import nn

from ..errors import CheckpointError
from ..evaluate.predict import topk_correct
from . import distributed
from .checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint
from .recipes import Recipe

# Fields of a Recipe that may change between a run and its continuation (a longer run; other notes).
RESUMABLE_CHANGES = ("epochs", "notes")


def rng_state() -> dict:
    """This process's torch random-number state: the CPU generator and every CUDA device's."""
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


class TrainState:
    """The model, optimizer, scheduler and EMA of one run, plus its position and its epoch's running sums.

    ``epoch``: epochs finished; ``batch``: batches finished in the current epoch; ``sums``: this process's sums over
    those batches (``loss``, ``correct``, ``n`` and each ``<part>_loss``, weighted by batch size, on the device);
    ``seconds``: the current epoch's wall time before an interrupt; ``history``: one row per finished epoch.
    """

    def __init__(self, model: nn.Module, optimizer, scheduler, ema, recipe: Recipe, device: torch.device):
        self.model, self.optimizer, self.scheduler, self.ema, self.recipe = model, optimizer, scheduler, ema, recipe
        self.dtype = torch.float32 if device.type == "mps" else torch.float64  # MPS has no float64
        self.epoch, self.batch, self.seconds = 0, 0, 0.0
        self.sums: dict[str, torch.Tensor] = {}
        self.history: list[dict] = []

    # ------------------------------------------------------------------------------------------- epoch sums
    @torch.no_grad()
    def add_batch(self, loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor, parts: dict) -> None:
        """Add one batch to the epoch's sums (on the device: no synchronisation with the GPU)."""
        k = y.shape[0]
        new = {"loss": loss * k, "correct": topk_correct(logits, y, ks=(1,))[0], "n": torch.tensor(k)}
        new.update({f"{name}_loss": v * k for name, v in parts.items()})
        for key, v in new.items():
            v = v.detach().to(device=loss.device, dtype=self.dtype)
            self.sums[key] = self.sums[key] + v if key in self.sums else v
        self.batch += 1

    def train_metrics(self) -> dict[str, float]:
        """The epoch's training loss, top-1 accuracy (%) and loss parts over all processes, and ``n`` images."""
        s = {k: float(v) for k, v in distributed.all_sum(self.sums).items()}
        n = s.pop("n")
        row = {"train_loss": s.pop("loss") / n, "train_acc1": 100.0 * s.pop("correct") / n}
        for key in sorted(s, key=lambda k: (k != "main_loss", k)):  # main, aux1, aux2 (GoogLeNet Sect. 5)
            row[f"train_{key}"] = s[key] / n
        return row | {"n": n}

    def end_epoch(self, row: dict) -> None:
        self.history.append(row)
        self.epoch, self.batch, self.seconds, self.sums = self.epoch + 1, 0, 0.0, {}

    # ------------------------------------------------------------------------------------------- checkpoint
    def save(self, path: str | os.PathLike) -> None:
        """Write the checkpoint (rank 0; every process's RNG state and sums gathered into it), between barriers."""
        ranks = distributed.gather({"rng": rng_state(), "sums": {k: v.cpu() for k, v in self.sums.items()}})
        if distributed.is_main():
            save_checkpoint({
                "format": CHECKPOINT_FORMAT, "epoch": self.epoch, "batch": self.batch, "seconds": self.seconds,
                "history": self.history, "recipe": asdict(self.recipe), "ranks": ranks,
                "model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "ema": self.ema.state_dict() if self.ema is not None else None,
            }, path)
        distributed.barrier()

    def load(self, path: str | os.PathLike) -> None:
        """Continue from the checkpoint at ``path``; :class:`CheckpointError` when it belongs to another run."""
        ck = load_checkpoint(path)
        self._check_recipe(ck["recipe"], path)
        try:
            self.model.load_state_dict(ck["model"])
        except RuntimeError as e:
            detail = " ".join(str(e).split())[:400]
            raise CheckpointError(f"{path} was written for another model ({detail}); resume with the model that "
                                  f"wrote it, or start afresh (resume=False, or another --out folder)") from e
        self.optimizer.load_state_dict(ck["optimizer"])
        self.scheduler.load_state_dict(ck["scheduler"])
        if self.ema is not None:
            self.ema.load_state_dict(ck["ema"])
        ranks = ck["ranks"]
        if ck["batch"] and len(ranks) != distributed.world_size():
            raise CheckpointError(f"{path} was written by {len(ranks)} process(es) in the middle of an epoch; "
                                  f"resume it with {len(ranks)} process(es)")
        mine = ranks[distributed.rank() % len(ranks)]
        set_rng_state(mine["rng"])
        device = next(self.model.parameters()).device
        self.sums = {k: v.to(device) for k, v in mine["sums"].items()}
        self.epoch, self.batch, self.seconds = int(ck["epoch"]), int(ck["batch"]), float(ck["seconds"])
        self.history = list(ck["history"])

    def _check_recipe(self, saved: dict, path) -> None:
        mine = asdict(self.recipe)
        changed = [k for k in mine if k not in RESUMABLE_CHANGES and saved.get(k) != mine[k]]
        if changed:
            diffs = ", ".join(f"{k} {saved.get(k)!r} there, {mine[k]!r} here" for k in changed)
            raise CheckpointError(f"{path} was written for another recipe ({diffs}); resume with the same recipe, "
                                  f"or start afresh (resume=False, or another --out folder)")
