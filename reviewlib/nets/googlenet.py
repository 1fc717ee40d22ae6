"""GoogLeNet (Szegedy et al. 2014, "Going Deeper with Convolutions") from its Table 1.

``paper``: Table 1 and Fig. 3 — conv 7x7/2, max-pool 3x3/2, LRN, conv 1x1 (the "3x3 reduce"), conv 3x3, LRN,
max-pool, nine Inception modules with true 5x5 branches, 3x3/2 max-pools between stages (also after 4e), global
7x7 average pooling (the whole map at 224), dropout 40%, a linear layer; plain convs with bias and ReLU (no
BatchNorm, which came a year later); auxiliary classifiers on 4a and 4d with a 5x5/3 average pool (Sect. 5).

``torchvision``: ``torchvision.models.googlenet``'s layout and state_dict keys — BatchNorm after every conv,
a 3x3 kernel in the "5x5" branch (a known bug kept for its weights), a 2x2 pool after 4e, dropout 0.2, adaptive
4x4 pooling in the auxiliary heads, no LRN.

``naive=True`` keeps the stem and the heads and replaces every Inception module by the naive module of Fig. 2a
(Sect. 4; it has a 5x5 branch, so k5 must be 5): the same #1x1, #3x3 and #5x5 convolutions straight on the input,
no 1x1 reductions, and a 3x3 max-pool branch that passes every input map on, so the depth grows from module to
module (192 maps into 3a, 4,944 out of 5b at full width): the "computational blow up" the reductions of Fig. 2b
prevent.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .arch import LRN, Aux, Conv, InceptionSpec, Pool, Spec, build_block, scale_specs, trace
from ..errors import ConfigError
from .layers import GoogLeNetOutputs, NaiveInception

# (name, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj): the rows of Table 1.
INCEPTION_ROWS = [
    ("inception3a", 64, 96, 128, 16, 32, 32),
    ("inception3b", 128, 128, 192, 32, 96, 64),
    ("inception4a", 192, 96, 208, 16, 48, 64),
    ("inception4b", 160, 112, 224, 24, 64, 64),
    ("inception4c", 128, 128, 256, 24, 64, 64),
    ("inception4d", 112, 144, 288, 32, 64, 64),
    ("inception4e", 256, 160, 320, 32, 128, 128),
    ("inception5a", 256, 160, 320, 32, 128, 128),
    ("inception5b", 384, 192, 384, 48, 128, 128),
]
VARIANTS = {
    #              5x5 kernel, BatchNorm, pool after 4e, LRN, dropout, aux pool
    "paper": dict(k5=5, batch_norm=False, pool4=3, lrn=True, dropout=0.4, aux_pool="paper"),
    "torchvision": dict(k5=3, batch_norm=True, pool4=2, lrn=False, dropout=0.2, aux_pool="adaptive"),
}


@dataclass(frozen=True)
class NaiveSpec(InceptionSpec):
    """A row of Table 1 built as the naive module of Fig. 2a (:class:`~reviewlib.nets.layers.NaiveInception`).

    #1x1, #3x3 and #5x5 are Table 1's; ``c3x3red``, ``c5x5red`` and ``pool_proj`` hold the input depth: the 3x3 and
    5x5 convolutions see every input map (nothing reduces them) and the pool branch passes every input map on, so
    ``out`` = #1x1 + #3x3 + #5x5 + input depth.
    """


def naive_specs(specs: list[Spec]) -> list[Spec]:
    """``specs`` with every Inception row replaced by its naive form (:class:`NaiveSpec`, Fig. 2a), walking the
    depth through the table so each module knows its input."""
    out, c = [], 3
    for s in specs:
        if isinstance(s, InceptionSpec):
            s = NaiveSpec(s.name, s.c1x1, c, s.c3x3, c, s.c5x5, c, k5=s.k5, batch_norm=s.batch_norm)
        if isinstance(s, (Conv, InceptionSpec)):
            c = s.out
        out.append(s)
    return out


def googlenet_specs(variant: str = "paper", *, width: float = 1.0, aux_logits: bool = True,
                    k5: int | None = None, lrn: bool | None = None, aux_pool: str | None = None,
                    naive: bool = False) -> list[Spec]:
    """The table of a variant, stem to inception5b (the classifier head is built by :class:`GoogLeNet`);
    ``naive``: every Inception row as Fig. 2a's naive module (:func:`naive_specs`)."""
    if variant not in VARIANTS:
        raise ConfigError(f"googlenet: unknown variant {variant!r}; use 'paper' or 'torchvision'")
    v = VARIANTS[variant]
    k5 = v["k5"] if k5 is None else k5
    lrn = v["lrn"] if lrn is None else lrn
    bn = v["batch_norm"]
    inc = {row[0]: InceptionSpec(*row, k5=k5, batch_norm=bn) for row in INCEPTION_ROWS}
    aux_pool = v["aux_pool"] if aux_pool is None else aux_pool
    if aux_pool not in ("paper", "adaptive"):
        raise ConfigError(f"googlenet: unknown aux_pool {aux_pool!r}; use 'paper' (5x5/3 average pool) or 'adaptive'")
    aux = lambda name: Aux(name, pool=aux_pool, batch_norm=bn)  # noqa: E731
    specs: list[Spec] = [
        Conv("conv1", 64, 7, 2, 3, batch_norm=bn),
        Pool("maxpool1", 3, 2, ceil_mode=True),
        *([LRN("lrn1")] if lrn else []),
        Conv("conv2", 64, 1, batch_norm=bn),
        Conv("conv3", 192, 3, 1, 1, batch_norm=bn),
        *([LRN("lrn2")] if lrn else []),
        Pool("maxpool2", 3, 2, ceil_mode=True),
        inc["inception3a"], inc["inception3b"],
        Pool("maxpool3", 3, 2, ceil_mode=True),
        inc["inception4a"], *([aux("aux1")] if aux_logits else []),
        inc["inception4b"], inc["inception4c"], inc["inception4d"], *([aux("aux2")] if aux_logits else []),
        inc["inception4e"],
        Pool("maxpool4", v["pool4"], 2, ceil_mode=True),
        inc["inception5a"], inc["inception5b"],
    ]
    specs = scale_specs(specs, width)
    if naive:
        if k5 != 5:
            raise ConfigError(f"googlenet: the naive module (Fig. 2a) has a 5x5 branch; got k5={k5}")
        specs = naive_specs(specs)
    return specs


#: The order :meth:`GoogLeNet.forward` runs the table in (Table 1 top to bottom, Fig. 3); LRN and aux rows may be
#: absent.
ORDER = ("conv1", "maxpool1", "lrn1", "conv2", "conv3", "lrn2", "maxpool2", "inception3a", "inception3b", "maxpool3",
         "inception4a", "aux1", "inception4b", "inception4c", "inception4d", "aux2", "inception4e", "maxpool4",
         "inception5a", "inception5b")
OPTIONAL = ("lrn1", "lrn2", "aux1", "aux2")


class GoogLeNet(nn.Module):
    """Table 1 as modules, run in the paper's order; auxiliary heads on 4a and 4d in training only (Sect. 5).

    Each row of the table (:func:`googlenet_specs`) becomes the attribute of its name; a missing LRN row is the
    identity and a missing auxiliary head is ``None``, as in torchvision. Like torchvision, train mode with auxiliary
    heads returns ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)``; otherwise the logits. ``head="avgpool"`` is
    the paper's global average pooling; ``head="fc"`` flattens the last map into the classifier instead (the
    alternative Sect. 5 compares against, +0.6% top-1 for pooling).
    """

    def __init__(self, specs: list[Spec], num_classes: int = 1000, *, image_size: int = 224, dropout: float = 0.4,
                 head: str = "avgpool") -> None:
        super().__init__()
        if head not in ("avgpool", "fc"):
            raise ConfigError(f"googlenet: unknown head {head!r}; use 'avgpool' (the paper) or 'fc'")
        names = [s.name for s in specs]
        if names != [n for n in ORDER if n in names] or set(ORDER) - set(OPTIONAL) - set(names):
            raise ConfigError(f"googlenet: the table's rows must be Table 1's, in its order: {', '.join(ORDER)} "
                              f"({', '.join(OPTIONAL)} may be left out); got {', '.join(names)}")
        self.specs = list(specs)
        self.image_size = image_size
        traced = trace(self.specs, (3, image_size, image_size))
        built = {t.spec.name: _build(t.spec, t.in_shape[0], num_classes, t.in_shape[1]) for t in traced}
        for name in ORDER:
            setattr(self, name, built.get(name, nn.Identity() if name.startswith("lrn") else None))
        self.aux_logits = self.aux1 is not None or self.aux2 is not None
        c, h, w = traced[-1].out_shape
        self.head = head
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1)) if head == "avgpool" else nn.Identity()
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(c if head == "avgpool" else c * h * w, num_classes)

    @property
    def naive(self) -> bool:
        """Whether the Inception modules are Fig. 2a's naive ones."""
        return isinstance(self.inception3a, NaiveInception)

    def forward(self, x: torch.Tensor):
        # N x 3 x 224 x 224
        x = self.conv1(x)  # N x 64 x 112 x 112
        x = self.maxpool1(x)  # N x 64 x 56 x 56
        x = self.lrn1(x)  # N x 64 x 56 x 56
        x = self.conv2(x)  # N x 64 x 56 x 56
        x = self.conv3(x)  # N x 192 x 56 x 56
        x = self.lrn2(x)  # N x 192 x 56 x 56
        x = self.maxpool2(x)  # N x 192 x 28 x 28
        x = self.inception3a(x)  # N x 256 x 28 x 28
        x = self.inception3b(x)  # N x 480 x 28 x 28
        x = self.maxpool3(x)  # N x 480 x 14 x 14
        x = self.inception4a(x)  # N x 512 x 14 x 14
        aux1 = None
        if self.aux1 is not None and self.training:
            aux1 = self.aux1(x)  # N x num_classes
        x = self.inception4b(x)  # N x 512 x 14 x 14
        x = self.inception4c(x)  # N x 512 x 14 x 14
        x = self.inception4d(x)  # N x 528 x 14 x 14
        aux2 = None
        if self.aux2 is not None and self.training:
            aux2 = self.aux2(x)  # N x num_classes
        x = self.inception4e(x)  # N x 832 x 14 x 14
        x = self.maxpool4(x)  # N x 832 x 7 x 7
        x = self.inception5a(x)  # N x 832 x 7 x 7
        x = self.inception5b(x)  # N x 1024 x 7 x 7
        x = self.avgpool(x)  # N x 1024 x 1 x 1 (head="fc": N x 1024 x 7 x 7)
        x = torch.flatten(x, 1)  # N x 1024
        x = self.dropout(x)
        x = self.fc(x)  # N x num_classes
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


def _build(spec: Spec, in_channels: int, num_classes: int, map_size: int) -> nn.Module:
    """One row as its module: a :class:`NaiveSpec` as Fig. 2a's module, any other row by
    :func:`~reviewlib.nets.arch.build_block`."""
    if isinstance(spec, NaiveSpec):
        return NaiveInception(in_channels, spec.c1x1, spec.c3x3, spec.c5x5, batch_norm=spec.batch_norm)
    return build_block(spec, in_channels, num_classes=num_classes, map_size=map_size)


def googlenet(variant: str = "paper", aux_logits: bool = True, num_classes: int = 1000, width: float = 1.0,
              image_size: int = 224, *, dropout: float | None = None, head: str = "avgpool", k5: int | None = None,
              lrn: bool | None = None, aux_pool: str | None = None, naive: bool = False) -> GoogLeNet:
    """Build GoogLeNet from Table 1.

    Args:
        variant: ``"paper"`` or ``"torchvision"`` (see the module docstring for the differences).
        aux_logits: build the two auxiliary classifiers (used in training only).
        width: multiplier on every channel count; ``image_size`` is the input side the head is sized for.
        dropout: before the classifier (paper 0.4, torchvision 0.2 by default).
        head: ``"avgpool"`` (global average pooling, the paper) or ``"fc"`` (flatten the last map).
        k5, lrn, aux_pool: override the 5x5-branch kernel, the stem's LRN and the auxiliary heads' pooling
            (``"paper"`` 5x5/3 or ``"adaptive"`` 4x4) for ablations and small inputs.
        naive: build every Inception module as Fig. 2a's naive one (no 1x1 reductions; Sect. 4).
    """
    specs = googlenet_specs(variant, width=width, aux_logits=aux_logits, k5=k5, lrn=lrn, aux_pool=aux_pool,
                            naive=naive)
    trace(specs, (3, image_size, image_size))  # fail before building
    p = VARIANTS[variant]["dropout"] if dropout is None else dropout
    return GoogLeNet(specs, num_classes, image_size=image_size, dropout=p, head=head)
