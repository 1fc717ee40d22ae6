"""reviewlib.papers.overview: the three papers side by side (tables, claims, plan, the shared run, figures,
exercises, explorers), with real values."""
import math

import numpy as np
import pandas as pd
import pytest
import torch

from reviewlib.budget import BUDGETS
from reviewlib.errors import ConfigError
from reviewlib.experiments import Results, record
from reviewlib.nets import count_params, input_side
from reviewlib.papers import overview as O
from reviewlib.papers.overview.plan import RECORDED, RUNS, SAVE_FIGURES
from reviewlib.review.checker import check_model
from reviewlib.review.tables import weight_depth
from reviewlib.study import Study

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def table():
    return O.comparison_table(("alexnet_paper", "alexnet", "vgg_A", "vgg16", "googlenet_paper", "googlenet"))


@pytest.fixture(scope="module")
def smoke(data):
    return Study.for_paper("overview", "smoke", data=data, device="cpu")


@pytest.fixture(scope="module")
def recorded_study(smoke):
    return O.recorded(smoke)


@pytest.fixture(scope="module")
def trained(recorded_study):
    """The recorded run in the smoke budget: the three models x three seeds, two batches each."""
    return O.shared_run(recorded_study, progress=False)


@pytest.fixture(scope="module")
def one_seed(trained):
    """The notebook's run: seed 0 of the recorded run (the same settings)."""
    return Results(trained.variants, [t for t in trained.trained if t.seed == 0])


# ------------------------------------------------------------------------------------------------------- claims
def test_rows_match_the_papers_and_torchvision(table):
    assert table.loc["alexnet_paper", "params"] == 60_965_224 and table.loc["alexnet_paper", "input"] == 227
    assert table.loc["alexnet", "params"] == 61_100_840
    assert table.loc["vgg16", "params"] == table.loc["vgg_A", "params"] + 5_494_208  # D vs A
    assert table.loc["googlenet", "params"] == 6_624_904  # torchvision's count, without the aux heads
    assert table.loc["googlenet", "train_only_params"] > 6_000_000  # the two aux heads (FC 2048->1024 each)
    assert table.loc["alexnet_paper", "train_only_params"] == 0
    assert table["weight_layers"].to_dict() == {"alexnet_paper": 8, "alexnet": 8, "vgg_A": 11, "vgg16": 16,
                                                "googlenet_paper": 22, "googlenet": 22}
    assert round(table.loc["alexnet", "macs"] / 1e9, 3) == 0.714  # torchvision's GFLOPS (multiply-adds)
    assert round(table.loc["vgg16", "macs"] / 1e9, 2) == 15.47
    assert round(table.loc["googlenet", "macs"] / 1e9, 3) == 1.498
    assert table.loc["alexnet_paper", "fc_share"] == pytest.approx(58_631_144 / 60_965_224)


def test_reported_accuracies_and_format(table):
    assert table.loc["alexnet_paper", ["top1", "top5"]].tolist() == [59.3, 81.8]  # 100 - (40.7, 18.2)
    assert table.loc["vgg_A", ["top1", "top5"]].tolist() == [70.4, 89.6]
    assert math.isnan(table.loc["googlenet_paper", "top1"]) and table.loc["googlenet_paper", "top5"] == 90.85
    assert table.loc["alexnet", ["top1", "top5"]].tolist() == [56.522, 79.066]  # torchvision weights meta
    assert O.torchvision_metrics("vgg16") == (71.592, 90.382)
    assert O.reported("vgg11_bn").source == "none"
    with pytest.raises(ConfigError, match="vgg11_bn"):
        O.torchvision_metrics("vgg11_bn")
    text = O.format_table(table)
    assert set(text.columns) == set(O.COLUMNS) and set(O.KEY_COLUMNS) <= set(text.columns)
    row = text.set_index("model").loc["alexnet_paper"]
    assert (row["params"], row["FC share"], row["top-1 %"]) == ("60,965,224", "96.2%", "59.30")
    assert text.set_index("model").loc["googlenet_paper", "top-1 %"] == "n/r"


def test_claims_compute_ours_and_give_verdicts():
    c = O.claims().set_index("claim")
    assert c.loc["AlexNet (abstract): parameters", ["paper", "ours", "verdict"]].tolist() == \
        ["60 million", "60,965,224", "rounding"]
    assert c.loc["VGG-E (Table 2): parameters", ["ours", "verdict"]].tolist() == ["143,667,240", "rounding"]
    assert c.loc["GoogLeNet (Sect. 5): layers with parameters", ["ours", "verdict"]].tolist() == ["22", "matches"]
    twelve = c.loc["GoogLeNet (Sect. 1): times fewer parameters than AlexNet"]
    assert (twelve["paper"], twelve["ours"], twelve["verdict"]) == ("12", "8.7", "differs")
    assert "6.8 M" in twelve["note"] and "9.0x" in twelve["note"]
    macs = c.loc["GoogLeNet (Sect. 1): multiply-adds at inference"]
    assert (macs["paper"], macs["ours"], macs["verdict"]) == ("1.5 billion", "1,582,671,872", "differs")
    assert "6% over" in macs["note"]


def test_param_shares():
    s = O.param_shares()
    assert s.loc["alexnet_paper", "first_fc"] == 9216 * 4096 + 4096  # FC6
    assert s.loc["vgg_D", "first_fc"] == 25088 * 4096 + 4096  # FC1
    assert s.loc["googlenet_paper", "first_fc"] == 1024 * 1000 + 1000 and s.loc["googlenet_paper", "other_fc"] == 0
    assert (s["conv"] + s["first_fc"] + s["other_fc"] + s["other"] == s["total"]).all()
    assert s.loc["vgg_D", "total"] == 138_357_544


def test_weight_depth_counts_inception_as_two():
    t = pd.DataFrame({"name": ["c", "i", "p", "f"], "kind": ["conv", "inception", "pool", "fc"]})
    assert weight_depth(t) == 4 and weight_depth(t, pooling=True) == 5


# ------------------------------------------------------------------------------------------------------- figures
def test_architecture_figures_show_the_tables(table, tmp_path):
    fig = O.efficiency_plot(table, save=tmp_path / "eff.png")
    top1, top5 = fig.axes[:2]
    assert len(top1.collections) == 5 and len(top5.collections) == 6  # GoogLeNet's paper has no top-1
    xs = sorted(float(c.get_offsets()[0][0]) for c in top5.collections)
    assert xs == pytest.approx(sorted(table["macs"] / 1e9))
    shares = O.param_shares()
    fig = O.param_share_plot(shares, save=tmp_path / "share.png")
    bars = fig.axes[0].patches
    assert len(bars) == 9  # 3 models x (conv, first FC, other FC)
    conv_widths = sorted(b.get_width() for b in bars[:3])
    assert conv_widths == pytest.approx(sorted(shares["conv"] / 1e6))
    for name in ("eff.png", "share.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_MAGIC)


# ------------------------------------------------------------------------------------------------------- plan
def test_plan_tables_have_every_budget():
    for t in (RUNS, RECORDED, SAVE_FIGURES):
        assert set(t) == set(BUDGETS)
    assert SAVE_FIGURES["smoke"] is False and SAVE_FIGURES["study"] is True
    assert all(len(RECORDED[b]["seeds"]) >= 3 for b in BUDGETS)  # the recorded run measures the seed noise
    for b in BUDGETS:  # ... of exactly the notebook's run
        assert {k: v for k, v in RECORDED[b].items() if k != "seeds"} == \
            {k: v for k, v in RUNS[b].items() if k != "seeds"} and RUNS[b]["seeds"][0] == RECORDED[b]["seeds"][0]


def test_plan_runs_one_recipe_at_each_papers_size(smoke):
    runs = smoke.runs
    assert list(runs) == list(O.MODELS)
    sizes = BUDGETS["smoke"].sizes
    assert runs["alexnet_paper"].image_size == input_side("alexnet_paper", sizes["alexnet"]) == 97
    assert runs["vgg_A"].image_size == sizes["vgg"] and runs["googlenet_paper"].image_size == sizes["googlenet"]
    recipes = {r.recipe for r in runs.values()}
    assert len(recipes) == 1  # the same recipe for the three
    recipe = recipes.pop()
    assert (recipe.paper, recipe.aux_weight, recipe.momentum, recipe.weight_decay) == ("alexnet", 0.3, 0.9, 5e-4)
    assert {(r.epochs, r.batches, r.seeds, r.width) for r in runs.values()} == \
        {(1, 2, (0,), RUNS["smoke"]["width"])}
    longer = O.recorded(smoke).runs
    assert {r.seeds for r in longer.values()} == {RECORDED["smoke"]["seeds"]}
    no_aux = O.runs_with(smoke, ["googlenet_paper"], aux_weight=0.0).runs
    assert no_aux["googlenet_paper"].recipe.aux_weight == 0.0 and no_aux["vgg_A"].recipe.aux_weight == 0.3


def test_study_plan_is_sized_for_the_budget():
    """Study: the paper notebooks' width, long enough to leave chance well behind; 14 x ~32 s fits 10 minutes."""
    spec = RUNS["study"]
    assert spec["width"] == 0.25 and 12 <= spec["epochs"] <= 15 and len(RECORDED["study"]["seeds"]) == 3


def test_expected_minutes(smoke):
    cost = O.expected_minutes(smoke)
    assert list(cost.index) == list(O.MODELS)
    assert (cost["steps / seed"] == 2).all() and (cost["seeds"] == 1).all()
    assert (cost["minutes"] >= 0).all() and set(cost.columns) | {"run"} == set(O.PLAN_COLUMNS)


# ------------------------------------------------------------------------------------------------------- shared run
def test_shared_run_trains_the_three_and_reads_them(trained, recorded_study, tmp_path):
    assert [(t.variant, t.seed) for t in trained.trained] == [(m, s) for s in (0, 1, 2) for m in O.MODELS]
    table = O.run_table(trained, recorded_study)
    assert list(table.index) == list(O.MODELS) and (table["seeds"] == 3).all() and (table["classes"] == 10).all()
    finals = trained.scores()
    assert table.loc["vgg_A", "top1"] == pytest.approx(np.mean(finals["vgg_A"]))
    assert table.loc["vgg_A", "top1_sd"] == pytest.approx(np.std(finals["vgg_A"], ddof=1))
    g = next(t for t in trained.trained if t.variant == "googlenet_paper")
    assert {"train_main_loss", "train_aux1_loss"} <= set(g.history.columns)
    assert (O.main_loss(g.history) == g.history["train_main_loss"]).all()
    a = next(t for t in trained.trained if t.variant == "alexnet_paper")
    assert (O.main_loss(a.history) == a.history["train_loss"]).all()
    assert table.loc["alexnet_paper", "params"] == a.params and table["macs"].gt(0).all()
    assert list(O.format_run_table(table).columns) == list(O.RUN_COLUMNS)
    gaps = O.gaps(trained)
    assert len(gaps) == 3 and (gaps["seeds"] == 3).all() and gaps["exceeds noise"].notna().all()
    d = gaps.loc["AlexNet - VGG-A", "diff"]
    assert d == pytest.approx(np.mean(finals["alexnet_paper"]) - np.mean(finals["vgg_A"]))
    text = str(O.describe(table, gaps))
    assert "After 1 epoch (3 seeds each)" in text and "Chance is 10%" in text and "Over the 3 seeds of this run" in text
    assert "s for AlexNet (" in str(O.describe_cost(table))
    assert f"VGG-A {table.loc['vgg_A', 'top1']:.1f} ± " in str(O.headline(table))
    side = O.reported_vs_ours(table)
    assert set(side.columns) == set(O.REPORTED_VS_OURS)
    assert side.set_index("model").loc["vgg_A", "torchvision"] == "vgg11"
    fig = O.training_curves_plot(trained, save=tmp_path / "curves.png")
    loss_lines = fig.axes[0].lines
    assert [line.get_label() for line in loss_lines] == ["AlexNet", "VGG-A", "GoogLeNet"]
    g_mean = np.mean([t.history["train_main_loss"].iloc[-1] for t in trained.trained
                      if t.variant == "googlenet_paper"])
    assert loss_lines[2].get_ydata()[-1] == pytest.approx(g_mean)  # the main loss, not the total
    O.accuracy_cost_plot(side, save=tmp_path / "acc.png")
    assert (tmp_path / "acc.png").read_bytes().startswith(PNG_MAGIC)


def test_one_seed_reads_its_noise_from_the_recorded_run(one_seed, trained, smoke):
    table = O.run_table(one_seed, smoke)
    assert (table["seeds"] == 1).all() and table["top1_sd"].isna().all()
    own = O.gaps(one_seed)
    assert own["exceeds noise"].isna().all()
    assert "no estimate of the seed noise" in str(O.describe(table, own))
    source, label = O.noise_source(one_seed, trained)
    assert source is trained and label == "the recorded run"
    assert O.noise_source(one_seed, None) == (one_seed, "this run")
    assert O.noise_source(trained, trained)[1] == "this run"
    text = str(O.describe(table, O.gaps(source), label, recorded=trained))
    assert "The recorded run (3 seeds) ends at" in text and "Over the 3 seeds of the recorded run" in text


def test_recorded_run_round_trips(trained, one_seed, tmp_path, recorded_study):
    record.save(trained, "overview", "shared_run", runs=recorded_study.runs.values(), folder=tmp_path)
    back = record.load("overview", "shared_run", folder=tmp_path)
    assert isinstance(back, Results)
    assert {k: pytest.approx(v) for k, v in trained.scores().items()} == back.scores()
    fig = O.training_curves_plot(one_seed, back)
    labels = [line.get_label() for line in fig.axes[2].lines]
    assert "VGG-A, recorded run" in labels and "VGG-A" in labels
    assert set(O.EXPERIMENTS) == {"shared_run"}


# ------------------------------------------------------------------------------------------------------- exercises
def test_exercise_answer_passes_the_checker_and_the_scaffold_does_not():
    answer = O.exercise_answer()
    assert check_model(answer, O.exercise_answer(), 227).ok
    result = check_model(O.exercise_scaffold(), answer, 227)
    assert not result.ok and "avgpool" in result.message and "missing" in result.message
    assert answer(torch.zeros(1, 3, 227, 227)).shape == (1, 1000)
    assert count_params(answer) == 60_965_224 - 58_631_144 + 256 * 1000 + 1000


def test_numeric_exercises_check_and_reveal():
    assert O.check_answer("vgg16_fc1_params", 25088 * 4096 + 4096).startswith("Right")
    assert "too low" in O.check_answer("alexnet_conv1_macs", 1)
    assert "105,415,200" in str(O.reveal("alexnet_conv1_macs"))  # 55 * 55 * 96 * 11 * 11 * 3
    assert O.QUESTIONS["double_input_macs"][2]() == pytest.approx(4.0, rel=0.02)
    assert 3.5 < O.QUESTIONS["half_width_params"][2]() < 4.0
    with pytest.raises(KeyError, match="vgg16_fc1_params"):
        O.reveal("nope")
    html = O.answers()._repr_html_()
    assert html.startswith("<details>") and "102,764,544" in html


# ------------------------------------------------------------------------------------------------------- explorers
def test_explorer_and_compare():
    e = O.explorer()
    assert e.state.totals["params"] == 6_998_552  # GoogLeNet (paper) at 224, full width, no aux heads
    s = e.update(model="vgg_A", width=0.5)
    assert s.error is None and s.totals["params"] < 132_863_336 / 3.5
    s = e.update(model="alexnet_paper", size=64)
    assert s.error and "pool" in s.error and s.summary.startswith("Impossible setting")
    c = O.compare(1.0, 224)
    assert c.loc["alexnet_paper", "params"] == 60_965_224 and c.loc["alexnet_paper", "input"] == 227
    small = O.compare(0.125, 64)
    assert small.loc["alexnet_paper", "error"] and pd.isna(small.loc["alexnet_paper", "params"])
    assert small.loc["vgg_A", "error"] == ""
    grid = O.scaling_table(widths=(0.5, 1.0), sizes=(128, 224))
    g = grid[(grid["model"] == "googlenet_paper") & (grid["width"] == 1.0)]
    assert g["params"].nunique() == 1  # average pooling: the parameters do not depend on the input size
    fig = O.scaling_plot(grid)
    assert len(fig.axes) == 4


def test_compare_widget_redraws():
    pytest.importorskip("ipywidgets")  # the notebook extra, not the project
    box = O.compare_widget()
    (width, size), out = box.children[0].children, box.children[1]
    before = out.value
    width.value = 0.5
    assert out.value != before and f"{O.compare(0.5, 224).loc['vgg_A', 'params']:,}" in out.value
    size.value = 32
    assert "smaller than" in out.value
