"""reviewlib.overview: the three papers side by side (meta-device tables, plots, the shared run's pieces)."""
import math

import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure

from reviewlib.papers import overview as O
from reviewlib.errors import ConfigError
from reviewlib.experiments import Experiment
from reviewlib.review.tables import weight_depth

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def table():
    return O.comparison_table(("alexnet_paper", "alexnet", "vgg_A", "vgg16", "googlenet_paper", "googlenet"))


def test_rows_match_the_papers_and_torchvision(table):
    assert table.loc["alexnet_paper", "params"] == 60_965_224 and table.loc["alexnet_paper", "input"] == 227
    assert table.loc["alexnet", "params"] == 61_100_840
    assert table.loc["vgg16", "params"] == table.loc["vgg_A", "params"] + 5_494_208  # D vs A
    assert table.loc["googlenet", "params"] == 6_624_904  # torchvision's count, without the aux heads
    assert table.loc["googlenet", "train_only_params"] > 6_000_000  # the two aux heads (FC 2048->1024 each)
    assert table.loc["alexnet_paper", "train_only_params"] == 0
    assert table["weight_layers"].to_dict() == {"alexnet_paper": 8, "alexnet": 8, "vgg_A": 11, "vgg16": 16,
                                                "googlenet_paper": 22, "googlenet": 22}
    # torchvision's "_ops" (GFLOPS that are multiply-adds) for the same architectures
    assert round(table.loc["alexnet", "macs"] / 1e9, 3) == 0.714
    assert round(table.loc["vgg16", "macs"] / 1e9, 2) == 15.47
    assert round(table.loc["googlenet", "macs"] / 1e9, 3) == 1.498
    assert table.loc["alexnet_paper", "fc_share"] == pytest.approx(58_631_144 / 60_965_224)
    assert table.loc["googlenet", "fc_share"] == pytest.approx(1_025_000 / 6_624_904)


def test_reported_accuracies(table):
    assert table.loc["alexnet_paper", ["top1", "top5"]].tolist() == [59.3, 81.8]  # 100 - (40.7, 18.2)
    assert table.loc["vgg_A", ["top1", "top5"]].tolist() == [70.4, 89.6]
    assert math.isnan(table.loc["googlenet_paper", "top1"]) and table.loc["googlenet_paper", "top5"] == 90.85
    assert table.loc["alexnet", ["top1", "top5"]].tolist() == [56.522, 79.066]  # torchvision weights meta
    assert O.torchvision_metrics("vgg16") == (71.592, 90.382)
    assert O.reported("vgg11_bn").source == "none"
    with pytest.raises(ConfigError, match="vgg11_bn"):
        O.torchvision_metrics("vgg11_bn")
    text = O.format_table(table).to_string()
    assert "60,965,224" in text and "n/r" in text and "96.2%" in text


def test_param_shares():
    s = O.param_shares()
    assert s.loc["alexnet_paper", "first_fc"] == 9216 * 4096 + 4096  # FC6
    assert s.loc["vgg_D", "first_fc"] == 25088 * 4096 + 4096  # FC1
    assert s.loc["googlenet_paper", "first_fc"] == 1024 * 1000 + 1000 and s.loc["googlenet_paper", "other_fc"] == 0
    assert (s["conv"] + s["first_fc"] + s["other_fc"] + s["other"] == s["total"]).all()
    assert s.loc["vgg_D", "total"] == 138_357_544
    assert s.loc["googlenet_paper", "conv_share"] > 0.8 > s.loc["vgg_D", "first_fc_share"] > 0.7


def test_plots_write_pngs(table, tmp_path):
    fig = O.efficiency_plot(table, save=tmp_path / "eff.png")
    assert isinstance(fig, Figure)
    top1, top5 = fig.axes[:2]
    assert len(top1.collections) == 5 and len(top5.collections) == 6  # GoogLeNet paper has no top-1
    assert top1.get_xscale() == "log"
    fig = O.param_share_plot(O.param_shares(), save=tmp_path / "share.png")
    assert len(fig.axes[0].patches) == 9  # 3 models x (conv, first FC, other FC)
    for name in ("eff.png", "share.png"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 1000


def test_weight_depth_counts_inception_as_two():
    t = pd.DataFrame({"name": ["c", "i", "p", "f"], "kind": ["conv", "inception", "pool", "fc"]})
    assert weight_depth(t) == 4 and weight_depth(t, pooling=True) == 5


def test_shared_run_plan_and_recipe():
    smoke = O.shared_run_plan("smoke")
    assert (smoke.epochs, smoke.max_batches) == (1, 2)
    assert (O.shared_run_plan("study").epochs, O.shared_run_plan("study").max_batches) == (5, 20)
    assert O.shared_run_plan("paper").max_batches is None
    r = O.shared_recipe("smoke")
    assert (r.lr, r.aux_weight, r.momentum, r.batch_size) == (0.02, 0.3, 0.9, 32)
    assert O.shared_recipe("paper").lr == 0.01


def test_shared_variants_build_for_the_crop_and_train_one_step():
    variants = O.shared_run_variants(num_classes=10, width=0.125, image_size=97)
    assert list(variants) == ["alexnet_paper", "vgg_A", "googlenet_paper"]
    x = torch.randn(2, 3, 97, 97)
    for name, build in variants.items():
        model = build().eval()
        assert model(x).shape == (2, 10), name
    with pytest.raises(ConfigError):
        O.shared_run_variants(num_classes=10, width=0.125, image_size=16)


def test_with_ours_and_curves(tmp_path):
    hist = pd.DataFrame({"epoch": [1, 2], "train_loss": [2.3, 2.1], "val_acc1": [10.0, 20.0]})
    table = pd.DataFrame({"params": [100, 200], "final_val_acc1": [20.0, 25.0], "final_val_acc5": [60.0, 70.0]},
                         index=pd.Index(["alexnet_paper", "googlenet_paper"], name="variant"))
    exp = Experiment(table, {"alexnet_paper": hist, "googlenet_paper": hist})
    ours = O.with_ours(exp, "smoke")
    assert ours.loc["alexnet_paper", "ours (smoke) top-1"] == 20.0
    assert ours.loc["googlenet_paper", "paper top-5"] == 90.85
    assert ours.loc["alexnet_paper", ["torchvision", "torchvision top-1"]].tolist() == ["alexnet", 56.522]
    fig = O.training_curves_plot(exp, save=tmp_path / "curves.png")
    assert [list(line.get_ydata()) for line in fig.axes[1].lines] == [[10.0, 20.0], [10.0, 20.0]]
    assert (tmp_path / "curves.png").read_bytes().startswith(PNG_MAGIC)
