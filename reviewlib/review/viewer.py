"""An activation viewer in the spirit of CNN Explainer: a trained model, a real validation image, the feature maps
of every convolutional stage and the top-5 predictions.

The stages are the conv and Inception rows of the model's layer table (:func:`reviewlib.review.tables.layer_table`),
so the same viewer serves AlexNet (conv1-conv5), VGG (every 3x3 conv) and GoogLeNet (the stem convs and the nine
Inception modules). Each stage shows its most active maps after the ReLU (mean activation, largest first).
:func:`activation_figure` is the testable part; :func:`activation_viewer` only wires a dropdown to it.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from matplotlib.figure import Figure
from torch import nn

from ..nets import eval_mode
from .tables import layer_table

STAGE_KINDS = ("conv", "inception")


def stages(model: nn.Module, image_size: int) -> list[tuple[str, str]]:
    """``(name, module path)`` of every conv / Inception row in forward order."""
    table = layer_table(model, image_size)
    rows = table[table["kind"].isin(STAGE_KINDS)]
    return list(zip(rows["name"], rows["path"]))


@torch.no_grad()
def activations(model: nn.Module, x: torch.Tensor, image_size: int | None = None
                ) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """For one normalised image ``x`` ``[3, H, W]``: each stage's maps after the ReLU ``[C, h, w]`` (on the CPU)
    and the class probabilities ``[num_classes]``."""
    image_size = image_size or x.shape[-1]
    wanted = stages(model, image_size)
    modules = dict(model.named_modules())
    maps: dict[str, torch.Tensor] = {}
    hooks = [modules[path].register_forward_hook(
        lambda mod, args, out, name=name: maps.__setitem__(name, torch.relu(out[0]).float().cpu()))
        for name, path in wanted]
    try:
        with eval_mode(model):
            device = next(model.parameters()).device
            logits = model(x.unsqueeze(0).to(device))
    finally:
        for h in hooks:
            h.remove()
    return maps, torch.softmax(logits[0].float(), 0).cpu()


def activation_figure(model: nn.Module, x: torch.Tensor, class_names: Sequence[str], *, image: torch.Tensor | None =
                      None, true_label: int | None = None, per_stage: int = 6, title: str = "") -> Figure:
    """The input, the ``per_stage`` most active maps of every stage (one row each) and the top-5 predictions.

    ``x``: the normalised model input ``[3, H, W]``; ``image``: what to draw as the input (``[3, H, W]`` on [0, 1],
    e.g. :func:`reviewlib.data.augment.denormalize` of ``x``).
    """
    maps, probs = activations(model, x)
    n = len(maps)
    fig = Figure(figsize=(1.25 * (per_stage + 3), 1.1 * max(n, 4) + 0.6), layout="constrained")
    grid = fig.add_gridspec(max(n, 4), per_stage + 3)
    ax = fig.add_subplot(grid[:2, :2])
    if image is not None:
        ax.imshow(image.permute(1, 2, 0).clamp(0, 1).cpu().numpy())
    ax.set_axis_off()
    truth = f"true: {class_names[true_label]}" if true_label is not None else "input"
    ax.set_title(truth, fontsize=8)
    bars = fig.add_subplot(grid[2:4, :2])
    top = probs.topk(min(5, len(probs)))
    labels = [class_names[i] for i in top.indices.tolist()]
    colours = ["tab:green" if i == true_label else "tab:blue" for i in top.indices.tolist()]
    bars.barh(range(len(labels))[::-1], top.values.numpy(), color=colours)
    bars.set_yticks(range(len(labels))[::-1], labels, fontsize=7)
    bars.set_xlim(0, 1)
    bars.set_title("top-5 predictions", fontsize=8)
    bars.tick_params(axis="x", labelsize=7)
    for r, (name, fm) in enumerate(maps.items()):
        order = fm.flatten(1).mean(1).argsort(descending=True)[:per_stage].tolist()
        for j, c in enumerate(order):
            a = fig.add_subplot(grid[r, 3 + j])
            a.imshow(fm[c].numpy(), cmap="viridis", interpolation="nearest")
            a.set_axis_off()
            if j == 0:
                a.set_title(f"{name} {fm.shape[1]}x{fm.shape[2]}x{fm.shape[0]}", fontsize=7, loc="left")
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def activation_viewer(model: nn.Module, images: torch.Tensor, labels: Sequence[int], transform,
                      class_names: Sequence[str], *, choices: int = 30, per_stage: int = 6):
    """The widget: pick one of ``choices`` validation images (uint8 ``[N, 3, S, S]`` with their ``labels``) and
    see what every stage of ``model`` makes of it. ``transform``: the evaluation transform (a
    :class:`reviewlib.data.augment.CentreCrop`) that turns a uint8 batch into model inputs."""
    import ipywidgets as w

    from ..data.augment import denormalize
    from .plots import png_bytes

    step = max(1, len(images) // choices)
    picks = list(range(0, len(images), step))[:choices]
    options = [(f"{i}: {class_names[int(labels[i])]}", i) for i in picks]
    pick = w.Dropdown(options=options, value=picks[0], description="validation image",
                      style={"description_width": "initial"})
    picture = w.Image(format="png")

    def show(*_):
        i = pick.value
        x = transform(images[i:i + 1].to(next(model.parameters()).device))[0]
        fig = activation_figure(model, x, class_names, image=denormalize(x.cpu()), true_label=int(labels[i]),
                                per_stage=per_stage)
        picture.value = png_bytes(fig)

    pick.observe(show, names="value")
    show()
    return w.VBox([pick, picture])

