"""reviewlib.papers.alexnet: the AlexNet review's helpers (claims, two devices, Fig. 1 race, ablations, answer)."""
import math

import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image
from torch import nn

from reviewlib.review.checker import check_model
from reviewlib.review.claims import DIFFERS, MATCHES, ROUNDING, claim_table
from reviewlib.review.tables import layer_table, param_shares
from reviewlib.errors import ConfigError
from reviewlib.experiments import Experiment
from reviewlib.nets.layers import LocalResponseNorm, TwoTowerConv
from reviewlib.nets import alexnet
from reviewlib.papers import alexnet as review
from reviewlib.train.recipes import recipe_for


# ------------------------------------------------------------------------------------------------ architecture
def test_neurons_per_layer_matches_fig2_except_conv1():
    df = review.neurons_per_layer().set_index("layer")
    assert df.loc["conv1", "ours"] == 55 * 55 * 96 == 290_400
    assert df.loc["conv1", "paper"] == 253_440
    for name in ("conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"):
        assert df.loc[name, "ours - paper"] == 0, name
    assert df.loc["total", "paper"] == 622_312
    assert df.loc["total", "ours"] == 659_272


def test_conv1_candidates_find_no_layer_shape():
    df = review.conv1_candidates()
    hits = df[df["equals paper"]]
    assert set(hits["shape"]) == {"44x60x96", "48x55x96"}  # only the exhaustive search hits, no real layer shape
    assert not df.loc[~df["candidate"].str.startswith("exhaustive"), "equals paper"].any()
    assert (df["neurons"] == [int(a) * int(b) * int(c) for a, b, c in df["shape"].str.split("x")]).all()
    assert review.conv_out(227) == 55 and review.conv_out(224) == 54 and review.conv_out(224, padding=2) == 55
    assert review.factorisations(12, sides=range(1, 5), channels=(1,)) == [(3, 4, 1)]


def test_input_range_of_the_paper_model():
    assert review.accepted_inputs("paper") == (227, 258)
    df = review.pool5_by_input([60, 224, 227, 256, 258, 259]).set_index("input")["pool5"]
    assert df[224] == 5 and df[227] == 6 and df[256] == 6 and df[258] == 6 and df[259] == 7
    assert df[60] == 0  # too small: trace raises, reported as 0
    with pytest.raises(ConfigError, match="6x6"):
        review.accepted_inputs("paper", sizes=range(100, 120))


def test_a_259_input_fails_clearly_and_256_does_not():
    with torch.device("meta"):
        m = alexnet("paper")
    assert m(torch.empty(1, 3, 256, 256, device="meta")).shape == (1, 1000)
    with pytest.raises(ConfigError, match="built for 227x227"):
        m(torch.empty(1, 3, 259, 259, device="meta"))


def test_architecture_claims_verdicts():
    t = claim_table(review.architecture_claims()).set_index("claim")
    assert t.loc["parameters", "verdict"] == ROUNDING and t.loc["parameters", "ours"] == "60,965,224"
    assert t.loc["neurons (conv + FC outputs)", "verdict"] == ROUNDING
    assert t.loc["conv1 neurons (Fig. 2)", "verdict"] == DIFFERS
    assert t.loc["input side", "verdict"] == DIFFERS
    for c in ("conv layers", "fully connected layers", "layers seeing only their own GPU", "FC6 input (pool5 map)",
              "augmentation factor (Sect. 4.1)", "conv2 neurons (Fig. 2)"):
        assert t.loc[c, "verdict"] == MATCHES, c


def test_augmentation_factor_and_fc_share():
    assert review.augmentation_factor() == 2048
    assert review.augmentation_factor(count_positions=True) == 33 * 33 * 2
    assert review.augmentation_factor(256, 227) == 29 * 29 * 2
    with pytest.raises(ConfigError):
        review.augmentation_factor(200, 224)
    with torch.device("meta"):
        m = alexnet("paper")
    shares = param_shares(layer_table(m, 227))
    assert 0.96 < shares.loc[shares["kind"] == "fc", "share"].sum() < 0.97
    assert review.own_tower_layers(m) == ["conv2", "conv4", "conv5"]


def test_pooling_comparison_same_at_227_different_at_97():
    at227 = review.pooling_comparison(227)
    assert at227["pool5"].tolist() == ["6x6x256", "6x6x256"] and at227["params"].nunique() == 1
    at97 = review.pooling_comparison(97).set_index("pooling")
    assert at97.loc["z=3, s=2 (paper)", "fc6 inputs"] == 256 and at97.loc["z=2, s=2", "fc6 inputs"] == 1024


def test_lrn_check_shows_the_pitfall():
    df = review.lrn_check().set_index("implementation")["equals paper (1e-5)"]
    assert df["reviewlib.layers.LocalResponseNorm()"]
    assert df["nn.LocalResponseNorm(5, alpha=5e-4, k=2)  (fixed)"]
    assert not df["nn.LocalResponseNorm(5, alpha=1e-4, k=2)  (pitfall)"]
    assert not df["nn.LocalResponseNorm(5)  (torch defaults, k=1)"]


# ------------------------------------------------------------------------------------------------ two devices
def _small(**kw):
    torch.manual_seed(0)
    return alexnet("paper", num_classes=5, width=0.0625, image_size=227, **kw)


def test_place_towers_on_two_cpu_devices_gives_the_same_output():
    model = _small().eval()
    x = torch.randn(2, 3, 227, 227)
    expected = model(x)
    placed = review.place_towers(model, [torch.device("cpu"), torch.device("cpu")])
    assert set(placed) == {f"conv{i}.tower{t}" for i in range(1, 6) for t in (0, 1)}
    assert torch.equal(model(x), expected)
    demo = review.two_device_demo(_small(), x, review.tower_devices(2))
    assert demo["equal"] and demo["max_abs_diff"] < 1e-5 and demo["shape"] == (2, 5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_place_towers_on_cuda_and_cpu():
    model = _small().eval()
    x = torch.randn(1, 3, 227, 227)
    expected = model(x)
    review.place_towers(model, ["cuda:0", "cpu"])
    convs = [m for m in model.modules() if isinstance(m, TwoTowerConv)]
    assert all(c.towers[0].weight.device.type == "cuda" and c.towers[1].weight.device.type == "cpu" for c in convs)
    assert torch.allclose(model(x), expected, atol=1e-4)


def test_place_towers_errors():
    with pytest.raises(ConfigError, match="2 towers but only 1 device"):
        review.place_towers(_small(), ["cpu"])
    with pytest.raises(ConfigError, match="no TwoTowerConv"):
        review.place_towers(alexnet("torchvision", num_classes=5, width=0.0625, image_size=96), ["cpu", "cpu"])


# ------------------------------------------------------------------------------------------------ Fig. 1 race
def _history(errors):
    return pd.DataFrame({"epoch": range(1, len(errors) + 1), "train_acc1": [100.0 - e for e in errors],
                         "train_loss": [1.0] * len(errors)})


def test_activation_race_counts_epochs_to_the_target():
    hist = {"relu": _history([80, 50, 30, 20]), "tanh": _history([90, 80, 60, 40])}
    table, target = review.activation_race(hist)
    assert target == 40.0  # the highest final error: a level both runs reach
    assert table.loc["relu", "epochs to reach"] == 3 and table.loc["tanh", "epochs to reach"] == 4
    assert table.loc["relu", "tanh / relu"] == pytest.approx(4 / 3)
    table, _ = review.activation_race(hist, target=25)
    assert table.loc["relu", "epochs to reach"] == 4 and math.isnan(table.loc["tanh", "epochs to reach"])
    assert isinstance(review.race_plot(hist, 40.0), Figure)
    with pytest.raises(ValueError):
        review.activation_race({})


def test_activation_variants_differ_only_in_the_non_linearity():
    v = review.activation_variants(num_classes=4, width=0.0625, image_size=97)
    relu, tanh = v["relu"](), v["tanh"]()
    assert any(isinstance(m, nn.Tanh) for m in tanh.modules()) and not any(isinstance(m, nn.ReLU)
                                                                           for m in tanh.modules())
    assert any(isinstance(m, nn.ReLU) for m in relu.modules())
    for m in (relu, tanh):
        assert not any(isinstance(x, LocalResponseNorm) for x in m.modules())
        assert all(x.p == 0 for x in m.modules() if isinstance(x, nn.Dropout))
    assert [p.shape for p in relu.parameters()] == [p.shape for p in tanh.parameters()]


# ------------------------------------------------------------------------------------------------ ablations
def test_ablation_variants_switch_one_thing_each():
    v = review.ablation_variants(num_classes=4, width=0.125, image_size=227)
    assert list(v) == [review.BASELINE, "no dropout", "no LRN", "non-overlapping pool", "one tower, half kernels"]
    models = {k: b() for k, b in v.items()}
    assert all(d.p == 0 for d in models["no dropout"].modules() if isinstance(d, nn.Dropout))
    assert not any(isinstance(m, LocalResponseNorm) for m in models["no LRN"].modules())
    pools = [m for m in models["non-overlapping pool"].modules() if isinstance(m, nn.MaxPool2d)]
    assert [p.kernel_size for p in pools] == [2, 2, 2]
    one = models["one tower, half kernels"]
    assert not any(isinstance(m, TwoTowerConv) for m in one.modules())
    base_fc = [m.out_features for m in models[review.BASELINE].classifier if isinstance(m, nn.Linear)]
    assert [m.out_features for m in one.classifier if isinstance(m, nn.Linear)] == base_fc
    assert one.features[0].out_channels == models[review.BASELINE].features[0].towers[0].out_channels
    assert "towers" not in review.ablation_variants(4, 0.125, 227, towers=False)


def test_ablation_table_gains_and_claims():
    t = pd.DataFrame({"params": [10, 10], "final_val_acc1": [40.0, 35.0]}, index=[review.BASELINE, "no LRN"])
    hist = {review.BASELINE: _history([30.0]), "no LRN": _history([50.0])}
    df = review.ablation_table(Experiment(t, hist))
    assert df.loc["no LRN", "gain of the trick (pp)"] == 5.0
    assert math.isnan(df.loc[review.BASELINE, "gain of the trick (pp)"])
    assert df.loc[review.BASELINE, "train - val top-1 (pp)"] == 30.0  # train 70 - val 40
    assert "1.4%" in df.loc["no LRN", "paper claims"]
    with pytest.raises(KeyError):
        review.ablation_table(Experiment(t.drop(review.BASELINE), hist))


class _Pictures(torch.utils.data.Dataset):
    """Eight random 100x100 RGB PIL images in 2 classes, with a settable transform (like ImageNetSubset)."""

    def __init__(self, transform=None):
        g = torch.Generator().manual_seed(0)
        self.images = [Image.fromarray(torch.randint(0, 256, (100, 100, 3), generator=g, dtype=torch.uint8).numpy())
                       for _ in range(8)]
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = self.images[i]
        return (self.transform(img) if self.transform else img), i % 2


def test_run_ablations_runs_every_variant_with_one_call():
    from reviewlib.data.augment import crop_size, eval_transform, train_transform
    from reviewlib.data.files import make_loader
    size = 80
    crop = crop_size("alexnet", size)
    train = make_loader(_Pictures(train_transform("alexnet", size)), 4, train=True, device="cpu")
    val = make_loader(_Pictures(eval_transform(size, crop=crop)), 4, train=False, device="cpu")
    plain = review.without_augmentation(train, size, crop)
    x1, _ = next(iter(plain))
    x2, _ = next(iter(review.without_augmentation(train, size, crop)))
    assert x1.shape == (4, 3, crop, crop) and torch.equal(x1, x2)  # no randomness left
    assert train.dataset.transform is not plain.dataset.transform  # the original loader is untouched
    exp = review.run_ablations(train, val, recipe_for("alexnet", "smoke", batch_size=4), num_classes=2,
                               width=0.0625, image_size=size, crop=crop, epochs=1, max_batches=1, progress=False)
    assert list(exp.table.index) == [review.BASELINE, "no dropout", "no LRN", "non-overlapping pool",
                                     "one tower, half kernels", "no augmentation"]
    assert set(exp.histories) == set(exp.table.index)
    assert exp.table["final_train_loss"].map(math.isfinite).all()
    assert review.ablation_table(exp).shape[0] == 6


def test_experiment_plan_per_budget():
    smoke, study, paper = (review.experiment_plan(b) for b in ("smoke", "study", "paper"))
    assert smoke.train_batches == 4 and smoke.ablation_batches <= 2 and smoke.eval_images
    assert study.train_batches and study.train_epochs <= 8
    assert paper.train_batches is None and paper.train_epochs == 90


# ------------------------------------------------------------------------------------------------ evaluation
def test_results_table_has_paper_torchvision_and_ours():
    ours = {"ours, centre": {"top1_error": 0.25, "top5_error": 0.05, "n": 40}}
    df = review.results_table(ours).set_index("model / protocol")
    assert df.loc["paper Table 2: 1 CNN, ILSVRC-2012 val", "top-1 error (%)"] == 40.7
    tv = df.loc["torchvision AlexNet_Weights.IMAGENET1K_V1, centre crop"]
    assert tv["top-1 error (%)"] == pytest.approx(100 - 56.522) and tv["top-5 error (%)"] == pytest.approx(100 - 79.066)
    assert df.loc["ours, centre", "top-1 error (%)"] == 25.0 and "40 images" in df.loc["ours, centre", "data"]


def test_cached_torchvision_alexnet_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    assert review.cached_torchvision_alexnet() is None
    assert not any(tmp_path.iterdir())


def test_filters_and_feature_maps():
    model = alexnet("paper", num_classes=3, width=0.125, image_size=97)
    towers = review.first_conv_towers(model)
    assert [t.shape for t in towers] == [(6, 3, 11, 11), (6, 3, 11, 11)]
    fig = review.conv1_filter_figure(model, ncols=4)
    assert isinstance(fig, Figure)
    tv = alexnet("torchvision", num_classes=3, width=0.125, image_size=96)
    assert len(review.first_conv_towers(tv)) == 1
    maps = review.feature_maps(model, torch.randn(3, 97, 97))
    assert list(maps) == ["conv1", "conv2", "conv3", "conv4", "conv5"]
    assert maps["conv1"].shape == (12, 22, 22) and maps["conv5"].shape == (32, 4, 4)
    assert all((m >= 0).all() for m in maps.values())  # after the ReLU
    assert model.training  # mode restored
    assert isinstance(review.feature_map_figure(maps, image=torch.rand(3, 97, 97), per_layer=3), Figure)
    assert isinstance(review.input_size_plot(review.pool5_by_input(range(220, 262)), (227, 258)), Figure)


# ------------------------------------------------------------------------------------------------ the exercise
def test_solution_matches_the_paper_model():
    with torch.device("meta"):
        result = check_model(review.solution(), alexnet("paper"), input_size=227)
        assert result.ok, result.message
        assert review.solution(num_classes=7)(torch.empty(2, 3, 227, 227)).shape == (2, 7)


def test_checker_names_the_first_wrong_layer_of_a_wrong_answer():
    wrong = review.solution()
    wrong.features[4] = nn.Conv2d(96, 256, 5, padding=2)  # conv2 without the two towers
    with torch.device("meta"):
        wrong = wrong.to("meta")
        result = check_model(wrong, alexnet("paper"), input_size=227)
    assert not result.ok and "conv2" in result.message and "params" in result.message
