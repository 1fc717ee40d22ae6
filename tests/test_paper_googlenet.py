"""reviewlib.papers.googlenet: the GoogLeNet review (module cost, explorer, Table 1, claims, exercises, plan,
experiments, figures) and the naive option of reviewlib.nets.googlenet, with real values."""
import math

import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from reviewlib.budget import BUDGETS
from reviewlib.errors import ConfigError
from reviewlib.experiments import Results, record
from reviewlib.nets import GoogLeNet, build_model, count_params, googlenet, googlenet_specs
from reviewlib.nets.arch import trace
from reviewlib.nets.layers import GoogLeNetOutputs, Inception, NaiveInception
from reviewlib.papers import googlenet as G
from reviewlib.papers.googlenet.explorer import BRANCHES
from reviewlib.papers.googlenet.plan import RECORDED, RUNS, SAVE_FIGURES
from reviewlib.review.checker import check_model
from reviewlib.review.tables import layer_table, macs_total, weight_depth
from reviewlib.study import Study


@pytest.fixture(scope="module")
def smoke(data):
    return Study.for_paper("googlenet", "smoke", data=data, device="cpu")


@pytest.fixture(scope="module")
def costs(smoke):
    return G.step_costs(smoke, smoke.runs["ablations"])


@pytest.fixture(scope="module")
def ablated(smoke, costs):
    return G.ablations(smoke, progress=False, costs=costs)


# ------------------------------------------------------------------------------------------- the naive option
def test_naive_googlenet_grows_its_depth_module_by_module():
    with torch.device("meta"):
        m = googlenet("paper", naive=True, aux_logits=False)
    assert m.naive and all(isinstance(getattr(m, f"inception{s}"), NaiveInception) for s in
                           ("3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"))
    t = layer_table(m, 224).set_index("name")
    assert t.loc["inception3a", "output"] == "28x28x416"  # 64 + 128 + 32 + the 192 input maps
    assert t.loc["inception3b", "out_c"] == 128 + 192 + 96 + 416
    assert t.loc["inception5b", "out_c"] == 4944 and m.fc.in_features == 4944
    assert weight_depth(t.reset_index()) == 22
    reduced = googlenet("paper", aux_logits=False)
    assert count_params(m) > 13 * count_params(reduced)


def test_naive_specs_trace_and_the_paper_net_is_unchanged():
    specs = googlenet_specs("paper", naive=True, width=0.5)
    shapes = {t.spec.name: t.out_shape for t in trace(specs, (3, 224, 224))}
    assert shapes["inception3a"][0] == 32 + 64 + 16 + 96
    assert [type(s).__name__ for s in specs].count("NaiveSpec") == 9
    assert not googlenet("paper", aux_logits=False).naive
    with pytest.raises(ConfigError, match="naive module"):
        googlenet("torchvision", naive=True)


def test_naive_googlenet_trains_with_aux_heads():
    m = build_model("googlenet_paper", num_classes=5, width=0.125, image_size=64, naive=True, aux_pool="adaptive")
    out = m.train()(torch.randn(2, 3, 64, 64))
    assert isinstance(out, GoogLeNetOutputs) and [o.shape for o in out] == [(2, 5)] * 3
    sum(o.sum() for o in out).backward()
    assert all(p.grad is not None for p in m.parameters())
    assert m.aux1.conv.conv.in_channels == m.inception4a.out_channels


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
    assert G.inception_cost(192, 28, 64, 96, 128, 16, 32, 32, bias=False) == {
        "params": 163_328, "macs": 163_328 * 784, "out_channels": 256}


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
    assert set(G.NAIVE_LEGEND) == set(t.columns)


# ------------------------------------------------------------------------------------------- explorer
def test_explorer_has_a_row_per_branch_and_reduction():
    ex = G.explorer("inception3a")
    t = ex.state.table
    assert list(t["name"]) == ["#1x1", "#3x3 reduce", "#3x3", "#5x5 reduce", "#5x5", "pool", "pool proj"]
    assert list(t["kernel"]) == [1, 1, 3, 1, 5, 3, 1]
    assert list(t["out_c"]) == [64, 96, 128, 16, 32, 192, 32]
    assert list(t["rf"]) == [1, 3, 3, 5, 5, 3, 3]  # each branch's own receptive field, not a chain
    assert G.readout(ex.state) == {"params": 163_696, "macs": 128_049_152, "out_depth": 256}
    assert "output 28x28x256" in ex.state.summary
    naive = ex.update(design="naive")
    assert list(naive.table["name"]) == ["#1x1", "#3x3", "#5x5", "pool (all input maps)"]
    assert G.readout(naive)["out_depth"] == 64 + 128 + 32 + 192


def test_branch_costs_shares_and_the_naive_lesson():
    ex = G.explorer("inception3a")
    red = G.branch_costs(ex.state)
    assert red["params share"].sum() == pytest.approx(1) and red["MACs share"].sum() == pytest.approx(1)
    assert red.loc["5x5", "params"] == 16 * 192 + 16 + 16 * 25 * 32 + 32
    assert red.loc["pool", "out depth"] == 32
    naive = G.branch_costs(ex.update(design="naive"))
    assert naive.loc["5x5", "params share"] > 3 * red.loc["5x5", "params share"]
    assert naive.loc["pool", "params"] == 0 and naive.loc["pool", "out depth"] == 192


def test_explorer_impossible_settings_give_the_error_text():
    ex = G.explorer("inception4a")
    bad = ex.update(c3x3red=0)
    assert bad.table is None and "#3x3 reduce needs at least 1 channel" in bad.error
    assert bad.summary.startswith("Impossible setting: ") and "error" in G.readout(bad)
    assert ex.figure() is None
    with pytest.raises(KeyError):
        ex.update(nonsense=1)
    with pytest.raises(ConfigError):
        G.explorer("inception9z")


def test_explorer_map_size_scales_macs_not_params():
    ex = G.explorer("inception4a")
    a = G.readout(ex.state)
    b = G.readout(ex.update(map_size=28))
    assert a["params"] == b["params"] and b["macs"] == 4 * a["macs"]


def test_branches_figure_bars_are_the_shares():
    ex = G.explorer("inception3a")
    fig = ex.figure()
    bars = fig.subfigs[1].axes[0]
    widths = [p.get_width() for p in bars.patches]  # per branch: (parameters, multiply-adds)
    shares = G.branch_costs(ex.state)
    expected = [v for b in BRANCHES for v in shares.loc[b, ["params share", "MACs share"]]]
    assert widths == pytest.approx(expected)
    texts = " ".join(t.get_text() for t in fig.subfigs[0].axes[0].texts)
    assert "#5x5 reduce" in texts and "concatenation: 28x28x256" in texts


def test_explorer_widget_moves_and_redraws():
    pytest.importorskip("ipywidgets")  # the notebook extra, not the project
    ex = G.explorer("inception3a")
    box = ex.widget()
    assert box is not None and ex.inputs["c5x5red"].description == "#5x5 reduce"
    before = ex.totals_widget.value
    ex.inputs["c5x5red"].value = 64
    assert ex.totals_widget.value != before and "output 28x28x256" in ex.totals_widget.value
    ex.inputs["c5x5red"].value = 0
    assert "needs at least 1 channel" in ex.totals_widget.value


# ------------------------------------------------------------------------------------------- Table 1, claims
def test_table1_reproduction_rows_and_flags():
    t1 = G.table1_reproduction()
    assert len(t1) == len(G.PAPER_TABLE1) == 19
    assert (t1["paper output"] == t1["our output"]).all()
    assert (t1["paper depth"] == t1["our depth"]).all() and t1["our depth"].sum() == 22
    conv3 = t1.iloc[2]
    assert conv3["our layers"] == "conv2+conv3" and conv3["our weights"] == 64 * 64 + 64 * 9 * 192 == 112 * 1024
    assert t1.loc[t1.row == "linear", "our weights"].item() == 1000 * 1024
    assert list(t1.loc[t1.flag == "FLAG", "row"]) == ["convolution", "inception (4c)", "inception (5a)"]
    assert "separable" in t1.iloc[0]["note"]
    ok = t1.drop(index=[0]).loc[lambda t: t["paper ops"].notna() & ~t.row.isin(["inception (5a)", "linear"])]
    assert (ok["MACs d%"].abs() < 1).all() and len(ok) == 9
    # the numbers the notebook's prose quotes
    by = t1.set_index("row")
    assert round(by.loc["inception (4c)", "params d% (K=1024)"], 1) == 7.5
    assert round(by.loc["inception (5a)", "our weights"] / 1024) == 1018
    assert round(by.loc["inception (5a)", "our MACs"] / 1e6, 1) == 51.1
    assert 1.5 <= round(by.loc["inception (4d)", "params d% (K=1024)"], 1) <= 1.8
    assert 1.5 <= round(by.loc["inception (5b)", "params d% (K=1024)"], 1) <= 1.8
    formatted = G.format_table1(t1)
    assert list(formatted.columns) == list(G.TABLE1_LEGEND)  # every column explained
    assert "FLAG" in formatted.to_string() and "112.0K" in formatted.to_string()


def test_table1_reproduction_rejects_other_models():
    import torchvision

    with torch.device("meta"):
        m = torchvision.models.alexnet()
    with pytest.raises(ConfigError, match="no layer named"):
        G.table1_reproduction(m)


def test_conv1_candidates_only_separable_fits_both():
    c = G.conv1_candidates()
    fit = c[c["fits both (within 2%)"]]
    assert len(fit) == 1 and fit["params"].item() == 7 * 7 * 3 * 8 + 24 * 64 == 2712
    assert c.iloc[0]["params"] == 9408 and c.iloc[0]["MACs"] == 9408 * 112 * 112


def test_weight_depth_22_and_27_for_ours_and_torchvision():
    import torchvision

    with torch.device("meta"):
        ours = googlenet("paper")
        tv = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=False)
    for model in (ours, tv):
        t = layer_table(model, 224)
        assert weight_depth(t) == 22 and weight_depth(t, pooling=True) == 27


def test_claims_cite_sect_1_and_keep_the_paper_column_the_papers():
    c = G.claims().set_index("claim")
    assert c.loc["depth: layers with parameters (Sect. 1, 5)", "verdict"] == "matches"
    fewer = c.loc["times fewer parameters than AlexNet (Sect. 1)"]
    assert (fewer["paper"], fewer["ours"], fewer["verdict"]) == ("12", "8.71", "differs")
    macs = c.loc["multiply-adds per image (Sect. 1)"]
    assert macs["paper"] == "1.5 billion" and macs["verdict"] == "differs"
    assert c.loc["... with conv1 as a depthwise-separable 7x7", "verdict"] == "rounding"
    total = c.loc["Table 1's params column summed (K)"]
    assert total["paper"] == "6,797.7"  # the sum of the paper's own column, in its own K
    assert not any("6.96" in p for p in c["paper"])  # our K=1024 reading is not put in the paper's column
    assert c.loc["aux classifier on 4d: pooled map (Sect. 5)", "ours"] == "4x4x528"
    assert not any("Sect. 5" in name and ("fewer" in name or "multiply-adds" in name) for name in c.index)


def test_head_aux_and_variant_tables():
    h = G.head_comparison()
    assert h["head params"].tolist() == [1024 * 1000 + 1000, 7 * 7 * 1024 * 1000 + 1000]
    assert h["total params"].iloc[1] - h["total params"].iloc[0] == 48 * 1024 * 1000
    a = G.aux_table()
    assert a["after"].tolist() == ["inception4a", "inception4d"]
    assert a["pooled map"].tolist() == ["4x4x512", "4x4x528"]
    assert a["params"].iloc[0] == 512 * 128 + 128 + 2048 * 1024 + 1024 + 1024 * 1000 + 1000
    assert (a["at inference"] == "removed").all() and (a["loss weight"] == 0.3).all()
    v = G.variant_comparison()
    assert v.loc["'5x5' branch kernel", "paper"] == "5x5" and v.loc["'5x5' branch kernel", "torchvision"] == "3x3"
    assert v.loc["params (inference)", "torchvision"] == v.loc["params (inference)",
                                                                "torchvision.models.googlenet"] == 6_624_904


def test_torchinfo_agrees_with_the_layer_table():
    info, totals = G.torchinfo_check()
    assert totals["torchinfo params"] == totals["layer table params"] == 6_998_552 and totals["params agree"]
    assert totals["mult-adds agree"] and totals["bias additions"] > 0
    assert "Total params: 6,998,552" in str(info)


# ------------------------------------------------------------------------------------------- exercises
def _conv(i, o, k):
    return nn.Sequential(nn.Conv2d(i, o, k, padding=k // 2), nn.ReLU())


class HalfInception(nn.Module):
    """A reader's module with two of its four branches written."""

    def __init__(self, i, c1, r3, c3, r5, c5, pp):
        super().__init__()
        self.branch1 = _conv(i, c1, 1)
        self.branch2 = nn.Sequential(_conv(i, r3, 1), _conv(r3, c3, 3))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def test_answers_pass_the_checker():
    assert check_model(G.answer_inception(192, "inception3a"), G.inception_reference(), (192, 28, 28)).ok
    with torch.device("meta"):
        assert check_model(G.exercise_answer(10), G.exercise_reference(10), 224).ok
        assert isinstance(G.exercise_answer(), nn.Module)


def test_checker_names_the_first_missing_layer_of_a_half_written_inception():
    res = check_model(HalfInception(192, 64, 96, 128, 16, 32, 32), G.inception_reference(), (192, 28, 28))
    assert not res.ok and res.message.startswith("Layer 4 (branch3.0): missing in your model")
    assert "AttributeError: 'HalfInception' object has no attribute 'branch3'." in res.message
    wrong = G.AnswerInception(192, 64, 96, 128, 24, 32, 32)
    res = check_model(wrong, G.inception_reference(), (192, 28, 28))
    assert not res.ok and "(branch3.0)" in res.message and "28x28x24 instead of 28x28x16" in res.message


def test_checker_names_the_first_missing_layer_of_a_half_written_googlenet():
    def half(num_classes=10):
        pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
        return nn.Sequential(_conv_s(3, 64, 7, 2), pool(), _conv(64, 64, 1), _conv(64, 192, 3), pool(),
                             HalfInception(192, 64, 96, 128, 16, 32, 32), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                             nn.Linear(1024, num_classes))

    with torch.device("meta"):
        res = check_model(half(), G.exercise_reference(10), 224)
        empty = check_model(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, 10)),
                            G.exercise_reference(10), 224)
    assert res.message.startswith("Layer 9 (inception3a.branch3.0): missing in your model")
    assert res.message.endswith("object has no attribute 'branch3'.")
    assert empty.message.startswith("First difference at layer 1 (conv1)")
    assert "[1, 3] X [1024, 10]" in empty.message  # the whole error, not cut


def _conv_s(i, o, k, s):
    return nn.Sequential(nn.Conv2d(i, o, k, stride=s, padding=k // 2), nn.ReLU())


def test_end_of_chapter_code_questions_have_checkable_answers():
    class Naive(nn.Module):
        def __init__(self):
            super().__init__()
            self.branch1, self.branch2, self.branch3 = _conv(192, 64, 1), _conv(192, 128, 3), _conv(192, 32, 5)
            self.branch4 = nn.MaxPool2d(3, 1, 1)

        def forward(self, x):
            return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)

    class Aux(nn.Module):
        def __init__(self):
            super().__init__()
            self.pool, self.conv = nn.AvgPool2d(5, 3), _conv(512, 128, 1)
            self.fc1, self.dropout, self.fc2 = nn.Linear(2048, 1024), nn.Dropout(0.7), nn.Linear(1024, 1000)

        def forward(self, x):
            x = torch.flatten(self.conv(self.pool(x)), 1)
            return self.fc2(self.dropout(torch.relu(self.fc1(x))))

    assert check_model(Naive(), G.naive_reference(), (192, 28, 28)).ok
    assert check_model(Aux(), G.aux_reference(), (512, 14, 14)).ok
    assert len(G.QUESTIONS) in range(4, 7)


def test_reveal_computes_the_answers():
    assert f"{528 * 32 * 196 + 32 * 25 * 128 * 196:,}" in str(G.reveal(1))
    assert f"{528 * 25 * 128 * 196:,}" in str(G.reveal(1))
    assert G.smallest_input_for_aux() == 79 and "**4**" in str(G.reveal(3)) and "**79**" in str(G.reveal(3))
    assert "50,177,000" in str(G.reveal(5)) and "8.4 times" in str(G.reveal(5))  # as 1.5 says
    assert "**1,008**" in str(G.reveal(6)) and "100,800,000" in str(G.reveal(6))
    with pytest.raises(KeyError):
        G.reveal(9)


# ------------------------------------------------------------------------------------------- plan
def test_plan_tables_have_every_budget_and_run():
    for table in (RUNS, RECORDED):
        assert set(table) == set(BUDGETS)
        for runs in table.values():
            assert set(runs) == {"main", "ablations"} and runs["main"]["model"] == "googlenet_paper"
    assert set(SAVE_FIGURES) == set(BUDGETS) and not SAVE_FIGURES["smoke"] and SAVE_FIGURES["study"]
    study_runs = RUNS["study"]
    assert study_runs["main"]["epochs"] >= 10 and len(study_runs["ablations"]["seeds"]) >= 3
    assert len(RECORDED["study"]["ablations"]["seeds"]) > len(study_runs["ablations"]["seeds"])


def test_plan_and_recorded_build_runs(smoke):
    assert set(smoke.runs) == {"main", "ablations"}
    main = smoke.runs["main"]
    assert (main.model, main.image_size, main.epochs, main.batches) == ("googlenet_paper", 96, 1, 2)
    assert main.recipe.aux_weight == 0.3 and main.recipe.ema_decay is not None
    rec = G.recorded(smoke)
    assert rec.runs["main"].epochs == RECORDED["smoke"]["main"]["epochs"]
    assert not G.save_figures(smoke)


# ------------------------------------------------------------------------------------------- experiments
def test_ablation_variants_build_and_differ_as_intended():
    v = G.ablation_variants()
    assert list(v) == [G.BASE, G.NO_AUX, G.FC_HEAD, G.NAIVE]
    assert [x.sign for x in v.values()] == [0, -1, -1, -1] and all(x.paper for x in list(v.values())[1:])
    nets = {k: build_model("googlenet_paper", num_classes=10, width=0.125, image_size=64, **x.model_kw)
            for k, x in v.items()}
    base = count_params(nets[G.BASE])
    assert nets[G.NO_AUX].aux1 is None and count_params(nets[G.NO_AUX]) < base
    assert nets[G.FC_HEAD].fc.in_features == 128 * 2 * 2 and count_params(nets[G.FC_HEAD]) > base
    assert nets[G.NAIVE].naive and count_params(nets[G.NAIVE]) > 2 * base
    t = layer_table(nets[G.NAIVE], 64).set_index("name")
    assert t.loc["inception3a", "out_c"] == 8 + 16 + 4 + 24
    for net in nets.values():
        out = net.train()(torch.randn(2, 3, 64, 64))
        assert (out[0] if isinstance(out, tuple) else out).shape == (2, 10)


def test_naive_run_gets_equal_time(smoke):
    run = smoke.runs["ablations"].with_(batches=None)
    per_epoch = G.batches_per_epoch(smoke, run)
    assert per_epoch == math.ceil(160 / smoke.batch_size)
    half = G.naive_run(smoke, run, {G.BASE: 0.1, G.NAIVE: 0.2})
    assert half.epochs == run.epochs and half.batches == per_epoch // 2
    assert G.naive_run(smoke, run, {G.BASE: 0.1, G.NAIVE: 100.0}).batches == 1


def test_expected_minutes_has_the_main_run_and_every_arm(smoke, costs):
    cost = G.expected_minutes(smoke, costs)
    assert list(cost.index) == ["main"] + [f"ablations: {k}" for k in G.ablation_variants()]
    assert (cost["minutes"] >= 0).all() and set(G.PLAN_LEGEND) >= set(cost.reset_index().columns)
    assert cost.loc[f"ablations: {G.NAIVE}", "s / step"] == round(costs[G.NAIVE], 3)


def test_main_run_end_to_end(smoke):
    main = G.main_run(smoke, progress=False)
    h = main.trained[0].history
    assert len(h) == 1 and {"train_main_loss", "train_aux1_loss", "train_aux2_loss", "ema_val_acc1"} <= set(h)
    model = main.trained[0].model
    assert isinstance(model, GoogLeNet) and model.aux1 is not None
    before = G.untrained(smoke, smoke.runs["main"])
    assert not torch.equal(before.conv1.conv.weight, model.conv1.conv.weight.cpu())
    reading = G.loss_reading(h)
    assert reading["aux1 side"] in ("above", "below")
    assert reading["main"] == pytest.approx(h["train_main_loss"].iloc[-1])


def test_ablations_end_to_end(ablated, smoke):
    s = G.summarize(ablated)
    assert list(s.index) == list(G.ablation_variants()) and (s["seeds"] == 2).all()
    assert s.attrs["metric"] == G.SCORE_LABEL
    assert s.loc[G.BASE, "mean"] == pytest.approx(sum(ablated.scores(G.SCORE)[G.BASE]) / 2)
    naive = [t for t in ablated.trained if t.variant == G.NAIVE]
    assert len(naive) == 2 and all(len(t.history) == smoke.runs["ablations"].epochs for t in naive)
    assert len(ablated.models(G.BASE)) == 2


def test_table3_end_to_end(ablated, smoke):
    run = smoke.runs["ablations"]
    images = G.validation_images(smoke, run)
    assert len(images) == 40 and images[0][0].dtype == torch.uint8
    t3 = G.table3(ablated.models(G.BASE), images, image_size=run.image_size, device="cpu",
                  max_images=run.eval_images)
    assert t3[["models", "crops", "cost"]].values.tolist() == [[1, 1, 1], [1, 10, 10], [1, 144, 144], [2, 1, 2],
                                                               [2, 10, 20], [2, 144, 288]]
    assert (t3["images"] == run.eval_images).all()
    assert t3["paper top-5 % (models)"].tolist() == ["10.07 (1)", "9.15 (1)", "7.89 (1)", "8.09 (7)", "7.62 (7)",
                                                     "6.67 (7)"]
    assert t3["top-1 vs 1 model, 1 crop (pp)"].iloc[0] == 0 and set(G.TABLE3_LEGEND) == set(t3.columns)
    with pytest.raises(ValueError):
        G.table3([], images, image_size=run.image_size)


@pytest.mark.parametrize("shape", [(3, 40, 48), (3, 40, 40)])
def test_table3_equals_the_evaluate_protocols(shape):
    from reviewlib.evaluate import evaluate

    torch.manual_seed(0)
    imgs = [(torch.randint(0, 255, shape, dtype=torch.uint8), i % 3) for i in range(4)]
    members = [nn.Sequential(nn.Conv2d(3, 3, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten()) for _ in range(2)]
    for protocol in ("center", "10crop", "144crop"):
        pred = G.crop_predictions(members, imgs, protocol=protocol, image_size=32)
        for m in (members[0], members):
            ref = evaluate(m, imgs, protocol=protocol, image_size=32, device="cpu", progress=False)
            probs = pred["probs"][:1 if m is members[0] else 2].mean(0)
            from reviewlib.evaluate import topk_errors
            assert topk_errors(probs, pred["targets"])["top1"] == pytest.approx(ref["top1_error"])
        assert pred["crops"] == {"center": 1, "10crop": 10, "144crop": 144}[protocol]
    # a square image's three squares coincide: 48 distinct views of the 144
    assert G.crop_predictions(members, imgs, protocol="144crop", image_size=32)["distinct"] == (
        48 if shape[1] == shape[2] else 144)
    t3 = G.table3(members, imgs, image_size=32, protocols=("center", "144crop"))
    assert t3["cost"].tolist() == [1, 144, 2, 288]


def test_crop_predictions_average_the_views_exactly():
    torch.manual_seed(0)
    imgs = [(torch.randint(0, 255, (3, 40, 40), dtype=torch.uint8), 1)]
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    from reviewlib.evaluate import make_views

    views = make_views(imgs[0][0], "144crop", 32)
    expect = net(views).softmax(1).mean(0)
    got = G.crop_predictions([net], imgs, protocol="144crop", image_size=32)["probs"][0, 0]
    assert torch.allclose(got, expect, atol=1e-6)


def test_recorded_results_round_trip(ablated, tmp_path):
    record.save(ablated, "googlenet", "ablations", folder=tmp_path)
    back = record.load("googlenet", "ablations", folder=tmp_path)
    assert isinstance(back, Results)
    pd.testing.assert_frame_equal(G.summarize(back), G.summarize(ablated))
    assert G.EXPERIMENTS == {"main": G.main_run, "ablations": G.ablations}


# ------------------------------------------------------------------------------------------- figures
def test_losses_plot_draws_each_loss_separately():
    h = pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [3.5, 3.0, 2.6], "train_main_loss": [2.2, 1.9, 1.6],
                      "train_aux1_loss": [2.1, 1.8, 1.5], "train_aux2_loss": [2.3, 2.0, 1.7],
                      "val_acc1": [20, 30, 40], "ema_val_acc1": [15, 28, 41]})
    fig = G.losses_plot(h)
    left = fig.axes[0]
    ys = {line.get_label(): list(line.get_ydata()) for line in left.lines}
    assert ys["main classifier"] == [2.2, 1.9, 1.6] and ys["aux head on 4a (aux1)"] == [2.1, 1.8, 1.5]
    assert ys["aux head on 4d (aux2)"] == [2.3, 2.0, 1.7]
    r = G.loss_reading(h, last=2)
    assert (r["aux1 side"], r["aux2 side"]) == ("below", "above") and r["main"] == pytest.approx(1.75)


def test_ablation_plot_bars_are_the_means(ablated):
    s = G.summarize(ablated)
    fig = G.ablation_plot(ablated, s, recorded=ablated)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == pytest.approx(list(s["mean"]))
    assert any(line.get_label() == "recorded run" for line in fig.axes[1].lines)


def test_filter_reading_tells_noise_from_smooth_filters():
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(16, 3, 7, 7, generator=g)
    ramp = torch.linspace(-1, 1, 7)
    smooth_grey = (ramp[None, :] + ramp[:, None]).expand(16, 3, 7, 7).clone()
    n, s = G.filter_reading(noise), G.filter_reading(smooth_grey)
    assert abs(n["smoothness"]) < 0.2 and abs(n["colour"]) < 0.2
    assert s["smoothness"] > 0.8 and s["colour"] > 0.99
    assert "still rough" in G.filter_words(n, n) and "smooth (" in G.filter_words(s, n)
    assert "mostly grey" in G.filter_words(s, n)
    fig = G.filters_figure(smooth_grey, noise)
    assert sum(len(ax.images) for ax in fig.axes) == 32


def test_table3_plot_and_naive_plot_show_the_tables():
    t3 = pd.DataFrame({"models": [1, 1, 3], "crops": [1, 10, 1], "cost": [1, 10, 3],
                       "top-1 error %": [30.0, 28.0, 25.0]})
    fig = G.table3_plot(t3)
    assert [list(line.get_ydata()) for line in fig.axes[0].lines] == [[30.0, 28.0], [25.0]]
    nvr = G.naive_vs_reduced()
    fig = G.naive_vs_reduced_plot(nvr)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights[:9] == pytest.approx(list(nvr["naive params"] / 1e6))


def test_augmentation_figure_shows_the_crops():
    img = torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)
    fig = G.augmentation_figure(img, 48, n=4)
    shapes = [ax.images[0].get_array().shape for ax in fig.axes if ax.images]
    assert shapes == [(64, 64, 3)] + [(48, 48, 3)] * 4


# ------------------------------------------------------------------------------------------- library pieces used
def test_aux_loss_weighting_in_compute_loss():
    from reviewlib.train.loop import compute_loss

    g = torch.Generator().manual_seed(0)
    y = torch.tensor([0, 1, 2, 1])
    main, a2, a1 = (torch.randn(4, 3, generator=g) for _ in range(3))
    logits, total, parts = compute_loss(GoogLeNetOutputs(main, a2, a1), y, aux_weight=0.3)
    expect = F.cross_entropy(main, y) + 0.3 * (F.cross_entropy(a1, y) + F.cross_entropy(a2, y))
    assert torch.allclose(total, expect) and logits is main and set(parts) == {"main", "aux1", "aux2"}


def test_small_paper_googlenet_aux_pool_fits_at_96_not_64():
    t = layer_table(googlenet("paper", num_classes=10, width=0.125, image_size=96), 96)
    assert t.loc[t.name == "inception4a", "out_h"].item() == 6
    with pytest.raises(ConfigError, match="aux_pool='adaptive'"):
        googlenet("paper", num_classes=10, width=0.125, image_size=64)
    googlenet("paper", num_classes=10, width=0.125, image_size=64, aux_pool="adaptive")
