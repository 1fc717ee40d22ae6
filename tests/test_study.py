"""The run description: one Study per entry point, plain values below it, every model at every budget's size."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from reviewlib.budget import BUDGETS, get_budget
from reviewlib.data.synthetic import make_synthetic_imagenet
from reviewlib.experiments.runner import eval_transform, make_batches, train_transform
from reviewlib.nets import MODEL_NAMES, build_model, paper_of
from reviewlib.papers import NOTEBOOKS
from reviewlib.study import Study

REPO = Path(__file__).resolve().parents[1]
# the entry points: the only modules that may read REVIEWLIB_BUDGET
ENTRY_POINTS = {"reviewlib/budget.py", "reviewlib/study.py", "reviewlib/commands.py"}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_synthetic_imagenet(tmp_path_factory.mktemp("data") / "synthetic", num_classes=3,
                                   train_per_class=4, val_per_class=2, image_size=72, seed=0)


@pytest.mark.parametrize("budget", list(BUDGETS))
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_notebook_has_runs_under_every_budget(notebook, budget, data):
    study = Study.for_paper(notebook, budget, data=data, device="cpu")
    assert study.runs and study.data.root == data and study.classes is None  # 3 classes < the budget's: all
    for name, run in study.runs.items():
        assert run.name == name and run.epochs >= 1 and run.seeds
        assert run.resize > run.image_size  # crops come from a larger resized image (256 vs 224 or 227)
        assert run.recipe.epochs == run.epochs  # the schedule knows how long the run is
        assert run.recipe.batch_size == study.batch_size


def test_size_rules_are_applied_once(data):
    study = Study.for_paper("alexnet", "study", data=data, device="cpu")
    main = study.runs["main"]
    assert study.size == 128 and main.image_size == 130 and main.resize == 146  # 227/224 and 256/224 of 128
    assert study.run("x", model="alexnet", epochs=1).image_size == 128  # torchvision's AlexNet takes 224 as 224
    paper = Study.for_paper("alexnet", "paper", data=data, device="cpu").runs["main"]
    assert (paper.image_size, paper.resize, paper.width) == (227, 256, 1.0)
    assert paper.recipe.lr == 0.01 and paper.recipe.batch_size == 128 and paper.recipe.schedule == "plateau"


def test_study_reads_the_budget_from_the_environment(monkeypatch, data):
    monkeypatch.setenv("REVIEWLIB_BUDGET", "smoke")
    assert Study.for_paper("vgg", data=data, device="cpu").budget is get_budget("smoke")
    with pytest.raises(ValueError, match="unknown paper 'resnet'"):
        Study.for_paper("resnet", data=data)


def test_markdown_header_names_budget_device_and_data(data):
    text = Study.for_paper("googlenet", "smoke", data=data, device="cpu").markdown()
    assert "`smoke`" in text and "cpu" in text and "Synthetic data" in text


@pytest.mark.parametrize("budget", list(BUDGETS))
def test_every_registry_model_trains_one_batch_at_every_budget_size(budget, data):
    """Each model, built at its real input side for the budget (input_side), takes one augmented batch from the
    data path and gives class scores: the 227/224 mismatch of the paper AlexNet cannot come back."""
    b = get_budget(budget)
    for name in MODEL_NAMES:
        paper = paper_of(name)
        study = Study.for_paper(paper, b, data=data, device="cpu")
        run = study.run("check", model=name, epochs=1, width=1 / 16)
        if run.image_size < 64 and paper == "googlenet":
            continue
        batches = make_batches(study, run, "train", train_transform(name, run), seed=0, batch_size=2,
                               shuffle=True, limit=1)
        x, y = next(batches.epoch(0))
        assert x.shape == (2, 3, run.image_size, run.image_size)
        model = build_model(name, num_classes=3, width=1 / 16, image_size=run.image_size,
                            **({"aux_pool": "adaptive"} if paper == "googlenet" and run.image_size < 160 else {}))
        out = model(x)
        logits = out[0] if isinstance(out, tuple) else out
        assert logits.shape == (2, 3), name
        val = make_batches(study, run, "val", eval_transform(run), seed=0, batch_size=4, shuffle=False)
        assert next(val.epoch(0))[0].shape[-1] == run.image_size


def _sources(*folders: str):
    for folder in folders:
        for path in sorted((REPO / folder).rglob("*.py")):
            yield path.relative_to(REPO).as_posix(), path.read_text()


def test_no_budget_name_branches_and_no_budget_lookups_below_the_entry_points():
    for rel, text in _sources("reviewlib", "notebooks/src", "benchmarks"):
        assert not re.search(r"\.name\s*[!=]=\s*[\"'](smoke|study|paper)[\"']", text), \
            f"{rel}: a branch on a budget's name; put the per-budget value in a table (BUDGETS or a plan's RUNS)"
        assert not re.search(r"[\"'](smoke|study|paper)[\"']\s*[!=]=", text), f"{rel}: a branch on a budget name"
        if rel.startswith("reviewlib/") and rel not in ENTRY_POINTS:
            assert "get_budget(" not in text, f"{rel}: get_budget below the entry points; take plain values"
