"""reviewlib.papers.alexnet: the AlexNet review (claims, the one-GPU and Fig. 1 nets, the race, explorer, exercises,
plan, experiments, evaluation, figures) with real values, on meta-device or tiny models, tiny synthetic data and the
smoke budget."""
import math

import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from reviewlib.budget import BUDGETS
from reviewlib.errors import ConfigError
from reviewlib.experiments import record
from reviewlib.nets import alexnet, build_model, count_params
from reviewlib.nets.layers import TwoTowerConv
from reviewlib.papers import alexnet as review
from reviewlib.papers.alexnet import race as fig1
from reviewlib.papers.alexnet.plan import RACE, RECORDED, RUNS, SAVE_FIGURES
from reviewlib.review.checker import check_model
from reviewlib.review.claims import DIFFERS, MATCHES, ROUNDING, claim_table
from reviewlib.review.tables import layer_table, param_shares
from reviewlib.study import Study


@pytest.fixture(scope="module")
def smoke(data):
    return Study.for_paper("alexnet", "smoke", data=data, device="cpu")


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
    assert df["reviewlib LocalResponseNorm()"]
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


# --------------------------------------------------------------------------------------------- claims, variants
def test_claims_print_the_papers_numbers_the_papers_way():
    t = review.claims().set_index("claim")
    assert t.loc["parameters", "paper"] == "60 million" and t.loc["parameters", "ours"] == "60,965,224"
    assert t.loc["neurons (conv + FC outputs)", "paper"] == "650,000"
    assert t.loc["neurons (conv + FC outputs)", "ours"] == "659,272"
    summary, totals = review.torchinfo_check()
    assert totals == {"torchinfo": 60_965_224, "ours": 60_965_224, "agree": True} and "Total params" in summary


def test_one_gpu_net_halves_conv1_to_conv4_and_keeps_conv5_and_fc():
    with torch.device("meta"):
        two, one = alexnet("paper"), alexnet("paper", one_gpu=True)
    t1 = layer_table(one, 227, device="meta").set_index("name")
    t2 = layer_table(two, 227, device="meta").set_index("name")
    assert [t1.loc[f"conv{i}", "out_c"] for i in range(1, 6)] == [48, 128, 192, 192, 256]
    # conv1 11*11*3*48+48, conv2 5*5*48*128+128, conv3 3*3*128*192+192, conv4 3*3*192*192+192, conv5 3*3*192*256+256
    convs = 17_472 + 153_728 + 221_376 + 331_968 + 442_624
    fc = 9216 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    assert count_params(one) == convs + fc == 59_798_312
    assert count_params(two) == 60_965_224 and 0.98 < count_params(one) / count_params(two) < 0.99
    assert all(t1.loc[k, "params"] == t2.loc[k, "params"] for k in ("fc6", "fc7", "fc8"))
    assert not any(isinstance(m, TwoTowerConv) for m in one.modules())
    with pytest.raises(ConfigError, match="one_gpu"):
        alexnet("fig1", one_gpu=True)


def test_fig1_net_is_three_convs_and_pools_32_16_8_4():
    m = build_model("alexnet_fig1", num_classes=10)
    t = layer_table(m, 32)
    assert t["name"].tolist() == ["conv1", "pool1", "conv2", "pool2", "conv3", "pool3", "fc4"]
    assert t.loc[t["kind"] == "pool", "output"].tolist() == ["16x16x32", "8x8x32", "4x4x64"]
    assert t.loc[t["kind"] == "conv", "kernel"].tolist() == [5, 5, 5]
    assert m.classifier[-1].in_features == 4 * 4 * 64 and not any(isinstance(x, nn.Dropout) for x in m.modules())
    tanh = build_model("alexnet_fig1", num_classes=10, activation="tanh")
    assert any(isinstance(x, nn.Tanh) for x in tanh.modules()) and count_params(tanh) == count_params(m)
    assert m(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_ablation_variants_build_differ_and_train_one_batch():
    variants = review.ablation_variants()
    assert list(variants) == ["baseline", "no dropout", "no augmentation", "no PCA colour noise",
                              "no LRN (scale kept)", "non-overlapping pooling", "one GPU"]
    assert all(v.sign == -1 for k, v in variants.items() if k != "baseline")
    assert variants["no augmentation"].augment == {"augment": False}
    assert variants["no PCA colour noise"].augment == {"pca_sigma": 0.0}
    x, y = torch.randn(4, 3, 67, 67), torch.tensor([0, 1, 2, 3])
    params, kinds = {}, {}
    for name, v in variants.items():
        torch.manual_seed(0)
        m = build_model("alexnet_paper", num_classes=10, width=0.125, image_size=67, **dict(v.model_kw))
        loss = nn.functional.cross_entropy(m(x), y)
        loss.backward()
        assert math.isfinite(loss.item()), name
        params[name] = count_params(m)
        kinds[name] = layer_table(m, 67)
    no_lrn = review.NO_LRN
    assert params["no dropout"] == params[no_lrn] == params["baseline"]  # LRN and dropout have no weights
    assert variants[no_lrn].model_kw == {"lrn": "constant"}
    pools = lambda t: t.loc[t["kind"] == "pool", "kernel"].tolist()
    assert pools(kinds["baseline"]) == [3, 3, 3] and pools(kinds["non-overlapping pooling"]) == [2, 2, 2]
    assert params["one GPU"] != params["baseline"]


# ------------------------------------------------------------------------------------------------ Fig. 1 race
def _race_data(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 4
    images = torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
    return fig1.RaceData(images, labels, images[:8], labels[:8], description="random", cifar=False)


def _race_run(smoke):
    return smoke.runs["race"]


def test_race_pieces_on_tiny_data(smoke):
    data, run = _race_data(), _race_run(smoke)
    h = fig1.train_until(data, run, activation="relu", lr=0.01, init="default", seed=0, batch_size=8, max_epochs=2,
                         target=99.0)
    assert len(h) == 1 and h["train_error"].iloc[0] <= 99.0  # stops at the first epoch that reaches the target
    runs = fig1.sweep(data, run, "tanh", [0.01, 0.001], init="paper", seed=0, batch_size=8, target=-1.0)
    assert set(runs["lr"]) == {0.01, 0.001} and set(runs["stopped"]) <= {"cap", "diverged"}
    assert runs.groupby("lr")["epoch"].max().max() == run.epochs
    spread = fig1.start_spread(data, run, images=16).set_index(["init", "layer"])
    # the paper's start (0-255 pixels, N(0, 0.01)) makes conv1 wider and a tanh there saturate far more often
    assert spread.loc[("paper", "conv1"), "pre-activation std"] > 3 * spread.loc[("default", "conv1"),
                                                                                   "pre-activation std"]
    assert spread.loc[("paper", "conv1"), "saturated if tanh (%)"] > spread.loc[("default", "conv1"),
                                                                                 "saturated if tanh (%)"]


def _rows(init, act, lr, errors, stopped="target"):
    return pd.DataFrame({"init": init, "seed": 0, "activation": act, "lr": lr, "epoch": range(1, len(errors) + 1),
                         "train_error": errors, "train_loss": 1.0, "stopped": stopped})


def test_race_summary_ratios_and_reading():
    runs = pd.concat([
        _rows("default", "relu", 0.03, [60, 40, 24]), _rows("default", "relu", 0.01, [70, 50, 30], "no better"),
        _rows("default", "tanh", 0.03, [60, 40, 30, 20, 10, 5]), _rows("default", "tanh", 0.01, [70, 30, 20]),
        _rows("paper", "relu", 0.003, [50, 20]), _rows("paper", "tanh", 0.003, [90] * 5, "cap"),
    ], ignore_index=True)
    s = fig1.race_summary(runs).set_index("init")
    assert s.loc["default", "relu lr"] == 0.03 and s.loc["default", "relu epochs"] == 3
    assert s.loc["default", "tanh lr"] == 0.01 and s.loc["default", "tanh epochs"] == 3
    assert s.loc["default", "tanh at relu lr"] == 4 and s.loc["default", "ratio, relu's rate"] == pytest.approx(4 / 3)
    assert math.isnan(s.loc["paper", "tanh epochs"]) and s.loc["paper", "tanh ran"] == 5
    table = fig1.race_table(runs).set_index("init")
    assert table.loc["default", "tanh / ReLU, own rates"] == "1.0" and table.loc["paper", "tanh: epochs"] == "> 5"
    assert table.loc["paper", "tanh / ReLU, own rates"] == "> 2.5"
    assert set(fig1.curves(runs)["label"]) == {"relu, best lr 0.03", "tanh, best lr 0.01", "tanh at ReLU's lr 0.03",
                                               "relu, best lr 0.003", "tanh, best lr 0.003"}
    spread = pd.DataFrame({"init": ["default", "paper"], "layer": ["conv1", "conv1"],
                           "pre-activation std": [0.5, 5.0], "saturated if tanh (%)": [0.0, 50.0]})
    text = review.race_reading(runs, spread)
    assert "the two are about as fast" in text and "ReLU is clearly faster" in text
    assert "larger from the paper's start (2.5 against 1.0)" in text and "50.0%" in text
    assert "tanh / ReLU = **1.0**" in review.race_sentences(runs)
    assert isinstance(review.race_figure(fig1.curves(runs)), Figure)


def test_race_over_seeds_reads_mean_and_sd_of_the_ratio():
    def seed(k, relu, tanh, tanh_stopped="target"):
        return pd.concat([_rows("default", "relu", 0.03, relu), _rows("default", "tanh", 0.03, tanh, tanh_stopped)],
                         ignore_index=True).assign(seed=k)

    runs = pd.concat([seed(0, [60, 20], [60, 40, 20]), seed(1, [60, 40, 20], [60, 40, 20]),
                      seed(2, [60, 20], [60, 50, 40, 20])], ignore_index=True)
    # ratios 3/2, 3/3, 4/2: mean 1.5, sd 0.5
    assert review.race_seeds_sentence(runs) == ("tanh / ReLU epochs to 25% training error, each at its own best "
                                                "rate: from the default start 1.50 ± 0.50 (3 seeds) (the paper: 6).")
    capped = pd.concat([seed(0, [60, 20], [90] * 4, "cap"), seed(1, [60, 20], [60, 40, 20])], ignore_index=True)
    assert "from the default start at least 1.75 ± 0.35 (2 seeds)" in review.race_seeds_sentence(capped)


# --------------------------------------------------------------------------------------------- explorer, exercises
def test_explorer_moves_the_table_and_shows_the_error():
    ex = review.explorer()
    assert ex.state.totals["params"] == 60_965_224
    steps = {k: c.step for k, c in ex.controls.items() if k.endswith("_channels")}
    assert steps == {f"conv{i}_channels": 2 for i in range(1, 6)}
    assert all(ex.controls[k].value % 2 == 0 for k in steps)
    assert all(c.label and not c.label.endswith("…") for c in ex.controls.values())
    before = ex.state.table["output"].tolist()
    state = ex.update(conv1_channels=64)
    assert state.table.set_index("name").loc["conv1", "output"] == "55x55x64" and state.table["output"].tolist() != before
    assert state.totals["params"] < 60_965_224
    bad = ex.update(conv2_channels=255)
    assert bad.table is None and "cannot be split into 2 towers" in bad.summary and ex.figure() is None
    ok = ex.update(conv2_channels=256, image_size=259)
    assert ok.table.set_index("name").loc["pool5", "output"] == "7x7x256" and isinstance(ex.figure(), Figure)
    assert "smaller than its 3x3 pooling window" in ex.update(image_size=32).error
    fig1_ex = review.explorer("fig1")
    assert fig1_ex.state.table.set_index("name").loc["pool3", "output"] == "4x4x64" and "fc6" not in fig1_ex.controls
    assert len(review.explorer_lines([dict(fc6=1024), dict(conv3_channels=3)])) == 2


def test_checker_names_the_first_wrong_layer_and_the_answer_passes():
    class Wrong(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(3, 96, 11, 4), nn.ReLU(), review.TowerLRN(), nn.MaxPool2d(3, 2),
                                          nn.Conv2d(96, 256, 3, padding=1, groups=2))
            self.classifier = nn.Sequential()

        def forward(self, x):
            return self.classifier(torch.flatten(self.features(x), 1))

    with torch.device("meta"):
        ref = review.exercise_reference()
        wrong = check_model(Wrong(), ref, input_size=227)
        right = check_model(review.exercise_answer(), ref, input_size=227)
    assert not wrong.ok and "conv2" in wrong.message and wrong.message.rstrip()[-1] in ".)"
    assert right.ok, right.message
    torch.manual_seed(0)
    small_ref = review.exercise_reference(num_classes=10)
    answer = review.copy_into_answer(review.exercise_answer(num_classes=10), small_ref).eval()
    x = torch.randn(1, 3, 227, 227)
    assert torch.allclose(answer(x), small_ref.eval()(x), atol=1e-4)


def test_exercise_checks_and_reveals():
    assert review.check(3, review.TowerLRN(towers=1)).ok
    assert not review.check(3, nn.LocalResponseNorm(5)).ok
    assert not review.check(4, nn.Sequential(nn.Conv2d(3, 96, 11, 4))).ok
    assert "p = 2" in str(review.reveal(1)) and "227" in str(review.reveal(1))
    assert "307,456" in str(review.reveal(2)) and "614,656" in str(review.reveal(2))  # 256*(48*25)+256, 256*(96*25)+256
    assert "2,178" in str(review.reveal(5)) and 4 <= len(review.QUESTIONS) <= 6
    with pytest.raises(KeyError):
        review.check(1, None)


# ------------------------------------------------------------------------------------------------ plan, runs
def test_plan_tables_have_every_budget_and_run():
    for table in (RUNS, RECORDED, RACE, SAVE_FIGURES):
        assert set(table) == set(BUDGETS), table
    for budget in BUDGETS:
        assert set(RUNS[budget]) == set(RECORDED[budget]) == {"main", "ablations", "race"}
        assert set(RACE[budget]["lrs"]) == set(fig1.INITS)
    assert len(RUNS["study"]["ablations"]["seeds"]) >= 3 and not SAVE_FIGURES["smoke"] and SAVE_FIGURES["study"]
    assert RUNS["study"]["race"]["model"] == "alexnet_fig1" and RUNS["study"]["race"]["weight_decay"] == 0.0


def test_experiments_end_to_end_in_smoke(smoke, tmp_path):
    assert set(review.plan(smoke)) == {"main", "ablations", "race"}
    assert review.recorded(smoke).runs["ablations"].seeds == (0, 1, 2)
    main = review.main_run(smoke, progress=False)
    history = main.trained[0].history
    assert main.trained[0].model is not None and {"val_acc1", "train_acc1"} <= set(history.columns)
    assert "validation top-1" in review.history_sentence(history)
    abl = review.ablations(smoke, progress=False)
    table = review.ablation_table(abl)
    assert list(table.index) == list(review.ablation_variants()) and "train - val (pp), mean ± sd" in table.columns
    assert "Without dropout the train - val gap" in review.ablation_sentences(abl)
    assert isinstance(review.ablation_plot(abl.summary(review.PAPER_MODEL)), Figure)
    record.save(abl, "alexnet", "ablations", runs=[smoke.runs["ablations"]], folder=tmp_path)
    back = record.load("alexnet", "ablations", folder=tmp_path)
    assert {k: pytest.approx(v) for k, v in abl.scores().items()} == back.scores()
    assert list(back.summary(review.PAPER_MODEL).index) == list(abl.summary(review.PAPER_MODEL).index)
    crops = review.crop_table(main.trained[0].model, smoke, smoke.runs["main"])
    assert crops["crops"].tolist() == [1, 10]
    nb = review.nearest_neighbours(main.trained[0].model, smoke, smoke.runs["main"], queries=2, k=3)
    assert nb["neighbours"].shape == (2, 3) and 0 <= review.neighbour_agreement(nb) <= 100
    assert isinstance(review.neighbours_figure(nb), Figure)
    untrained = review.untrained(smoke, smoke.runs["main"])
    assert review.filter_change(untrained, untrained) == 0.0
    assert isinstance(review.filters_figure({"untrained": untrained}), Figure)
