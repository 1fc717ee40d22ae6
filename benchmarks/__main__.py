"""``python -m benchmarks``: every CPU benchmark of issue 8 in one run, printed and written to
``benchmarks/RESULTS.md`` (the "cpu" section) and ``figures/bench_cpu.png``; then the GPU benchmark when CUDA is
present (:mod:`benchmarks.gpu`).

1. models vs torchvision (:mod:`benchmarks.models_vs_torchvision`): forward and forward+backward images/s, ours /
   torchvision's with the same weights, input and threads, interleaved; the paper variants for the record;
2. from-scratch layers vs built-ins (:mod:`benchmarks.scratch_layers`);
3. data pipeline (:mod:`benchmarks.pipeline`): loader images/s with 0/1/2 workers against the training step at the
   study budget, and the real loop end to end;
4. achieved FLOP/s (:mod:`benchmarks.flops`) against the float32 matmul peak measured in the same run.

    .venv/bin/python -m benchmarks            # the full run: under 10 minutes on a busy 2-core CPU
    .venv/bin/python -m benchmarks --quick    # a 1-3 minute sanity run (smaller inputs, fewer repeats); prints only
                                              # (--write adds a "cpu-quick" section and figures/bench_cpu_quick.png)
    .venv/bin/python -m benchmarks --only models flops --no-write

Threads: torch's default, except on an oversubscribed machine (load average >= CPU count), where 1 (see
``benchmarks.common.set_threads``); ``--threads N`` fixes it. Numbers on a shared machine are noisy; comparisons
are interleaved and the load average is recorded with every table.
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd
import torch

from reviewlib.budget import get_budget

from . import flops as flops_mod
from . import models_vs_torchvision as mvt
from . import pipeline, scratch_layers
from .common import (FIGURES, RESULTS, Clock, load_average, machine_line, set_threads, to_markdown, to_text,
                     write_section)

SECTIONS = ["models", "scratch", "pipeline", "flops"]
RATIO_TARGET, RATIO_ACCEPT = 1.00, 0.97


def _heading(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 100 - len(title)), flush=True)


def verdicts(models: pd.DataFrame | None, loader: pd.DataFrame | None, budget,
             e2e: pd.DataFrame | None = None) -> list[str]:
    """One line per target of the issue: met or not, with the number; then NOTE lines where the real loop runs
    clearly slower than the training step alone (the loader costs throughput although the ratio target is met)."""
    out = []
    if models is not None and len(models) and "ratio" in models:
        fb = models[(models["mode"] == "forward+backward") & models["ratio"].notna()]
        for r in fb.itertuples(index=False):
            ok = r.ratio >= RATIO_ACCEPT
            out.append(f"{'PASS' if ok else 'FAIL'}: {r.model} forward+backward ours/torchvision = {r.ratio:.3f} "
                       f"(CPU time, median of {r.repeats} repeats, range {r.ratio_min:.2f}-{r.ratio_max:.2f}; "
                       f"wall clock {r.ratio_wall:.3f}; same ATen ops: {'yes' if r.same_ops else 'no'}; "
                       f"accept >= {RATIO_ACCEPT}, target >= {RATIO_TARGET:.2f})")
    if loader is not None and len(loader) and "ratio" in loader:
        at = loader[loader["workers"] == budget.num_workers]
        for r in at.itertuples(index=False):
            ok = r.ratio >= pipeline.TARGET_RATIO
            out.append(f"{'PASS' if ok else 'FAIL'}: {r.paper} loader/train-step with {r.workers} workers (study "
                       f"budget) = {r.ratio:.2f} (target >= {pipeline.TARGET_RATIO})")
    if e2e is not None and len(e2e):
        for _, r in e2e[e2e["vs_step"] < 0.9].iterrows():
            out.append(f"NOTE: {r['paper']} end to end with {r['workers']} workers runs at {r['vs_step']:.2f} of its "
                       f"training step alone ({r['end_to_end_img_s']:.0f} vs {r['step_alone_img_s']:.0f} img/s, "
                       f"{r['waiting_%']:.0f}% of the loop waiting for data)")
    return out


def plot(models, scratch, loader, flops, path) -> None:
    """Four panels: ratios vs torchvision, scratch/torch time, loader vs training step, % of matmul peak."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    ax = axes[0, 0]
    if models is not None and "ratio" in models and models["ratio"].notna().any():
        m = models[models["ratio"].notna()]
        labels = [f"{r.model}\n{r.input} b{r.batch}" for r in m[m["mode"] == "forward"].itertuples()]
        for j, mode in enumerate(["forward", "forward+backward"]):
            d = m[m["mode"] == mode].reset_index(drop=True)
            xs = [i + (j - 0.5) * 0.38 for i in range(len(d))]
            err = [(d["ratio"] - d["ratio_min"]).clip(lower=0), (d["ratio_max"] - d["ratio"]).clip(lower=0)]
            ax.bar(xs, d["ratio"], width=0.36, yerr=err, capsize=4, label=mode)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.axhline(RATIO_ACCEPT, color="r", lw=0.8, ls="--", label=f"accept {RATIO_ACCEPT}")
        ax.set_xticks(range(len(labels)), labels)
        lo = min(0.8, float(m["ratio_min"].min()) - 0.05)
        hi = max(1.2, float(m["ratio_max"].max()) + 0.05)
        ax.set_ylim(lo, hi)
        ax.set_ylabel("ours / torchvision images/s")
        ax.set_title("reviewlib vs torchvision (median, min-max of repeats)")
        ax.legend(fontsize=8)
    ax = axes[0, 1]
    if scratch is not None and len(scratch):
        short = {"conv2d": "conv2d", "max_pool2d": "max_pool", "local_response_norm": "LRN", "dropout": "dropout"}
        labels = [f"{short.get(r.layer, r.layer)}\n{r.size.split(' ')[0]} {r.size.split(' ')[1]}"
                  for r in scratch[scratch["mode"] == "forward"].itertuples()]
        for j, mode in enumerate(["forward", "forward+backward"]):
            d = scratch[scratch["mode"] == mode].reset_index(drop=True)
            ax.bar([i + (j - 0.5) * 0.38 for i in range(len(d))], d["time_ratio"], width=0.36, label=mode)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_yscale("log")
        ax.set_xticks(range(len(labels)), labels, fontsize=8)
        ax.set_ylabel("scratch time / torch time (log)")
        ax.set_title("reviewlib.scratch vs torch built-ins")
        ax.legend(fontsize=8)
    ax = axes[1, 0]
    if loader is not None and len(loader) and "train_step_img_s" in loader:
        papers = list(dict.fromkeys(loader["paper"]))
        workers = sorted(loader["workers"].unique())
        for j, w in enumerate(workers):
            d = loader[loader["workers"] == w].set_index("paper").reindex(papers)
            ax.bar([i + (j - (len(workers) - 1) / 2) * 0.2 for i in range(len(papers))], d["loader_img_s"],
                   width=0.19, label=f"loader, {w} workers")
        steps = loader.drop_duplicates("paper").set_index("paper").reindex(papers)["train_step_img_s"]
        for i, v in enumerate(steps):
            ax.hlines(v, i - 0.4, i + 0.4, color="k", lw=2, label="training step" if i == 0 else None)
            ax.hlines(v * pipeline.TARGET_RATIO, i - 0.4, i + 0.4, color="r", lw=1, ls="--",
                      label=f"{pipeline.TARGET_RATIO}x training step" if i == 0 else None)
        ax.set_xticks(range(len(papers)), [f"{p}\n({m})" for p, m in
                                           loader.drop_duplicates("paper")[["paper", "model"]].itertuples(index=False)])
        ax.set_ylabel("images/s")
        ax.set_yscale("log")
        ax.set_title("data pipeline at the study budget")
        ax.legend(fontsize=7, loc="upper center", ncol=2)
    ax = axes[1, 1]
    if flops is not None and len(flops):
        d = flops[flops["mode"] == "forward+backward"]
        f = flops[flops["mode"] == "forward"]
        xs = range(len(d))
        ax.bar([x - 0.19 for x in xs], f["ours_%_peak"], width=0.36, label="forward")
        ax.bar([x + 0.19 for x in xs], d["ours_%_peak"], width=0.36, label="forward+backward")
        ax.set_xticks(list(xs), [f"{r.model}\n{r.input} b{r.batch}" for r in d.itertuples()], fontsize=8)
        ax.set_ylabel("% of float32 matmul peak")
        ax.set_title("achieved FLOP/s (ours)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--quick", action="store_true", help="a 2-3 minute sanity run: smaller inputs, fewer repeats")
    p.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS)
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: see above)")
    p.add_argument("--models-budget-s", type=float, default=None, help="timing budget of the models table")
    p.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md and figures/ alone")
    p.add_argument("--write", action="store_true", help="with --quick: write the results too (its own section)")
    p.add_argument("--no-gpu", action="store_true", help="skip the GPU benchmark even when CUDA is present")
    args = p.parse_args(argv)

    clock = Clock()
    load0 = load_average()
    threads = set_threads(args.threads)
    budget = get_budget("study")
    mode = "quick" if args.quick else "full"
    print(f"reviewlib benchmarks ({mode}): {machine_line()}; load average {load0} at start", flush=True)
    if args.quick and not args.write:
        print("(quick run: results are printed, not written; --write to write them)")
    models = scratch = loader = e2e = flops = steps_flops = None
    peak = peak_cpu = None
    if "flops" in args.only:
        n = 2048
        peak, peak_cpu = clock.section("matmul peak", lambda: flops_mod.cpu_peak(n, repeats=3 if args.quick else 5))
        print(f"float32 matmul peak ({n}^3, {threads} thread(s)): {peak / 1e9:.1f} GFLOP/s "
              f"({peak_cpu / 1e9:.1f} GFLOP per CPU-second)", flush=True)

    if "models" in args.only:
        _heading("1. models vs torchvision (CPU)")
        cases = mvt.QUICK if args.quick else mvt.FULL
        repeats = mvt.QUICK_REPEATS if args.quick else mvt.FULL_REPEATS
        budget_s = args.models_budget_s or (mvt.QUICK_BUDGET_S if args.quick else mvt.FULL_BUDGET_S)
        models = clock.section("models vs torchvision", lambda: mvt.run(cases, repeats, max(1, repeats // 3), budget_s))
    if "scratch" in args.only:
        _heading("2. from-scratch layers vs torch built-ins (CPU)")
        scratch = clock.section("scratch layers", lambda: scratch_layers.run(
            batch=2 if args.quick else 8, repeats=3 if args.quick else 5, target_s=0.05 if args.quick else 0.1,
            budget_s=15 if args.quick else 40))
    if "pipeline" in args.only:
        _heading("3. data pipeline at the study budget (CPU)")
        loader, e2e = clock.section("data pipeline", lambda: pipeline.run(quick=args.quick))
    if "flops" in args.only:
        peak2, peak2_cpu = clock.section("matmul peak (again)",
                                         lambda: flops_mod.cpu_peak(2048, repeats=3 if args.quick else 5))
        peak, peak_cpu = max(peak, peak2), max(peak_cpu, peak2_cpu)
        print(f"\nfloat32 matmul peak, best of start and end: {peak / 1e9:.1f} GFLOP/s "
              f"({peak_cpu / 1e9:.1f} GFLOP per CPU-second)", flush=True)
        if models is not None:
            flops = flops_mod.model_flops(models, peak, peak_cpu)
        if loader is not None:
            steps_flops = flops_mod.training_step_flops(loader, peak, budget)

    # ---------------------------------------------------------------- print everything together
    tables = []
    if models is not None:
        tables.append(("Models vs torchvision (images/s by the wall clock and per CPU-second of this process; "
                       "ratio = ours / torchvision by CPU time, median of the per-repeat ratios (A B A B ... A, "
                       "each B against its two neighbouring A), with min and max; ratio_wall the same by the wall "
                       "clock, ratio_best best wall repeat over best wall repeat; spread = (max - min) / median of "
                       "the wall rates; same_ops: both dispatch the identical ATen operator sequence, forward and "
                       "backward)", models))
    if scratch is not None:
        tables.append(("From-scratch layers vs torch built-ins (time_ratio = scratch time / torch time, median)",
                       scratch))
    if loader is not None:
        sizes = ", ".join(f"{p} {budget.image_size_for(p)}px" for p in ("alexnet", "vgg", "googlenet"))
        tables.append((f"Data pipeline, study budget ({sizes}, width {budget.width}, batch "
                       f"{budget.batch_size}): loader vs training step (ratio target >= {pipeline.TARGET_RATIO})",
                       loader))
    if e2e is not None and len(e2e):
        tables.append(("Data pipeline end to end (the real loop: wait for the batch, then train on it)", e2e))
    if flops is not None:
        tables.append((f"Achieved FLOP/s (2 x MACs x images/s, x3 for forward+backward; GFLOP_s by the wall clock) "
                       f"and % of the float32 matmul peak ({peak / 1e9:.1f} GFLOP/s; % computed per CPU-second on "
                       f"both sides: {peak_cpu / 1e9:.1f} GFLOP per CPU-second)", flops))
    if steps_flops is not None and len(steps_flops):
        tables.append(("Achieved FLOP/s of the study-budget training steps", steps_flops))
    for title, t in tables:
        _heading(title)
        print(to_text(t))
    checks = verdicts(models, loader, budget, e2e)
    timing = pd.DataFrame(clock.sections)
    total = clock.elapsed()
    _heading("targets")
    print("\n".join(checks) or "(no targets checked)")
    print(f"\ntotal {total:.0f}s ({total / 60:.1f} min); load average {load0} at start, {load_average()} at end; "
          f"{threads} torch thread(s)")
    print(to_text(timing))

    write = not args.no_write and (not args.quick or args.write)
    if write:
        md = [f"## CPU ({mode} run)", "",
              f"`python -m benchmarks{' --quick' if args.quick else ''}` on {machine_line()}.",
              f"Load average {load0} at start, {load_average()} at end (the machine may be shared; every "
              f"comparison is interleaved, A B A B ... A, and each table gives the load during it). "
              f"Total {total:.0f}s.", ""]
        if peak is not None:
            md += [f"Float32 matmul peak ({2048}^3), measured in this run with the same threads: {peak / 1e9:.1f} "
                   f"GFLOP/s by the wall clock, {peak_cpu / 1e9:.1f} GFLOP per CPU-second of this process.", ""]
        md += ["Targets:", ""] + [f"- {c}" for c in checks] + [""]
        for title, t in tables:
            md += [f"### {title}", "", to_markdown(t), ""]
        md += ["### Time per section", "", to_markdown(timing), "", "![CPU benchmarks](../figures/bench_cpu.png)"]
        section, figure = (("cpu-quick", FIGURES / "bench_cpu_quick.png") if args.quick
                           else ("cpu", FIGURES / "bench_cpu.png"))
        md[-1] = md[-1].replace("bench_cpu.png", figure.name)
        write_section(section, "\n".join(md), RESULTS)
        plot(models, scratch, loader, flops, figure)
        print(f"\nwrote {RESULTS} ({section} section) and {figure}")

    if torch.cuda.is_available() and not args.no_gpu:
        from . import gpu
        _heading("GPU")
        gpu.main(["--no-compile"] if args.quick else [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
