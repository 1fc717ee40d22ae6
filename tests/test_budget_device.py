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


_PAGE_FAULTS = """
import json, resource, torch
from reviewlib.device import keep_freed_memory

def faults(rounds=10, mb=16):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(rounds):
        torch.ones(mb * 2**18)  # allocated, written (every page touched), freed
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

out = {"pages": 16 * 2**20 // resource.getpagesize(), "outside": faults()}
with keep_freed_memory() as kept:
    out["kept"], out["warm_up"] = kept, faults(rounds=20)  # the heap grows to fit the buffer beside small objects
    out["inside"] = faults()
    with keep_freed_memory():
        pass
    out["after_inner_exit"] = faults()  # the outer block still keeps memory
print(json.dumps(out))
"""


def test_keep_freed_memory_stops_page_faulting_reused_buffers():
    """With glibc fixed at its 128 KiB thresholds (set through its environment variables, so the baseline does not
    depend on what ran before), a freed 16 MB buffer is unmapped and every new one is faulted in again. Inside
    keep_freed_memory the heap grows to hold it (a few times at most, as small objects land between the buffers)
    and then ten rounds fault in nothing, also after a nested block has ended."""
    import json
    import os
    import platform
    import subprocess
    import sys

    if platform.system() != "Linux":
        from reviewlib.device import keep_freed_memory

        with keep_freed_memory() as kept:
            assert kept is False
        return
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072", MALLOC_TRIM_THRESHOLD_="131072", OMP_NUM_THREADS="1")
    done = subprocess.run([sys.executable, "-c", _PAGE_FAULTS], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    pages = got["pages"]
    assert got["kept"] is True
    assert got["outside"] >= 8 * pages  # every round maps the buffer anew
    assert got["warm_up"] <= 10 * pages  # the heap settles within a few rounds (1-5 of 20 seen), not every round
    assert got["inside"] <= 0.5 * pages  # and then reuses the freed buffer
    assert got["after_inner_exit"] <= 0.5 * pages  # the inner block's exit did not end the outer one's
