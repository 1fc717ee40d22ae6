"""reviewlib.papers.vgg: the VGG notebook's claim checks, 3x3-stack argument, explorer, answer, warm start and
evaluation helpers (all on tiny or meta-device models)."""
from pathlib import Path

import pandas as pd
import pytest
import torch
from PIL import Image
from torch import nn

from reviewlib.review.receptive import empirical_receptive_field
from reviewlib.review.tables import layer_table, param_shares, weight_depth
from reviewlib.review.checker import check_model
from reviewlib.review.claims import claim_table
from reviewlib.evaluate import dense_predict, normalize, to_dense
from reviewlib.nets import vgg
from reviewlib.papers import vgg as V

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_architecture_table_matches_table_1_and_2():
    t = V.architecture_table()
    assert list(t.index) == ["A", "A-LRN", "B", "C", "D", "E"]
    assert t["weight layers"].tolist() == [11, 11, 13, 16, 16, 19]
    assert t.loc["D", "params"] == 138_357_544  # torchvision's vgg16
    assert t.loc["E", "params"] == 143_667_240
    assert (t["final map"] == "7x7x512").all()
    assert t.loc["D", "shorthand"] == "64 (x2) - 128 (x2) - 256 (x3) - 512 (x3) - 512 (x3)"
    assert 0.74 < t.loc["D", "fc1 share"] < 0.75  # 102,764,544 / 138,357,544


def test_claims_all_match_or_round():
    table = claim_table(V.claims())
    assert len(table) == 17
    assert set(table["verdict"]) <= {"matches", "rounding"}
    row = table[table["claim"].str.contains("more weights")].iloc[0]
    assert row["verdict"] == "rounding" and row["ours"] == "81.5"


def test_fc_share_and_weight_layers():
    t = layer_table(V.build_meta("A"), 224)
    share = param_shares(t)["share"]
    assert weight_depth(t) == 11
    assert abs(share.sum() - 1) < 1e-9 and list(share.index) == ["conv", "fc1", "fc2", "fc3"]
    assert share["fc1"] == pytest.approx(25088 * 4096 / 132_863_336 + 4096 / 132_863_336)


@pytest.mark.parametrize("depth,kernel", [(1, 3), (2, 3), (3, 3), (2, 5), (4, 3)])
def test_receptive_field_formula_agrees_with_built_modules(depth, kernel):
    rf = V.stack_receptive_field(depth, kernel)
    size = 2 * rf + 3
    block = V.conv_stack(depth, kernel, 2)
    assert empirical_receptive_field(block, (2, size, size)) == rf
    assert int(layer_table(block, (2, size, size))["rf"].iloc[-1]) == rf


def test_receptive_field_of_a_vgg_block_measured_by_gradient():
    # conv1_1, conv1_2 (3x3) then the 2x2/2 pool: 5 + 1 = 6, as layer_table's rf column says for VGG's pool1
    net = vgg("B", width=1 / 32, image_size=32).features[:5]
    assert empirical_receptive_field(net, (3, 32, 32), out_index=(0, 8, 8)) == 6
    assert int(layer_table(net, 32)["rf"].iloc[-1]) == 6


def test_stack_comparison_counts_sect_2_3():
    t = V.stack_comparison(3, 3, 16)
    assert t.loc["stack", "weights"] == 27 * 16 ** 2 and t.loc["single", "weights"] == 49 * 16 ** 2
    assert t.loc["stack", "non-linearities"] == 3 and t.loc["single", "non-linearities"] == 1
    assert (t["rf (gradient)"] == 7).all() and (t["rf (layer table)"] == 7).all()
    two = V.stack_comparison(2, 3, 8, measure=False)
    assert two.loc["stack", "weights / C^2"] == 18 and two.loc["single", "weights / C^2"] == 25
    assert "rf (gradient)" not in two.columns
    with pytest.raises(Exception, match="even"):
        V.conv_stack(2, 4, 8)


def test_one_by_one_convs_keep_the_receptive_field():
    t = V.one_by_one_rows()
    assert t["name"].tolist() == ["conv3_2", "conv3_3", "conv4_2", "conv4_3", "conv5_2", "conv5_3"]
    ones = t[t["kernel"] == 1]
    assert len(ones) == 3
    assert (t["rf"].iloc[0::2].to_numpy() == t["rf"].iloc[1::2].to_numpy()).all()
    assert ones["params"].tolist() == [256 * 256 + 256, 512 * 512 + 512, 512 * 512 + 512]


def test_explorer_logic_from_python():
    e = V.vgg_explorer()
    assert e.state.error is None and e.state.totals["params"] == 138_357_544
    s = e.update(config="E")
    assert e.values["b3_convs"] == 4 and s.totals["params"] == 143_667_240
    s = e.update(config="A-LRN")
    assert e.values["b1_convs"] == 1 and "lrn" in set(s.table["kind"])
    s = e.update(b1_convs=2)  # editing a block leaves Table 1
    assert e.values["config"] == V.CUSTOM and s.totals["params"] == 132_863_336 + 64 * 64 * 9 + 64  # A + conv1_2, no LRN
    assert "lrn" not in set(s.table["kind"])
    s = e.update(image_size=16)
    assert s.error and "pool5" in s.error and s.table is None
    s = e.update(image_size=96, fc_width=64, b5_width=8)
    assert s.error is None and s.table.iloc[-1]["output"] == "1x1x1000"
    assert e.update(config="D").totals["params"] != s.totals["params"]
    assert e.values["b5_width"] == 512
    with pytest.raises(KeyError):
        e.update(nonsense=1)


def test_config_blocks_and_round_trip():
    assert V.config_blocks("C")["b3_convs"] == 3 and V.config_blocks("C")["b3_width"] == 256
    assert V.blocks_to_config(V.config_blocks("D")) == [64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                                                        512, 512, 512, "M", 512, 512, 512, "M"]
    with pytest.raises(Exception, match="unknown VGG configuration"):
        V.config_blocks("F")


def test_answer_passes_the_checker_and_shorthand_parses():
    assert V.parse_shorthand("64 (x2) - 128 (x2) - 256 (x3) - 512 (x3) - 512 (x3)") == [
        (64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]
    assert V.parse_shorthand("64 - 128") == [(64, 1), (128, 1)]
    with pytest.raises(Exception, match="cannot read"):
        V.parse_shorthand("64 x2 - 128")
    with torch.device("meta"):
        mine, ref = V.vgg16_answer(), vgg("D")
        wrong = V.VGG16Answer(blocks="64 (x2) - 128 (x2) - 256 (x2) - 512 (x3) - 512 (x3)")
    assert check_model(mine, ref).ok
    bad = check_model(wrong, ref)
    assert not bad.ok and "conv3_3" in bad.message


def test_answer_state_dict_loads_into_ours():
    a = V.vgg16_answer(num_classes=10, image_size=32)
    ours = vgg("D", num_classes=10, image_size=32)
    ours.load_state_dict(a.state_dict())  # same module layout as torchvision / reviewlib
    x = torch.randn(1, 3, 32, 32)
    assert torch.allclose(ours.eval()(x), a.eval()(x))


def test_warm_start_copies_first_four_convs_and_fcs_of_the_trained_a():
    kw = dict(num_classes=5, width=1 / 16, image_size=32)
    variants = V.warm_start_variants("D", **kw)
    assert list(variants) == ["A", "D warm start from A", "D glorot", "D kaiming"]
    a = variants["A"]()
    with torch.no_grad():  # "training" A after it was built: the warm start must see these weights
        for p in a.parameters():
            p.add_(1.0)
    d = variants["D warm start from A"]()
    copied = variants["D warm start from A"].copied
    # D's conv1_1, conv2_1, conv3_1, conv3_2 are features.0, 5, 10, 12; the three Linear layers of the classifier
    assert copied == ["features.0", "features.5", "features.10", "features.12",
                      "classifier.0", "classifier.3", "classifier.6"]
    a_convs = [m for m in a.features if isinstance(m, nn.Conv2d)]
    for src, dst in zip(a_convs[:4], (d.features[0], d.features[5], d.features[10], d.features[12])):
        assert torch.equal(src.weight, dst.weight) and torch.equal(src.bias, dst.bias)
    assert not torch.equal(d.features[2].weight, a.features[0].weight.new_zeros(1))  # conv1_2 stays random
    assert d.features[2].weight.abs().max() < 1.0  # not shifted by +1 like A's
    for i in (0, 3, 6):
        assert torch.equal(a.classifier[i].weight, d.classifier[i].weight)
    g = variants["D glorot"]()
    assert not torch.equal(g.features[0].weight, a.features[0].weight)
    with pytest.raises(RuntimeError, match="first"):
        V.warm_start_variants("D", **kw)["D warm start from A"]()


def test_study_plan_sizes():
    smoke = V.study_plan("smoke")
    assert smoke.budget.image_size == 64 and smoke.budget.max_batches == 2 and smoke.budget.epochs == 1
    study = V.study_plan("study")
    assert study.budget.image_size == 64 and study.budget.width == 0.25 and study.budget.epochs == 3
    assert study.budget.max_batches == 10 and smoke.budget.width < study.budget.width
    assert V.study_plan("paper").budget.image_size == 224


def test_activation_memory_and_training_cost():
    t = layer_table(V.build_meta("D"), 224)
    mem = V.activation_memory(t)
    conv_fc = int(t[t["kind"].isin(["conv", "fc"])]["neurons"].sum())
    pools = 802_816 + 401_408 + 200_704 + 100_352 + 25_088
    assert mem["values"] == 150_528 + conv_fc + pools
    assert mem["forward_MB"] == pytest.approx(mem["values"] * 4 / 2 ** 20)
    assert mem["train_MB"] == pytest.approx(2 * mem["forward_MB"])
    cost = V.training_cost(10 ** 9, images_per_epoch=1000, epochs=2)
    assert cost["training PetaMACs"] == pytest.approx(6e12 / 1e15)
    assert cost["implied utilisation (2 weeks)"] == pytest.approx(cost["days at 4x Titan Black peak"] / 14)


def test_to_dense_equals_our_vgg_at_the_training_size():
    torch.manual_seed(0)
    model = vgg("A", num_classes=7, width=1 / 16, image_size=64).eval()
    x = torch.randn(2, 3, 64, 64)
    dense = to_dense(model, 64)
    assert dense.kernel_size == 2
    scores = dense(x)
    assert scores.shape == (2, 7, 1, 1)
    assert torch.allclose(scores.flatten(1), model(x), atol=1e-5)
    p = dense_predict(dense, x, flips=False)
    assert torch.allclose(p, model(x).softmax(1), atol=1e-5)
    assert dense(torch.randn(1, 3, 128, 128)).shape == (1, 7, 3, 3)  # bigger image: a score map


def test_score_maps_and_protocol_comparison_on_a_tiny_dataset():
    torch.manual_seed(0)
    model = vgg("A", num_classes=3, width=1 / 16, image_size=32).eval()
    g = torch.Generator().manual_seed(0)
    data = [(Image.fromarray((torch.rand(40, 48, 3, generator=g) * 255).byte().numpy()), i % 3) for i in range(3)]
    maps = V.score_maps(model, data[0][0], (37, 73), image_size=32)
    assert [tuple(m.shape) for m in maps] == [(3, 1, 1), (3, 2, 2)]
    assert torch.allclose(maps[1].sum(0), torch.ones(2, 2))
    t = V.protocol_comparison(model, data, image_size=32, device="cpu")
    assert len(t) == 6 and t["protocol"].tolist()[:3] == ["dense", "multi-crop", "dense + multi-crop"]
    assert t["crops"].tolist() == [2, 50, 52, 6, 150, 156]
    assert t["top1_error"].between(0, 100).all()
    fig = V.score_map_figure(model, data[0][0], (37, 73), image_size=32, class_names=["a", "b", "c"])
    assert len(fig.axes) >= 3


def test_figures_build(tmp_path):
    fig = V.config_chart()
    assert len(fig.axes[0].patches) == sum(len(c) + 3 for c in V.VGG_TABLE.values())
    V.config_chart(["A", "E"], save=tmp_path / "chart.png")
    assert (tmp_path / "chart.png").stat().st_size > 0
    from reviewlib.data.augment import train_transform
    img = Image.new("RGB", (80, 60), (200, 30, 30))
    fig = V.show_augmentations(img, {"S=73": train_transform("vgg", 64, scale_range=(73, 73)),
                                     "S in [73,146]": train_transform("vgg", 64)}, n=2)
    assert len(fig.axes) == 6
    h = pd.DataFrame({"epoch": [1, 2], "train_loss": [2.0, 1.5], "val_acc1": [10.0, 20.0]})
    assert len(V.curves_figure({"x": h}).axes) == 2


def test_paper_and_torchvision_tables():
    tv = V.torchvision_reported()
    assert list(tv.index) == ["A", "B", "D", "E"]
    assert tv.loc["D", "tv top1_error"] == pytest.approx(100 - 71.592, abs=0.01)
    assert tv.loc["D", "params"] == 138_357_544
    assert V.TABLE3.loc["D", "top5_error"] == 8.8
    assert V.paper_test_scales(224) == {"single": (384,), "multi": (256, 384, 512)}
    assert V.paper_test_scales(64) == {"single": (110,), "multi": (73, 110, 146)}


def test_show_augmentations_on_a_real_image():
    path = SHARED / "imagenet-samples" / "n01443537_goldfish.JPEG"
    if not path.exists():
        pytest.skip("../shared/data/imagenet-samples not present")
    from reviewlib.data.augment import train_transform
    img = Image.open(path).convert("RGB")
    fig = V.show_augmentations(img, {"jitter": train_transform("vgg", 64)}, n=2)
    assert fig.axes[1].images[0].get_array().shape[:2] == (64, 64)


def test_explorer_widget_builds_and_follows_the_config():
    pytest.importorskip("ipywidgets")
    e = V.vgg_explorer()
    box = e.widget()
    assert len(box.children) == 5
    e.inputs["config"].value = "E"  # the sliders follow the picked column
    assert e.inputs["b3_convs"].value == 4 and e.values["config"] == "E"
    e.inputs["b1_convs"].value = 3  # editing a block leaves Table 1
    assert e.inputs["config"].value == V.CUSTOM and e.state.error is None
