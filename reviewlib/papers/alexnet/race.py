"""Fig. 1 in its own setting: ReLU against tanh in the paper's four-layer CNN (Krizhevsky et al. 2012, Sect. 3.1).

Fig. 1: "A four-layer convolutional neural network with ReLUs (solid line) reaches a 25% training error rate on
CIFAR-10 six times faster than an equivalent network with tanh neurons (dashed line). The learning rates for each
network were chosen independently to make training as fast as possible. No regularization of any kind was
employed." The net is ``alexnet_fig1`` (:mod:`reviewlib.nets.alexnet`); the data CIFAR-10 when it is on disk or can
be downloaded, else the study's ImageNet subset at 32 px (:func:`race_data`).

:func:`race` runs the whole experiment for one initialisation: for each activation, a short learning-rate sweep
whose runs *are* the race (each trains until the target training error, and stops as soon as it can no longer beat
the best rate found so far), then the epochs of the best rate and the tanh / ReLU ratio. The initialisation is the
factor the notebook varies (:data:`INITS`).
"""
from __future__ import annotations

import math
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from ...data.augment import IMAGENET_STD, CentreCrop
from ...data.batches import Batches
from ...data.sources import DEFAULT_DATA_DIR, network_available
from ...data.store import load_store
from ...device import seed_everything
from ...nets import build_model
from ...train.loop import fit
from ...train.run import Run

TARGET = 25.0  # Fig. 1: training error (%)
PAPER_RATIO = 6.0  # "six times faster"
ACTIVATIONS = ("relu", "tanh")
CIFAR_ROOT = DEFAULT_DATA_DIR / "cifar10"
CIFAR_HOST = "www.cs.toronto.edu"  # where torchvision's CIFAR-10 archive lives
SIDE = 32  # CIFAR-10's side; the fallback subset is stored at it
RAW_SCALE = 255.0  # the paper's nets saw pixel values on 0-255 (mean subtracted), not normalised ones

#: The two starting points compared: how the pixels reach the net and how its weights start.
#: ``default``: pixels normalised to mean 0 and std 1 per channel, PyTorch's default init (uniform within
#: +-1/sqrt(fan_in)), so every layer's pre-activations start about as wide as its inputs and tanh in its linear range.
#: ``paper``: as the paper's nets were fed and started (Sect. 5): pixel values on 0-255 with the mean subtracted
#: (a standard deviation of about 58) and every weight from N(0, 0.01), biases 0 (for Fig. 1's small net the paper
#: gives no init; this is AlexNet's rule). The first layer's pre-activations then start several units wide: tanh
#: starts saturated there, ReLU does not saturate at any scale.
INITS = {
    "default": "normalised pixels, PyTorch's default init U(-1/sqrt(fan_in), 1/sqrt(fan_in))",
    "paper": "0-255 pixels (mean subtracted), N(0, 0.01) weights, biases 0",
}


class RawPixels(nn.Module):
    """Put normalised pixels back on the paper's scale: 0-255 with the mean subtracted (``x * 255 * std_c``)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.register_buffer("scale", RAW_SCALE * torch.tensor(IMAGENET_STD)[None, :, None, None])
        self.net = net
        self.layer_names = {f"net.{k}": v for k, v in getattr(net, "layer_names", {}).items()}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * self.scale)


@dataclass(frozen=True)
class RaceData:
    """The race's images as uint8 squares of 32 px and their labels."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    val_images: torch.Tensor
    val_labels: torch.Tensor
    description: str
    cifar: bool


def _first_per_class(labels: torch.Tensor, per_class: int | None) -> torch.Tensor:
    """Indices of the first ``per_class`` images of each class (all when None), in their order."""
    if per_class is None:
        return torch.arange(len(labels))
    keep = [torch.nonzero(labels == c).flatten()[:per_class] for c in labels.unique().tolist()]
    return torch.cat(keep).sort().values


def cifar10(per_class: int | None, *, download: bool, root: Path = CIFAR_ROOT) -> RaceData | None:
    """CIFAR-10 from ``root`` (``torchvision.datasets.CIFAR10``), downloaded there when ``download`` and the host
    answers; None when it is neither on disk nor downloadable."""
    from torchvision.datasets import CIFAR10

    present = (Path(root) / "cifar-10-batches-py").is_dir()
    if not present and not (download and network_available(CIFAR_HOST)):
        return None
    try:
        train, val = (CIFAR10(str(root), train=t, download=not present) for t in (True, False))
    except (OSError, RuntimeError) as err:  # a failed or corrupt download: fall back to the subset
        print(f"CIFAR-10 not available ({type(err).__name__}: {err}); using the ImageNet subset at 32 px")
        return None
    arrays = []
    for ds in (train, val):
        images = torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous()
        labels = torch.tensor(ds.targets, dtype=torch.int64)
        keep = _first_per_class(labels, per_class)
        arrays += [images[keep], labels[keep]]
    return RaceData(*arrays, description=f"CIFAR-10, {len(arrays[0]):,} training images", cifar=True)


def subset_32px(study, per_class: int | None) -> RaceData:
    """The fallback: the study's ImageNet subset with every image shrunk to 32x32 (CIFAR-10's size)."""
    train = load_store(study.data, "train", classes=study.classes, per_class=per_class, side=SIDE)
    val = load_store(study.data, "val", classes=list(train.wnids), per_class=study.val_per_class, side=SIDE)
    if train.side != SIDE:
        raise ValueError(f"subset_32px: the store is {train.side} px, expected {SIDE}")
    return RaceData(train.images, train.labels, val.images, val.labels,
                    description=f"the study's ImageNet subset ({len(train.wnids)} classes) at 32x32, {len(train):,} "
                                f"training images", cifar=False)


def race_data(study, per_class: int | None, *, download: bool) -> RaceData:
    """CIFAR-10 when present or downloadable (``download``), else the study's subset at 32 px."""
    return cifar10(per_class, download=download) or subset_32px(study, per_class)


@torch.no_grad()
def init_race(model: nn.Module, scheme: str) -> nn.Module:
    """``model`` started as :data:`INITS` says: unchanged for ``default``; for ``paper`` every weight from
    N(0, 0.01), biases 0, and the net wrapped in :class:`RawPixels` (so it sees, and is trained on, 0-255 pixels)."""
    if scheme not in INITS:
        raise ValueError(f"init_race: unknown scheme {scheme!r}; choose one of {', '.join(INITS)}")
    if scheme == "default":
        return model
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.01)
            nn.init.zeros_(m.bias)
    return RawPixels(model)


def preactivation_spread(model: nn.Module, x: torch.Tensor) -> pd.DataFrame:
    """Per conv/FC layer: the standard deviation of its outputs (pre-activations) on ``x`` and, for a tanh unit
    placed there, the share of outputs with |tanh| > 0.99 (saturated: gradient below 0.02)."""
    rows, hooks = [], []
    named = [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    names = getattr(model, "layer_names", {})
    for n, m in named:
        def hook(mod, args, out, n=n):
            rows.append({"layer": names.get(n, n), "pre-activation std": float(out.float().std()),
                         "saturated if tanh (%)": 100.0 * float((out.tanh().abs() > 0.99).float().mean())})
        hooks.append(m.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model.eval()(x)
    finally:
        for h in hooks:
            h.remove()
    return pd.DataFrame(rows)


def train_until(data: RaceData, run: Run, *, activation: str, lr: float, init: str, seed: int, batch_size: int,
                max_epochs: int, target: float = TARGET, device: str = "cpu") -> pd.DataFrame:
    """Train the Fig. 1 net (constant ``lr``, momentum and no weight decay from ``run.recipe``) one epoch at a
    time until its training error reaches ``target`` or ``max_epochs`` pass; the history of
    :func:`reviewlib.train.loop.fit` with a ``train_error`` column. Each epoch continues the last exactly (a
    checkpoint in a temporary folder, ``fit(..., resume=True)``). A run that diverges stops with what it has."""
    from ...train.loop import TrainingDiverged

    seed_everything(seed)
    model = init_race(build_model(run.model, num_classes=int(data.train_labels.max()) + 1, width=run.width,
                                  image_size=run.image_size, activation=activation), init)
    plain = CentreCrop(SIDE, SIDE)  # no augmentation: the whole 32x32 image, normalised
    train = Batches(data.train_images, data.train_labels, plain, batch_size, shuffle=True, seed=seed, device=device)
    val = Batches(data.val_images[:250], data.val_labels[:250], plain, 250, shuffle=False, seed=0, device=device,
                  pad=False)
    recipe = run.recipe.with_(lr=float(lr), epochs=int(max_epochs))
    history = pd.DataFrame()
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "race.pt"
        for epoch in range(1, max_epochs + 1):
            try:
                history = fit(model, train, val, recipe, epochs=epoch, device=device, checkpoint=ckpt,
                              resume=epoch > 1, progress=False, seed=seed)
            except TrainingDiverged:
                break
            if 100.0 - history["train_acc1"].iloc[-1] <= target:
                break
    return history.assign(train_error=100.0 - history["train_acc1"]) if len(history) else history


def sweep(data: RaceData, run: Run, activation: str, lrs: Sequence[float], *, init: str, seed: int,
          batch_size: int, target: float = TARGET, device: str = "cpu", bar=None) -> pd.DataFrame:
    """One activation's learning-rate sweep, which is also its race: each rate, in the order given, trains until
    the target, or until it has used as many epochs as the best rate so far (it can no longer win), or
    ``run.epochs``. Returns every epoch of every rate, one row each: ``init``, ``seed``, ``activation``, ``lr``,
    ``epoch``, ``train_error``, ``train_loss`` and ``stopped`` (``target``, ``no better`` (pruned), ``cap`` or
    ``diverged``; a run that diverged in its first epoch is one row with epoch 0)."""
    frames, best = [], run.epochs
    for lr in lrs:
        h = train_until(data, run, activation=activation, lr=lr, init=init, seed=seed, batch_size=batch_size,
                        max_epochs=best, target=target, device=device)
        reached = bool(len(h)) and h["train_error"].iloc[-1] <= target
        stopped = ("target" if reached else "diverged" if len(h) < best else
                   "cap" if best == run.epochs else "no better")
        if len(h):
            h = h[["epoch", "train_error", "train_loss"]]
        else:
            h = pd.DataFrame({"epoch": [0], "train_error": [math.nan], "train_loss": [math.nan]})
        frames.append(h.assign(init=init, seed=seed, activation=activation, lr=lr, stopped=stopped))
        if reached:
            best = min(best, int(h["epoch"].iloc[-1]))
        if bar is not None:
            bar.update()
    return pd.concat(frames, ignore_index=True)


def race(study, run: Run, data: RaceData, lrs: Mapping[str, Sequence[float]], *, seeds: Sequence[int] | None = None,
         batch_size: int = 128, target: float = TARGET, progress: bool = True) -> pd.DataFrame:
    """Fig. 1 for every initialisation in ``lrs`` (``{init: learning-rate grid}``) and seed: ReLU's sweep, then
    tanh's, which starts at ReLU's best rate (so tanh at ReLU's rate runs in full). Every epoch of every run, one
    row each (:func:`sweep`)."""
    seeds = tuple(run.seeds if seeds is None else seeds)
    total = sum(len(g) for g in lrs.values()) * len(seeds) * len(ACTIVATIONS)
    frames = []
    with tqdm(total=total, desc="Fig. 1 race (runs)", disable=not progress) as bar:
        for init, grid in lrs.items():
            for seed in seeds:
                kw = dict(init=init, seed=seed, batch_size=batch_size, target=target, device=study.device, bar=bar)
                relu = sweep(data, run, "relu", grid, **kw)
                first = float(per_rate(relu, target).iloc[0]["lr"])  # ReLU's best rate
                frames += [relu, sweep(data, run, "tanh", [first] + [lr for lr in grid if lr != first], **kw)]
    return pd.concat(frames, ignore_index=True)


def per_rate(runs: pd.DataFrame, target: float = TARGET) -> pd.DataFrame:
    """One row per run (init, seed, activation, lr): ``epochs`` to the target (NaN: not reached), ``ran`` (epochs
    it ran) and ``final`` (its last training error), fastest first within each activation."""
    rows = []
    for (init, seed, act, lr), g in runs.groupby(["init", "seed", "activation", "lr"], sort=False):
        hit = g.loc[g["train_error"] <= target, "epoch"]
        rows.append({"init": init, "seed": seed, "activation": act, "lr": lr,
                     "epochs": float(hit.min()) if len(hit) else math.nan, "ran": int(g["epoch"].max()),
                     "final": float(g["train_error"].iloc[-1]), "stopped": g["stopped"].iloc[-1]})
    df = pd.DataFrame(rows)
    return df.sort_values(["init", "seed", "activation", "epochs", "final"], na_position="last",
                          kind="stable").reset_index(drop=True)


def race_summary(runs: pd.DataFrame, target: float = TARGET) -> pd.DataFrame:
    """Per init and seed: each activation's best rate (the fastest to the target; when none reached it, the one
    with the lowest final error) and its epochs to the target (NaN: not reached; ``ran``: the epochs it ran);
    tanh's epochs at ReLU's best rate; and tanh / ReLU at each one's own best rate and at ReLU's rate."""
    rates = per_rate(runs, target)
    out = []
    for (init, seed), g in rates.groupby(["init", "seed"], sort=False):
        row = {"init": init, "seed": seed}
        for act in ACTIVATIONS:
            a = g[g["activation"] == act]
            best = a.iloc[0]  # the fastest to the target; when none reached it, the lowest final error
            row[f"{act} lr"] = best["lr"]
            row[f"{act} epochs"] = best["epochs"]
            row[f"{act} ran"] = int(a["ran"].max())
        at = g[(g["activation"] == "tanh") & (g["lr"] == row["relu lr"])]
        row["tanh at relu lr"] = float(at["epochs"].iloc[0]) if len(at) else math.nan
        row["tanh at relu lr ran"] = int(at["ran"].iloc[0]) if len(at) else 0
        row["ratio, own rates"] = row["tanh epochs"] / row["relu epochs"]
        row["ratio, relu's rate"] = row["tanh at relu lr"] / row["relu epochs"]
        out.append(row)
    return pd.DataFrame(out)


def epochs_text(epochs: float, ran: int) -> str:
    """``"12"`` for a run that reached the target at epoch 12, ``"> 25"`` for one stopped after 25 epochs."""
    return f"> {ran}" if math.isnan(epochs) else f"{epochs:.0f}"


def ratio_text(tanh: float, relu: float, tanh_ran: int) -> str:
    """tanh / ReLU epochs as text (``"1.2"``, or ``"> 1.9"`` when tanh did not reach the target)."""
    if math.isnan(relu):
        return "n/a"
    return f"> {tanh_ran / relu:.1f}" if math.isnan(tanh) else f"{tanh / relu:.1f}"


def race_table(runs: pd.DataFrame) -> pd.DataFrame:
    """:func:`race_summary` as a reader sees it (one row per init and seed)."""
    s = race_summary(runs)
    return pd.DataFrame({
        "init": s["init"], "seed": s["seed"],
        "ReLU: best lr": s["relu lr"], "ReLU: epochs": [epochs_text(e, r) for e, r in zip(s["relu epochs"],
                                                                                         s["relu ran"])],
        "tanh: best lr": s["tanh lr"], "tanh: epochs": [epochs_text(e, r) for e, r in zip(s["tanh epochs"],
                                                                                         s["tanh ran"])],
        "tanh at ReLU's lr": [epochs_text(e, r) for e, r in zip(s["tanh at relu lr"], s["tanh at relu lr ran"])],
        "tanh / ReLU, own rates": [ratio_text(t, r, n) for t, r, n in zip(s["tanh epochs"], s["relu epochs"],
                                                                          s["tanh ran"])],
        "tanh / ReLU, ReLU's rate": [ratio_text(t, r, n) for t, r, n in zip(s["tanh at relu lr"], s["relu epochs"],
                                                                            s["tanh at relu lr ran"])],
    })


#: One line for every column of :func:`race_table`.
RACE_LEGEND = {
    "init": "how the pixels reach the net and how its weights start (see the table above)",
    "seed": "the random seed (init, batch order)",
    "ReLU: best lr": "the learning rate of the sweep with which ReLU reached 25% training error in the fewest epochs",
    "ReLU: epochs": "epochs ReLU needed at that rate ('> n': not reached in the n epochs it ran)",
    "tanh: best lr": "the same for tanh",
    "tanh: epochs": "epochs tanh needed at its best rate",
    "tanh at ReLU's lr": "epochs tanh needed at ReLU's best rate",
    "tanh / ReLU, own rates": "how many times longer tanh took, each at its own best rate (Fig. 1's comparison; "
                              "the paper reports 6)",
    "tanh / ReLU, ReLU's rate": "the same with tanh held to ReLU's rate",
}


def curves(runs: pd.DataFrame) -> pd.DataFrame:
    """The training-error curves to plot: each activation at its best rate and tanh at ReLU's rate (``label``)."""
    s = race_summary(runs).set_index(["init", "seed"])
    frames = []
    for (init, seed, act, lr), h in runs.groupby(["init", "seed", "activation", "lr"], sort=False):
        best = s.loc[(init, seed)]
        label = (f"{act}, best lr {lr:g}" if lr == best[f"{act} lr"] else
                 f"tanh at ReLU's lr {lr:g}" if act == "tanh" and lr == best["relu lr"] else None)
        if label is not None:
            frames.append(h[h["epoch"] > 0].assign(label=label))
    return pd.concat(frames, ignore_index=True) if frames else runs.iloc[:0].assign(label="")


def start_spread(data: RaceData, run: Run, *, seed: int = 0, images: int = 256) -> pd.DataFrame:
    """Why an activation starts fast or slow (Sect. 3.1 / Fig. 1): for each starting point of :data:`INITS`, the
    tanh net as the race starts it, its pre-activations on ``images`` training images (std per layer, and the share
    a tanh unit there would hold saturated, :func:`preactivation_spread`)."""
    frames = []
    x = CentreCrop(SIDE, SIDE)(data.train_images[:images])
    for init in INITS:
        seed_everything(seed)
        model = init_race(build_model(run.model, num_classes=int(data.train_labels.max()) + 1, width=run.width,
                                      image_size=run.image_size, activation="tanh"), init)
        frames.append(preactivation_spread(model, x).assign(init=init))
    return pd.concat(frames, ignore_index=True)[["init", "layer", "pre-activation std", "saturated if tanh (%)"]]
