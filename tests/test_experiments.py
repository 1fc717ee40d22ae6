"""Ablations over seeds: statistics, verdicts, the runner, recorded runs and step costs."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from reviewlib.data.synthetic import make_synthetic_imagenet
from reviewlib.experiments import BASELINE, Variant, epochs_to_reach, format_summary, run_variants
from reviewlib.experiments import record
from reviewlib.experiments.cost import plan_cost, run_steps, step_seconds
from reviewlib.experiments.stats import (AS_PAPER, NOISE, OPPOSITE, ablation_summary, effect, mean_sd,
                                         noise_band, verdict)
from reviewlib.study import Study


def test_mean_sd_and_welch_effect():
    assert mean_sd([1.0, 2.0, 3.0]) == (2.0, 1.0, 3)
    assert math.isnan(mean_sd([4.0])[1]) and mean_sd([]) == (pytest.approx(math.nan, nan_ok=True), pytest.approx(
        math.nan, nan_ok=True), 0)
    diff, se, df = effect([50, 52, 51], [45, 46, 44])
    assert diff == 6.0 and se == pytest.approx(math.sqrt(1 / 3 + 1 / 3)) and df == pytest.approx(4.0)
    assert noise_band(1.0, 4.0) == pytest.approx(2.776, abs=1e-3)  # Student's t, 97.5%, 4 df
    assert noise_band(1.0, math.inf) == pytest.approx(1.960, abs=1e-3)


@pytest.mark.parametrize("diff,se,sign,expected", [
    (-5.0, 1.0, -1, AS_PAPER),   # the paper says the trick helps; removing it costs 5 +- 1
    (5.0, 1.0, -1, OPPOSITE),    # removing it helped instead
    (-1.0, 1.0, -1, NOISE),      # inside the band
    (0.5, 1.0, 0, AS_PAPER),     # the paper reports no difference, and there is none
    (8.0, 1.0, 0, OPPOSITE),     # the paper reports none, we see one
    (-5.0, math.nan, -1, NOISE),  # one seed: no standard error, no claim
    (0.0, 0.0, -1, NOISE),       # identical scores on every seed: no effect, never "opposite"
])
def test_verdicts(diff, se, sign, expected):
    assert verdict(diff, se, sign, df=4.0) == expected


def test_ablation_summary_reads_like_the_papers_claims():
    scores = {"all tricks": [60.0, 61.0, 62.0], "no dropout": [55.0, 54.0, 56.0], "no LRN": [61.0, 60.0, 62.5]}
    t = ablation_summary(scores, "all tricks", {"no dropout": -1, "no LRN": -1}, {"no LRN": "1.4% top-1"})
    assert t.loc["all tricks", "verdict"] == "baseline" and math.isnan(t.loc["all tricks", "diff"])
    assert t.loc["no dropout", "diff"] == pytest.approx(-6.0) and t.loc["no dropout", "verdict"] == AS_PAPER
    assert t.loc["no LRN", "verdict"] == NOISE and t.loc["no LRN", "paper"] == "1.4% top-1"
    shown = format_summary(t)
    assert shown.loc["no dropout", "val top-1 (%), mean ± sd"] == "55.0 ± 1.0"
    assert shown.loc["no dropout", "vs baseline (pp) ± se"].startswith("-6.0 ± ")
    tiny = format_summary(ablation_summary({"a": [60.0, 61.0], "b": [60.0, 60.96]}, "a", {}))
    assert tiny.loc["b", "vs baseline (pp) ± se"].startswith("0.0 ± ")  # -0.02 shows as 0.0, never -0.0
    with pytest.raises(KeyError, match="baseline"):
        ablation_summary(scores, "nothing", {})


def test_epochs_to_reach():
    h = pd.DataFrame({"epoch": [1, 2, 3], "err": [50.0, 30.0, 20.0]})
    assert epochs_to_reach(h, "err", 25) == 3 and epochs_to_reach(h, "err", 40) == 2
    assert math.isnan(epochs_to_reach(h, "err", 10))


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = make_synthetic_imagenet(tmp_path_factory.mktemp("d") / "synthetic", num_classes=3, train_per_class=8,
                                   val_per_class=4, image_size=72, seed=0)
    return Study.for_paper("vgg", "smoke", data=root, device="cpu")


def test_run_variants_trains_each_variant_and_seed_the_same_way(study, tmp_path):
    run = study.run("ablations", model="vgg_A", epochs=2, batches=1, seeds=(0, 1), width=1 / 16)
    variants = {"A": BASELINE, "A no PCA": Variant("A no PCA", augment={"pca_sigma": 0.0}, sign=0),
                "B warm": Variant("B warm", model="vgg_B", warm_from="A", sign=+1, paper="deeper is better")}
    res = run_variants(study, run, variants, progress=False)
    assert [(t.variant, t.seed) for t in res.trained] == [(v, s) for s in (0, 1) for v in variants]
    assert all(len(t.history) == 2 and t.model is None for t in res.trained)
    warm = [t for t in res.trained if t.variant == "B warm"]
    assert all(t.warm_started for t in warm)  # the deeper net started from A's layers
    assert {t.params for t in res.trained if t.variant == "A"} < {t.params for t in warm} or \
        min(t.params for t in warm) > max(t.params for t in res.trained if t.variant == "A")
    summary = res.summary("A")
    assert list(summary.index) == list(variants) and (summary["seeds"] == 2).all()
    # the same seed gives the same run: the baseline of seed 0 is repeatable
    again = run_variants(study, run, {"A": BASELINE}, seeds=(0,), progress=False)
    assert again.scores()["A"][0] == res.scores()["A"][0]
    # recorded runs round-trip through results/<paper>/<name>.{csv,json}
    record.save(res, "vgg", "ablations", runs=[run], folder=tmp_path)
    back = record.load("vgg", "ablations", folder=tmp_path)
    assert back.scores() == res.scores()
    assert back.variants["B warm"].sign == 1 and back.variants["B warm"].paper == "deeper is better"
    meta = record.load_settings("vgg", "ablations", folder=tmp_path)
    assert meta["runs"][0]["model"] == "vgg_A" and meta["settings"]["torch_threads"] >= 1
    assert record.load("vgg", "never-recorded", folder=tmp_path) is None


def test_a_warm_start_needs_its_source_first(study):
    run = study.run("x", model="vgg_A", epochs=1, batches=1, seeds=(0,), width=1 / 16)
    with pytest.raises(ValueError, match="must come before it"):
        run_variants(study, run, [Variant("B", model="vgg_B", warm_from="A"), Variant("A")], progress=False)


def test_step_costs_and_plan_cost(study):
    s = step_seconds("vgg_A", width=1 / 16, image_size=32, batch_size=4, steps=1)
    assert 0 < s < 5
    run = study.runs["main"]
    assert run_steps(run, train_images=100, batch_size=32) == run.epochs * min(4, run.batches or 4)
    table = plan_cost(study, {"ablations": 3}, train_images=24, val_images=12)
    assert set(table.index) == set(study.runs) and (table["minutes"] >= 0).all()
    assert table.loc["ablations", "variants"] == 3


def test_the_polyak_averaged_net_is_kept_beside_the_last_weights(tmp_path):
    import torch

    root = make_synthetic_imagenet(tmp_path / "s", num_classes=2, train_per_class=4, val_per_class=2,
                                   image_size=64, seed=0)
    study = Study.for_paper("googlenet", "smoke", data=root, device="cpu")
    run = study.run("a", model="googlenet_paper", epochs=2, batches=2, seeds=(0, 1), width=1 / 16, size=64,
                    model_kw={"aux_pool": "adaptive"})
    res = run_variants(study, run, {"paper": BASELINE}, keep_models=True, progress=False)
    last, avg = res.models("paper"), res.models("paper", averaged=True)
    assert len(last) == len(avg) == len(run.seeds)
    assert any(not torch.equal(a, b) for a, b in zip(last[0].state_dict().values(), avg[0].state_dict().values()))
