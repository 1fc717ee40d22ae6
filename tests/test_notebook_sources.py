"""Each notebooks/*.ipynb must say what its jupytext source notebooks/src/*.py says (no drift)."""
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAIRS = [(p, ROOT / "notebooks" / (p.stem + ".ipynb")) for p in sorted((ROOT / "notebooks" / "src").glob("*.py"))]


@pytest.mark.parametrize("src,ipynb", PAIRS, ids=[p.stem for p, _ in PAIRS])
def test_notebook_matches_its_source(src, ipynb):
    assert ipynb.exists(), f"{ipynb.name} missing: run tools/build_notebooks.py {src.relative_to(ROOT)}"
    a = [(c.cell_type, c.source.strip()) for c in jupytext.read(src).cells]
    b = [(c.cell_type, c.source.strip()) for c in nbformat.read(ipynb, as_version=4).cells]
    assert a == b, f"{ipynb.name} and {src.name} differ: rebuild with tools/build_notebooks.py"


def test_every_notebook_has_a_source():
    sources = {p.stem for p, _ in PAIRS}
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        assert nb.stem in sources, f"{nb.name} has no notebooks/src/{nb.stem}.py"
