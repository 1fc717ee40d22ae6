"""reviewlib.review.tables and reviewlib.review.receptive against torchvision's reference models and the papers'
arithmetic.

Big models (VGG-16, GoogLeNet) are built and traced on the meta device (exact shapes and counts, no arithmetic);
AlexNet is also traced for real on the CPU to check that both agree.
"""
import math

import pandas as pd
import pytest
import torch
import torchinfo
import torchvision
from torch import nn
from torchvision.models import AlexNet_Weights, GoogLeNet_Weights, VGG16_Weights

from reviewlib.errors import ConfigError
from reviewlib.nets import alexnet as reviewlib_alexnet
from reviewlib.nets import build_model, count_params
from reviewlib.review.receptive import empirical_receptive_field, receptive_field_recurrence
from reviewlib.review.tables import (COLUMNS, layer_table, layer_totals, macs_total, param_breakdown, param_shares,
                                     partial_layer_table, weight_depth)


def _meta(builder, **kw):
    with torch.device("meta"):
        return builder(**kw)


@pytest.fixture(scope="module")
def alexnet():
    torch.manual_seed(0)
    return torchvision.models.alexnet()


@pytest.fixture(scope="module")
def alexnet_table(alexnet):
    return layer_table(alexnet, 224, names="auto")


@pytest.fixture(scope="module")
def vgg16_table():
    return layer_table(_meta(torchvision.models.vgg16), 224)


@pytest.fixture(scope="module")
def googlenet():
    return _meta(torchvision.models.googlenet, init_weights=True, aux_logits=True)


def total(table, col):
    return layer_totals(table)[col]


# ---------------------------------------------------------------------------------------------------- AlexNet
def test_alexnet_rows_shapes_and_names(alexnet_table):
    t = alexnet_table
    assert list(alexnet_table.columns) == COLUMNS
    assert t["name"].tolist() == ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool3",
                                  "avgpool", "fc6", "fc7", "fc8"]
    assert t["kind"].tolist() == ["conv", "pool", "conv", "pool", "conv", "conv", "conv", "pool", "pool",
                                  "fc", "fc", "fc"]
    assert t["out_h"].tolist() == [55, 27, 27, 13, 13, 13, 13, 6, 6, 1, 1, 1]
    assert t["output"].tolist()[:8] == ["55x55x64", "27x27x64", "27x27x192", "13x13x192", "13x13x384",
                                        "13x13x256", "13x13x256", "6x6x256"]
    assert t.loc[0, ["kernel", "stride", "padding"]].tolist() == [11, 4, 2]
    assert t.loc[9, "output"] == "1x1x4096" and t.loc[9, "out_c"] == 4096
    assert (t["neurons"] == t["out_h"] * t["out_w"] * t["out_c"]).all()
    assert t["path"].tolist()[:2] == ["features.0", "features.2"]


def test_alexnet_params_and_macs(alexnet, alexnet_table):
    t = alexnet_table
    assert total(alexnet_table, "params") == 61_100_840 == count_params(alexnet)
    assert t.loc[0, "params"] == 64 * 3 * 11 * 11 + 64
    assert t.loc[9, "params"] == 9216 * 4096 + 4096
    assert t.loc[0, "macs"] == 55 * 55 * 64 * 11 * 11 * 3  # conv1: exactly output elements x kernel volume
    assert t.loc[9, "macs"] == 9216 * 4096
    assert t.loc[t["kind"] == "pool", "macs"].eq(0).all()
    macs = total(alexnet_table, "macs")
    assert macs == 714_188_480 == macs_total(alexnet, 224)
    assert macs / 1e9 == pytest.approx(AlexNet_Weights.IMAGENET1K_V1.meta["_ops"], rel=0.01)


def test_layer_rows_only_and_totals_the_papers_way(alexnet_table):
    assert "total" not in set(alexnet_table["name"]) and len(alexnet_table) == 12
    totals = layer_totals(alexnet_table)
    assert set(totals) == {"params", "macs", "neurons"}
    assert totals["params"] == alexnet_table["params"].sum() and totals["macs"] == alexnet_table["macs"].sum()
    # neurons: conv and FC outputs only (AlexNet's "650,000 neurons"), not the pooling outputs
    assert totals["neurons"] == 55 * 55 * 64 + 27 * 27 * 192 + 13 * 13 * (384 + 256 + 256) + 4096 * 2 + 1000
    assert totals["neurons"] < alexnet_table["neurons"].sum()


def test_real_forward_matches_meta_and_leaves_model_alone(alexnet, alexnet_table):
    alexnet.train()
    before = alexnet.features[0].weight.detach().clone()
    real = layer_table(alexnet, (1, 3, 224, 224), device="cpu", names="auto")
    pd.testing.assert_frame_equal(real, alexnet_table)
    assert alexnet.training  # mode restored
    assert alexnet.features[0].weight.device.type == "cpu"
    assert torch.equal(alexnet.features[0].weight, before)
    alexnet.eval()


def test_default_names_are_module_paths_or_layer_names():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Dropout(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 9, 2))
    assert layer_table(net, 8)["name"].tolist() == ["0", "3", "5"]  # ReLU, Dropout, Flatten are not rows
    net.layer_names = {"0": "conv1", "5": "fc"}
    assert layer_table(net, 8)["name"].tolist() == ["conv1", "3", "fc"]


def test_input_size_forms_and_errors(alexnet):
    net = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2))
    for size in (9, (9, 9), (3, 9, 9), (8, 3, 9, 9)):
        assert layer_table(net, size)["output"].tolist() == ["4x4x4"]
    assert layer_table(net, (3, 9, 17))["out_w"].tolist() == [8]
    for bad in ("224", (1, 1, 3, 9, 9), (3, 0, 9), (3, 9.0, 9), True):
        with pytest.raises(ValueError, match="input_size"):
            layer_table(net, bad)
    with pytest.raises(ConfigError, match=r"features\.12.*larger input_size"):
        layer_table(alexnet, 32)  # conv5 gives 1x1 maps, too small for pool3's 3x3 window


# ------------------------------------------------------------------------------------------------------- VGG
def test_vgg16_table(vgg16_table):
    t = vgg16_table
    assert total(vgg16_table, "params") == 138_357_544
    assert t["kind"].value_counts().to_dict() == {"conv": 13, "pool": 6, "fc": 3}
    pool5 = t[t["path"] == "features.30"].iloc[0]
    assert (pool5["output"], pool5["out_h"], pool5["out_c"]) == ("7x7x512", 7, 512)
    assert total(vgg16_table, "macs") / 1e9 == pytest.approx(VGG16_Weights.IMAGENET1K_V1.meta["_ops"], rel=0.01)


def test_vgg16_receptive_fields(vgg16_table):
    rf = vgg16_table[["name", "kind", "rf", "jump"]]
    feats = rf[rf["kind"] != "fc"]["rf"].tolist()
    # block 1: 3, 5, pool 6; block 2: 10, 14, pool 16; block 3: 24, 32, 40, pool 44; ... pool5 212
    assert feats == [3, 5, 6, 10, 14, 16, 24, 32, 40, 44, 60, 76, 92, 100, 132, 164, 196, 212, 212]
    assert rf["jump"].tolist()[:6] == [1, 1, 2, 2, 2, 4]
    assert rf[rf["kind"] == "fc"]["rf"].eq(224).all() and rf[rf["kind"] == "fc"]["jump"].isna().all()


def test_vgg16_bn_folds_batchnorm_into_conv_rows():
    model = _meta(torchvision.models.vgg16_bn)
    t = layer_table(model, 224)
    assert "bn" not in set(t["kind"])
    assert t["kind"].value_counts()["conv"] == 13
    assert total(t, "params") == count_params(model) == 138_357_544 + 2 * (2 * 64 + 2 * 128 + 3 * 256 + 6 * 512)
    assert t.loc[0, "params"] == 64 * 27 + 64 + 2 * 64


# ------------------------------------------------------------------------------------------------- GoogLeNet
def test_googlenet_table(googlenet):
    googlenet.train()
    t = layer_table(googlenet, 224)
    assert googlenet.training
    r = t
    names = r["name"].tolist()
    assert [n for n in names if n.startswith("inception")] == [
        "inception3a", "inception3b", "inception4a", "inception4b", "inception4c", "inception4d", "inception4e",
        "inception5a", "inception5b"]
    assert not any("branch" in p or "aux" in p for p in r["path"])  # atomic inception rows, aux heads do not run
    assert (r.loc[r["name"].str.startswith("inception"), "kind"] == "inception").all()
    assert r.loc[0, ["name", "kind", "kernel", "stride", "output"]].tolist() == ["conv1", "conv", 7, 2, "112x112x64"]
    assert total(t, "params") == 6_624_904 == GoogLeNet_Weights.IMAGENET1K_V1.meta["num_params"]
    assert count_params(googlenet) == 13_004_888  # with the two auxiliary classifiers
    i5b = names.index("inception5b")
    assert r.loc[i5b, "output"] == "7x7x1024" and names[i5b + 1] == "avgpool"
    assert r.loc[i5b + 1, ["kernel", "stride", "output"]].tolist() == [7, 7, "1x1x1024"]
    assert r.loc[names.index("inception3a"), "params"] == 155_872
    assert total(t, "macs") / 1e9 == pytest.approx(GoogLeNet_Weights.IMAGENET1K_V1.meta["_ops"], rel=0.02)


def test_googlenet_param_breakdown_counts_aux(googlenet):
    blocks = param_breakdown(googlenet, by="block")
    assert {"aux1", "aux2", "inception3a", "fc"} <= set(blocks["block"])
    assert blocks["params"].sum() == count_params(googlenet)
    layers = param_breakdown(googlenet, by="layer")
    assert layers["params"].sum() == count_params(googlenet)
    assert layers.set_index("layer").loc["inception3a", "params"] == 155_872


# ------------------------------------------------------------------------------------------- receptive fields
def test_receptive_field_recurrence():
    assert receptive_field_recurrence([(3, 1)] * 3) == [(3, 1), (5, 1), (7, 1)]
    assert receptive_field_recurrence([(11, 4), (3, 2)]) == [(11, 4), (19, 8)]
    with pytest.raises(ValueError, match="stride"):
        receptive_field_recurrence([(3, 0)])


def _convs(n, k=3):
    layers = []
    for i in range(n):
        layers += [nn.Conv2d(3 if i == 0 else 2, 2, k, padding=k // 2), nn.ReLU()]
    return nn.Sequential(*layers)


@pytest.mark.parametrize("net, size, expected", [
    (_convs(3), 17, 7),  # VGG Sect. 2.3: three 3x3 layers see 7x7
    (_convs(2), 17, 5),
    (nn.Sequential(nn.Conv2d(3, 4, 11, stride=4, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2)), 99, 19),  # AlexNet
    (nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                   nn.Conv2d(4, 4, 3, padding=1)), 24, 8),
    (nn.Sequential(nn.Conv2d(3, 2, 3, padding=2, dilation=2), nn.Conv2d(2, 2, 3, padding=1)), 21, 7),
])
def test_empirical_receptive_field_equals_table(net, size, expected):
    table_rf = int(layer_table(net, size)["rf"].iloc[-1])
    assert table_rf == expected
    assert empirical_receptive_field(net, size) == expected
    assert all(p.abs().sum() > 0 for p in net.parameters() if p.dim() > 1)  # measured on a copy


def test_empirical_receptive_field_warns_when_clipped():
    with pytest.warns(UserWarning, match="larger input_size"):
        assert empirical_receptive_field(_convs(3), 5) == 5


def test_empirical_receptive_field_of_torchvision_inception_branch_rule():
    from torchvision.models.googlenet import Inception

    block = Inception(8, 2, 2, 2, 2, 2, 2)
    # as the only module traced, its branches are the rows: the widest is 1x1 -> 3x3, or 3x3 max pool -> 1x1
    assert empirical_receptive_field(block, (8, 15, 15)) == 3
    assert empirical_receptive_field(block, (8, 15, 15), out_index=(0, 7, 7)) == 1  # channel 0: the 1x1 branch
    wrapped = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), block)  # inside a model the block is one atomic row
    r = layer_table(wrapped, 15)
    assert r["kind"].tolist() == ["conv", "inception"] and r["rf"].tolist() == [3, 5]
    assert empirical_receptive_field(wrapped, 15) == 5


# ------------------------------------------------------------------------------------------ contract attributes
class _LocalResponseNorm(nn.Module):  # stands in for reviewlib.layers.LocalResponseNorm (matched by class name)
    def forward(self, x):
        return x


_LocalResponseNorm.__name__ = "LocalResponseNorm"


class _Block(nn.Module):
    atomic_row = True
    row_kind = "inception"

    def __init__(self, c):
        super().__init__()
        self.a = nn.Conv2d(c, 2, 1)
        self.b = nn.Sequential(nn.Conv2d(c, 2, 1), nn.Conv2d(2, 2, 5, padding=2))

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], 1)


class _Aux(nn.Module):
    atomic_row = True
    row_kind = "aux"

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(x)


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.norm1 = _LocalResponseNorm()
        self.block = _Block(4)
        self.aux = _Aux()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 2)
        self.layer_names = {"conv1": "conv1", "norm1": "lrn1", "block": "mixed", "fc": "fc8"}

    def forward(self, x):
        x = self.block(self.norm1(self.conv1(x)))
        if self.training:
            self.aux(x)
        return self.fc(self.pool(x).flatten(1))


def test_contract_attributes():
    net = _Net()
    r = layer_table(net, 9)
    assert r["name"].tolist() == ["conv1", "lrn1", "mixed", "pool", "fc8"]
    assert r["kind"].tolist() == ["conv", "lrn", "inception", "pool", "fc"]
    assert r["rf"].tolist()[:3] == [3, 3, 7]  # composite rule: widest branch 1x1 -> 5x5
    net.block.rf_kernel, net.block.rf_stride, net.block.rf_padding = 7, 1, 3
    r = layer_table(net, 9)
    assert r.loc[2, ["kernel", "padding", "rf"]].tolist() == [7, 3, 9]
    assert net.training and total(layer_table(net, 9), "params") == count_params(net) - (4 * 3 + 3)
    block = param_breakdown(net, by="block").set_index("block")
    assert block.loc["mixed", "params"] == (4 * 2 + 2) + (4 * 2 + 2) + (2 * 2 * 25 + 2)


def test_param_breakdown_alexnet(alexnet):
    for by in ("block", "layer"):
        b = param_breakdown(alexnet, by=by)
        assert list(b.columns) == [by, "params", "share"]
        assert b["share"].sum() == pytest.approx(1.0)
        assert b["params"].sum() == 61_100_840
    with pytest.raises(ValueError, match="by="):
        param_breakdown(alexnet, by="kind")


def test_param_shares(alexnet_table, vgg16_table):
    s = param_shares(alexnet_table)
    assert list(s.index) == ["conv", "fc6", "fc7", "fc8"] and list(s.columns) == ["kind", "params", "share"]
    assert s["share"].sum() == pytest.approx(1.0) and s["params"].sum() == 61_100_840
    fc = s.loc[s["kind"] == "fc"]
    assert fc["params"].sum() == 58_631_144  # AlexNet Sect. 3.5: the FC layers hold ~96% of the parameters
    assert fc["share"].sum() == pytest.approx(58_631_144 / 61_100_840)
    v = param_shares(vgg16_table)  # torchvision's VGG has no layer_names: rows are named by module path
    assert v.loc["classifier.0", "params"] == 25088 * 4096 + 4096  # VGG's FC1 alone: 102.8M of 138M


def test_weight_depth():
    assert weight_depth(layer_table(_meta(torchvision.models.alexnet), 224)) == 8
    assert weight_depth(layer_table(_meta(torchvision.models.vgg16), 224)) == 16
    tv = layer_table(_meta(torchvision.models.googlenet, init_weights=True, aux_logits=True), 224)
    assert weight_depth(tv) == 22 and weight_depth(tv, pooling=True) == 27  # GoogLeNet Sect. 5
    with torch.device("meta"):
        paper = build_model("googlenet_paper")
    t = layer_table(paper, 224)
    assert weight_depth(t) == 22 and weight_depth(t, pooling=True) == 27  # LRN rows do not count
    assert weight_depth(t[t["name"] == "inception3a"]) == 2  # one Table 1 row: its deepest branch


def test_torchinfo_summary_gives_the_same_totals(alexnet, alexnet_table):
    stats = torchinfo.summary(alexnet, input_size=(1, 3, 224, 224), verbose=0, mode="eval")
    assert stats.total_params == layer_totals(alexnet_table)["params"] == 61_100_840
    assert math.isclose(stats.total_mult_adds, layer_totals(alexnet_table)["macs"], rel_tol=0.01)


def test_lrn_counts_no_multiply_adds():
    with torch.device("meta"):
        m = reviewlib_alexnet("paper")
    t = layer_table(m, 227)
    assert t.loc[t["kind"] == "lrn", "macs"].eq(0).all()  # its band-matrix sum of squares multiplies no weights
    no_lrn = layer_table(_meta(reviewlib_alexnet, variant="paper", lrn=False), 227)
    assert macs_total(m, 227) == layer_totals(t)["macs"] == layer_totals(no_lrn)["macs"]


def test_partial_layer_table_traces_what_ran():
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(5, 2))
    t, err, failed = partial_layer_table(net, 10)
    assert t["name"].tolist() == ["0", "1"] and t["output"].tolist() == ["8x8x4", "4x4x4"]
    assert isinstance(err, ConfigError) and isinstance(err.__cause__, RuntimeError) and failed == "3"
    with pytest.raises(ConfigError, match="failed in 3"):
        layer_table(net, 10)
    t, err, failed = partial_layer_table(nn.Sequential(nn.Conv2d(3, 4, 3)), 10)
    assert len(t) == 1 and err is None and failed is None


@pytest.mark.parametrize("name", ["alexnet_paper", "vgg_A-LRN", "googlenet_paper"])
def test_reviewlib_models_follow_the_contract(name):
    with torch.device("meta"):
        model = build_model(name)
    t = layer_table(model, getattr(model, "image_size", None) or 224)
    names = getattr(model, "layer_names", None) or {p: p for p in t["path"]}  # GoogLeNet's paths are its names
    named = t[t["path"].isin(names)]
    assert (named["name"] == named["path"].map(names)).all() and len(named) >= len(t) - 1
    assert "lrn" in set(t["kind"]) and not t["path"].str.contains(r"\.(?:conv|bn|branch)").any()
    assert not t["path"].str.startswith("aux").any()  # aux heads do not run in eval mode
    aux = [m for n, m in model.named_children() if n.startswith("aux") and m is not None]
    assert layer_totals(t)["params"] == count_params(model) - sum(count_params(m) for m in aux)
