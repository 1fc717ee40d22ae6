"""reviewlib.train: fit, exact resume, atomic checkpoints, NaN stop, aux losses, Polyak averaging."""
from __future__ import annotations

import math
import os
import signal

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset
from torchvision.models import GoogLeNetOutputs

from reviewlib.train import loop as T
from reviewlib.train.ema import make_ema
from reviewlib.train.recipes import paper_recipe


def blobs(n_per_class=16, classes=3, size=8, seed=0, noise=1.0):
    """Images = a fixed random template per class + noise: learnable, not trivial."""
    g = torch.Generator().manual_seed(seed)
    templates = torch.randn(classes, 3, size, size, generator=torch.Generator().manual_seed(99))
    y = torch.arange(classes).repeat_interleave(n_per_class)
    x = templates[y] + noise * torch.randn(len(y), 3, size, size, generator=g)
    return TensorDataset(x, y)


class Tiny(nn.Module):
    """AlexNet-like in miniature: features, avgpool, classifier with dropout (so resume must restore the RNG)."""

    def __init__(self, classes=3):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.avgpool = nn.AdaptiveAvgPool2d(2)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(32, 16), nn.ReLU(),
                                        nn.Linear(16, classes))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)))


class FakeGoogLeNet(Tiny):
    """Returns GoogLeNetOutputs(logits, aux_logits2, aux_logits1) in train mode, logits in eval mode."""

    def __init__(self, classes=3):
        super().__init__(classes)
        self.aux1 = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, classes))
        self.aux2 = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, classes))

    def forward(self, x):
        f = self.features(x)
        logits = self.classifier(self.avgpool(f))
        if self.training:
            return GoogLeNetOutputs(logits, self.aux2(f), self.aux1(f))
        return logits


TRAIN = blobs(16, seed=0)
VAL = blobs(8, seed=1)


def recipe(paper="alexnet", **kw):
    base = dict(lr=0.05, batch_size=8, epochs=2, weight_decay=5e-4)
    base.update(kw)
    return paper_recipe(paper).with_(**base)


def loaders(generator=True, train=TRAIN, batch=8):
    gen = torch.Generator().manual_seed(1) if generator else None
    return (DataLoader(train, batch_size=batch, shuffle=True, generator=gen),
            DataLoader(VAL, batch_size=16))


def run(ckpt_dir, epochs, resume=False, model_seed=0, rec=None, generator=True, cls=Tiny, train=TRAIN):
    torch.manual_seed(model_seed)
    model = cls()
    tl, vl = loaders(generator, train)
    hist = T.fit(model, tl, vl, rec or recipe(), epochs=epochs, device="cpu", checkpoint_dir=ckpt_dir,
                 resume=resume, progress=False, seed=0)
    return model, hist


def assert_same_weights(a: nn.Module, b: nn.Module):
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb
        assert torch.equal(va, vb), f"{ka} differs by {(va - vb).abs().max().item()}"


def strip_timing(h):
    return h.drop(columns=["images_per_s", "seconds"])


@pytest.mark.parametrize("paper,generator", [("alexnet", True), ("googlenet", False)])
def test_resume_after_epoch_equals_uninterrupted(tmp_path, paper, generator):
    rec = recipe(paper, ema_decay=0.5 if paper == "googlenet" else None)
    cls = FakeGoogLeNet if paper == "googlenet" else Tiny
    full, h_full = run(tmp_path / "full", 2, rec=rec, generator=generator, cls=cls)
    _, h1 = run(tmp_path / "cut", 1, rec=rec, generator=generator, cls=cls)
    assert len(h1) == 1
    # a fresh "process": different model init, fresh loaders, global RNG scrambled
    torch.manual_seed(12345)
    resumed, h_res = run(tmp_path / "cut", 2, resume=True, model_seed=7, rec=rec, generator=generator, cls=cls)
    assert_same_weights(full, resumed)
    pd_equal = strip_timing(h_full).equals(strip_timing(h_res))
    assert pd_equal, (h_full, h_res)
    ck = T.load_checkpoint(tmp_path / "cut" / T.CHECKPOINT_NAME)
    assert ck["epoch"] == 2 and ck["batch"] == 0 and len(ck["history"]) == 2
    if paper == "googlenet":
        assert ck["ema"] is not None and int(ck["ema"]["n_averaged"]) == 2 * len(TRAIN) // 8


class SigintAt(Dataset):
    """Sends SIGINT to this process when item ``at`` is fetched the first time (simulates Ctrl-C mid-epoch)."""

    def __init__(self, base, at):
        self.base, self.at, self.fired = base, at, False

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        self.count = getattr(self, "count", 0) + 1
        if self.count == self.at and not self.fired:
            self.fired = True
            os.kill(os.getpid(), signal.SIGINT)
        return self.base[i]


def test_ctrl_c_mid_epoch_saves_and_resume_is_exact(tmp_path):
    full, h_full = run(tmp_path / "full", 2, generator=False)
    # Ctrl-C while epoch 2's third batch is loaded: 48 items per epoch, batch 8
    with pytest.raises(KeyboardInterrupt, match="epoch 2, batch 3"):
        run(tmp_path / "cut", 2, generator=False, train=SigintAt(TRAIN, at=48 + 17))
    ck = T.load_checkpoint(tmp_path / "cut" / T.CHECKPOINT_NAME)
    assert (ck["epoch"], ck["batch"]) == (1, 3)
    torch.manual_seed(999)
    resumed, h_res = run(tmp_path / "cut", 2, resume=True, model_seed=3, generator=False)
    assert_same_weights(full, resumed)
    assert strip_timing(h_full).drop(columns=[]).equals(strip_timing(h_res))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_resume_when_already_done_returns_history_without_training(tmp_path):
    model, h = run(tmp_path, 1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    again, h2 = run(tmp_path, 1, resume=True, model_seed=5)
    assert strip_timing(h).equals(strip_timing(h2))
    for k, v in again.state_dict().items():
        assert torch.equal(v, before[k])


def test_resume_with_wrong_model_names_checkpoint(tmp_path):
    run(tmp_path, 1)
    tl, vl = loaders()
    with pytest.raises(RuntimeError, match="cannot resume from .*checkpoint.pt"):
        T.fit(Tiny(classes=5), tl, vl, recipe(), epochs=2, device="cpu", checkpoint_dir=tmp_path, resume=True,
              progress=False)


def test_atomic_write_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ck.pt"
    T.save_checkpoint({"epoch": 1, "w": torch.ones(3)}, path)

    def broken_save(obj, f, *a, **k):
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        T.save_checkpoint({"epoch": 2, "w": torch.zeros(3)}, path)
    monkeypatch.undo()
    ck = T.load_checkpoint(path)
    assert ck["epoch"] == 1 and torch.equal(ck["w"], torch.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.pt"]  # no temp file left


def test_failed_checkpoint_during_fit_leaves_last_epoch(tmp_path, monkeypatch):
    run(tmp_path, 1)
    monkeypatch.setattr(torch, "save", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        run(tmp_path, 2, resume=True)
    monkeypatch.undo()
    ck = T.load_checkpoint(tmp_path / T.CHECKPOINT_NAME)
    assert ck["epoch"] == 1
    assert [p.name for p in tmp_path.iterdir()] == [T.CHECKPOINT_NAME]


def test_checkpoint_loads_with_weights_only(tmp_path):
    run(tmp_path, 1, rec=recipe("googlenet", ema_decay=0.9), cls=FakeGoogLeNet)
    ck = torch.load(tmp_path / T.CHECKPOINT_NAME, weights_only=True)
    assert set(ck) >= {"model", "optimizer", "scheduler", "ema", "rng", "history", "epoch", "recipe"}
    assert ck["recipe"]["aux_weight"] == 0.3


def test_nan_loss_names_epoch_batch_and_lr():
    x, y = TRAIN.tensors
    x = x.clone()
    x[20] = float("nan")  # in batch 3 (items 16..23) of an unshuffled epoch
    tl = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=False)
    with pytest.raises(T.TrainingDiverged, match=r"epoch 1/2, batch 3/6 \(lr 0\.05\)"):
        T.fit(Tiny(), tl, DataLoader(VAL, batch_size=16), recipe(), device="cpu", progress=False)


def test_training_lowers_loss_and_beats_chance():
    torch.manual_seed(0)
    model = Tiny()
    tl, vl = loaders()
    with torch.no_grad():
        start = T.validate(model, vl, device="cpu")
    h = T.fit(model, tl, vl, recipe(lr=0.05, epochs=8), device="cpu", progress=False)
    assert list(h.columns[:7]) == ["epoch", "lr", "train_loss", "train_acc1", "val_loss", "val_acc1", "val_acc5"]
    assert h.epoch.tolist() == list(range(1, 9))
    assert h.train_loss.iloc[-1] < 0.5 * h.train_loss.iloc[0]
    assert h.val_loss.iloc[-1] < start["loss"] - 0.5
    assert h.val_acc1.iloc[-1] >= 80.0  # chance is 33%
    assert (h.val_acc5 == 100.0).all()  # 3 classes: top-5 always right
    assert (h.images_per_s > 0).all() and (h.seconds > 0).all()


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
    tl, vl = loaders()
    h = T.fit(FakeGoogLeNet(), tl, vl, recipe("googlenet", epochs=1, ema_decay=None), device="cpu",
              progress=False)
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
    tl, vl = loaders()
    torch.manual_seed(0)
    # decay 0: the average is the last iterate, so its metrics equal the model's
    h = T.fit(Tiny(), tl, vl, recipe(epochs=1, ema_decay=0.0), device="cpu", progress=False)
    assert h.ema_val_loss.iloc[0] == pytest.approx(h.val_loss.iloc[0], rel=1e-6)
    torch.manual_seed(0)
    h = T.fit(Tiny(), tl, vl, recipe(epochs=2, ema_decay=0.9), device="cpu", progress=False)
    assert h.ema_val_loss.iloc[-1] != h.val_loss.iloc[-1]


def test_step_schedule_lr_per_epoch():
    tl, vl = loaders()
    rec = recipe("googlenet", epochs=4, step_every=2, gamma=0.5, ema_decay=None, lr=0.04)
    h = T.fit(FakeGoogLeNet(), tl, vl, rec, device="cpu", progress=False, max_batches=1)
    assert h.lr.tolist() == pytest.approx([0.04, 0.04, 0.02, 0.02])


def test_live_plot_is_a_no_op_outside_jupyter():
    tl, vl = loaders()
    h = T.fit(Tiny(), tl, vl, recipe(epochs=1), device="cpu", progress=True, live_plot=True, max_batches=2)
    assert len(h) == 1 and math.isfinite(h.val_loss.iloc[0])
