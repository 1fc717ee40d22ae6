"""Claim checks, the build-it-yourself checker, the explorer logic and the experiment runner."""
import math

import pandas as pd
import pytest
import torch
from torch import nn

from reviewlib.review.checker import check_model
from reviewlib.review.claims import Claim, claim_table, verdict
from reviewlib.experiments import compare_with_paper, epochs_to_reach, run_experiments
from reviewlib.review.explorer import Control, Explorer, alexnet_explorer
from reviewlib.nets import alexnet, vgg
from reviewlib.train.recipes import recipe_for


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
    assert not bad.ok and bad.message.startswith("First difference at layer 2 (lrn1): kind pool instead of lrn")
    narrow = check_model(vgg("A", width=0.5), vgg("A"), 224)
    assert "layer 1 (conv1_1)" in narrow.message and "output 224x224x32 instead of 224x224x64" in narrow.message
    broken = check_model(nn.Sequential(nn.Conv2d(3, 8, 3), nn.Linear(5, 2)), vgg("A"), 224)
    assert not broken.ok and broken.message.startswith("your model does not run on a 224 input")


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


def test_explorer_widget_wires_sliders_to_totals():
    pytest.importorskip("ipywidgets")
    e = alexnet_explorer("torchvision")
    box = e.widget(plot=False)
    assert box is not None and "61,100,840" in e.totals_widget.value
    e.inputs["fc7"].value = 2048
    assert "61,100,840" not in e.totals_widget.value and e.state.totals["params"] == 61_100_840 - (4096 * 2048 + 2048) - 2048 * 1000
    e.inputs["image_size"].value = 40
    assert "Impossible setting" in e.totals_widget.value


def test_generic_explorer():
    e = Explorer([Control("channels", 8, 1, 64)],
                 lambda v: (nn.Sequential(nn.Conv2d(3, v["channels"], 3), nn.ReLU()), 10))
    assert e.state.totals["params"] == 3 * 8 * 9 + 8
    assert e.update(channels=16).totals["params"] == 3 * 16 * 9 + 16


def test_run_experiments_trains_each_variant_the_same_way():
    torch.manual_seed(0)
    x = torch.randn(64, 3, 97, 97)
    y = (x[:, 0].mean(dim=(1, 2)) > 0).long()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16, shuffle=True)
    recipe = recipe_for("alexnet", "smoke").with_(lr=0.01)
    variants = {"lrn": lambda: alexnet("paper", num_classes=2, width=0.0625, image_size=97),
                "no lrn": lambda: alexnet("paper", num_classes=2, width=0.0625, image_size=97, lrn=False)}
    exp = run_experiments(variants, loader, loader, recipe, epochs=2, progress=False)
    assert list(exp.table.index) == ["lrn", "no lrn"]
    assert exp.table.loc["lrn", "params"] == exp.table.loc["no lrn", "params"]  # LRN has no weights
    assert all(len(h) == 2 for h in exp.histories.values())
    assert exp.curves("train_loss").shape == (2, 2)
    cmp = compare_with_paper(exp, "no lrn", {"lrn": "+1.4% top-1"})
    assert cmp.loc["no lrn"].iloc[1] == 0 and cmp.loc["lrn", "paper claims"] == "+1.4% top-1"


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
