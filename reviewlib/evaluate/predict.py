"""Predictions under a test protocol: softmax posteriors averaged over views and models, and top-k errors.

All protocols average *softmax* posteriors over the views of one image (:mod:`reviewlib.evaluate.crops`), and over
the models of an ensemble (AlexNet Sect. 6's five CNNs, GoogLeNet Sect. 7's seven, VGG Sect. 4.4's fusion). The
evaluator does all resizing, cropping and normalisation itself, so a dataset that yields ``(PIL image, label)`` --
e.g. ``reviewlib.data.load_split(..., transform=None)`` -- serves every protocol.
"""
from __future__ import annotations

import functools
import time
from typing import NamedTuple, Sequence

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from ..data.subset import BadSample, warn_skipped
from ..device import pick_device
from ..errors import ConfigError
from ..nets import eval_mode
from .crops import (check_protocol, default_scales, make_views, normalize, resize_short, to_image_tensor,
                    views_per_image)
from .dense import FullyConvNet, to_dense

def _as_list(models) -> list[nn.Module]:
    models = list(models) if isinstance(models, (list, tuple)) else [models]
    if not models:
        raise ConfigError("evaluate: the list of models is empty")
    return models


def _device_of(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def model_logits(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """``model(images)``, taking ``[0]`` of a tuple output (GoogLeNet's ``GoogLeNetOutputs(logits, aux2, aux1)``)."""
    out = model(images.to(_device_of(model)))
    return out[0] if isinstance(out, tuple) else out


@torch.no_grad()
def ensemble_predict(models, images: torch.Tensor) -> torch.Tensor:
    """Softmax posteriors ``[N, classes]`` averaged over ``models`` (AlexNet Sect. 6's 5 CNNs, GoogLeNet Sect. 7).

    ``models`` is one model or a list; each runs in eval mode (restored afterwards) on normalised ``images``.
    """
    models = _as_list(models)
    with eval_mode(*models):
        probs = [model_logits(mod, images).float().softmax(1).to(images.device) for mod in models]
    return torch.stack(probs).mean(0)


@torch.no_grad()
def dense_predict(model_or_dense, images: torch.Tensor, flips: bool = True, softmax: bool = True) -> torch.Tensor:
    """VGG dense evaluation (Sect. 3.2) of normalised ``images`` ``[N,3,H,W]`` (any H, W >= the training size).

    ``model_or_dense`` is a :class:`FullyConvNet`, a VGG-style model (converted with :func:`to_dense`) or a list of
    either (an ensemble). The class score map is averaged spatially; with ``softmax`` the result is the softmax
    posterior, averaged with that of the mirrored image when ``flips`` (and over models) -> ``[N, classes]``.
    With ``softmax=False`` the spatially averaged scores (logits) are returned, averaged likewise.
    """
    models = [m if isinstance(m, FullyConvNet) else to_dense(m) for m in _as_list(model_or_dense)]
    if images.ndim == 3:
        images = images.unsqueeze(0)
    inputs = torch.cat([images, images.flip(-1)]) if flips else images
    outs = []
    with eval_mode(*models):
        for mod in models:
            scores = mod(inputs.to(_device_of(mod))).float().mean((-2, -1))
            out = scores.softmax(1) if softmax else scores
            outs.append(out.view(2 if flips else 1, images.shape[0], -1).mean(0).to(images.device))
    return torch.stack(outs).mean(0)


def topk_correct(logits: torch.Tensor, targets: torch.Tensor, ks: Sequence[int] = (1, 5)) -> torch.Tensor:
    """How many rows have their target among the top k scores, for each k (k clipped to the number of classes).

    Returns an int64 tensor ``[len(ks)]`` on the logits' device (no synchronisation with a GPU: the training loop
    adds it up per batch).
    """
    kmax = min(max(ks), logits.shape[1])
    hits = logits.topk(kmax, dim=1).indices.eq(targets.to(logits.device).long()[:, None])
    return torch.stack([hits[:, :min(k, kmax)].any(1).sum() for k in ks])


def topk_errors(logits: torch.Tensor, targets: torch.Tensor, ks: Sequence[int] = (1, 5)) -> dict[str, float]:
    """Top-k error rates (fractions in [0, 1]) of ``logits`` (or probabilities) ``[N, C]`` against ``targets`` ``[N]``.

    Returns ``{"top1": ..., "top5": ...}`` keyed by the requested k. When ``C < k``, k is clipped to C (so with fewer
    than 5 classes top-5 is top-C and its error is 0) -- the key keeps the requested k.
    """
    if logits.ndim != 2 or targets.ndim != 1 or logits.shape[0] != targets.shape[0]:
        raise ConfigError(f"topk_errors: expected logits [N, C] and targets [N], got {tuple(logits.shape)} and "
                          f"{tuple(targets.shape)}")
    if logits.shape[0] == 0:
        raise ConfigError("topk_errors: no predictions (N = 0)")
    n = logits.shape[0]
    return {f"top{k}": 1.0 - c / n for k, c in zip(ks, topk_correct(logits, targets, ks).tolist())}


class Predictions(NamedTuple):
    """What :func:`predict_dataset` returns; rows follow ``indices`` (positions in the dataset)."""
    probs: torch.Tensor       # [N, classes] float32, softmax averaged over views and models
    preds: torch.Tensor       # [N] int64, argmax of probs
    targets: torch.Tensor     # [N] int64
    indices: torch.Tensor     # [N] int64, dataset positions
    crops_per_image: int      # network inputs per image and model
    seconds: float
    skipped: tuple = ()       # unreadable image files, left out (reviewlib.data.subset.BadSample)


def _pick_indices(n: int, max_images: int | None) -> list[int]:
    """All positions, or ``max_images`` evenly spaced ones (datasets are sorted by class; this keeps all classes)."""
    if max_images is None or max_images >= n:
        return list(range(n))
    if max_images < 1:
        raise ConfigError(f"evaluate: max_images must be >= 1, got {max_images}")
    return sorted(set(np.linspace(0, n - 1, max_images).round().astype(int).tolist()))


class _Views(torch.utils.data.Dataset):
    """(normalised views, label, index) per image -- runs in DataLoader workers when ``num_workers > 0``."""

    def __init__(self, dataset, indices, make):
        self.dataset, self.indices, self.make = dataset, indices, make

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        index = self.indices[i]
        item = self.dataset[index]
        if isinstance(item, BadSample):  # an unreadable file: left out and counted, never a crash
            return item
        img, label = item
        return self.make(img), int(label), index


def _dense_views(img, scales):
    """Dense protocol input: one normalised whole image per scale (sizes differ, so a list)."""
    img = to_image_tensor(img)
    return [normalize(resize_short(img, q)) for q in scales]


@torch.no_grad()
def predict_dataset(model, dataset, *, protocol: str = "center", image_size: int, device=None, batch_size: int = 64,
                    max_images: int | None = None, scales: Sequence[int] | None = None, num_workers: int = 0,
                    progress: bool = True) -> Predictions:
    """Softmax posteriors of ``model`` (or a list of models: an ensemble) for ``dataset`` under ``protocol``.

    ``dataset`` yields ``(PIL image or [3,H,W] un-normalised tensor, label)``. ``scales`` are the short sides (pixels)
    to test at; default :func:`default_scales` (the paper's, scaled by ``image_size/224``). ``batch_size`` counts
    network inputs (views); the views of several images share a batch. ``max_images`` takes that many evenly spaced
    images. Models are moved to ``device`` (default :func:`reviewlib.device.pick_device`) and run in eval mode.
    """
    check_protocol(protocol)
    models = _as_list(model)
    device = torch.device(device) if device is not None else pick_device()
    scales = tuple(int(q) for q in scales) if scales is not None else default_scales(protocol, image_size)
    if not scales:
        raise ConfigError("evaluate: scales is empty")
    if min(scales) < image_size:
        raise ConfigError(f"evaluate: test scale {min(scales)} is smaller than image_size={image_size}; "
                          "every scale must be >= the crop size")
    for mod in models:
        mod.to(device)
    if protocol == "dense":
        models = [m if isinstance(m, FullyConvNet) else to_dense(m, image_size) for m in models]
        make = functools.partial(_dense_views, scales=scales)
    else:
        make = functools.partial(make_views, protocol=protocol, image_size=image_size, scales=scales)

    indices = _pick_indices(len(dataset), max_images)
    if not indices:
        raise ConfigError("evaluate: the dataset is empty")
    items = _Views(dataset, indices, make)
    if num_workers > 0:
        items = torch.utils.data.DataLoader(items, batch_size=None, num_workers=num_workers,
                                            pin_memory=device.type == "cuda")
    start = time.perf_counter()
    probs, targets, order = [], [], []
    pending: list[tuple[torch.Tensor, int, int]] = []

    def flush():
        if not pending:
            return
        views = torch.cat([v for v, _, _ in pending]).to(device, non_blocking=True)
        out = torch.cat([ensemble_predict(models, chunk) for chunk in views.split(batch_size)])
        for p, (v, label, index) in zip(out.split([v.shape[0] for v, _, _ in pending]), pending):
            probs.append(p.mean(0).cpu())
            targets.append(label)
            order.append(index)
        pending.clear()

    skipped = []
    with eval_mode(*models):
        for item in tqdm(items, total=len(indices), desc=f"evaluate ({protocol})", disable=not progress,
                         leave=False):
            if isinstance(item, BadSample):
                skipped.append(item.path)
                continue
            views, label, index = item
            if protocol == "dense":
                per_scale = [dense_predict(models, v.to(device)) for v in views]
                probs.append(torch.cat(per_scale).mean(0).cpu())
                targets.append(label)
                order.append(index)
                continue
            pending.append((views, label, index))
            if sum(v.shape[0] for v, _, _ in pending) >= batch_size:
                flush()
        flush()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    if skipped:
        warn_skipped({p: "unreadable" for p in skipped}, len(skipped))
    if not probs:
        raise ConfigError(f"evaluate: none of the {len(indices)} images could be read")
    probs_t = torch.stack(probs)
    return Predictions(probs_t, probs_t.argmax(1), torch.tensor(targets, dtype=torch.long),
                       torch.tensor(order, dtype=torch.long), views_per_image(protocol, scales), seconds,
                       tuple(skipped))


def evaluate(model, dataset, *, protocol: str = "center", image_size: int, device=None, batch_size: int = 64,
             max_images: int | None = None, scales: Sequence[int] | None = None, num_workers: int = 0,
             progress: bool = True) -> dict:
    """Top-1/top-5 error of ``model`` (or a list of models, softmax-averaged) on ``dataset`` under a paper protocol.

    Arguments as :func:`predict_dataset`. Returns a dict: ``protocol``, ``top1_error``, ``top5_error`` (fractions;
    top-5 is top-C when there are C < 5 classes), ``n`` (images), ``crops_per_image`` (network inputs per image and
    model), ``models``, ``scales``, ``seconds`` and ``images_per_second``.
    """
    pred = predict_dataset(model, dataset, protocol=protocol, image_size=image_size, device=device,
                           batch_size=batch_size, max_images=max_images, scales=scales, num_workers=num_workers,
                           progress=progress)
    errors = topk_errors(pred.probs, pred.targets, ks=(1, 5))
    n = len(pred.targets)
    return {
        "protocol": protocol,
        "top1_error": errors["top1"],
        "top5_error": errors["top5"],
        "n": n,
        "crops_per_image": pred.crops_per_image,
        "models": len(_as_list(model)),
        "scales": tuple(scales) if scales is not None else default_scales(protocol, image_size),
        "seconds": pred.seconds,
        "images_per_second": n / pred.seconds if pred.seconds > 0 else float("inf"),
        "skipped": len(pred.skipped),
    }
