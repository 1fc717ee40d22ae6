"""Build notebooks/*.ipynb from their jupytext sources in notebooks/src/*.py.

    .venv/bin/python tools/build_notebooks.py [--budget study|smoke] [notebooks/src/01_alexnet.py ...]

The .py is what we edit, the .ipynb what readers open and nbval runs. By default every notebook is executed in the
``study`` budget and committed with all its outputs (figures inline), so it reads like a book chapter on GitHub and
nbviewer; nbval (smoke budget, in CI) then compares only the cells marked ``# NBVAL_CHECK_OUTPUT``, whose output
does not depend on the budget. Before writing, the build checks what it is about to commit:

* no absolute paths of this machine and no wall-clock timestamps in any output (they would churn and leak);
* progress bars are dropped (they only make sense live), so are stderr warnings;
* images are PNGs at the figures' modest dpi, and a notebook stays under ``MAX_MB``.

``--budget smoke`` builds quickly and keeps only the checked cells' outputs (for work on a notebook's code; CI never
needs it).
tests/test_notebook_sources.py fails when a source and its .ipynb drift apart.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
CHECK = "NBVAL_CHECK_OUTPUT"
MAX_MB = 6.0
WIDGET = "application/vnd.jupyter.widget-view+json"
# what must never be stored: this machine's absolute paths and wall-clock times
ABSOLUTE = re.compile(r"(?<![\w.])(/(?:root|home|work|tmp|Users|private|var/folders)/[^\s'\"<>]*)")
TIMESTAMP = re.compile(r"\b20\d\d-[01]\d-[0-3]\d[ T][0-2]\d:[0-5]\d")


def _is_progress(output) -> bool:
    """A tqdm bar: a widget view whose plain-text fallback is tqdm's, or a stderr stream of carriage returns."""
    if output.get("output_type") == "stream":
        return output.get("name") == "stderr"
    data = output.get("data", {})
    return WIDGET in data and ("HBox" in str(data.get("text/plain", "")) or "%|" in str(data.get("text/plain", "")))


def _text_of(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", []))
    data = output.get("data", {})
    return "\n".join(str(v) for k, v in data.items() if k.startswith("text/") or k.endswith("json"))


def check_outputs(nb, name: str) -> list[str]:
    """Problems with what would be committed: absolute paths, timestamps, errors."""
    problems = []
    for i, cell in enumerate(nb.cells):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                problems.append(f"{name} cell {i}: error output {o.get('ename')}: {o.get('evalue')}")
            text = _text_of(o)
            for pattern, what in ((ABSOLUTE, "an absolute path"), (TIMESTAMP, "a timestamp")):
                m = pattern.search(text)
                if m:
                    problems.append(f"{name} cell {i}: output holds {what} ({m.group(0)[:60]!r})")
    return problems


def _print_slowest_cells(nb, name: str, n: int = 6) -> None:
    """The ``n`` cells that took longest (nbclient's timestamps, before they are dropped), for sizing a plan."""
    from datetime import datetime

    times = []
    for i, cell in enumerate(nb.cells):
        ex = cell.get("metadata", {}).get("execution", {})
        start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
        if start and end:
            seconds = (datetime.fromisoformat(end.replace("Z", "+00:00"))
                       - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
            times.append((seconds, i, cell.source.strip().splitlines()[-1][:70] if cell.source.strip() else ""))
    for seconds, i, line in sorted(times, reverse=True)[:n]:
        print(f"  {name} cell {i}: {seconds:.0f} s  ({line})", flush=True)


def build(src: Path, budget: str = "study", execute: bool = True) -> Path:
    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (reviewlib)", "language": "python"}
    nb.metadata.pop("jupytext", None)
    out = ROOT / "notebooks" / (src.stem + ".ipynb")
    if execute:
        os.environ["REVIEWLIB_BUDGET"] = budget
        os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        start = time.perf_counter()
        NotebookClient(nb, timeout=3600, kernel_name="python3", store_widget_state=True,
                       resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
        print(f"{src.name}: executed in {time.perf_counter() - start:.0f} s ({budget})", flush=True)
        _print_slowest_cells(nb, src.name)
    count = 0
    for i, cell in enumerate(nb.cells):
        cell.id = f"{src.stem[:2]}-{i:03d}"  # stable ids: rebuilding an unchanged notebook changes nothing
        if cell.cell_type != "code":
            continue
        count += 1
        cell.metadata.pop("execution", None)
        cell.execution_count = count
        cell.outputs = [o for o in cell.outputs if not _is_progress(o)]
        if budget == "smoke" and CHECK not in cell.source:
            cell.outputs = []  # a smoke build keeps only what nbval compares
        for o in cell.outputs:
            if "execution_count" in o:
                o["execution_count"] = count
    problems = check_outputs(nb, src.stem)
    if problems:
        raise SystemExit("not written:\n  " + "\n  ".join(problems))
    nbformat.write(nb, out)
    mb = out.stat().st_size / 1e6
    if mb > MAX_MB:
        raise SystemExit(f"{out.name} is {mb:.1f} MB (limit {MAX_MB} MB): lower the figures' dpi or draw fewer")
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sources", nargs="*", type=Path)
    parser.add_argument("--budget", default="study", choices=("study", "smoke"))
    args = parser.parse_args()
    srcs = args.sources or sorted((ROOT / "notebooks" / "src").glob("*.py"))
    for s in srcs:
        print("wrote", build(s.resolve(), args.budget), flush=True)
    sys.exit(0)
