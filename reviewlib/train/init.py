"""The papers' initialisations, and the one the study tuning (:data:`~reviewlib.train.recipes.STUDY_TUNING`) uses.

* AlexNet Sect. 5: weights from N(0, 0.01), biases 1 in conv2, conv4, conv5 and the hidden FC layers
  (:func:`init_alexnet`).
* VGG Sect. 3.1: net A from N(0, variance 10^-2); deeper nets start their first four conv and last three FC layers
  from a trained A (:func:`init_vgg`, :func:`warm_start_vgg`); the paper notes that Glorot init works without it.
* GoogLeNet gives none: the BVLC Caffe reproduction's Glorot init with bias 0.2 (:func:`init_googlenet`).
* He et al. (2015), for nets without BatchNorm trained briefly at small width (:func:`init_kaiming`).

:func:`init_model` applies a recipe's ``init`` by name.
"""
from __future__ import annotations

import math

import torch
from torch import nn

INIT_SCHEMES = ("alexnet", "vgg-paper", "vgg-glorot", "googlenet", "kaiming", "none")


def _layers(module: nn.Module, kind) -> list[tuple[str, nn.Module]]:
    return [(n, m) for n, m in module.named_modules() if isinstance(m, kind)]


def _features_classifier(model: nn.Module, who: str):
    for attr in ("features", "classifier"):
        if not isinstance(getattr(model, attr, None), nn.Module):
            raise TypeError(f"{who} needs a model with .features and .classifier (torchvision's AlexNet/VGG "
                            f"layout); {type(model).__name__} has no .{attr}")
    convs = [(f"features.{n}", m) for n, m in _layers(model.features, nn.Conv2d)]
    linears = [(f"classifier.{n}", m) for n, m in _layers(model.classifier, nn.Linear)]
    return convs, linears


@torch.no_grad()
def init_alexnet(model: nn.Module, std: float = 0.01) -> dict[str, float]:
    """AlexNet Sect. 5: weights from N(0, 0.01) (standard deviation 0.01); biases 1 in conv2, conv4, conv5 and the
    two hidden FC layers ("accelerates the early stages of learning by providing the ReLUs with positive inputs"),
    0 elsewhere. Conv and Linear layers are found in order in ``model.features`` / ``model.classifier``; a layer
    split into towers (two Conv2d modules side by side, or one with ``groups=2``) counts as one paper layer.

    Returns ``{module name: bias value}``.
    """
    convs, linears = _features_classifier(model, "init_alexnet")
    groups = _paper_conv_layers(convs)
    if len(groups) != 5 or len(linears) != 3:
        raise ValueError(f"init_alexnet: expected 5 conv layers and 3 linear layers (AlexNet Sect. 3.5), found "
                         f"{len(groups)} conv ({[n for g in groups for n, _ in g]}) and {len(linears)} linear")
    biases = {}
    for i, group in enumerate(groups, start=1):
        for name, m in group:
            biases[name] = 1.0 if i in (2, 4, 5) else 0.0
    for i, (name, m) in enumerate(linears, start=1):
        biases[name] = 1.0 if i in (1, 2) else 0.0
    named = dict(convs + linears)
    for name, b in biases.items():
        nn.init.normal_(named[name].weight, 0.0, std)
        if named[name].bias is not None:
            nn.init.constant_(named[name].bias, b)
    return biases


def _paper_conv_layers(convs):
    """Group tower convs: consecutive Conv2d modules with the same parent and shape form one paper layer
    (the two-GPU AlexNet); a single module (``groups=2`` or one tower) is its own layer."""
    groups: list[list] = []
    for name, m in convs:
        parent = name.rsplit(".", 1)[0]
        if groups:
            pname, pm = groups[-1][-1]
            same_parent = pname.rsplit(".", 1)[0] == parent and parent != "features"
            if same_parent and pm.weight.shape == m.weight.shape:
                groups[-1].append((name, m))
                continue
        groups.append([(name, m)])
    return groups


@torch.no_grad()
def init_vgg(model: nn.Module, scheme: str = "paper") -> str:
    """VGG Sect. 3.1 initialisation of every Conv2d/Linear layer; returns the scheme applied.

    ``"paper"``: weights from a normal distribution with zero mean and 10^-2 *variance*, i.e. standard deviation
    0.1 as the text says, biases 0. (Many reimplementations read it as std 0.01, Caffe's usual value; at full
    width, std 0.1 makes the activations grow layer by layer, one reason the paper trains A first and warm-starts
    the deeper nets.) ``"glorot"``: Glorot & Bengio (2010) uniform, biases 0 — the paper's note that this works
    without pre-training. ``"kaiming"``: He et al. (2015) normal (fan_in, ReLU), biases 0.
    """
    if scheme not in ("paper", "glorot", "kaiming"):
        raise ValueError(f"init_vgg: unknown scheme {scheme!r}; expected 'paper', 'glorot' or 'kaiming'")
    for _, m in _layers(model, (nn.Conv2d, nn.Linear)):
        if scheme == "paper":
            nn.init.normal_(m.weight, 0.0, math.sqrt(1e-2))
        elif scheme == "glorot":
            nn.init.xavier_uniform_(m.weight)
        else:
            _kaiming(m)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    return scheme


def _kaiming(m: nn.Module) -> None:
    # fan_in keeps the forward signal's variance through ReLU layers, what a net without BatchNorm needs
    nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")


@torch.no_grad()
def init_kaiming(model: nn.Module) -> None:
    """He et al. (2015) init for every Conv2d/Linear (biases 0; the final classifier from N(0, 0.01)), and
    BatchNorm to (1, 0): not from the three papers; the study tuning's choice for nets without BatchNorm."""
    linears = _layers(model, nn.Linear)
    for _, m in _layers(model, (nn.Conv2d, nn.Linear)):
        _kaiming(m)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    outs = _classifier_heads(model, linears)
    for m in outs:
        nn.init.normal_(m.weight, 0.0, 0.01)
    for _, m in _layers(model, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


def _classifier_heads(model: nn.Module, linears) -> list[nn.Module]:
    """The Linear layers that output class scores: those with the last Linear's out_features."""
    if not linears:
        return []
    n_out = linears[-1][1].out_features
    return [m for _, m in linears if m.out_features == n_out]


@torch.no_grad()
def warm_start_vgg(target: nn.Module, source_A: nn.Module) -> list[str]:
    """VGG Sect. 3.1: initialise a deeper net's first four conv layers and last three FC layers from a trained
    net A; returns the names of the target's layers copied.

    A's first four conv layers are conv1_1, conv2_1, conv3_1, conv3_2 (Table 1, column A). Each is copied into the
    conv layer at the same place (block, index in block) of the target — for D these are conv1_1, conv2_1, conv3_1,
    conv3_2 — when the weight shapes match; the three Linear layers of ``classifier`` are copied in order when
    their shapes match. Blocks are the runs of layers between MaxPool2d modules of ``.features``.
    The other layers keep their (random) initialisation, as in the paper.
    """
    src_pos = _conv_positions(source_A)
    dst_pos = _conv_positions(target)
    copied: list[str] = []
    for (block, idx), (_, src) in list(src_pos.items())[:4]:
        if (block, idx) not in dst_pos:
            continue
        name, dst = dst_pos[(block, idx)]
        if dst.weight.shape == src.weight.shape:
            dst.weight.copy_(src.weight)
            if dst.bias is not None and src.bias is not None:
                dst.bias.copy_(src.bias)
            copied.append(name)
    _, src_lin = _features_classifier(source_A, "warm_start_vgg")
    _, dst_lin = _features_classifier(target, "warm_start_vgg")
    for (_, s), (name, d) in zip(src_lin[-3:], dst_lin[-3:]):
        if d.weight.shape == s.weight.shape:
            d.weight.copy_(s.weight)
            if d.bias is not None and s.bias is not None:
                d.bias.copy_(s.bias)
            copied.append(name)
    return copied


def _conv_positions(model: nn.Module) -> dict[tuple[int, int], tuple[str, nn.Conv2d]]:
    """``{(block, index in block): (name, conv)}`` for ``model.features``, blocks split at MaxPool2d."""
    if not isinstance(getattr(model, "features", None), nn.Sequential):
        raise TypeError(f"warm_start_vgg needs VGG models with a .features Sequential; got {type(model).__name__}")
    out, block, idx = {}, 0, 0
    for i, m in enumerate(model.features):
        if isinstance(m, nn.Conv2d):
            out[(block, idx)] = (f"features.{i}", m)
            idx += 1
        elif isinstance(m, nn.MaxPool2d):
            block, idx = block + 1, 0
    return out


@torch.no_grad()
def init_googlenet(model: nn.Module) -> None:
    """GoogLeNet: the paper gives no initialisation; this is the BVLC Caffe reproduction's — Glorot (Xavier)
    weights for every Conv2d/Linear, bias 0.2 for the hidden layers and 0 for the class-score layers (the main
    ``fc`` and the auxiliary heads' last Linear); BatchNorm (torchvision variant only) to (1, 0)."""
    linears = _layers(model, nn.Linear)
    heads = {id(m) for m in _classifier_heads(model, linears)}
    for _, m in _layers(model, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.constant_(m.bias, 0.0 if id(m) in heads else 0.2)
    for _, m in _layers(model, (nn.BatchNorm2d, nn.BatchNorm1d)):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


def init_model(model: nn.Module, recipe) -> None:
    """Apply ``recipe.init`` (a :class:`~reviewlib.train.recipes.Recipe`) or a scheme name (:data:`INIT_SCHEMES`)."""
    scheme = recipe if isinstance(recipe, str) else recipe.init
    if scheme == "alexnet":
        init_alexnet(model)
    elif scheme == "vgg-paper":
        init_vgg(model, "paper")
    elif scheme == "vgg-glorot":
        init_vgg(model, "glorot")
    elif scheme == "googlenet":
        init_googlenet(model)
    elif scheme == "kaiming":
        init_kaiming(model)
    elif scheme != "none":
        raise ValueError(f"unknown init scheme {scheme!r}; expected one of {INIT_SCHEMES}")
