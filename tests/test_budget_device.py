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


def _page_faults_of_fresh_buffers(times: int = 10, mb: int = 16) -> int:
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(times):
        torch.ones(mb * 2**18)  # allocated, written (every page touched), freed
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_keep_freed_memory_stops_page_faulting_reused_buffers():
    """Outside, glibc maps a 16 MB buffer anew on every allocation, and its pages are faulted in each time; inside,
    the freed buffer is reused, so ten rounds fault in at most the pages of the first."""
    import platform
    import resource

    from reviewlib.device import keep_freed_memory

    if platform.system() != "Linux":
        with keep_freed_memory() as kept:
            assert kept is False
        return
    pages = 16 * 2**20 // resource.getpagesize()
    outside = _page_faults_of_fresh_buffers()
    if outside < 2 * pages:
        pytest.skip(f"transparent huge pages hide the faults here ({outside} in ten rounds of {pages} pages)")
    with keep_freed_memory() as kept:
        assert kept is True
        inside = _page_faults_of_fresh_buffers()
    assert inside <= 1.5 * pages < outside  # only the first round, if any, faults the buffer in
    assert _page_faults_of_fresh_buffers() >= 2 * pages  # glibc's defaults are back on exit
