"""reviewlib.papers.googlenet: the GoogLeNet review's computations (and the library pieces its notebook relies on)."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reviewlib.nets import count_params
from reviewlib.review.tables import layer_table, macs_total, weight_depth
from reviewlib.review.checker import check_model
from reviewlib.errors import ConfigError
from reviewlib.nets.layers import GoogLeNetOutputs, Inception, NaiveInception
from reviewlib.nets import googlenet
from reviewlib.papers import googlenet as G


# ------------------------------------------------------------------------------------------- module cost formulas
@pytest.mark.parametrize("row", [r[0] for r in G.INCEPTION_ROWS[:3]] + ["inception5b"])
def test_inception_cost_equals_the_built_module(row):
    w = dict((r[0], r[1:]) for r in G.INCEPTION_ROWS)[row]
    cin, size = 192, 14
    cost = G.inception_cost(cin, size, *w)
    mod = Inception(cin, *w)
    assert cost["params"] == count_params(mod)
    assert cost["macs"] == macs_total(mod, (cin, size, size))
    assert cost["out_channels"] == mod(torch.zeros(1, cin, size, size)).shape[1]


def test_inception_cost_3a_by_hand():
    # 3a on 28x28x192: weights 192*64 + 192*96 + 96*9*128 + 192*16 + 16*25*32 + 192*32 = 163,328
    c = G.inception_cost(192, 28, 64, 96, 128, 16, 32, 32, bias=False)
    assert c == {"params": 163_328, "macs": 163_328 * 784, "out_channels": 256}


def test_naive_cost_equals_the_built_module_and_grows_depth():
    cost = G.naive_inception_cost(192, 28, 64, 128, 32)
    mod = NaiveInception(192, 64, 128, 32)
    assert cost["params"] == count_params(mod) == 192 * 64 + 64 + 192 * 9 * 128 + 128 + 192 * 25 * 32 + 32
    assert cost["macs"] == macs_total(mod, (192, 28, 28))
    assert cost["out_channels"] == 64 + 128 + 32 + 192 == mod(torch.zeros(1, 192, 8, 8)).shape[1]
    with pytest.raises(ConfigError):
        G.naive_inception_cost(192, 28, 0, 128, 32)


def test_naive_vs_reduced_reductions_cut_weights_everywhere():
    t = G.naive_vs_reduced()
    assert list(t["module"]) == [r[0] for r in G.INCEPTION_ROWS]
    assert (t["params ratio"] > 2).all()
    assert t.loc[t.module == "inception3a", "input"].item() == "28x28x192"
    assert t.loc[t.module == "inception3a", "naive out depth"].item() == 416


# ------------------------------------------------------------------------------------------- explorer (widget logic)
def test_inception_explorer_driven_from_python():
    ex = G.inception_explorer("inception3a")
    r = G.explorer_readout(ex.state)
    assert r == {"params": 163_696, "macs": 128_049_152, "out_depth": 256}
    naive = G.explorer_readout(ex.update(design="naive"))
    assert naive["out_depth"] == 64 + 128 + 32 + 192 and naive["params"] > 2 * r["params"]
    wider = G.explorer_readout(ex.update(design=G.DESIGNS[0], c5x5=64))
    assert wider["out_depth"] == 288
    assert wider["params"] - r["params"] == 16 * 25 * 32 + 32
    bad = ex.update(c3x3red=0)
    assert bad.error and "at least 1 channel" in bad.error
    assert "error" in G.explorer_readout(bad)
    with pytest.raises(KeyError):
        ex.update(nonsense=1)
    with pytest.raises(ConfigError):
        G.inception_explorer("inception9z")


def test_explorer_map_size_scales_macs_not_params():
    ex = G.inception_explorer("inception4a")
    a = G.explorer_readout(ex.state)
    b = G.explorer_readout(ex.update(map_size=28))
    assert a["params"] == b["params"] and b["macs"] == 4 * a["macs"]


# ------------------------------------------------------------------------------------------- Table 1
def test_table1_reproduction_rows_and_flags():
    t1 = G.table1_reproduction()
    assert len(t1) == len(G.PAPER_TABLE1) == 19
    assert (t1["paper output"] == t1["our output"]).all()
    assert (t1["paper depth"] == t1["our depth"]).all() and t1["our depth"].sum() == 22
    conv3 = t1.iloc[2]
    assert conv3["our layers"] == "conv2+conv3" and conv3["our weights"] == 64 * 64 + 64 * 9 * 192 == 112 * 1024
    assert t1.loc[t1.row == "linear", "our weights"].item() == 1000 * 1024
    flagged = list(t1.loc[t1.flag == "FLAG", "row"])
    assert flagged == ["convolution", "inception (4c)", "inception (5a)"]
    assert "separable" in t1.iloc[0]["note"]
    # every ops entry but conv1's, 5a's and the linear layer's "1M" is within 1% of our multiply-adds
    ok = t1.drop(index=[0]).loc[lambda t: t["paper ops"].notna() & ~t.row.isin(["inception (5a)", "linear"])]
    assert (ok["MACs d%"].abs() < 1).all() and len(ok) == 9
    text = G.format_table1(t1).to_string()
    assert "FLAG" in text and "112.0K" in text


def test_table1_reproduction_rejects_other_models():
    with torch.device("meta"):
        m = torchvision_alexnet()
    with pytest.raises(ConfigError, match="no layer named"):
        G.table1_reproduction(m)


def torchvision_alexnet():
    import torchvision
    return torchvision.models.alexnet()


def test_conv1_candidates_only_separable_fits_both():
    c = G.conv1_candidates()
    fit = c[c["fits both (within 2%)"]]
    assert len(fit) == 1 and fit["params"].item() == 7 * 7 * 3 * 8 + 24 * 64 == 2712
    assert c.iloc[0]["params"] == 9408 and c.iloc[0]["MACs"] == 9408 * 112 * 112


# ------------------------------------------------------------------------------------------- claims, heads, aux
def test_weight_depth_22_and_27_for_ours_and_torchvision():
    import torchvision
    with torch.device("meta"):
        ours = googlenet("paper")
        tv = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False)
    for model in (ours, tv):
        t = layer_table(model, 224)
        assert weight_depth(t) == 22 and weight_depth(t, pooling=True) == 27
    t = layer_table(nn.Sequential(nn.Conv2d(3, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(48, 2)), 10)
    assert weight_depth(t) == 2 and weight_depth(t, pooling=True) == 3


def test_claims_table_verdicts():
    c = G.googlenet_claims().set_index("claim")
    assert c.loc["depth: layers with parameters", "verdict"] == "matches"
    assert c.loc["x fewer parameters than AlexNet", "verdict"] == "differs"
    assert c.loc["x fewer parameters than AlexNet", "ours"] == "8.71"
    assert c.loc["multiply-adds per image (billions)", "verdict"] == "differs"
    assert c.loc["... with conv1 as a depthwise-separable 7x7 (billions)", "verdict"] == "rounding"
    assert c.loc["aux classifier on 4d: pooled map", "ours"] == "4x4x528"


def test_head_comparison_fc_head_is_tens_of_millions():
    h = G.head_comparison()
    assert h["head params"].tolist() == [1024 * 1000 + 1000, 7 * 7 * 1024 * 1000 + 1000]
    assert h["total params"].iloc[1] - h["total params"].iloc[0] == 48 * 1024 * 1000


def test_aux_table_costs_and_removed_at_inference():
    a = G.aux_table()
    assert a["after"].tolist() == ["inception4a", "inception4d"]
    assert a["pooled map"].tolist() == ["4x4x512", "4x4x528"]
    # conv 1x1 -> 128, FC 2048 -> 1024, FC 1024 -> 1000 (biases included)
    assert a["params"].iloc[0] == 512 * 128 + 128 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000
    assert (a["at inference"] == "removed").all() and (a["loss weight"] == 0.3).all()
    small = G.aux_table(image_size=64, num_classes=10, aux_pool="adaptive")
    assert small["pooled map"].tolist() == ["4x4x512", "4x4x528"]


def test_variant_comparison_reads_the_models():
    v = G.variant_comparison()
    assert v.loc["'5x5' branch kernel", "paper"] == "5x5" and v.loc["'5x5' branch kernel", "torchvision"] == "3x3"
    assert v.loc["params (inference)", "torchvision"] == v.loc["params (inference)",
                                                                "torchvision.models.googlenet"] == 6_624_904
    assert v.loc["dropout before the classifier", "paper"] == 0.4


# ------------------------------------------------------------------------------------------- exercise answers
def test_answers_pass_the_checker_and_a_wrong_one_is_named():
    ref = Inception(192, 64, 96, 128, 16, 32, 32)
    assert check_model(G.answer_inception(192, "inception3a"), ref, (192, 28, 28)).ok
    wrong = G.AnswerInception(192, 64, 96, 128, 24, 32, 32)
    res = check_model(wrong, ref, (192, 28, 28))
    assert not res.ok and "branch3" in res.message
    with torch.device("meta"):
        ours, ref_net = G.answer_googlenet(10), G.exercise_reference(10)
    assert check_model(ours, ref_net, 224).ok


# ------------------------------------------------------------------------------------------- plan and tables
def test_review_plan_per_budget():
    s, st = G.review_plan("smoke"), G.review_plan("study")
    assert s["eval_images"] <= 4 and s["main_batches"] <= 4 and s["ensemble_size"] >= 2
    assert st["ensemble_size"] >= 2 and st["main_epochs"] >= s["main_epochs"]
    assert G.review_plan("paper")["ensemble_size"] == 7 and G.review_plan("paper")["eval_images"] is None


def test_short_run_recipe_scales_the_ema_decay():
    from reviewlib.train.recipes import recipe_for

    r = recipe_for("googlenet", "smoke")
    assert G.short_run_recipe(r, 20).ema_decay == 0.95 and G.short_run_recipe(r, 20).aux_weight == 0.3
    assert G.short_run_recipe(r, 1).ema_decay == 0.5
    assert G.short_run_recipe(r, None) is r
    with pytest.raises(ValueError):
        G.short_run_recipe(r, 0)


def test_table2_has_paper_rows_and_torchvision_meta():
    t = G.table2()
    assert t.loc[t["team / model"] == "GoogLeNet", "top-5 error %"].item() == 6.67
    tv = t[t.source.str.startswith("torchvision")]
    assert len(tv) == 3
    assert math.isclose(tv.loc[tv["team / model"].str.startswith("GoogLeNet"), "top-5 error %"].item(), 10.47)


def test_crops_and_ensembles_averages_models_like_evaluate():
    from reviewlib.evaluate import evaluate

    torch.manual_seed(0)
    imgs = [(torch.randint(0, 255, (3, 40, 48), dtype=torch.uint8), i % 3) for i in range(3)]
    members = [nn.Sequential(nn.Conv2d(3, 3, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten()) for _ in range(2)]
    rows = G.crops_and_ensembles(members, imgs, image_size=32, protocols=("center", "144crop"), device="cpu")
    assert [(r["protocol"], r["models"], r["crops_per_image"]) for r in rows] == [
        ("center", 1, 1), ("center", 2, 1), ("144crop", 1, 144), ("144crop", 2, 144)]
    ref = evaluate(members, imgs, protocol="144crop", image_size=32, device="cpu", progress=False)
    assert rows[3]["top1_error"] == pytest.approx(ref["top1_error"])
    assert G.table3(rows)["cost"].tolist() == [1, 2, 144, 288]
    with pytest.raises(ValueError):
        G.crops_and_ensembles([], imgs, image_size=32)


def test_table3_costs_and_paper_column():
    rows = [dict(models=1, crops_per_image=1, n=10, top1_error=0.5, top5_error=0.2),
            dict(models=1, crops_per_image=144, n=10, top1_error=0.4, top5_error=0.1),
            dict(models=3, crops_per_image=10, n=10, top1_error=0.3, top5_error=0.1)]
    t = G.table3(rows)
    assert t["cost"].tolist() == [1, 144, 30]
    assert t["paper top-5 % (models)"].tolist() == ["10.07 (1)", "7.89 (1)", "7.62 (7)"]
    assert t["top-5 vs base (pp)"].tolist() == pytest.approx([0.0, -10.0, -10.0])
    with pytest.raises(ValueError):
        G.table3([])


# ------------------------------------------------------------------------------------------- library pieces used
def test_aux_loss_weighting_in_compute_loss():
    from reviewlib.train.loop import compute_loss

    g = torch.Generator().manual_seed(0)
    y = torch.tensor([0, 1, 2, 1])
    main, a2, a1 = (torch.randn(4, 3, generator=g) for _ in range(3))
    logits, total, parts = compute_loss(GoogLeNetOutputs(main, a2, a1), y, aux_weight=0.3)
    expect = F.cross_entropy(main, y) + 0.3 * (F.cross_entropy(a1, y) + F.cross_entropy(a2, y))
    assert torch.allclose(total, expect) and logits is main
    assert set(parts) == {"main", "aux1", "aux2"}
    _, plain, parts = compute_loss(main, y, aux_weight=0.3)
    assert torch.allclose(plain, F.cross_entropy(main, y)) and parts == {}


def test_144_crop_generator_count():
    from reviewlib.evaluate import crops_144, views_per_image

    img = torch.randint(0, 255, (3, 40, 60), dtype=torch.uint8)
    views = crops_144(img, 16, scales=(18, 20, 22, 24))
    assert views.shape == (144, 3, 16, 16)
    assert views_per_image("144crop", (18, 20, 22, 24)) == 144
    # [scale, square, mirror, crop]: each mirror block is the flipped crop block
    v = views.view(4, 3, 2, 6, 3, 16, 16)
    assert torch.equal(v[:, :, 1], v[:, :, 0].flip(-1))


def test_polyak_averaging_ema():
    from reviewlib.train.ema import make_ema

    lin = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        lin.weight.fill_(1.0)
    ema = make_ema(lin, decay=0.5)
    for w in (3.0, 5.0):
        with torch.no_grad():
            lin.weight.fill_(w)
        ema.update_parameters(lin)
    # first update copies (3), then 0.5 * 3 + 0.5 * 5 = 4
    assert torch.allclose(ema.module.weight, torch.full((1, 2), 4.0))


def test_small_paper_googlenet_aux_pool_fits_at_96_not_64():
    t = layer_table(googlenet("paper", num_classes=10, width=0.125, image_size=96), 96)
    assert t.loc[t.name == "inception4a", "out_h"].item() == 6
    with pytest.raises(ConfigError, match="aux_pool='adaptive'"):
        googlenet("paper", num_classes=10, width=0.125, image_size=64)
    googlenet("paper", num_classes=10, width=0.125, image_size=64, aux_pool="adaptive")
