"""AlexNet Sect. 4.1 and 6 on the trained model: the 10-patch test protocol against the centre crop, the paper's and
torchvision's results beside ours, Fig. 4's nearest neighbours in the last hidden layer, and the first layer's
filters (Fig. 3).
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from ...errors import ConfigError
from ...evaluate import evaluate
from ...experiments.runner import eval_transform, split_images
from ...nets import eval_mode
from ...nets.layers import TwoTowerConv
from ...train.run import Run

#: Table 1 (ILSVRC-2010 test) and Table 2 (ILSVRC-2012) of the paper: top-1 / top-5 error in %.
PAPER_RESULTS = [
    ("paper Table 1: 1 CNN, ILSVRC-2010 test", 37.5, 17.0),
    ("paper Table 2: 1 CNN, ILSVRC-2012 val", 40.7, 18.2),
    ("paper Table 2: 5 CNNs, ILSVRC-2012 val", 38.1, 16.4),
    ("paper Table 2: 7 CNNs* (pre-trained on Fall 2011), ILSVRC-2012 val", 36.7, 15.4),
]
PROTOCOLS = {"centre crop": "center", "10 crops (Sect. 4.1)": "10crop"}


def split_store(study, run: Run, split: str):
    """The study's ``split`` ("train" or "val") decoded once at the run's source side (the same store the run's
    batches come from)."""
    return split_images(study, run, split).store


def crop_table(model: nn.Module, study, run: Run, *, progress: bool = False) -> pd.DataFrame:
    """The centre crop and Sect. 4.1's 10 patches (four corners and the centre, and their mirror images, softmax
    averaged) on the run's validation images (``run.eval_images`` of them, evenly spaced; None = all): top-1 /
    top-5 error (%), images and network inputs per image."""
    images = split_images(study, run, "val")
    rows = []
    for label, protocol in PROTOCOLS.items():
        r = evaluate(model, images, protocol=protocol, image_size=run.image_size, scales=(run.resize,),
                     max_images=run.eval_images, device=study.device, progress=progress)
        rows.append({"protocol": label, "top-1 error (%)": 100 * r["top1_error"],
                     "top-5 error (%)": 100 * r["top5_error"], "images": r["n"], "crops": r["crops_per_image"]})
    return pd.DataFrame(rows).set_index("protocol")


def results_table(ours: pd.DataFrame | None = None, label: str = "ours") -> pd.DataFrame:
    """The paper's Tables 1-2, torchvision's reported accuracy (from its weights' metadata, no download) and ours
    (a :func:`crop_table`) in one table of top-1 / top-5 error (%)."""
    from torchvision.models import AlexNet_Weights

    rows = [{"model / protocol": n, "top-1 error (%)": a, "top-5 error (%)": b, "data": "ImageNet, 1000 classes"}
            for n, a, b in PAPER_RESULTS]
    m = AlexNet_Weights.IMAGENET1K_V1.meta["_metrics"]["ImageNet-1K"]
    rows.append({"model / protocol": "torchvision AlexNet_Weights.IMAGENET1K_V1, centre crop",
                 "top-1 error (%)": round(100 - m["acc@1"], 3), "top-5 error (%)": round(100 - m["acc@5"], 3),
                 "data": "ImageNet-1K val, 1000 classes"})
    for protocol, r in (ours if ours is not None else pd.DataFrame()).iterrows():
        rows.append({"model / protocol": f"{label}, {protocol}", "top-1 error (%)": round(r["top-1 error (%)"], 1),
                     "top-5 error (%)": round(r["top-5 error (%)"], 1),
                     "data": f"our subset: {int(r['images'])} images, 10 classes"})
    return pd.DataFrame(rows)


def cached_torchvision_alexnet() -> nn.Module | None:
    """torchvision's pretrained AlexNet when its weight file is already in the torch hub cache, else None.
    Never downloads."""
    from torchvision.models import AlexNet_Weights, alexnet as tv_alexnet

    path = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(AlexNet_Weights.IMAGENET1K_V1.url)
    if not path.is_file():
        return None
    model = tv_alexnet()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model


# --------------------------------------------------------------------------------------- Fig. 4: the last layer
@torch.no_grad()
def fc7(model: nn.Module, images: torch.Tensor, transform, batch_size: int = 250) -> torch.Tensor:
    """The last hidden layer's activations (fc7 after its ReLU, eval mode: no dropout) for uint8 ``images``
    ``[N, 3, S, S]`` through ``transform`` (e.g. the centre crop): ``[N, 4096 x width]`` on the CPU."""
    device = next(model.parameters()).device
    head = model.classifier[:-1]  # everything but fc8
    out = []
    with eval_mode(model):
        for chunk in images.split(batch_size):
            x = transform(chunk.to(device))
            out.append(head(torch.flatten(model.avgpool(model.features(x)), 1)).float().cpu())
    return torch.cat(out)


def nearest_neighbours(model: nn.Module, study, run: Run, queries: int = 5, k: int = 6, seed: int = 0) -> dict:
    """Fig. 4 (right): for ``queries`` validation images (one from each of the first classes, picked with
    ``seed``), the ``k`` training images whose fc7 vectors are nearest in Euclidean distance.

    Returns ``{"query": [q], "neighbours": [q, k] training indices, "distance": [q, k], "same class": [q, k]
    bool, "val": val store, "train": train store}``.
    """
    train, val = split_store(study, run, "train"), split_store(study, run, "val")
    transform = eval_transform(run)
    g = torch.Generator().manual_seed(seed)
    picks = []
    for c in range(min(queries, len(val.wnids))):
        idx = torch.nonzero(val.labels == c).flatten()
        picks.append(int(idx[torch.randint(len(idx), (1,), generator=g)]))
    q = torch.tensor(picks)
    f_train = fc7(model, train.images, transform)
    f_query = fc7(model, val.images[q], transform)
    dist = torch.cdist(f_query, f_train)
    d, nn_idx = dist.topk(k, largest=False)
    return {"query": q, "neighbours": nn_idx, "distance": d,
            "same class": train.labels[nn_idx] == val.labels[q][:, None], "val": val, "train": train}


def neighbour_agreement(result: dict) -> float:
    """The share (%) of Fig. 4's neighbours that belong to their query's class."""
    return 100.0 * float(result["same class"].float().mean())


# ------------------------------------------------------------------------------------------ Fig. 3: conv1 filters
def first_conv_towers(model: nn.Module) -> list[torch.Tensor]:
    """The first convolution's filters, one ``[k, 3, h, w]`` tensor per tower (one tensor for a one-tower net)."""
    first = next((m for m in model.modules() if isinstance(m, (TwoTowerConv, nn.Conv2d))), None)
    if first is None:
        raise ConfigError("first_conv_towers: the model has no convolution")
    if isinstance(first, TwoTowerConv):
        return [c.weight.detach().float().cpu() for c in first.towers]
    return [first.weight.detach().float().cpu()]


def filter_change(before: nn.Module, after: nn.Module) -> float:
    """How far training moved conv1: ||W_after - W_before|| / ||W_before|| (all towers together)."""
    a = torch.cat([t.flatten() for t in first_conv_towers(before)])
    b = torch.cat([t.flatten() for t in first_conv_towers(after)])
    return float((b - a).norm() / a.norm())
