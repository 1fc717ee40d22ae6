"""reviewlib.train.loop: fit, exact resume, Ctrl-C, NaN stop, aux losses, Polyak averaging, schedules, progress."""
from __future__ import annotations

import inspect
import math
import os
import signal

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torchvision.models import GoogLeNetOutputs

from reviewlib.errors import CheckpointError
from reviewlib.train import loop as T
from reviewlib.train.checkpoint import load_checkpoint
from reviewlib.train.ema import make_ema
from train_helpers import (TRAIN, VAL, FakeGoogLeNet, TensorBatches, Tiny, assert_same_weights, batches, recipe,
                           strip_timing)


def run(ckpt, epochs, resume=False, model_seed=0, rec=None, cls=Tiny, **batch_kw):
    torch.manual_seed(model_seed)
    model = cls()
    train, val = batches(**batch_kw)
    hist = T.fit(model, train, val, rec or recipe(), epochs=epochs, device="cpu", checkpoint=ckpt, resume=resume,
                 progress=False, seed=0)
    return model, hist


def test_fit_is_a_loop_a_reader_takes_in_at_once():
    assert len(inspect.getsource(T.fit).splitlines()) <= 80


@pytest.mark.parametrize("paper", ["alexnet", "googlenet"])
def test_resume_after_epoch_equals_uninterrupted(tmp_path, paper):
    rec = recipe(paper, ema_decay=0.5 if paper == "googlenet" else None)
    cls = FakeGoogLeNet if paper == "googlenet" else Tiny
    full, h_full = run(tmp_path / "full.pt", 2, rec=rec, cls=cls)
    _, h1 = run(tmp_path / "cut.pt", 1, rec=rec, cls=cls)
    assert len(h1) == 1
    torch.manual_seed(12345)  # a fresh "process": other init, global RNG scrambled
    resumed, h_res = run(tmp_path / "cut.pt", 2, resume=True, model_seed=7, rec=rec, cls=cls)
    assert_same_weights(full, resumed)
    assert strip_timing(h_full).equals(strip_timing(h_res)), (h_full, h_res)
    ck = load_checkpoint(tmp_path / "cut.pt")
    assert ck["epoch"] == 2 and ck["batch"] == 0 and len(ck["history"]) == 2
    if paper == "googlenet":
        assert ck["ema"] is not None and int(ck["ema"]["n_averaged"]) == 2 * len(TRAIN[1]) // 8


def test_ctrl_c_mid_epoch_saves_at_the_end_of_the_step_and_resume_is_exact(tmp_path):
    handler_before = signal.getsignal(signal.SIGINT)  # Python's default, or SIG_IGN in a background job
    full, h_full = run(tmp_path / "full.pt", 2)
    # Ctrl-C while epoch 2's third batch is handed out: that step finishes, then the checkpoint is written
    with pytest.raises(KeyboardInterrupt, match="epoch 2, batch 3"):
        run(tmp_path / "cut.pt", 2, sigint_at=(1, 2))
    assert signal.getsignal(signal.SIGINT) is handler_before  # the handler that was there is restored
    ck = load_checkpoint(tmp_path / "cut.pt")
    assert (ck["epoch"], ck["batch"]) == (1, 3) and len(ck["history"]) == 1
    assert int(ck["ranks"][0]["sums"]["n"]) == 3 * 8  # the partial epoch's sums
    torch.manual_seed(999)
    resumed, h_res = run(tmp_path / "cut.pt", 2, resume=True, model_seed=3)
    assert_same_weights(full, resumed)
    assert strip_timing(h_full).equals(strip_timing(h_res))


def test_ctrl_c_without_checkpoint_still_stops_cleanly():
    with pytest.raises(KeyboardInterrupt, match="nothing saved"):
        run(None, 1, sigint_at=(0, 1))


def test_resume_when_already_done_returns_history_without_training(tmp_path):
    model, h = run(tmp_path / "ck.pt", 1)
    again, h2 = run(tmp_path / "ck.pt", 1, resume=True, model_seed=5)
    assert strip_timing(h).equals(strip_timing(h2))
    assert_same_weights(model, again)


def test_resume_without_a_checkpoint_starts_afresh(tmp_path):
    a, h = run(tmp_path / "none.pt", 1, resume=True)
    b, h2 = run(tmp_path / "other.pt", 1)
    assert_same_weights(a, b)


def test_resume_with_another_model_or_recipe_says_so(tmp_path):
    path = tmp_path / "ck.pt"
    run(path, 1)
    train, val = batches()
    with pytest.raises(CheckpointError, match=r"ck.pt was written for another model"):
        T.fit(Tiny(classes=5), train, val, recipe(), epochs=2, device="cpu", checkpoint=path, resume=True,
              progress=False)
    with pytest.raises(CheckpointError, match=r"ck.pt was written for another recipe \(lr 0.05 there, 0.1 here\)"):
        T.fit(Tiny(), train, val, recipe(lr=0.1), epochs=2, device="cpu", checkpoint=path, resume=True,
              progress=False)
    # a longer run of the same recipe is a continuation, not another recipe
    T.fit(Tiny(), train, val, recipe(epochs=5), epochs=2, device="cpu", checkpoint=path, resume=True, progress=False)


def test_nan_loss_names_epoch_batch_and_lr():
    x, y = TRAIN
    x = x.clone()
    x[20] = float("nan")  # in batch 3 (items 16..23) of an unshuffled epoch
    train = TensorBatches(x, y, 8, shuffle=False, augment=False)
    with pytest.raises(T.TrainingDiverged, match=r"epoch 1/2, batch 3/6 \(lr 0\.05\)"):
        T.fit(Tiny(), train, batches()[1], recipe(), device="cpu", progress=False)


def test_training_lowers_loss_and_beats_chance():
    torch.manual_seed(0)
    model = Tiny()
    train, val = batches()
    start = T.validate(model, val, device="cpu")
    h = T.fit(model, train, val, recipe(lr=0.03, epochs=8), device="cpu", progress=False)
    assert list(h.columns) == ["epoch", "lr", "train_loss", "train_acc1", "val_loss", "val_acc1", "val_acc5",
                               "images_per_s", "seconds"]
    assert h.epoch.tolist() == list(range(1, 9))
    assert h.train_loss.iloc[-1] < 0.7 * h.train_loss.iloc[0]  # with dropout 0.5 in a 16-unit layer
    assert h.val_loss.iloc[-1] < start["loss"] - 0.5
    assert h.val_acc1.iloc[-1] >= 80.0  # chance is 33%
    assert (h.val_acc5 == 100.0).all()  # 3 classes: top-5 always right
    assert (h.images_per_s > 0).all() and (h.seconds > 0).all()


def test_validate_counts_every_image_once():
    logits_model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 3))
    val = TensorBatches(*VAL, 5, shuffle=False, augment=False)  # 24 images: 4 batches of 5 and one of 4
    out = T.validate(logits_model, val, device="cpu")
    with torch.no_grad():
        logits = logits_model(VAL[0])
    assert out["loss"] == pytest.approx(F.cross_entropy(logits, VAL[1]).item(), rel=1e-6)
    assert out["acc1"] == pytest.approx(100.0 * (logits.argmax(1) == VAL[1]).float().mean().item())


def test_compute_loss_aux_weighting_exact():
    torch.manual_seed(0)
    y = torch.tensor([0, 1, 2, 1])
    main, aux2, aux1 = torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 3)
    logits, total, parts = T.compute_loss(GoogLeNetOutputs(main, aux2, aux1), y, 0.3)
    expected = F.cross_entropy(main, y) + 0.3 * (F.cross_entropy(aux1, y) + F.cross_entropy(aux2, y))
    assert logits is main
    assert torch.equal(total, expected)
    assert torch.equal(parts["aux1"], F.cross_entropy(aux1, y))
    assert torch.equal(parts["aux2"], F.cross_entropy(aux2, y))
    # plain logits: plain cross-entropy; missing aux heads are skipped
    assert torch.equal(T.compute_loss(main, y, 0.3)[1], F.cross_entropy(main, y))
    assert torch.equal(T.compute_loss(GoogLeNetOutputs(main, None, None), y, 0.3)[1], F.cross_entropy(main, y))


def test_fit_records_main_and_aux_losses():
    torch.manual_seed(0)
    train, val = batches()
    h = T.fit(FakeGoogLeNet(), train, val, recipe("googlenet", epochs=1, ema_decay=None), device="cpu",
              progress=False)
    assert list(h.columns[4:7]) == ["train_main_loss", "train_aux1_loss", "train_aux2_loss"]
    row = h.iloc[0]
    assert row.train_loss == pytest.approx(row.train_main_loss + 0.3 * (row.train_aux1_loss + row.train_aux2_loss),
                                           rel=1e-6)
    assert row.train_aux1_loss > 0 and row.train_aux2_loss > 0


def test_polyak_ema_math_on_toy():
    lin = nn.Linear(1, 1, bias=False)
    ema = make_ema(lin, decay=0.9)
    expected = None
    for w in [1.0, 2.0, 4.0, -1.0]:
        with torch.no_grad():
            lin.weight.fill_(w)
        ema.update_parameters(lin)
        expected = w if expected is None else 0.9 * expected + 0.1 * w
        assert ema.module.weight.item() == pytest.approx(expected, abs=1e-6)
    assert int(ema.n_averaged) == 4
    with pytest.raises(ValueError):
        make_ema(lin, 1.5)


def test_fit_with_ema_evaluates_averaged_weights():
    train, val = batches()
    torch.manual_seed(0)
    # decay 0: the average is the last iterate, so its metrics equal the model's
    h = T.fit(Tiny(), train, val, recipe(epochs=1, ema_decay=0.0), device="cpu", progress=False)
    assert h.ema_val_loss.iloc[0] == pytest.approx(h.val_loss.iloc[0], rel=1e-6)
    torch.manual_seed(0)
    h = T.fit(Tiny(), train, val, recipe(epochs=2, ema_decay=0.9), device="cpu", progress=False)
    assert h.ema_val_loss.iloc[-1] != h.val_loss.iloc[-1]


def test_step_schedule_lr_per_epoch():
    train, val = batches()
    rec = recipe("googlenet", epochs=4, step_every=2, gamma=0.5, ema_decay=None, lr=0.04)
    h = T.fit(FakeGoogLeNet(), train, val, rec, device="cpu", progress=False)
    assert h.lr.tolist() == pytest.approx([0.04, 0.04, 0.02, 0.02])


def test_plateau_schedule_cuts_lr_when_val_error_stalls():
    train, val = batches()
    # lr so small that the validation error cannot improve: with patience 1 the lr is divided by 10 after every
    # second stalled epoch (AlexNet Sect. 5: "divide by 10 when the validation error rate stopped improving"),
    # at most 3 times
    h = T.fit(Tiny(), train, val, recipe(lr=1e-9, patience=1, epochs=10), device="cpu", progress=False)
    assert h.lr.tolist() == pytest.approx([1e-9] * 3 + [1e-10] * 2 + [1e-11] * 2 + [1e-12] * 3, rel=1e-9)


def test_progress_shows_epoch_and_batch_with_an_eta(capsys):
    train, val = batches()
    T.fit(Tiny(), train, val, recipe(epochs=2), device="cpu", progress=True)
    err = capsys.readouterr().err
    assert "epoch 2/2 batch 6/6" in err and "12/12" in err and "<" in err  # tqdm's elapsed<remaining


def test_live_plot_is_a_no_op_outside_jupyter():
    train, val = batches()
    h = T.fit(Tiny(), train, val, recipe(epochs=1), device="cpu", progress=False, live_plot=True)
    assert len(h) == 1 and math.isfinite(h.val_loss.iloc[0])


# ------------------------------------------------------------------- the old call sites: DataLoaders, max_batches

class Jitter(Dataset):
    """A dataset whose augmentation draws from torch's global RNG in the main process (num_workers=0)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i] + 0.1 * torch.randn(self.x[i].shape), self.y[i]


class SigintAt(Dataset):
    """Sends SIGINT to this process when item number ``at`` is fetched (counting from 1, over all epochs)."""

    def __init__(self, base, at):
        self.base, self.at, self.count = base, at, 0

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        self.count += 1
        if self.count == self.at:
            os.kill(os.getpid(), signal.SIGINT)
        return self.base[i]


