"""Recorded runs: a notebook's experiments run longer, with more seeds, and committed under ``results/<paper>/``.

``python -m reviewlib.experiments record --paper alexnet`` (:mod:`reviewlib.commands`) runs each experiment a
paper package lists in ``experiments.EXPERIMENTS`` on the study its ``plan.recorded(study)`` returns, and writes

* ``results/<paper>/<name>.csv``: every (variant, seed, epoch) row of the histories, or the experiment's table;
* ``results/<paper>/<name>.json``: the variants (the paper's claim and sign), the runs (model, sizes, epochs,
  seeds) and the settings it ran under: git commit, machine, torch threads, load average, date, seconds.

Notebooks read them with :func:`load` and draw the reader's run over the recorded one. The files come only from
this command on committed code and are never edited by hand.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import torch

from .runner import Results, Trained, Variant

RESULTS_DIR = Path(os.environ.get("REVIEWLIB_RESULTS", Path(__file__).resolve().parents[2] / "results"))


def git_commit() -> str:
    """The commit the code ran at (``+dirty`` when the work tree had changes), or "unknown"."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def settings(device: str, seconds: float | None = None) -> dict:
    """Where and how a recorded run ran."""
    return {"commit": git_commit(), "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
            "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "device": device,
            "load_average": [round(v, 2) for v in os.getloadavg()] if hasattr(os, "getloadavg") else None,
            "torch": torch.__version__, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "seconds": None if seconds is None else round(seconds, 1)}


def _run_dict(run) -> dict:
    d = asdict(run)
    d["recipe"] = {k: v for k, v in d["recipe"].items() if k != "notes"}
    return d


def save(result: Results | pd.DataFrame, paper: str, name: str, *, runs=(), device: str = "cpu",
         seconds: float | None = None, folder: Path | None = None) -> Path:
    """Write one recorded experiment (``Results`` or a table) and its settings; returns the CSV's path."""
    folder = Path(folder or RESULTS_DIR) / paper
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"paper": paper, "name": name, "runs": [_run_dict(r) for r in runs],
            "settings": settings(device, seconds)}
    if isinstance(result, Results):
        table = result.histories()
        meta["kind"] = "results"
        meta["variants"] = {k: {"paper": v.paper, "sign": v.sign} for k, v in result.variants.items()}
        meta["params"] = {f"{t.variant}/{t.seed}": t.params for t in result.trained}
    else:
        table = result
        meta["kind"] = "table"
    csv = folder / f"{name}.csv"
    table.to_csv(csv, index=False)
    (folder / f"{name}.json").write_text(json.dumps(meta, indent=1, default=str) + "\n")
    return csv


def load(paper: str, name: str, folder: Path | None = None) -> Results | pd.DataFrame | None:
    """A recorded experiment as it was saved (``Results`` or a table), or None when it was never recorded."""
    folder = Path(folder or RESULTS_DIR) / paper
    csv, js = folder / f"{name}.csv", folder / f"{name}.json"
    if not (csv.is_file() and js.is_file()):
        return None
    meta = json.loads(js.read_text())
    table = pd.read_csv(csv)
    if meta.get("kind") != "results":
        return table
    variants = {k: Variant(k, paper=v["paper"], sign=int(v["sign"])) for k, v in meta["variants"].items()}
    trained = []
    for (variant, seed), h in table.groupby(["variant", "seed"], sort=False):
        trained.append(Trained(str(variant), int(seed), h.drop(columns=["variant", "seed"]).reset_index(drop=True),
                               int(meta["params"].get(f"{variant}/{seed}", 0)), float("nan")))
    return Results(variants, trained)


def load_settings(paper: str, name: str, folder: Path | None = None) -> dict | None:
    """The settings and runs a recorded experiment ran with (None when it was never recorded)."""
    js = Path(folder or RESULTS_DIR) / paper / f"{name}.json"
    return json.loads(js.read_text()) if js.is_file() else None
