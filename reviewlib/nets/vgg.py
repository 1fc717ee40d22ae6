"""VGG (Simonyan & Zisserman 2014): all six columns of Table 1, and Sect. 4.1's shallow net, from one table.

Every conv is 3x3 with stride 1 and padding 1 (Sect. 2.1), except configuration C's 1x1 convs; five 2x2/2
max-pools close the five blocks; then FC-4096, FC-4096, FC-classes with dropout 0.5 after the first two (Sect. 3.1).
A-LRN adds AlexNet's LRN after the first conv. ``B-5x5`` is the shallow net of Sect. 4.1, B with each pair of 3x3
convs replaced by one 5x5 conv (the same receptive field, Sect. 2.3; the paper measured a 7% higher top-1 error).
The module layout equals ``torchvision.models.vgg*`` (whose vgg11/13/16/19 are A/B/D/E), so torchvision's
state_dicts load unchanged.
"""
from __future__ import annotations

import re

import torch
from torch import nn

from .arch import LRN, Conv, Pool, Spec, build_sequential, scale, scale_specs, trace
from ..errors import ConfigError
from .layers import fc_head

# The paper's Table 1 in torchvision's cfgs shorthand: an int is a 3x3 conv with that many channels, "1x1-N" a 1x1
# conv (configuration C; "KxK-N" in general, padded to keep the map size), "LRN" a local response normalisation,
# "M" the 2x2/2 max-pool that closes a block. The last row is not a column of Table 1 but Sect. 4.1's shallow net.
VGG_TABLE: dict[str, list] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "A-LRN": [64, "LRN", "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "C": [64, 64, "M", 128, 128, "M", 256, 256, "1x1-256", "M", 512, 512, "1x1-512", "M",
          512, 512, "1x1-512", "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
    "B-5x5": ["5x5-64", "M", "5x5-128", "M", "5x5-256", "M", "5x5-512", "M", "5x5-512", "M"],
}
TABLE1 = ("A", "A-LRN", "B", "C", "D", "E")  # the paper's six columns
# weight layers: Table 1's column headings; B-5x5 has five convs and the three FC layers
WEIGHT_LAYERS = {"A": 11, "A-LRN": 11, "B": 13, "C": 16, "D": 16, "E": 19, "B-5x5": 8}
TORCHVISION_NAMES = {"A": "vgg11", "B": "vgg13", "D": "vgg16", "E": "vgg19"}
FC_HIDDEN = (4096, 4096)
_KERNEL = re.compile(r"(\d+)x\1-(\d+)")


def _kernel_entry(v: str) -> tuple[int, int]:
    """``"1x1-256"`` -> (1, 256): the kernel side and the channels of a non-3x3 conv entry (odd kernels only: the
    padding k // 2 keeps the map size, as VGG's 3x3 convs with padding 1 do)."""
    k, n = (int(g) for g in _KERNEL.fullmatch(v).groups())
    if k % 2 == 0:
        raise ConfigError(f"VGG table: entry {v!r} has an even kernel; 'same' padding needs an odd one")
    return k, n


def parse_config(cfg: list, batch_norm: bool = False) -> list[Spec]:
    """Expand the shorthand into named specs: conv{block}_{i}, lrn, pool{block} (the paper's block numbering)."""
    specs: list[Spec] = []
    block, i = 1, 1
    for v in cfg:
        if v == "M":
            specs.append(Pool(f"pool{block}", 2, 2))
            block, i = block + 1, 1
        elif v == "LRN":
            specs.append(LRN("lrn"))
        elif isinstance(v, str) and _KERNEL.fullmatch(v):
            k, n = _kernel_entry(v)
            specs.append(Conv(f"conv{block}_{i}", n, k, 1, k // 2, batch_norm=batch_norm))
            i += 1
        elif isinstance(v, int):
            specs.append(Conv(f"conv{block}_{i}", v, 3, 1, 1, batch_norm=batch_norm))
            i += 1
        else:
            raise ConfigError(f"VGG table: cannot read entry {v!r}; use an int (3x3 conv channels), '1x1-N' "
                              f"(an odd KxK conv with N channels), 'LRN' or 'M'")
    return specs


def shorthand(config: str) -> str:
    """The review's shorthand, e.g. VGG-16 (D) = ``64 (x2) - 128 (x2) - 256 (x3) - 512 (x3) - 512 (x3)``;
    other kernels are written apart with their size: C's ``256 (x2) + 1x1 (x1)``, B-5x5's ``5x5 64 (x1)``."""
    blocks, cur = [], []
    for v in VGG_TABLE[config]:
        if v == "M":
            blocks.append(cur)
            cur = []
        elif v != "LRN":
            cur.append(v)
    parts = []
    for b in blocks:
        three = [v for v in b if isinstance(v, int)]
        other = [_kernel_entry(v) for v in b if isinstance(v, str)]
        if three:
            kernels = sorted({k for k, _ in other})
            parts.append(f"{max(three)} (x{len(three)})" +
                         "".join(f" + {k}x{k} (x{sum(e[0] == k for e in other)})" for k in kernels))
        else:
            parts.append(" + ".join(f"{k}x{k} {n} (x{other.count((k, n))})" for k, n in dict.fromkeys(other)))
    return " - ".join(parts)


class VGG(nn.Module):
    """``features`` -> ``avgpool`` -> flatten -> ``classifier``, as torchvision's VGG."""

    def __init__(self, specs: list[Spec], num_classes: int = 1000, *, image_size: int = 224,
                 hidden: tuple[int, ...] = FC_HIDDEN, dropout: float = 0.5) -> None:
        super().__init__()
        self.specs = list(specs)
        self.image_size = image_size
        c, h, w = trace(self.specs, (3, image_size, image_size))[-1].out_shape
        self.features, names = build_sequential(self.specs)
        # torchvision: AdaptiveAvgPool2d((7, 7)), the identity on the 7x7 map of a 224 input. Here the pool's output
        # is the natural map size at `image_size`, so small training images are not upsampled.
        self.avgpool = nn.AdaptiveAvgPool2d((h, w))
        self.classifier = fc_head(c * h * w, hidden, num_classes, dropout=dropout, dropout_first=False)
        linear_idx = [i for i, m in enumerate(self.classifier) if isinstance(m, nn.Linear)]
        self.layer_names = {f"features.{k}": v for k, v in names.items()}
        self.layer_names |= {f"classifier.{i}": f"fc{j + 1}" for j, i in enumerate(linear_idx)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def vgg_specs(config: str | list = "D", *, batch_norm: bool = False, width: float = 1.0) -> list[Spec]:
    """The feature table of a configuration (a Table 1 column name, or your own shorthand list)."""
    if isinstance(config, str):
        if config not in VGG_TABLE:
            raise ConfigError(f"vgg: unknown configuration {config!r}; use one of {list(VGG_TABLE)} "
                              f"(Table 1's columns) or a list like [64, 'M', 128, 'M', ...]")
        config = VGG_TABLE[config]
    return scale_specs(parse_config(config, batch_norm), width)


def vgg(config: str | list = "D", batch_norm: bool = False, num_classes: int = 1000, width: float = 1.0,
        image_size: int = 224, *, dropout: float = 0.5, fc_width: float | None = None) -> VGG:
    """Build a VGG configuration: ``"A"``, ``"A-LRN"``, ``"B"``, ``"C"``, ``"D"`` (VGG-16), ``"E"`` (VGG-19) or
    ``"B-5x5"`` (Sect. 4.1's shallow net).

    ``batch_norm=True`` adds BatchNorm after each conv as torchvision's ``vgg*_bn`` (not in the paper).
    ``width`` scales every channel and FC width; ``image_size`` fixes the FC1 input (7x7x512 at 224).
    """
    specs = vgg_specs(config, batch_norm=batch_norm, width=width)
    trace(specs, (3, image_size, image_size))  # fail before building
    hidden = tuple(scale(h, width if fc_width is None else fc_width) for h in FC_HIDDEN)
    return VGG(specs, num_classes, image_size=image_size, hidden=hidden, dropout=dropout)
