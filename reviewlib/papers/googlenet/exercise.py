"""Build it yourself, and the questions at the end of the GoogLeNet notebook.

The two build-it-yourself exercises (Fig. 2b's module, then Table 1's stack) are checked layer by layer against
:func:`inception_reference` and :func:`exercise_reference`. Both references list every Inception module branch by
branch (:func:`opened`), so a reader's plain ``nn.Module`` is compared convolution by convolution and the checker
names the first missing or wrong one (``inception3a.branch3.1``, say). The answers are here, out of the reader's
sight: :func:`answer_inception` and :func:`exercise_answer`.

:data:`QUESTIONS` are the end-of-chapter exercises; :func:`reveal` computes the answer of a numeric one and
:func:`naive_reference` / :func:`aux_reference` are what the code ones are checked against.
"""
from __future__ import annotations

import torch
from torch import nn

from ...errors import ConfigError
from ...nets import INCEPTION_ROWS, googlenet, googlenet_specs
from ...nets.arch import Aux, aux_pooled_size, trace
from ...nets.layers import AuxClassifier, Inception, NaiveInception
from ...review.report import Markdown, markdown

_WIDTHS = {r[0]: r[1:] for r in INCEPTION_ROWS}


def opened(model: nn.Module) -> nn.Module:
    """``model`` with every Inception module listed branch by branch in its layer table (not as one row), so a
    model built from plain ``nn.Module``\\ s compares with it layer by layer. Returns ``model`` itself."""
    for m in model.modules():
        if isinstance(m, (Inception, NaiveInception)):
            m.atomic_row, m.row_kind = False, None
    return model


def inception_reference(in_channels: int = 192, row: str = "inception3a") -> nn.Module:
    """What the first exercise is checked against: ``row`` of Table 1 as Fig. 2b's module (paper: 5x5 kernels,
    plain convolutions with biases and ReLU)."""
    return opened(Inception(in_channels, *_WIDTHS[row]))


def exercise_reference(num_classes: int = 1000) -> nn.Module:
    """What the second exercise is checked against: the paper's GoogLeNet without LRN and auxiliary heads, its
    Inception modules listed branch by branch."""
    return opened(googlenet("paper", aux_logits=False, lrn=False, num_classes=num_classes))


class AnswerInception(nn.Module):
    """The first exercise's answer: Fig. 2b in plain torch."""

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()

        def conv(i, o, k):
            return nn.Sequential(nn.Conv2d(i, o, k, padding=k // 2), nn.ReLU(inplace=True))

        self.branch1 = conv(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(conv(in_channels, ch3x3red, 1), conv(ch3x3red, ch3x3, 3))
        self.branch3 = nn.Sequential(conv(in_channels, ch5x5red, 1), conv(ch5x5red, ch5x5, 5))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), conv(in_channels, pool_proj, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def answer_inception(in_channels: int = 192, row: str = "inception3a") -> nn.Module:
    """The first exercise's answer: ``row`` of Table 1 as an :class:`AnswerInception`."""
    return AnswerInception(in_channels, *_WIDTHS[row])


def exercise_answer(num_classes: int = 1000) -> nn.Module:
    """The second exercise's answer: Table 1 as one ``nn.Sequential`` (no LRN, no auxiliary heads) built with
    :class:`AnswerInception`; it passes the checker against :func:`exercise_reference`."""
    def conv(i, o, k, s=1):
        return nn.Sequential(nn.Conv2d(i, o, k, stride=s, padding=k // 2), nn.ReLU(inplace=True))

    def pool():
        return nn.MaxPool2d(3, stride=2, ceil_mode=True)

    layers: list[nn.Module] = [conv(3, 64, 7, 2), pool(), conv(64, 64, 1), conv(64, 192, 3), pool()]
    c = 192
    for name, *w in INCEPTION_ROWS:
        layers.append(AnswerInception(c, *w))
        c = w[0] + w[2] + w[4] + w[5]
        if name in ("inception3b", "inception4e"):
            layers.append(pool())
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.4), nn.Linear(c, num_classes)]
    return nn.Sequential(*layers)


# --------------------------------------------------------------------------------------------- end-of-chapter
QUESTIONS = {
    1: "Sect. 4: how many multiply-adds does the 5x5 branch of inception (4e) cost per image with its 32-map 1x1 "
       "reduction, and how many would a 5x5 convolution straight on the module's 14x14x528 input cost?",
    2: "Fig. 2a in code: write the naive module for inception (3a) (192 input maps; 64, 128 and 32 filters of "
       "1x1, 3x3 and 5x5, and the 3x3 max-pool) and check it with `naive_reference()`.",
    3: "Sect. 5: the auxiliary classifier pools 4a's 14x14 map with a 5x5 window at stride 3. What size is the "
       "pooled map, and what is the smallest input side (for the paper's stem) at which that pool still fits?",
    4: "Sect. 5 in code: write the auxiliary classifier on 4a (average pool 5x5/3, 1x1 conv to 128 + ReLU, FC 1024 "
       "+ ReLU, dropout 70%, linear to 1000) and check it with `aux_reference()`.",
    5: "Sect. 5: how many parameters would the classifier have if the 7x7x1024 map were flattened into the 1000-way "
       "linear layer instead of average-pooled, and how many times the rest of the network is that?",
    6: "Sect. 7: how many network evaluations does the winning entry (7 models, 144 crops) make per image, and for "
       "the 100,000 test images of ILSVRC 2014?",
}


def naive_reference(in_channels: int = 192, row: str = "inception3a") -> nn.Module:
    """What question 2 is checked against: Fig. 2a's naive module with ``row``'s #1x1, #3x3 and #5x5."""
    c1, _, c3, _, c5, _ = _WIDTHS[row]
    return opened(NaiveInception(in_channels, c1, c3, c5))


def aux_reference(in_channels: int = 512, num_classes: int = 1000) -> nn.Module:
    """What question 4 is checked against: the paper's auxiliary classifier on a 14x14 map (Sect. 5)."""
    head = AuxClassifier(in_channels, num_classes, pooled_size=4, pool="paper")
    head.atomic_row = False
    return head


def smallest_input_for_aux(limit: int = 512) -> int:
    """The smallest input side at which the paper's net, auxiliary heads included, can be built (4a's map must be
    at least 5x5 for the 5x5/3 pool)."""
    specs = googlenet_specs("paper")
    for side in range(8, limit):
        try:
            trace(specs, (3, side, side))
        except ConfigError:
            continue
        return side
    raise ConfigError(f"smallest_input_for_aux: no side below {limit} fits")  # pragma: no cover


def reveal(question: int) -> Markdown:
    """The answer to a numeric question of :data:`QUESTIONS`, computed (for the code questions: how to check)."""
    from .claims import head_comparison
    from .explorer import naive_inception_cost

    if question == 1:
        reduced = 528 * 32 * 14 * 14 + 32 * 5 * 5 * 128 * 14 * 14
        direct = naive_inception_cost(528, 14, 1, 1, 128, bias=False)["macs"] - 528 * (1 + 9) * 14 * 14
        return markdown(f"With the reduction: 528·32·14·14 + 32·25·128·14·14 = **{reduced:,}** multiply-adds; "
                        f"straight on the input: 528·25·128·14·14 = **{direct:,}**, {direct / reduced:.1f} times "
                        f"as many.")
    if question == 3:
        pooled = aux_pooled_size(Aux("aux1"), 14)
        return markdown(f"(14 - 5) / 3 + 1 = **{pooled}**, a {pooled}x{pooled} map (4x4x512 on 4a). The pool needs "
                        f"a 5x5 map at 4a, which the stem (7x7/2 conv, three 3x3/2 max-pools) gives from an input "
                        f"side of **{smallest_input_for_aux()}** pixels up.")
    if question == 5:
        h = head_comparison()
        fc, rest = int(h["head params"].iloc[1]), int(h["total params"].iloc[0] - h["head params"].iloc[0])
        return markdown(f"7·7·1024·1000 weights + 1000 biases = **{fc:,}** parameters, {fc / rest:.1f} times the "
                        f"{rest:,} of the rest of the network.")
    if question == 6:
        return markdown(f"7 x 144 = **{7 * 144:,}** evaluations per image, **{7 * 144 * 100_000:,}** for the test "
                        f"set.")
    if question in (2, 4):
        ref = "naive_reference()" if question == 2 else "aux_reference()"
        return markdown(f"Question {question} is answered by code: `check_model(yours, {ref}, ...)` names the first "
                        f"layer that differs.")
    raise KeyError(f"reveal: no question {question}; the questions are {sorted(QUESTIONS)}")
