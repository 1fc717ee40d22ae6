"""The overview's exercises: one model to build, and numbers to work out by hand, each with its answer computed
from reviewlib's models (never typed) and kept out of sight until asked for.

* Build it yourself: AlexNet with GoogLeNet's head (GoogLeNet Sect. 5: average pooling over the last feature maps,
  dropout 40%, one linear layer, instead of AlexNet's three FC layers, Sect. 3.5). :func:`exercise_answer` is the
  answer; :func:`reviewlib.review.checker.check_model` compares the reader's model with it layer by layer.
* Numbers: :data:`QUESTIONS`; :func:`check_answer` says whether the reader's number is right (within 0.5%)
  without giving it away, :func:`reveal` shows the answer and how it is computed.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable

from torch import nn

from ...nets import build_model, count_params
from ...review.report import HTML, Markdown, markdown
from ...review.tables import layer_totals
from .claims import inference_table, meta_model, param_shares

TOLERANCE = 0.005


def exercise_answer(num_classes: int = 1000) -> nn.Module:
    """The paper AlexNet's five conv layers and three max-pools (Sect. 3.5) with GoogLeNet's head (Sect. 5):
    global average pooling, dropout 40%, one linear layer from the 256 maps to the classes. For 227 x 227 inputs."""
    features = build_model("alexnet_paper", num_classes=num_classes).features
    return nn.Sequential(OrderedDict(features=features, avgpool=nn.AdaptiveAvgPool2d(1), flatten=nn.Flatten(),
                                     dropout=nn.Dropout(0.4), fc=nn.Linear(256, num_classes)))


def exercise_scaffold() -> nn.Module:
    """The start of the exercise: AlexNet's conv layers with no head yet (the reader adds the rest)."""
    return nn.Sequential(OrderedDict(features=build_model("alexnet_paper").features))


def _vgg16_fc1() -> int:
    return int(param_shares(("vgg_D",)).loc["vgg_D", "first_fc"])


def _alexnet_conv1_macs() -> int:
    t = inference_table("alexnet_paper")
    return int(t.loc[t["name"] == "conv1", "macs"].iloc[0])


def _head_saving() -> float:
    return count_params(meta_model("alexnet_paper")) / count_params(exercise_answer().to("meta"))


def _half_width_params() -> float:
    full = layer_totals(inference_table("vgg_A"))["params"]
    return full / layer_totals(inference_table("vgg_A", width=0.5))["params"]


def _double_input_macs() -> float:
    return layer_totals(inference_table("googlenet_paper", 448))["macs"] / layer_totals(
        inference_table("googlenet_paper", 224))["macs"]


#: key -> (question, how the answer is computed, the function that computes it)
QUESTIONS: dict[str, tuple[str, str, Callable[[], float]]] = {
    "vgg16_fc1_params": (
        "How many parameters has VGG-16's first fully connected layer?",
        "its input is the last 7x7x512 map: 25,088 x 4,096 weights + 4,096 biases", _vgg16_fc1),
    "alexnet_conv1_macs": (
        "How many multiply-adds does AlexNet's conv1 cost for one 227x227 image?",
        "55 x 55 outputs x 96 kernels x (11 x 11 x 3) weights each", _alexnet_conv1_macs),
    "head_saving": (
        "How many times fewer parameters has AlexNet with GoogLeNet's head than the paper's AlexNet?",
        "the paper AlexNet's parameters / (its conv layers' + 256 x 1,000 + 1,000)", _head_saving),
    "half_width_params": (
        "By what factor do VGG-A's parameters shrink when every layer has half its channels?",
        "a layer's weights scale with (input channels) x (output channels): about 4, a little less because the "
        "input's 3 channels and the 1,000 classes do not shrink", _half_width_params),
    "double_input_macs": (
        "By what factor do GoogLeNet's multiply-adds grow when the input side doubles (224 -> 448)?",
        "every map has 4 times the positions, and the average pool makes the head independent of the size: "
        "about 4", _double_input_macs),
}


def _question(key: str):
    if key not in QUESTIONS:
        raise KeyError(f"no exercise {key!r}; the exercises are {', '.join(QUESTIONS)}")
    return QUESTIONS[key]


def check_answer(key: str, value: float) -> str:
    """Whether ``value`` answers exercise ``key`` (within 0.5%), and if not, too high or too low."""
    truth = _question(key)[2]()
    if abs(value - truth) <= TOLERANCE * abs(truth):
        return f"Right: {value:,} is the answer to {key!r}."
    return f"Not yet: {value:,} is too {'high' if value > truth else 'low'} for {key!r}; try again or reveal it."


def reveal(key: str) -> Markdown:
    """The answer to exercise ``key``, computed from reviewlib's models, and how to get it."""
    question, how, compute = _question(key)
    value = compute()
    shown = f"{value:,}" if isinstance(value, int) else f"{value:.2f}"
    return markdown(f"**{question}** {shown} ({how}).")


def answers(keys=None) -> HTML:
    """Every exercise's answer (:func:`reveal`) folded in an HTML ``<details>`` block: out of sight until clicked."""
    import html as _html

    items = "".join(f"<li>{_html.escape(str(reveal(k))).replace('**', '')}</li>" for k in (keys or QUESTIONS))
    return HTML(f"<details><summary>Answers (click to open)</summary><ul>{items}</ul></details>")
