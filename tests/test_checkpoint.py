"""reviewlib.train.checkpoint: atomic writes, weights_only loading, and files it refuses with a message."""
from __future__ import annotations

import os
import pickle
from fractions import Fraction

import pytest
import torch

from reviewlib.errors import CheckpointError
from reviewlib.train import checkpoint as C
from reviewlib.train import loop as T
from train_helpers import FakeGoogLeNet, Tiny, batches, recipe

NOT_OURS = "is not a reviewlib checkpoint or is damaged"


def ours(**kw):
    return {"format": C.CHECKPOINT_FORMAT, "model": {"w": torch.ones(3)}, **kw}


def trained(path, epochs=1, **rec):
    torch.manual_seed(0)
    train, val = batches()
    T.fit(Tiny(), train, val, recipe(**rec), epochs=epochs, device="cpu", checkpoint=path, progress=False)


def test_atomic_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ck.pt"
    C.save_checkpoint(ours(epoch=1), path)

    def broken_save(obj, f, *a, **k):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        C.save_checkpoint(ours(epoch=2), path)
    monkeypatch.undo()
    assert C.load_checkpoint(path)["epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.pt"]  # no temp file left


def test_write_is_flushed_to_disk_before_the_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    C.save_checkpoint(ours(), tmp_path / "ck.pt")
    assert events == ["fsync", "replace"]


def test_failed_checkpoint_during_fit_leaves_last_epoch(tmp_path, monkeypatch):
    path = tmp_path / C.CHECKPOINT_NAME
    trained(path, epochs=1)
    monkeypatch.setattr(torch, "save", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        train, val = batches()
        T.fit(Tiny(), train, val, recipe(), epochs=2, device="cpu", checkpoint=path, resume=True, progress=False)
    monkeypatch.undo()
    assert C.load_checkpoint(path)["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == [C.CHECKPOINT_NAME]


def test_checkpoint_holds_the_resume_state_and_loads_with_weights_only(tmp_path):
    path = tmp_path / "ck.pt"
    torch.manual_seed(0)
    train, val = batches()
    T.fit(FakeGoogLeNet(), train, val, recipe("googlenet", ema_decay=0.9, epochs=1), device="cpu", checkpoint=path,
          progress=False)
    ck = torch.load(path, weights_only=True)
    assert set(ck) == {"format", "epoch", "batch", "seconds", "history", "recipe", "ranks", "model", "optimizer",
                       "scheduler", "ema"}
    assert ck["recipe"]["aux_weight"] == 0.3 and ck["ema"] is not None
    assert set(ck["ranks"][0]) == {"rng", "sums"} and set(ck["ranks"][0]["rng"]) == {"torch", "cuda"}


@pytest.mark.parametrize("kind", ["pickle", "torch-pickle", "truncated", "empty", "text", "state_dict"])
def test_refused_or_damaged_files_say_so(tmp_path, kind):
    path = tmp_path / f"{kind}.pt"
    if kind == "pickle":  # a plain pickle of an arbitrary object: weights_only refuses it ("Unsupported operand")
        path.write_bytes(pickle.dumps(Fraction(1, 3), protocol=4))
    elif kind == "torch-pickle":
        torch.save({"model": Fraction(1, 3)}, path)
    elif kind == "truncated":
        trained(tmp_path / "good.pt")
        data = (tmp_path / "good.pt").read_bytes()
        path.write_bytes(data[:len(data) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a checkpoint\n")
    else:  # loads, but is a bare state_dict rather than a reviewlib checkpoint
        torch.save(Tiny().state_dict(), path)
    with pytest.raises(CheckpointError) as err:
        C.load_checkpoint(path)
    msg = str(err.value)
    assert str(path) in msg and NOT_OURS in msg and "start afresh" in msg
    assert "Unsupported operand" not in msg.split("(")[0]


def test_missing_file_is_named(tmp_path):
    with pytest.raises(CheckpointError, match=f"no checkpoint at {tmp_path / 'nope.pt'}"):
        C.load_checkpoint(tmp_path / "nope.pt")


def test_resume_from_a_damaged_file_raises_checkpoint_error(tmp_path):
    path = tmp_path / "ck.pt"
    path.write_bytes(pickle.dumps(Fraction(1, 3)))
    train, val = batches()
    with pytest.raises(CheckpointError, match=NOT_OURS):
        T.fit(Tiny(), train, val, recipe(), device="cpu", checkpoint=path, resume=True, progress=False)
