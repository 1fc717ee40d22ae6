"""Build notebooks/*.ipynb from their jupytext sources in notebooks/src/*.py, execute them in the smoke budget,
and keep only the outputs nbval checks (cells marked ``# NBVAL_CHECK_OUTPUT``).

    .venv/bin/python tools/build_notebooks.py [notebooks/src/01_alexnet.py ...]

The .py is what we edit, the .ipynb what users open and nbval runs; tests/test_notebook_sources.py fails when the
two drift apart.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHECK = "NBVAL_CHECK_OUTPUT"


def build(src: Path, execute: bool = True, budget: str = "smoke") -> Path:
    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (reviewlib)", "language": "python"}
    nb.metadata.pop("jupytext", None)
    out = ROOT / "notebooks" / (src.stem + ".ipynb")
    if execute:
        os.environ["REVIEWLIB_BUDGET"] = budget
        os.environ.setdefault("MPLBACKEND", "Agg")
        start = time.perf_counter()
        NotebookClient(nb, timeout=1200, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
        print(f"{src.name}: executed in {time.perf_counter() - start:.0f} s ({budget})")
    # nbval refuses stored outputs of a cell without an execution count, so number the cells in order
    # (deterministic, so rebuilding an unchanged notebook changes nothing)
    count = 0
    for i, cell in enumerate(nb.cells):
        cell.id = f"{src.stem[:2]}-{i:03d}"  # stable ids: rebuilding an unchanged notebook changes nothing
        if cell.cell_type == "code":
            count += 1
            cell.metadata.pop("execution", None)
            if CHECK not in cell.source:
                cell.outputs = []
                cell.execution_count = None
            else:
                cell.execution_count = count
                for o in cell.outputs:
                    if "execution_count" in o:
                        o["execution_count"] = count
    nbformat.write(nb, out)
    return out


if __name__ == "__main__":
    srcs = [Path(a) for a in sys.argv[1:]] or sorted((ROOT / "notebooks" / "src").glob("*.py"))
    for s in srcs:
        print("wrote", build(s.resolve()))
