"""The notebooks are a review of the papers: no word about the project's own development, and no checker message
cut short. (Run times are stated in the notebook's own terms; dates and machines belong in results/, not in
the text.)"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "notebooks" / "src").glob("*.py"))
FORBIDDEN = [
    (r"\bissues?\b(?! of the paper)", "the project's issues"),
    (r"\bCI\b|continuous integration", "CI"),
    (r"\bsessions?\b", "sessions"),
    (r"build (machine|CPU|server)|2-core build|the build machine|other jobs", "build machines"),
    (r"\b20\d\d-[01]\d-[0-3]\d\b", "a dated run"),
    (r"recorded on|the run of \d", "a dated run"),
    (r"benchmarks/|time_to_accuracy", "the repo's benchmark scripts"),
    (r"broken in this version|FIXME|XXX", "development notes"),
    (r"\[:\s*\d{2,4}\s*\]", "a message cut at a fixed length"),
]


def _text_lines(path: Path):
    for i, line in enumerate(path.read_text().splitlines(), start=1):
        yield i, line


@pytest.mark.parametrize("src", SOURCES, ids=[p.stem for p in SOURCES])
def test_no_development_talk_in_notebooks(src):
    problems = []
    for i, line in _text_lines(src):
        for pattern, what in FORBIDDEN:
            if re.search(pattern, line, flags=re.IGNORECASE if what != "CI" else 0):
                problems.append(f"{src.name}:{i}: {what}: {line.strip()[:100]}")
    assert not problems, "\n".join(problems)


def test_the_checker_never_cuts_its_message():
    import torch
    from torch import nn

    from reviewlib.nets import build_model
    from reviewlib.review.checker import check_model

    class Half(nn.Module):  # a reader's GoogLeNet with only its stem written
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3)

        def forward(self, x):
            return self.inception3a(torch.relu(self.conv1(x)))

    with torch.device("meta"):
        msg = check_model(Half(), build_model("googlenet_paper", aux_logits=False), input_size=224).message
    assert not msg.endswith(("…", "...")) and msg.rstrip()[-1] in ".)!'\"" and len(msg) > 40
