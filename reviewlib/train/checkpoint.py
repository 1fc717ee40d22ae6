"""Checkpoint files: written atomically, read with ``torch.load(weights_only=True)``.

A checkpoint is a dict of tensors and plain Python values (what ``weights_only=True`` accepts, so loading one never
runs code from the file), marked with ``"format": CHECKPOINT_FORMAT``. :mod:`reviewlib.train.state` decides what
goes in it; this module only writes and reads files.

Writing is atomic: the bytes go to a temp file in the same folder, are flushed to disk (``fsync``) and the temp file
is renamed over the old checkpoint with ``os.replace``. A crash or an error midway leaves the previous checkpoint
intact and no temp file behind.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from pathlib import Path

import torch

from ..errors import CheckpointError

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = 2  # 2: Batches-era state (per-rank torch/CUDA RNG and epoch sums); 1 had the DataLoader's RNG


def save_checkpoint(state: dict, path: str | os.PathLike) -> Path:
    """Write ``state`` to ``path`` atomically (temp file + fsync + ``os.replace``); return the path."""
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


def _not_ours(path: Path, why: str) -> CheckpointError:
    return CheckpointError(
        f"{path} is not a reviewlib checkpoint or is damaged ({why}). reviewlib reads checkpoints with "
        f"torch.load(weights_only=True), which refuses files holding arbitrary Python objects. Point at a "
        f"{CHECKPOINT_NAME} written by reviewlib.train, or move this file away (or train without resume / into "
        f"another --out folder) to start afresh.")


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint` (onto the CPU, ``weights_only=True``).

    Raises :class:`~reviewlib.errors.CheckpointError` naming the path when the file is missing, is refused by
    ``weights_only=True`` (a pickle of arbitrary objects), is truncated or damaged, or is a torch file that is not a
    reviewlib checkpoint (e.g. a bare ``state_dict``).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}; train first (python -m reviewlib.train --out FOLDER, or "
                              f"fit(..., checkpoint=PATH)) or fix the path")
    try:
        with warnings.catch_warnings():  # torch warns about the pickle protocol before refusing a foreign file
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - unpickling errors, zip errors, EOF, KeyError: the file is not ours
        first_line = (str(e).strip().splitlines() or [""])[0][:160]
        raise _not_ours(path, f"torch.load: {type(e).__name__}: {first_line}") from e
    if not isinstance(state, dict) or "format" not in state or "model" not in state:
        raise _not_ours(path, "it loads, but holds no reviewlib 'format' and 'model' entries")
    if state["format"] != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} has checkpoint format {state['format']}, this reviewlib reads format "
                              f"{CHECKPOINT_FORMAT}; train again without resume (or into another folder)")
    return state
