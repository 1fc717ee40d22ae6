"""AlexNet (Krizhevsky, Sutskever, Hinton 2012) from its table, in the paper's form and in torchvision's.

``paper``: Sect. 3.5 and Fig. 2 — conv1 96 11x11/4, conv2 256 5x5, conv3 384 3x3, conv4 384 3x3, conv5 256 3x3,
split over two GPUs (Sect. 3.2: conv2, conv4 and conv5 see only their own tower), ReLU after every layer, LRN after
conv1 and conv2 (Sect. 3.3), overlapping 3x3/2 max-pools after both LRNs and after conv5 (Sect. 3.4), then FC
4096-4096-1000 with dropout 0.5 before the first two (Sect. 4.2). Input 227x227: the paper says 224, but
(224 - 11)/4 + 1 = 54.25 is not the 55 of Fig. 2; 227 gives exactly 55 (see ``INPUT_SIZE_NOTE``).

``torchvision``: torchvision's "one weird trick" variant, 64-192-384-256-256 with padding, no LRN, one tower, and
adaptive average pooling to 6x6 — the same module layout as ``torchvision.models.alexnet``, so its state_dict loads.
"""
from __future__ import annotations

import torch
from torch import nn

from .arch import LRN, Conv, Pool, Spec, build_sequential, scale, scale_specs, trace
from ..errors import ConfigError
from .layers import FixedInput, fc_head

PAPER_INPUT = 227
INPUT_SIZE_NOTE = ("The paper's 224x224 input gives (224 - 11) / 4 + 1 = 54.25 for conv1, not the 55x55 of Fig. 2; "
                   "a 227x227 input (or 3 more pixels of padding) gives exactly 55. We build the paper model at 227.")

ALEXNET_TABLES: dict[str, list[Spec]] = {
    "paper": [
        Conv("conv1", 96, 11, 4, 0, towers=2, cross=True),
        LRN("lrn1", towers=2),
        Pool("pool1", 3, 2),
        Conv("conv2", 256, 5, 1, 2, towers=2, cross=False),
        LRN("lrn2", towers=2),
        Pool("pool2", 3, 2),
        Conv("conv3", 384, 3, 1, 1, towers=2, cross=True),
        Conv("conv4", 384, 3, 1, 1, towers=2, cross=False),
        Conv("conv5", 256, 3, 1, 1, towers=2, cross=False),
        Pool("pool5", 3, 2),
    ],
    "torchvision": [
        Conv("conv1", 64, 11, 4, 2),
        Pool("pool1", 3, 2),
        Conv("conv2", 192, 5, 1, 2),
        Pool("pool2", 3, 2),
        Conv("conv3", 384, 3, 1, 1),
        Conv("conv4", 256, 3, 1, 1),
        Conv("conv5", 256, 3, 1, 1),
        Pool("pool5", 3, 2),
    ],
}
FC_HIDDEN = (4096, 4096)  # fc6, fc7; fc8 is the classifier


def alexnet_specs(variant: str = "paper", *, width: float = 1.0, lrn: bool = True, overlap_pool: bool = True,
                  towers: int | None = None) -> list[Spec]:
    """The feature table of a variant with the paper's ablation switches applied.

    ``lrn=False`` drops the LRN rows, ``overlap_pool=False`` turns the 3x3/2 pools into 2x2/2 (Sect. 3.4's
    comparison), ``towers=1`` puts every conv on one GPU with full connectivity.
    """
    if variant not in ALEXNET_TABLES:
        raise ConfigError(f"alexnet: unknown variant {variant!r}; use 'paper' or 'torchvision'")
    specs = []
    for s in ALEXNET_TABLES[variant]:
        if isinstance(s, LRN) and not lrn:
            continue
        if isinstance(s, Pool) and not overlap_pool:
            s = Pool(s.name, 2, 2)
        if towers is not None and isinstance(s, (Conv, LRN)) and s.towers != towers:
            s = (Conv(s.name, s.out, s.kernel, s.stride, s.padding, towers=towers, cross=s.cross)
                 if isinstance(s, Conv) else LRN(s.name, s.size, s.alpha, s.beta, s.k, towers=towers))
        specs.append(s)
    return scale_specs(specs, width)


class AlexNet(nn.Module):
    """``features`` -> ``avgpool`` -> flatten -> ``classifier``, as torchvision's AlexNet."""

    def __init__(self, specs: list[Spec], num_classes: int = 1000, *, image_size: int | None = PAPER_INPUT,
                 adaptive_pool: int | None = None, hidden: tuple[int, ...] = FC_HIDDEN, dropout: float = 0.5,
                 act: str = "relu", name: str = "AlexNet") -> None:
        super().__init__()
        self.specs = list(specs)
        self.image_size = image_size
        self.features, names = build_sequential(self.specs, 3, act)
        c_out = next(s.out for s in reversed(self.specs) if isinstance(s, Conv))
        if adaptive_pool is not None:
            self.avgpool: nn.Module = nn.AdaptiveAvgPool2d((adaptive_pool, adaptive_pool))
            flat = c_out * adaptive_pool * adaptive_pool
        else:
            c, h, w = trace(self.specs, (3, image_size, image_size))[-1].out_shape
            self.avgpool = FixedInput((c, h, w), layer="fc6", model=name, image_size=image_size)
            flat = c * h * w
        self.classifier = fc_head(flat, hidden, num_classes, dropout=dropout, dropout_first=True, act=act)
        linear_idx = [i for i, m in enumerate(self.classifier) if isinstance(m, nn.Linear)]
        fc_names = [f"fc{6 + j}" for j in range(len(linear_idx))]
        self.layer_names = {f"features.{k}": v for k, v in names.items()}
        self.layer_names |= {f"classifier.{i}": n for i, n in zip(linear_idx, fc_names)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def alexnet(variant: str = "paper", num_classes: int = 1000, width: float = 1.0, image_size: int | None = None,
            *, lrn: bool = True, overlap_pool: bool = True, towers: int | None = None, activation: str = "relu",
            dropout: float = 0.5, fc_width: float | None = None) -> AlexNet:
    """Build AlexNet from its table.

    Args:
        variant: ``"paper"`` (two towers, LRN, 227 input, fixed 6x6x256 into FC6) or ``"torchvision"``
            (torchvision's layout and state_dict keys, adaptive pooling to 6x6).
        num_classes: size of the last layer (1000 for ILSVRC).
        width: multiplier on every channel and FC width (budgets use < 1).
        image_size: the input side the paper model is built for (default 227; FC6's size follows from it).
            For the torchvision variant ``None`` keeps torchvision's 6x6 adaptive pool; an int makes the pool's
            output the natural map size at that input, so small images do not get upsampled to 6x6.
        lrn, overlap_pool, towers, activation, dropout: the paper's ablations (Sect. 3.1-3.4, 4.2).
        fc_width: multiplier on the FC widths only (defaults to ``width``).
    """
    specs = alexnet_specs(variant, width=width, lrn=lrn, overlap_pool=overlap_pool, towers=towers)
    hidden = tuple(scale(h, width if fc_width is None else fc_width) for h in FC_HIDDEN)
    if variant == "paper":
        size = image_size or PAPER_INPUT
        trace(specs, (3, size, size))  # fail before building
        return AlexNet(specs, num_classes, image_size=size, hidden=hidden, dropout=dropout, act=activation,
                       name="AlexNet (paper)")
    if image_size is None:
        pool = 6
    else:
        pool = trace(specs, (3, image_size, image_size))[-1].out_shape[1]
    return AlexNet(specs, num_classes, image_size=image_size, adaptive_pool=pool, hidden=hidden, dropout=dropout,
                   act=activation, name="AlexNet (torchvision)")
