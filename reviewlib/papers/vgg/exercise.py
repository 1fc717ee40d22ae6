"""The VGG notebook's exercises: "build VGG-16 yourself" (Sect. 2.1, checked layer by layer against
``reviewlib.nets.vgg("D")``) and the questions at the end, whose numbers :func:`reveal` computes and whose code
answers :func:`check` verifies.
"""
from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import torch
from torch import nn

from ...errors import ConfigError
from ...nets import vgg
from ...nets.arch import trace
from ...nets.vgg import VGG_TABLE, vgg_specs
from ...review.checker import CheckResult, check_model
from ...review.report import Markdown
from ...train.init import warm_start_vgg

SHORTHAND_D = "64 (x2) - 128 (x2) - 256 (x3) - 512 (x3) - 512 (x3)"


def parse_shorthand(text: str) -> list[tuple[int, int]]:
    """``"64 (x2) - 128 (x2) - 256 (x3) - 512 (x3) - 512 (x3)"`` -> ``[(64, 2), (128, 2), (256, 3), ...]``."""
    blocks = []
    for part in text.split("-"):
        m = re.fullmatch(r"\s*(\d+)\s*(?:\(x(\d+)\))?\s*", part)
        if not m:
            raise ConfigError(f"parse_shorthand: cannot read block {part.strip()!r}; write blocks like '64 (x2)'")
        blocks.append((int(m.group(1)), int(m.group(2) or 1)))
    return blocks


class VGG16Answer(nn.Module):
    """The answer, written the way a reader would: VGG-16 from the review's shorthand ``64 (x2) - 128 (x2) - 256 (x3)
    - 512 (x3) - 512 (x3)`` (each block that many 3x3 convs with padding 1 and ReLU, closed by a 2x2/2 max-pool),
    then FC-4096, FC-4096, FC-classes with ReLU and dropout 0.5 after the first two (Sect. 2.1, 3.1)."""

    def __init__(self, num_classes: int = 1000, image_size: int = 224, blocks: str = SHORTHAND_D):
        super().__init__()
        layers: list[nn.Module] = []
        c = 3
        for width, n in parse_shorthand(blocks):
            for _ in range(n):
                layers += [nn.Conv2d(c, width, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                c = width
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        self.features = nn.Sequential(*layers)
        side = image_size // 2 ** len(parse_shorthand(blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((side, side))
        self.classifier = nn.Sequential(
            nn.Linear(c * side * side, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def exercise_answer(num_classes: int = 1000, image_size: int = 224) -> nn.Module:
    """The answer to the build-it-yourself exercise (build it on the meta device to keep it free:
    ``with torch.device("meta"): exercise_answer()``)."""
    return VGG16Answer(num_classes, image_size)


def exercise_reference(num_classes: int = 1000, image_size: int = 224) -> nn.Module:
    """What the exercise is checked against: ``reviewlib.nets.vgg("D")``."""
    return vgg("D", num_classes=num_classes, image_size=image_size)


# --------------------------------------------------------------------------------------------- end-of-chapter
QUESTIONS = {
    1: "Sect. 2.3 for two layers: a stack of two 3x3 convs and one 5x5 conv see the same 5x5 field. With C "
       "channels in and out, how many weights does each have, and by what percentage does the 5x5 exceed the stack?",
    2: "Sect. 4.1's shallow net replaces each pair of B's 3x3 convs by one 5x5 conv. Count the conv parameters "
       "(weights and biases) of B and of the shallow net at full width. Which has more, and how many ReLUs does "
       "each have in its conv part?",
    3: "Write configuration C in the shorthand list of `reviewlib.nets.VGG_TABLE` (an int is a 3x3 conv, "
       "'1x1-N' a 1x1 conv, 'M' a max-pool), build it with `vgg(your_list)` and check it with `check(3, ...)`.",
    4: "Sect. 3.2: dense evaluation runs D on the whole image rescaled to Q. What is the smallest Q for which the "
       "class score map is 5x5?",
    5: "Sect. 3.1: with a fixed training scale S = 384, what share of the short side does a 224x224 crop cover, "
       "and what share of the (square) image's area?",
    6: "Sect. 3.1's warm start in code: write `my_warm_start(target, source_a)` that copies A's first four conv "
       "layers into the conv layers at the same place (block, index in block) of a deeper net and A's three FC "
       "layers into its FC layers, and check it with `check(6, my_warm_start)`.",
}


def _q1() -> str:
    from .claims import stack_comparison

    t = stack_comparison(2, 3, 1, measure=False)
    s, b = t.loc["stack", "weights / C^2"], t.loc["single", "weights / C^2"]
    return (f"stack: 2 x 3 x 3 x C^2 = {s:g} C^2; one 5x5: {b:g} C^2, {b / s - 1:.1%} more (and one ReLU instead "
            "of two).")


def _q2() -> str:
    from .claims import SHALLOW, shallow_rows

    t = shallow_rows()
    p = t.groupby("config")["conv params"].sum()
    r = t.groupby("config")["ReLUs"].sum()
    return (f"B: {p['B']:,} conv parameters and {r['B']} ReLUs; {SHALLOW}: {p[SHALLOW]:,} and {r[SHALLOW]}. The "
            f"shallow net has {p[SHALLOW] / p['B'] - 1:.1%} more parameters and half the non-linearities: depth, not "
            "size, is what it lacks.")


def score_map_side(config: str, q: int, image_size: int = 224) -> int:
    """The side of the class score map of ``config`` evaluated densely at test scale ``q``: the last map before
    the FC layers at ``q`` minus the one at ``image_size`` (FC1's kernel), plus one."""
    train = trace(vgg_specs(config), (3, image_size, image_size))[-1].out_shape[-1]
    return trace(vgg_specs(config), (3, q, q))[-1].out_shape[-1] - train + 1


def _q4() -> str:
    q = next(q for q in range(224, 1024) if score_map_side("D", q) >= 5)
    return (f"Q = {q}: the fifth pool leaves a {q // 32}x{q // 32} map, FC1 as a 7x7 conv turns it into "
            f"{score_map_side('D', q)}x{score_map_side('D', q)} class scores (Q = {q - 1} gives "
            f"{score_map_side('D', q - 1)}x{score_map_side('D', q - 1)}).")


def _q5() -> str:
    from .claims import crop_coverage

    row = crop_coverage(224, (384,)).loc[384]
    return f"{row['side covered']:.1%} of the short side, {row['area covered']:.1%} of the square's area."


def reveal(question: int) -> Markdown:
    """The answer to question ``question`` of :data:`QUESTIONS`, computed (for the code questions: the answer)."""
    answers: dict[int, Callable[[], str]] = {
        1: _q1, 2: _q2,
        3: lambda: f"`{VGG_TABLE['C']}`",
        4: _q4, 5: _q5,
        6: lambda: "`reviewlib.train.init.warm_start_vgg` (read it with `warm_start_vgg??`).",
    }
    if question not in answers:
        raise KeyError(f"reveal: no question {question}; the questions are {sorted(QUESTIONS)}")
    return Markdown(f"**Answer {question}.** " + answers[question]())


def _check_warm_start(fn: Callable) -> CheckResult:
    torch.manual_seed(0)
    a = vgg("A", num_classes=5, width=1 / 16, image_size=32)
    mine, ref = (vgg("D", num_classes=5, width=1 / 16, image_size=32) for _ in range(2))
    ref.load_state_dict(mine.state_dict())
    copied = warm_start_vgg(ref, a)
    fn(mine, a)
    for (name, p), q in zip(mine.state_dict().items(), ref.state_dict().values()):
        if not torch.equal(p, q):
            layer = name.rsplit(".", 1)[0]
            what = "should be copied from A" if layer in copied else "should keep its own initialisation"
            return CheckResult(False, f"{name} differs from the reference: layer {layer} {what}.", pd.DataFrame())
    return CheckResult(True, f"Matches: {len(copied)} layers copied ({', '.join(copied)}), the rest untouched.",
                       pd.DataFrame())


def check(question: int, answer) -> CheckResult:
    """Check a code answer: question 3 takes your model (or shorthand list), question 6 your warm-start function."""
    if question == 3:
        with torch.device("meta"):
            model = vgg(answer) if isinstance(answer, list) else answer
            return check_model(model, vgg("C"))
    if question == 6:
        return _check_warm_start(answer)
    raise KeyError(f"check: question {question} has a number for an answer; use reveal({question})")
