"""reviewlib.papers.vgg: the VGG review (claims, the 3x3-stack argument, the shallow 5x5 net, explorer, exercises,
plan, experiments, test protocols, figures) with real values, on meta-device or tiny models and the smoke budget."""
import math

import pandas as pd
import pytest
import torch
from torch import nn

from reviewlib.budget import BUDGETS
from reviewlib.evaluate import dense_predict, evaluate, to_dense, topk_errors
from reviewlib.experiments import Results, record
from reviewlib.nets import MODEL_NAMES, VGG_TABLE, build_model, count_params, shorthand, vgg
from reviewlib.papers import vgg as V
from reviewlib.papers.vgg.experiments import centre_probs, protocol_predictions
from reviewlib.papers.vgg.plan import ABLATION, RECORDED, RUNS, SAVE_FIGURES
from reviewlib.review.checker import check_model
from reviewlib.review.receptive import empirical_receptive_field
from reviewlib.review.tables import layer_table, layer_totals, param_shares, weight_depth
from reviewlib.study import Study
from reviewlib.train.init import warm_start_vgg


@pytest.fixture(scope="module")
def smoke(data):
    return Study.for_paper("vgg", "smoke", data=data, device="cpu")


@pytest.fixture(scope="module")
def ablated(smoke):
    return V.ablations(smoke, progress=False)


# ------------------------------------------------------------------------------------------- the shallow net
def test_shallow_b_5x5_in_the_table_parameters_and_layers():
    assert VGG_TABLE["B-5x5"] == ["5x5-64", "M", "5x5-128", "M", "5x5-256", "M", "5x5-512", "M", "5x5-512", "M"]
    assert "vgg_B-5x5" in MODEL_NAMES
    assert shorthand("B-5x5") == "5x5 64 (x1) - 5x5 128 (x1) - 5x5 256 (x1) - 5x5 512 (x1) - 5x5 512 (x1)"
    m = V.build_meta("B-5x5")
    # convs: 5*5*3*64+64 + 5*5*64*128+128 + 5*5*128*256+256 + 5*5*256*512+512 + 5*5*512*512+512 = 10,860,672
    # FC: 25088*4096+4096 + 4096*4096+4096 + 4096*1000+1000 = 123,642,856
    assert count_params(m) == 10_860_672 + 123_642_856 == 134_503_528
    t = layer_table(m, 224)
    convs = t[t["kind"] == "conv"]
    assert convs["kernel"].tolist() == [5] * 5 and convs["padding"].tolist() == [2] * 5
    assert weight_depth(t) == 8 and t[t["name"] == "pool5"].iloc[0]["output"] == "7x7x512"
    # the same receptive field at every pool as B's pairs of 3x3 convs (Sect. 4.1: "the same receptive field")
    b = layer_table(V.build_meta("B"), 224)
    pools = lambda tab: tab.loc[tab["name"].str.startswith("pool"), "rf"].astype(int).tolist()
    assert pools(t) == pools(b) == [6, 16, 36, 76, 156]
    small = build_model("vgg_B-5x5", num_classes=3, width=0.125, image_size=32)
    assert small(torch.randn(2, 3, 32, 32)).shape == (2, 3)


def test_other_kernels_in_the_shorthand():
    from reviewlib.errors import ConfigError

    assert shorthand("C") == "64 (x2) - 128 (x2) - 256 (x2) + 1x1 (x1) - 512 (x2) + 1x1 (x1) - 512 (x2) + 1x1 (x1)"
    with torch.device("meta"):
        m = vgg([64, "7x7-32", "M"], image_size=32)
    assert [c.kernel_size for c in m.features if isinstance(c, nn.Conv2d)] == [(3, 3), (7, 7)]
    with pytest.raises(ConfigError, match="even kernel"):
        vgg([64, "4x4-32", "M"], image_size=32)
    with pytest.raises(ConfigError, match="cannot read"):
        vgg([64, "5x3-32", "M"], image_size=32)


def test_shallow_rows_block_by_block():
    t = V.shallow_rows()
    b, s = t[t["config"] == "B"], t[t["config"] == V.SHALLOW]
    assert b["rf at pool"].tolist() == s["rf at pool"].tolist()
    assert b["conv params"].sum() == 9_404_992 and s["conv params"].sum() == 10_860_672
    assert b["ReLUs"].sum() == 10 and s["ReLUs"].sum() == 5


# ------------------------------------------------------------------------------------------- claims
def test_architecture_table_matches_table_1_and_2():
    t = V.architecture_table()
    assert list(t.index) == ["A", "A-LRN", "B", "C", "D", "E", "B-5x5"]
    assert t["weight layers"].tolist() == [11, 11, 13, 16, 16, 19, 8]
    assert (t["weight layers"] == t["paper layers"]).all()
    assert t.loc["D", "params"] == 138_357_544 and t.loc["E", "params"] == 143_667_240
    assert (t["final map"] == "7x7x512").all()
    assert t.loc["D", "shorthand"] == "64 (x2) - 128 (x2) - 256 (x3) - 512 (x3) - 512 (x3)"
    assert 0.74 < t.loc["D", "fc1 share"] < 0.75  # 102,764,544 / 138,357,544
    assert pd.isna(t.loc["B-5x5", "paper params (M)"])


def test_claims_all_match_or_round():
    table = V.claims()
    assert list(table.columns) == ["claim", "paper", "ours", "verdict", "note"]
    assert len(table) == 19 and set(table["verdict"]) <= {"matches", "rounding"}
    row = table[table["claim"].str.contains("more weights")].iloc[0]
    assert row["verdict"] == "rounding" and row["ours"] == "81.5"
    d = table[table["claim"] == "Table 2: parameters of D"].iloc[0]
    assert (d["paper"], d["ours"]) == ("138 million", "138,357,544")


def test_fc_share_and_weight_layers():
    t = layer_table(V.build_meta("A"), 224)
    share = param_shares(t)["share"]
    assert weight_depth(t) == 11
    assert abs(share.sum() - 1) < 1e-9 and list(share.index) == ["conv", "fc1", "fc2", "fc3"]
    assert share["fc1"] == pytest.approx((25088 * 4096 + 4096) / 132_863_336)


@pytest.mark.parametrize("depth,kernel", [(1, 3), (2, 3), (3, 3), (2, 5), (4, 3)])
def test_receptive_field_formula_agrees_with_built_modules(depth, kernel):
    rf = V.stack_receptive_field(depth, kernel)
    size = 2 * rf + 3
    block = V.conv_stack(depth, kernel, 2)
    assert empirical_receptive_field(block, (2, size, size)) == rf
    assert int(layer_table(block, (2, size, size))["rf"].iloc[-1]) == rf


def test_stack_comparison_counts_sect_2_3():
    t = V.stack_comparison(3, 3, 16)
    assert t.loc["stack", "weights"] == 27 * 16 ** 2 and t.loc["single", "weights"] == 49 * 16 ** 2
    assert t.loc["stack", "non-linearities"] == 3 and t.loc["single", "non-linearities"] == 1
    assert (t["rf (gradient)"] == 7).all() and (t["rf (layer table)"] == 7).all()
    two = V.stack_comparison(2, 3, 8, measure=False)
    assert two.loc["stack", "weights / C^2"] == 18 and two.loc["single", "weights / C^2"] == 25
    assert "rf (gradient)" not in two.columns
    assert V.stack_sentence(two) == ("same 5x5 field: the stack has 1,152 weights and 2 ReLUs; one 5x5 conv has "
                                     "1,600 weights (+39%) and 1 ReLU")
    with pytest.raises(Exception, match="even"):
        V.conv_stack(2, 4, 8)


def test_one_by_one_convs_keep_the_receptive_field():
    t = V.one_by_one_rows()
    assert t["name"].tolist() == ["conv3_2", "conv3_3", "conv4_2", "conv4_3", "conv5_2", "conv5_3"]
    ones = t[t["kernel"] == 1]
    assert len(ones) == 3
    assert (t["rf"].iloc[0::2].to_numpy() == t["rf"].iloc[1::2].to_numpy()).all()
    assert ones["params"].tolist() == [256 * 256 + 256, 512 * 512 + 512, 512 * 512 + 512]


def test_torchinfo_agrees_with_the_layer_table():
    text, totals = V.torchinfo_check("D")
    assert totals == {"torchinfo": 138_357_544, "ours": 138_357_544, "agree": True}
    assert "Total params: 138,357,544" in text and "Conv2d" in text


def test_training_numbers_init_crops_cost_memory():
    assert V.init_std() == pytest.approx(0.1)  # N(0, 10^-2): 10^-2 is the variance
    cov = V.crop_coverage(224, (256, 384, 512))
    assert cov["side covered"].tolist() == pytest.approx([0.875, 224 / 384, 0.4375])
    assert cov.loc[512, "area covered"] == pytest.approx(0.4375 ** 2)
    with pytest.raises(Exception, match="smaller than"):
        V.crop_coverage(224, (200,))
    t = layer_table(V.build_meta("D"), 224)
    mem = V.activation_memory(t)
    conv_fc = int(t[t["kind"].isin(["conv", "fc"])]["neurons"].sum())
    pools = 802_816 + 401_408 + 200_704 + 100_352 + 25_088
    assert mem["values"] == 150_528 + conv_fc + pools
    assert mem["train_MB"] == pytest.approx(2 * mem["values"] * 4 / 2 ** 20)
    cost = V.training_cost(10 ** 9, images_per_epoch=1000, epochs=2)
    assert cost["training PetaMACs"] == pytest.approx(6e12 / 1e15)
    assert cost["implied utilisation (2 weeks)"] == pytest.approx(cost["days at 4x Titan Black peak"] / 14)


def test_torchvision_table_and_the_gaps_per_metric():
    tv = V.torchvision_reported()
    assert list(tv.index) == ["A", "B", "D", "E"]
    assert tv.loc["D", "tv top1_error"] == pytest.approx(100 - 71.592, abs=0.01)
    assert tv.loc["D", "top1 gap"] == pytest.approx(tv.loc["D", "tv top1_error"] - 27.0)
    text = V.gap_sentence(tv)
    assert f"top-1 error {tv['top1 gap'].min():+.2f} to {tv['top1 gap'].max():+.2f}" in text
    assert f"top-5 error {tv['top5 gap'].min():+.2f} to {tv['top5 gap'].max():+.2f}" in text
    assert tv["top5 gap"].max() < 1.0 < tv["top1 gap"].max()  # "0.3-1.4 points" holds for top-1 only


# ------------------------------------------------------------------------------------------- explorer
def test_explorer_logic_from_python():
    e = V.explorer()
    assert e.state.error is None and e.state.totals["params"] == 138_357_544
    s = e.update(config="E")
    assert e.values["b3_convs"] == 4 and s.totals["params"] == 143_667_240
    s = e.update(config="A-LRN")
    assert e.values["b1_convs"] == 1 and "lrn" in set(s.table["kind"])
    s = e.update(b1_convs=2)  # editing a block leaves Table 1
    assert e.values["config"] == V.CUSTOM and s.totals["params"] == 132_863_336 + 64 * 64 * 9 + 64
    assert "lrn" not in set(s.table["kind"])
    s = e.update(image_size=16)
    assert s.error and "pool5" in s.error and s.table is None and e.figure() is None
    s = e.update(image_size=96, fc_width=64, b5_width=8)
    assert s.error is None and s.table.iloc[-1]["output"] == "1x1x1000"
    s = e.update(config="B-5x5", image_size=224, fc_width=4096)
    assert s.totals["params"] == 134_503_528 and e.values["b1_convs"] == 1
    with pytest.raises(KeyError):
        e.update(nonsense=1)
    lines = V.explorer_lines([dict(config="A"), dict(image_size=16)])
    assert "config=A" in lines[0] and "132,863,336" in lines[0] and "Impossible setting: pool5" in lines[1]


def test_config_blocks_and_round_trip():
    assert V.config_blocks("C")["b3_convs"] == 3 and V.config_blocks("C")["b3_width"] == 256
    assert V.config_blocks("B-5x5")["b4_convs"] == 1 and V.config_blocks("B-5x5")["b4_width"] == 512
    assert V.blocks_to_config(V.config_blocks("D")) == [64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
                                                        512, 512, 512, "M", 512, 512, 512, "M"]
    with pytest.raises(Exception, match="unknown VGG configuration"):
        V.config_blocks("F")


def test_explorer_widget_draws_live_and_follows_the_config():
    pytest.importorskip("ipywidgets")  # the notebook extra, not the project
    e = V.explorer()
    box = e.widget()
    png = lambda: e.plot_output.outputs[0]["data"]["image/png"]
    first = png()
    assert all(w.style.description_width == "initial" for w in e.inputs.values())
    assert e.inputs["b2_convs"].description == "block 2: 3x3 convs"
    e.inputs["config"].value = "E"  # the sliders follow the picked column, the plot is redrawn
    assert e.inputs["b3_convs"].value == 4 and e.values["config"] == "E" and png() != first
    assert "143,667,240" in e.totals_widget.value
    e.inputs["b1_convs"].value = 3  # editing a block leaves Table 1
    assert e.inputs["config"].value == V.CUSTOM and e.state.error is None
    e.inputs["image_size"].value = 16  # impossible: the ConfigError text, no plot
    assert "pool5" in e.totals_widget.value and e.plot_output.outputs == ()
    assert len(box.children) == 5


# ------------------------------------------------------------------------------------------- exercises
def test_answer_passes_the_checker_and_shorthand_parses():
    assert V.parse_shorthand(V.SHORTHAND_D) == [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]
    assert V.parse_shorthand("64 - 128") == [(64, 1), (128, 1)]
    with pytest.raises(Exception, match="cannot read"):
        V.parse_shorthand("64 x2 - 128")
    with torch.device("meta"):
        mine, ref = V.exercise_answer(), V.exercise_reference()
        wrong = V.VGG16Answer(blocks="64 (x2) - 128 (x2) - 256 (x2) - 512 (x3) - 512 (x3)")
    assert check_model(mine, ref).ok
    bad = check_model(wrong, ref)
    assert not bad.ok and "conv3_3" in bad.message


def test_answer_state_dict_loads_into_ours():
    a = V.exercise_answer(num_classes=10, image_size=32)
    ours = vgg("D", num_classes=10, image_size=32)
    ours.load_state_dict(a.state_dict())  # same module layout as torchvision / reviewlib
    x = torch.randn(1, 3, 32, 32)
    assert torch.allclose(ours.eval()(x), a.eval()(x))


def test_end_of_chapter_questions_and_checkers():
    assert 4 <= len(V.QUESTIONS) <= 6
    assert V.check(3, VGG_TABLE["C"]).ok
    bad = V.check(3, VGG_TABLE["D"])
    assert not bad.ok and "conv3_3" in bad.message
    assert V.check(6, warm_start_vgg).ok
    wrong = V.check(6, lambda target, source: None)
    assert not wrong.ok and "should be copied from A" in wrong.message
    with pytest.raises(KeyError):
        V.check(1, 0)
    assert "25 C^2, 38.9% more" in str(V.reveal(1))
    assert "9,404,992" in str(V.reveal(2)) and "10,860,672" in str(V.reveal(2))
    assert "Q = 352" in str(V.reveal(4)) and V.score_map_side("D", 352) == 5 and V.score_map_side("D", 351) == 4
    assert "58.3% of the short side" in str(V.reveal(5))
    for q in V.QUESTIONS:
        assert str(V.reveal(q)).startswith(f"**Answer {q}.**")


# ------------------------------------------------------------------------------------------- plan
def test_plan_tables_have_every_budget_and_run():
    for table in (RUNS, RECORDED):
        assert set(table) == set(BUDGETS)
        for runs in table.values():
            assert set(runs) == {"main", "ablations"} and runs["main"]["model"] == "vgg_A"
    assert set(SAVE_FIGURES) == set(BUDGETS) and not SAVE_FIGURES["smoke"] and SAVE_FIGURES["study"]
    assert RUNS["study"]["main"]["epochs"] <= RECORDED["study"]["main"]["epochs"] and "batches" not in RUNS["study"]["main"]
    assert len(RUNS["study"]["ablations"]["seeds"]) >= 3
    assert RECORDED["study"]["ablations"]["epochs"] > RUNS["study"]["ablations"]["epochs"]


def test_plan_and_recorded_build_runs(smoke):
    assert set(smoke.runs) == {"main", "ablations"}
    main, abl = smoke.runs["main"], smoke.runs["ablations"]
    assert (main.model, main.image_size, main.epochs, main.batches) == ("vgg_A", 64, 1, 2)
    assert (abl.image_size, abl.resize, abl.recipe.lr) == (32, 37, ABLATION["lr"])
    rec = V.recorded(smoke)
    assert rec.runs["main"].seeds == RECORDED["smoke"]["main"]["seeds"]
    assert not V.save_figures(smoke)


# ------------------------------------------------------------------------------------------- experiments
def test_ablation_variants_build_and_differ_as_intended():
    v = V.ablation_variants(resize=37)
    assert list(v)[:3] == ["A", "A-LRN", "A, fixed S"] and len(v) == 11
    assert v["A, fixed S"].augment == {"s_min": 37, "s_max": 37}
    warm = [k for k, x in v.items() if x.warm_from]
    assert warm == ["B (from A)", "D (from A)", "E (from A)", "C (from A)", "B-5x5 (from A)"]
    assert all(v[k].warm_from == "A" for k in warm)
    nets = {k: build_model(x.model or "vgg_A", num_classes=10, width=0.125, image_size=32) for k, x in v.items()}
    convs = {k: [m for m in n.modules() if isinstance(m, nn.Conv2d)] for k, n in nets.items()}
    assert [len(convs[k]) for k in ("A", "B", "C (from A)", "D", "E", "B-5x5 (from A)")] == [8, 10, 13, 13, 16, 5]
    assert count_params(nets["A-LRN"]) == count_params(nets["A"])
    assert any(type(m).__name__ == "LocalResponseNorm" for m in nets["A-LRN"].modules())
    assert {c.kernel_size for c in convs["B-5x5 (from A)"]} == {(5, 5)}
    copied = warm_start_vgg(nets["B-5x5 (from A)"], nets["A"])  # only the FC layers fit a 5x5 net
    assert copied == ["classifier.0", "classifier.3", "classifier.6"]
    for group, rows in V.COMPARISONS.items():
        for arm, base, sign, paper in rows:
            assert arm in v and base in v and sign in (-1, 0, 1) and paper


def test_expected_minutes_has_the_main_run_and_every_arm(smoke):
    cost = V.expected_minutes(smoke)
    assert list(cost.index) == ["main"] + [f"ablations: {k}" for k in V.ablation_variants()]
    assert (cost["minutes"] >= 0).all() and set(V.PLAN_LEGEND) >= set(cost.columns)
    assert cost.loc["ablations: E (from A)", "model"] == "vgg_E" and cost.loc["main", "input"] == 64


def test_main_run_end_to_end(smoke):
    main = V.main_run(smoke, progress=False)
    h = main.trained[0].history
    assert len(h) == 1 and {"train_loss", "val_acc1", "val_acc5"} <= set(h)
    model = main.trained[0].model
    before = V.untrained(smoke, smoke.runs["main"])
    assert not torch.equal(V.first_layer(before), V.first_layer(model))
    assert V.first_layer(model).shape == (8, 3, 3, 3)  # width 1/8 of 64
    text = V.history_sentence(h)
    assert f"{h['val_acc1'].iloc[-1]:.1f}%" in text and "recorded run" not in text
    assert "recorded run (2 seeds" in V.history_sentence(h, pd.concat([h.assign(seed=0), h.assign(seed=1)]))


def test_ablations_end_to_end(ablated, smoke):
    run = smoke.runs["ablations"]
    assert [t.variant for t in ablated.trained[:11]] == list(V.ablation_variants())
    assert len(ablated.trained) == 11 * len(run.seeds) and len(ablated.models("A")) == len(run.seeds)
    table = V.comparison_table(ablated)
    assert len(table) == sum(len(r) for r in V.COMPARISONS.values())
    scores = ablated.scores()
    row = table[(table["group"] == "1x1 vs 3x3 convs")].iloc[0]
    assert row["mean"] == pytest.approx(sum(scores["C (from A)"]) / len(run.seeds))
    assert row["baseline mean"] == pytest.approx(sum(scores["D (from A)"]) / len(run.seeds))
    assert row["diff"] == pytest.approx(row["mean"] - row["baseline mean"])
    shown = V.format_comparisons(table)
    assert list(shown.index.unique()) == list(V.COMPARISONS) and set(V.COMPARISON_LEGEND) == set(shown.columns)
    text = V.comparison_sentences(table, ["LRN"])
    assert text.count("\n") == 0 and "**A-LRN** vs **A**" in text


def test_protocols_and_fusion_end_to_end(ablated, smoke):
    run = smoke.runs["ablations"]
    images = V.validation_images(smoke, run)
    assert len(images) == 40 and images[0][0].dtype == torch.uint8
    p = V.protocol_table(ablated.models("A"), images, image_size=run.image_size, device="cpu",
                         max_images=run.eval_images)
    assert list(p.index) == ["centre crop", "dense, single scale", "dense, three scales", "multi-crop, three scales",
                             "dense + multi-crop, three scales"]
    assert p["crops"].tolist() == [1, 2, 6, 150, 156] and (p["nets"] == len(run.seeds)).all()
    model = ablated.models("A")[0]
    ref = evaluate(model, images, protocol="center", image_size=run.image_size, device="cpu",
                   max_images=run.eval_images, progress=False)
    errors = [100 * topk_errors(*protocol_predictions(
        m, images, image_size=run.image_size, device="cpu", max_images=run.eval_images)["centre crop"][:2])["top1"]
        for m in ablated.models("A")]
    assert errors[0] == pytest.approx(100 * ref["top1_error"])
    assert p.loc["centre crop", "top1_error"] == pytest.approx(sum(errors) / len(errors))
    fusion = V.fusion_table(ablated, smoke, run)
    assert list(fusion.columns) == ["D (from A)", "E (from A)", "fused", "gain"]
    assert list(fusion.index) == list(run.seeds) + ["mean", "sd"]
    first = fusion.iloc[0]
    assert first["gain"] == pytest.approx(min(first["D (from A)"], first["E (from A)"]) - first["fused"])


def test_centre_probs_equal_evaluate(ablated, smoke):
    run = smoke.runs["ablations"]
    model = ablated.models("A")[0]
    (probs,), labels = centre_probs([model], smoke, run)
    assert probs.shape == (40, 10) and torch.allclose(probs.sum(1), torch.ones(40), atol=1e-5)
    ref = evaluate(model, V.validation_images(smoke, run), protocol="center", image_size=run.image_size,
                   device="cpu", progress=False)
    assert 100 * topk_errors(probs, labels)["top1"] == pytest.approx(100 * ref["top1_error"], abs=1e-6)


def test_recorded_results_round_trip(ablated, tmp_path):
    record.save(ablated, "vgg", "ablations", folder=tmp_path)
    back = record.load("vgg", "ablations", folder=tmp_path)
    assert isinstance(back, Results)
    pd.testing.assert_frame_equal(V.comparison_table(back), V.comparison_table(ablated))
    assert V.EXPERIMENTS == {"main": V.main_run, "ablations": V.ablations}


# ------------------------------------------------------------------------------------------- dense evaluation
def test_to_dense_equals_our_vgg_at_the_training_size():
    torch.manual_seed(0)
    model = vgg("A", num_classes=7, width=1 / 16, image_size=64).eval()
    x = torch.randn(2, 3, 64, 64)
    dense = to_dense(model, 64)
    assert dense.kernel_size == 2 and dense.classifier[0].kernel_size == (2, 2)
    assert to_dense(V.build_meta("D"), 224).classifier[0].kernel_size == (7, 7)
    scores = dense(x)
    assert scores.shape == (2, 7, 1, 1)
    assert torch.allclose(scores.flatten(1), model(x), atol=1e-5)
    assert torch.allclose(dense_predict(dense, x, flips=False), model(x).softmax(1), atol=1e-5)
    assert dense(torch.randn(1, 3, 128, 128)).shape == (1, 7, 3, 3)  # bigger image: a score map


def test_score_maps_and_test_scales():
    torch.manual_seed(0)
    model = vgg("A", num_classes=3, width=1 / 16, image_size=32).eval()
    img = torch.randint(0, 255, (3, 40, 48), dtype=torch.uint8)
    maps = V.score_maps(model, img, (37, 73), image_size=32)
    assert [tuple(m.shape) for m in maps] == [(3, 1, 1), (3, 2, 2)]
    assert torch.allclose(maps[1].sum(0), torch.ones(2, 2))
    fig = V.score_map_figure(model, img, (37, 73), image_size=32, class_names=["a", "b", "c"])
    assert "Q=73: 2x2 score map" in fig.axes[2].get_title()
    assert V.test_scales(224) == {"single": (384,), "multi": (256, 384, 512)}
    assert V.test_scales(32) == {"single": (55,), "multi": (37, 55, 73)}


# ------------------------------------------------------------------------------------------- figures
def test_config_chart_has_a_box_per_layer(tmp_path):
    fig = V.config_chart()
    assert len(fig.axes[0].patches) == sum(len(VGG_TABLE[c]) + 3 for c in V.CONFIGS)
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert {"conv5-64", "conv1-256", "conv3-64", "LRN"} <= labels
    V.config_chart(["A", "E"], save=tmp_path / "chart.png")
    assert (tmp_path / "chart.png").stat().st_size > 0


def test_ablation_plot_bars_are_the_table(ablated):
    table = V.comparison_table(ablated)
    fig = V.ablation_plot(table)
    left, right = fig.axes[0], fig.axes[1]
    nets = {}
    for _, r in table.iterrows():
        nets[r["baseline"]], nets[r["arm"]] = r["baseline mean"], r["mean"]
    assert len(nets) == 11
    assert [p.get_width() for p in left.patches] == pytest.approx([nets[n] for n in list(nets)[::-1]])
    assert [p.get_width() for p in right.patches] == pytest.approx(list(table["diff"])[::-1])


def test_depth_plot_draws_ours_and_the_paper():
    scores = {"A": (50.0, 1.0, 3), "B": (40.0, 2.0, 3), "D": (41.0, 1.0, 3), "E": (20.0, 3.0, 3),
              "B (from A)": (48.0, 1.0, 3), "D (from A)": (45.0, 1.0, 3), "E (from A)": (42.0, 1.0, 3)}
    fig = V.depth_plot(scores, {c: V.TABLE3.loc[c, "top1_error"] for c in "ABDE"})
    ours = fig.axes[0]
    data = [list(c.lines[0].get_ydata()) for c in ours.containers]  # the data line of each errorbar
    assert data == [[50.0, 40.0, 41.0, 20.0], [50.0, 48.0, 45.0, 42.0]]
    assert list(fig.axes[1].lines[0].get_ydata()) == pytest.approx([70.4, 71.3, 73.0, 72.7])


def test_protocol_plot_bars_are_the_errors():
    t = pd.DataFrame({"crops": [1, 2], "nets": [3, 3], "top1_error": [40.0, 35.0], "top1 sd": [1.0, 2.0],
                      "top5_error": [5.0, 4.0], "top5 sd": [0.5, 0.5]}, index=["centre crop", "dense"])
    fig = V.protocol_plot(t)
    assert [p.get_width() for p in fig.axes[0].patches] == [35.0, 40.0]


def test_curves_figure_draws_the_recorded_run():
    h = pd.DataFrame({"epoch": [1, 2], "train_loss": [2.0, 1.5], "val_loss": [2.1, 1.7], "train_acc1": [20, 30],
                      "val_acc1": [25.0, 35.0]})
    fig = V.curves_figure(h)
    assert [line.get_label() for line in fig.axes[1].lines] == ["this run: training top-1",
                                                               "this run: validation top-1"]
    rec = pd.concat([h.assign(seed=0), h.assign(seed=1, val_acc1=[27.0, 39.0])])
    fig = V.curves_figure(h, rec)
    first = fig.axes[1].lines[0]
    assert first.get_label() == "recorded run (mean of seeds)" and list(first.get_ydata()) == [26.0, 37.0]


def test_augmentation_figure_crops_and_coverage():
    img = torch.randint(0, 255, (3, 128, 128), dtype=torch.uint8)
    fig = V.augmentation_figure(img, {"fixed": (64, 64), "jittered": (64, 128)}, crop=56, n=3)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[1:4] == ["S=64: crop covers 88%"] * 3
    sizes = [int(t.split(":")[0][2:]) for t in titles[5:8]]
    assert all(64 <= s <= 128 for s in sizes)
    assert fig.axes[1].images[0].get_array().shape[:2] == (56, 56)


def test_filters_figure_tiles_and_norms():
    torch.manual_seed(0)
    before, after = torch.randn(8, 3, 3, 3), torch.randn(8, 3, 3, 3) * 2
    fig = V.filters_figure(after, before)
    assert sum(len(ax.images) for ax in fig.axes) == 16
    assert f"mean norm {float(before.flatten(1).norm(dim=1).mean()):.2f}" in fig.axes[0].get_ylabel()


def test_sample_photo_is_a_square_when_present():
    photo = V.sample_photo("goldfish", side=96)
    if photo is None:
        pytest.skip("../shared/data/imagenet-samples not present")
    image, name = photo
    assert image.shape == (3, 96, 96) and image.dtype == torch.uint8 and "goldfish" in name
