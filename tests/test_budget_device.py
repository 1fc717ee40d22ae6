"""Budgets and devices: one place reads REVIEWLIB_BUDGET; the device falls back to the CPU."""
import pytest
import torch

from reviewlib.budget import BUDGETS, budget_table, get_budget
from reviewlib.device import describe_device, pick_device, seed_everything
from reviewlib.errors import BudgetError


def test_default_budget_is_study(monkeypatch):
    monkeypatch.delenv("REVIEWLIB_BUDGET", raising=False)
    assert get_budget().name == "study"


@pytest.mark.parametrize("name", ["smoke", "study", "paper", " Smoke "])
def test_budget_from_environment(monkeypatch, name):
    monkeypatch.setenv("REVIEWLIB_BUDGET", name)
    assert get_budget().name == name.strip().lower()


def test_wrong_budget_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv("REVIEWLIB_BUDGET", "huge")
    with pytest.raises(BudgetError, match=r"unknown budget 'huge' \(from the environment variable "
                                          r"REVIEWLIB_BUDGET\); valid budgets: smoke, study, paper"):
        get_budget()


def test_budget_sizes_scale_like_the_papers():
    paper, study, smoke = get_budget("paper"), get_budget("study"), get_budget("smoke")
    assert {p: paper.size_for(p) for p in ("alexnet", "vgg", "googlenet")} == {
        "alexnet": 224, "vgg": 224, "googlenet": 224}
    assert paper.width == 1.0 and paper.batch_size is None and not paper.tuned  # the papers' own recipes
    assert smoke.width < study.width < 1
    assert list(budget_table().index) == list(BUDGETS)
    assert smoke.with_(width=0.5).width == 0.5 and smoke.width == 0.125
    assert study.size_for("alexnet") == 128
    assert study.size_for("googlenet") == 96  # its paper 5x5/3 aux pool still fits the 6x6 map at 4a
    assert study.size_for("vgg") == 64  # VGG's five pools still leave 2x2 at 64 px
    assert not smoke.download and study.download


def test_device_and_seed(monkeypatch):
    monkeypatch.delenv("REVIEWLIB_DEVICE", raising=False)
    dev = pick_device()
    assert dev.type == ("cuda" if torch.cuda.is_available() else dev.type)
    assert pick_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("REVIEWLIB_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")
    assert describe_device(torch.device("cpu")).startswith("cpu (")
    seed_everything(3)
    a = torch.rand(3)
    seed_everything(3)
    assert torch.equal(a, torch.rand(3))
