"""The figure ``python -m benchmarks`` writes (figures/bench_cpu.png): one panel per table, empty when its section
did not run."""
from __future__ import annotations

from pathlib import Path

import pandas as pd


def _models(ax, models: pd.DataFrame, accept: float) -> None:
    m = models[models["ratio"].notna()]
    labels = [f"{r.model}\n{r.input} b{r.batch}" for r in m[m["mode"] == "forward"].itertuples()]
    for j, mode in enumerate(["forward", "forward+backward"]):
        d = m[m["mode"] == mode].reset_index(drop=True)
        xs = [i + (j - 0.5) * 0.38 for i in range(len(d))]
        err = [(d["ratio"] - d["ratio_min"]).clip(lower=0), (d["ratio_max"] - d["ratio"]).clip(lower=0)]
        ax.bar(xs, d["ratio"], width=0.36, yerr=err, capsize=4, label=mode)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.axhline(accept, color="r", lw=0.8, ls="--", label=f"accept {accept}")
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylim(min(0.8, float(m["ratio_min"].min()) - 0.05), max(1.2, float(m["ratio_max"].max()) + 0.05))
    ax.set_ylabel("ours / torchvision images/s (CPU time)")
    ax.set_title("reviewlib vs torchvision (median, min-max)")
    ax.legend(fontsize=7)


def _scratch(ax, scratch: pd.DataFrame) -> None:
    short = {"conv2d": "conv2d", "max_pool2d": "max_pool", "local_response_norm": "LRN", "dropout": "dropout"}
    labels = [f"{short.get(r.layer, r.layer)}\n{' '.join(r.size.split(' ')[:2])}"
              for r in scratch[scratch["mode"] == "forward"].itertuples()]
    for j, mode in enumerate(["forward", "forward+backward"]):
        d = scratch[scratch["mode"] == mode].reset_index(drop=True)
        ax.bar([i + (j - 0.5) * 0.38 for i in range(len(d))], d["time_ratio"], width=0.36, label=mode)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_ylabel("scratch time / torch time (log)")
    ax.set_title("reviewlib.nets.scratch vs torch built-ins")
    ax.legend(fontsize=7)


def _pipeline(ax, e2e: pd.DataFrame, target: float) -> None:
    labels = [f"{r.model}\n{r.input}" for r in e2e.itertuples()]
    xs = range(len(e2e))
    ax.bar([x - 0.19 for x in xs], e2e["vs_step"], width=0.36, label="wall clock",
           yerr=[(e2e["vs_step"] - e2e["vs_step_min"]).clip(lower=0),
                 (e2e["vs_step_max"] - e2e["vs_step"]).clip(lower=0)], capsize=4)
    ax.bar([x + 0.19 for x in xs], e2e["vs_step_cpu"], width=0.36, label="CPU time")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.axhline(target, color="r", lw=0.8, ls="--", label=f"target {target}")
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.set_ylim(min(0.7, float(e2e[["vs_step_min", "vs_step_cpu"]].min().min()) - 0.05), 1.1)
    ax.set_ylabel("end to end / step alone (images/s)")
    ax.set_title("study main runs: data path + step vs step alone")
    ax.legend(fontsize=7)


def _lrn(ax, lrn: pd.DataFrame, target: float) -> None:
    names = {"no LRN": "no LRN", "LRN, reviewlib (band conv)": "reviewlib LRN",
             "LRN, torch F.local_response_norm (before)": "torch LRN\n(before)"}
    xs = range(len(lrn))
    ax.bar(xs, lrn["step_cpu_ms"], color=["C7", "C0", "C3"][:len(lrn)])
    for x, ms, share in zip(xs, lrn["step_cpu_ms"], lrn["lrn_share_cpu_%"]):
        if share == share:  # not NaN
            ax.annotate(f"LRN {share:.0f}%", (x, ms), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(xs), [names.get(v, v) for v in lrn["variant"]], fontsize=8)
    ax.set_ylabel("training step, CPU ms")
    ax.set_title(f"AlexNet study step: LRN's share (target <= {target:.0f}%)")


def _flops(ax, flops: pd.DataFrame, steps: pd.DataFrame | None) -> None:
    def label(d):
        return [f"{m}\n{i} b{b}" for m, i, b in zip(d["model"], d["input"], d["batch"])]
    rows = list(zip(label(flops), flops["mode"], flops["ours_%_peak"]))
    if steps is not None and len(steps):
        rows += list(zip(label(steps), ["study train step"] * len(steps), steps["%_peak"]))
    modes = list(dict.fromkeys(m for _, m, _ in rows))
    labels = list(dict.fromkeys(name for name, _, _ in rows))
    for j, mode in enumerate(modes):
        pts = [(labels.index(name), v) for name, m, v in rows if m == mode]
        ax.bar([i + (j - (len(modes) - 1) / 2) * 0.27 for i, _ in pts], [v for _, v in pts], width=0.26, label=mode)
    ax.set_xticks(range(len(labels)), labels, fontsize=6, rotation=30, ha="right")
    ax.set_ylabel("% of float32 matmul peak (CPU time)")
    ax.set_title("achieved FLOP/s")
    ax.legend(fontsize=7)


def plot(path: Path, *, models=None, scratch=None, e2e=None, lrn=None, flops=None, steps=None,
         accept: float = 0.97, e2e_target: float = 0.95, lrn_target: float = 15.0) -> None:
    """Five panels: ratios vs torchvision, scratch / torch time, the end-to-end ratios, LRN's share, FLOP/s."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(18, 9))
    if models is not None and "ratio" in models and models["ratio"].notna().any():
        _models(axes[0, 0], models, accept)
    if scratch is not None and len(scratch):
        _scratch(axes[0, 1], scratch)
    if e2e is not None and len(e2e):
        _pipeline(axes[0, 2], e2e, e2e_target)
    if lrn is not None and len(lrn):
        _lrn(axes[1, 0], lrn, lrn_target)
    if flops is not None and len(flops):
        _flops(axes[1, 1], flops, steps)
    axes[1, 2].axis("off")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
