"""AlexNet (Krizhevsky, Sutskever, Hinton 2012) from its tables: the paper's net, its one-GPU comparison net, the
small net of Fig. 1, and torchvision's variant.

``paper``: Sect. 3.5 and Fig. 2 — conv1 96 11x11/4, conv2 256 5x5, conv3 384 3x3, conv4 384 3x3, conv5 256 3x3,
split over two GPUs (Sect. 3.2: conv2, conv4 and conv5 see only their own tower), ReLU after every layer, LRN after
conv1 and conv2 (Sect. 3.3), overlapping 3x3/2 max-pools after both LRNs and after conv5 (Sect. 3.4), then FC
4096-4096-1000 with dropout 0.5 before the first two (Sect. 4.2). Input 227x227: the paper says 224, but
(224 - 11)/4 + 1 = 54.25 is not the 55 of Fig. 2; 227 gives exactly 55 (see ``INPUT_SIZE_NOTE``).

``one_gpu``: the net Sect. 3.2 compares the two-GPU net with (its footnote): one GPU, half the kernels of conv1-conv4,
but conv5 and the FC layers at full size, "so that the two nets have approximately the same number of parameters".

``fig1``: the four-layer CNN of Fig. 1 (ReLU vs tanh on CIFAR-10): three 5x5 convolutions of 32, 32 and 64 maps,
each followed by a 3x3/2 max-pool, and one linear layer; 32x32 input, no dropout. The pools round up, as
cuda-convnet's did (32 -> 16 -> 8 -> 4), so the linear layer sees 4x4x64 values.

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
FIG1_INPUT = 32  # CIFAR-10's images

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
    "one_gpu": [
        Conv("conv1", 48, 11, 4, 0),
        LRN("lrn1"),
        Pool("pool1", 3, 2),
        Conv("conv2", 128, 5, 1, 2),
        LRN("lrn2"),
        Pool("pool2", 3, 2),
        Conv("conv3", 192, 3, 1, 1),
        Conv("conv4", 192, 3, 1, 1),
        Conv("conv5", 256, 3, 1, 1),  # full size (Sect. 3.2's footnote)
        Pool("pool5", 3, 2),
    ],
    "fig1": [
        Conv("conv1", 32, 5, 1, 2),
        Pool("pool1", 3, 2, ceil_mode=True),
        Conv("conv2", 32, 5, 1, 2),
        Pool("pool2", 3, 2, ceil_mode=True),
        Conv("conv3", 64, 5, 1, 2),
        Pool("pool3", 3, 2, ceil_mode=True),
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
HIDDEN = {"fig1": ()}  # Fig. 1's net has no hidden FC layer; every other variant has FC_HIDDEN
FIXED_INPUT = {"paper": PAPER_INPUT, "one_gpu": PAPER_INPUT, "fig1": FIG1_INPUT}  # built for one input side


def alexnet_specs(variant: str = "paper", *, width: float = 1.0, lrn: bool | str = True,
                  overlap_pool: bool = True, towers: int | None = None) -> list[Spec]:
    """The feature table of a variant with the paper's ablation switches applied.

    ``lrn=False`` drops the LRN rows; ``lrn="constant"`` keeps each as the constant division by ``k**beta`` it
    becomes when the summed squares are small (``alpha=0``: 2**0.75 = 1.68 with the paper's k=2), which removes
    the normalisation but not the rescaling; ``overlap_pool=False`` turns the 3x3/2 pools into 2x2/2 (Sect. 3.4's
    comparison), ``towers=1`` puts every conv on one GPU with full connectivity (all kernels kept).
    """
    if variant not in ALEXNET_TABLES:
        raise ConfigError(f"alexnet: unknown variant {variant!r}; use one of {', '.join(ALEXNET_TABLES)}")
    if lrn not in (True, False, "constant"):
        raise ConfigError(f"alexnet: lrn must be True, False or 'constant', got {lrn!r}")
    specs = []
    for s in ALEXNET_TABLES[variant]:
        if isinstance(s, LRN) and not lrn:
            continue
        if isinstance(s, LRN) and lrn == "constant":
            s = LRN(s.name, s.size, 0.0, s.beta, s.k, towers=s.towers)
        if isinstance(s, Pool) and not overlap_pool:
            s = Pool(s.name, 2, 2)
        if towers is not None and isinstance(s, (Conv, LRN)) and s.towers != towers:
            s = (Conv(s.name, s.out, s.kernel, s.stride, s.padding, towers=towers, cross=s.cross)
                 if isinstance(s, Conv) else LRN(s.name, s.size, s.alpha, s.beta, s.k, towers=towers))
        specs.append(s)
    return scale_specs(specs, width)


class AlexNet(nn.Module):
    """``features`` -> ``avgpool`` -> flatten -> ``classifier``, as torchvision's AlexNet. The FC layers are named
    after the convs: fc6-fc8 behind AlexNet's five, fc4 behind Fig. 1's three."""

    def __init__(self, specs: list[Spec], num_classes: int = 1000, *, image_size: int | None = PAPER_INPUT,
                 adaptive_pool: int | None = None, hidden: tuple[int, ...] = FC_HIDDEN, dropout: float = 0.5,
                 act: str = "relu", name: str = "AlexNet") -> None:
        super().__init__()
        self.specs = list(specs)
        self.image_size = image_size
        self.features, names = build_sequential(self.specs, 3, act)
        c_out = next(s.out for s in reversed(self.specs) if isinstance(s, Conv))
        first_fc = 1 + sum(isinstance(s, Conv) for s in self.specs)
        if adaptive_pool is not None:
            self.avgpool: nn.Module = nn.AdaptiveAvgPool2d((adaptive_pool, adaptive_pool))
            flat = c_out * adaptive_pool * adaptive_pool
        else:
            c, h, w = trace(self.specs, (3, image_size, image_size))[-1].out_shape
            self.avgpool = FixedInput((c, h, w), layer=f"fc{first_fc}", model=name, image_size=image_size)
            flat = c * h * w
        self.classifier = fc_head(flat, hidden, num_classes, dropout=dropout, dropout_first=True, act=act)
        linear_idx = [i for i, m in enumerate(self.classifier) if isinstance(m, nn.Linear)]
        self.layer_names = {f"features.{k}": v for k, v in names.items()}
        self.layer_names |= {f"classifier.{i}": f"fc{first_fc + j}" for j, i in enumerate(linear_idx)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def alexnet(variant: str = "paper", num_classes: int = 1000, width: float = 1.0, image_size: int | None = None,
            *, lrn: bool | str = True, overlap_pool: bool = True, towers: int | None = None, activation: str = "relu",
            dropout: float = 0.5, fc_width: float | None = None, one_gpu: bool = False) -> AlexNet:
    """Build AlexNet from its table.

    Args:
        variant: ``"paper"`` (two towers, LRN, 227 input, fixed 6x6x256 into FC6), ``"one_gpu"`` (Sect. 3.2's
            comparison net), ``"fig1"`` (Fig. 1's four-layer net, 32 input) or ``"torchvision"`` (torchvision's
            layout and state_dict keys, adaptive pooling to 6x6).
        num_classes: size of the last layer (1000 for ILSVRC, 10 for CIFAR-10).
        width: multiplier on every channel and FC width (budgets use < 1).
        image_size: the input side a fixed-input variant is built for (default 227, 32 for ``fig1``; the first FC
            layer's size follows from it). For the torchvision variant ``None`` keeps torchvision's 6x6 adaptive
            pool; an int makes the pool's output the natural map size at that input, so small images do not get
            upsampled to 6x6.
        lrn, overlap_pool, towers, activation, dropout: the paper's ablations (Sect. 3.1-3.4, 4.2).
        fc_width: multiplier on the FC widths only (defaults to ``width``).
        one_gpu: build ``"one_gpu"`` in place of ``"paper"`` (so ``build_model("alexnet_paper", one_gpu=True)``
            gives the one-GPU net of an ablation).
    """
    if one_gpu:
        if variant not in ("paper", "one_gpu"):
            raise ConfigError(f"alexnet: one_gpu=True is Sect. 3.2's variant of the paper model, not of {variant!r}")
        variant = "one_gpu"
    specs = alexnet_specs(variant, width=width, lrn=lrn, overlap_pool=overlap_pool, towers=towers)
    hidden = tuple(scale(h, width if fc_width is None else fc_width) for h in HIDDEN.get(variant, FC_HIDDEN))
    title = f"AlexNet ({variant})"
    if variant in FIXED_INPUT:
        size = image_size or FIXED_INPUT[variant]
        trace(specs, (3, size, size))  # fail before building
        return AlexNet(specs, num_classes, image_size=size, hidden=hidden, dropout=dropout, act=activation,
                       name=title)
    if image_size is None:
        pool = 6
    else:
        pool = trace(specs, (3, image_size, image_size))[-1].out_shape[1]
    return AlexNet(specs, num_classes, image_size=image_size, adaptive_pool=pool, hidden=hidden, dropout=dropout,
                   act=activation, name=title)
