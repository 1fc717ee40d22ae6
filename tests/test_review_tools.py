"""Claim checks, the build-it-yourself checker, the explorer logic and epochs_to_reach."""
import html
import math

import pandas as pd
import pytest
import torch
from torch import nn

from reviewlib.errors import ConfigError
from reviewlib.experiments import epochs_to_reach
from reviewlib.nets import alexnet, googlenet, vgg
from reviewlib.nets.layers import Inception
from reviewlib.review.checker import ERROR_CHARS, check_model
from reviewlib.review.claims import Claim, claim_table, verdict
from reviewlib.papers.alexnet import explorer as alexnet_explorer
from reviewlib.review.explorer import Control, Explorer


def test_verdicts():
    assert verdict(61, 60_965_224, unit=1e6) == "rounding"
    assert verdict(60, 60_965_224, unit=1e6) == "differs"  # 60.97M does not round to 60M ...
    assert verdict(60, 60_965_224, unit=1e6, rel_tol=0.02) == "rounding"  # ... but "about 60 million" holds
    assert verdict(650_000, 659_272, rel_tol=0.02) == "rounding"
    assert verdict(253_440, 290_400) == "differs"
    assert verdict(8, 8) == "matches"
    assert verdict("227", "227") == "matches" and verdict("224", "227") == "differs"
    t = claim_table([Claim("params", 60, 60_965_224, unit=1e6, rel_tol=0.02), Claim("conv1 neurons", 253_440, 290_400,
                                                                       note="see text")])
    assert list(t["verdict"]) == ["rounding", "differs"]
    assert t.loc[1, "ours"] == "290,400" and t.loc[1, "note"] == "see text"


def test_checker_names_the_first_differing_layer():
    ok = check_model(alexnet("paper"), alexnet("paper"), 227)
    assert ok.ok and "All 13 layers match" in ok.message and "60,965,224" in ok.message
    bad = check_model(alexnet("paper", lrn=False), alexnet("paper"), 227)
    assert not bad.ok and bad.message.startswith(
        "First difference at layer 2 (lrn1): yours is max pool 3x3/2 pad 0 -> 27x27x96, 0 params, expected lrn")
    narrow = check_model(vgg("A", width=0.5), vgg("A"), 224)
    assert "layer 1 (conv1_1)" in narrow.message and "output 224x224x32 instead of 224x224x64" in narrow.message
    broken = check_model(nn.Sequential(nn.Conv2d(3, 8, 3), nn.Linear(5, 2)), vgg("A"), 224)
    assert not broken.ok and broken.message.startswith("First difference at layer 1 (conv1_1): padding 0 instead of 1")
    assert "stopped at '1' with RuntimeError: mat1 and mat2 shapes cannot be multiplied" in broken.message


class HalfInception(nn.Module):
    """A reader's Inception module with only the first branch written (the notebook's exercise, half done)."""

    def __init__(self):
        super().__init__()
        self.branch1 = nn.Sequential(nn.Conv2d(192, 64, 1), nn.ReLU(inplace=True))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class StemOnlyGoogLeNet(nn.Module):
    """A reader's GoogLeNet: the stem is written, the Inception stages are not, the head is."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(3, 64, 7, stride=2, padding=3), nn.ReLU(inplace=True))
        self.maxpool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.fc = nn.Linear(1024, 10)

    def forward(self, x):
        x = self.maxpool1(self.conv1(x))
        x = self.inception3a(x)  # not written yet: AttributeError
        return self.fc(x)


def test_checker_names_the_first_missing_layer_of_a_partial_model():
    ref = Inception(192, 64, 96, 128, 16, 32, 32)
    half = check_model(HalfInception(), ref, (192, 28, 28))
    assert not half.ok and half.message.startswith(
        "Layer 2 (branch2.0): missing in your model; expected conv 1x1/1 pad 0 -> 28x28x96, 18,528 params.")
    assert "AttributeError: 'HalfInception' object has no attribute 'branch2'" in half.message
    assert half.table.loc[0, "same"] and not half.table.loc[1, "same"]

    with torch.device("meta"):
        reference = googlenet("paper", aux_logits=False, lrn=False, num_classes=10)
        stem = check_model(StemOnlyGoogLeNet(), reference, 224)
        head_only = check_model(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, 10)),
                                reference, 224)
    assert stem.message.startswith("Layer 3 (conv2): missing in your model; expected conv 1x1/1 pad 0 -> 56x56x64")
    assert "AttributeError: 'StemOnlyGoogLeNet' object has no attribute 'inception3a'" in stem.message
    assert head_only.message.startswith("First difference at layer 1 (conv1): yours is adaptive avg pool -> 1x1x3")
    assert "RuntimeError" in head_only.message  # the matmul error, named, not raised

    class NoTensor(nn.Module):
        row_kind = "conv"

        def forward(self, x):
            return None

    odd = check_model(nn.Sequential(nn.Conv2d(3, 4, 3), NoTensor()), nn.Sequential(nn.Conv2d(3, 4, 3)), 8)
    assert not odd.ok and odd.message.startswith("Your model cannot be traced on a 8 input: ConfigError: 1: its forward")


def test_checker_reports_adaptive_pooling_as_what_it_is():
    class EmptyFeatures(nn.Module):  # the VGG exercise before any block is written: 224x224 maps reach the pool
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(inplace=True))
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))

        def forward(self, x):
            return self.avgpool(self.features(x))

    with torch.device("meta"):
        result = check_model(EmptyFeatures(), vgg("D"), 224)
    assert "yours is adaptive avg pool -> 7x7x64, 0 params, expected conv 3x3/1 pad 1" in result.message
    assert "kernel 32" not in result.message and "stride 32" not in result.message


def test_checker_messages_are_never_cut_mid_word():
    long_name = " ".join(f"word{i}" for i in range(200))

    class Fails(nn.Module):
        def forward(self, x):
            raise ValueError(long_name)

    msg = check_model(Fails(), nn.Sequential(nn.Conv2d(3, 4, 3)), 8).message
    assert msg.endswith("...") and len(msg) < ERROR_CHARS + 200
    quoted = msg.split("ValueError: ")[1].removesuffix(" ...").split()
    assert quoted == long_name.split()[:len(quoted)]  # whole words only


def test_alexnet_explorer_two_tower_channels_step_by_two():
    e = alexnet_explorer("paper")
    for name in ("conv1", "conv2", "conv3", "conv4", "conv5"):
        c = e.controls[f"{name}_channels"]
        assert c.step == 2 and c.min % 2 == 0 and c.value % 2 == 0  # each GPU holds half of the kernels
    tv = alexnet_explorer("torchvision")
    assert tv.controls["conv1_channels"].step == 1
    odd = e.update(conv2_channels=255)
    assert odd.table is None and "cannot be split into 2 towers" in odd.error


def test_alexnet_explorer_updates_and_reports_impossible_settings():
    e = alexnet_explorer("paper")
    assert e.state.totals["params"] == 60_965_224 and e.state.error is None
    assert list(e.state.table["output"])[:3] == ["55x55x96", "55x55x96", "27x27x96"]
    s = e.update(fc6=2048)
    assert s.totals["params"] == 60_965_224 - (9216 * 2048 + 2048) - (2048 * 4096) + 0  # fc6 halves, fc7 input halves
    s = e.update(image_size=60)
    assert s.table is None and s.error.startswith("pool5: 2x2 input is smaller than its 3x3 pooling window")
    assert s.summary.startswith("Impossible setting: pool5")
    s = e.update(image_size=227, conv2_channels=254)
    assert s.error is None
    with pytest.raises(KeyError, match="unknown control"):
        e.update(conv9_kernel=3)


def _outputs(out):
    return [o["data"] for o in out.outputs]


def test_explorer_widget_wires_sliders_to_totals_table_and_plot():
    pytest.importorskip("ipywidgets")
    e = alexnet_explorer("torchvision")
    box = e.widget()
    assert e.plot_output in box.children and "61,100,840" in e.totals_widget.value
    (table,), (plot,) = _outputs(e.output), _outputs(e.plot_output)
    assert "61,100,840" not in table["text/html"] and "37,752,832" in table["text/html"]  # fc6's row, no total row
    assert plot["image/png"]  # the feature-map plot, drawn live as a PNG
    e.inputs["fc7"].value = 2048
    assert "61,100,840" not in e.totals_widget.value and e.state.totals["params"] == 61_100_840 - (4096 * 2048 + 2048) - 2048 * 1000
    (table,), (new_plot,) = _outputs(e.output), _outputs(e.plot_output)  # redrawn, not appended
    assert "8,390,656" in table["text/html"]  # fc7 = 4096 x 2048 + 2048
    e.inputs["conv1_kernel"].value = 3
    assert _outputs(e.plot_output)[0]["image/png"] != new_plot["image/png"]  # the maps changed size
    e.inputs["image_size"].value = 40
    state = e.state
    assert state.error and html.escape(state.error) in e.totals_widget.value  # the ConfigError text, in full
    assert "Impossible setting" in e.totals_widget.value
    assert e.output.outputs == () and e.plot_output.outputs == ()  # no stale table or plot
    with pytest.raises(ConfigError) as raised:  # what the widget shows is the error the table raises
        e.build(dict(e.values))
    assert str(raised.value) == state.error


def test_explorer_widget_labels_are_readable_in_full():
    pytest.importorskip("ipywidgets")
    e = alexnet_explorer("paper")
    e.widget(plot=False)
    assert all(w.style.description_width == "initial" for w in e.inputs.values())
    assert e.inputs["conv2_channels"].description == "conv2: channels, 2 towers"
    assert e.inputs["conv2_channels"].step == 2 and e.inputs["conv2_channels"].value % 2 == 0
    assert e.plot_output.outputs == ()  # plot=False draws no plot


def test_generic_explorer():
    e = Explorer([Control("channels", 8, 1, 64)],
                 lambda v: (nn.Sequential(nn.Conv2d(3, v["channels"], 3), nn.ReLU()), 10))
    assert e.state.totals["params"] == 3 * 8 * 9 + 8
    assert e.update(channels=16).totals["params"] == 3 * 16 * 9 + 16


def test_epochs_to_reach():
    h = pd.DataFrame({"epoch": [1, 2, 3], "err": [50.0, 30.0, 20.0]})
    assert epochs_to_reach(h, "err", 25) == 3
    assert math.isnan(epochs_to_reach(h, "err", 10))
    assert epochs_to_reach(h, "err", 40, below=True) == 2


def test_explorer_figure_follows_the_state():
    e = alexnet_explorer("paper")
    fig = e.figure()
    assert fig is not None and len(fig.axes) >= 1
    e.update(image_size=60)
    assert e.figure() is None
