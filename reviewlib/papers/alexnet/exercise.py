"""The AlexNet notebook's exercises: "build it yourself" (the paper's net in plain PyTorch, checked layer by layer
against ``reviewlib.nets.alexnet("paper")``) and the questions at the end, whose numbers :func:`reveal` computes and
whose code answers :func:`check` verifies.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import torch
from torch import nn

from ...nets import alexnet, count_params
from ...nets.layers import LocalResponseNorm
from ...review.checker import CheckResult, check_model
from ...review.report import Markdown
from .claims import augmentation_factor, conv_out


class TowerLRN(nn.LocalResponseNorm):
    """Sect. 3.3's LRN in plain torch, as the paper ran it: each GPU normalises over the maps it holds, so the sum
    runs over neighbouring maps of the same half. torch divides ``alpha`` by ``size``, so the paper's 1e-4 is
    passed as ``5 * 1e-4``."""

    def __init__(self, towers: int = 2) -> None:
        super().__init__(size=5, alpha=5 * 1e-4, beta=0.75, k=2.0)
        self.towers = towers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([super(TowerLRN, self).forward(half) for half in x.chunk(self.towers, dim=1)], dim=1)


class PaperAlexNet(nn.Module):
    """The answer: the paper's AlexNet in plain torch (Sect. 3.1-3.5, 4.2), input 227x227.

    The two GPUs are ``groups=2`` convolutions where a layer sees only its own GPU's maps (conv2, conv4, conv5);
    conv1 and conv3 see all maps. LRN normalises each GPU's half on its own (:class:`TowerLRN`).
    """

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True), TowerLRN(), nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), TowerLRN(), nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        )
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


def exercise_answer(num_classes: int = 1000) -> nn.Module:
    """The answer to the build-it-yourself exercise (read ``inspect.getsource(PaperAlexNet)`` after trying)."""
    return PaperAlexNet(num_classes)


def exercise_reference(num_classes: int = 1000) -> nn.Module:
    """What the exercise is checked against: ``reviewlib.nets.alexnet("paper")``."""
    return alexnet("paper", num_classes=num_classes)


@torch.no_grad()
def copy_into_answer(answer: nn.Module, reference: nn.Module) -> nn.Module:
    """Load ``reference``'s weights (two towers per conv) into a plain-torch answer (one grouped conv per layer),
    so both compute the same function; returns ``answer``."""
    convs = [m for m in answer.features if isinstance(m, nn.Conv2d)]
    ours = [m for m in reference.features if hasattr(m, "towers") and isinstance(m.towers, nn.ModuleList)]
    for conv, towers in zip(convs, ours):
        conv.weight.copy_(torch.cat([t.weight for t in towers.towers]))
        conv.bias.copy_(torch.cat([t.bias for t in towers.towers]))
    for a, b in zip([m for m in answer.classifier if isinstance(m, nn.Linear)],
                    [m for m in reference.classifier if isinstance(m, nn.Linear)]):
        a.weight.copy_(b.weight)
        a.bias.copy_(b.bias)
    return answer


# --------------------------------------------------------------------------------------------- end-of-chapter
QUESTIONS = {
    1: "Sect. 3.5 says the input is 224x224 and conv1 has 11x11 kernels with stride 4 and gives 55x55 maps. How much "
       "zero padding on each side would make a 224 input give 55x55, and what input side gives 55 without padding?",
    2: "Sect. 3.2: conv2's kernels see only the 48 maps on their own GPU. How many parameters (weights and biases) "
       "does conv2 have, and how many would it have if each kernel saw all 96 maps of conv1?",
    3: "Sect. 3.3 in code: write the torch module that applies the paper's LRN (k=2, n=5, alpha=1e-4, beta=0.75) to "
       "one GPU's maps, as `my_lrn = nn.LocalResponseNorm(...)`, and check it with `check(3, my_lrn)`.",
    4: "Sect. 3.2's footnote: the one-GPU net has half the kernels of conv1-conv4 but conv5 and the FC layers at "
       "full size. Build it in plain torch (one tower, no groups) and check it with `check(4, your_model)`. How "
       "many parameters does it have against the two-GPU net's?",
    5: "Sect. 4.1 counts (256 - 224)^2 x 2 = 2048 training patches per image. Count the distinct 224x224 positions in "
       "a 256x256 image exactly, with the flips; and with our 227 input?",
    6: "Fig. 1 in the notebook: rerun the race with tanh given a learning rate ten times smaller than its best. "
       "What ratio do you expect, and why does the paper's claim depend on it?",
}


def _q1() -> str:
    pad = next(p for p in range(8) if conv_out(224, padding=p) == 55)
    side = next(s for s in range(224, 240) if conv_out(s) == 55)
    return (f"(224 + 2p - 11) / 4 + 1 = 55 needs p = {pad} (floor rounding: {conv_out(224, padding=pad)}; torchvision "
            f"pads by 2); without padding the smallest input giving 55 is {side} (227 to 230 all do).")


def _q2() -> str:
    own = 256 * (48 * 5 * 5) + 256
    full = 256 * (96 * 5 * 5) + 256
    return f"{own:,} with the split (5x5x48 kernels), {full:,} if every kernel saw all 96 maps: the split halves it."


def _q4() -> str:
    with torch.device("meta"):
        one, two = count_params(alexnet("paper", one_gpu=True)), count_params(alexnet("paper"))
    return (f"{one:,} parameters against the two-GPU net's {two:,} ({one / two:.1%}): conv5 and the FC layers, "
            f"which hold most of the weights, are the same size, so the nets are 'approximately the same' size.")


def _q5() -> str:
    return (f"{augmentation_factor(count_positions=True):,} = 33^2 x 2 (the paper's 2048 counts 32 offsets a side); "
            f"with 227-pixel crops {augmentation_factor(256, 227, count_positions=True):,} = 30^2 x 2.")


def reveal(question: int) -> Markdown:
    """The answer to question ``question`` of :data:`QUESTIONS`, computed (for the code questions: the answer)."""
    answers: dict[int, Callable[[], str]] = {
        1: _q1, 2: _q2,
        3: lambda: "`TowerLRN`'s base: `nn.LocalResponseNorm(5, alpha=5 * 1e-4, beta=0.75, k=2.0)`: torch divides "
                   "alpha by n, so the paper's 1e-4 becomes 5e-4, and k must be 2 (torch's default is 1).",
        4: _q4, 5: _q5,
        6: lambda: "Read the race's 'tanh at ReLU's lr' column: a rate that suits one activation can be far from "
                   "the other's best, and the ratio then measures the rate as much as the non-linearity.",
    }
    if question not in answers:
        raise KeyError(f"reveal: no question {question}; the questions are {sorted(QUESTIONS)}")
    return Markdown(f"**Answer {question}.** " + answers[question]())


def _check_lrn(module: nn.Module) -> CheckResult:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 24, 5, 5, generator=g) * 30
    want = LocalResponseNorm()(x)
    try:
        got = module(x)
    except Exception as exc:  # noqa: BLE001 - a wrong answer must give a message, not a traceback
        return CheckResult(False, f"Your module fails on a [2, 24, 5, 5] input: {type(exc).__name__}: {exc}",
                           pd.DataFrame())
    diff = float((got - want).abs().max())
    ok = diff < 1e-5
    hint = "" if ok else (" Check alpha (torch divides it by size), k (the paper's is 2) and beta." if diff < 1e3
                          else "")
    return CheckResult(ok, f"Max |difference| from the paper's formula: {diff:.2e}." + hint, pd.DataFrame())


def check(question: int, answer) -> CheckResult:
    """Check a code answer: question 3 takes your LRN module, question 4 your one-GPU model."""
    if question == 3:
        return _check_lrn(answer)
    if question == 4:
        with torch.device("meta"):
            reference = alexnet("paper", one_gpu=True)
        return check_model(answer, reference, input_size=227)
    raise KeyError(f"check: question {question} has a number or a sentence for an answer; use reveal({question})")
